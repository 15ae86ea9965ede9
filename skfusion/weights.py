"""Fit fusion weights from out-of-fold prediction arrays.

These functions work on plain arrays, so predictions saved per model (a
Kaggle habit) can be blended without refitting anything; the estimators of
skfusion call the same functions on their out-of-fold predictions.

``predictions`` is a list of one array per model, each ``(n_samples,
n_classes)`` (class scores, usually probabilities) or ``(n_samples,)``, or
one array ``(n_samples, n_models, n_classes)`` / ``(n_samples, n_models)``.
Every function returns non-negative weights that sum to one, one per model.

1-D predictions are read by the target: with a binary ``y`` (two distinct
values, as :func:`sklearn.utils.multiclass.type_of_target` says) they are
each model's probability of the larger label, ``classes[1]``, scored with
the log-loss like ``(n_samples, 2)`` probabilities; otherwise they are
regression values, scored with the squared error. ``target_type`` decides
explicitly (``"continuous"`` for a regression on a 0/1 target).

NaN or inf in a model's predictions is a ValueError naming the model (its
index) and the number of rows: no weight is learnt from them. So are class
scores that are not probabilities (a negative value, or a row not summing to
1 within 1e-4; 1-D scores of a binary target outside [0, 1]): every weighting
scores the blend as probabilities.
"""

import numbers
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import type_of_target

from ._compat import Interval, StrOptions, is_negated_loss, validate_params
from ._kernels import get_kernel
from ._kernels._reference import LOG_LOSS_EPS, member_list
from ._oof import check_model_predictions, check_model_probabilities
from ._scoring import (
    OBJECTIVE_CONSTRAINT,
    is_builtin_objective,
    objective_scorer,
    score_predictions,
)
from ._utils import check_sample_weight, numpy_generator, true_class_columns

__all__ = [
    "bb_pseudo_bma_weights",
    "caruana_weights",
    "check_weights",
    "optimized_weights",
    "pseudo_bma_weights",
    "score_weights",
    "stacking_weights",
    "weights_from_scores",
]


