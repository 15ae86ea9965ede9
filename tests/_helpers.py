"""Estimators used by several test modules."""

import os

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.linear_model import LogisticRegression, Ridge


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """LogisticRegression that appends a line to ``log_path`` on each fit (and to
    ``predict_log_path`` on each ``predict_proba``)."""

    def __init__(self, log_path=None, C=1.0, predict_log_path=None):
        self.log_path = log_path
        self.C = C
        self.predict_log_path = predict_log_path

    def fit(self, X, y, sample_weight=None):
        if self.log_path is not None:
            with open(self.log_path, "a") as f:
                f.write(f"{os.getpid()}\n")
        self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(X, y, sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        if self.predict_log_path is not None:
            with open(self.predict_log_path, "a") as f:
                f.write(f"{len(X)}\n")
        return self.model_.predict_proba(X)


class CountingRegressor(RegressorMixin, BaseEstimator):
    def __init__(self, log_path=None, alpha=1.0):
        self.log_path = log_path
        self.alpha = alpha

    def fit(self, X, y, sample_weight=None):
        if self.log_path is not None:
            with open(self.log_path, "a") as f:
                f.write("fit\n")
        self.model_ = Ridge(alpha=self.alpha).fit(X, y, sample_weight)
        return self

    def predict(self, X):
        return self.model_.predict(X)


def count_fits(path):
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for _ in f)


class NoSampleWeightClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        return np.tile(np.eye(len(self.classes_))[0], (len(X), 1))


class FixedOutputClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the stored ``labels`` whatever X is (X must have that many rows)."""

    def __init__(self, labels=None):
        self.labels = labels

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[np.asarray(self.labels)]


def input_variants(X, tmp_path):
    """X as float32, a memmap, F-ordered, a list and a DataFrame (doc/user_guide/odd_data.rst)."""
    import pandas as pd

    memmap = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=X.shape)
    memmap[:] = X
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    return [X.astype(np.float32), memmap, np.asfortranarray(X), X.tolist(), frame]


class NaNOutputClassifier(ClassifierMixin, BaseEstimator):
    """LogisticRegression whose outputs are NaN (or ``value``) where ``X[:, 0] > threshold``."""

    def __init__(self, threshold=np.inf, value=np.nan):
        self.threshold = threshold
        self.value = value

    def fit(self, X, y, sample_weight=None):
        self.model_ = LogisticRegression(max_iter=500).fit(X, y, sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def _spoil(self, X, out):
        out = np.array(out, dtype=float)
        out[np.asarray(X)[:, 0] > self.threshold] = self.value
        return out

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self._spoil(X, self.model_.predict_proba(X))

    def decision_function(self, X):
        return self._spoil(X, self.model_.decision_function(X))


class NaNOutputRegressor(RegressorMixin, BaseEstimator):
    """Ridge whose predictions are NaN (or ``value``) where ``X[:, 0] > threshold``."""

    def __init__(self, threshold=np.inf, value=np.nan):
        self.threshold = threshold
        self.value = value

    def fit(self, X, y, sample_weight=None):
        self.model_ = Ridge().fit(X, y, sample_weight)
        return self

    def predict(self, X):
        out = np.array(self.model_.predict(X), dtype=float)
        out[np.asarray(X)[:, 0] > self.threshold] = self.value
        return out


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """Raises ``ValueError("boom ...")`` in ``fit`` (``where="fit"``) or ``predict_proba``."""

    def __init__(self, where="fit"):
        self.where = where

    def fit(self, X, y, sample_weight=None):
        if self.where == "fit":
            raise ValueError("boom in fit")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        raise ValueError("boom in predict_proba")


class EngineRecordingClassifier(CountingClassifier):
    """Records the skfusion engine in force during its ``fit`` as ``engine_seen_``."""

    def fit(self, X, y, sample_weight=None):
        import skfusion

        self.engine_seen_ = skfusion.get_config()["engine"]
        return super().fit(X, y, sample_weight)


class IndexLabelsOnlyClassifier(CountingClassifier):
    """Rejects labels other than 0..K-1, as XGBoost's sklearn API does."""

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        if y.dtype.kind not in "iu" or not np.array_equal(np.unique(y), np.arange(y.max() + 1)):
            raise ValueError(
                f"Invalid classes inferred from unique values of `y`; expected 0..K-1, got "
                f"{np.unique(y)[:5]}."
            )
        return super().fit(X, y, sample_weight)


def run_cross_fit(
    members,
    X,
    y,
    *,
    cv,
    split_params=None,
    classifier=True,
    random_state=None,
    memory=None,
    n_jobs=None,
    verbose=0,
    **rest,
):
    """The engine's ``cross_fit`` with its folds and schedule given as keywords."""
    from skfusion._oof import Folds, Schedule, cross_fit

    return cross_fit(
        members,
        X,
        y,
        folds=Folds(cv, split_params or {}, classifier, random_state),
        schedule=Schedule(memory, n_jobs, verbose),
        **rest,
    )


class ScaledProbaClassifier(ClassifierMixin, BaseEstimator):
    """LogisticRegression whose ``predict_proba`` is ``scale`` times its own
    plus ``shift`` (scale=1, shift=0: valid probabilities)."""

    def __init__(self, scale=1.0, shift=0.0):
        self.scale = scale
        self.shift = shift

    def fit(self, X, y, sample_weight=None):
        self.model_ = LogisticRegression(max_iter=500).fit(X, y, sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.scale * self.model_.predict_proba(X) + self.shift

    def decision_function(self, X):
        return self.model_.decision_function(X)
