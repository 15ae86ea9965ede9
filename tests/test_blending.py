"""WeightedBlender and WeightedBlenderRegressor."""

import pickle
import re
import warnings

import numpy as np
import pytest
from _helpers import (
    CountingClassifier,
    CountingRegressor,
    FixedOutputClassifier,
    NoSampleWeightClassifier,
    count_fits,
    input_variants,
)
from sklearn import config_context as sklearn_config_context
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier, VotingClassifier, VotingRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import (
    WeightedBlender,
    WeightedBlenderRegressor,
    blend,
)
from skfusion.weights import optimized_weights


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _clf_members():
    return [
        ("lr", LogisticRegression(max_iter=1000)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]


def _reg_members():
    return [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]


# ---------------------------------------------------------------------------
# against sklearn's voting
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("voting", ["soft", "hard"])
@pytest.mark.parametrize("weights", [None, [1, 2, 3], [0, 1, 1]])
def test_equals_voting_classifier(iris, voting, weights):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    ours = WeightedBlender(
        _clf_members(), voting=voting, weights=None if weights is None else weights
    ).fit(X, labels)
    theirs = VotingClassifier(_clf_members(), voting=voting, weights=weights).fit(X, labels)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    if voting == "soft":
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)


def test_hard_vote_ties_match_voting_classifier():
    # Integer weights tie often; normalising them first would break exact ties
    # in floating point and pick another class than sklearn.
    rng = np.random.default_rng(0)
    n, n_classes = 5000, 4
    X, y = np.zeros((n, 1)), np.arange(n) % n_classes
    members = [(f"m{i}", FixedOutputClassifier(rng.integers(0, n_classes, n))) for i in range(6)]
    weights = [1, 2, 3, 1, 2, 3]
    ours = WeightedBlender(members, voting="hard", weights=weights).fit(X, y)
    theirs = VotingClassifier(members, voting="hard", weights=weights).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    labels = [est.predict(X) for est in ours.estimators_]
    np.testing.assert_array_equal(blend(labels, weights, voting="hard"), theirs.predict(X))


def test_equals_voting_classifier_with_prefit_members(iris):
    X, y = iris
    voting = VotingClassifier(_clf_members(), voting="soft", weights=[2, 1, 1]).fit(X, y)
    names = [name for name, _ in _clf_members()]
    ours = WeightedBlender(list(zip(names, voting.estimators_)), weights=[2, 1, 1], cv="prefit")
    ours.fit(X, y)
    assert all(a is b for a, b in zip(ours.estimators_, voting.estimators_))
    np.testing.assert_allclose(ours.predict_proba(X), voting.predict_proba(X), rtol=1e-12)


@pytest.mark.parametrize("weights", [None, [3, 1]])
def test_equals_voting_regressor(weights):
    X, y = load_diabetes(return_X_y=True)
    ours = WeightedBlenderRegressor(
        _reg_members(), weights=None if weights is None else weights
    ).fit(X, y)
    theirs = VotingRegressor(_reg_members(), weights=weights).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X))


# ---------------------------------------------------------------------------
# learnt weights
# ---------------------------------------------------------------------------
def test_oof_predictions_and_scores_are_cross_validated(iris):
    X, y = iris
    blender = WeightedBlender(_clf_members(), weighting="score").fit(X, y)
    assert blender.oof_predictions_.shape == (150, 3, 3)
    losses = []
    for m, (name, est) in enumerate(_clf_members()):
        expected = cross_val_predict(est, X, y, cv=5, method="predict_proba")
        np.testing.assert_allclose(blender.oof_predictions_[:, m], expected)
        # Reported: accuracy (scoring=None); weighted by: log-loss (objective=None).
        assert blender.member_scores_[name] == pytest.approx(np.mean(expected.argmax(1) == y))
        losses.append(log_loss(y, expected))
    inverse = 1 / np.array(losses)
    np.testing.assert_allclose(blender.weights_, inverse / inverse.sum(), rtol=1e-6)
    fused = np.einsum("nmk,m->nk", blender.oof_predictions_, blender.weights_)
    np.testing.assert_allclose(blender.fused_oof_predictions_, fused)
    assert blender.fused_score_ == pytest.approx(np.mean(fused.argmax(1) == y))


