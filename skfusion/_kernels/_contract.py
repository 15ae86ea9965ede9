"""The contract of each kernel, checked once at the dispatch for every backend.

Each ``check_<kernel>`` validates the arguments of one kernel call (lengths,
shapes, labels, finiteness, dtypes) before any backend runs, and returns
them normalised, with the dtype the result is cast back to (float16 inputs
are computed in float32 and returned as float16). A backend therefore only
ever sees valid input: every backend gives the same answer or, from here,
the same error.

Finiteness, per kernel:

- ``soft_vote``: NaN and inf propagate as IEEE arithmetic says (a member of
  weight 0 is skipped, so its values never reach the result); callers that
  must not blend them (``skfusion.blend``, the fusers) check first.
- ``rank_map``, ``caruana_select``, ``bayesian_bootstrap`` and the
  merging kernels: NaN and inf are an error.
- ``log_mixture``: log densities may be ``-inf`` (density 0); NaN and
  ``+inf`` are an error.
"""

import numbers

import numpy as np

from ._reference import member_list


def namespace(arrays):
    """numpy, or cupy when any of ``arrays`` lives on the GPU."""
    for a in arrays:
        if type(a).__module__.split(".")[0] == "cupy":
            import cupy

            return cupy
    return np


def _float_of(dtype):
    """The dtype a kernel computes in: float16 runs in float32, integers in float64."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _numeric(arrays, what):
    for m, a in enumerate(arrays):
        if a.dtype.kind not in "fiub":
            raise TypeError(
                f"{what}: member {m} has dtype {a.dtype}; expected numbers (float or int)."
            )


def _upcast_half(arrays):
    """float16 members as float32 (what the compiled kernels read)."""
    return [a.astype(np.float32) if a.dtype == np.float16 else a for a in arrays]


def all_finite(a, xp, *, allow_neg_inf=False):
    """Whether ``a`` holds no NaN or inf (``-inf`` allowed on request).

    One summation pass decides in the common case (a finite sum has neither);
    only an infinite or NaN sum, or an overflow, needs the exact test.
    """
    if a.dtype.kind != "f" or a.size == 0:
        return True
    if bool(xp.isfinite(a.sum(dtype=xp.float64))):
        return True
    bad = xp.isnan(a) | xp.isposinf(a)
    if not allow_neg_inf:
        bad |= xp.isneginf(a)
    return not bool(bad.any())


def check_finite(arrays, what, xp=np, *, allow_neg_inf=False):
    """Raise a ValueError naming the first member of ``arrays`` with NaN or inf."""
    for m, a in enumerate(arrays):
        if not all_finite(a, xp, allow_neg_inf=allow_neg_inf):
            allowed = " or +inf" if allow_neg_inf else " or inf"
            raise ValueError(f"{what}: member {m} holds NaN{allowed}; the values must be finite.")


def _weights(weights, n_members, what, *, non_negative=True):
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n_members:
        raise ValueError(
            f"{what}: weights must have one entry per member ({n_members}); got shape {w.shape}."
        )
    if not np.all(np.isfinite(w)) or (non_negative and np.any(w < 0)):
        raise ValueError(f"{what}: weights must be finite and non-negative; got {w}.")
    return w


def _members_and_dtype(predictions, what, xp):
    if not isinstance(predictions, (list, tuple)) and np.ndim(predictions) > 3:
        raise ValueError(
            f"{what}: a block of predictions is (n_samples, n_members) or (n_samples, "
            f"n_members, n_classes); got shape {predictions.shape}. Give a list of "
            "per-member arrays for other shapes."
        )
    members = member_list(predictions, xp)
    _numeric(members, what)
    dtype = np.result_type(*[a.dtype for a in members])
    return members, dtype


def _xp_of(predictions):
    return namespace(predictions if isinstance(predictions, (list, tuple)) else [predictions])


def _for_backend(predictions, members):
    """What the backend reads: the caller's block when it is one (so a backend
    can read it in its own order), else the members; float16 as float32 members."""
    if any(a.dtype == np.float16 for a in members):
        return _upcast_half(members)
    return members if isinstance(predictions, (list, tuple)) else predictions


def _result_dtype(dtype):
    """The dtype of a kernel's result: float16 stays float16, integers give float64."""
    return np.dtype(dtype) if np.dtype(dtype) == np.float16 else _float_of(dtype)


