"""test_predictions="fold_average" on every fuser that cross-fits members."""

import pickle

import numpy as np
import pytest
from _helpers import CountingClassifier, count_fits
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import BayesianRidge, LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import (
    BayesianModelAverager,
    BayesianModelAveragerRegressor,
    OOFStacker,
    WeightedBlender,
    WeightedBlenderRegressor,
)

CV = KFold(4, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=240, n_classes=3, n_informative=5, random_state=0, class_sep=0.7
    )
    return X[:200], y[:200], X[200:]


def _members():
    return [("logreg", LogisticRegression(max_iter=1000)), ("bayes", GaussianNB())]


def _fold_models(members, X, y):
    """Each member fitted on each training fold, by hand."""
    return [[clone(est).fit(X[tr], y[tr]) for tr, _ in CV.split(X)] for _, est in members]


def _mean(models, method, X):
    return np.mean([getattr(m, method)(X) for m in models], axis=0)


@pytest.mark.parametrize(
    "cls, params",
    [
        (WeightedBlender, {"weighting": "optimize"}),
        (WeightedBlender, {"weighting": "caruana"}),
        (BayesianModelAverager, {}),
    ],
)
def test_classifiers_blend_the_fold_models_mean(data, cls, params):
    X, y, X_test = data
    fuser = cls(_members(), cv=CV, test_predictions="fold_average", **params).fit(X, y)
    assert fuser.estimators_ is None
    assert [len(f) for f in fuser.fold_estimators_] == [4, 4]
    assert fuser.named_estimators_["bayes"] is fuser.fold_estimators_[1]
    by_hand = _fold_models(_members(), X, y)
    expected = sum(
        w * _mean(models, "predict_proba", X_test) for w, models in zip(fuser.weights_, by_hand)
    )
    np.testing.assert_allclose(fuser.predict_proba(X_test), expected, atol=1e-10)
    # The weights come from the same OOF predictions as with refit members.
    refit = cls(_members(), cv=CV, **params).fit(X, y)
    np.testing.assert_allclose(fuser.weights_, refit.weights_)


def test_hard_voting_counts_each_members_fold_vote(data):
    X, y, X_test = data
    blender = WeightedBlender(
        _members(), voting="hard", weights=[2, 1], cv=CV, test_predictions="fold_average"
    ).fit(X, y)
    votes = []
    for models in _fold_models(_members(), X, y):
        one_hot = np.mean([np.eye(3)[m.predict(X_test)] for m in models], axis=0)
        votes.append(np.argmax(one_hot, axis=1))  # ties to the lower class
    # Weight 2 outvotes weight 1: the first member's fold vote wins.
    np.testing.assert_array_equal(blender.predict(X_test), votes[0])
    np.testing.assert_array_equal(blender.transform(X_test)[:, 0], votes[0])


@pytest.mark.parametrize("cls", [WeightedBlenderRegressor, BayesianModelAveragerRegressor])
def test_regressors_average_the_fold_models(cls):
    X, y = make_regression(n_samples=160, noise=10.0, random_state=0)
    members = [("ridge", Ridge()), ("bayes", BayesianRidge())]
    params = {"weighting": "optimize"} if cls is WeightedBlenderRegressor else {}
    fuser = cls(members, cv=CV, test_predictions="fold_average", **params).fit(X, y)
    by_hand = _fold_models(members, X, y)
    means = np.column_stack([_mean(models, "predict", X[:10]) for models in by_hand])
    np.testing.assert_allclose(fuser.transform(X[:10]), means, rtol=1e-10)
    np.testing.assert_allclose(fuser.predict(X[:10]), means @ fuser.weights_, rtol=1e-10)


def test_no_member_is_fitted_on_all_rows(data, tmp_path):
    X, y, _ = data
    log = tmp_path / "fits.log"
    member = [("counting", CountingClassifier(log_path=str(log)))]
    WeightedBlender(member, cv=CV, test_predictions="fold_average").fit(X, y)
    assert count_fits(log) == 4
    log.unlink()
    WeightedBlender(member, cv=CV, weighting="optimize").fit(X, y)
    assert count_fits(log) == 5


@pytest.mark.parametrize("cls", [WeightedBlender, BayesianModelAverager, OOFStacker])
def test_fold_average_needs_folds(data, cls):
    X, y, _ = data
    fitted = [(n, clone(e).fit(X, y)) for n, e in _members()]
    with pytest.raises(ValueError, match="needs folds; cv='prefit' has none"):
        cls(fitted, cv="prefit", test_predictions="fold_average").fit(X, y)


class EvalSetRecorder(ClassifierMixin, BaseEstimator):
    """A logistic regression that keeps the early-stopping set its fit got."""

    def fit(self, X, y, eval_set=None):
        self.eval_set_ = eval_set
        self.train_y_ = np.asarray(y)
        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


