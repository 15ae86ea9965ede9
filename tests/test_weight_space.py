"""WeightSpaceFuser / WeightSpaceFuserRegressor."""

import pickle
import warnings

import numpy as np
import pytest
from _helpers import input_variants
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    ShuffleSplit,
    StratifiedShuffleSplit,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skfusion import WeightSpaceFuser, WeightSpaceFuserRegressor
from skfusion._adapters import LinearAdapter
from skfusion.merge import merge_params

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _lr_members(n=3):
    return [
        (f"c{i}", LogisticRegression(C=c, max_iter=500)) for i, c in enumerate([0.01, 0.1, 1])
    ][:n]


def _mlp(seed, max_iter=15):
    return MLPClassifier(hidden_layer_sizes=(32,), max_iter=max_iter, random_state=seed)


def test_uniform_soup_is_the_mean_of_the_fitted_members(digits):
    X, y = digits
    fuser = WeightSpaceFuser(_lr_members(), random_state=0).fit(X, y)
    for attr in ("coef_", "intercept_"):
        mean = np.mean([getattr(e, attr) for e in fuser.estimators_], axis=0)
        np.testing.assert_allclose(getattr(fuser.fused_estimator_, attr), mean)
    np.testing.assert_allclose(fuser.weights_, [1 / 3] * 3)
    # prediction is the fused model's, one model
    np.testing.assert_array_equal(fuser.predict(X), fuser.fused_estimator_.predict(X))
    np.testing.assert_allclose(fuser.predict_proba(X), fuser.fused_estimator_.predict_proba(X))
    # members were scored on the hold-out rows after a fit on the others...
    train, test = _holdout_rows(X, y)
    ref = clone(_lr_members()[2][1]).fit(X[train], y[train])
    assert fuser.member_scores_["c2"] == pytest.approx(ref.score(X[test], y[test]))
    # ... then refit on all rows (refit=True)
    ref_all = clone(_lr_members()[2][1]).fit(X, y)
    np.testing.assert_allclose(fuser.estimators_[2].coef_, ref_all.coef_, rtol=1e-6)
    # refit=False keeps the models of the hold-out split
    kept = WeightSpaceFuser(_lr_members(), refit=False, random_state=0).fit(X, y)
    np.testing.assert_allclose(kept.estimators_[2].coef_, ref.coef_, rtol=1e-6)


def _holdout_rows(X, y, random_state=0):
    """The fuser's default split: a stratified 20 % hold-out seeded from random_state."""
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max)
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    return next(iter(splitter.split(X, y)))


def test_soup_of_identical_members_is_the_member(digits):
    X, y = digits
    members = [(f"m{i}", LogisticRegression(C=0.1, max_iter=500)) for i in range(3)]
    fuser = WeightSpaceFuser(members, random_state=0).fit(X, y)
    # fit uses all rows: the soup is one LogisticRegression fitted on all of them
    alone = LogisticRegression(C=0.1, max_iter=500).fit(X, y)
    np.testing.assert_allclose(fuser.fused_estimator_.coef_, alone.coef_, rtol=1e-6)
    np.testing.assert_allclose(fuser.predict_proba(X), alone.predict_proba(X), rtol=1e-6)
    assert fuser.fused_score_ == pytest.approx(fuser.member_scores_["m0"])


def test_greedy_soup_is_never_worse_than_its_best_ingredient(digits):
    X, y = digits
    base = _mlp(0, max_iter=40)
    members = [(f"m{i}", _mlp(i + 1, max_iter=10)) for i in range(5)]
    for cv in (0.2, 0.3):
        fuser = WeightSpaceFuser(
            members,
            weighting="greedy",
            base_estimator=base,
            cv=cv,
            objective="accuracy",
            random_state=0,
        ).fit(X, y)
        assert fuser.fused_score_ >= max(fuser.member_scores_.values())
        best = max(fuser.member_scores_, key=fuser.member_scores_.get)
        assert fuser.picks_[0] == best
        np.testing.assert_allclose(fuser.weights_.sum(), 1.0)