def check_soft_vote(predictions, weights):
    members, dtype = _members_and_dtype(predictions, "soft_vote", _xp_of(predictions))
    # In the dtype the sum is computed in: a weight too small for it is 0 on
    # every backend (skipped, so a NaN of that member does not propagate).
    weights = _weights(weights, len(members), "soft_vote", non_negative=False)
    weights = weights.astype(_float_of(dtype))
    return (_for_backend(predictions, members), weights), _result_dtype(dtype)


def check_simplex_deviation(predictions, active):
    members, _ = _members_and_dtype(predictions, "simplex_deviation", _xp_of(predictions))
    if members[0].ndim != 2:
        raise ValueError(
            f"simplex_deviation: members are (n_samples, n_classes); got {members[0].shape}."
        )
    active = np.asarray(active, dtype=bool)
    if active.shape != (len(members),):
        raise ValueError(
            f"simplex_deviation: active has one entry per member ({len(members)}); got "
            f"shape {active.shape}."
        )
    return (_for_backend(predictions, members), active), None


def check_hard_vote(labels, weights, n_classes):
    if not isinstance(n_classes, numbers.Integral) or n_classes < 1:
        raise ValueError(f"hard_vote: n_classes must be a positive integer; got {n_classes!r}.")
    members = member_list(labels, _xp_of(labels))
    # A block's range is read in one pass, not member by member (strided).
    in_range = not isinstance(labels, (list, tuple)) and (
        labels.dtype.kind in "iu"
        and (labels.size == 0 or (int(labels.min()) >= 0 and int(labels.max()) < n_classes))
    )
    for m, a in enumerate(members):
        if a.dtype.kind not in "iu":
            raise TypeError(
                f"hard_vote: member {m}'s labels have dtype {a.dtype}; expected class "
                "indices (integers)."
            )
        if a.ndim != 1:
            raise ValueError(f"hard_vote: member {m}'s labels must be 1-D; got {a.shape}.")
        if not in_range and a.size and (int(a.min()) < 0 or int(a.max()) >= n_classes):
            raise ValueError(
                f"hard_vote: member {m} has labels outside [0, {n_classes}): "
                f"[{int(a.min())}, {int(a.max())}]."
            )
    weights = _weights(weights, len(members), "hard_vote")
    return (_for_backend(labels, members), weights, int(n_classes)), None


def check_rank_map(scores, sorted_reference):
    xp = namespace([scores, sorted_reference])
    scores, reference = xp.asarray(scores), xp.asarray(sorted_reference)
    _numeric([scores, reference], "rank_map")
    if scores.ndim not in (1, 2) or reference.ndim != scores.ndim:
        raise ValueError(
            f"rank_map: scores and reference must both be 1-D or both 2-D; got {scores.shape} "
            f"and {reference.shape}."
        )
    if reference.shape[0] == 0 or reference.shape[1:] != scores.shape[1:]:
        raise ValueError(
            f"rank_map: the reference needs at least one row and one column per score "
            f"column; got {reference.shape} for scores {scores.shape}."
        )
    check_finite([scores], "rank_map scores", xp)
    check_finite([reference], "rank_map reference", xp)
    if reference.shape[0] > 1 and bool((reference[1:] < reference[:-1]).any()):
        raise ValueError("rank_map: the reference must be sorted along axis 0.")
    dtype = scores.dtype
    scores, reference = _upcast_half([scores, reference])
    return (scores, reference), _result_dtype(dtype)


