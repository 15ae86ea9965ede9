"""Multi-output regression (a 2-D y where sklearn's VotingRegressor and
StackingRegressor fail with "y should be a 1d array") and multilabel /
multi-output classification, each against a loop of 1-D fusers over the outputs."""

import pickle

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.ensemble import StackingRegressor, VotingClassifier, VotingRegressor
from sklearn.linear_model import (
    BayesianRidge,
    HuberRegressor,
    LogisticRegression,
    Ridge,
    RidgeCV,
)
from sklearn.metrics import log_loss
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skfusion import (
    BayesianModelAveragerRegressor,
    OOFStacker,
    OOFStackerRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
    WeightSpaceFuserRegressor,
)
from skfusion.weights import pseudo_bma_weights, stacking_weights


@pytest.fixture(scope="module")
def data():
    X, Y = make_regression(n_samples=240, n_features=6, n_targets=3, noise=20, random_state=0)
    # A non-linear part that neither member gets alone, so a blend of both wins.
    return X, Y + 100 * np.sin(3 * X[:, :1])


def _members():
    # Both fit each target on its own, so a per-output loop is a reference.
    return [("ridge", Ridge(alpha=100.0)), ("knn", KNeighborsRegressor(n_neighbors=7))]


@pytest.mark.parametrize("ensemble", [VotingRegressor, StackingRegressor])
def test_sklearn_ensembles_refuse_a_2d_y(data, ensemble):
    X, Y = data
    with pytest.raises(ValueError, match="1d array"):
        ensemble(_members()).fit(X, Y)


def test_fixed_weights_equal_a_per_output_loop(data):
    X, Y = data
    fused = WeightedBlenderRegressor(_members(), weights=[1, 3]).fit(X, Y)
    for t in range(Y.shape[1]):
        alone = WeightedBlenderRegressor(_members(), weights=[1, 3]).fit(X, Y[:, t])
        np.testing.assert_allclose(fused.predict(X)[:, t], alone.predict(X), rtol=1e-10)
    assert fused.transform(X[:5]).shape == (5, 6)
    assert list(fused.get_feature_names_out())[:3] == ["ridge__0", "ridge__1", "ridge__2"]


def _summed_squared_error(oof, Y, w):
    return float(np.sum((np.tensordot(oof, w, axes=([1], [0])) - Y) ** 2))


def test_optimized_shared_weights_minimise_the_summed_squared_error(data):
    X, Y = data
    cv = KFold(5)
    fused = WeightedBlenderRegressor(_members(), weighting="optimize", cv=cv).fit(X, Y)
    oof = np.stack([cross_val_predict(est, X, Y, cv=cv) for _, est in _members()], axis=1)
    np.testing.assert_allclose(fused.oof_predictions_, oof, rtol=1e-10)
    np.testing.assert_allclose(
        fused.fused_oof_predictions_, np.tensordot(oof, fused.weights_, axes=([1], [0]))
    )
    # A naive search over the simplex of two members finds nothing better.
    best = _summed_squared_error(oof, Y, fused.weights_)
    for a in np.linspace(0, 1, 201):
        assert best <= _summed_squared_error(oof, Y, np.array([a, 1 - a])) * (1 + 1e-9)
    assert 0 < fused.weights_[0] < 1  # the optimum is inside: both members count


@pytest.mark.parametrize("weighting", ["score", "caruana"])
def test_other_weightings_learn_one_shared_vector(data, weighting):
    X, Y = data
    fused = WeightedBlenderRegressor(_members(), weighting=weighting).fit(X, Y)
    assert fused.weights_.shape == (2,)
    assert fused.predict(X[:4]).shape == (4, 3)
    assert set(fused.member_scores_) == {"ridge", "knn"}


def test_custom_objective_with_a_2d_y_is_a_clear_error(data):
    X, Y = data
    with pytest.raises(ValueError, match="objective='r2' is not supported"):
        WeightedBlenderRegressor(_members(), weighting="optimize", objective="r2").fit(X, Y)


def test_weight_space_fuser_takes_a_2d_y(data):
    X, Y = data
    linear = [("a", Ridge(alpha=1.0)), ("b", Ridge(alpha=10.0))]
    soup = WeightSpaceFuserRegressor(linear, cv=3).fit(X, Y)
    assert soup.predict(X[:4]).shape == (4, 3)


