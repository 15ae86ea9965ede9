"""Every use of a private scikit-learn API, in one place.

scikit-learn keeps these names out of its public API, yet estimators outside
it rely on them (parameter validation, ``_fit_context``, row indexing). When
one of them moves, this is the only file to change.
"""

from sklearn import get_config
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _num_features,
    _num_samples,
)

try:  # sklearn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # pragma: no cover - sklearn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock


def validate_arguments(constraints, arguments, caller):
    """Validate a method's ``arguments`` (a dict) as ``validate_params`` does,
    its messages naming ``caller`` (``"WeightedBlender.predict_set"``): the
    public method, not the private helper or mixin that checks them."""
    if get_config().get("skip_parameter_validation", False):  # as validate_params
        return
    validate_parameter_constraints(constraints, arguments, caller_name=caller)


def is_negated_loss(scorer):
    """Whether an sklearn scorer negates a loss (``make_scorer(greater_is_better=False)``,
    the ``neg_*`` scorers); False for callables of unknown sign."""
    return getattr(scorer, "_sign", 1) < 0


__all__ = [
    "HasMethods",
    "Interval",
    "RealNotInt",
    "StrOptions",
    "_BaseComposition",
    "_VisualBlock",
    "_check_feature_names",
    "_check_n_features",
    "_fit_context",
    "_num_features",
    "_num_samples",
    "_safe_indexing",
    "is_negated_loss",
    "validate_arguments",
    "validate_params",
]