def _check_scored(name, predictions, y, loss, sample_weight):
    """The arguments of the kernels that score blends of members against ``y``
    (Caruana's selection, the subset losses): members, y, loss, row weights."""
    if loss not in ("log_loss", "squared_error"):
        raise ValueError(f"{name}: loss must be 'log_loss' or 'squared_error'; got {loss!r}.")
    xp = _xp_of(predictions)
    members, _ = _members_and_dtype(predictions, name, xp)
    check_finite(members, f"{name} predictions", xp)
    y = xp.asarray(y)
    n = members[0].shape[0]
    if y.shape != (n,):
        raise ValueError(f"{name}: y must have shape ({n},); got {y.shape}.")
    if loss == "log_loss":
        if members[0].ndim != 2:
            raise ValueError(
                f"{name}: loss='log_loss' needs (n_samples, n_classes) members; got "
                f"{members[0].shape}."
            )
        k = members[0].shape[1]
        if y.dtype.kind not in "iu" or (n and (int(y.min()) < 0 or int(y.max()) >= k)):
            raise ValueError(f"{name}: y must hold class indices in [0, {k}).")
    else:
        if members[0].ndim != 1:
            raise ValueError(
                f"{name}: loss='squared_error' needs (n_samples,) members; got {members[0].shape}."
            )
        check_finite([y.astype(np.float64)], f"{name} y", xp)
    if sample_weight is None:
        sample_weight = xp.ones(n)
    sample_weight = xp.asarray(sample_weight, dtype=xp.float64)
    if (
        sample_weight.shape != (n,)
        or not all_finite(sample_weight, xp)
        or bool((sample_weight < 0).any())
        or not float(sample_weight.sum()) > 0
    ):
        raise ValueError(
            f"{name}: sample_weight must be finite, non-negative, not all zero, one "
            f"entry per row ({n})."
        )
    return _for_backend(predictions, members), y, sample_weight


def check_caruana_select(predictions, y, n_iter, loss="log_loss", sample_weight=None):
    if not isinstance(n_iter, numbers.Integral) or n_iter < 1:
        raise ValueError(f"caruana_select: n_iter must be a positive integer; got {n_iter!r}.")
    predictions, y, sample_weight = _check_scored(
        "caruana_select", predictions, y, loss, sample_weight
    )
    return (predictions, y, int(n_iter), loss, sample_weight), None


# 2**20 subsets (8 MB of losses per row chunk) is as far as enumeration goes.
SUBSET_LOSSES_MAX_MEMBERS = 20


def check_subset_losses(predictions, y, weights, loss="log_loss", sample_weight=None):
    predictions_, y, sample_weight = _check_scored(
        "subset_losses", predictions, y, loss, sample_weight
    )
    n_members = len(member_list(predictions, _xp_of(predictions)))
    if n_members > SUBSET_LOSSES_MAX_MEMBERS:
        raise ValueError(
            f"subset_losses: at most {SUBSET_LOSSES_MAX_MEMBERS} members (2**M subsets); "
            f"got {n_members}."
        )
    weights = _weights(weights, n_members, "subset_losses")
    return (predictions_, y, weights.astype(np.float64), loss, sample_weight), None


