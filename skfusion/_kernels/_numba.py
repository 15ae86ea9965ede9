"""Numba CPU kernels: the same public names and results as ``_reference``.

Member arrays are passed to the compiled code as a tuple, so a list of ``M``
arrays is read where it lies and never stacked into one ``(M, n, k)`` block;
a stacked array (members on axis 1) has its own loop over rows. Outputs are
accumulated block by block so that the block stays in cache while the members
stream past it. No kernel uses ``parallel=True``: numba's default threading
layer aborts when called from several joblib threads at once, and these
kernels are bound by memory bandwidth on two cores.
"""

import numba
import numpy as np

from ._reference import LOG_LOSS_EPS, member_list, result_dtype

_BLOCK = 2048  # elements of output accumulated while all members stream past


def _jit(func):
    # cache=True needs a writable cache directory; without one numba refuses
    # at decoration time, so compile per process instead of failing to import.
    try:
        return numba.njit(cache=True, nogil=True)(func)
    except RuntimeError:
        return numba.njit(nogil=True)(func)


@_jit
def _soft_vote_members(members, weights, out):
    n = out.shape[0]
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        for i in range(start, stop):
            out[i] = 0
        for m in range(len(members)):
            w = weights[m]
            if w == 0:
                continue
            p = members[m]
            for i in range(start, stop):
                out[i] += w * p[i]


@_jit
def _soft_vote_stacked(stacked, weights, out):
    n, n_members, k = stacked.shape
    for i in range(n):
        for j in range(k):
            out[i, j] = 0
        for m in range(n_members):
            w = weights[m]
            if w == 0:
                continue
            for j in range(k):
                out[i, j] += w * stacked[i, m, j]


@_jit
def _argmax_rows(counts, start, stop, out):
    for i in range(start, stop):
        row = counts[i - start]
        best = 0
        for c in range(1, row.shape[0]):
            if row[c] > row[best]:
                best = c
        out[i] = best


