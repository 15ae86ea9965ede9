"""Diversity of models: how differently their predictions err; and the
scores of prediction sets and intervals (coverage, width, size).

Pairwise measures of Kuncheva & Whitaker (2003) on the models' *oracle
outputs* (whether each model is right on each row), their ensemble-level
averages, and for regression the ambiguity decomposition of the ensemble's
squared error (Krogh & Vedelsby 1995), whose terms add up exactly. They take
any prediction arrays; a fitted fuser's ``oof_predictions_`` is the usual
input.

For a pair of models (i, j), with sample weights, let N11 be the weight of
the rows both get right, N00 of those both get wrong, N10 and N01 of those
only i, or only j, gets right, and N their sum:

- Q-statistic: ``(N11 N00 - N01 N10) / (N11 N00 + N01 N10)``, in [-1, 1];
  0 for independent models, negative when they err on different rows.
- correlation: ``(N11 N00 - N01 N10) / sqrt((N11 + N10)(N01 + N00)(N11 +
  N01)(N10 + N00))``, the correlation of the two oracle outputs.
- disagreement: ``(N01 + N10) / N``, the share of rows where exactly one
  is right.
- double fault: ``N00 / N``, the share of rows both get wrong.

All four come from one weighted Gram matrix of the oracle outputs, computed
in blocks of rows with BLAS: one pass over the rows, no ``(M, M, n)``
temporary, memory bounded by a block.

References
----------
.. [1] L. I. Kuncheva and C. J. Whitaker, "Measures of diversity in
   classifier ensembles and their relationship with the ensemble accuracy",
   Machine Learning 51, 181-207, 2003.
.. [2] A. Krogh and J. Vedelsby, "Neural network ensembles, cross
   validation, and active learning", NIPS 7, 1995.
"""

import numpy as np

from ._compat import StrOptions, validate_params
from ._kernels import member_list
from ._utils import check_sample_weight
from .weights import check_weights

__all__ = [
    "ambiguity_decomposition",
    "coverage_score",
    "diversity",
    "interval_width",
    "pairwise_diversity",
    "set_size",
]

MEASURES = ("q_statistic", "correlation", "disagreement", "double_fault")
# Rows of oracle outputs multiplied at once: (block, M) float64, a few MB.
_BLOCK_ROWS = 1 << 15


def _oracle_outputs(predictions, y):
    """Whether each model is right on each row: a list of boolean (n,) arrays.

    A model's 1-D predictions are labels; 2-D ones are class scores whose
    columns follow the sorted classes of ``y`` (their argmax is the label).
    """
    models = member_list(predictions)
    y = np.asarray(y)
    classes = np.unique(y)
    right = []
    for m, p in enumerate(models):
        p = np.asarray(p)
        if len(p) != len(y):
            raise ValueError(f"Model {m} has {len(p)} rows but y has {len(y)}.")
        if p.ndim == 2:
            if p.shape[1] != len(classes):
                raise ValueError(
                    f"Model {m} gives {p.shape[1]} class scores but y has {len(classes)} "
                    "classes; give one column per class (sorted), or labels."
                )
            p = classes[np.argmax(p, axis=1)]
        right.append(p == y)
    return right


def _pair_counts(predictions, y, sample_weight):
    """(N11, N1, N): the weighted Gram matrix of the oracle outputs, each
    model's weight of right rows, and the total weight."""
    right = _oracle_outputs(predictions, y)
    n, n_models = len(right[0]), len(right)
    sample_weight = check_sample_weight(sample_weight, n)
    gram = np.zeros((n_models, n_models))
    block = np.empty((min(_BLOCK_ROWS, n), n_models))
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n)
        rows = block[: stop - start]
        for m, r in enumerate(right):
            rows[:, m] = r[start:stop]
        weighted = rows * sample_weight[start:stop, None]
        gram += weighted.T @ rows
    return gram, np.diag(gram).copy(), sample_weight.sum()


def _measure(measure, n11, n1, total):
    n10 = n1[:, None] - n11
    n01 = n1[None, :] - n11
    n00 = total - n1[:, None] - n1[None, :] + n11
    # Counts derived by subtraction are exact for whole weights; with others,
    # an empty cell may come out at a rounding error, not 0.
    for count in (n10, n01, n00):
        count[np.abs(count) <= 1e-12 * total] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "disagreement":
            return (n01 + n10) / total
        if measure == "double_fault":
            return n00 / total
        cross = n11 * n00 - n01 * n10
        if measure == "q_statistic":
            return cross / (n11 * n00 + n01 * n10)
        return cross / np.sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00))