def test_greedy_soup_equals_a_naive_greedy_soup(digits):
    X, y = digits
    fuser = WeightSpaceFuser(
        _lr_members(), weighting="greedy", objective="accuracy", refit=False, random_state=0
    ).fit(X, y)
    _, test = _holdout_rows(X, y)
    adapter = LinearAdapter()
    params = [adapter.read(e) for e in fuser.estimators_]
    scores = [e.score(X[test], y[test]) for e in fuser.estimators_]
    order = sorted(range(3), key=lambda m: -scores[m])
    soup, best = [order[0]], scores[order[0]]
    for m in order[1:]:
        trial = adapter.write(fuser.estimators_[0], merge_params([params[i] for i in soup + [m]]))
        if trial.score(X[test], y[test]) >= best:
            soup, best = soup + [m], trial.score(X[test], y[test])
    assert fuser.picks_ == [f"c{m}" for m in soup]
    assert fuser.fused_score_ == pytest.approx(best)


def test_fine_tuning_starts_from_the_base(digits):
    X, y = digits
    base = _mlp(0, max_iter=30)
    members = [("a", _mlp(1, max_iter=1)), ("b", _mlp(2, max_iter=1))]
    fuser = WeightSpaceFuser(members, base_estimator=base, random_state=0).fit(X, y)
    # one epoch from the base stays close to it; from scratch would be far away
    start = fuser.base_estimator_.coefs_[0]
    for member in fuser.estimators_:
        moved = np.linalg.norm(member.coefs_[0] - start) / np.linalg.norm(start)
        assert moved < 0.2
        assert member.warm_start is False  # the member's own setting is restored
    assert min(fuser.member_scores_.values()) > 0.8


def test_task_vector_methods(digits):
    X, y = digits
    base = _mlp(0, max_iter=30)
    members = [(f"m{i}", _mlp(i + 1, max_iter=5)) for i in range(3)]
    fused = {}
    for method in ("task_arithmetic", "ties", "dare"):
        fuser = WeightSpaceFuser(
            members,
            merge=method,
            base_estimator=base,
            scaling=1 / 3,
            density=0.5,
            random_state=0,
        ).fit(X, y)
        fused[method] = fuser
        assert fuser.fused_score_ > 0.85
    # task arithmetic with scaling 1/M is the uniform soup
    soup = WeightSpaceFuser(members, base_estimator=base, random_state=0).fit(X, y)
    for a, b in zip(
        soup.fused_estimator_.coefs_, fused["task_arithmetic"].fused_estimator_.coefs_
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_alignment_of_mlps_without_a_shared_start(digits):
    X, y = digits
    members = [(f"m{i}", _mlp(i, max_iter=30)) for i in range(3)]
    aligned = WeightSpaceFuser(members, random_state=0).fit(X, y)
    unaligned = WeightSpaceFuser(members, align=False, random_state=0).fit(X, y)
    assert aligned.fused_score_ > unaligned.fused_score_
    # aligning permutes units: each member predicts exactly as before
    raw = WeightSpaceFuser(members, align=False, random_state=0).fit(X, y).estimators_
    for a, b in zip(aligned.estimators_, raw):
        np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-9)


def test_rounds_record_a_score_each(digits):
    X, y = digits
    members = [(f"m{i}", _mlp(i + 1, max_iter=5)) for i in range(3)]
    fuser = WeightSpaceFuser(
        members, base_estimator=_mlp(0, max_iter=10), n_rounds=3, random_state=0
    ).fit(X, y)
    assert len(fuser.round_scores_) == 3
    assert fuser.fused_score_ == fuser.round_scores_[-1]
    assert fuser.round_scores_[-1] >= fuser.round_scores_[0]


def test_fisher_merge_of_logistic_regressions(digits):
    X, y = digits
    fuser = WeightSpaceFuser(_lr_members(), merge="fisher", random_state=0).fit(X, y)
    adapter = LinearAdapter()
    # refit on all rows: the Fishers of the refit members, on all rows
    fishers = [adapter.fisher(e, X) for e in fuser.estimators_]
    expected = merge_params(
        [adapter.read(e) for e in fuser.estimators_], merge="fisher", fisher=fishers
    )
    np.testing.assert_allclose(fuser.fused_estimator_.coef_, expected["coef_"])
    assert fuser.fused_score_ > 0.9