@_jit
def _hard_vote_members(members, weights, n_classes, out):
    n = out.shape[0]
    block = max(1, _BLOCK // n_classes)
    counts = np.zeros((block, n_classes))
    for start in range(0, n, block):
        stop = min(start + block, n)
        counts[:] = 0
        for m in range(len(members)):
            w = weights[m]
            labels = members[m]
            for i in range(start, stop):
                c = labels[i]
                if c < 0 or c >= n_classes:
                    raise ValueError("hard_vote: a label is outside [0, n_classes).")
                counts[i - start, c] += w
        _argmax_rows(counts, start, stop, out)


@_jit
def _hard_vote_stacked(labels, weights, n_classes, out):
    n, n_members = labels.shape
    counts = np.zeros((1, n_classes))
    for i in range(n):
        counts[:] = 0
        for m in range(n_members):
            c = labels[i, m]
            if c < 0 or c >= n_classes:
                raise ValueError("hard_vote: a label is outside [0, n_classes).")
            counts[0, c] += weights[m]
        _argmax_rows(counts, 0, 1, out[i:])


@_jit
def _rank_map(scores, reference, out):
    n, k = scores.shape
    n_ref = reference.shape[0]
    for i in range(n):
        for j in range(k):
            s = scores[i, j]
            lo, hi = 0, n_ref
            while lo < hi:  # first reference value >= s
                mid = (lo + hi) >> 1
                if reference[mid, j] < s:
                    lo = mid + 1
                else:
                    hi = mid
            below = lo
            hi = n_ref
            while lo < hi:  # first reference value > s
                mid = (lo + hi) >> 1
                if reference[mid, j] <= s:
                    lo = mid + 1
                else:
                    hi = mid
            out[i, j] = (below + lo) / (2.0 * n_ref)


@_jit
def _caruana(members, y, n_iter, sample_weight, log_loss, picks, losses):
    # Only each row's running sum of the scored quantity is kept (the true
    # class's probability for log-loss, the prediction for squared error), so
    # a candidate costs O(n), not a rescoring of the whole (n, k) ensemble.
    n = y.shape[0]
    running = np.zeros(n)
    total_weight = sample_weight.sum()
    for t in range(n_iter):
        best, best_loss = 0, np.inf
        for m in range(len(members)):
            p = members[m]
            acc = 0.0
            for i in range(n):
                if log_loss:
                    q = (running[i] + p[i, np.intp(y[i])]) / (t + 1)
                    acc -= sample_weight[i] * np.log(max(q, LOG_LOSS_EPS))
                else:
                    q = (running[i] + p[i, 0]) / (t + 1)
                    acc += sample_weight[i] * (q - y[i]) ** 2
            loss = acc / total_weight
            if loss < best_loss:
                best, best_loss = m, loss
        picks[t] = best
        losses[t] = best_loss
        p = members[best]
        for i in range(n):
            running[i] += p[i, np.intp(y[i])] if log_loss else p[i, 0]


def _member_tuple(arrays, dtype, ndim):
    """Contiguous members of one dtype as a tuple (copies only what must change)."""
    return tuple(
        np.ascontiguousarray(a, dtype=dtype).reshape((-1,) if ndim == 1 else (a.shape[0], -1))
        for a in arrays
    )


def soft_vote(predictions, weights):
    """Weighted sum of the members' predictions (see ``_reference.soft_vote``)."""
    if isinstance(predictions, np.ndarray):
        dtype = result_dtype([predictions])
        arrays = member_list(predictions)
        if not all(a.flags.c_contiguous and a.dtype == dtype for a in arrays):
            stacked = predictions.astype(dtype, copy=False)
            if stacked.ndim == 2:
                stacked = stacked[:, :, None]
            out = np.empty((stacked.shape[0], stacked.shape[2]), dtype=dtype)
            _soft_vote_stacked(
                stacked.reshape(stacked.shape[0], stacked.shape[1], -1)
                if stacked.flags.c_contiguous
                else stacked,
                np.asarray(weights, dtype=dtype),
                out,
            )
            return out.reshape(arrays[0].shape)
    else:
        arrays = member_list(predictions)
        dtype = result_dtype(arrays)
    out = np.empty(arrays[0].shape, dtype=dtype)
    _soft_vote_members(
        _member_tuple(arrays, dtype, 1), np.asarray(weights, dtype=dtype), out.reshape(-1)
    )
    return out


def hard_vote(labels, weights, n_classes):
    """Weighted plurality vote (see ``_reference.hard_vote``)."""
    weights = np.asarray(weights, dtype=np.float64)
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        out = np.empty(labels.shape[0], dtype=np.intp)
        _hard_vote_stacked(labels, weights, n_classes, out)
        return out
    arrays = member_list(labels)
    out = np.empty(arrays[0].shape[0], dtype=np.intp)
    _hard_vote_members(_member_tuple(arrays, np.intp, 1), weights, n_classes, out)
    return out


def rank_map(scores, sorted_reference):
    """Mid-rank quantiles in the reference (see ``_reference.rank_map``)."""
    scores = np.asarray(scores)
    reference = np.asarray(sorted_reference)
    out = np.empty(scores.shape, dtype=result_dtype([scores]))
    if scores.ndim == 1:
        _rank_map(scores[:, None], reference.reshape(-1, 1), out[:, None])
    else:
        _rank_map(scores, reference, out)
    return out


def caruana_select(predictions, y, n_iter, loss="log_loss", sample_weight=None):
    """Greedy forward selection (see ``_reference.caruana_select``)."""
    arrays = member_list(predictions)
    y = np.asarray(y)
    sample_weight = (
        np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    )
    members = _member_tuple(arrays, result_dtype(arrays), 2)
    picks = np.empty(n_iter, dtype=np.intp)
    losses = np.empty(n_iter)
    _caruana(members, y, n_iter, sample_weight, loss == "log_loss", picks, losses)
    return picks, losses