@pytest.mark.parametrize("cls", [WeightedBlender, OOFStacker, BayesianModelAverager])
def test_each_fold_model_gets_its_held_out_rows(data, cls, tmp_path):
    X, y, _ = data
    labels = np.array(["ant", "bee", "cat"])[y]
    members = [("recorder", EvalSetRecorder()), ("bayes", GaussianNB())]
    fuser = cls(members, cv=CV, test_predictions="fold_average", fold_eval_set="eval_set")
    fuser.fit(X, labels)
    for model, (train, test) in zip(fuser.fold_estimators_[0], CV.split(X)):
        [(X_held_out, y_held_out)] = model.eval_set_
        np.testing.assert_array_equal(X_held_out, X[test])
        # The member is fitted on class indices: its held-out y is in the same terms.
        np.testing.assert_array_equal(y_held_out, np.searchsorted(fuser.classes_, labels[test]))
        assert len(model.train_y_) == len(train)
        np.testing.assert_array_equal(np.unique(model.train_y_), [0, 1, 2])
    # The fit on all rows has no held-out rows; a member without the parameter
    # fits as usual.
    refit = cls(members, cv=CV, fold_eval_set="eval_set").fit(X, labels)
    assert refit.estimators_[0].eval_set_ is None
    # A cached fit without the early-stopping set is not reused with one.
    cached = cls(members, cv=CV, test_predictions="fold_average", memory=str(tmp_path))
    assert cached.fit(X, labels).fold_estimators_[0][0].eval_set_ is None
    cached.set_params(fold_eval_set="eval_set").fit(X, labels)
    assert cached.fold_estimators_[0][0].eval_set_ is not None


def test_fold_eval_set_must_reach_a_member(data):
    X, y, _ = data
    piped = [("piped", make_pipeline(StandardScaler(), EvalSetRecorder()))]
    with pytest.raises(ValueError, match="no member's fit takes eval_set"):
        WeightedBlender(piped, fold_eval_set="eval_set").fit(X, y)
    with pytest.raises(ValueError, match="needs folds"):
        fitted = [("recorder", EvalSetRecorder().fit(X, y))]
        WeightedBlender(fitted, cv="prefit", fold_eval_set="eval_set").fit(X, y)


class EvalXYRecorder(EvalSetRecorder):
    """The same, with the held-out rows passed apart (LightGBM 4.7's eval_X / eval_y)."""

    def fit(self, X, y, eval_X=None, eval_y=None):
        super().fit(X, y)
        self.eval_set_ = (eval_X, eval_y)
        return self


def test_a_pair_of_names_gets_the_held_out_rows_apart(data):
    X, y, _ = data
    blender = WeightedBlender(
        [("recorder", EvalXYRecorder())],
        cv=CV,
        test_predictions="fold_average",
        fold_eval_set=("eval_X", "eval_y"),
    ).fit(X, y)
    for model, (_, test) in zip(blender.fold_estimators_[0], CV.split(X)):
        np.testing.assert_array_equal(model.eval_set_[0], X[test])
        np.testing.assert_array_equal(model.eval_set_[1], y[test])
    with pytest.raises(ValueError, match="a fit parameter name or a pair"):
        WeightedBlender([("r", EvalXYRecorder())], fold_eval_set=("a", "b", "c")).fit(X, y)


class CountedLoads(EvalSetRecorder):
    """The same, counting how often a fitted one is unpickled."""

    loads = 0

    def __setstate__(self, state):
        type(self).loads += 1
        self.__dict__.update(state)


def test_cached_fold_models_load_only_when_read(data, tmp_path):
    X, y, X_test = data
    members = [("counted", CountedLoads()), ("bayes", GaussianNB())]

    def fit():
        return WeightedBlender(
            members, cv=CV, weighting="optimize", test_predictions="fold_average",
            memory=str(tmp_path),
        ).fit(X, y)  # fmt: skip

    first = fit()
    expected = first.predict_proba(X_test)
    CountedLoads.loads = 0
    # A second fuser on the same rows (a grid candidate): its fold outputs,
    # OOF and on X_test, come from the cache; no fold model is loaded.
    second = fit()
    np.testing.assert_array_equal(second.predict_proba(X_test), expected)
    assert CountedLoads.loads == 0
    # Reading one loads that one, a real fitted model.
    model = second.fold_estimators_[0][1]
    assert isinstance(model, CountedLoads) and CountedLoads.loads == 1
    assert second.named_estimators_["counted"][1] is model
    # New rows need the models' predictions: each loads then, once.
    second.predict_proba(X_test[:5])
    assert CountedLoads.loads == 1 + 3
    # A pickle holds loaded models, not the training data behind the cache.
    restored = pickle.loads(pickle.dumps(second))
    assert all(isinstance(m, CountedLoads) for m in restored.fold_estimators_[0])
    np.testing.assert_array_equal(restored.predict_proba(X_test), expected)
    assert X.tobytes() not in pickle.dumps(second)