@validate_params(
    {
        "predictions": ["array-like"],
        "y": ["array-like"],
        "measure": [StrOptions(set(MEASURES))],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def pairwise_diversity(predictions, y, *, measure="q_statistic", sample_weight=None):
    """A pairwise diversity measure of classifiers, ``(n_models, n_models)``.

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        One array per model: labels ``(n_samples,)`` or class scores
        ``(n_samples, n_classes)`` (columns in sorted class order; the
        argmax is the label), or one array with models on axis 1, such as a
        fuser's ``oof_predictions_``.
    y : array-like of shape (n_samples,)
        The true labels.
    measure : {"q_statistic", "correlation", "disagreement", "double_fault"}, \
            default="q_statistic"
        See the module's description. Lower Q, correlation and double fault,
        and higher disagreement, mean more diverse models.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    matrix : ndarray of shape (n_models, n_models)
        Symmetric. Its diagonal compares a model with itself (Q and
        correlation 1, disagreement 0, double fault its weighted error
        rate). NaN where a measure is undefined (a model right, or wrong,
        on every row makes the Q-statistic's or the correlation's
        denominator 0).

    See Also
    --------
    diversity : The averages over pairs.
    ambiguity_decomposition : Diversity of regressors.

    References
    ----------
    .. [1] L. I. Kuncheva and C. J. Whitaker, "Measures of diversity in
       classifier ensembles and their relationship with the ensemble
       accuracy", Machine Learning 51, 181-207, 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.metrics import pairwise_diversity
    >>> y = np.array([0, 0, 1, 1])
    >>> pairwise_diversity([np.array([0, 0, 1, 0]), np.array([0, 1, 1, 1])], y,
    ...                    measure="disagreement")
    array([[0. , 0.5],
           [0.5, 0. ]])
    """
    return _measure(measure, *_pair_counts(predictions, y, sample_weight))


@validate_params(
    {
        "predictions": ["array-like"],
        "y": ["array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def diversity(predictions, y, *, sample_weight=None):
    """Every pairwise measure averaged over the pairs of distinct classifiers.

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        As in :func:`pairwise_diversity`.
    y : array-like of shape (n_samples,)
        The true labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    summary : dict
        ``{measure: mean over pairs i < j}`` for each measure of
        :func:`pairwise_diversity` (undefined pairs left out; NaN if all
        are), the averages of Kuncheva & Whitaker (2003).

    See Also
    --------
    pairwise_diversity : The matrices.

    References
    ----------
    .. [1] L. I. Kuncheva and C. J. Whitaker, "Measures of diversity in
       classifier ensembles and their relationship with the ensemble
       accuracy", Machine Learning 51, 181-207, 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.metrics import diversity
    >>> y = np.array([0, 0, 1, 1])
    >>> diversity([np.array([0, 0, 1, 0]), np.array([0, 1, 1, 1])], y)["double_fault"]
    0.0
    """
    counts = _pair_counts(predictions, y, sample_weight)
    upper = np.triu_indices(len(counts[1]), k=1)
    summary = {}
    for measure in MEASURES:
        values = _measure(measure, *counts)[upper]
        values = values[np.isfinite(values)]
        summary[measure] = float(values.mean()) if len(values) else float("nan")
    return summary


@validate_params(
    {
        "predictions": ["array-like"],
        "y": ["array-like"],
        "weights": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def ambiguity_decomposition(predictions, y, *, weights=None, sample_weight=None):
    """The ensemble's squared error as the members' error minus their ambiguity.

    For a weighted average ``f = sum_m w_m f_m`` of regressors (weights
    summing to 1), on every row ``(f - y)^2 = sum_m w_m (f_m - y)^2 -
    sum_m w_m (f_m - f)^2`` (Krogh & Vedelsby 1995): the ensemble is better
    than its average member by exactly the spread of the members around
    it. The terms here are row means (weighted by ``sample_weight``), so
    ``ensemble_error == average_error - ambiguity`` to rounding.

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        One ``(n_samples,)`` or ``(n_samples, n_outputs)`` array per model,
        or one array with models on axis 1 (a fuser's ``oof_predictions_``).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The targets (several outputs: errors summed over them).
    weights : array-like of shape (n_models,), default=None
        The ensemble's member weights (normalised to sum 1), such as a
        fuser's ``weights_``; None is equal weights.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    decomposition : dict
        ``ensemble_error``, ``average_error`` (the weighted mean of the
        members' errors), ``ambiguity`` (their weighted spread around the
        ensemble) and ``member_errors`` (an array, one per model).

    See Also
    --------
    pairwise_diversity : Diversity of classifiers.

    References
    ----------
    .. [1] A. Krogh and J. Vedelsby, "Neural network ensembles, cross
       validation, and active learning", NIPS 7, 1995.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.metrics import ambiguity_decomposition
    >>> parts = ambiguity_decomposition([np.array([1.0, 2.0]), np.array([3.0, 2.0])],
    ...                                 np.array([2.0, 2.0]))
    >>> parts["ensemble_error"], parts["average_error"], parts["ambiguity"]
    (0.0, 0.5, 0.5)
    """
    models = [np.asarray(p, dtype=np.float64) for p in member_list(predictions)]
    y = np.asarray(y, dtype=np.float64)
    if any(p.shape != y.shape for p in models):
        raise ValueError(
            f"Every model's predictions must have the shape of y {y.shape}; got "
            f"{sorted({p.shape for p in models})}."
        )
    w = check_weights(weights, len(models))
    rows = check_sample_weight(sample_weight, len(y))
    rows = rows / rows.sum()
    fused = sum(w_m * p for w_m, p in zip(w, models))

    def mean_over_rows(squares):
        per_row = squares if squares.ndim == 1 else squares.sum(axis=1)
        return float(rows @ per_row)

    member_errors = np.array([mean_over_rows((p - y) ** 2) for p in models])
    spread = sum(w_m * mean_over_rows((p - fused) ** 2) for w_m, p in zip(w, models))
    return {
        "ensemble_error": mean_over_rows((fused - y) ** 2),
        "average_error": float(w @ member_errors),
        "ambiguity": float(spread),
        "member_errors": member_errors,
    }


def _is_sets(y_pred):
    return np.asarray(y_pred).dtype == bool


def _refuse_rows(bad, what):
    """A ValueError saying in how many rows, and first where, ``bad`` holds
    (any entry of a row's outputs or bounds)."""
    if bad.ndim > 1:
        bad = bad.any(axis=tuple(range(1, bad.ndim)))
    rows = np.flatnonzero(bad)
    if len(rows):
        raise ValueError(f"{what} in {len(rows)} row(s) (first: row {rows[0]}).")


def _check_truth(y_true):
    """A missing truth is no row to cover: NaN (or None) is an error, not a miss."""
    if y_true.dtype.kind in "fc":
        missing = np.isnan(y_true)
    elif y_true.dtype == object:
        from pandas import isna

        missing = np.asarray(isna(y_true), dtype=bool)
    else:
        return
    _refuse_rows(missing, "y_true holds NaN")


def _check_bounds(y_pred):
    """Interval bounds as floats. NaN, or a lower bound above the upper, is an
    error: either would count as a miss, or as a negative width."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    _refuse_rows(np.isnan(y_pred), "y_pred holds NaN")
    _refuse_rows(y_pred[..., 0] > y_pred[..., 1], "y_pred has a lower bound above the upper")
    return y_pred


def _label_columns(y_true, labels):
    """Each true label's column among ``labels`` (the sets' columns, in the
    order given, not sorted) and whether it is one of them at all."""
    order = np.argsort(labels, kind="stable")
    ranked = labels[order]
    repeated = ranked[1:][ranked[1:] == ranked[:-1]].tolist()
    if len(repeated):
        raise ValueError(f"labels holds {repeated[0]!r} more than once: one label per column.")
    position = np.searchsorted(ranked, y_true).clip(0, len(labels) - 1)
    return order[position], ranked[position] == y_true


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def coverage_score(y_true, y_pred, *, labels=None, sample_weight=None):
    """The share of rows whose prediction set or interval holds the truth.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True labels (sets) or values (intervals); NaN is an error.
    y_pred : array-like
        Prediction sets, boolean ``(n_samples, n_labels)`` (as
        ``predict_set`` gives them), or intervals, ``(n_samples, 2)`` or
        ``(n_samples, n_outputs, 2)`` lower and upper bounds (as
        ``predict_interval`` gives them; a row of several outputs is covered
        when every output is). A NaN bound, or a lower bound above the
        upper, is an error.
    labels : array-like of shape (n_labels,), default=None
        The labels of the sets' columns, in the columns' order (any order,
        each label once; a fuser's ``classes_``); None is the sorted labels
        of ``y_true``, which must then be as many as the columns.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    coverage : float
        The weighted share of covered rows, in [0, 1].

    See Also
    --------
    interval_width : The intervals' mean width.
    set_size : The sets' mean size.

    References
    ----------
    .. [1] V. Vovk, A. Gammerman and G. Shafer, "Algorithmic Learning in a
       Random World", Springer, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.metrics import coverage_score
    >>> coverage_score([0, 1], np.array([[True, False], [True, False]]))
    0.5
    >>> coverage_score([1.0, 5.0], np.array([[0.0, 2.0], [0.0, 2.0]]))
    0.5
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    weights = check_sample_weight(sample_weight, len(y_true))
    if len(y_pred) != len(y_true):
        raise ValueError(f"y_pred has {len(y_pred)} rows but y_true has {len(y_true)}.")
    _check_truth(y_true)
    if _is_sets(y_pred):
        labels = np.unique(y_true) if labels is None else np.asarray(labels)
        if y_pred.ndim != 2 or y_pred.shape[1] != len(labels):
            raise ValueError(
                f"Prediction sets need one column per label ({len(labels)}); got shape "
                f"{y_pred.shape}. Pass labels= (a fuser's classes_)."
            )
        column, known = _label_columns(y_true, labels)
        covered = known & y_pred[np.arange(len(y_true)), column]
    else:
        if y_pred.shape[-1] != 2 or y_pred.shape[:-1] != y_true.shape:
            raise ValueError(
                "Intervals are (n_samples, 2) or (n_samples, n_outputs, 2) lower and upper "
                f"bounds for y_true of shape {y_true.shape}; got {y_pred.shape}."
            )
        y_pred = _check_bounds(y_pred)
        inside = (y_pred[..., 0] <= y_true) & (y_true <= y_pred[..., 1])
        covered = inside if inside.ndim == 1 else inside.all(axis=1)
    return float(np.average(covered, weights=weights))


@validate_params(
    {"y_pred": ["array-like"], "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def interval_width(y_pred, *, sample_weight=None):
    """The mean width of prediction intervals (upper minus lower bound).

    Parameters
    ----------
    y_pred : array-like of shape (n_samples, 2) or (n_samples, n_outputs, 2)
        Lower and upper bounds; a NaN bound, or a lower bound above the
        upper, is an error.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    width : float or ndarray of shape (n_outputs,)
        The weighted mean width (one per output for several outputs).

    See Also
    --------
    coverage_score : How often the intervals hold the truth.

    References
    ----------
    .. [1] R. F. Barber, E. J. Candès, A. Ramdas and R. J. Tibshirani,
       "Predictive inference with the jackknife+", Annals of Statistics
       49(1), 486-507, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.metrics import interval_width
    >>> interval_width(np.array([[0.0, 2.0], [1.0, 2.0]]))
    1.5
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_pred.ndim not in (2, 3) or y_pred.shape[-1] != 2:
        raise ValueError(
            f"Intervals are (n_samples, 2) or (n_samples, n_outputs, 2); got {y_pred.shape}."
        )
    y_pred = _check_bounds(y_pred)
    widths = y_pred[..., 1] - y_pred[..., 0]
    mean = np.average(widths, axis=0, weights=check_sample_weight(sample_weight, len(widths)))
    return float(mean) if np.ndim(mean) == 0 else mean


@validate_params(
    {"y_pred": ["array-like"], "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def set_size(y_pred, *, sample_weight=None):
    """The mean number of labels in prediction sets.

    Parameters
    ----------
    y_pred : array-like of shape (n_samples, n_labels)
        Boolean prediction sets (as ``predict_set`` gives them).
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    size : float
        The weighted mean set size.

    See Also
    --------
    coverage_score : How often the sets hold the truth.

    References
    ----------
    .. [1] Y. Romano, M. Sesia and E. J. Candès, "Classification with valid
       and adaptive coverage", NeurIPS 33, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.metrics import set_size
    >>> set_size(np.array([[True, True], [True, False]]))
    1.5
    """
    y_pred = np.asarray(y_pred)
    if not _is_sets(y_pred) or y_pred.ndim != 2:
        raise ValueError(f"Prediction sets are boolean (n_samples, n_labels); got {y_pred.shape}.")
    weights = check_sample_weight(sample_weight, len(y_pred))
    return float(np.average(y_pred.sum(axis=1), weights=weights))