@pytest.mark.parametrize("weighting", ["stacking", "pseudo_bma"])
def test_model_averaging_adds_the_outputs_log_densities(data, weighting):
    X, Y = data
    fused = BayesianModelAveragerRegressor(_members(), weighting=weighting, cv=KFold(5)).fit(X, Y)
    # Each output's densities are those of a 1-D averager of that output
    # (the members fit each target on its own); their logs add up per row.
    per_output = [
        BayesianModelAveragerRegressor(_members(), weighting=weighting, cv=KFold(5)).fit(X, y)
        for y in Y.T
    ]
    summed = sum(alone.pointwise_lpd_ for alone in per_output)
    np.testing.assert_allclose(fused.pointwise_lpd_, summed, rtol=1e-10)
    for t, alone in enumerate(per_output):
        np.testing.assert_allclose(fused.oof_std_[:, :, t], alone.oof_std_, rtol=1e-10)
        np.testing.assert_allclose(fused.residual_scale_[:, t], alone.residual_scale_, rtol=1e-10)
    # One weight vector from the summed densities.
    expected = stacking_weights(summed) if weighting == "stacking" else pseudo_bma_weights(summed)
    np.testing.assert_allclose(fused.weights_, expected, rtol=1e-6, atol=1e-9)


def test_model_averaging_mixture_is_formed_output_by_output(data):
    X, Y = data
    fused = BayesianModelAveragerRegressor(_members(), cv=KFold(5)).fit(X, Y)
    members = [est.predict(X[:20]) for est in fused.estimators_]  # (20, n_outputs) each
    mean, std = fused.predict(X[:20], return_std=True)
    expected_mean = sum(w * m for w, m in zip(fused.weights_, members))
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-10)
    scales = fused.residual_scale_  # (n_members, n_outputs): no member has its own std
    variance = sum(
        w * (s**2 + (m - expected_mean) ** 2) for w, s, m in zip(fused.weights_, scales, members)
    )
    np.testing.assert_allclose(std, np.sqrt(variance), rtol=1e-10)
    # The interval's bounds are each output's mixture quantiles.
    bounds = fused.predict_interval(X[:20], coverage=0.8, method="mixture")
    assert bounds.shape == (20, Y.shape[1], 2)
    for side, probability in ((0, 0.1), (1, 0.9)):
        cdf = sum(
            w * norm.cdf(bounds[:, :, side], loc=m, scale=s)
            for w, s, m in zip(fused.weights_, scales, members)
        )
        np.testing.assert_allclose(cdf, probability, atol=1e-6)


# ---------------------------------------------------------------------------
# multilabel and multi-output classification
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(
        n_samples=240, n_features=8, n_classes=3, n_labels=2, random_state=0
    )
    return X, Y


@pytest.fixture(scope="module")
def multioutput():
    # Two outputs with their own string labels, one binary and one of three classes.
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=5, n_classes=3, random_state=1
    )
    Y = np.column_stack([np.where(X[:, 0] > 0, "up", "down"), np.array(["a", "b", "c"])[y]])
    return X, Y


def _classifier_members():
    # Each fits every output on its own (kNN's neighbours do not depend on y),
    # so a loop over the outputs with the 1-D members is a reference.
    return [
        ("knn", KNeighborsClassifier(n_neighbors=9)),
        ("lr", MultiOutputClassifier(LogisticRegression(max_iter=500))),
    ]


def _one_output_members():
    return [
        ("knn", KNeighborsClassifier(n_neighbors=9)),
        ("lr", LogisticRegression(max_iter=500)),
    ]


@pytest.mark.parametrize("dataset", ["multilabel", "multioutput"])
def test_soft_vote_equals_a_per_output_loop(dataset, request):
    X, Y = request.getfixturevalue(dataset)
    fused = WeightedBlender(_classifier_members(), weights=[2, 1], cv=KFold(5)).fit(X, Y)
    proba = fused.predict_proba(X[:50])
    assert isinstance(proba, list) and len(proba) == Y.shape[1]
    for t in range(Y.shape[1]):
        alone = WeightedBlender(_one_output_members(), weights=[2, 1]).fit(X, Y[:, t])
        np.testing.assert_array_equal(fused.classes_[t], alone.classes_)
        np.testing.assert_allclose(proba[t], alone.predict_proba(X[:50]), rtol=1e-10)
        np.testing.assert_array_equal(fused.predict(X[:50])[:, t], alone.predict(X[:50]))


