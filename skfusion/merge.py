"""Merging model parameters given as arrays: soups, Fisher merging, task arithmetic, TIES, DARE.

Every function works on plain ``{name: array}`` dicts (a deep-learning state
dict converted to numpy, or the parameters of sklearn models), tensor by
tensor: the extra memory at any time is about one tensor per model plus one,
never all models stacked.
"""

import copy
import importlib
import numbers

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.neural_network import MLPClassifier, MLPRegressor

from ._compat import Interval, StrOptions, validate_params
from ._kernels import _is_device_array, get_kernel
from ._kernels._contract import all_finite, namespace
from ._utils import numpy_generator
from .weights import check_weights

__all__ = ["align_mlp", "merge_params"]

MERGES = ("average", "fisher", "task_arithmetic", "ties", "dare")
_NEEDS_BASE = ("task_arithmetic", "ties", "dare")
# Kernel of each merge; the others take "weighted_average_params".
_KERNELS = {"task_arithmetic": "dare_merge", "ties": "ties_merge", "dare": "dare_merge"}


def _check_same_layout(dicts, what, reference=None):
    """Every dict has the keys and shapes of ``reference`` (default: the first)."""
    reference = dicts[0] if reference is None else reference
    for m, d in enumerate(dicts):
        if set(d) != set(reference):
            missing = sorted(set(reference) - set(d))
            extra = sorted(set(d) - set(reference))
            raise ValueError(
                f"{what} {m} has other parameters than model 0 (missing: {missing}, extra: "
                f"{extra}); merging needs models of one architecture."
            )
        for name, value in d.items():
            if np.shape(value) != np.shape(reference[name]):
                raise ValueError(
                    f"{what} {m} has parameter {name!r} of shape {np.shape(value)}, but model 0 "
                    f"has {np.shape(reference[name])}; merging needs models of one architecture."
                )