def test_prefit_members_federated_average():
    X, y = load_diabetes(return_X_y=True)
    shards = np.array_split(np.arange(len(y)), 3)
    models = [Ridge(alpha=0.1).fit(X[s], y[s]) for s in shards]
    sizes = [len(s) for s in shards]
    expected = sum(s * m.coef_ for s, m in zip(sizes, models)) / sum(sizes)
    frozen = [(f"site{i}", FrozenEstimator(m)) for i, m in enumerate(models)]
    for members, cv in [(list(zip(["a", "b", "c"], models)), "prefit"), (frozen, 0.2)]:
        fuser = WeightSpaceFuserRegressor(members, cv=cv, weights=sizes, random_state=0).fit(X, y)
        np.testing.assert_allclose(fuser.fused_estimator_.coef_, expected)
        assert type(fuser.fused_estimator_) is Ridge
        assert fuser.estimators_[0] is models[0]  # fused as given, not refitted
    fuser = WeightSpaceFuserRegressor(list(zip("abc", models)), cv="prefit").fit(X, y)
    assert fuser.fused_score_ == pytest.approx(fuser.fused_estimator_.score(X, y))
    with pytest.raises(ValueError, match="Member 'site0' is a FrozenEstimator"):
        WeightSpaceFuserRegressor(frozen, n_rounds=2).fit(X, y)


def test_weighted_from_holdout_scores(digits):
    X, y = digits
    fuser = WeightSpaceFuser(_lr_members(), weighting="score", refit=False, random_state=0).fit(
        X, y
    )
    # objective=None: the log-loss on the hold-out rows, weights proportional to 1 / loss
    _, test = _holdout_rows(X, y)
    losses = np.array([log_loss(y[test], e.predict_proba(X[test])) for e in fuser.estimators_])
    np.testing.assert_allclose(fuser.weights_, (1 / losses) / (1 / losses).sum(), rtol=1e-8)
    by_accuracy = WeightSpaceFuser(
        _lr_members(), weighting="score", objective="accuracy", refit=False, random_state=0
    ).fit(X, y)
    accuracy = np.array(list(by_accuracy.member_scores_.values()))
    np.testing.assert_allclose(by_accuracy.weights_, accuracy / accuracy.sum())


@pytest.mark.parametrize(
    "kwargs, members, match",
    [
        ({}, [("a", LogisticRegression()), ("b", LinearSVC())], "Member 'b' is a LinearSVC"),
        ({}, [("tree", DecisionTreeClassifier())], "Member 'tree' is a DecisionTreeClassifier"),
        (
            {},
            [("p", make_pipeline(StandardScaler(), LogisticRegression()))],
            "Member 'p' is a Pipeline.*make_pipeline",
        ),
        (
            {},
            [("a", _mlp(0)), ("b", MLPClassifier(hidden_layer_sizes=(16,)))],
            "Member 'b' has hidden_layer_sizes=\\(16,\\)",
        ),
        ({"merge": "ties"}, [("a", LogisticRegression())], "needs base_estimator"),
        ({"merge": "fisher"}, [("svc", LinearSVC())], "member 'svc'.*Fisher merging supports"),
        ({"weights": [1, -1]}, _lr_members(2), "member 'c1'"),
        ({"align": True}, _lr_members(2), "align=True aligns MLP"),
        ({"base_estimator": Ridge()}, _lr_members(2), "Member 'base_estimator' is a Ridge"),
    ],
)
def test_bad_members_are_reported_before_fitting(digits, kwargs, members, match):
    X, y = digits
    with pytest.raises((TypeError, ValueError), match=match):
        WeightSpaceFuser(members, **kwargs).fit(X, y)


def test_mismatched_fitted_shapes_name_member_and_parameter():
    X, y = load_iris(return_X_y=True)
    a = LogisticRegression(max_iter=500).fit(X, y)
    b = LogisticRegression(max_iter=500).fit(X[:, :3], y)
    with pytest.raises(ValueError, match="Member 'b' has parameter 'coef_' of shape \\(3, 3\\)"):
        WeightSpaceFuser([("a", a), ("b", b)], cv="prefit").fit(X, y)


def test_prefit_needs_fitted_members(digits):
    X, y = digits
    with pytest.raises(Exception, match="member 'c0' is not fitted"):
        WeightSpaceFuser(_lr_members(2), cv="prefit").fit(X, y)


