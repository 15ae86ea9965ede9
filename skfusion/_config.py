"""skfusion's configuration: a process-wide setting with thread-local overrides.

:func:`set_config` changes the setting of the whole process (every thread,
and the worker processes started afterwards, through the ``SKFUSION_ENGINE``
environment variable); :func:`config_context` overrides it in the current
thread only. Tasks that skfusion itself starts carry the caller's setting,
context included, into their threads and processes.
"""

import os
import threading
import warnings
from contextlib import contextmanager

ENGINES = ("auto", "numpy", "numba", "cupy")
ENGINE_VARIABLE = "SKFUSION_ENGINE"


def _engine_from_environment():
    engine = os.environ.get(ENGINE_VARIABLE, "auto")
    if engine not in ENGINES:
        warnings.warn(
            f"{ENGINE_VARIABLE}={engine!r} is not one of {ENGINES}; using 'auto'.",
            RuntimeWarning,
            stacklevel=2,
        )
        return "auto"
    return engine


_global_config = {"engine": _engine_from_environment()}
_threadlocal = threading.local()


def _overrides():
    """The current thread's :func:`config_context` values."""
    if not hasattr(_threadlocal, "overrides"):
        _threadlocal.overrides = {}
    return _threadlocal.overrides


def _check_engine(engine):
    # The configuration stores the name; whether the engine can run is for
    # the kernels to say, when they run (_kernels.get_backend).
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}.")


def get_config():
    """Return the current skfusion configuration.

    Returns
    -------
    config : dict
        Keys are parameter names that can be passed to :func:`set_config`.

    See Also
    --------
    config_context : Context manager for a temporary configuration.
    set_config : Set the configuration.

    Examples
    --------
    >>> import skfusion
    >>> skfusion.get_config()["engine"]
    'auto'
    """
    return {**_global_config, **_overrides()}


def set_config(engine=None):
    """Set the skfusion configuration of the whole process.

    The setting reaches every thread that is not inside a
    :func:`config_context`, including the worker threads of parallel code
    that skfusion does not start (``GridSearchCV(n_jobs=2)`` around a fuser).
    It is also written to the ``SKFUSION_ENGINE`` environment variable,
    which skfusion reads at import, so that worker processes started
    afterwards begin with it. Worker processes that already run (joblib
    keeps its process pool between calls) keep the setting they started
    with: set ``SKFUSION_ENGINE`` before the first parallel call, or in the
    shell, to reach them too.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba", "cupy"}, default=None
        Backend of the aggregation kernels. ``"auto"`` uses numba for numpy
        inputs large enough for compiled code to win and the readable numpy
        reference otherwise; ``"numpy"`` always uses the reference;
        ``"numba"`` always uses the compiled CPU kernels; ``"cupy"`` runs the
        kernels on the GPU: numpy inputs are copied to the device and the
        results back, while the members stay scikit-learn models. Where cupy
        or a GPU is unavailable, the first kernel that runs under
        ``"cupy"`` raises a RuntimeError that says why. Cupy arrays always go
        to the GPU kernels. ``None`` leaves the setting unchanged.

    See Also
    --------
    config_context : Context manager for a temporary, thread-local setting.
    get_config : Retrieve the current configuration.

    Examples
    --------
    >>> import skfusion
    >>> skfusion.set_config(engine="numpy")
    >>> skfusion.get_config()["engine"]
    'numpy'
    >>> skfusion.set_config(engine="auto")
    """
    if engine is None:
        return
    _check_engine(engine)
    _global_config["engine"] = engine
    os.environ[ENGINE_VARIABLE] = engine
    # Inside a context the call takes effect at once; the context still
    # restores its own value when it ends.
    if "engine" in _overrides():
        _overrides()["engine"] = engine


@contextmanager
def config_context(*, engine=None):
    """Context manager that sets the skfusion configuration temporarily.

    The setting holds in the current thread and in every task that skfusion
    starts from it (member x fold fits, in threads and processes alike).
    Parallel code that skfusion does not start, such as
    ``GridSearchCV(n_jobs=2)`` around a fuser, carries only scikit-learn's
    own configuration to its workers, which therefore see the process-wide
    setting of :func:`set_config` (or ``SKFUSION_ENGINE``) instead.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba", "cupy"}, default=None
        See :func:`set_config`. ``None`` keeps the current value.

    Yields
    ------
    None.

    See Also
    --------
    set_config : Set the configuration of the whole process.
    get_config : Retrieve the current configuration.

    Examples
    --------
    >>> import skfusion
    >>> with skfusion.config_context(engine="numba"):
    ...     skfusion.get_config()["engine"]
    'numba'
    >>> skfusion.get_config()["engine"]
    'auto'
    """
    overrides = _overrides()
    old = overrides.copy()
    if engine is not None:
        _check_engine(engine)
        overrides["engine"] = engine
    try:
        yield
    finally:
        overrides.clear()
        overrides.update(old)
