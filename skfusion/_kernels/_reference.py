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
        if predictions.ndim < 2 or predictions.shape[1] == 0:
            raise ValueError(
                "A stacked predictions array needs a member axis (axis 1) with at least one "
                f"member; got shape {predictions.shape}."
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


def simplex_deviation(predictions, active):
    """``(M, 2)`` float64: each member's smallest value and largest distance
    of a row sum from 1 (``(n, k)`` class scores); ``[0, 0]`` for members not
    ``active`` (not read). A NaN value or row sum gives ``[NaN, NaN]``."""
    out = np.zeros((len(active), 2))
    for m, p in enumerate(member_list(predictions)):
        if active[m] and p.size:
            p = p.astype(np.float64)
            with np.errstate(invalid="ignore"):  # inf - inf: a NaN row sum
                out[m] = p.min(), np.abs(p.sum(axis=1) - 1.0).max()
            if np.isnan(out[m]).any():
                out[m] = np.nan
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


def subset_weight_totals(weights, xp=np):
    """``(2**M,)``: the sum of ``weights`` over each subset (bit m of the
    index: member m is in), each summed from its members in index order."""
    totals = xp.zeros(1 << len(weights))
    for m, w in enumerate(weights.tolist()):
        # The subsets with bit m set add member m to those without it.
        block = 1 << m
        totals[block : 2 * block] = totals[:block] + w
    return totals


def subset_losses(predictions, y, weights, loss="log_loss", sample_weight=None):
    """The loss of the weighted blend of every subset of the members.

    Entry ``mask`` (an integer whose bit m says whether member m is in the
    subset) is the ``sample_weight``-weighted mean loss of ``sum_{m in mask}
    weights[m] * predictions[m] / sum_{m in mask} weights[m]``; NaN where the
    subset's weights sum to 0 (the empty subset, entry 0, always). ``loss``
    and ``y`` as in :func:`caruana_select`. Returns ``(2**n_members,)``.
    """
    arrays = member_list(predictions)
    y = np.asarray(y)
    weights = np.asarray(weights, dtype=np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    out = np.full(1 << len(arrays), np.nan)
    for mask in range(1, len(out)):
        members = [m for m in range(len(arrays)) if mask >> m & 1]
        total = weights[members].sum()
        if total > 0:
            blend = sum(weights[m] * np.asarray(arrays[m], np.float64) for m in members) / total
            out[mask] = np.average(_pointwise_loss(blend, y, loss), weights=sw)
    return out


def cv_plus_bounds(fold_predictions, fold_of, residuals, low_rank, high_rank, scale=None):
    """CV+ bounds (Barber et al. 2021) of every test row: the ``low_rank``-th
    smallest of ``fold_predictions[j, fold_of[i]] - scale[j] * residuals[i]``
    over the calibration rows i, and the ``high_rank``-th smallest of the
    same with ``+``; -inf for rank 0 and inf for a rank above n. Ranks are
    1-based; ``scale`` None is 1. Returns ``(n_test, 2)``."""
    fold_predictions = np.asarray(fold_predictions, dtype=np.float64)
    residuals = np.asarray(residuals, dtype=np.float64)
    n, n_test = len(residuals), len(fold_predictions)
    scale = np.ones(n_test) if scale is None else np.asarray(scale, dtype=np.float64)
    bounds = np.empty((n_test, 2))
    step = max(1, (1 << 22) // max(n, 1))  # rows of (rows, n) candidates at once
    for start in range(0, n_test, step):
        rows = slice(start, start + step)
        centres = fold_predictions[rows][:, fold_of]
        spread = scale[rows, None] * residuals[None, :]
        bounds[rows] = [-np.inf if low_rank < 1 else np.inf, np.inf]
        if 1 <= low_rank <= n:
            lower = np.partition(centres - spread, low_rank - 1, axis=1)
            bounds[rows, 0] = lower[:, low_rank - 1]
        if high_rank <= n:
            upper = np.partition(centres + spread, high_rank - 1, axis=1)
            bounds[rows, 1] = upper[:, high_rank - 1]
    return bounds


def local_competence(competence, neighbours, rule):
    """Each query row's summary of the members' competence on its neighbours.

    ``competence`` is ``(n_reference, M)``: each member's competence on each
    reference row (1 right / 0 wrong, or a loss); ``neighbours`` is
    ``(n, k)``: each query row's reference rows, nearest first. ``rule``
    ``"mean"``: the mean over the k neighbours; ``"run"``: how many of the
    nearest neighbours in a row have a non-zero competence (KNORA-E's run of
    right answers from the nearest; k when all do). Returns ``(n, M)``.
    """
    competence = np.asarray(competence)
    dtype = result_dtype([competence])
    gathered = competence[np.asarray(neighbours)]  # (n, k, M)
    if rule == "mean":
        return gathered.mean(axis=1, dtype=np.float64).astype(dtype)
    nonzero = gathered != 0
    k = gathered.shape[1]
    return np.where(nonzero.all(axis=1), k, np.argmin(nonzero, axis=1)).astype(dtype)


def online_weights(losses, log_weights, rates, share):
    """Exponential weights with fixed share, one row after the other.

    Before row ``t`` the members' weights are ``exp(log_weights)``
    (normalised). After it each member's log-weight falls by
    ``rates[t] * losses[t, m]``, the weights are normalised, and with
    ``share[t] > 0`` that share of the total is spread equally over the
    members (Herbster & Warmuth's fixed share): ``w <- (1 - share[t]) * w +
    share[t] / M``. ``share`` is one number or one per row; 0 is Hedge, whose
    weights are then the softmax of minus the rate-weighted cumulative
    losses.

    Returns ``(weights, log_weights)``: the ``(n, M)`` normalised weights
    that weighed each row, and the ``(M,)`` normalised log-weights after the
    last row (logs, so that Hedge's weights far below the smallest float
    still count when the others fall behind them).
    """
    losses = np.asarray(losses, dtype=np.float64)
    n, n_members = losses.shape
    share = np.broadcast_to(np.asarray(share, dtype=np.float64), (n,))
    weights = np.empty((n, n_members))
    current = np.asarray(log_weights, dtype=np.float64)
    current = current - np.logaddexp.reduce(current)
    for t in range(n):
        weights[t] = np.exp(current)
        current = current - rates[t] * losses[t]
        current = current - np.logaddexp.reduce(current)
        if share[t] > 0:
            current = np.log((1.0 - share[t]) * np.exp(current) + share[t] / n_members)
    return weights, current


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


# ---------------------------------------------------------------------------
# weight-space merging: every kernel takes the members' tensors of one
# parameter (same shape) and returns the merged tensor in their dtype.
# ---------------------------------------------------------------------------
def weighted_average_params(tensors, weights):
    """``sum_m weights[m] * tensors[m]`` for tensors of any one shape (a soup)."""
    arrays = member_list(list(tensors))
    shape = arrays[0].shape
    flat = soft_vote([a.reshape(-1) for a in arrays], weights)
    return flat.reshape(shape)


def top_k_count(size, density):
    """How many entries of a tensor of ``size`` entries TIES keeps at ``density``."""
    return max(1, min(size, int(round(density * size))))


def _magnitude_threshold(task_vector, density, xp=np):
    """The k-th largest ``|task_vector|`` (k from ``density``), by selection, not a sort."""
    magnitude = xp.abs(task_vector).reshape(-1)
    k = top_k_count(magnitude.size, density)
    return xp.partition(magnitude, magnitude.size - k)[magnitude.size - k]


def ties_merge(tensors, base, density, weights, scaling, xp=np):
    """TIES-merging (Yadav et al., 2023) of one parameter.

    Task vectors ``tau_m = tensors[m] - base`` are trimmed to the entries of
    the top ``density`` fraction by magnitude (ties at the threshold kept);
    each entry's sign is elected by the weighted mass ``sum_m w_m tau_m`` of
    the trimmed vectors; the merged entry is the weighted mean of the trimmed
    entries that have the elected sign (disjoint mean; 0 where none has).
    Returns ``base + scaling * merged``. ``xp`` is the array namespace.
    """
    arrays = member_list(list(tensors), xp)
    dtype = result_dtype([*arrays, xp.asarray(base)])
    base = xp.asarray(base, dtype=dtype)
    trimmed = []
    for t in arrays:
        tau = t.astype(dtype) - base
        threshold = _magnitude_threshold(tau, density, xp)
        trimmed.append(xp.where(xp.abs(tau) >= threshold, tau, dtype.type(0)))
    mass = xp.zeros(base.shape, dtype=dtype)
    for w, tau in zip(weights, trimmed):
        mass += dtype.type(w) * tau
    elected = xp.sign(mass)
    total = xp.zeros(base.shape, dtype=dtype)
    count = xp.zeros(base.shape, dtype=dtype)
    for w, tau in zip(weights, trimmed):
        agrees = tau * elected > 0
        total += xp.where(agrees, dtype.type(w) * tau, dtype.type(0))
        count += xp.where(agrees, dtype.type(w), dtype.type(0))
    has_any = count > 0
    merged = xp.where(has_any, total / xp.where(has_any, count, dtype.type(1)), dtype.type(0))
    return (base + dtype.type(scaling) * merged).astype(dtype)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def keep_uniforms(seed, size, xp=np):
    """Uniforms on a 1/65536 grid in [0, 1) for entries ``0..size-1`` of one tensor.

    A counter-based generator: entry ``i`` takes 16-bit chunk ``i % 4`` (from
    the top) of SplitMix64(``seed + i // 4``). Every backend computes the same
    numbers for the same entry, in any order, so DARE's drop masks agree
    across backends and need no stored mask; one hash serves four entries.
    """
    blocks = xp.arange((size + 3) // 4, dtype=xp.uint64)
    z = np.uint64(seed) + blocks + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    z = z ^ (z >> np.uint64(31))
    shifts = xp.asarray(np.array([48, 32, 16, 0], dtype=np.uint64))
    chunks = (z[:, None] >> shifts) & np.uint64(0xFFFF)
    return chunks.reshape(-1)[:size].astype(xp.float64) / 65536.0


def dare_merge(tensors, base, density, weights, scaling, seeds, xp=np):
    """DARE (Yu et al., 2024) of one parameter, merged by task arithmetic.

    Each entry of each task vector ``tensors[m] - base`` is kept when its
    uniform (:func:`keep_uniforms` of ``seeds[m]``) is below ``density`` and
    rescaled by ``1 / density``; returns
    ``base + scaling * sum_m weights[m] * rescaled_m``.
    """
    arrays = member_list(list(tensors), xp)
    dtype = result_dtype([*arrays, xp.asarray(base)])
    base = xp.asarray(base, dtype=dtype)
    total = xp.zeros(base.shape, dtype=dtype)
    for w, t, seed in zip(weights, arrays, seeds):
        if w == 0:
            continue
        keep = keep_uniforms(seed, base.size, xp).reshape(base.shape) < density
        total += xp.where(keep, dtype.type(w) * (t.astype(dtype) - base), dtype.type(0))
    return (base + dtype.type(scaling) * (total / dtype.type(density))).astype(dtype)
