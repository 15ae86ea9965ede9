"""Numba CPU kernels: the same public names and results as ``_reference``.

Member arrays reach the compiled code as a tuple, so a list of ``M`` arrays
is read where it lies and never stacked into one ``(M, n, k)`` block; a
stacked array (members on axis 1) has its own loop over rows. Outputs are
accumulated block by block in a buffer local to the kernel (so the compiler
can vectorise: it cannot alias the inputs) while the members stream past.

Parallelism: the kernels release the GIL and large inputs are split into row
ranges (or candidate ranges for Caruana) run on a small thread pool. This
is used instead of numba's ``parallel=True``, whose default threading layer
aborts when kernels are called from several joblib threads at once. The
number of threads follows ``NUMBA_NUM_THREADS`` (default: the CPU count).
"""

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from . import _reference
from ._reference import (
    _GOLDEN,
    _MIX_1,
    _MIX_2,
    LOG_LOSS_EPS,
    member_list,
    result_dtype,
    subset_weight_totals,
    top_k_count,
)

_BLOCK = 2048  # output elements accumulated while all members stream past
_MIN_PER_THREAD = 1 << 17  # below this many output elements a thread costs more than it saves
# Reordering and fused multiply-adds for vectorised loops, but not the flags
# that assume no NaN or inf: those must propagate exactly as in the reference.
_FASTMATH = {"reassoc", "contract", "arcp"}


def _jit(func=None, **options):
    # cache=True needs a writable cache directory; without one numba refuses
    # at decoration time, so compile per process instead of failing to import.
    def wrap(f):
        try:
            return numba.njit(cache=True, nogil=True, **options)(f)
        except RuntimeError:
            return numba.njit(nogil=True, **options)(f)

    return wrap(func) if func is not None else wrap


# ---------------------------------------------------------------------------
# thread pool over row ranges
# ---------------------------------------------------------------------------
_pool = None
_pool_lock = threading.Lock()