@validate_params(
    {
        "params": [list, tuple],
        "merge": [StrOptions(set(MERGES))],
        "weights": ["array-like", None],
        "base": [dict, None],
        "fisher": [list, tuple, None],
        "density": [Interval(numbers.Real, 0, 1, closed="right")],
        "scaling": [Interval(numbers.Real, None, None, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def merge_params(
    params,
    *,
    merge="average",
    weights=None,
    base=None,
    fisher=None,
    density=0.2,
    scaling=1.0,
    random_state=None,
):
    """Merge the parameters of same-shaped models.

    Parameters
    ----------
    params : list of dict of {str: array}
        One dict per model, with the same names and shapes. Numpy arrays
        give numpy arrays, cupy arrays cupy arrays (where a GPU kernel exists).
    merge : {"average", "fisher", "task_arithmetic", "ties", "dare"}, default="average"
        How the parameters are combined:

        - ``"average"``: ``sum_m w_m theta_m`` with ``weights`` normalised
          (the plain mean, a model soup, without weights).
        - ``"fisher"``: ``sum_m w_m F_m theta_m / sum_m w_m F_m`` per entry,
          with diagonal Fishers ``fisher`` (entries whose Fishers are all 0
          take the weighted mean).
        - ``"task_arithmetic"``: ``base + scaling * sum_m w_m (theta_m - base)``.
        - ``"ties"``: task vectors trimmed to the top ``density`` fraction of
          entries by magnitude, signs elected by weighted mass, the disjoint
          (weighted) mean of the entries that agree; ``base + scaling * merged``.
        - ``"dare"``: each task-vector entry dropped with probability
          ``1 - density`` and the kept ones divided by ``density``, then task
          arithmetic.
    weights : array-like of shape (n_models,), default=None
        Non-negative model weights. None: uniform for ``"average"`` and
        ``"fisher"``; 1 each (a plain sum of task vectors)
        for ``"task_arithmetic"``, ``"ties"`` and ``"dare"``.
    base : dict of {str: array}, default=None
        The shared starting point; required by the task-vector methods.
    fisher : list of dict of {str: array}, default=None
        Diagonal Fisher information per model, shaped like ``params``;
        required by ``"fisher"``.
    density : float in (0, 1], default=0.2
        Share of entries kept by ``"ties"`` (by magnitude) and ``"dare"`` (at random).
    scaling : float, default=1.0
        Multiplier of the merged task vector.
    random_state : int, RandomState instance or None, default=None
        Seeds DARE's drops.

    Returns
    -------
    merged : dict of {str: array}
        The merged parameters, in the models' dtype.

    See Also
    --------
    align_mlp : Permute an MLP's hidden units to match another before merging.
    skfusion.WeightSpaceFuser : The estimator that fits, aligns and merges models.

    References
    ----------
    .. [1] Wortsman, M. et al. (2022). Model soups. ICML.
    .. [2] Matena, M., Raffel, C. (2022). Merging models with Fisher-weighted averaging.
       NeurIPS.
    .. [3] Ilharco, G. et al. (2023). Editing models with task arithmetic. ICLR.
    .. [4] Yadav, P. et al. (2023). TIES-merging: resolving interference when merging
       models. NeurIPS.
    .. [5] Yu, L. et al. (2024). Language models are super Mario: absorbing abilities
       from homologous models as a free lunch (DARE). ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.merge import merge_params
    >>> base = {"w": np.zeros(4)}
    >>> a = {"w": np.array([1.0, 0.0, -2.0, 0.5])}
    >>> b = {"w": np.array([3.0, 1.0, 0.0, -0.5])}
    >>> merge_params([a, b])["w"]
    array([ 2. ,  0.5, -1. ,  0. ])
    >>> merge_params([a, b], merge="task_arithmetic", base=base, scaling=0.5)["w"]
    array([ 2. ,  0.5, -1. ,  0. ])
    >>> merge_params([a, b], merge="ties", base=base, density=0.5)["w"]
    array([ 2.,  1., -2.,  0.])
    """
    params = list(params)
    if not params:
        raise ValueError("params holds no model.")
    _check_same_layout(params, "model")
    if merge in _NEEDS_BASE:
        if base is None:
            raise ValueError(f"merge={merge!r} merges task vectors and needs base.")
        _check_same_layout([base], "base", reference=params[0])
    if merge == "fisher":
        if fisher is None or len(fisher) != len(params):
            raise ValueError("merge='fisher' needs one Fisher dict per model in fisher.")
        _check_same_layout(list(fisher), "fisher of model", reference=params[0])
    _check_finite_params(params, "model")
    if base is not None:
        _check_finite_params([base], "base")
    w = check_weights(weights, len(params), normalize=merge not in _NEEDS_BASE)
    seeds = None
    if merge == "dare":
        rng = numpy_generator(random_state)
        seeds = rng.integers(0, np.iinfo(np.int64).max, size=(len(params[0]), len(params)))
    keep_all = np.zeros(len(params), dtype=np.uint64)  # seeds of DARE at density 1: unused

    merged = {}
    for t, name in enumerate(params[0]):
        tensors = [p[name] for p in params]
        kernel = get_kernel(_KERNELS.get(merge, "weighted_average_params"), tensors)
        if merge == "average":
            merged[name] = kernel(tensors, w)
        elif merge == "task_arithmetic":
            # Sum the task vectors, never the models: the equal sum_m s w_m theta_m +
            # (1 - s sum_m w_m) base adds up models far larger than their task vectors, then
            # cancels them, and loses most of float32's digits of the merged task vector.
            # DARE dropping nothing (density 1: every uniform is below 1) is exactly
            # base + s sum_m w_m (theta_m - base), each difference taken on the fly.
            merged[name] = kernel(tensors, base[name], 1.0, w, scaling, keep_all)
        elif merge == "ties":
            merged[name] = kernel(tensors, base[name], density, w, scaling)
        elif merge == "dare":
            merged[name] = kernel(tensors, base[name], density, w, scaling, seeds[t])
        else:
            fishers = [f[name] for f in fisher]
            merged[name] = _fisher_average(tensors, fishers, w, kernel(tensors, w))
    return merged


def _check_finite_params(params, what):
    """A ValueError naming the model and the parameter that hold NaN or inf."""
    for m, model in enumerate(params):
        for name, tensor in model.items():
            if not all_finite(tensor, namespace([tensor])):
                who = what if len(params) == 1 and what == "base" else f"{what} {m}"
                raise ValueError(
                    f"{who}'s parameter {name!r} holds NaN or inf; merging needs finite "
                    "parameters."
                )


def _fisher_average(tensors, fishers, weights, weighted_mean):
    """``sum w F theta / sum w F`` per entry; ``weighted_mean`` where all F are 0."""
    xp = importlib.import_module("cupy") if _is_device_array(weighted_mean) else np
    numerator = xp.zeros(weighted_mean.shape)
    denominator = xp.zeros(weighted_mean.shape)
    for w, f, t in zip(weights, fishers, tensors):
        if w > 0:
            numerator += w * (xp.asarray(f) * t)
            denominator += w * xp.asarray(f)
    positive = denominator > 0
    out = xp.where(positive, numerator / xp.where(positive, denominator, 1), weighted_mean)
    return out.astype(weighted_mean.dtype, copy=False)


# ---------------------------------------------------------------------------
# aligning MLP hidden units (weight matching)
# ---------------------------------------------------------------------------
def _layers(model):
    """(coefs, intercepts or None, kind) of an sklearn MLP, a list of matrices or a pair."""
    if hasattr(model, "coefs_"):
        return list(model.coefs_), list(model.intercepts_), "estimator"
    if isinstance(model, tuple) and len(model) == 2:
        return list(model[0]), list(model[1]), "pair"
    if isinstance(model, list):
        return list(model), None, "list"
    raise TypeError(
        "align_mlp takes fitted MLPClassifier / MLPRegressor models, lists of weight "
        "matrices (n_in, n_out) per layer, or (weights, biases) pairs of lists; got "
        f"{type(model).__name__}."
    )


def _weight_matching(ref_coefs, ref_intercepts, coefs, intercepts, *, max_iter=100, seed=0):
    """Permutations of each hidden layer of ``coefs`` that best match ``ref_coefs``.

    Coordinate ascent over the layers (in random order) of
    ``sum_l <W_l^ref, P_{l-1}^T W_l P_l>`` (plus the biases), each step a
    linear assignment (Ainsworth et al., 2023, weight matching). Weight
    matrices are ``(n_in, n_out)`` as in sklearn. Returns one index array
    per hidden layer: unit ``i`` of the reference matches unit ``perm[i]``.
    """
    n_hidden = len(coefs) - 1
    perms = [np.arange(c.shape[1]) for c in coefs[:-1]]
    rng = np.random.default_rng(seed)
    for _ in range(max_iter):
        changed = False
        for layer in rng.permutation(n_hidden):
            incoming = coefs[layer] if layer == 0 else coefs[layer][perms[layer - 1]]
            similarity = ref_coefs[layer].T @ incoming
            if intercepts is not None:
                similarity += np.outer(ref_intercepts[layer], intercepts[layer])
            outgoing = coefs[layer + 1]
            if layer + 1 < n_hidden:
                outgoing = outgoing[:, perms[layer + 1]]
            similarity += ref_coefs[layer + 1] @ outgoing.T
            _, perm = linear_sum_assignment(similarity, maximize=True)
            if not np.array_equal(perm, perms[layer]):
                perms[layer], changed = perm, True
        if not changed:
            break
    return perms


@validate_params(
    {
        "reference": [MLPClassifier, MLPRegressor, list, tuple],
        "other": [MLPClassifier, MLPRegressor, list, tuple],
    },
    prefer_skip_nested_validation=True,
)
def align_mlp(reference, other):
    """Permute the hidden units of ``other`` to match ``reference``.

    Permuting hidden units changes no prediction of an MLP, but two MLPs
    trained from different starts hold matching units in different places,
    and averaging them unaligned mixes unrelated units. Weight matching finds
    the permutation of each hidden layer that makes ``other``'s weights
    closest to ``reference``'s.

    Parameters
    ----------
    reference, other : MLPClassifier, MLPRegressor, list or tuple
        Fitted sklearn MLPs of one architecture; or lists of weight matrices
        ``(n_in, n_out)`` per layer; or ``(weights, biases)`` pairs of lists.

    Returns
    -------
    aligned : same type as ``other``
        A permuted copy of ``other`` (predicting exactly as ``other``).

    See Also
    --------
    merge_params : Merge the aligned parameters.

    References
    ----------
    .. [1] Ainsworth, S., Hayase, J., Srinivasa, S. (2023). Git re-basin: merging models
       modulo permutation symmetries. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.merge import align_mlp
    >>> rng = np.random.default_rng(0)
    >>> layers = [rng.normal(size=(3, 5)), rng.normal(size=(5, 2))]
    >>> perm = np.array([4, 0, 3, 1, 2])
    >>> shuffled = [layers[0][:, perm], layers[1][perm]]
    >>> aligned = align_mlp(layers, shuffled)
    >>> all(np.allclose(a, b) for a, b in zip(aligned, layers))
    True
    """
    ref_coefs, ref_intercepts, _ = _layers(reference)
    coefs, intercepts, kind = _layers(other)
    _check_same_layout(
        [{f"layer {i}": c for i, c in enumerate(coefs)}],
        "other",
        reference={f"layer {i}": c for i, c in enumerate(ref_coefs)},
    )
    use_bias = ref_intercepts is not None and intercepts is not None
    perms = _weight_matching(
        ref_coefs, ref_intercepts if use_bias else None, coefs, intercepts if use_bias else None
    )
    new_coefs, new_intercepts = list(coefs), None if intercepts is None else list(intercepts)
    for layer, perm in enumerate(perms):
        new_coefs[layer] = new_coefs[layer][:, perm]
        new_coefs[layer + 1] = new_coefs[layer + 1][perm]
        if new_intercepts is not None:
            new_intercepts[layer] = new_intercepts[layer][perm]
    if kind == "list":
        return new_coefs
    if kind == "pair":
        return new_coefs, new_intercepts
    aligned = copy.deepcopy(other)
    aligned.coefs_, aligned.intercepts_ = new_coefs, new_intercepts
    return aligned