@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer])
def test_optimized_blend_oof_loss_no_worse_than_best_member(load):
    X, y = load(return_X_y=True)
    members = [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        ("knn", KNeighborsClassifier(n_neighbors=15)),
        ("nb", GaussianNB()),
    ]
    blender = WeightedBlender(members, weighting="optimize", scoring="neg_log_loss").fit(X, y)
    best_member = max(blender.member_scores_.values())
    assert blender.fused_score_ >= best_member - 1e-6


def test_caruana_weights_are_pick_counts(iris):
    X, y = iris
    blender = WeightedBlender(_clf_members(), weighting="caruana", n_iter=20).fit(X, y)
    assert np.allclose(blender.weights_ * 20, np.round(blender.weights_ * 20))


def test_holdout_cv_learns_weights_on_holdout_rows(iris):
    X, y = iris
    blender = WeightedBlender(_clf_members(), weighting="optimize", cv=0.3, random_state=0)
    blender.fit(X, y)
    rows = np.flatnonzero(~np.isnan(blender.oof_predictions_[:, 0, 0]))
    assert len(rows) == 45
    expected = optimized_weights(blender.oof_predictions_[rows], y[rows])
    np.testing.assert_allclose(blender.weights_, expected)


def test_regressor_learnt_weights():
    X, y = load_diabetes(return_X_y=True)
    for weighting in ["score", "optimize", "caruana"]:
        r = WeightedBlenderRegressor(_reg_members(), weighting=weighting).fit(X, y)
        assert r.oof_predictions_.shape == (len(y), 2)
        assert r.weights_.min() >= 0 and np.isclose(r.weights_.sum(), 1)
        assert r.fused_score_ >= max(r.member_scores_.values()) - 0.02


def test_probabilities_of_exactly_zero_and_one(iris):
    X, y = iris
    # Unpruned trees predict hard 0/1 probabilities out of fold.
    members = [
        ("t1", DecisionTreeClassifier(random_state=0)),
        ("t2", DecisionTreeClassifier(random_state=1)),
        ("lr", LogisticRegression(max_iter=1000)),
    ]
    for weighting in ["optimize", "caruana", "score"]:
        b = WeightedBlender(members, weighting=weighting, scoring="neg_log_loss").fit(X, y)
        assert np.all(np.isfinite(b.weights_))
        assert np.isfinite(b.fused_score_)