def _n_threads(n_units, min_per_thread):
    return max(1, min(int(numba.config.NUMBA_NUM_THREADS), n_units // min_per_thread))


def _run_ranges(kernel, n_units, args, *, min_per_thread=_MIN_PER_THREAD, align=_BLOCK):
    """Run ``kernel(*args, lo, hi)`` over ``[0, n_units)`` split across threads."""
    n_threads = _n_threads(n_units, min_per_thread)
    if n_threads == 1:
        kernel(*args, 0, n_units)
        return
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < n_threads:
            _pool = ThreadPoolExecutor(n_threads, thread_name_prefix="skfusion")
        pool = _pool
    edges = [min(n_units, (n_units * j // n_threads) // align * align) for j in range(n_threads)]
    edges.append(n_units)
    futures = [
        pool.submit(kernel, *args, lo, hi) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo
    ]
    for future in futures:
        future.result()


# ---------------------------------------------------------------------------
# compiled kernels (each works on the range [lo, hi) of its output)
# ---------------------------------------------------------------------------
@_jit(fastmath=_FASTMATH)
def _soft_vote_members(members, weights, out, lo, hi):
    buffer = np.empty(_BLOCK, dtype=out.dtype)
    for start in range(lo, hi, _BLOCK):
        n = min(start + _BLOCK, hi) - start
        buffer[:n] = 0
        for m in range(len(members)):
            w = weights[m]
            if w == 0:  # also skips the tuple's padding
                continue
            p = members[m][start : start + n]
            for i in range(n):
                buffer[i] += w * p[i]
        out[start : start + n] = buffer[:n]


@_jit(fastmath=_FASTMATH)
def _soft_vote_stacked(stacked, members, weights, out, lo, hi):
    # ``members``: the indices of the weighted members (a zero weight skips
    # its member, so a NaN there stays out), ``weights`` theirs. Rows a
    # quarter of the range apart, four per step: four streams from memory
    # keep more loads in flight than one row after the other.
    quarter = (hi - lo) // 4
    for i in range(lo, lo + quarter):
        for part in range(4):
            row = i + part * quarter
            _weighted_row_sum(stacked[row], members, weights, out[row])
    for row in range(lo + 4 * quarter, hi):
        _weighted_row_sum(stacked[row], members, weights, out[row])


@_jit(fastmath=_FASTMATH)
def _weighted_row_sum(row, members, weights, sums):
    # The class loop is short (k ~ 10): four members per pass over it load
    # and store the sums a quarter as often.
    n_members = len(members)
    n_quads = n_members - n_members % 4
    sums[:] = 0
    for a in range(0, n_quads, 4):
        m0, m1, m2, m3 = members[a], members[a + 1], members[a + 2], members[a + 3]
        w0, w1, w2, w3 = weights[a], weights[a + 1], weights[a + 2], weights[a + 3]
        for j in range(row.shape[1]):
            sums[j] += w0 * row[m0, j] + w1 * row[m1, j]
            sums[j] += w2 * row[m2, j] + w3 * row[m3, j]
    for a in range(n_quads, n_members):
        m, w = members[a], weights[a]
        for j in range(row.shape[1]):
            sums[j] += w * row[m, j]


@_jit
def _simplex_row(row, stats):
    # stats: [smallest value, largest |row sum - 1|, NaN seen]; NaN is kept
    # apart, as comparisons with NaN are false.
    total = 0.0
    for j in range(row.shape[0]):
        v = row[j]
        total += v
        if v < stats[0]:
            stats[0] = v
    deviation = abs(total - 1.0)
    if deviation > stats[1]:
        stats[1] = deviation
    if total != total:
        stats[2] = 1.0


@_jit
def _simplex_members(members, active, out, lo, hi):
    # out: (n_chunks, M, 3), one chunk of _BLOCK rows each.
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        chunk = out[start // _BLOCK]
        for m in range(len(active)):
            if active[m]:
                p = members[m]
                for i in range(start, stop):
                    _simplex_row(p[i], chunk[m])


@_jit
def _simplex_stacked(stacked, active, out, lo, hi):
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        chunk = out[start // _BLOCK]
        for i in range(start, stop):
            for m in range(len(active)):
                if active[m]:
                    _simplex_row(stacked[i, m], chunk[m])


@_jit
def _simplex_columns(columns, active, out, lo, hi):
    # columns: the F-ordered block transposed, (k, M, n) C-contiguous: each
    # member's class column is contiguous, its row sums add up column by column.
    totals = np.empty(_BLOCK)
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        chunk = out[start // _BLOCK]
        for m in range(len(active)):
            if not active[m]:
                continue
            stats = chunk[m]
            totals[: stop - start] = 0.0
            for j in range(columns.shape[0]):
                column = columns[j, m]
                for i in range(start, stop):
                    v = column[i]
                    totals[i - start] += v
                    if v < stats[0]:
                        stats[0] = v
            for i in range(stop - start):
                deviation = abs(totals[i] - 1.0)
                if deviation > stats[1]:
                    stats[1] = deviation
                if totals[i] != totals[i]:
                    stats[2] = 1.0


@_jit
def _argmax_first(row):
    best = 0
    for c in range(1, row.shape[0]):
        if row[c] > row[best]:
            best = c
    return best


@_jit
def _hard_vote_members(members, weights, n_classes, out, lo, hi):
    block = max(1, _BLOCK // n_classes)
    counts = np.zeros((block, n_classes))
    for start in range(lo, hi, block):
        stop = min(start + block, hi)
        counts[:] = 0
        for m in range(len(members)):
            w = weights[m]
            if w == 0:  # also skips the tuple's padding
                continue
            labels = members[m]
            for i in range(start, stop):
                c = labels[i]
                if c < 0 or c >= n_classes:
                    raise ValueError("hard_vote: a label is outside [0, n_classes).")
                counts[i - start, c] += w
        for i in range(start, stop):
            out[i] = _argmax_first(counts[i - start])


@_jit
def _hard_vote_stacked(labels, weights, n_classes, out, lo, hi):
    counts = np.zeros(n_classes)
    for i in range(lo, hi):
        counts[:] = 0
        for m in range(labels.shape[1]):
            c = labels[i, m]
            if c < 0 or c >= n_classes:
                raise ValueError("hard_vote: a label is outside [0, n_classes).")
            counts[c] += weights[m]
        out[i] = _argmax_first(counts)


@_jit
def _rank_map(scores, reference, out, lo, hi):
    k = scores.shape[1]
    n_ref = reference.shape[0]
    for i in range(lo, hi):
        for j in range(k):
            s = scores[i, j]
            low, high = 0, n_ref
            while low < high:  # first reference value >= s
                mid = (low + high) >> 1
                if reference[mid, j] < s:
                    low = mid + 1
                else:
                    high = mid
            below = low
            high = n_ref
            while low < high:  # first reference value > s
                mid = (low + high) >> 1
                if reference[mid, j] <= s:
                    low = mid + 1
                else:
                    high = mid
            out[i, j] = (below + low) / (2.0 * n_ref)


@_jit
def _caruana_losses(
    scored, running, n_picked, y, sample_weight, log_loss, unweighted, losses, lo, hi
):
    # ``scored[m]`` holds what the loss reads of member m: the true class's
    # probability per row (log-loss) or the prediction (squared error). With
    # each row's running sum of it, a candidate costs O(n) instead of a
    # rescoring of the whole (n, k) ensemble.
    total_weight = sample_weight.sum()
    scale = 1.0 / (n_picked + 1)
    for m in range(lo, hi):
        s = scored[m]
        if log_loss and unweighted:
            losses[m] = _unweighted_log_loss(s, running, scale) / total_weight
            continue
        acc = 0.0
        if log_loss:
            for i in range(s.shape[0]):
                q = (running[i] + s[i]) * scale
                acc -= sample_weight[i] * np.log(max(q, LOG_LOSS_EPS))
        else:
            for i in range(s.shape[0]):
                q = (running[i] + s[i]) * scale - y[i]
                acc += sample_weight[i] * q * q
        losses[m] = acc / total_weight


@_jit
def _unweighted_log_loss(s, running, scale):
    # The sum of -log(q) over rows, as the log of products of 16 rows: a
    # logarithm costs many multiplications (this runs 4x faster), and 16
    # probabilities clipped at LOG_LOSS_EPS (2.2e-16) multiply to no less
    # than 1e-251, far from underflow. Four partial products keep the
    # multiplications independent.
    n = s.shape[0]
    n16 = n - n % 16
    acc = 0.0
    for start in range(0, n16, 16):
        p0 = p1 = p2 = p3 = 1.0
        for i in range(start, start + 16, 4):
            p0 *= max((running[i] + s[i]) * scale, LOG_LOSS_EPS)
            p1 *= max((running[i + 1] + s[i + 1]) * scale, LOG_LOSS_EPS)
            p2 *= max((running[i + 2] + s[i + 2]) * scale, LOG_LOSS_EPS)
            p3 *= max((running[i + 3] + s[i + 3]) * scale, LOG_LOSS_EPS)
        acc -= np.log((p0 * p1) * (p2 * p3))
    for i in range(n16, n):
        acc -= np.log(max((running[i] + s[i]) * scale, LOG_LOSS_EPS))
    return acc


# ---------------------------------------------------------------------------
# public wrappers
# ---------------------------------------------------------------------------
def _member_tuple(arrays, dtype, ndim, weights=None):
    """Contiguous members of one dtype as a tuple (copies only what must change).

    Numba compiles a kernel once per tuple length, so the tuple is padded to
    the next power of two with the first member under weight 0 (no copy):
    at most a handful of compiled variants, whatever the number of members.
    """
    members = [
        np.ascontiguousarray(a, dtype=dtype).reshape((-1,) if ndim == 1 else (a.shape[0], -1))
        for a in arrays
    ]
    size = 1 << (len(members) - 1).bit_length()
    members += [members[0]] * (size - len(members))
    if weights is None:
        return tuple(members)
    padded = np.zeros(size, dtype=dtype if dtype.kind == "f" else np.float64)
    padded[: len(arrays)] = weights
    return tuple(members), padded


def _contiguous_members(block):
    """A block's members as C-contiguous views (member-major layouts), or None."""
    members = member_list(block)
    return members if all(a.flags.c_contiguous for a in members) else None


def soft_vote(predictions, weights):
    """Weighted sum of the members' predictions (see ``_reference.soft_vote``).

    A block is read in its own memory order: member by member when its
    members are contiguous (a member-major view), class column by class
    column when F-ordered (each member's column is contiguous there; the
    result is F-ordered too), row by row otherwise (C order).
    """
    if not isinstance(predictions, np.ndarray):
        arrays = member_list(predictions)
        return _soft_vote_list(arrays, weights, result_dtype(arrays))
    dtype = result_dtype([predictions])
    block = predictions.astype(dtype, copy=False)
    arrays = _contiguous_members(block)
    if arrays is not None:
        return _soft_vote_list(arrays, weights, dtype)
    if block.flags.f_contiguous and block.ndim == 3:
        out = np.empty((block.shape[2], block.shape[0]), dtype=dtype)  # the result, transposed
        columns = block.T  # (k, M, n), C-contiguous
        for j in range(columns.shape[0]):
            _soft_vote_list(list(columns[j]), weights, dtype, out=out[j])
        return out.T
    if block.flags.f_contiguous and block.ndim == 2:  # each member's column is contiguous
        return _soft_vote_list(list(block.T), weights, dtype)
    # Members interleaved along axis 1: walk the rows of the block.
    stacked = block[:, :, None] if block.ndim == 2 else block
    out = np.empty((stacked.shape[0], stacked.shape[2]), dtype=dtype)
    weights = np.asarray(weights, dtype=dtype)
    weighted = np.flatnonzero(weights)
    args = (stacked, weighted, weights[weighted], out)
    _run_ranges(
        _soft_vote_stacked,
        out.shape[0],
        args,
        min_per_thread=max(1, _MIN_PER_THREAD // out.shape[1]),
        align=1,
    )
    return out.reshape(block.shape[:1] + block.shape[2:])


def _soft_vote_list(arrays, weights, dtype, out=None):
    # ``out``: a C-contiguous array of the members' shape to write into.
    out = np.empty(arrays[0].shape, dtype=dtype) if out is None else out
    members, padded_weights = _member_tuple(arrays, dtype, 1, weights)
    _run_ranges(_soft_vote_members, out.size, (members, padded_weights, out.reshape(-1)))
    return out


def simplex_deviation(predictions, active):
    """Each member's smallest value and largest row-sum distance from 1 (see
    ``_reference.simplex_deviation``), in one pass over the members in their
    own memory order: contiguous members one by one, a C-ordered block row by
    row, an F-ordered one class column by class column; other layouts by the
    reference."""
    active = np.asarray(active, dtype=np.bool_)
    arrays = member_list(predictions)
    n = arrays[0].shape[0]
    if n == 0:
        return np.zeros((len(active), 2))
    block = predictions if isinstance(predictions, np.ndarray) else None
    stats = np.empty((-(-n // _BLOCK), len(active), 3))  # per chunk of _BLOCK rows
    stats[:, :, 0] = np.inf
    stats[:, :, 1:] = 0.0
    if block is None or _contiguous_members(block) is not None:
        if not all(a.flags.c_contiguous for a in arrays):
            return _reference.simplex_deviation(predictions, active)
        members = _member_tuple(arrays, result_dtype(arrays), 2)
        padded = np.zeros(len(members), dtype=np.bool_)  # the tuple's padding is not read
        padded[: len(active)] = active
        padded_stats = np.empty((stats.shape[0], len(members), 3))
        padded_stats[:, : len(active)] = stats
        _run_ranges(_simplex_members, n, (members, padded, padded_stats))
        stats = padded_stats[:, : len(active)]
    elif block.flags.c_contiguous:
        _run_ranges(_simplex_stacked, n, (block, active, stats))
    elif block.flags.f_contiguous:
        _run_ranges(_simplex_columns, n, (block.T, active, stats))
    else:
        return _reference.simplex_deviation(predictions, active)
    out = np.stack([stats[:, :, 0].min(axis=0), stats[:, :, 1].max(axis=0)], axis=1)
    out[stats[:, :, 2].max(axis=0) > 0] = np.nan
    out[~active] = 0.0
    return out


def hard_vote(labels, weights, n_classes):
    """Weighted plurality vote (see ``_reference.hard_vote``).

    A label block is read row by row when C-ordered and member by member
    when its members are contiguous (F order, member-major).
    """
    weights = np.asarray(weights, dtype=np.float64)
    arrays = None
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        arrays = list(labels.T) if labels.flags.f_contiguous else _contiguous_members(labels)
        if arrays is None:
            out = np.empty(labels.shape[0], dtype=np.intp)
            _run_ranges(_hard_vote_stacked, len(out), (labels, weights, n_classes, out), align=1)
            return out
    arrays = member_list(labels) if arrays is None else arrays
    out = np.empty(arrays[0].shape[0], dtype=np.intp)
    members, padded_weights = _member_tuple(arrays, np.dtype(np.intp), 1, weights)
    _run_ranges(_hard_vote_members, len(out), (members, padded_weights, n_classes, out))
    return out


def rank_map(scores, sorted_reference):
    """Mid-rank quantiles in the reference (see ``_reference.rank_map``)."""
    scores = np.asarray(scores)
    reference = np.asarray(sorted_reference)
    out = np.empty(scores.shape, dtype=result_dtype([scores]))
    if scores.ndim == 1:
        scores, reference, out2d = scores[:, None], reference.reshape(-1, 1), out[:, None]
    else:
        out2d = out
    _run_ranges(
        _rank_map,
        scores.shape[0],
        (scores, reference, out2d),
        min_per_thread=max(1, (1 << 14) // scores.shape[1]),
        align=1,
    )
    return out


def _scored_members(predictions, y, loss, sample_weight):
    """What a loss reads of each member, gathered once as a tuple of ``(n,)``
    float64 arrays: the true class's probability (log-loss) or the prediction
    (squared error); with y as floats and the row weights."""
    arrays = member_list(predictions)
    y = np.asarray(y)
    n = len(y)
    sample_weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if loss == "log_loss":
        rows, columns = np.arange(n), y.astype(np.intp)
        scored = [np.asarray(a)[rows, columns].astype(np.float64) for a in arrays]
    else:
        scored = [np.asarray(a).reshape(n) for a in arrays]
    members = _member_tuple(scored, np.dtype(np.float64), 1)
    return members, y.astype(np.float64, copy=False), sample_weight


def caruana_select(predictions, y, n_iter, loss="log_loss", sample_weight=None):
    """Greedy forward selection (see ``_reference.caruana_select``).

    For log-loss each member's true-class column is gathered once,
    ``(n_members, n_samples)``: every round then streams that instead of the
    members' full ``(n, k)`` rows.
    """
    members, y_float, sample_weight = _scored_members(predictions, y, loss, sample_weight)
    n, n_members = len(y_float), len(member_list(predictions))
    log_loss = loss == "log_loss"
    unweighted = bool(np.all(sample_weight == 1.0))  # the faster log-loss sum needs them
    running = np.zeros(n)
    candidate_losses = np.empty(n_members)
    picks = np.empty(n_iter, dtype=np.intp)
    losses = np.empty(n_iter)
    # Threads split the candidates when there is enough work per candidate.
    min_per_thread = max(1, -(-_MIN_PER_THREAD // max(n, 1)))
    for t in range(n_iter):
        args = (
            members,
            running,
            t,
            y_float,
            sample_weight,
            log_loss,
            unweighted,
            candidate_losses,
        )
        _run_ranges(_caruana_losses, n_members, args, min_per_thread=min_per_thread, align=1)
        best = int(np.argmin(candidate_losses))  # ties: the lowest index
        picks[t], losses[t] = best, candidate_losses[best]
        running += members[best]
    return picks, losses


_SUBSET_CHUNK = 4096  # rows per chunk: their running blend stays in cache


def subset_losses(predictions, y, weights, loss="log_loss", sample_weight=None):
    """Loss of every subset's blend (see ``_reference.subset_losses``).

    Each member's scored quantity is gathered once as in
    :func:`caruana_select`; chunks of rows run on threads, each walking all
    subsets in Gray-code order.
    """
    members, y_float, sample_weight = _scored_members(predictions, y, loss, sample_weight)
    weights = np.asarray(weights, dtype=np.float64)
    totals = subset_weight_totals(weights)
    n_chunks = max(1, -(-len(y_float) // _SUBSET_CHUNK))
    partial = np.zeros((n_chunks, len(totals)))
    args = (members, weights, totals, y_float, sample_weight, loss == "log_loss")
    _run_ranges(
        _subset_losses_chunks, n_chunks, (*args, _SUBSET_CHUNK, partial), min_per_thread=1, align=1
    )
    out = partial.sum(axis=0) / sample_weight.sum()
    out[totals <= 0] = np.nan
    return out


@_jit
def _subset_losses_chunks(scored, weights, totals, y, sample_weight, log_loss, chunk, out, lo, hi):
    # Row chunk c accumulates into out[c] the weighted loss of every subset.
    # Subsets are visited in Gray-code order: each differs from the previous
    # one by one member, so a row's blend is updated by one multiply-add
    # instead of being recomputed from all members of the subset.
    n = scored[0].shape[0]
    n_members = weights.shape[0]
    running = np.empty(chunk)
    for c in range(lo, hi):
        start = c * chunk
        rows = min(start + chunk, n) - start
        running[:rows] = 0.0
        mask = 0
        for t in range(1, 1 << n_members):
            b = 0
            while not (t >> b) & 1:
                b += 1
            mask ^= 1 << b
            step = weights[b] if (mask >> b) & 1 else -weights[b]
            s = scored[b]
            for i in range(rows):
                running[i] += step * s[start + i]
            total = totals[mask]
            if total <= 0.0:
                continue
            inverse = 1.0 / total
            acc = 0.0
            if log_loss:
                for i in range(rows):
                    q = running[i] * inverse
                    acc -= sample_weight[start + i] * np.log(max(q, LOG_LOSS_EPS))
            else:
                for i in range(rows):
                    d = running[i] * inverse - y[start + i]
                    acc += sample_weight[start + i] * d * d
            out[c, mask] = acc


@_jit
def _cv_plus_rows(mu, sorted_residuals, starts, scale, low_rank, high_rank, out, lo, hi):
    # Fold k's candidates for row j are mu[j, k] -+ s * r over its residuals
    # r, sorted ascending in sorted_residuals[starts[k]:starts[k + 1]]. A
    # K-way merge pops the smallest lower candidates (largest residuals
    # first) low_rank times, and the largest upper candidates n - high_rank
    # + 1 times: O(rank * K) per row, nothing materialised.
    n_folds = mu.shape[1]
    n = sorted_residuals.shape[0]
    heads = np.empty(n_folds, dtype=np.int64)
    for j in range(lo, hi):
        s = scale[j]
        if low_rank < 1:
            out[j, 0] = -np.inf
        else:
            for k in range(n_folds):
                heads[k] = starts[k + 1] - 1  # the largest residual of fold k
            value = 0.0
            for _ in range(low_rank):
                best, best_k = np.inf, -1
                for k in range(n_folds):
                    if heads[k] >= starts[k]:
                        candidate = mu[j, k] - s * sorted_residuals[heads[k]]
                        if candidate < best:
                            best, best_k = candidate, k
                heads[best_k] -= 1
                value = best
            out[j, 0] = value
        if high_rank > n:
            out[j, 1] = np.inf
        else:
            for k in range(n_folds):
                heads[k] = starts[k + 1] - 1
            value = 0.0
            for _ in range(n - high_rank + 1):
                best, best_k = -np.inf, -1
                for k in range(n_folds):
                    if heads[k] >= starts[k]:
                        candidate = mu[j, k] + s * sorted_residuals[heads[k]]
                        if candidate > best:
                            best, best_k = candidate, k
                heads[best_k] -= 1
                value = best
            out[j, 1] = value


def cv_plus_bounds(fold_predictions, fold_of, residuals, low_rank, high_rank, scale=None):
    """CV+ bounds (see ``_reference.cv_plus_bounds``) by a K-way merge of
    each fold's sorted residuals per test row, rows split across threads."""
    mu = np.ascontiguousarray(fold_predictions, dtype=np.float64)
    fold_of = np.asarray(fold_of, dtype=np.intp)
    residuals = np.asarray(residuals, dtype=np.float64)
    n_folds = mu.shape[1]
    order = np.lexsort((residuals, fold_of))  # by fold, then residual
    sorted_residuals = residuals[order]
    starts = np.zeros(n_folds + 1, dtype=np.int64)
    starts[1:] = np.cumsum(np.bincount(fold_of, minlength=n_folds))
    scale = np.ones(len(mu)) if scale is None else np.asarray(scale, dtype=np.float64)
    out = np.empty((len(mu), 2))
    args = (mu, sorted_residuals, starts, scale, int(low_rank), int(high_rank), out)
    _run_ranges(_cv_plus_rows, len(mu), args, min_per_thread=256, align=1)
    return out


@_jit
def _local_competence_rows(competence, neighbours, run, out, lo, hi):
    k = neighbours.shape[1]
    n_members = competence.shape[1]
    row = np.empty(n_members)
    for i in range(lo, hi):
        if run:  # k until the first neighbour with competence 0
            row[:] = k
            for j in range(k):
                r = neighbours[i, j]
                for m in range(n_members):
                    if row[m] == k and competence[r, m] == 0:
                        row[m] = j
        else:
            row[:] = 0.0
            for j in range(k):
                r = neighbours[i, j]
                for m in range(n_members):
                    row[m] += competence[r, m]
            row /= k
        out[i] = row


def local_competence(competence, neighbours, rule):
    """Competence summaries on each row's neighbours (see
    ``_reference.local_competence``), without gathering ``(n, k, M)``."""
    competence = np.asarray(competence)
    neighbours = np.asarray(neighbours, dtype=np.intp)
    out = np.empty((neighbours.shape[0], competence.shape[1]), dtype=result_dtype([competence]))
    args = (competence, neighbours, rule == "run", out)
    per_thread = max(1, _MIN_PER_THREAD // max(1, competence.shape[1] * neighbours.shape[1]))
    _run_ranges(
        _local_competence_rows, neighbours.shape[0], args, min_per_thread=per_thread, align=1
    )
    return out


@_jit
def _hedge_logs(losses, current, rates, out):
    # Log-weights carried (a weight far below the smallest float still
    # counts), each row's shifted so that its largest is 0.
    n, n_members = losses.shape
    for t in range(n):
        top = current[0]
        for m in range(1, n_members):
            top = max(top, current[m])
        for m in range(n_members):
            current[m] -= top
            # exp(-700) is 1e-304 of the largest weight: near the smallest
            # normal float numpy's vectorised exp takes a slow path (ten
            # times slower), for weights that count for nothing.
            out[t, m] = max(current[m], -700.0)
            current[m] -= rates[t] * losses[t, m]


@_jit
def _normalise_rows(out):
    n, n_members = out.shape
    for t in range(n):
        total = 0.0
        for m in range(n_members):
            total += out[t, m]
        for m in range(n_members):
            out[t, m] /= total


def _hedge(losses, current, rates, out):
    """Hedge: the log-weights row by row (compiled: additions only), then all
    their exponentials in one vectorised numpy call (its SIMD exp; a compiled
    loop calls the scalar one), then each row normalised."""
    _hedge_logs(losses, current, rates, out)
    np.exp(out, out=out)
    _normalise_rows(out)


@_jit
def _share_exponents(losses, rates, out):
    # Each row's losses relative to its smallest (the normalised weights are
    # the same), times minus the rate: the exponents of the factors.
    n, n_members = losses.shape
    for t in range(n):
        least = losses[t, 0]
        for m in range(1, n_members):
            least = min(least, losses[t, m])
        for m in range(n_members):
            out[t, m] = -rates[t] * (losses[t, m] - least)


@_jit
def _fixed_share_rows(factors, weights, shares, out):
    # Weights carried as they are: after the share no weight is below
    # share / M, and each row's best member keeps its factor 1, so none
    # underflows to a total of 0.
    n, n_members = factors.shape
    for t in range(n):
        share = shares[t]
        total = 0.0
        for m in range(n_members):
            out[t, m] = weights[m]
            weights[m] *= factors[t, m]
            total += weights[m]
        for m in range(n_members):
            weights[m] = (1.0 - share) * weights[m] / total + share / n_members


def _fixed_share(losses, weights, rates, shares, out):
    """Fixed share: the factors ``exp(-rate * loss)`` of every row in one
    vectorised exp (numpy's SIMD one), then the recursion, which only
    multiplies, adds and divides."""
    factors = np.empty(losses.shape)
    _share_exponents(losses, rates, factors)
    np.exp(factors, out=factors)
    _fixed_share_rows(factors, weights, shares, out)


def online_weights(losses, log_weights, rates, share):
    """Exponential weights with fixed share, row by row (see
    ``_reference.online_weights``): sequential, so one thread."""
    losses = np.ascontiguousarray(losses, dtype=np.float64)
    rates = np.asarray(rates, dtype=np.float64)
    out = np.empty(losses.shape)
    start = np.asarray(log_weights, dtype=np.float64)
    start = start - start.max()
    shares = np.ascontiguousarray(np.broadcast_to(share, (losses.shape[0],)), dtype=np.float64)
    if shares.size and shares.max() > 0:
        weights = np.exp(start) / np.exp(start).sum()
        _fixed_share(losses, weights, rates, shares, out)
        return out, np.log(weights)
    current = start.copy()
    _hedge(losses, current, rates, out)
    return out, current - current.max() - np.log(np.exp(current - current.max()).sum())


@_jit
def _log_mixture_members(members, log_weights, out, lo, hi):
    buffer = np.empty(_BLOCK)
    top = np.empty(_BLOCK)
    for start in range(lo, hi, _BLOCK):
        n = min(start + _BLOCK, hi) - start
        top[:n] = -np.inf
        for m in range(len(members)):
            lw = log_weights[m]
            if lw == -np.inf:  # weight 0, or the tuple's padding
                continue
            p = members[m][start : start + n]
            for i in range(n):
                v = p[i] + lw
                if v > top[i]:
                    top[i] = v
        buffer[:n] = 0.0
        for m in range(len(members)):
            lw = log_weights[m]
            if lw == -np.inf:
                continue
            p = members[m][start : start + n]
            for i in range(n):
                if top[i] != -np.inf:
                    buffer[i] += np.exp(p[i] + lw - top[i])
        for i in range(n):
            out[start + i] = top[i] + np.log(buffer[i]) if top[i] != -np.inf else -np.inf


def log_mixture(log_densities, weights):
    """Log of the weighted mixture (see ``_reference.log_mixture``)."""
    arrays = member_list(log_densities)
    dtype = result_dtype(arrays)
    out = np.empty(arrays[0].shape, dtype=np.float64)
    members, padded = _member_tuple(arrays, np.dtype(np.float64), 1, weights)
    with np.errstate(divide="ignore"):
        log_weights = np.log(padded)
    _run_ranges(_log_mixture_members, out.size, (members, log_weights, out.reshape(-1)))
    return out.astype(dtype, copy=False)


@_jit
def _softmax_rows(z, out, lo, hi):
    for b in range(lo, hi):
        top = z[b, 0]
        for m in range(1, z.shape[1]):
            top = max(top, z[b, m])
        total = 0.0
        for m in range(z.shape[1]):
            out[b, m] = np.exp(z[b, m] - top)
            total += out[b, m]
        for m in range(z.shape[1]):
            out[b, m] /= total


def bayesian_bootstrap(pointwise, alpha):
    """Pseudo-BMA+ weight draws (see ``_reference.bayesian_bootstrap``).

    The draws' elpd are one matrix product (BLAS); the softmax per draw runs
    compiled.
    """
    pointwise = np.asarray(pointwise, dtype=np.float64)
    z = pointwise.shape[0] * (np.asarray(alpha, dtype=np.float64) @ pointwise)
    out = np.empty_like(z)
    _run_ranges(_softmax_rows, z.shape[0], (z, out), min_per_thread=1 << 12, align=1)
    return out


# ---------------------------------------------------------------------------
# weight-space merging
# ---------------------------------------------------------------------------
def weighted_average_params(tensors, weights):
    """Weighted sum of same-shaped tensors (see ``_reference.weighted_average_params``)."""
    arrays = member_list(list(tensors))
    return soft_vote([a.reshape(-1) for a in arrays], weights).reshape(arrays[0].shape)


_CHUNK = np.uint64(0xFFFF)  # one 16-bit uniform of DARE
_N_BUCKETS = 1 << 16  # magnitude buckets of the exhaustive top-k threshold search
_SAMPLE = 1 << 14  # magnitudes sampled to bracket the threshold


@_jit
def _threshold_by_buckets(tensor, base, k):
    """The k-th largest ``|tensor - base|``, for any distribution of magnitudes.

    Magnitudes are counted in equal-width buckets from 0 to the largest; the
    bucket holding the k-th largest is found from the top, and only its
    values are partitioned.
    """
    n = tensor.size
    top = 0.0
    for i in range(n):
        top = max(top, abs(tensor[i] - base[i]))
    if top == 0:
        return top
    scale = (_N_BUCKETS - 1) / top
    counts = np.zeros(_N_BUCKETS, dtype=np.int64)
    for i in range(n):
        counts[min(int(abs(tensor[i] - base[i]) * scale), _N_BUCKETS - 1)] += 1
    above = 0
    bucket = _N_BUCKETS - 1
    while above + counts[bucket] < k:
        above += counts[bucket]
        bucket -= 1
    candidates = np.empty(counts[bucket], dtype=tensor.dtype)
    c = 0
    for i in range(n):
        v = abs(tensor[i] - base[i])
        if min(int(v * scale), _N_BUCKETS - 1) == bucket:
            candidates[c] = v
            c += 1
    rank = c - (k - above)  # the (k - above)-th largest of the candidates
    return np.partition(candidates, rank)[rank]


@_jit
def _magnitude_threshold(tensor, base, k):
    """The k-th largest ``|tensor - base|``, without sorting or copying the tensor.

    A strided sample of the magnitudes brackets the threshold (a margin of
    four binomial standard deviations around its rank); one pass counts the
    values above the bracket and collects those inside it, and a partition
    of those few gives the exact value. If the bracket misses (a tensor
    whose magnitudes follow its layout), the bucket search decides.
    """
    n = tensor.size
    if n <= 4 * _SAMPLE:
        magnitudes = np.empty(n, dtype=tensor.dtype)
        for i in range(n):
            magnitudes[i] = abs(tensor[i] - base[i])
        return np.partition(magnitudes, n - k)[n - k]
    step = n // _SAMPLE
    sample = np.empty(_SAMPLE, dtype=tensor.dtype)
    for j in range(_SAMPLE):
        sample[j] = abs(tensor[j * step] - base[j * step])
    sample.sort()
    share = k / n
    position = _SAMPLE * (1.0 - share)
    margin = 4.0 * np.sqrt(_SAMPLE * share * (1.0 - share)) + 8.0
    low_index = int(position - margin)
    high_index = int(position + margin) + 1
    low = sample[low_index] if low_index > 0 else -np.inf
    high = sample[high_index] if high_index < _SAMPLE else np.inf
    capacity = int(n * (high_index - low_index + 1) / _SAMPLE * 2) + 1024
    candidates = np.empty(capacity, dtype=tensor.dtype)
    above = 0
    c = 0
    for i in range(n):
        v = abs(tensor[i] - base[i])
        if v > high:
            above += 1
        elif v >= low:
            if c < capacity:
                candidates[c] = v
            c += 1
    if above < k <= above + c and c <= capacity:
        rank = c - (k - above)
        return np.partition(candidates[:c], rank)[rank]
    return _threshold_by_buckets(tensor, base, k)


@_jit
def _ties_members(members, base, weights, thresholds, scaling, out, lo, hi):
    for i in range(lo, hi):
        b = base[i]
        mass = b - b  # zero in the data's dtype
        for m in range(len(members)):
            w = weights[m]
            if w == 0:  # also skips the tuple's padding
                continue
            tau = members[m][i] - b
            if abs(tau) >= thresholds[m]:
                mass += w * tau
        total = b - b
        count = b - b
        if mass != 0:
            for m in range(len(members)):
                w = weights[m]
                if w == 0:
                    continue
                tau = members[m][i] - b
                if abs(tau) >= thresholds[m] and tau * mass > 0:
                    total += w * tau
                    count += w
        merged = total / count if count > 0 else b - b
        out[i] = b + scaling * merged


def ties_merge(tensors, base, density, weights, scaling):
    """TIES-merging of one parameter (see ``_reference.ties_merge``).

    Each member's magnitude threshold comes from a histogram pass and a
    partition of one bucket (no sort, no copy of the tensor); then one pass
    over all members elects signs and takes the disjoint mean.
    """
    arrays = member_list(list(tensors))
    dtype = result_dtype([*arrays, np.asarray(base)])
    flat_base = np.ascontiguousarray(base, dtype=dtype).reshape(-1)
    members, padded = _member_tuple(arrays, dtype, 1, weights)
    k = top_k_count(flat_base.size, density)
    thresholds = np.zeros(len(members), dtype=dtype)
    for m in range(len(arrays)):
        if padded[m] != 0:
            thresholds[m] = _magnitude_threshold(members[m], flat_base, k)
    out = np.empty(flat_base.size, dtype=dtype)
    args = (members, flat_base, padded, thresholds, dtype.type(scaling), out)
    _run_ranges(_ties_members, out.size, args)
    return out.reshape(np.shape(base))


@_jit
def _dare_members(members, base, weights, seeds, cutoff, rescale, scaling, out, lo, hi):
    # An entry is kept when its 16-bit uniform chunk is below
    # cutoff = ceil(density * 65536), the same as chunk / 65536 < density;
    # rescale is density in the data's dtype. One SplitMix64 hash gives the
    # chunks of four entries (see _reference.keep_uniforms); they become a
    # block of per-entry weights (w or 0), so the accumulation loop has no
    # branch and vectorises. lo is a multiple of 4.
    buffer = np.empty(_BLOCK, dtype=out.dtype)
    kept_weight = np.empty(_BLOCK, dtype=out.dtype)
    for start in range(lo, hi, _BLOCK):
        n = min(start + _BLOCK, hi) - start
        buffer[:n] = 0
        for m in range(len(members)):
            w = weights[m]
            if w == 0:  # also skips the tuple's padding
                continue
            zero = w - w
            first_block = seeds[m] + np.uint64(start // 4) + _GOLDEN
            for j in range((n + 3) // 4):
                z = first_block + np.uint64(j)
                z = (z ^ (z >> np.uint64(30))) * _MIX_1
                z = (z ^ (z >> np.uint64(27))) * _MIX_2
                z = z ^ (z >> np.uint64(31))
                kept_weight[4 * j] = w if (z >> np.uint64(48)) < cutoff else zero
                kept_weight[4 * j + 1] = w if (z >> np.uint64(32)) & _CHUNK < cutoff else zero
                kept_weight[4 * j + 2] = w if (z >> np.uint64(16)) & _CHUNK < cutoff else zero
                kept_weight[4 * j + 3] = w if z & _CHUNK < cutoff else zero
            tensor = members[m][start : start + n]
            block_base = base[start : start + n]
            for i in range(n):
                buffer[i] += kept_weight[i] * (tensor[i] - block_base[i])
        for i in range(n):
            out[start + i] = base[start + i] + scaling * (buffer[i] / rescale)


def dare_merge(tensors, base, density, weights, scaling, seeds):
    """DARE of one parameter (see ``_reference.dare_merge``): one pass over all
    members, drop decisions computed on the fly, no mask stored."""
    arrays = member_list(list(tensors))
    dtype = result_dtype([*arrays, np.asarray(base)])
    flat_base = np.ascontiguousarray(base, dtype=dtype).reshape(-1)
    members, padded = _member_tuple(arrays, dtype, 1, weights)
    padded_seeds = np.zeros(len(members), dtype=np.uint64)
    padded_seeds[: len(arrays)] = np.asarray(seeds, dtype=np.uint64)
    out = np.empty(flat_base.size, dtype=dtype)
    args = (
        members,
        flat_base,
        padded,
        padded_seeds,
        np.uint64(math.ceil(density * 65536)),
        dtype.type(density),
        dtype.type(scaling),
        out,
    )
    _run_ranges(_dare_members, out.size, args)
    return out.reshape(np.shape(base))
