"""Which members matter: their contributions to the fused score and to each
prediction, and one report per fuser.

A member's contribution to the fused out-of-fold (OOF) score is its Shapley
value in the game whose players are the members and whose value of a subset
is the OOF score of the subset fused by the fuser's own rule: the fitted
weights restricted to the subset and renormalised (blenders, Bayesian model
averagers), or the meta-learner refit on the subset's OOF columns (stackers).
The empty subset scores the prior: the class frequencies (classifiers) or
the mean target (regressors) of the OOF rows, or for a stacker with
passthrough columns its meta-learner on those alone. The Shapley values add
up to the fused score minus that baseline.

A weight-space fuser keeps no held-out predictions: its subsets are merged
again as the fit merged them (weights restricted to the subset) and scored
on rows the caller gives; with no member, a task-vector merge is its base
model.

References
----------
.. [1] L. S. Shapley, "A value for n-person games", Contributions to the
   Theory of Games II, 307-317, 1953.
.. [2] S. Castro, D. Gómez and J. Tejada, "Polynomial calculation of the
   Shapley value based on sampling", Computers & Operations Research 36(5),
   1726-1730, 2009.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.metrics import get_scorer_names
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import HasMethods, Interval, StrOptions, validate_params
from ._displays import (
    ContributionDisplay,
    CoverageDisplay,
    DiversityDisplay,
    SelectionPathDisplay,
    WeightsDisplay,
    WeightsHistoryDisplay,
)
from ._kernels import get_kernel, member_list
from ._kernels._contract import SUBSET_LOSSES_MAX_MEMBERS
from ._kernels._reference import subset_weight_totals
from ._oof import is_multi_output, label_codes
from ._scoring import (
    _ReplayClassifier,
    get_scorer,
    score_model,
    score_predictions,
    scores_by_member,
)
from ._utils import check_sample_weight
from .metrics import pairwise_diversity

__all__ = [
    "ContributionDisplay",
    "CoverageDisplay",
    "DiversityDisplay",
    "SelectionPathDisplay",
    "WeightsDisplay",
    "WeightsHistoryDisplay",
    "member_contributions",
    "member_report",
    "per_sample_contributions",
]

# method="auto" enumerates all 2**M subsets up to this many members.
AUTO_EXACT_MAX_MEMBERS = 12
# Scorers computed from the subsets' losses by the ``subset_losses`` kernel.
_LOSS_SCORERS = {
    True: {"neg_log_loss": "log_loss"},
    False: dict.fromkeys(
        [None, "r2", "neg_mean_squared_error", "neg_root_mean_squared_error"], "squared_error"
    ),
}
_ONE_SCORING = [None, StrOptions(set(get_scorer_names())), callable]
_SHAPLEY_PARAMS = {
    "method": [StrOptions({"auto", "exact", "permutation"})],
    "n_permutations": [Interval(numbers.Integral, 2, None, closed="left")],
    "random_state": ["random_state"],
}


def _check_output_fuser(fuser, what):
    """A fitted blender, stacker or averager that kept its OOF fusion data."""
    from ._base import NO_OOF_HINT, _OutputFusion  # the fusers import this module's callers

    check_is_fitted(fuser)
    if not isinstance(fuser, _OutputFusion):
        raise TypeError(
            f"{what} takes a fitted WeightedBlender, OOFStacker or BayesianModelAverager (or "
            f"their regressors); got {type(fuser).__name__}."
        )
    if getattr(fuser, "_fusion_data_", None) is None:
        raise ValueError(
            f"{what} needs the members' out-of-fold predictions, which this "
            f"{type(fuser).__name__} did not make: {NO_OOF_HINT}"
        )


def _check_fuser(fuser, what):
    """A fitted skfusion fuser that keeps what ``what`` reads."""
    from ._base import _BaseFusion
    from ._online import _BaseOnlineBlender

    if isinstance(fuser, _BaseOnlineBlender) and what == "member_contributions":
        raise TypeError(
            "member_contributions scores subsets of members on out-of-fold predictions, "
            f"which an online blender does not keep; member_report({type(fuser).__name__}) "
            "gives each member's cumulative loss and its regret to the best one."
        )
    if not isinstance(fuser, _BaseFusion):
        raise TypeError(
            f"{what} takes a fitted skfusion fuser (a blender, stacker, averager, per-row "
            f"or weight-space fuser); got {type(fuser).__name__}."
        )
    check_is_fitted(fuser)


def _game(fuser, scoring, X, y, sample_weight, what):
    """The subset game of a fitted fuser: on its OOF rows (output fusers), or
    on the given rows ``X, y`` (a weight-space fuser, which keeps none).
    ``scoring=None`` is the fuser's own."""
    from ._weight_space import _BaseWeightSpaceFuser

    _check_fuser(fuser, what)
    scoring = _fuser_scoring(fuser, scoring)
    if isinstance(fuser, _BaseWeightSpaceFuser):
        if X is None or y is None:
            raise ValueError(
                f"{what} scores a WeightSpaceFuser's merged subsets on rows it is given: "
                "pass X and y (held-out rows; the fuser keeps none)."
            )
        return _MergedSubsetScores(fuser, scoring, X, y, sample_weight)
    if X is not None or y is not None or sample_weight is not None:
        raise ValueError(
            f"{what} scores a {type(fuser).__name__}'s subsets on its out-of-fold "
            "predictions; X, y and sample_weight are for a WeightSpaceFuser."
        )
    _check_output_fuser(fuser, what)
    return _SubsetScores(fuser, scoring)


