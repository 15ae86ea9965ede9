"""Aggregation kernels and their dispatch.

Every kernel exists under one name in each backend: ``_reference`` (readable
numpy, the truth), ``_numba`` (compiled CPU) and ``_cupy`` (GPU). Neither
numba nor cupy is imported until a kernel of that backend is first asked for.
"""

import importlib
import warnings

from .._config import get_config
from . import _contract, _reference
from ._reference import member_list as member_list

KERNELS = (
    "soft_vote",
    "simplex_deviation",
    "hard_vote",
    "rank_map",
    "caruana_select",
    "subset_losses",
    "cv_plus_bounds",
    "local_competence",
    "online_weights",
    "log_mixture",
    "bayesian_bootstrap",
    "weighted_average_params",
    "ties_merge",
    "dare_merge",
)

# Below this many input elements the numba call overhead and first-call
# compilation cost more than the numpy reference takes.
AUTO_NUMBA_MIN_SIZE = 1 << 16
# Kernels whose reference is a Python loop over rows (microseconds a row)
# win with numba from a few rows on.
AUTO_NUMBA_MIN_SIZE_OF = {"online_weights": 256}

_backend_cache = {}


def _is_device_array(a):
    return type(a).__module__.split(".")[0] == "cupy"


def _flatten(arrays):
    for a in arrays:
        if isinstance(a, (list, tuple)):
            yield from _flatten(a)
        else:
            yield a


def _load(backend):
    """Import a backend module once; on failure return the reason instead."""
    if backend not in _backend_cache:
        try:
            module = importlib.import_module(f"._{backend}", __name__)
            if backend == "cupy":
                cupy = module._cupy()
                # Import can succeed on a machine whose driver or GPU is
                # unusable; only a real operation tells.
                float((cupy.arange(3, dtype=cupy.float64) * 2).sum())
            _backend_cache[backend] = module
        except Exception as exc:  # noqa: BLE001 - any failure means "unavailable"
            _backend_cache[backend] = f"{type(exc).__name__}: {exc}"
    return _backend_cache[backend]


def _warn_unavailable(backend, reason):
    key = ("warned", backend)
    if key not in _backend_cache:
        _backend_cache[key] = True
        warnings.warn(
            f"skfusion: the {backend} engine is unavailable ({reason}); using the CPU "
            "kernels instead.",
            RuntimeWarning,
            stacklevel=3,
        )


def require_cupy():
    """Load the GPU backend, or raise one error that says why it cannot run."""
    module = _load("cupy")
    if isinstance(module, str):
        raise RuntimeError(
            f"engine='cupy' is unavailable: {module}. The GPU engine needs an NVIDIA GPU "
            'and cupy (pip install -e ".[gpu]"); everything else runs on the CPU with '
            "engine='auto'."
        )
    return module


def get_backend(*arrays, min_size=AUTO_NUMBA_MIN_SIZE):
    """Return the backend module that kernels on ``arrays`` should use
    (``"auto"``: numba from ``min_size`` input elements on)."""
    flat = list(_flatten(arrays))
    engine = get_config()["engine"]
    if engine == "cupy" or any(_is_device_array(a) for a in flat):
        return require_cupy()
    if engine == "numpy":
        return _reference
    if engine == "numba":
        module = _load(engine)
        if not isinstance(module, str):
            return module
        _warn_unavailable(engine, module)
        return _reference
    size = sum(getattr(a, "size", 0) for a in flat)
    if size >= min_size:
        module = _load("numba")
        if not isinstance(module, str):
            return module
    return _reference


class _CheckedKernel:
    """A backend's kernel behind its contract (``_contract.check_<name>``).

    The arguments are validated and normalised once, before the backend
    runs; the result is cast to the contract's dtype (float16 in, float16
    out, computed in float32).
    """

    def __init__(self, name, kernel):
        self.name = name
        self.kernel = kernel
        self.check = getattr(_contract, f"check_{name}")
        # Inputs far larger than the result are checked through the result.
        self.check_result = getattr(_contract, f"after_{name}", None)

    def __call__(self, *args, **kwargs):
        args, result_dtype = self.check(*args, **kwargs)
        result = self.kernel(*args)
        if self.check_result is not None:
            self.check_result(result)
        if result_dtype is not None and result.dtype != result_dtype:
            result = result.astype(result_dtype)
        return result


def get_kernel(name, *arrays):
    """Return kernel ``name`` of the backend chosen for ``arrays``, behind its contract.

    Cupy arrays go to the GPU kernels; otherwise the ``engine`` of
    :func:`skfusion.config_context` decides (``"auto"``: numba for inputs of
    at least ``AUTO_NUMBA_MIN_SIZE`` elements, else the numpy reference).
    Whatever the backend, the arguments are checked by the same contract
    first (see ``_contract``), so backends agree or raise the same error.
    """
    if name not in KERNELS:
        raise ValueError(f"Unknown kernel {name!r}; known: {KERNELS}.")
    min_size = AUTO_NUMBA_MIN_SIZE_OF.get(name, AUTO_NUMBA_MIN_SIZE)
    return _CheckedKernel(name, getattr(get_backend(*arrays, min_size=min_size), name))
