"""Readable numpy versions of every kernel: the truth each backend is tested against.

Shared conventions of all kernels (see ``skfusion._kernels``):

- ``predictions`` is a sequence of ``M`` arrays of one shape (one per member),
  or one array whose axis 1 is the member axis: ``(n, M)`` or ``(n, M, k)``.
- ``weights`` has one entry per member and is used as given (callers
  normalise); members of weight 0 contribute nothing.
- Floating inputs keep their dtype; integer inputs give float64.
"""

import numpy as np

LOG_LOSS_EPS = np.finfo(np.float64).eps


def member_list(predictions, xp=np):
    """Return ``predictions`` as a list of per-member arrays (views, no copies).

    ``xp`` is the array namespace (numpy, or cupy for the GPU kernels).
    """
    if not isinstance(predictions, (list, tuple)):
        predictions = xp.asarray(predictions)
        if predictions.ndim < 2:
            raise ValueError(
                "A stacked predictions array needs a member axis (axis 1); got shape "
                f"{predictions.shape}."
            )
        return [predictions[:, m] for m in range(predictions.shape[1])]
    arrays = [xp.asarray(p) for p in predictions]
    if not arrays:
        raise ValueError("predictions holds no member.")
    shape = arrays[0].shape
    for m, a in enumerate(arrays):
        if a.shape != shape:
            raise ValueError(
                f"Every member's predictions must have one shape; member 0 has {shape}, "
                f"member {m} has {a.shape}."
            )
    return arrays


def result_dtype(arrays):
    dtype = np.result_type(*[a.dtype for a in arrays])
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def soft_vote(predictions, weights):
    """Weighted sum ``sum_m weights[m] * predictions[m]``."""
    arrays = member_list(predictions)
    dtype = result_dtype(arrays)
    out = np.zeros(arrays[0].shape, dtype=dtype)
    for w, p in zip(weights, arrays):
        if w != 0:
            out += dtype.type(w) * p.astype(dtype, copy=False)
    return out


def hard_vote(labels, weights, n_classes):
    """Weighted plurality vote of class indices; ties go to the lowest index."""
    arrays = member_list(labels)
    n = arrays[0].shape[0]
    counts = np.zeros((n, n_classes))
    rows = np.arange(n)
    for w, lab in zip(weights, arrays):
        np.add.at(counts, (rows, lab.astype(np.intp)), w)
    return np.argmax(counts, axis=1).astype(np.intp)


def rank_map(scores, sorted_reference):
    """Mid-rank quantile of each score within its column of the reference.

    ``(#reference < s + #reference <= s) / (2 * n_reference)``: 0 below every
    reference value, 1 above every one, ties counted half.
    """
    scores = np.asarray(scores)
    reference = np.asarray(sorted_reference)
    dtype = result_dtype([scores])
    if scores.ndim == 1:
        return rank_map(scores[:, None], reference.reshape(-1, 1))[:, 0]
    n_ref = reference.shape[0]
    out = np.empty(scores.shape, dtype=dtype)
    for j in range(scores.shape[1]):
        below = np.searchsorted(reference[:, j], scores[:, j], side="left")
        below_or_equal = np.searchsorted(reference[:, j], scores[:, j], side="right")
        out[:, j] = (below + below_or_equal) / (2.0 * n_ref)
    return out


def _pointwise_loss(blend, y, loss):
    if loss == "log_loss":
        p_true = blend[np.arange(len(y)), y]
        return -np.log(np.clip(p_true, LOG_LOSS_EPS, None))
    return (blend - y) ** 2


def caruana_select(predictions, y, n_iter, loss="log_loss", sample_weight=None):
    """Caruana et al. (2004) greedy forward selection with replacement.

    Each round adds the member whose inclusion gives the lowest loss of the
    ensemble mean; ties go to the lowest member index. ``loss`` is
    ``"log_loss"`` (members' predictions are ``(n, k)`` probabilities and ``y``
    holds class indices) or ``"squared_error"`` (``(n,)`` predictions, float
    ``y``). Returns the picks ``(n_iter,)`` and the loss after each pick.
    """
    arrays = member_list(predictions)
    y = np.asarray(y)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    running_sum = np.zeros(arrays[0].shape)
    picks = np.empty(n_iter, dtype=np.intp)
    losses = np.empty(n_iter)
    for t in range(n_iter):
        candidate_losses = [
            np.average(_pointwise_loss((running_sum + p) / (t + 1), y, loss), weights=sw)
            for p in arrays
        ]
        best = int(np.argmin(candidate_losses))
        picks[t], losses[t] = best, candidate_losses[best]
        running_sum += arrays[best]
    return picks, losses


def log_mixture(log_densities, weights):
    """``log sum_m weights[m] * exp(log_densities[m])``, computed in log space.

    Members of weight 0 are left out (their log-densities may be -inf).
    """
    arrays = member_list(log_densities)
    dtype = result_dtype(arrays)
    kept = [(w, a) for w, a in zip(weights, arrays) if w > 0]
    stacked = np.stack([a.astype(np.float64) + np.log(w) for w, a in kept])
    top = stacked.max(axis=0)
    top_finite = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = top_finite + np.log(np.exp(stacked - top_finite).sum(axis=0))
    return out.astype(dtype)


def bayesian_bootstrap(pointwise, alpha):
    """Pseudo-BMA+ weight draws: ``softmax(n * alpha @ pointwise)`` per draw.

    ``pointwise`` is ``(n, M)`` pointwise log predictive densities, ``alpha``
    ``(B, n)`` Dirichlet(1) draws over the rows; returns ``(B, M)`` weights.
    """
    pointwise = np.asarray(pointwise, dtype=np.float64)
    z = pointwise.shape[0] * (np.asarray(alpha, dtype=np.float64) @ pointwise)
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(axis=1, keepdims=True)