def _summed_log_loss(oof, Y, classes, w):
    blend = np.tensordot(w, np.moveaxis(oof, 1, 0), axes=1)
    total, start = 0.0, 0
    for t, labels in enumerate(classes):
        block = blend[:, start : start + len(labels)]
        total += log_loss(Y[:, t], block, labels=labels) * len(Y)
        start += len(labels)
    return total


def _exact_match(fuser, Y):
    """Share of rows whose fused OOF probabilities get every output right."""
    columns = [
        c[np.argmax(p, axis=1)] for c, p in zip(fuser.classes_, fuser.fused_oof_predictions_)
    ]
    return np.mean(np.all(np.column_stack(columns) == Y, axis=1))


@pytest.mark.parametrize("dataset", ["multilabel", "multioutput"])
def test_optimized_weights_minimise_the_summed_log_loss(dataset, request):
    X, Y = request.getfixturevalue(dataset)
    cv = KFold(5)
    fused = WeightedBlender(_classifier_members(), weighting="optimize", cv=cv).fit(X, Y)
    # The OOF class scores are each output's cross_val_predict, side by side.
    for m, (_, member) in enumerate(_one_output_members()):
        expected = np.hstack(
            [
                cross_val_predict(member, X, Y[:, t], cv=cv, method="predict_proba")
                for t in range(Y.shape[1])
            ]
        )
        np.testing.assert_allclose(fused.oof_predictions_[:, m], expected, rtol=1e-8)
    best = _summed_log_loss(fused.oof_predictions_, Y, fused.classes_, fused.weights_)
    for a in np.linspace(0, 1, 101):
        candidate = _summed_log_loss(fused.oof_predictions_, Y, fused.classes_, [a, 1 - a])
        assert best <= candidate * (1 + 1e-6)
    # The reported default score is the share of rows with every output right.
    assert fused.fused_score_ == pytest.approx(_exact_match(fused, Y))


