"""Global, thread-local configuration of skfusion (modelled on sklearn's)."""

import threading
from contextlib import contextmanager

ENGINES = ("auto", "numpy", "numba", "cupy")

_global_config = {"engine": "auto"}
_threadlocal = threading.local()


def _get_threadlocal_config():
    if not hasattr(_threadlocal, "config"):
        _threadlocal.config = _global_config.copy()
    return _threadlocal.config


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
    return _get_threadlocal_config().copy()


def set_config(engine=None):
    """Set the skfusion configuration for the current thread.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba", "cupy"}, default=None
        Backend of the aggregation kernels. ``"auto"`` uses numba for numpy
        inputs large enough for compiled code to win and the readable numpy
        reference otherwise; ``"numpy"`` always uses the reference;
        ``"numba"`` always uses the compiled CPU kernels; ``"cupy"`` runs the
        kernels on the GPU: numpy inputs are copied to the device and the
        results back, while the members stay scikit-learn models. Asking for
        ``"cupy"`` where cupy or a GPU is unavailable raises a RuntimeError
        that says why. Cupy arrays always go to the GPU kernels. ``None``
        leaves the setting unchanged.

    See Also
    --------
    config_context : Context manager for a temporary configuration.
    get_config : Retrieve the current configuration.

    Examples
    --------
    >>> import skfusion
    >>> skfusion.set_config(engine="numpy")
    >>> skfusion.get_config()["engine"]
    'numpy'
    >>> skfusion.set_config(engine="auto")
    """
    config = _get_threadlocal_config()
    if engine is not None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}.")
        if engine == "cupy":
            from ._kernels import require_cupy  # loads cupy only when asked for

            require_cupy()
        config["engine"] = engine


@contextmanager
def config_context(*, engine=None):
    """Context manager that sets the skfusion configuration temporarily.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba", "cupy"}, default=None
        See :func:`set_config`. ``None`` keeps the current value.

    Yields
    ------
    None.

    See Also
    --------
    set_config : Set the configuration.
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
    old = get_config()
    set_config(engine=engine)
    try:
        yield
    finally:
        set_config(**old)