def test_sgd_members_and_sample_weight(digits):
    X, y = digits
    members = [(f"s{i}", SGDClassifier(loss="log_loss", random_state=i)) for i in range(3)]
    sw = np.random.default_rng(0).uniform(0.5, 2, len(y))
    fuser = WeightSpaceFuser(members, merge="fisher", random_state=0).fit(X, y, sample_weight=sw)
    assert fuser.fused_score_ > 0.85
    unweighted = WeightSpaceFuser(members, merge="fisher", random_state=0).fit(X, y)
    assert not np.allclose(fuser.fused_estimator_.coef_, unweighted.fused_estimator_.coef_)


def test_groups_and_splitter_cv(digits):
    X, y = digits
    groups = np.arange(len(y)) % 7
    fuser = WeightSpaceFuser(_lr_members(2), cv=GroupKFold(5)).fit(X, y, groups=groups)
    assert np.isfinite(fuser.fused_score_)
    fuser = WeightSpaceFuser(_lr_members(2), cv=ShuffleSplit(1, test_size=0.25, random_state=0))
    fuser.fit(X, y)
    assert np.isfinite(fuser.fused_score_)


def test_pipeline_grid_search_clone_pickle(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), WeightSpaceFuser(_lr_members(2), random_state=0))
    grid = GridSearchCV(
        pipe, {"weightspacefuser__weighting": [None, "greedy"]}, cv=3, error_score="raise"
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_allclose(
        restored.predict_proba(X[:5]), grid.best_estimator_.predict_proba(X[:5])
    )
    assert not hasattr(clone(pipe)[-1], "fused_estimator_")
    fuser = grid.best_estimator_[-1]
    assert list(fuser.get_feature_names_out()) == ["fused"]
    assert fuser.transform(X[:4]).shape == (4, 1)


def test_regressor_multi_output_soup():
    X, y = load_diabetes(return_X_y=True)
    Y = np.column_stack([y, -y])
    members = [(f"r{i}", Ridge(alpha=a)) for i, a in enumerate([0.01, 1.0])]
    fuser = WeightSpaceFuserRegressor(members, random_state=0).fit(X, Y)
    assert fuser.predict(X[:3]).shape == (3, 2)
    np.testing.assert_allclose(
        fuser.fused_estimator_.coef_, np.mean([e.coef_ for e in fuser.estimators_], axis=0)
    )
    assert list(fuser.get_feature_names_out()) == ["fused0", "fused1"]


def _fitted_on_a_frame(kind):
    """A weight-space fuser of ``kind`` fitted on a DataFrame, with that frame."""
    pd = pytest.importorskip("pandas")
    if kind == "classifier":
        X, y = load_iris(return_X_y=True)
        fuser = WeightSpaceFuser(_lr_members(2), random_state=0)
    else:
        X, y = load_diabetes(return_X_y=True)
        y = np.column_stack([y, -y]) if kind == "multi-output" else y
        members = [(f"r{i}", Ridge(alpha=a)) for i, a in enumerate([0.01, 1.0])]
        fuser = WeightSpaceFuserRegressor(members, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    return fuser.fit(frame, y), frame


@pytest.mark.parametrize("kind", ["classifier", "regressor", "multi-output"])
def test_feature_names_out_after_a_dataframe_fit_warn_nothing(kind):
    # get_feature_names_out used to predict on made-up zeros without column names
    fuser, frame = _fitted_on_a_frame(kind)
    expected = ["fused0", "fused1"] if kind == "multi-output" else ["fused"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(fuser.get_feature_names_out()) == expected
        assert fuser.transform(frame).shape == (len(frame), len(expected))


@pytest.mark.parametrize("kind", ["classifier", "regressor", "multi-output"])
@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_set_output_dataframes(kind, container):
    # set_output asks get_feature_names_out inside transform, which used to call
    # transform again: RecursionError
    module = pytest.importorskip(container)
    fuser, frame = _fitted_on_a_frame(kind)
    expected = fuser.transform(frame)
    fuser.set_output(transform=container)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fuser.transform(frame)
    assert isinstance(out, module.DataFrame)
    assert list(out.columns) == list(fuser.get_feature_names_out())
    np.testing.assert_allclose(out.to_numpy(), expected)


def test_user_members_are_left_unchanged(digits):
    X, y = digits
    members = [(f"m{i}", _mlp(i + 1, max_iter=3)) for i in range(2)]
    base = _mlp(0, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        WeightSpaceFuser(members, base_estimator=base, n_rounds=2).fit(X, y)
    assert not hasattr(base, "coefs_")
    assert not any(hasattr(est, "coefs_") for _, est in members)


def test_uniform_soup_of_fine_tuned_mlps_beats_the_average_member(digits):
    X, y = digits
    members = [(f"m{i}", _mlp(i + 1, max_iter=10)) for i in range(5)]
    for seed in (0, 1):
        fuser = WeightSpaceFuser(
            members, base_estimator=_mlp(0, max_iter=30), random_state=seed
        ).fit(X, y)
        assert fuser.fused_score_ >= np.mean(list(fuser.member_scores_.values()))


def test_input_containers_and_label_types(tmp_path):
    pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True)
    members = _lr_members(2)
    reference = WeightSpaceFuser(members, random_state=0).fit(X, y).predict_proba(X)
    variants = input_variants(X, tmp_path)
    frame = variants[-1]
    for variant in variants:
        fuser = WeightSpaceFuser(members, random_state=0).fit(variant, y)
        tol = 1e-3 if getattr(variant, "dtype", None) == np.float32 else 1e-6
        np.testing.assert_allclose(fuser.predict_proba(variant), reference, atol=tol)
    assert list(fuser.feature_names_in_) == list(frame.columns)
    with pytest.raises(ValueError, match="feature names"):
        fuser.predict_proba(frame.rename(columns={"f0": "other"}))
    for labels in (np.array(["a", "b", "c"]), np.array([10, 20, 30])):
        fuser = WeightSpaceFuser(members, random_state=0).fit(X, labels[y])
        np.testing.assert_array_equal(fuser.classes_, labels)
        assert set(fuser.predict(X)) <= set(labels)
    binary = WeightSpaceFuser(members, random_state=0).fit(X[y < 2], y[y < 2] == 1)
    np.testing.assert_array_equal(binary.classes_, [False, True])


def test_sample_weight_and_nan_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="sample_weight"):
        WeightSpaceFuser(_lr_members(2)).fit(X, y, sample_weight=np.ones(3))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        WeightSpaceFuser(_lr_members(2)).fit(X_nan, y)


def test_regressor_in_pipeline_grid_search_clone_pickle():
    X, y = load_diabetes(return_X_y=True)
    members = [(f"r{i}", Ridge(alpha=a)) for i, a in enumerate([0.01, 1.0, 10.0])]
    pipe = make_pipeline(StandardScaler(), WeightSpaceFuserRegressor(members, random_state=0))
    grid = GridSearchCV(
        pipe,
        {
            "weightspacefuserregressor__weighting": [None, "greedy"],
            "weightspacefuserregressor__merge": ["average", "fisher"],
        },
        cv=3,
    ).fit(X, y)
    best = grid.best_estimator_
    restored = pickle.loads(pickle.dumps(best))
    np.testing.assert_allclose(restored.predict(X[:5]), best.predict(X[:5]))
    assert not hasattr(clone(pipe)[-1], "fused_estimator_")
    fuser = best[-1]
    assert fuser.fused_score_ >= min(fuser.member_scores_.values())


def test_every_split_of_cv_is_used():
    # An int or a splitter gives several splits: members are fitted and scored
    # on each, scores are the mean over splits, and the fused OOF predictions
    # cover every row.
    X, y = load_diabetes(return_X_y=True)
    members = [(f"r{i}", Ridge(alpha=a)) for i, a in enumerate([0.01, 1.0])]
    cv = KFold(3, shuffle=True, random_state=0)
    fuser = WeightSpaceFuserRegressor(members, cv=cv).fit(X, y)
    oof = np.empty(len(y))
    for name, est in members:
        scores = []
        for train, test in cv.split(X):
            scores.append(clone(est).fit(X[train], y[train]).score(X[test], y[test]))
        assert fuser.member_scores_[name] == pytest.approx(np.mean(scores))
    fused_scores = []
    for train, test in cv.split(X):
        fitted = [clone(est).fit(X[train], y[train]) for _, est in members]
        coef = np.mean([f.coef_ for f in fitted], axis=0)
        intercept = np.mean([f.intercept_ for f in fitted])
        oof[test] = X[test] @ coef + intercept
        fused_scores.append(r2_score(y[test], oof[test]))
    np.testing.assert_allclose(fuser.fused_oof_predictions_, oof, rtol=1e-9)
    assert fuser.fused_score_ == pytest.approx(np.mean(fused_scores))
    with pytest.raises(ValueError, match="refit=False keeps the models fitted on the training"):
        WeightSpaceFuserRegressor(members, cv=3, refit=False).fit(X, y)


def test_weights_and_weighting_are_exclusive(digits):
    X, y = digits
    with pytest.raises(ValueError, match="set one of the two"):
        WeightSpaceFuser(_lr_members(2), weights=[1, 2], weighting="score").fit(X, y)


def test_named_weights_include_dropped_members(digits):
    X, y = digits
    members = _lr_members(3)
    members[1] = ("c1", "drop")
    fuser = WeightSpaceFuser(members, weights=[1, 5, 3], random_state=0).fit(X, y)
    np.testing.assert_allclose(fuser.weights_, [0.25, 0.75])
    assert dict(fuser.named_weights_) == {"c0": 0.25, "c1": 0.0, "c2": 0.75}
    assert fuser.named_estimators_.c1 == "drop"


@pytest.mark.parametrize("name", ["identity", "logistic", "tanh", "relu"])
def test_mlp_activations_and_their_derivatives(name):
    # The Fisher information of MLP members back-propagates with these; they
    # must be sklearn's activations and their exact derivatives.
    from skfusion._adapters import ACTIVATIONS, DERIVATIVES

    closed_form = {
        "identity": lambda z: z,
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
    }[name]
    # Points away from relu's kink, where the derivative is defined.
    z = np.linspace(-3, 3, 24).reshape(4, 6) + 0.0625
    a = ACTIVATIONS[name](z.copy())
    np.testing.assert_allclose(a, closed_form(z), rtol=1e-12)
    step = 1e-6
    slope = (closed_form(z + step) - closed_form(z - step)) / (2 * step)
    delta = np.full_like(z, 2.0)
    np.testing.assert_allclose(DERIVATIVES[name](a, delta), 2.0 * slope, rtol=1e-6, atol=1e-9)


def test_score_weighting_keeps_the_task_vector_sum():
    # Task arithmetic sums task vectors (1 each); score weights set shares of
    # that sum, so equal scores give the unweighted merge.
    X, y = load_diabetes(return_X_y=True)
    base = Ridge(alpha=100.0)
    members = [(f"r{i}", Ridge(alpha=1.0)) for i in range(3)]
    kwargs = {"merge": "task_arithmetic", "base_estimator": base, "scaling": 1 / 3, "cv": 3}
    plain = WeightSpaceFuserRegressor(members, **kwargs).fit(X, y)
    scored = WeightSpaceFuserRegressor(members, weighting="score", **kwargs).fit(X, y)
    np.testing.assert_allclose(scored.weights_, [1 / 3] * 3)
    np.testing.assert_allclose(scored.fused_estimator_.coef_, plain.fused_estimator_.coef_)


def test_greedy_soup_competes_with_the_best_member_merged_alone(digits):
    # With DARE a lone member is not given back; the greedy soup must never be
    # worse than that one-member merge (it used to keep comparing with the
    # unmerged member, and ended far worse than both).
    X, y = digits
    base = LogisticRegression(C=0.001, max_iter=500)
    kwargs = {"merge": "dare", "base_estimator": base, "refit": False, "random_state": 0}
    greedy = WeightSpaceFuser(
        _lr_members(), weighting="greedy", objective="accuracy", **kwargs
    ).fit(X, y)
    first = greedy.picks_[0]
    alone = WeightSpaceFuser(
        [(n, e) for n, e in _lr_members() if n == first], objective="accuracy", **kwargs
    ).fit(X, y)
    assert greedy.fused_score_ >= alone.fused_score_


def test_cv_indices_are_checked():
    X, y = load_diabetes(return_X_y=True)
    members = [("a", Ridge(alpha=1.0)), ("b", Ridge(alpha=10.0))]
    rows = np.arange(len(y))
    repeated = [(rows[100:], np.r_[rows[:100], 0])]
    with pytest.raises(ValueError, match="cv fold 0: the test indices list 1 row"):
        WeightSpaceFuserRegressor(members, cv=repeated).fit(X, y)
