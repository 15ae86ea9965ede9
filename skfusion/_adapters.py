"""Reading and writing the parameter arrays of sklearn model families.

One adapter per family: a new family is one small class with ``read``,
``write`` and, where the model is probabilistic, ``fisher``.
"""

import copy

import numpy as np
from scipy import sparse
from scipy.special import expit, softmax
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.utils import check_array
from sklearn.utils.extmath import safe_sparse_dot

# sklearn MLPs' hidden-layer activations, applied in place, and their
# derivatives in terms of the activation's output ``a = f(z)`` (what
# back-propagation keeps), multiplied into ``delta`` in place.
ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": lambda z: expit(z, out=z),
    "tanh": lambda z: np.tanh(z, out=z),
    "relu": lambda z: np.maximum(z, 0, out=z),
}
DERIVATIVES = {
    "identity": lambda a, delta: delta,
    "logistic": lambda a, delta: np.multiply(delta, a * (1 - a), out=delta),
    "tanh": lambda a, delta: np.multiply(delta, 1 - a**2, out=delta),
    "relu": lambda a, delta: np.multiply(delta, a > 0, out=delta),
}


def _square(a):
    return a.power(2) if sparse.issparse(a) else a**2


def _diagonal_fisher(coefs, intercepts, X, hidden_activation, output):
    """Diagonal of the expected Fisher information of a feed-forward network.

    ``coefs[l]`` is ``(n_in, n_out)``. ``output`` names the likelihood:
    ``"softmax"`` (categorical), ``"logistic"`` (independent Bernoulli per
    output) or ``"identity"`` (unit-variance Gaussian per output). The
    expectation over the label is exact: per sample, the squared gradient is
    averaged over the labels under the model's own predictive distribution.
    Returns ``(F_coefs, F_intercepts)`` averaged over the rows of X.
    """
    X = check_array(X, accept_sparse="csr", dtype=(np.float64, np.float32))
    activations = [X]
    for layer in range(len(coefs)):
        z = np.asarray(safe_sparse_dot(activations[-1], coefs[layer])) + intercepts[layer]
        if layer < len(coefs) - 1:
            ACTIVATIONS[hidden_activation](z)  # in place
            activations.append(z)
    n, n_out = X.shape[0], coefs[-1].shape[1]
    # the output layer's activation: the model's predictive distribution
    p = softmax(z, axis=1) if output == "softmax" else expit(z) if output == "logistic" else None
    # (output delta, row weight) pairs whose weighted squares give the expectation.
    if output == "softmax":
        terms = [(p - np.eye(n_out)[c], p[:, c]) for c in range(n_out)]
    else:
        unit = np.eye(n_out)
        row_weight = p * (1 - p) if output == "logistic" else np.ones((n, n_out))
        terms = [(np.broadcast_to(unit[o], (n, n_out)), row_weight[:, o]) for o in range(n_out)]
    f_coefs = [np.zeros_like(c, dtype=np.float64) for c in coefs]
    f_intercepts = [np.zeros_like(b, dtype=np.float64) for b in intercepts]
    for delta, row_weight in terms:
        delta = np.array(delta, dtype=np.float64)
        for layer in range(len(coefs) - 1, -1, -1):
            weighted = row_weight[:, None] * delta**2
            f_coefs[layer] += np.asarray(safe_sparse_dot(_square(activations[layer]).T, weighted))
            f_intercepts[layer] += weighted.sum(axis=0)
            if layer > 0:
                delta = delta @ coefs[layer].T
                DERIVATIVES[hidden_activation](activations[layer], delta)
    return [f / n for f in f_coefs], [f / n for f in f_intercepts]


class _Adapter:
    """Parameter access for one family of estimators."""

    classes: tuple = ()
    fisher_note = ""

    def read(self, estimator):
        """``{name: array}`` of a fitted estimator's parameters."""
        raise NotImplementedError

    def write(self, estimator, params):
        """A copy of fitted ``estimator`` holding ``params``."""
        raise NotImplementedError

    def supports_fisher(self, estimator):
        return False

    def fisher(self, estimator, X):
        """Diagonal Fisher information, ``{name: array}`` shaped like ``read``."""
        raise NotImplementedError

    def architecture(self, estimator):
        """Hyperparameters that fix the parameter shapes (compared before fitting)."""
        return {}