@validate_params(
    {
        "weights": ["array-like", None],
        "n_members": [Interval(numbers.Integral, 1, None, closed="left")],
        "names": [list, None],
        "normalize": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def check_weights(weights, n_members, names=None, *, normalize=True):
    """Validate user weights and normalise them to sum to one.

    Parameters
    ----------
    weights : array-like of shape (n_members,) or None
        Non-negative, finite, not all zero. None gives uniform weights.
    n_members : int
        Number of members the weights are for.
    names : list of str, default=None
        Member names, used in error messages.
    normalize : bool, default=True
        Divide by the sum. Hard voting keeps the weights as given, so that
        votes tied under integer weights stay exactly tied.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        The weights, divided by their sum if ``normalize``.

    See Also
    --------
    weights_from_scores : Weights from member scores.

    Examples
    --------
    >>> from skfusion.weights import check_weights
    >>> check_weights([1, 3], 2)
    array([0.25, 0.75])
    """
    if weights is None:
        return np.full(n_members, 1.0 / n_members if normalize else 1.0)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n_members:
        raise ValueError(
            f"weights must have one entry per member ({n_members}); got shape {w.shape}."
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        culprit = names[int(np.argmax(bad))] if names is not None else int(np.argmax(bad))
        raise ValueError(
            f"weights must be finite and non-negative; the weight of member {culprit!r} "
            f"is {w[bad][0]}."
        )
    total = w.sum()
    if total <= 0:
        raise ValueError("weights are all zero; at least one member needs a positive weight.")
    return w / total if normalize else w


@validate_params(
    {"scores": ["array-like"], "negated_loss": ["boolean"]}, prefer_skip_nested_validation=True
)
def weights_from_scores(scores, *, negated_loss=False):
    """Turn per-member scores (greater is better) into weights.

    The rule, made for sklearn's scorer convention (losses are negated):

    - all scores positive (accuracy, ROC AUC, R² of useful models): weights
      proportional to the scores;
    - all scores negative (``neg_log_loss``, ``neg_mean_squared_error``...):
      weights proportional to the inverse loss, ``1 / -score``, so a member
      with half the loss gets twice the weight;
    - mixed signs (e.g. R² where some members are worse than predicting the
      mean): members scoring 0 or less get weight 0, the others weights
      proportional to their scores.

    Parameters
    ----------
    scores : array-like of shape (n_members,)
        Finite scores, greater is better.
    negated_loss : bool, default=False
        The scores are negated losses (``neg_log_loss``...): a score of 0 is
        then a perfect member, not a worthless one, and the members scoring
        0 share the weight (the limit of ``1 / loss``).

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.

    See Also
    --------
    score_weights : Score prediction arrays, then apply this rule.

    Examples
    --------
    >>> from skfusion.weights import weights_from_scores
    >>> weights_from_scores([0.9, 0.6])
    array([0.6, 0.4])
    >>> weights_from_scores([-0.2, -0.4])  # negated losses
    array([0.66666667, 0.33333333])
    """
    s = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(s)):
        raise ValueError(
            f"Scores must be finite to be turned into weights; got {s} (a metric is NaN "
            "where it is undefined, such as ROC AUC on rows of one class)."
        )
    if negated_loss and np.any(s >= 0):
        w = (s >= 0).astype(np.float64)
    elif np.all(s > 0):
        w = s
    elif np.all(s < 0):
        w = 1.0 / -s
    else:
        w = np.maximum(s, 0.0)
        if not np.any(w > 0):
            raise ValueError(
                f"No member scores above 0 ({s}); score-based weights are undefined. "
                "Use equal weights, or weighting='optimize' or 'caruana'."
            )
    return w / w.sum()


TARGET_TYPES = ("binary", "multiclass", "continuous")


def _problem(predictions, y, classes, target_type=None, sample_weight=None):
    """Members as a list, and y as class indices (classification) or floats;
    ``sample_weight`` checked (two classes of positive weight at least).

    1-D members with a binary target become ``(n, 2)`` probabilities (see
    the module docstring).
    """
    members = member_list(predictions)
    check_model_predictions(predictions, members)
    y = np.asarray(y)
    if target_type is not None and target_type not in TARGET_TYPES:
        raise ValueError(
            f"target_type must be one of {TARGET_TYPES} or None; got {target_type!r}."
        )
    if members[0].ndim == 1:
        if target_type is None:
            is_binary = classes is not None and len(classes) == 2
            target_type = "binary" if is_binary or type_of_target(y) == "binary" else "continuous"
        if target_type == "binary":
            members = [_binary_probabilities(p, m) for m, p in enumerate(members)]
        elif target_type == "multiclass":
            raise ValueError(
                "1-D predictions cannot be multiclass scores; give (n_samples, n_classes) "
                "arrays per model."
            )
    elif target_type == "continuous":
        raise ValueError(
            f"target_type='continuous' needs 1-D predictions per model; got {members[0].shape}."
        )
    if members[0].ndim == 2:
        # Every weighting scores the blend as probabilities.
        check_model_probabilities(predictions, members)
        check_sample_weight(sample_weight, len(y), labels=y)
        classes = np.unique(y) if classes is None else np.asarray(classes)
        if len(classes) != members[0].shape[1]:
            raise ValueError(
                f"The predictions have {members[0].shape[1]} class columns but there are "
                f"{len(classes)} classes; pass `classes` matching the columns."
            )
        y_index = np.searchsorted(classes, y)
        if np.any(y_index >= len(classes)) or np.any(
            classes[y_index.clip(0, len(classes) - 1)] != y
        ):
            raise ValueError("y holds labels that are not in `classes`.")
        return members, y_index, classes
    if members[0].ndim != 1:
        raise ValueError(
            "Each member's predictions must be (n_samples,) for regression or "
            f"(n_samples, n_classes) for classification; got {members[0].shape}."
        )
    check_sample_weight(sample_weight, len(y))
    return members, y.astype(np.float64), None


def _binary_probabilities(p, m):
    """``(n, 2)`` probabilities from a binary model's P(classes[1])."""
    p = np.asarray(p, dtype=np.float64)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"Model {m}'s 1-D predictions lie outside [0, 1] ([{p.min():.4g}, {p.max():.4g}]) "
            "but y is binary: 1-D predictions with a binary target are read as the "
            "probability of classes[1]. Pass target_type='continuous' for regression values."
        )
    return np.column_stack([1.0 - p, p])


_PREDICTION_CONSTRAINTS = {
    "predictions": ["array-like"],
    "y": ["array-like"],
    "objective": OBJECTIVE_CONSTRAINT,
    "sample_weight": ["array-like", None],
    "classes": ["array-like", None],
    "target_type": [StrOptions(set(TARGET_TYPES)), None],
}


@validate_params(_PREDICTION_CONSTRAINTS, prefer_skip_nested_validation=True)
def score_weights(
    predictions, y, *, objective=None, sample_weight=None, classes=None, target_type=None
):
    """Weights proportional to each member's score (see :func:`weights_from_scores`).

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        Out-of-fold predictions per member (see the module docstring).
    y : array-like of shape (n_samples,)
        True labels or targets.
    objective : str or callable, default=None
        The sklearn scorer that scores each member; None is the log-loss
        (classification) or the squared error (regression), negated, so
        weights are proportional to ``1 / loss``.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights for the scores.
    classes : array-like, default=None
        Labels of the class columns; default ``np.unique(y)``.
    target_type : {"binary", "multiclass", "continuous"}, default=None
        How to read 1-D predictions (see the module docstring); None infers
        it from ``y``.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.

    See Also
    --------
    optimized_weights : Weights that minimise the blend's loss.
    caruana_weights : Greedy ensemble selection.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.weights import score_weights
    >>> y = np.array([0, 1, 1, 0])
    >>> good = np.array([[.9, .1], [.2, .8], [.3, .7], [.6, .4]])
    >>> poor = np.array([[.4, .6], [.2, .8], [.6, .4], [.6, .4]])
    >>> score_weights([good, poor], y).round(3)  # proportional to 1 / log-loss
    array([0.682, 0.318])
    >>> score_weights([good, poor], y, objective="accuracy")
    array([0.66666667, 0.33333333])
    """
    members, y_target, classes = _problem(predictions, y, classes, target_type, sample_weight)
    classification = classes is not None
    if is_builtin_objective(objective, classification):
        # The losses the other weightings minimise, on the class columns as
        # given (a class missing from y is no error).
        scored = (
            true_class_columns(members, y_target)
            if classification
            else np.column_stack(members).astype(np.float64)
        )
        sw = check_sample_weight(sample_weight, len(y_target))
        losses = [
            _loss_and_gradient(scored[:, [m]], y_target, sw, classification)(np.ones(1))[0]
            for m in range(len(members))
        ]
        return weights_from_scores(-np.asarray(losses), negated_loss=True)
    scorer = objective_scorer(objective, classifier=classification)
    y_scored = y_target if classes is None else classes[y_target]
    scores = [
        score_predictions(scorer, p, y_scored, classes=classes, sample_weight=sample_weight)
        for p in members
    ]
    return weights_from_scores(scores, negated_loss=is_negated_loss(scorer))


def _loss_and_gradient(scored, y, sw, classification):
    """Blend loss on the simplex and its gradient.

    ``scored`` is ``(n, M)``: the true class's score of each member
    (log-loss) or each member's prediction (squared error).
    """
    total = sw.sum()

    def fun(w):
        blend = scored @ w
        if classification:
            q = np.maximum(blend, LOG_LOSS_EPS)
            loss = -(sw @ np.log(q)) / total
            grad = -(scored.T @ ((sw / q) * (blend > LOG_LOSS_EPS))) / total
        else:
            residual = blend - y
            loss = (sw @ residual**2) / total
            grad = 2.0 * (scored.T @ (sw * residual)) / total
        return loss, grad

    return fun


def _simplex_minimize(scored, y, sw, log_loss):
    """Weights on the simplex minimising the blend's loss (SLSQP, analytic gradient)."""
    n_members = scored.shape[1]
    fun = _loss_and_gradient(scored, y, sw, log_loss)
    x0 = np.full(n_members, 1.0 / n_members)
    res = minimize(
        fun,
        x0,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n_members,
        constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": np.ones_like},),
    )
    x = _checked_result(res, "SLSQP", lambda w: fun(w)[0], x0)
    # SLSQP leaves round-off (~1e-16) on members it dropped, and may step
    # a hair outside the bounds; a member of weight 0 is not called at
    # predict time, so make those exactly 0.
    w = np.where(x > 1e-10, x, 0.0)
    return w / w.sum()


def _checked_result(res, method, objective, x0):
    """``res.x`` of a scipy optimisation, after checking that it is usable.

    A result that is not finite is an error (what a NaN objective gives). A
    run that did not succeed is never taken silently: it warns with scipy's
    reason (a ConvergenceWarning) and keeps the better of its last point and
    its starting point ``x0``.
    """
    x = np.asarray(res.x, dtype=np.float64)
    if not (np.all(np.isfinite(x)) and np.isfinite(res.fun)):
        raise ValueError(f"The {method} weight optimisation failed: {res.message}")
    if res.success:
        return x
    kept = "the best point it reached"
    if objective(x) > objective(x0):
        x, kept = np.asarray(x0, dtype=np.float64), "its starting point, which scored better"
    warnings.warn(
        f"The {method} weight optimisation did not converge ({res.message}); using {kept}.",
        ConvergenceWarning,
    )
    return x


@validate_params(_PREDICTION_CONSTRAINTS, prefer_skip_nested_validation=True)
def optimized_weights(
    predictions, y, *, objective=None, sample_weight=None, classes=None, target_type=None
):
    """Weights on the simplex that minimise the blend's out-of-fold loss.

    With ``objective=None`` (or its scorer name, ``"neg_log_loss"`` /
    ``"neg_mean_squared_error"``) the loss is the log-loss of the weighted
    mean of the class scores (classification) or the squared error of the
    weighted mean prediction (regression), minimised by SLSQP with its
    analytic gradient. Another ``objective``'s ``-score`` of the blend is
    minimised by Powell's derivative-free method over softmax-parametrised
    weights; for a step-shaped score such as accuracy prefer
    :func:`caruana_weights`.

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        Out-of-fold predictions per member (see the module docstring).
    y : array-like of shape (n_samples,)
        True labels or targets.
    objective : str or callable, default=None
        An sklearn scorer to maximise instead of the default loss.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of the loss.
    classes : array-like, default=None
        Labels of the class columns; default ``np.unique(y)``.
    target_type : {"binary", "multiclass", "continuous"}, default=None
        How to read 1-D predictions (see the module docstring); None infers
        it from ``y``.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.

    See Also
    --------
    caruana_weights : Greedy ensemble selection.
    score_weights : Weights proportional to member scores.

    References
    ----------
    .. [1] Breiman, L. (1996). Stacked regressions. Machine Learning 24, 49-64.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.weights import optimized_weights
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> exact, shifted = y.copy(), y + 1.0
    >>> optimized_weights([exact, shifted], y).round(3)
    array([1., 0.])
    """
    members, y_target, classes = _problem(predictions, y, classes, target_type, sample_weight)
    n, n_members = len(y_target), len(members)
    sw = check_sample_weight(sample_weight, n)
    if n_members == 1:
        return np.ones(1)
    if is_builtin_objective(objective, classes is not None):
        if classes is not None:
            scored = true_class_columns(members, y_target)
        else:
            scored = np.column_stack(members).astype(np.float64)
        return _simplex_minimize(scored, y_target, sw, classes is not None)

    scorer = objective_scorer(objective, classifier=classes is not None)
    blend = get_kernel("soft_vote", members)
    y_scored = y_target if classes is None else classes[y_target]

    def negated_score(z):
        values = blend(members, softmax(z))
        score = score_predictions(
            scorer, values, y_scored, classes=classes, sample_weight=sample_weight
        )
        if not np.isfinite(score):
            raise ValueError(
                f"objective={objective!r} gave {score} for a blend of the predictions."
            )
        return -score

    z0 = np.zeros(n_members)
    res = minimize(negated_score, z0, method="Powell")
    return softmax(_checked_result(res, "Powell", negated_score, z0))


@validate_params(
    {
        **_PREDICTION_CONSTRAINTS,
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "return_picks": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def caruana_weights(
    predictions,
    y,
    *,
    n_iter=50,
    objective=None,
    sample_weight=None,
    classes=None,
    target_type=None,
    return_picks=False,
):
    """Caruana et al. (2004) ensemble selection: greedy forward, with replacement.

    Starting from an empty ensemble, each of ``n_iter`` rounds adds the member
    (repeats allowed) that most improves the ensemble mean's loss; the first
    pick is therefore the best single member. Weights are pick counts divided
    by ``n_iter``. The default losses (log-loss, squared error) run in a
    kernel that scores a candidate in O(n_samples); another ``objective``
    rescores the blend per candidate.

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        Out-of-fold predictions per member (see the module docstring).
    y : array-like of shape (n_samples,)
        True labels or targets.
    n_iter : int, default=50
        Number of picks.
    objective : str or callable, default=None
        An sklearn scorer to maximise; None (or ``"neg_log_loss"`` /
        ``"neg_mean_squared_error"``) means the log-loss (classification) or
        the squared error (regression), in the kernel.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of the loss.
    classes : array-like, default=None
        Labels of the class columns; default ``np.unique(y)``.
    target_type : {"binary", "multiclass", "continuous"}, default=None
        How to read 1-D predictions (see the module docstring); None infers
        it from ``y``.
    return_picks : bool, default=False
        Also return the member index picked in each round.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.
    picks : ndarray of shape (n_iter,)
        The model picked in each round; only with ``return_picks=True``.

    See Also
    --------
    optimized_weights : Weights that minimise the blend's loss directly.

    References
    ----------
    .. [1] Caruana, R., Niculescu-Mizil, A., Crew, G., Ksikes, A. (2004).
       Ensemble selection from libraries of models. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.weights import caruana_weights
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> caruana_weights([y + 1.0, y - 1.0, y + 3.0], y, n_iter=10)
    array([0.5, 0.5, 0. ])
    """
    members, y_target, classes = _problem(predictions, y, classes, target_type, sample_weight)
    sw = check_sample_weight(sample_weight, len(y_target))
    if is_builtin_objective(objective, classes is not None):
        loss = "log_loss" if classes is not None else "squared_error"
        picks, _ = get_kernel("caruana_select", members)(
            members, y_target, n_iter, loss=loss, sample_weight=sw
        )
    else:
        scorer = objective_scorer(objective, classifier=classes is not None)
        y_scored = y_target if classes is None else classes[y_target]
        running = np.zeros(members[0].shape)
        picks = np.empty(n_iter, dtype=np.intp)
        for t in range(n_iter):
            scores = [
                score_predictions(
                    scorer,
                    (running + p) / (t + 1),
                    y_scored,
                    classes=classes,
                    sample_weight=sample_weight,
                )
                for p in members
            ]
            if not np.all(np.isfinite(scores)):
                raise ValueError(
                    f"objective={objective!r} gave a non-finite score to member "
                    f"{int(np.argmin(np.isfinite(scores)))} in round {t}: {scores}."
                )
            picks[t] = int(np.argmax(scores))
            running += members[picks[t]]
    weights = np.bincount(picks, minlength=len(members)) / n_iter
    return (weights, picks) if return_picks else weights


# ---------------------------------------------------------------------------
# weights from pointwise log predictive densities (Yao et al. 2018)
# ---------------------------------------------------------------------------
def _check_pointwise(pointwise):
    lpd = np.asarray(pointwise, dtype=np.float64)
    if lpd.ndim != 2 or lpd.shape[0] == 0 or lpd.shape[1] == 0:
        raise ValueError(
            "pointwise must be a (n_samples, n_members) matrix of log predictive densities; "
            f"got shape {lpd.shape}."
        )
    if np.isnan(lpd).any() or np.isposinf(lpd).any():
        raise ValueError("pointwise holds NaN or +inf; log densities must be < +inf.")
    hopeless = np.all(np.isneginf(lpd), axis=1)
    if hopeless.any():
        raise ValueError(
            f"Every member gives density 0 to row {int(np.argmax(hopeless))}; no mixture "
            "weights can explain it. Floor the log densities first."
        )
    return lpd


def _elpd(lpd):
    """Each member's elpd; an error when every member has density 0 on some row."""
    elpd = lpd.sum(axis=0)
    if np.all(np.isneginf(elpd)):
        raise ValueError(
            "Every member gives density 0 to at least one row (elpd -inf for all); "
            "pseudo-BMA weights are undefined. Floor the log densities, or use stacking."
        )
    return elpd


@validate_params({"pointwise": ["array-like"]}, prefer_skip_nested_validation=True)
def pseudo_bma_weights(pointwise):
    """Pseudo-BMA weights: ``w_m ∝ exp(elpd_m)``, a softmax in log space.

    Parameters
    ----------
    pointwise : array-like of shape (n_samples, n_members)
        Pointwise out-of-sample log predictive densities ``log p_m(y_i | x_i)``.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.

    See Also
    --------
    bb_pseudo_bma_weights : Regularised by the Bayesian bootstrap.
    stacking_weights : Stacking of predictive distributions.

    References
    ----------
    .. [1] Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to
       average Bayesian predictive distributions. Bayesian Analysis 13(3).

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.weights import pseudo_bma_weights
    >>> pointwise = np.log([[0.5, 0.25], [0.5, 0.5]])  # elpd differ by log 2
    >>> pseudo_bma_weights(pointwise)
    array([0.66666667, 0.33333333])
    """
    return softmax(_elpd(_check_pointwise(pointwise)))


@validate_params(
    {
        "pointwise": ["array-like"],
        "n_bootstrap": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "return_std": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def bb_pseudo_bma_weights(pointwise, *, n_bootstrap=1000, random_state=None, return_std=False):
    """Pseudo-BMA+ weights: pseudo-BMA averaged over Bayesian-bootstrap draws.

    Each draw reweights the rows with Dirichlet(1) weights ``alpha``, takes
    ``z_m = n * sum_i alpha_i * lpd[i, m]`` and the softmax of ``z``; the
    weights are the mean over draws. Draws run in blocks through one matrix
    product each, not a python loop per draw.

    Parameters
    ----------
    pointwise : array-like of shape (n_samples, n_members)
        Pointwise out-of-sample log predictive densities.
    n_bootstrap : int, default=1000
        Number of Bayesian-bootstrap draws.
    random_state : int, RandomState instance or None, default=None
        Seeds the Dirichlet draws.
    return_std : bool, default=False
        Also return the standard deviation of the weights over the draws.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.
    weights_std : ndarray of shape (n_members,)
        Their standard deviation over the draws; only with ``return_std=True``.

    See Also
    --------
    pseudo_bma_weights : Without the bootstrap.
    stacking_weights : Stacking of predictive distributions.

    References
    ----------
    .. [1] Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to
       average Bayesian predictive distributions. Bayesian Analysis 13(3).

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.weights import bb_pseudo_bma_weights
    >>> rng = np.random.default_rng(0)
    >>> pointwise = np.column_stack([rng.normal(-1.0, 0.3, 200), rng.normal(-1.1, 0.3, 200)])
    >>> w, std = bb_pseudo_bma_weights(pointwise, random_state=0, return_std=True)
    >>> bool(w[0] > w[1]), bool(np.isclose(w.sum(), 1.0))
    (True, True)
    """
    lpd = _check_pointwise(pointwise)
    _elpd(lpd)
    rng = numpy_generator(random_state)
    kernel = get_kernel("bayesian_bootstrap", lpd)
    n = lpd.shape[0]
    block = max(1, min(n_bootstrap, (1 << 22) // n))  # about 32 MB of draws at a time
    total = np.zeros(lpd.shape[1])
    total_sq = np.zeros(lpd.shape[1])
    for start in range(0, n_bootstrap, block):
        size = min(block, n_bootstrap - start)
        draws = rng.standard_exponential((size, n))  # Dirichlet(1) = normalised exponentials
        draws /= draws.sum(axis=1, keepdims=True)
        w = kernel(lpd, draws)
        total += w.sum(axis=0)
        total_sq += (w**2).sum(axis=0)
    mean = total / n_bootstrap
    if not return_std:
        return mean
    std = np.sqrt(np.maximum(total_sq / n_bootstrap - mean**2, 0.0))
    return mean, std


@validate_params(
    {"pointwise": ["array-like"], "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def stacking_weights(pointwise, *, sample_weight=None):
    """Stacking of predictive distributions.

    Maximises ``sum_i log sum_m w_m p_m(y_i | x_i)`` over the simplex. Each
    row's densities are divided by their largest (a constant per row, which
    leaves the optimum unchanged), so the optimisation runs on numbers in
    (0, 1] whatever the scale of the log densities; SLSQP with the analytic
    gradient, as :func:`optimized_weights`.

    Parameters
    ----------
    pointwise : array-like of shape (n_samples, n_members)
        Pointwise out-of-sample log predictive densities.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of the objective.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative model weights summing to 1.

    See Also
    --------
    pseudo_bma_weights : Weights from each member's total elpd.
    optimized_weights : The same objective on class probabilities.

    References
    ----------
    .. [1] Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to
       average Bayesian predictive distributions. Bayesian Analysis 13(3).

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.weights import stacking_weights
    >>> # each member explains half of the rows: stacking splits the weight
    >>> pointwise = np.log([[0.9, 0.1], [0.1, 0.9]] * 50)
    >>> stacking_weights(pointwise).round(3)
    array([0.5, 0.5])
    """
    lpd = _check_pointwise(pointwise)
    if lpd.shape[1] == 1:
        return np.ones(1)
    scaled = np.exp(lpd - lpd.max(axis=1, keepdims=True))
    sw = check_sample_weight(sample_weight, lpd.shape[0])
    return _simplex_minimize(scaled, None, sw, True)