def check_cv_plus_bounds(fold_predictions, fold_of, residuals, low_rank, high_rank, scale=None):
    name = "cv_plus_bounds"
    xp = _xp_of(fold_predictions)
    mu = xp.asarray(fold_predictions)
    if mu.ndim != 2:
        raise ValueError(f"{name}: fold_predictions must be (n_test, n_folds); got {mu.shape}.")
    residuals = xp.asarray(residuals)
    fold_of = xp.asarray(fold_of)
    if residuals.ndim != 1 or fold_of.shape != residuals.shape:
        raise ValueError(
            f"{name}: residuals and fold_of must be (n,) alike; got {residuals.shape} and "
            f"{fold_of.shape}."
        )
    if fold_of.dtype.kind not in "iu" or (
        len(fold_of) and (int(fold_of.min()) < 0 or int(fold_of.max()) >= mu.shape[1])
    ):
        raise ValueError(f"{name}: fold_of must hold fold indices in [0, {mu.shape[1]}).")
    check_finite([mu, residuals], f"{name} inputs", xp)
    if scale is not None:
        scale = xp.asarray(scale)
        if scale.shape != (mu.shape[0],) or not all_finite(scale, xp) or bool((scale < 0).any()):
            raise ValueError(f"{name}: scale must be finite, non-negative, one per test row.")
    for rank in (low_rank, high_rank):
        if not isinstance(rank, numbers.Integral) or rank < 0:
            raise ValueError(f"{name}: ranks are non-negative integers; got {rank!r}.")
    return (mu, fold_of, residuals, int(low_rank), int(high_rank), scale), None


def check_local_competence(competence, neighbours, rule):
    name = "local_competence"
    xp = namespace([competence, neighbours])
    competence, neighbours = xp.asarray(competence), xp.asarray(neighbours)
    _numeric([competence], name)
    if competence.ndim != 2 or competence.shape[0] == 0:
        raise ValueError(
            f"{name}: competence must be (n_reference, n_members) with at least one reference "
            f"row; got {competence.shape}."
        )
    if neighbours.ndim != 2 or neighbours.shape[1] == 0 or neighbours.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: neighbours must be (n, k) integer row indices with k >= 1; got "
            f"{neighbours.shape} of dtype {neighbours.dtype}."
        )
    if neighbours.size and (
        int(neighbours.min()) < 0 or int(neighbours.max()) >= competence.shape[0]
    ):
        raise ValueError(f"{name}: neighbours must index rows in [0, {competence.shape[0]}).")
    if rule not in ("mean", "run"):
        raise ValueError(f"{name}: rule must be 'mean' or 'run'; got {rule!r}.")
    if competence.dtype.kind == "b":
        competence = competence.astype(xp.float64)
    check_finite([competence], f"{name} competence", xp)
    dtype = competence.dtype
    (competence,) = _upcast_half([competence])
    return (competence, neighbours.astype(xp.intp, copy=False), rule), _result_dtype(dtype)


def check_log_mixture(log_densities, weights):
    xp = _xp_of(log_densities)
    members, dtype = _members_and_dtype(log_densities, "log_mixture", xp)
    weights = _weights(weights, len(members), "log_mixture")
    if not np.any(weights > 0):
        raise ValueError("log_mixture: the weights are all zero.")
    check_finite(members, "log_mixture log densities", xp, allow_neg_inf=True)
    return (_for_backend(log_densities, members), weights), _result_dtype(dtype)


def check_bayesian_bootstrap(pointwise, alpha):
    xp = namespace([pointwise, alpha])
    pointwise, alpha = xp.asarray(pointwise), xp.asarray(alpha)
    if pointwise.ndim != 2 or alpha.ndim != 2 or alpha.shape[1] != pointwise.shape[0]:
        raise ValueError(
            "bayesian_bootstrap: pointwise must be (n_samples, n_members) and alpha "
            f"(n_draws, n_samples); got {pointwise.shape} and {alpha.shape}."
        )
    check_finite([pointwise], "bayesian_bootstrap pointwise", xp, allow_neg_inf=True)
    # alpha (draws x rows) is far larger than the result: it is checked
    # through the result (see after_bayesian_bootstrap), not read again here.
    return (pointwise, alpha), None


def after_bayesian_bootstrap(weights):
    """NaN or inf in alpha (or every member at -inf) makes a draw's weights NaN on
    every backend."""
    xp = namespace([weights])
    if not all_finite(weights, xp):
        draw = int(xp.argmax(~xp.isfinite(weights).all(axis=1)))
        raise ValueError(
            f"bayesian_bootstrap: the weights of draw {draw} are not finite: alpha holds NaN "
            "or inf, or every member has density 0 on some row that draw weighs."
        )


