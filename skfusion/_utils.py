"""Small private helpers shared by several modules."""

import numpy as np
from sklearn.utils import check_random_state


def check_sample_weight(sample_weight, n):
    """Row weights as floats: ones when None; finite, non-negative, not all zero."""
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,) or np.any(sw < 0) or not np.all(np.isfinite(sw)) or sw.sum() <= 0:
        raise ValueError(
            "sample_weight must be finite, non-negative, not all zero and have one "
            f"entry per row ({n}); got shape {sw.shape}."
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