@pytest.mark.parametrize("dataset", ["multilabel", "multioutput"])
def test_stacker_fits_one_meta_learner_per_output(dataset, request):
    X, Y = request.getfixturevalue(dataset)
    stack = OOFStacker(_classifier_members(), cv=KFold(5)).fit(X, Y)
    assert len(stack.final_estimator_) == Y.shape[1]
    proba = stack.predict_proba(X[:50])
    for t in range(Y.shape[1]):
        alone = OOFStacker(_one_output_members(), cv=KFold(5)).fit(X, Y[:, t])
        np.testing.assert_allclose(proba[t], alone.predict_proba(X[:50]), rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(stack.predict(X[:50])[:, t], alone.predict(X[:50]))
        np.testing.assert_allclose(
            stack.fused_oof_predictions_[t], alone.fused_oof_predictions_, rtol=1e-6, atol=1e-9
        )
    assert stack.fused_score_ == pytest.approx(_exact_match(stack, Y))
    assert not hasattr(stack, "decision_function")  # as sklearn's multi-output forests
    assert len(stack.get_feature_names_out()) == stack.transform(X[:3]).shape[1]


def test_stacker_regressor_fits_a_one_target_meta_learner_per_target(data):
    X, Y = data
    final = HuberRegressor(max_iter=500)  # takes one target: fitted per target
    stack = OOFStackerRegressor(_members(), final, cv=KFold(5), passthrough=[0]).fit(X, Y)
    assert len(stack.final_estimator_) == Y.shape[1]
    for t in range(Y.shape[1]):
        alone = OOFStackerRegressor(_members(), final, cv=KFold(5), passthrough=[0]).fit(
            X, Y[:, t]
        )
        np.testing.assert_allclose(stack.predict(X)[:, t], alone.predict(X), rtol=1e-6)
        np.testing.assert_allclose(
            stack.fused_oof_predictions_[:, t], alone.fused_oof_predictions_, rtol=1e-6
        )
    # predict-time parameters reach every meta-learner.
    bayes = OOFStackerRegressor(_members(), BayesianRidge(), cv=KFold(5)).fit(X, Y)
    mean, std = bayes.predict(X[:5], return_std=True)
    assert mean.shape == std.shape == (5, Y.shape[1])


def test_stacker_regressor_gives_a_multi_output_meta_learner_every_column(data):
    X, Y = data
    # RidgeCV takes a 2-D y itself: one fit on all members' columns, as sklearn.
    stack = OOFStackerRegressor(_members(), cv=KFold(5)).fit(X, Y)
    oof_columns = stack.oof_predictions_.reshape(len(Y), -1)  # member after member
    reference = RidgeCV().fit(oof_columns, Y)
    np.testing.assert_allclose(stack.final_estimator_.coef_, reference.coef_, rtol=1e-8)
    np.testing.assert_allclose(stack.fused_oof_predictions_, reference.predict(oof_columns))


def test_prefit_multilabel_members(multilabel):
    X, Y = multilabel
    fitted = [(n, est.fit(X[:120], Y[:120])) for n, est in _classifier_members()]
    fused = WeightedBlender(fitted, cv="prefit", weighting="optimize").fit(X[120:], Y[120:])
    assert fused.estimators_[0] is fitted[0][1]
    assert fused.predict(X[:4]).shape == (4, Y.shape[1])


def test_voting_that_needs_one_label_per_row_says_so(multilabel):
    X, Y = multilabel
    for voting in ("hard", "rank"):
        with pytest.raises(ValueError, match="soft voting takes multilabel"):
            WeightedBlender(_classifier_members(), voting=voting).fit(X, Y)
    with pytest.raises(ValueError, match="objective='accuracy' is not supported"):
        WeightedBlender(_classifier_members(), weighting="optimize", objective="accuracy").fit(
            X, Y
        )
    # sklearn's voting refuses multilabel y altogether.
    with pytest.raises(NotImplementedError):
        VotingClassifier(_one_output_members(), voting="soft").fit(X, Y)


def test_multilabel_fusers_clone_pickle_and_pipeline(multilabel):
    X, Y = multilabel
    pipe = make_pipeline(StandardScaler(), OOFStacker(_classifier_members(), cv=3))
    pipe.fit(X, Y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X[:10]), pipe.predict(X[:10]))
    twin = clone(WeightedBlender(_classifier_members())).fit(X, Y)
    assert twin.score(X, Y) == pytest.approx(np.mean(np.all(twin.predict(X) == Y, axis=1)))


def test_a_label_that_never_occurs_keeps_both_classes(multilabel):
    X, Y = multilabel
    Y = Y.copy()
    Y[:, 1] = 0  # as sklearn's forests, a multilabel column is 0 / 1 even when constant
    members = [
        ("knn", KNeighborsClassifier(n_neighbors=9)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    fused = WeightedBlender(members, weighting="optimize", cv=KFold(5)).fit(X, Y)
    assert all(list(c) == [0, 1] for c in fused.classes_)
    proba = fused.predict_proba(X[:10])
    assert proba[1].shape == (10, 2) and np.all(proba[1][:, 1] == 0)
    assert np.all(fused.predict(X)[:, 1] == 0)


def test_prefit_member_of_one_output_is_refused(multilabel):
    X, Y = multilabel
    single = LogisticRegression(max_iter=500).fit(X, Y[:, 0])
    knn = KNeighborsClassifier().fit(X, Y)
    with pytest.raises(ValueError, match="Member 'lr' was fitted on one output but y has 3"):
        WeightedBlender([("lr", single), ("knn", knn)], cv="prefit").fit(X, Y)


def test_stacker_probabilities_cover_a_class_the_meta_learner_missed():
    # A hold-out split without the rare class of output 1: the meta-learner of
    # that output never sees it, and its probabilities still have its column.
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4, random_state=0)
    rare = np.where(np.arange(200) < 4, 2, y)
    Y = np.column_stack([y, rare])
    stack = OOFStacker(_classifier_members()[:1], cv=0.5, random_state=65).fit(X, Y)
    assert np.all(np.isnan(stack.oof_predictions_[:4]))  # the rare rows were not held out
    assert [list(c) for c in stack.classes_] == [[0, 1], [0, 1, 2]]
    proba = stack.predict_proba(X[:10])
    assert proba[1].shape == (10, 3) and np.all(proba[1][:, 2] == 0)