def _merge_inputs(tensors, base, weights, what, xp):
    members, dtype = _members_and_dtype(list(tensors), what, xp)
    check_finite(members, f"{what} tensors", xp)
    weights = _weights(weights, len(members), what)
    if base is not None:
        base = xp.asarray(base)
        if base.shape != members[0].shape:
            raise ValueError(
                f"{what}: base has shape {base.shape}, the tensors {members[0].shape}."
            )
        _numeric([base], f"{what} base")
        check_finite([base], f"{what} base", xp)
        dtype = np.result_type(dtype, base.dtype)
        if base.dtype == np.float16:
            base = base.astype(np.float32)
    return _upcast_half(members), base, weights, _result_dtype(dtype)


def _density_and_scaling(density, scaling, what):
    if not (isinstance(density, numbers.Real) and 0 < density <= 1):
        raise ValueError(f"{what}: density must be in (0, 1]; got {density!r}.")
    if not (isinstance(scaling, numbers.Real) and np.isfinite(scaling)):
        raise ValueError(f"{what}: scaling must be a finite number; got {scaling!r}.")


def check_weighted_average_params(tensors, weights):
    xp = namespace(list(tensors))
    members, _, weights, out_dtype = _merge_inputs(
        tensors, None, weights, "weighted_average_params", xp
    )
    return (members, weights), out_dtype


def check_ties_merge(tensors, base, density, weights, scaling):
    _density_and_scaling(density, scaling, "ties_merge")
    xp = namespace([*tensors, base])
    members, base, weights, out_dtype = _merge_inputs(tensors, base, weights, "ties_merge", xp)
    return (members, base, density, weights, scaling), out_dtype


def check_dare_merge(tensors, base, density, weights, scaling, seeds):
    _density_and_scaling(density, scaling, "dare_merge")
    xp = namespace([*tensors, base])
    members, base, weights, out_dtype = _merge_inputs(tensors, base, weights, "dare_merge", xp)
    seeds = np.asarray(seeds)
    if seeds.shape != (len(members),) or seeds.dtype.kind not in "iu" or np.any(seeds < 0):
        raise ValueError(
            f"dare_merge: seeds must be {len(members)} non-negative integers; got {seeds!r}."
        )
    return (members, base, density, weights, scaling, seeds.astype(np.uint64)), out_dtype


def check_online_weights(losses, log_weights, rates, share):
    name = "online_weights"
    xp = namespace([losses, log_weights, rates])
    losses, log_weights, rates = (xp.asarray(a) for a in (losses, log_weights, rates))
    _numeric([losses, log_weights, rates], name)
    if losses.ndim != 2 or losses.shape[1] == 0:
        raise ValueError(
            f"{name}: losses must be (n_rows, n_members) with at least one member; got "
            f"{losses.shape}."
        )
    n, n_members = losses.shape
    if log_weights.shape != (n_members,) or rates.shape != (n,):
        raise ValueError(
            f"{name}: log_weights must be ({n_members},) and rates ({n},) for losses of shape "
            f"{losses.shape}; got {log_weights.shape} and {rates.shape}."
        )
    # The recursion runs in float64 whatever comes in: errors would compound row by row.
    losses, log_weights, rates = (
        a.astype(xp.float64, copy=False) for a in (losses, log_weights, rates)
    )
    check_finite([losses, log_weights, rates], f"{name} inputs", xp)
    if n and float(rates.min()) < 0:
        raise ValueError(f"{name}: rates must be non-negative.")
    share = np.broadcast_to(np.asarray(share, dtype=np.float64), (n,))
    if n and not (float(share.min()) >= 0.0 and float(share.max()) < 1.0):
        raise ValueError(f"{name}: share must be in [0, 1) on every row.")
    return (losses, log_weights, rates, share), None