class LinearAdapter(_Adapter):
    """``coef_`` and ``intercept_`` of linear models."""

    classes = (
        LogisticRegression,
        LinearRegression,
        Ridge,
        Lasso,
        ElasticNet,
        SGDClassifier,
        SGDRegressor,
        LinearSVC,
        LinearSVR,
        Perceptron,
    )
    fisher_note = (
        "LogisticRegression, SGDClassifier(loss='log_loss') and the squared-error "
        "regressors (LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor)"
    )

    def read(self, estimator):
        return {
            "coef_": np.asarray(estimator.coef_),
            "intercept_": np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64)),
        }

    def write(self, estimator, params):
        out = copy.deepcopy(estimator)
        out.coef_ = np.array(params["coef_"], dtype=np.asarray(estimator.coef_).dtype)
        intercept = np.asarray(params["intercept_"])
        out.intercept_ = (
            intercept.reshape(np.shape(estimator.intercept_))
            if np.ndim(estimator.intercept_)
            else float(intercept[0])
        )
        return out

    def _likelihood(self, estimator):
        if isinstance(estimator, LogisticRegression):
            return "logistic_regression"
        if isinstance(estimator, SGDClassifier) and estimator.loss == "log_loss":
            return "one_vs_rest"
        if isinstance(estimator, (LinearRegression, Ridge, Lasso, ElasticNet)) or (
            isinstance(estimator, SGDRegressor) and estimator.loss == "squared_error"
        ):
            return "gaussian"
        return None

    def supports_fisher(self, estimator):
        return self._likelihood(estimator) is not None

    def fisher(self, estimator, X):
        coef = np.atleast_2d(estimator.coef_)
        intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64))
        likelihood = self._likelihood(estimator)
        if likelihood == "gaussian":
            output = "identity"
        elif likelihood == "logistic_regression" and coef.shape[0] > 1:
            output = "softmax"
        else:  # binary, or one-vs-rest: an independent sigmoid per row of coef_
            output = "logistic"
        (f_coef,), (f_intercept,) = _diagonal_fisher([coef.T], [intercept], X, None, output)
        return {"coef_": f_coef.T.reshape(np.shape(estimator.coef_)), "intercept_": f_intercept}


class MLPAdapter(_Adapter):
    """``coefs_`` and ``intercepts_`` of multi-layer perceptrons, one entry per layer."""

    classes = (MLPClassifier, MLPRegressor)
    fisher_note = "MLPClassifier and MLPRegressor"

    def read(self, estimator):
        params = {f"coefs_{i}": c for i, c in enumerate(estimator.coefs_)}
        params.update({f"intercepts_{i}": b for i, b in enumerate(estimator.intercepts_)})
        return params

    def write(self, estimator, params):
        out = copy.deepcopy(estimator)
        n_layers = len(estimator.coefs_)
        out.coefs_ = [np.array(params[f"coefs_{i}"]) for i in range(n_layers)]
        out.intercepts_ = [np.array(params[f"intercepts_{i}"]) for i in range(n_layers)]
        return out

    def supports_fisher(self, estimator):
        return True

    def fisher(self, estimator, X):
        output = {"softmax": "softmax", "logistic": "logistic"}.get(
            estimator.out_activation_, "identity"
        )
        f_coefs, f_intercepts = _diagonal_fisher(
            estimator.coefs_, estimator.intercepts_, X, estimator.activation, output
        )
        params = {f"coefs_{i}": f for i, f in enumerate(f_coefs)}
        params.update({f"intercepts_{i}": f for i, f in enumerate(f_intercepts)})
        return params

    def architecture(self, estimator):
        sizes = estimator.hidden_layer_sizes
        sizes = (sizes,) if np.isscalar(sizes) else tuple(sizes)
        return {"hidden_layer_sizes": sizes, "activation": estimator.activation}


ADAPTERS = (LinearAdapter(), MLPAdapter())


def adapter_for(name, estimator):
    """The adapter of ``estimator``'s family, or a TypeError saying what to do."""
    if isinstance(estimator, Pipeline):
        raise TypeError(
            f"Member {name!r} is a Pipeline. Weight-space fusion merges the parameters of "
            "one model class; put the preprocessing around the fuser instead: "
            "make_pipeline(StandardScaler(), WeightSpaceFuser([...]))."
        )
    for adapter in ADAPTERS:
        if type(estimator) in adapter.classes:
            return adapter
    supported = sorted(c.__name__ for a in ADAPTERS for c in a.classes)
    raise TypeError(
        f"Member {name!r} is a {type(estimator).__name__}, whose parameters skfusion cannot "
        f"read. Supported: {', '.join(supported)}. Use WeightedBlender or OOFStacker to "
        "fuse the outputs of other models."
    )