def _fuser_scoring(fuser, scoring):
    """``scoring``, or the fuser's own when None (one metric)."""
    if scoring is not None:
        return scoring
    own = fuser.scoring
    if isinstance(own, (list, tuple, set, dict)):
        raise ValueError(
            f"The fuser's scoring names several metrics ({own!r}); pass scoring= one of them."
        )
    return own


def _prior_values(y, sample_weight, classes):
    """The prior's fused values on every row: class frequencies (side by side
    per output) or the mean target."""
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    y = np.asarray(y)
    if classes is None:
        mean = np.average(y.astype(np.float64), axis=0, weights=sw)
        return np.broadcast_to(mean, y.shape).copy()
    if is_multi_output(classes):
        return np.hstack([_prior_values(y[:, t], sw, c) for t, c in enumerate(classes)])
    frequencies = np.array([sw[y == c].sum() for c in classes]) / sw.sum()
    return np.tile(frequencies, (len(y), 1))


class _Game:
    """A subset of members (a bit mask) -> its score, each subset scored once
    (``_value`` of the boolean members-in mask)."""

    def __call__(self, mask):
        if mask not in self._values:
            self._values[mask] = self._value(_members_in(mask, self.n_members))
        return self._values[mask]


def _members_in(mask, n_members):
    """The boolean members-in vector of a subset's bit mask: a Python int of
    any size (64 members or more do not fit a numpy integer)."""
    packed = np.frombuffer(mask.to_bytes((n_members + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little")[:n_members].astype(bool)


class _SubsetScores(_Game):
    """The game: a subset of members (a bit mask) -> its fused OOF score."""

    def __init__(self, fuser, scoring):
        data = fuser._fusion_data_
        self.fuse, self.y, self.sample_weight = data.fuse, data.y, data.sample_weight
        self.response = data.response
        self.fuser = fuser
        self.classes = getattr(fuser, "classes_", None)
        self.scoring = scoring
        self.scorer = get_scorer(scoring, classifier=self.classes is not None)
        self.n_members = len(fuser._member_names())
        self._values = {}

    def _value(self, members_in):
        fused = self.fuser._subset_fusion(members_in)
        if fused is None:
            fused = _prior_values(self.y, self.sample_weight, self.classes)
        try:
            return score_predictions(
                self.scorer,
                fused,
                self.y,
                classes=self.classes,
                sample_weight=self.sample_weight,
                response=self.response,
            )
        except AttributeError as exc:  # e.g. log-loss of hard votes
            kind = "regression" if self.classes is None else repr(self.response)
            raise ValueError(
                f"scoring={self.scoring!r} cannot score this fuser's fused output, which "
                f"is {kind} values ({exc})."
            ) from exc

    def member_scores(self):
        """Each member's OOF score, as ``member_scores_`` computes it."""
        outputs, responses = self.fuser._scored_member_outputs()
        scores = scores_by_member(
            self.scorer,
            outputs,
            self.fuser._member_names(),
            self.y,
            classes=self.classes,
            sample_weight=self.sample_weight,
            responses=responses,
        )
        return np.array(list(scores.values()))

    def member_predictions(self):
        """Each member's OOF labels (classifiers) or values (regressors)."""
        outputs, responses = self.fuser._scored_member_outputs()
        if self.classes is None:
            return outputs
        rows = np.arange(len(self.y))[:, None]
        return [
            _ReplayClassifier(np.asarray(o), self.classes, response).predict(rows)
            for o, response in zip(outputs, responses)
        ]

    def all_values(self):
        """``(2**M,)``: every subset's score, by the loss kernel where it applies."""
        values = self._values_from_losses()
        if values is None:
            values = np.array([self(mask) for mask in range(1 << self.n_members)])
        return values

    def _values_from_losses(self):
        """Every subset's score from the ``subset_losses`` kernel (Gray-code
        walk over the subsets), when the subsets are linear pools scored by
        log-loss, squared error or R²; else None."""
        weights = self.fuser._linear_pool_weights()
        classifier = self.classes is not None
        scoring = self.scoring if isinstance(self.scoring, str) or self.scoring is None else 0
        loss = _LOSS_SCORERS[classifier].get(scoring)
        if weights is None or loss is None or np.ndim(self.y) != 1:
            return None
        if classifier and is_multi_output(self.classes):
            return None
        inputs = member_list(self.fuse)
        if any(np.ndim(p) != (2 if classifier else 1) for p in inputs):
            return None
        y = label_codes(self.y, self.classes) if classifier else np.asarray(self.y, np.float64)
        sw = np.ones(len(y)) if self.sample_weight is None else self.sample_weight
        if scoring in (None, "r2"):
            mean = np.average(y, weights=sw)
            variance = np.average((y - mean) ** 2, weights=sw)
            if not variance > 0:
                return None  # sklearn's R² of a constant target has its own rules
        losses = get_kernel("subset_losses", inputs)(inputs, y, weights, loss, sw)
        if loss == "log_loss" or scoring == "neg_mean_squared_error":
            values = -losses
        elif scoring == "neg_root_mean_squared_error":
            values = -np.sqrt(losses)
        else:
            values = 1.0 - losses / variance
        values[np.isnan(losses)] = self(0)  # weights summing to 0 fuse nothing
        return values


class _MergedSubsetScores(_Game):
    """The game of a weight-space fuser: a subset -> the score on the given
    rows of its members merged as the fit merged them (weights restricted to
    the subset; no member: the base model of a task-vector merge, else the
    prior)."""

    def __init__(self, fuser, scoring, X, y, sample_weight):
        X, y = fuser._check_X(X, reset=False, y=y)
        self.fuser, self.X, self.y = fuser, X, np.asarray(y)
        self.sample_weight = (
            None if sample_weight is None else check_sample_weight(sample_weight, len(self.y))
        )
        self.classes = getattr(fuser, "classes_", None)
        if self.classes is not None and not is_multi_output(self.classes):
            unknown = np.setdiff1d(self.y, self.classes)
            if len(unknown):
                raise ValueError(
                    f"y holds labels the fuser was not fitted on: {unknown[:5].tolist()}."
                )
        self.scoring = scoring
        self.scorer = get_scorer(scoring, classifier=self.classes is not None)
        self.n_members = len(fuser._member_names())
        self._values = {}

    def _value(self, members_in):
        model = self.fuser._subset_model(members_in)
        if model is not None:
            return self._score(model)
        prior = _prior_values(self.y, self.sample_weight, self.classes)
        return score_predictions(
            self.scorer, prior, self.y, classes=self.classes, sample_weight=self.sample_weight
        )

    def _score(self, model):
        return score_model(self.scorer, model, self.X, self.y, self.sample_weight)

    def all_values(self):
        return None  # subset by subset

    def member_scores(self):
        return np.array([self._score(m) for m in self.members])

    def member_predictions(self):
        return [np.asarray(m.predict(self.X)) for m in self.members]

    @property
    def members(self):
        return self.fuser.estimators_


def _exact_shapley(values, n_members):
    """Shapley values from every subset's value ``(2**M, ...)``: each member's
    marginal gains weighted by ``|S|! (M - |S| - 1)! / M!``."""
    sizes = subset_weight_totals(np.ones(n_members)).astype(np.intp)
    factor = np.array(
        [
            math.factorial(s) * math.factorial(n_members - s - 1) / math.factorial(n_members)
            for s in range(n_members)
        ]
    )
    masks = np.arange(1 << n_members)
    shapley = []
    for m in range(n_members):
        without = masks[(masks >> m) & 1 == 0]
        gains = values[without | (1 << m)] - values[without]
        shapley.append(np.tensordot(factor[sizes[without]], gains, axes=1))
    return np.array(shapley)


def _sampled_shapley(value, n_members, n_permutations, random_state):
    """Mean marginal gains over random orders of the members, and their
    standard errors. In every order the gains add up to v(all) - v(none)."""
    rng = check_random_state(random_state)
    empty = value(0)
    total = squares = 0.0
    for _ in range(n_permutations):
        gains = [None] * n_members
        mask, previous = 0, empty
        for m in rng.permutation(n_members):
            mask |= 1 << int(m)
            current = value(mask)
            gains[m] = current - previous
            previous = current
        gains = np.array(gains)
        total = total + gains
        squares = squares + gains**2
    mean = total / n_permutations
    variance = np.maximum(squares / n_permutations - mean**2, 0.0)
    return mean, np.sqrt(variance * n_permutations / (n_permutations - 1) / n_permutations)


def _shapley(value, n_members, method, n_permutations, random_state, all_values=None):
    """(shapley, standard error, method used, every subset's value or None)."""
    if method == "auto":
        method = "exact" if n_members <= AUTO_EXACT_MAX_MEMBERS else "permutation"
    if method == "exact":
        if n_members > SUBSET_LOSSES_MAX_MEMBERS:
            raise ValueError(
                f"method='exact' enumerates 2**M subsets, up to M={SUBSET_LOSSES_MAX_MEMBERS} "
                f"members; there are {n_members}. Use method='permutation'."
            )
        values = all_values() if all_values is not None else None
        if values is None:
            values = np.array([value(mask) for mask in range(1 << n_members)])
        shapley = _exact_shapley(values, n_members)
        return shapley, np.zeros_like(shapley), method, values
    shapley, std = _sampled_shapley(value, n_members, n_permutations, random_state)
    return shapley, std, method, None


def _contributions(game, method, n_permutations, random_state):
    """Shapley values (and their standard errors), leave-one-out deltas, the
    fused score and the baseline of ``game``."""
    n_members = game.n_members
    shapley, std, used, values = _shapley(
        game, n_members, method, n_permutations, random_state, game.all_values
    )
    value = game if values is None else values.__getitem__
    full = (1 << n_members) - 1
    fused = float(value(full))
    return Bunch(
        names=list(game.fuser._member_names()),
        shapley=shapley,
        shapley_std=std,
        loo=np.array([fused - value(full ^ (1 << m)) for m in range(n_members)]),
        fused_score=fused,
        baseline=float(value(0)),
        method=used,
        scoring=game.scoring,
    )


@validate_params(
    {
        "fuser": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix", None],
        "y": ["array-like", None],
        "sample_weight": ["array-like", None],
        "scoring": _ONE_SCORING,
        **_SHAPLEY_PARAMS,
    },
    prefer_skip_nested_validation=True,
)
def member_contributions(
    fuser,
    X=None,
    y=None,
    *,
    sample_weight=None,
    scoring=None,
    method="auto",
    n_permutations=100,
    random_state=None,
):
    """Each member's Shapley contribution to the fused out-of-fold score.

    The value of a subset of members is the OOF score of their fusion by
    the fuser's own rule (see the module's description): weights restricted
    to the subset and renormalised for blenders and averagers, the
    meta-learner refit on the subset's columns for stackers. A member's
    Shapley value is its marginal gain averaged over all orders in which
    members can join; the values add up to ``fused_score - baseline``.

    Parameters
    ----------
    fuser : fitted fuser
        A :class:`~skfusion.WeightedBlender`, :class:`~skfusion.OOFStacker`
        or :class:`~skfusion.BayesianModelAverager` (or regressor), fitted
        with out-of-fold predictions (a weighting or a scoring), including
        one built by ``from_predictions``, or a
        :class:`~skfusion.WeightSpaceFuser` (or regressor) with X and y.
    X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
        Only for a :class:`~skfusion.WeightSpaceFuser` (or regressor), which
        keeps no held-out predictions: the rows on which each subset's merged
        model is scored (held-out rows, for an honest answer). The other
        fusers use their OOF predictions and take no X.
    y : array-like of shape (n_samples,), default=None
        The targets of X.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of X (a weight-space fuser only; the other fusers weigh
        their OOF rows as their fit did).
    scoring : str or callable, default=None
        One sklearn scorer; None is the fuser's ``scoring`` (its default,
        accuracy or R², when that is None). Scores are greater-is-better, so
        a positive contribution helps.
    method : {"auto", "exact", "permutation"}, default="auto"
        ``"exact"`` scores all ``2**M`` subsets; ``"permutation"`` samples
        orders of the members (Castro et al. 2009) and reports standard
        errors; ``"auto"`` is exact up to 12 members. Linear pools (soft and
        rank voting, Bayesian model averaging) of a 1-D y scored by
        log-loss, squared error or R² are scored all at once by a kernel that walks the
        subsets in Gray-code order; others subset by subset.
    n_permutations : int, default=100
        Orders sampled by ``method="permutation"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampled orders.

    Returns
    -------
    contributions : Bunch
        ``names`` (the fitted members, in ``estimators`` order),
        ``shapley`` and ``shapley_std`` (standard errors; 0 when exact),
        ``loo`` (leave-one-out deltas: the fused score minus that of all
        members but one), ``fused_score`` (all members), ``baseline`` (no
        member), ``method`` (the one used) and ``scoring``.

    See Also
    --------
    per_sample_contributions : How much each member moves each prediction.
    member_report : Weights, scores and contributions in one table.
    skfusion.metrics.pairwise_diversity : How differently members err.

    References
    ----------
    .. [1] L. S. Shapley, "A value for n-person games", Contributions to
       the Theory of Games II, 307-317, 1953.
    .. [2] S. Castro, D. Gómez and J. Tejada, "Polynomial calculation of
       the Shapley value based on sampling", Computers & Operations
       Research 36(5), 1726-1730, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfusion import WeightedBlender
    >>> from skfusion.inspection import member_contributions
    >>> X, y = load_iris(return_X_y=True)
    >>> blender = WeightedBlender(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())],
    ...     weighting="optimize", random_state=0).fit(X, y)
    >>> result = member_contributions(blender, scoring="neg_log_loss")
    >>> bool(abs(result.shapley.sum() - (result.fused_score - result.baseline)) < 1e-12)
    True
    """
    game = _game(fuser, scoring, X, y, sample_weight, "member_contributions")
    return _contributions(game, method, n_permutations, random_state)


def _linear_terms(fuser, X):
    """Per member, its weighted output on X for the fusers whose output is
    the weighted sum of their members': ``(terms (n, M[, k]), output kind)``."""
    from ._blending import _BaseBlender

    n_members = len(fuser._member_names())
    X, _ = fuser._check_X(X, reset=False)
    cache = fuser._output_cache(X)
    classes = getattr(fuser, "classes_", None)
    if isinstance(fuser, _BaseBlender):
        active = [(m, w) for m, w, *_ in fuser._active_members()]
        if classes is None:
            outputs = [fuser._test_output(cache, m, "predict") for m, _ in active]
            kind = "predict"
        elif fuser._voting == "hard":
            codes = [fuser._test_label_codes(cache, m) for m, _ in active]
            width = sum(len(c) for c in classes) if is_multi_output(classes) else len(classes)
            outputs = [_one_hot(c, classes, width) for c in codes]
            kind = "vote_shares"
        else:
            outputs = fuser._class_scores(X)[0]
            kind = "predict_proba"
    elif classes is not None:  # Bayesian model averager
        active = fuser._active_members()
        outputs = fuser._member_outputs(X, log=False)[0]
        kind = "predict_proba"
    else:
        active = fuser._active_members()
        outputs = [fuser._test_output(cache, m, "predict_std")[:, 0] for m, _ in active]
        kind = "predict"
    weights = np.array([w for _, w in active], dtype=np.float64)
    weights /= weights.sum()
    first = np.asarray(outputs[0])
    terms = np.zeros((first.shape[0], n_members) + first.shape[1:])
    for (m, _), w, output in zip(active, weights, outputs):
        terms[:, m] = w * np.asarray(output, dtype=np.float64)
    return terms, kind


def _per_row_terms(fuser, X):
    """A per-row fuser's terms: each member's output on X times its weight
    on each row (vote shares of its label, with ``voting="hard"``)."""
    weights, outputs = fuser._weights_and_outputs(X)
    classes = getattr(fuser, "classes_", None)
    if classes is not None and getattr(fuser, "voting", "soft") == "hard":
        outputs = [_one_hot(np.argmax(o, axis=1), classes, len(classes)) for o in outputs]
        kind = "vote_shares"
    else:
        kind = "predict" if classes is None else "predict_proba"
    outputs = [np.asarray(o, dtype=np.float64) for o in outputs]
    terms = np.stack(
        [w.reshape((-1,) + (1,) * (o.ndim - 1)) * o for w, o in zip(weights.T, outputs)], axis=1
    )
    return terms, kind


def _online_terms(fuser, X):
    """An online blender's terms: each member's output on X (its ``transform``
    columns) times its current weight."""
    outputs = np.asarray(fuser.transform(X), dtype=np.float64)
    n_members = len(fuser.weights_)
    outputs = outputs.reshape(len(outputs), n_members, -1)
    if outputs.shape[2] == 1 and not hasattr(fuser, "classes_"):
        outputs = outputs[:, :, 0]
    terms = fuser.weights_.reshape((1, -1) + (1,) * (outputs.ndim - 2)) * outputs
    if not hasattr(fuser, "classes_"):
        return terms, "predict"
    return terms, "predict_proba" if hasattr(fuser, "predict_proba") else "vote_shares"


def _one_hot(codes, classes, width):
    """Label codes (one column per output) as one-hot columns side by side."""
    codes = np.asarray(codes).reshape(len(codes), -1)
    offsets = np.cumsum([0] + [len(c) for c in classes[:-1]]) if codes.shape[1] > 1 else [0]
    hot = np.zeros((len(codes), width))
    for t, offset in enumerate(offsets):
        hot[np.arange(len(codes)), offset + codes[:, t]] = 1.0
    return hot


def _linear_terms_of(final, meta, columns, passthrough, classifier):
    """(terms, base, kind, "linear") when the meta-learner's output is its
    coefficients times the meta-features plus its intercept (checked on
    these rows: a generalised linear model's ``predict`` is not), else None."""
    coef, intercept = getattr(final, "coef_", None), getattr(final, "intercept_", None)
    if coef is None or intercept is None or np.ndim(coef) > 2:
        return None
    kind = "decision_function" if classifier else "predict"
    if not hasattr(final, kind):
        return None
    coef = np.atleast_2d(coef)  # (outputs, meta columns)
    if coef.shape[1] != meta.shape[1]:
        return None
    intercept = np.atleast_1d(intercept).astype(np.float64)
    terms = np.stack([meta[:, c] @ coef[:, c].T for c in columns], axis=1)
    base = meta[:, passthrough] @ coef[:, passthrough].T + intercept
    if coef.shape[0] == 1:
        terms, base = terms[..., 0], base[:, 0]
    output = np.asarray(getattr(final, kind)(meta), dtype=np.float64)
    if output.shape != base.shape or not np.allclose(
        terms.sum(axis=1) + base, output, rtol=1e-9, atol=1e-9
    ):
        return None
    return terms, base, kind, "linear"


def _stacker_terms(fuser, X, method, n_permutations, random_state):
    """A stacker's member terms: exact for a linear meta-learner, else the
    Shapley values of its output with absent members' columns at their OOF
    means. ``(terms, base, output kind, method used)``."""
    final = fuser.final_estimator_
    if isinstance(final, list):
        raise ValueError(
            "per_sample_contributions does not split a stacker with one meta-learner per "
            "output; fit it with a meta-learner that takes every output."
        )
    meta = fuser.transform(X)
    meta = meta.toarray() if hasattr(meta, "toarray") else np.asarray(meta, np.float64)
    columns = fuser._member_meta_columns_
    n_members = len(columns)
    passthrough = np.arange(sum(len(c) for c in columns), meta.shape[1])
    classifier = hasattr(fuser, "classes_")
    linear = _linear_terms_of(final, meta, columns, passthrough, classifier)
    if linear is not None:
        return linear
    kind = "predict_proba" if classifier and hasattr(final, "predict_proba") else "predict"

    def answer(rows):
        output = getattr(final, kind)(rows)
        # A multi-output meta-learner's probabilities: each output's side by side.
        return np.hstack(output) if isinstance(output, list) else output

    oof_meta = fuser._fusion_data_.learn
    reference = np.asarray(oof_meta.mean(axis=0), dtype=np.float64).reshape(-1)

    def value(mask):
        absent = [c for m, c in enumerate(columns) if not (mask >> m) & 1]
        rows = meta.copy()
        for c in absent:
            rows[:, c] = reference[c]
        return np.asarray(answer(rows), dtype=np.float64)

    shapley, _, used, values = _shapley(value, n_members, method, n_permutations, random_state)
    terms = np.moveaxis(shapley, 0, 1)  # (n, M[, k])
    base = values[0] if values is not None else value(0)
    return terms, base, kind, used


@validate_params(
    {"fuser": [HasMethods(["fit"])], "X": ["array-like", "sparse matrix"], **_SHAPLEY_PARAMS},
    prefer_skip_nested_validation=True,
)
def per_sample_contributions(fuser, X, *, method="auto", n_permutations=100, random_state=None):
    """How much each member moves each row's fused output.

    The terms add up, with ``base``, to the fused output on every row:
    ``terms.sum(axis=1) + base == output``.

    - Blenders and Bayesian model averagers: member m's term is ``w_m *
      output_m`` (normalised weights; ``base`` is 0). The output is
      ``predict_proba`` (soft and rank voting, averagers), ``predict``
      (regressors) or the weighted vote shares (hard voting, whose
      ``predict`` is their argmax).
    - Per-row fusers (:class:`~skfusion.DynamicSelector`,
      :class:`~skfusion.GatedBlender` and their regressors): member m's
      term is its output times its weight on that row (``predict_weights``;
      ``base`` is 0), of the same kinds of output. The soft classifiers'
      ``predict_proba`` is that sum clipped to [0, 1] (it differs by rounding).
    - Online blenders: member m's term is its output times its current
      weight (``weights_``; ``base`` is 0).
    - Stackers with a linear meta-learner (one whose ``decision_function``,
      for classifiers, or ``predict`` is ``coef_`` times the meta-features
      plus ``intercept_``, which is checked on X: a generalised linear
      model's ``predict`` is not): member m's term is the coefficients
      times the member's columns; ``base`` is the intercept plus the
      passthrough columns' terms.
    - Other stackers (an approximation): the Shapley values of the
      meta-learner's ``predict_proba`` (else ``predict``) with the columns of
      absent members set to their OOF means; ``base`` is the output with
      every member absent. Exact up to 12 members (``2**M`` meta-learner
      calls on X), sampled above (see ``method``).

    With several outputs, a classifier's class columns are side by side
    (each output's in turn), where its ``predict_proba`` gives a list.
    A classifier fitted with ``calibration`` calibrates the sum: the terms
    add up to its probabilities before calibration (``output_kind`` is
    ``"uncalibrated_proba"``), and ``fuser.calibrator_.transform(output)``
    is ``predict_proba``.

    Parameters
    ----------
    fuser : fitted fuser
        A fitted :class:`~skfusion.WeightedBlender`,
        :class:`~skfusion.OOFStacker`,
        :class:`~skfusion.BayesianModelAverager`,
        :class:`~skfusion.DynamicSelector`, :class:`~skfusion.GatedBlender`
        or :class:`~skfusion.OnlineBlender` (or regressor).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows to explain (test predictions for a fuser built by
        ``from_predictions``).
    method : {"auto", "exact", "permutation"}, default="auto"
        Only for a stacker with a non-linear meta-learner, as in
        :func:`member_contributions`.
    n_permutations : int, default=100
        Orders sampled by ``method="permutation"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampled orders.

    Returns
    -------
    contributions : Bunch
        ``terms`` ``(n_samples, n_members[, n_columns])`` (members in
        ``estimators`` order, dropped ones left out), ``base`` ``(n_samples[,
        n_columns])``, ``output`` (their sum), ``output_kind`` (the method
        whose output they add up to, or ``"vote_shares"``), ``names`` and
        ``method`` (``"linear"`` where the terms are exact by construction).

    See Also
    --------
    member_contributions : Contributions to the fused OOF score.
    member_report : Weights, scores and contributions in one table.

    References
    ----------
    .. [1] S. M. Lundberg and S.-I. Lee, "A unified approach to interpreting
       model predictions", NeurIPS 30, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfusion import WeightedBlender
    >>> from skfusion.inspection import per_sample_contributions
    >>> X, y = load_iris(return_X_y=True)
    >>> blender = WeightedBlender(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())],
    ...     weighting="optimize", random_state=0).fit(X, y)
    >>> parts = per_sample_contributions(blender, X[:3])
    >>> parts.terms.shape
    (3, 2, 3)
    >>> np.allclose(parts.terms.sum(axis=1), blender.predict_proba(X[:3]))
    True
    """
    from ._dynamic import _PerSampleFusion
    from ._online import _BaseOnlineBlender
    from ._stacking import _BaseStacker
    from ._weight_space import _BaseWeightSpaceFuser

    _check_fuser(fuser, "per_sample_contributions")
    if isinstance(fuser, _BaseWeightSpaceFuser):
        raise TypeError(
            "A WeightSpaceFuser predicts with one merged model, whose output does not split "
            "into member terms; member_contributions(fuser, X, y) credits the members for "
            "its score."
        )
    base, used = None, "linear"  # base: 0 where the output is the terms' sum
    if isinstance(fuser, _BaseOnlineBlender):
        terms, kind = _online_terms(fuser, X)
    elif isinstance(fuser, _BaseStacker):
        _check_output_fuser(fuser, "per_sample_contributions")
        terms, base, kind, used = _stacker_terms(fuser, X, method, n_permutations, random_state)
    else:
        _check_output_fuser(fuser, "per_sample_contributions")
        linear = _per_row_terms if isinstance(fuser, _PerSampleFusion) else _linear_terms
        terms, kind = linear(fuser, X)
    if base is None:
        base = np.zeros((terms.shape[0],) + terms.shape[2:])
    if kind == "predict_proba" and getattr(fuser, "calibrator_", None) is not None:
        kind = "uncalibrated_proba"  # predict_proba is calibrator_.transform(output)
    return Bunch(
        terms=terms,
        base=base,
        output=terms.sum(axis=1) + base,
        output_kind=kind,
        names=list(fuser._member_names()),
        method=used,
    )


def _metrics(fuser, scoring):
    """``{column suffix: one scoring}`` for the report: one metric (no suffix)
    or several (``scoring`` or the fuser's, a list, tuple, set or dict)."""
    scoring = fuser.scoring if scoring is None else scoring
    if isinstance(scoring, dict):
        return {f"_{name}": s for name, s in scoring.items()}
    if isinstance(scoring, (list, tuple, set)):
        return {f"_{name}": name for name in scoring}
    return {"": scoring}


def _residual_correlations(predictions, y, sample_weight=None):
    """``(M, M)`` correlations of the models' residuals (outputs flattened),
    rows weighted by ``sample_weight``."""
    y = np.asarray(y, dtype=np.float64)
    residuals = np.array(
        [(np.asarray(p, np.float64) - y).ravel() for p in member_list(predictions)]
    )
    weights = None
    if sample_weight is not None:
        weights = np.repeat(np.asarray(sample_weight, np.float64), residuals.shape[1] // len(y))
    covariance = np.atleast_2d(np.cov(residuals, aweights=weights))
    scale = np.sqrt(np.diag(covariance))
    with np.errstate(divide="ignore", invalid="ignore"):
        return covariance / np.outer(scale, scale)


def _member_diversity(game, measure):
    """``(M, M)``: a pairwise measure of the members' predictions in ``game``:
    of whether each is right (classifiers; a multi-output row is right when
    every output is) or the correlation of the residuals (regressors)."""
    predictions, y = game.member_predictions(), game.y
    if game.classes is None:
        return _residual_correlations(predictions, y, game.sample_weight)
    if is_multi_output(game.classes):
        y = np.asarray(y)
        predictions = [np.all(p == y, axis=1).astype(int) for p in predictions]
        y = np.ones(len(y), dtype=int)
    return pairwise_diversity(predictions, y, measure=measure, sample_weight=game.sample_weight)


def _mean_correlations(game):
    """Per member, its mean correlation with the others (NaN pairs left out)."""
    matrix = _member_diversity(game, "correlation")
    n_members = len(matrix)
    off_diagonal = ~np.eye(n_members, dtype=bool)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a member with no defined pair
        return np.array([np.nanmean(matrix[m][off_diagonal[m]]) for m in range(n_members)])


@validate_params(
    {
        "fuser": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix", None],
        "y": ["array-like", None],
        "sample_weight": ["array-like", None],
        "scoring": [*_ONE_SCORING, list, tuple, set, dict],
        **_SHAPLEY_PARAMS,
    },
    prefer_skip_nested_validation=True,
)
def member_report(
    fuser,
    X=None,
    y=None,
    *,
    sample_weight=None,
    scoring=None,
    method="auto",
    n_permutations=100,
    random_state=None,
):
    """One table of what each member brings: weight, score, contribution.

    Parameters
    ----------
    fuser : fitted fuser
        A fitted :class:`~skfusion.WeightedBlender`,
        :class:`~skfusion.OOFStacker` or
        :class:`~skfusion.BayesianModelAverager` (or regressor), fitted with
        out-of-fold predictions, including one built by
        ``from_predictions``, or a :class:`~skfusion.WeightSpaceFuser` (or
        regressor) with X and y; or a :class:`~skfusion.Distiller` (or
        regressor) fitted with a ``validation`` share; or an
        :class:`~skfusion.OnlineBlender` (or regressor).
    X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
        Only for a :class:`~skfusion.WeightSpaceFuser` (or regressor), which
        keeps no held-out predictions: the rows on which each subset's merged
        model is scored (held-out rows, for an honest answer). The other
        fusers use their OOF predictions and take no X.
    y : array-like of shape (n_samples,), default=None
        The targets of X.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of X (a weight-space fuser only; the other fusers weigh
        their OOF rows as their fit did).
    scoring : str, callable, list, tuple, set or dict, default=None
        One metric or several, as the fusers' ``scoring``; None is the
        fuser's ``scoring``. With several, the score, Shapley and
        leave-one-out columns are suffixed with each metric's name.
    method : {"auto", "exact", "permutation"}, default="auto"
        How Shapley values are computed, as in :func:`member_contributions`.
    n_permutations : int, default=100
        Orders sampled by ``method="permutation"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampled orders.

    Returns
    -------
    report : pandas.DataFrame
        One row per fitted member (by name) and a ``"fused"`` row. Columns:
        ``weight`` and ``weight_std`` (NaN where the fuser has none: a
        stacker's members have no weight), ``score`` (the member's OOF score;
        the fused row's is the fused OOF score), ``shapley``, ``shapley_std``
        and ``loo`` (see :func:`member_contributions`; the fused row's
        ``shapley`` is their sum, the fused score minus the no-member
        baseline), and ``mean_correlation`` with the other members (of
        whether each is right, for classifiers; of the OOF residuals, for
        regressors).

        For a per-row fuser (:class:`~skfusion.DynamicSelector`,
        :class:`~skfusion.GatedBlender` and their regressors), ``weight`` is
        ``static_weights_`` (NaN when ``shrinkage_`` is 0) and the fused row
        has ``shrinkage``, its ``shrinkage_``: 1 is the static blend on
        every row (the rule's gain was within noise).

        For an online blender: one row per member and a ``"fused"`` row,
        with the ``weight`` now, the ``cumulative_loss`` and ``mean_loss``
        (per unit of sample weight) over the rows predicted before they were
        learnt, and the ``regret`` to the best member.

        For a distiller: one row per model of its validation comparison
        (``"teacher"``, ``"student"``: the distilled one,
        ``"direct_student"``: the one trained on the labels), its
        ``validation_scores_`` as columns, and ``predicts``: whether the
        distiller kept that kind of student (as ``student_``, fitted again on
        all rows when ``refit=True``).

    See Also
    --------
    member_contributions : The Shapley and leave-one-out columns.
    skfusion.metrics.pairwise_diversity : The correlations, pair by pair.

    References
    ----------
    .. [1] L. S. Shapley, "A value for n-person games", Contributions to
       the Theory of Games II, 307-317, 1953.
    .. [2] L. I. Kuncheva and C. J. Whitaker, "Measures of diversity in
       classifier ensembles and their relationship with the ensemble
       accuracy", Machine Learning 51, 181-207, 2003.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfusion import WeightedBlender
    >>> from skfusion.inspection import member_report
    >>> X, y = load_iris(return_X_y=True)
    >>> blender = WeightedBlender(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())],
    ...     weighting="optimize", random_state=0).fit(X, y)
    >>> report = member_report(blender)
    >>> list(report.index)
    ['lr', 'nb', 'fused']
    >>> list(report.columns)[:4]
    ['weight', 'weight_std', 'score', 'shapley']
    """
    from ._distill import _BaseDistiller
    from ._online import _BaseOnlineBlender

    if isinstance(fuser, _BaseDistiller):
        return _distiller_report(fuser)
    if isinstance(fuser, _BaseOnlineBlender):
        return _online_report(fuser)
    _check_fuser(fuser, "member_report")
    names = list(fuser._member_names())
    # A per-row fuser's one weight per member: the static weights it shrinks toward.
    weights = getattr(fuser, "weights_", getattr(fuser, "static_weights_", None))
    weights_std = getattr(fuser, "weights_std_", None)
    nan = np.full(len(names), np.nan)
    columns = {
        "weight": nan if weights is None else np.asarray(weights, float),
        "weight_std": nan if weights_std is None else np.asarray(weights_std, float),
    }
    fused_row = {"weight": np.nan, "weight_std": np.nan}
    for suffix, metric in _metrics(fuser, scoring).items():
        game = _game(fuser, metric, X, y, sample_weight, "member_report")
        parts = _contributions(game, method, n_permutations, random_state)
        columns[f"score{suffix}"] = game.member_scores()
        columns[f"shapley{suffix}"] = parts.shapley
        columns[f"shapley_std{suffix}"] = parts.shapley_std
        columns[f"loo{suffix}"] = parts.loo
        fused_row.update(
            {
                f"score{suffix}": parts.fused_score,
                f"shapley{suffix}": parts.fused_score - parts.baseline,
                f"shapley_std{suffix}": np.nan,
                f"loo{suffix}": np.nan,
            }
        )
    columns["mean_correlation"] = _mean_correlations(game)
    fused_row["mean_correlation"] = np.nan
    shrinkage = getattr(fuser, "shrinkage_", None)
    if shrinkage is not None:  # a per-row fuser: how much of its rule it keeps
        columns["shrinkage"] = nan
        fused_row["shrinkage"] = shrinkage
    table = {key: np.append(values, fused_row[key]) for key, values in columns.items()}
    import pandas as pd  # a dependency, imported when a report is made

    return pd.DataFrame(table, index=pd.Index([*names, "fused"], name="member"))


def _online_report(blender):
    """An online blender's stream so far, one row per member and the blend."""
    check_is_fitted(blender)
    import pandas as pd

    names = [*blender._member_names(), "fused"]
    cumulative = np.append(blender.cumulative_losses_, blender.fused_cumulative_loss_)
    seen = blender._scored_weight if blender._scored_weight > 0 else np.nan
    report = pd.DataFrame(
        {
            "weight": np.append(blender.weights_, np.nan),
            "cumulative_loss": cumulative,
            "mean_loss": cumulative / seen,
            "regret": cumulative - blender.cumulative_losses_.min(),
        },
        index=pd.Index(names, name="member"),
    )
    return report


def _distiller_report(distiller):
    """A distiller's validation comparison, one row per model."""
    check_is_fitted(distiller)
    if distiller.validation_scores_ is None:
        raise ValueError(
            f"This {type(distiller).__name__} was fitted without a validation share "
            "(validation=None or fewer than 10 rows): it compared no models to report."
        )
    import pandas as pd

    report = pd.DataFrame.from_dict(distiller.validation_scores_, orient="index")
    report.index.name = "model"
    report["predicts"] = report.index == ("student" if distiller.distilled_ else "direct_student")
    return report