# ---------------------------------------------------------------------------
# voting modes
# ---------------------------------------------------------------------------
def test_rank_voting_is_batch_independent(iris):
    X, y = iris
    members = _clf_members() + [("svc", LinearSVC())]  # decision_function only
    blender = WeightedBlender(members, voting="rank", weighting="optimize").fit(X, y)
    batch = blender.predict_proba(X[:20])
    alone = np.vstack([blender.predict_proba(X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(batch, alone)
    np.testing.assert_allclose(batch.sum(axis=1), 1.0)


def test_rank_voting_equals_blend_on_arrays(iris):
    X, y = iris
    blender = WeightedBlender(
        _clf_members(), voting="rank", weights=[1, 2, 1], calibration=None
    ).fit(X, y)
    outputs = [est.predict_proba(X[:10]) for est in blender.estimators_]
    expected = blend(
        outputs,
        [1, 2, 1],
        voting="rank",
        reference=list(np.moveaxis(blender.oof_predictions_, 1, 0)),
    )
    np.testing.assert_allclose(blender.predict_proba(X[:10]), expected)


def test_soft_voting_needs_predict_proba(iris):
    X, y = iris
    with pytest.raises(AttributeError, match="member 'svc'"):
        WeightedBlender([("svc", LinearSVC())]).fit(X, y)


def test_hard_voting_has_no_predict_proba(iris):
    X, y = iris
    blender = WeightedBlender(_clf_members(), voting="hard").fit(X, y)
    assert not hasattr(blender, "predict_proba")
    assert blender.transform(X[:4]).shape == (4, 3)


class _FailsAtPredict(LogisticRegression):
    def predict_proba(self, X):
        raise AssertionError("a member of weight 0 was called")


def test_zero_weight_members_are_not_called(iris):
    X, y = iris
    members = _clf_members()[:2] + [("never", _FailsAtPredict(max_iter=1000))]
    blender = WeightedBlender(members, weights=[1, 1, 0]).fit(X, y)
    assert blender.predict(X).shape == (150,)


# ---------------------------------------------------------------------------
# sklearn integration
# ---------------------------------------------------------------------------
def test_grid_search_over_fusion_parameters_fits_each_member_fold_once(tmp_path, iris):
    X, y = iris
    log_a, log_b = str(tmp_path / "a.log"), str(tmp_path / "b.log")
    blender = WeightedBlender(
        [("a", CountingClassifier(log_a)), ("b", CountingClassifier(log_b, C=0.01))],
        cv=3,
        memory=str(tmp_path / "cache"),
    )
    grid = {"weighting": ["score", "optimize", "caruana", None], "voting": ["soft", "hard"]}
    search = GridSearchCV(blender, grid, cv=2).fit(X, y)
    # Per member: 2 outer splits x (3 inner folds + 1 refit) + final refit
    # on all rows (3 folds + 1: a cv given makes OOF predictions for every
    # candidate), whatever the size of the grid.
    assert search.best_estimator_.oof_predictions_ is not None
    assert count_fits(log_a) == count_fits(log_b) == 2 * 4 + 4


def test_grid_search_without_memory_refits(tmp_path, iris):
    X, y = iris
    log = str(tmp_path / "a.log")
    blender = WeightedBlender([("a", CountingClassifier(log))], cv=3, weighting="score")
    GridSearchCV(blender, {"n_iter": [1, 2]}, cv=2).fit(X, y)
    assert count_fits(log) == 2 * 2 * 4 + 4


def test_pipeline_clone_pickle(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), WeightedBlender(_clf_members(), weighting="caruana"))
    pipe.fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(restored.predict_proba(X), pipe.predict_proba(X))
    cloned = clone(pipe)
    assert not hasattr(cloned[-1], "weights_")
    assert cloned.get_params()["weightedblender__weighting"] == "caruana"


def test_set_params_reaches_members_and_drop(iris):
    X, y = iris
    blender = WeightedBlender(_clf_members())
    blender.set_params(tree__max_depth=1, nb="drop")
    assert blender.get_params()["tree__max_depth"] == 1
    blender.fit(X, y)
    assert blender.named_estimators_["nb"] == "drop"
    assert len(blender.estimators_) == len(blender.weights_) == 2
    assert blender.estimators_[1].max_depth == 1


def test_metadata_routing_groups_and_sample_weight(iris):
    X, y = iris
    groups = np.arange(len(y)) % 7
    sw = np.where(y == 0, 4.0, 1.0)
    with sklearn_config_context(enable_metadata_routing=True):
        member = LogisticRegression(max_iter=1000).set_fit_request(sample_weight=True)
        nb = GaussianNB().set_fit_request(sample_weight=False)
        blender = WeightedBlender(
            [("lr", member), ("nb", nb)], weighting="optimize", cv=GroupKFold(7)
        )
        blender.fit(X, y, sample_weight=sw, groups=groups)
    weighted = LogisticRegression(max_iter=1000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(blender.estimators_[0].coef_, weighted.coef_)
    first_fold_test = np.flatnonzero(groups == groups[0])
    assert not np.isnan(blender.oof_predictions_[first_fold_test]).any()


def test_plain_groups_argument(iris):
    X, y = iris
    groups = np.arange(len(y)) // 10
    a = WeightedBlender(_clf_members(), weighting="score", cv=GroupKFold(5)).fit(
        X, y, groups=groups
    )
    expected = cross_val_predict(
        _clf_members()[0][1], X, y, cv=GroupKFold(5), groups=groups, method="predict_proba"
    )
    np.testing.assert_allclose(a.oof_predictions_[:, 0], expected)


def test_extra_fit_params_need_routing(iris):
    X, y = iris
    with pytest.raises(ValueError, match="metadata routing"):
        WeightedBlender(_clf_members()).fit(X, y, foo=1)


def test_frozen_members(iris):
    X, y = iris
    fitted = LogisticRegression(max_iter=1000).fit(X, y)
    blender = WeightedBlender(
        [("lr", FrozenEstimator(fitted)), ("nb", GaussianNB())], weighting="optimize"
    ).fit(X, y)
    np.testing.assert_allclose(blender.oof_predictions_[:, 0], fitted.predict_proba(X))


def test_parallel_fit_equals_sequential(iris):
    X, y = iris
    a = WeightedBlender(_clf_members(), weighting="caruana", n_jobs=1).fit(X, y)
    b = WeightedBlender(_clf_members(), weighting="caruana", n_jobs=2).fit(X, y)
    np.testing.assert_allclose(a.weights_, b.weights_)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X))


def test_verbose_two_prints_member_scores(iris, capsys):
    X, y = iris
    WeightedBlender(_clf_members(), weighting="score", verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert all(f"member {name!r}" in out for name, _ in _clf_members())


def test_transform_feature_names_and_pandas_output(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    blender = WeightedBlender(_clf_members()).fit(X, np.array(["a", "b", "c"])[y])
    names = blender.get_feature_names_out()
    assert names[0] == "lr__a" and len(names) == 9
    blender.set_output(transform="pandas")
    frame = blender.transform(X[:5])
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(names)
    reg = WeightedBlenderRegressor(_reg_members()).fit(*load_diabetes(return_X_y=True))
    assert list(reg.get_feature_names_out()) == ["ridge", "tree"]


def test_html_repr_shows_members():
    html = WeightedBlender(_clf_members())._repr_html_()
    assert all(name in html for name in ("lr", "tree", "nb"))


# ---------------------------------------------------------------------------
# bad input (doc/user_guide/odd_data.rst)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "estimators, match",
    [
        ([], "estimators is empty"),
        ([("a", GaussianNB()), ("a", GaussianNB())], "unique"),
        ([("a b", GaussianNB())], "not a valid Python identifier"),
        ([("a__b", GaussianNB())], "__"),
        ([("a", "drop"), ("b", "drop")], "All members are 'drop'"),
        ([("lr", LogisticRegression()), ("lin", LinearRegression())], "Member 'lin'"),
    ],
)
def test_invalid_members(iris, estimators, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        WeightedBlender(estimators).fit(X, y)


def test_classifier_among_regressors():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="Member 'lr'.*not a regressor"):
        WeightedBlenderRegressor([("lr", LogisticRegression()), ("r", Ridge())]).fit(X, y)


@pytest.mark.parametrize(
    "weights, match",
    [
        ([1, 2], "one entry per member"),
        ([1, -1, 1], "member 'tree'"),
        ([1, np.nan, 1], "finite"),
        ([0, 0, 0], "all zero"),
    ],
)
def test_invalid_weights(iris, weights, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        WeightedBlender(_clf_members(), weights=weights).fit(X, y)


def test_prefit_member_with_other_classes(iris):
    X, y = iris
    fitted = LogisticRegression(max_iter=1000).fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="Member 'lr' was fitted on classes"):
        WeightedBlender([("lr", fitted)], cv="prefit").fit(X, y)


def test_prefit_unfitted_member(iris):
    X, y = iris
    with pytest.raises(ValueError, match="member 'lr' is not fitted"):
        WeightedBlender([("lr", LogisticRegression())], cv="prefit").fit(X, y)


def test_target_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="Unknown label type"):
        WeightedBlender(_clf_members()).fit(X, y + 0.5)
    with pytest.raises(ValueError, match="at least 2 classes"):
        WeightedBlender(_clf_members()).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="binary and multiclass.*soft voting takes"):
        WeightedBlender(_clf_members(), voting="hard").fit(X, np.column_stack([y % 2, y // 2]))


@pytest.mark.parametrize("labels", [["no", "yes"], [False, True], [-3, 7]])
def test_label_types(labels):
    X, y = load_breast_cancer(return_X_y=True)
    y_labels = np.array(labels)[y]
    for voting in ["soft", "hard", "rank"]:
        b = WeightedBlender(_clf_members(), voting=voting, weighting="caruana").fit(X, y_labels)
        assert set(b.predict(X)) <= set(y_labels)
        assert b.predict(X).dtype == y_labels.dtype


def test_member_nan_message_surfaces(iris):
    X, y = iris
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        WeightedBlender([("lr", LogisticRegression())]).fit(X, y)


def test_feature_count_and_names_at_predict(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    blender = WeightedBlender(_clf_members()).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        blender.predict(X[:, :3])
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    blender = WeightedBlender(_clf_members()).fit(frame, y)
    np.testing.assert_array_equal(blender.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="feature names"):
        blender.predict(frame.rename(columns={"a": "z"}))


def test_sample_weight_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="sample_weight"):
        WeightedBlender(_clf_members()).fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        WeightedBlender(_clf_members()).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(TypeError, match="Member 'plain'.*sample_weight"):
        WeightedBlender([("plain", NoSampleWeightClassifier())]).fit(
            X, y, sample_weight=np.ones(len(y))
        )


def test_sample_weight_reaches_members(iris):
    X, y = iris
    sw = np.where(y == 0, 5.0, 1.0)
    blender = WeightedBlender([("lr", LogisticRegression(max_iter=1000))]).fit(X, y, sw)
    expected = LogisticRegression(max_iter=1000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(blender.estimators_[0].coef_, expected.coef_)


def test_empty_inputs(iris):
    X, y = iris
    with pytest.raises(ValueError, match="0 sample"):
        WeightedBlender(_clf_members()).fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="0 feature"):
        WeightedBlender(_clf_members()).fit(X[:, :0], y)


def test_input_containers_give_the_same_predictions(tmp_path, iris):
    pytest.importorskip("pandas")
    X, y = iris
    reference = WeightedBlender(_clf_members(), weighting="optimize").fit(X, y).predict_proba(X)
    for variant in input_variants(X, tmp_path):
        got = WeightedBlender(_clf_members(), weighting="optimize").fit(variant, y)
        # float32 changes the members' own arithmetic (lbfgs in float32).
        tol = 5e-3 if getattr(variant, "dtype", None) == np.float32 else 1e-6
        np.testing.assert_allclose(got.predict_proba(variant), reference, atol=tol)


def test_user_objects_are_left_unchanged(iris):
    X, y = iris
    members = _clf_members()
    before = [(name, est.get_params()) for name, est in members]
    WeightedBlender(members, weighting="caruana").fit(X, y)
    assert [(name, est.get_params()) for name, est in members] == before
    assert not any(hasattr(est, "classes_") for _, est in members)


def test_invalid_parameter_names_the_parameter(iris):
    X, y = iris
    with pytest.raises(ValueError, match=re.escape("'voting' parameter")):
        WeightedBlender(_clf_members(), voting="median").fit(X, y)


def test_counting_regressor_caches(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    log = str(tmp_path / "r.log")
    for weighting in ["score", "optimize", "caruana"]:
        WeightedBlenderRegressor(
            [("r", CountingRegressor(log))],
            weighting=weighting,
            cv=3,
            memory=str(tmp_path / "cache"),
        ).fit(X, y)
    assert count_fits(log) == 4


def test_random_forest_soft_blend_learns_weights():
    X, y = load_breast_cancer(return_X_y=True)
    members = [
        ("rf", RandomForestClassifier(n_estimators=30, random_state=0)),
        ("nb", GaussianNB()),
    ]
    blender = WeightedBlender(members, weighting="optimize").fit(X, y)
    assert (
        log_loss(y, blend(blender.oof_predictions_, blender.weights_))
        <= min(log_loss(y, blender.oof_predictions_[:, m]) for m in range(2)) + 1e-9
    )


@pytest.mark.parametrize("routing", [False, True])
@pytest.mark.parametrize("cv", [5, "kfold", "groupkfold", 0.3, "prefit"])
def test_groups_argument_with_every_cv(iris, routing, cv):
    X, y = iris
    groups = np.arange(len(y)) % 5
    members = _clf_members()
    if cv == "prefit":
        members = [(name, est.fit(X, y)) for name, est in members]
    cv = {"kfold": KFold(5, shuffle=True, random_state=0), "groupkfold": GroupKFold(5)}.get(cv, cv)
    with sklearn_config_context(enable_metadata_routing=routing), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "groups is ignored by KFold"
        blender = WeightedBlender(members, weighting="score", cv=cv, random_state=0)
        blender.fit(X, y, groups=groups)
    assert np.isclose(blender.weights_.sum(), 1)
    if isinstance(cv, GroupKFold):
        expected = cross_val_predict(
            _clf_members()[0][1], X, y, cv=cv, groups=groups, method="predict_proba"
        )
        np.testing.assert_allclose(blender.oof_predictions_[:, 0], expected)


def test_iterable_cv_with_routing_is_read_once_by_fit(iris):
    X, y = iris
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    with sklearn_config_context(enable_metadata_routing=True):
        blender = WeightedBlender(_clf_members(), weighting="score", cv=iter(folds))
        blender.get_metadata_routing()
        blender.fit(X, y)
    expected = cross_val_predict(_clf_members()[0][1], X, y, cv=folds, method="predict_proba")
    np.testing.assert_allclose(blender.oof_predictions_[:, 0], expected)


# ---------------------------------------------------------------------------
# cv given means held-out predictions
# ---------------------------------------------------------------------------
def test_a_cv_given_makes_held_out_predictions_with_given_weights(iris):
    X, y = iris
    blender = WeightedBlender(_clf_members(), cv=5).fit(X, y)  # equal weights
    np.testing.assert_allclose(blender.weights_, np.full(3, 1 / 3))
    # Each member's OOF output: sklearn's cross_val_predict on the same folds.
    for m, (_, member) in enumerate(_clf_members()):
        expected = cross_val_predict(member, X, y, cv=5, method="predict_proba")
        np.testing.assert_allclose(blender.oof_predictions_[:, m], expected, atol=1e-12)
    fused = blender.oof_predictions_.mean(axis=1)
    assert blender.fused_cv_score_ == pytest.approx(np.mean(fused.argmax(axis=1) == y))
    sets = blender.predict_set(X[:10], coverage=0.9)
    assert sets.shape == (10, 3) and sets.any(axis=1).all()


def test_given_weights_without_cv_fit_each_member_once(tmp_path, iris):
    X, y = iris
    log = str(tmp_path / "a.log")
    members = [("a", CountingClassifier(log)), ("b", GaussianNB())]
    blender = WeightedBlender(members, weights=[2, 1]).fit(X, y)
    assert count_fits(log) == 1  # scikit-learn's voting's cost
    assert blender.oof_predictions_ is None and blender.fused_cv_score_ is None
    with pytest.raises(ValueError, match=r"fit it with a cv \(e.g. cv=5\)"):
        blender.predict_set(X, coverage=0.9)


def test_a_cv_given_to_the_regressor_gives_intervals():
    X, y = load_diabetes(return_X_y=True)
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))]
    blender = WeightedBlenderRegressor(members, cv=5).fit(X, y)
    bounds = blender.predict_interval(X[:20], coverage=0.9)
    assert bounds.shape == (20, 2) and np.all(bounds[:, 0] < bounds[:, 1])
    with pytest.raises(ValueError, match="fit it with a cv"):
        WeightedBlenderRegressor(members).fit(X, y).predict_interval(X[:20])
