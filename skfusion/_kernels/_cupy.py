"""GPU kernels, written against an array namespace ``xp``.

With ``xp=cupy`` (the default, imported on first use) they run on the GPU;
the same code runs with ``xp=numpy``, which is how CI checks its logic on a
machine without a GPU. Numpy inputs given to the GPU engine are copied to the
device and the result is copied back, so callers get the array type they gave.
"""

import numpy as np

from . import _reference
from ._reference import LOG_LOSS_EPS, member_list


def _cupy():
    import cupy

    return cupy


def _is_device_array(a):
    return type(a).__module__.split(".")[0] == "cupy"


def _namespace_and_members(predictions, xp):
    """Resolve ``xp`` and return the members as arrays of that namespace."""
    if isinstance(predictions, (list, tuple)):
        on_device = any(_is_device_array(p) for p in predictions)
    else:
        on_device = _is_device_array(predictions)
    if xp is None:
        xp = _cupy()
    return xp, member_list(predictions, xp), on_device or xp is np


def _to_caller(a, xp, keep_on_device):
    return a if keep_on_device or xp is np else xp.asnumpy(a)


def _float_dtype(xp, members):
    dtype = xp.result_type(*[a.dtype for a in members])
    return dtype if xp.issubdtype(dtype, xp.floating) else xp.float64


_axpy_kernel = None


def _axpy(xp, w, p, out):
    """``out += w * p`` without a temporary (a fused elementwise kernel on cupy)."""
    global _axpy_kernel
    if xp is np:
        out += out.dtype.type(w) * p
        return
    if _axpy_kernel is None:
        _axpy_kernel = xp.ElementwiseKernel("T p, T w", "T out", "out += w * p", "skfusion_axpy")
    _axpy_kernel(p, out.dtype.type(w), out)


# One pass over all members: each thread sums its element across the members,
# read through an array of device pointers, so the output is written once
# instead of read and written once per member.
_SOFT_VOTE_SOURCE = r"""
template <typename T>
__global__ void skfusion_soft_vote(const unsigned long long* members, const T* weights,
                                   const int n_members, const long long n, T* out) {
    const long long stride = (long long)blockDim.x * gridDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        T acc = 0;
        for (int m = 0; m < n_members; ++m) {
            acc += weights[m] * reinterpret_cast<const T*>(members[m])[i];
        }
        out[i] = acc;
    }
}
"""
_soft_vote_module = None


