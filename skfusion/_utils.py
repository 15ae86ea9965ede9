"""Small private helpers shared by several modules."""

import numpy as np
from sklearn.utils import check_random_state


def check_sample_weight(sample_weight, n, *, all_zero=False):
    """Row weights as floats: ones when None; finite, non-negative, not all
    zero (unless ``all_zero``: a batch of a stream may weigh nothing)."""
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if (
        sw.shape != (n,)
        or np.any(sw < 0)
        or not np.all(np.isfinite(sw))
        or (sw.sum() <= 0 and not all_zero)
    ):
        raise ValueError(
            "sample_weight must be finite, non-negative, "
            + ("" if all_zero else "not all zero ")
            + f"and have one entry per row ({n}); got shape {sw.shape}."
        )
    return sw


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
