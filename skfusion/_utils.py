"""Small private helpers shared by several modules."""

import numpy as np
from sklearn.utils import check_random_state


def check_sample_weight(sample_weight, n, *, all_zero=False, labels=None):
    """Row weights as floats: ones when None; one per row, finite,
    non-negative, not all zero (unless ``all_zero``: a batch of a stream may
    weigh nothing). With class ``labels`` (1-D), the rows of positive weight
    must hold two classes at least: a fit on the others learns one class."""
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,):
        raise ValueError(f"sample_weight must have one entry per row ({n}); got shape {sw.shape}.")
    bad = ~np.isfinite(sw) | (sw < 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"sample_weight must be finite and non-negative; {int(bad.sum())} row(s) are not "
            f"(first: row {row}, weight {sw[row]:g})."
        )
    if not all_zero and not np.any(sw > 0):
        raise ValueError("sample_weight is zero on every row; one row at least needs weight > 0.")
    if labels is not None and np.ndim(labels) == 1 and np.any(sw > 0):
        weighed = np.unique(np.asarray(labels)[sw > 0]).tolist()
        if len(weighed) < 2:
            raise ValueError(
                f"sample_weight is zero on every row of all classes but {weighed[0]!r}: the "
                "rows of weight > 0 must hold at least 2 classes."
            )
    return sw


def off_simplex_rows(values, tolerance, column_groups=None):
    """Mask of the rows of class probabilities that are no distribution, or
    None when every row is one.

    A row is a distribution when its values are non-negative and sum to 1
    within ``tolerance`` (each group of ``column_groups``, a list of column
    slices, on its own: one per output of a multi-output classifier). One
    column, or 1-D values, is a binary model's probability of the positive
    class: in [0, 1]. The common case, every row fine, costs a minimum and
    one matrix-vector product of row sums, nothing row by row.
    """
    values = np.asarray(values)
    if values.size == 0:
        return None
    if values.ndim == 1 or values.shape[1] == 1:
        off = (values < 0) | (values > 1)
        return off.reshape(len(values), -1)[:, 0] if off.any() else None
    groups = column_groups or [slice(None)]
    sums = [values[:, cols] @ np.ones(values[:, cols].shape[1]) for cols in groups]
    if values.min() >= 0 and all(np.abs(s - 1.0).max() <= tolerance for s in sums):
        return None
    off = np.any(values < 0, axis=1)
    for s in sums:
        off |= ~(np.abs(s - 1.0) <= tolerance)  # NaN sums count as off
    return off


def is_frame(X):
    """Whether X is a DataFrame (has columns and positional rows)."""
    return hasattr(X, "columns") and hasattr(X, "iloc")


def numpy_generator(random_state):
    """A numpy Generator seeded from an sklearn ``random_state``.

    Generator draws exponentials and Dirichlet vectors several times faster
    than the legacy RandomState; seeding it from random_state keeps results
    repeatable.
    """
    return np.random.default_rng(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def true_class_columns(members, y_index):
    """``(n, M)``: each member's score of each row's true class (gathered, not stacked)."""
    rows = np.arange(len(y_index))
    return np.column_stack([np.asarray(p)[rows, y_index] for p in members]).astype(np.float64)


def row_log_losses(members, y_index, floor=1e-15):
    """``(n, M)``: each member's log-loss on each row, its probability of the
    true class floored at ``floor``."""
    return -np.log(np.clip(true_class_columns(members, y_index), floor, None))


def row_squared_errors(members, y):
    """``(n, M)``: each member's squared error on each row (the mean over the
    outputs of a 2-D y)."""
    y = np.asarray(y, dtype=np.float64)
    squared = [(np.asarray(o, np.float64) - y) ** 2 for o in members]
    return np.stack([s.reshape(len(y), -1).mean(axis=1) for s in squared], axis=1)


def paired_mean_and_error(differences, sample_weight=None):
    """Weighted mean over rows (the last axis) of per-row loss differences
    and its standard error: how far one model's loss exceeds another's on
    the same rows, and how much of that is noise (the one-standard-error
    rules)."""
    differences = np.asarray(differences, dtype=np.float64)
    w = np.ones(differences.shape[-1]) if sample_weight is None else np.asarray(sample_weight)
    mean = differences @ w / w.sum()
    spread = np.average((differences - mean[..., None]) ** 2, weights=w, axis=-1)
    return mean, np.sqrt(spread * np.sum(w**2)) / w.sum()