def _fused_soft_vote(cupy, members, weights, dtype):
    global _soft_vote_module
    if _soft_vote_module is None:
        _soft_vote_module = cupy.RawModule(
            code=_SOFT_VOTE_SOURCE,
            options=("-std=c++14",),
            name_expressions=("skfusion_soft_vote<float>", "skfusion_soft_vote<double>"),
        )
    ctype = "float" if dtype == np.float32 else "double"
    kernel = _soft_vote_module.get_function(f"skfusion_soft_vote<{ctype}>")
    kept = [(w, p) for w, p in zip(weights, members) if w != 0]
    pointers = cupy.asarray([p.data.ptr for _, p in kept], dtype=cupy.uint64)
    w = cupy.asarray([w for w, _ in kept], dtype=dtype)
    out = cupy.empty(members[0].shape, dtype=dtype)
    n = out.size
    threads = 256
    blocks = min(max(1, -(-n // threads)), 65535 * 8)
    kernel((blocks,), (threads,), (pointers, w, np.int32(len(kept)), np.int64(n), out))
    return out


def soft_vote(predictions, weights, xp=None):
    """Weighted sum of the members' predictions (see ``_reference.soft_vote``)."""
    xp, members, keep = _namespace_and_members(predictions, xp)
    dtype = _float_dtype(xp, members)
    weights = np.asarray(weights, dtype=np.float64).tolist()
    fused = (
        xp is not np
        and dtype in (np.float32, np.float64)
        and any(w != 0 for w in weights)
        and all(p.dtype == dtype and p.flags.c_contiguous for p in members)
    )
    if fused:
        return _to_caller(_fused_soft_vote(xp, members, weights, dtype), xp, keep)
    out = xp.zeros(members[0].shape, dtype=dtype)
    for w, p in zip(weights, members):
        if w != 0:
            _axpy(xp, w, p.astype(dtype, copy=False), out)
    return _to_caller(out, xp, keep)


def simplex_deviation(predictions, active, xp=None):
    """Each member's smallest value and largest row-sum distance from 1 (see
    ``_reference.simplex_deviation``), two reductions a member on the device."""
    xp, members, _ = _namespace_and_members(predictions, xp)
    out = np.zeros((len(active), 2))
    for m, p in enumerate(members):
        if active[m] and p.size:
            p = p.astype(xp.float64, copy=False)
            out[m] = float(p.min()), float(xp.abs(p.sum(axis=1) - 1.0).max())
            if np.isnan(out[m]).any():
                out[m] = np.nan
    return out


def hard_vote(labels, weights, n_classes, xp=None):
    """Weighted plurality vote (see ``_reference.hard_vote``)."""
    xp, members, keep = _namespace_and_members(labels, xp)
    n = members[0].shape[0]
    counts = xp.zeros((n, n_classes))
    rows = xp.arange(n)
    for w, lab in zip(np.asarray(weights, dtype=np.float64).tolist(), members):
        lab = lab.astype(xp.intp)
        if n and (int(lab.min()) < 0 or int(lab.max()) >= n_classes):
            raise ValueError("hard_vote: a label is outside [0, n_classes).")
        counts[rows, lab] += w  # one label per row: no repeated index in one update
    return _to_caller(xp.argmax(counts, axis=1).astype(xp.intp), xp, keep)


def rank_map(scores, sorted_reference, xp=None):
    """Mid-rank quantiles in the reference (see ``_reference.rank_map``)."""
    xp, (scores,), keep = _namespace_and_members([scores], xp)
    reference = xp.asarray(sorted_reference)
    dtype = _float_dtype(xp, [scores])
    if scores.ndim == 1:
        out = rank_map(scores[:, None], reference.reshape(-1, 1), xp=xp)[:, 0]
        return _to_caller(out, xp, keep)
    out = xp.empty(scores.shape, dtype=dtype)
    n_ref = reference.shape[0]
    for j in range(scores.shape[1]):
        col = xp.ascontiguousarray(reference[:, j])
        below = xp.searchsorted(col, scores[:, j], side="left")
        below_or_equal = xp.searchsorted(col, scores[:, j], side="right")
        out[:, j] = (below + below_or_equal) / (2.0 * n_ref)
    return _to_caller(out, xp, keep)


def _scored_members(members, y, loss, sample_weight, xp):
    """``(M, n)``: what the loss reads of each member (the true class's
    probability, or the prediction), never ``(M, n, k)``; and the row weights."""
    n = y.shape[0]
    sw = xp.ones(n) if sample_weight is None else xp.asarray(sample_weight, dtype=xp.float64)
    if loss == "log_loss":
        rows = xp.arange(n)
        scored = [p[rows, y.astype(xp.intp)].astype(xp.float64) for p in members]
    else:
        scored = [p.reshape(n).astype(xp.float64) for p in members]
    return xp.stack(scored), sw


def _pointwise(blends, y, loss, xp):
    """Pointwise loss of blends ``(..., n)`` of the scored quantity."""
    if loss == "log_loss":
        return -xp.log(xp.maximum(blends, LOG_LOSS_EPS))
    return (blends - y) ** 2


def caruana_select(predictions, y, n_iter, loss="log_loss", sample_weight=None, xp=None):
    """Greedy forward selection (see ``_reference.caruana_select``)."""
    xp, members, _ = _namespace_and_members(predictions, xp)
    y = xp.asarray(y)
    scored, sw = _scored_members(members, y, loss, sample_weight, xp)
    running = xp.zeros(y.shape[0])
    total_weight = sw.sum()
    picks = np.empty(n_iter, dtype=np.intp)
    losses = np.empty(n_iter)
    for t in range(n_iter):
        pointwise = _pointwise((running[None, :] + scored) / (t + 1), y[None, :], loss, xp)
        candidate = (pointwise @ sw) / total_weight
        best = int(xp.argmin(candidate))
        picks[t], losses[t] = best, float(candidate[best])
        running += scored[best]
    return picks, losses


# Subset blends made at once: (subsets, n) float64 is at most this many elements.
_SUBSET_BLOCK_ELEMENTS = 1 << 24


def subset_losses(predictions, y, weights, loss="log_loss", sample_weight=None, xp=None):
    """Loss of every subset's blend (see ``_reference.subset_losses``): the
    blends of a block of subsets are one matrix product of their normalised
    weights with the members' scored quantity."""
    xp, members, _ = _namespace_and_members(predictions, xp)
    y = xp.asarray(y)
    scored, sw = _scored_members(members, y, loss, sample_weight, xp)
    weights = np.asarray(weights, dtype=np.float64)
    n_members, n = len(weights), y.shape[0]
    totals = _reference.subset_weight_totals(weights)
    masks = np.arange(len(totals))
    inside = (masks[:, None] >> np.arange(n_members)) & 1  # (2**M, M)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = inside * weights / totals[:, None]
    out = np.full(len(totals), np.nan)
    defined = np.flatnonzero(totals > 0)
    step = max(1, _SUBSET_BLOCK_ELEMENTS // max(n, 1))
    for start in range(0, len(defined), step):
        block = defined[start : start + step]
        blends = xp.asarray(normalised[block]) @ scored  # (block, n)
        pointwise = _pointwise(blends, y[None, :], loss, xp)
        out[block] = _to_caller((pointwise @ sw) / sw.sum(), xp, False)
    return out


# Test rows whose (rows, calibration rows) candidates are made at once.
_CV_PLUS_BLOCK_ELEMENTS = 1 << 24


def cv_plus_bounds(fold_predictions, fold_of, residuals, low_rank, high_rank, scale=None, xp=None):
    """CV+ bounds (see ``_reference.cv_plus_bounds``), blocks of test rows at
    once: each block's candidates gathered and partitioned on the device."""
    xp = _cupy() if xp is None else xp
    keep = _is_device_array(fold_predictions) or xp is np
    mu = xp.asarray(fold_predictions, dtype=xp.float64)
    fold_of = xp.asarray(fold_of)
    residuals = xp.asarray(residuals, dtype=xp.float64)
    scale = None if scale is None else xp.asarray(scale, dtype=xp.float64)
    n, n_test = residuals.shape[0], mu.shape[0]
    bounds = xp.empty((n_test, 2))
    step = max(1, _CV_PLUS_BLOCK_ELEMENTS // max(n, 1))
    for start in range(0, n_test, step):
        rows = slice(start, start + step)
        centres = mu[rows][:, fold_of]
        spread = residuals[None, :] if scale is None else scale[rows, None] * residuals[None, :]
        if 1 <= low_rank <= n:
            bounds[rows, 0] = xp.partition(centres - spread, low_rank - 1, axis=1)[:, low_rank - 1]
        else:  # no such candidate: below all of them, or above
            bounds[rows, 0] = -xp.inf if low_rank < 1 else xp.inf
        if high_rank <= n:
            bounds[rows, 1] = xp.partition(centres + spread, high_rank - 1, axis=1)[
                :, high_rank - 1
            ]
        else:
            bounds[rows, 1] = xp.inf
    return _to_caller(bounds, xp, keep)


def local_competence(competence, neighbours, rule, xp=None):
    """Competence summaries on each row's neighbours (see
    ``_reference.local_competence``), one neighbour rank at a time so that
    nothing of ``(n, k, M)`` is held."""
    xp = _cupy() if xp is None else xp
    keep = _is_device_array(competence) or xp is np
    competence = xp.asarray(competence)
    neighbours = xp.asarray(neighbours)
    dtype = _float_dtype(xp, [competence])
    k = neighbours.shape[1]
    if rule == "mean":
        out = xp.zeros((neighbours.shape[0], competence.shape[1]), dtype=xp.float64)
        for j in range(k):
            out += competence[neighbours[:, j]]
        out /= k
    else:
        out = xp.full((neighbours.shape[0], competence.shape[1]), k, dtype=xp.float64)
        running = xp.ones(out.shape, dtype=bool)
        for j in range(k):
            wrong = competence[neighbours[:, j]] == 0
            out[running & wrong] = j
            running &= ~wrong
    return _to_caller(out.astype(dtype, copy=False), xp, keep)


def online_weights(losses, log_weights, rates, share, xp=None):
    """Exponential weights with fixed share (see ``_reference.online_weights``).

    Hedge (``share=0``) has a closed form, the softmax of minus the
    rate-weighted cumulative losses, computed for all rows at once; fixed
    share is a recursion through the rows, run on the host.
    """
    xp = _cupy() if xp is None else xp
    keep = _is_device_array(losses) or xp is np
    share = share.get() if _is_device_array(share) else np.asarray(share)
    if share.size and share.max() > 0:
        host = [a.get() if _is_device_array(a) else np.asarray(a) for a in (losses, log_weights)]
        rates = rates.get() if _is_device_array(rates) else np.asarray(rates)
        weights, final = _reference.online_weights(*host, rates, share)
        return (
            (weights, final) if xp is np or not keep else (xp.asarray(weights), xp.asarray(final))
        )
    losses = xp.asarray(losses, dtype=xp.float64)
    steps = xp.asarray(rates, dtype=xp.float64)[:, None] * losses
    start = xp.asarray(log_weights, dtype=xp.float64)[None, :]
    logs = xp.concatenate([start, start - xp.cumsum(steps, axis=0)])
    top = logs.max(axis=1, keepdims=True)
    logs -= top + xp.log(xp.exp(logs - top).sum(axis=1, keepdims=True))
    return _to_caller(xp.exp(logs[:-1]), xp, keep), _to_caller(logs[-1], xp, keep)


def log_mixture(log_densities, weights, xp=None):
    """Log of the weighted mixture (see ``_reference.log_mixture``)."""
    xp, members, keep = _namespace_and_members(log_densities, xp)
    dtype = _float_dtype(xp, members)
    kept = [
        (w, a) for w, a in zip(np.asarray(weights, dtype=np.float64).tolist(), members) if w > 0
    ]
    top = None
    for w, a in kept:
        v = a.astype(xp.float64) + np.log(w)
        top = v if top is None else xp.maximum(top, v)
    top_finite = xp.where(xp.isfinite(top), top, 0.0)
    total = xp.zeros_like(top_finite)
    for w, a in kept:
        total += xp.exp(a.astype(xp.float64) + np.log(w) - top_finite)
    out = top_finite + xp.log(total)
    return _to_caller(out.astype(dtype), xp, keep)


def bayesian_bootstrap(pointwise, alpha, xp=None):
    """Pseudo-BMA+ weight draws (see ``_reference.bayesian_bootstrap``)."""
    xp, (pointwise,), keep = _namespace_and_members([pointwise], xp)
    alpha = xp.asarray(alpha, dtype=xp.float64)
    z = pointwise.shape[0] * (alpha @ pointwise.astype(xp.float64))
    z -= z.max(axis=1, keepdims=True)
    w = xp.exp(z)
    return _to_caller(w / w.sum(axis=1, keepdims=True), xp, keep)


# ---------------------------------------------------------------------------
# weight-space merging: the reference's array code in the namespace xp
# ---------------------------------------------------------------------------
def weighted_average_params(tensors, weights, xp=None):
    """Weighted sum of same-shaped tensors (see ``_reference.weighted_average_params``)."""
    xp, members, keep = _namespace_and_members(list(tensors), xp)
    flat = soft_vote([m.reshape(-1) for m in members], weights, xp=xp)
    return _to_caller(flat.reshape(members[0].shape), xp, keep)


def ties_merge(tensors, base, density, weights, scaling, xp=None):
    """TIES-merging of one parameter (see ``_reference.ties_merge``)."""
    xp, members, keep = _namespace_and_members(list(tensors), xp)
    out = _reference.ties_merge(members, xp.asarray(base), density, weights, scaling, xp=xp)
    return _to_caller(out, xp, keep)


def dare_merge(tensors, base, density, weights, scaling, seeds, xp=None):
    """DARE of one parameter (see ``_reference.dare_merge``)."""
    xp, members, keep = _namespace_and_members(list(tensors), xp)
    out = _reference.dare_merge(members, xp.asarray(base), density, weights, scaling, seeds, xp=xp)
    return _to_caller(out, xp, keep)
