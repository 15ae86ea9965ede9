"""BayesianModelAverager (classifier)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_blobs
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skfusion import BayesianModelAverager
from skfusion.weights import bb_pseudo_bma_weights, pseudo_bma_weights, stacking_weights


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _members():
    return [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


def test_pointwise_lpd_and_weights_follow_the_formulas(iris):
    X, y = iris
    for method, fn in [
        ("pseudo_bma", pseudo_bma_weights),
        ("bb_pseudo_bma", lambda lpd: bb_pseudo_bma_weights(lpd, random_state=0)),
        ("stacking", stacking_weights),
    ]:
        bma = BayesianModelAverager(_members(), weighting=method, random_state=0).fit(X, y)
        for m, (_, est) in enumerate(_members()):
            # every member here has predict_log_proba, which the averager uses
            with np.errstate(divide="ignore"):
                log_proba = cross_val_predict(est, X, y, cv=5, method="predict_log_proba")
            expected = np.maximum(log_proba[np.arange(len(y)), y], np.log(np.finfo(float).eps))
            np.testing.assert_allclose(bma.pointwise_lpd_[:, m], expected)
        np.testing.assert_allclose(bma.weights_, fn(bma.pointwise_lpd_), atol=1e-12)
        np.testing.assert_allclose(bma.elpd_, bma.pointwise_lpd_.sum(axis=0))
        n = len(y)
        np.testing.assert_allclose(bma.elpd_se_, np.sqrt(n * bma.pointwise_lpd_.var(axis=0)))
        assert bma.weights_std_.shape == (3,) and np.all(bma.weights_std_ >= 0)


def test_prediction_is_the_weighted_mixture(iris):
    X, y = iris
    bma = BayesianModelAverager(_members()).fit(X, y)
    mixture = sum(w * est.predict_proba(X) for w, est in zip(bma.weights_, bma.estimators_))
    np.testing.assert_allclose(bma.predict_proba(X), mixture, rtol=1e-12)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(bma.predict_log_proba(X), np.log(mixture), rtol=1e-9)
    np.testing.assert_array_equal(bma.predict(X), bma.classes_[mixture.argmax(axis=1)])


def test_stacking_oof_log_score_no_worse_than_best_member():
    X, y = load_breast_cancer(return_X_y=True)
    bma = BayesianModelAverager(_members()).fit(X, y)
    mixture_score = np.log(np.exp(bma.pointwise_lpd_) @ bma.weights_).sum()
    assert mixture_score >= bma.elpd_.max() - 1e-6


@pytest.mark.parametrize("method", ["stacking", "pseudo_bma", "bb_pseudo_bma"])
def test_weight_properties(iris, method):
    X, y = iris
    bad = DummyClassifier(strategy="uniform", random_state=0)
    bma = BayesianModelAverager([("lr", _members()[0][1]), ("bad", bad)], weighting=method)
    bma.fit(X, y)
    assert bma.weights_[1] < 0.05
    twins = BayesianModelAverager([("a", GaussianNB()), ("b", GaussianNB())], weighting=method)
    np.testing.assert_allclose(twins.fit(X, y).weights_, [0.5, 0.5], atol=1e-6)
    alone = BayesianModelAverager([("nb", GaussianNB())], weighting=method).fit(X, y)
    np.testing.assert_allclose(alone.weights_, [1.0])


def test_zero_probabilities_give_finite_weights(iris):
    X, y = iris
    members = [("t1", DecisionTreeClassifier(random_state=0)), ("nb", GaussianNB())]
    bma = BayesianModelAverager(members).fit(X, y)
    assert np.isfinite(bma.pointwise_lpd_).all()
    assert bma.pointwise_lpd_.min() >= np.log(np.finfo(float).eps)
    assert np.isfinite(bma.weights_).all() and np.isclose(bma.weights_.sum(), 1)


def test_members_need_predict_proba(iris):
    X, y = iris
    with pytest.raises(AttributeError, match="member 'svc'"):
        BayesianModelAverager([("svc", LinearSVC())]).fit(X, y)


def test_pipeline_clone_pickle(iris):
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(), BayesianModelAverager(_members(), weighting="pseudo_bma")
    )
    pipe.fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(restored.predict_proba(X), pipe.predict_proba(X))
    assert not hasattr(clone(pipe)[-1], "weights_")
    assert list(pipe[-1].get_feature_names_out()[:2]) == ["lr__0", "lr__1"]


def test_log_proba_keeps_the_members_log_space_precision():
    # classes far apart: GaussianNB's probabilities underflow to 0
    X, y = make_blobs(150, centers=[[0, 0], [80, 0], [0, 80]], random_state=0)
    bma = BayesianModelAverager([("nb", GaussianNB()), ("lr", _members()[0][1])]).fit(X, y)
    nb = bma.estimators_[0]
    assert (nb.predict_proba(X) == 0).any()  # underflows in probability space
    assert np.isfinite(nb.predict_log_proba(X)).all()
    single = BayesianModelAverager([("nb", GaussianNB())]).fit(X, y)
    np.testing.assert_allclose(single.predict_log_proba(X), nb.predict_log_proba(X), rtol=1e-12)
    assert np.isfinite(bma.predict_log_proba(X)).all()
