"""skfusion: model fusion for scikit-learn.

Blending, out-of-fold stacking, Bayesian model averaging and weight-space
merging of scikit-learn estimators.

Public names load on first use (PEP 562), so ``import skfusion`` stays fast:
scikit-learn, numba and cupy are imported only when something needs them.
"""

import importlib

from ._config import config_context, get_config, set_config

__version__ = "0.1.0.dev0"

_LAZY = {
    "BayesianModelAverager": "._bma",
    "BayesianModelAveragerRegressor": "._bma",
    "Distiller": "._distill",
    "DistillerRegressor": "._distill",
    "DynamicSelector": "._dynamic",
    "DynamicSelectorRegressor": "._dynamic",
    "GatedBlender": "._dynamic",
    "GatedBlenderRegressor": "._dynamic",
    "OnlineBlender": "._online",
    "OnlineBlenderRegressor": "._online",
    "OOFStacker": "._stacking",
    "OOFStackerRegressor": "._stacking",
    "WeightedBlender": "._blending",
    "WeightedBlenderRegressor": "._blending",
    "WeightSpaceFuser": "._weight_space",
    "WeightSpaceFuserRegressor": "._weight_space",
    "blend": "._blending",
    "inspection": ".inspection",
    "merge": ".merge",
    "metrics": ".metrics",
    "weights": ".weights",
}

__all__ = [*_LAZY, "__version__", "config_context", "get_config", "set_config"]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        value = module if name == module.__name__.rsplit(".", 1)[-1] else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfusion' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
