"""OOFStacker and OOFStackerRegressor."""

import pickle

import numpy as np
import pytest
from _helpers import CountingClassifier, count_fits
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import OOFStacker, OOFStackerRegressor
from skfusion.inspection import per_sample_contributions


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _members():
    return [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("svc", make_pipeline(StandardScaler(), LinearSVC(random_state=0))),
    ]


def _reg_members():
    return [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]


# ---------------------------------------------------------------------------
# against sklearn
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("load", [load_iris, load_breast_cancer])
@pytest.mark.parametrize("passthrough", [False, True])
def test_equals_stacking_classifier(load, passthrough):
    X, y = load(return_X_y=True)
    final = LogisticRegression(max_iter=5000)
    ours = OOFStacker(_members(), final, passthrough=passthrough).fit(X, y)
    theirs = StackingClassifier(_members(), final, passthrough=passthrough).fit(X, y)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_equals_stacking_regressor():
    X, y = load_diabetes(return_X_y=True)
    ours = OOFStackerRegressor(_reg_members()).fit(X, y)
    theirs = StackingRegressor(_reg_members()).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


# ---------------------------------------------------------------------------
# cv, fold averaging, levels
# ---------------------------------------------------------------------------
def test_fold_average_uses_fold_models_and_no_refit(iris):
    X, y = iris
    stack = OOFStacker(_members(), test_predictions="fold_average").fit(X, y)
    assert stack.estimators_ is None
    assert [len(f) for f in stack.fold_estimators_] == [5, 5, 5]
    # named_estimators_ is never None: each name holds its fold models.
    for (name, _), folds in zip(_members(), stack.fold_estimators_):
        assert stack.named_estimators_[name] is folds
    # naive reference: the mean of each fold model's output
    folds = list(StratifiedKFold(5).split(X, y))
    expected = []
    for name, est in _members():
        method = "decision_function" if name == "svc" else "predict_proba"
        outs = [getattr(clone(est).fit(X[tr], y[tr]), method)(X[:7]) for tr, _ in folds]
        expected.append(np.mean(outs, axis=0))
    np.testing.assert_allclose(stack.transform(X[:7]), np.hstack(expected), rtol=1e-10)


def test_repeated_cv_meta_features_are_mean_over_repeats(iris):
    X, y = iris
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    stack = OOFStacker(_members()[:1], cv=cv).fit(X, y)
    total = np.zeros((len(y), 3))
    for train, test in cv.split(X, y):
        total[test] += GaussianNB().fit(X[train], y[train]).predict_proba(X[test])
    np.testing.assert_allclose(stack.oof_predictions_[:, 0], total / 2)


def test_holdout_float_cv_is_classic_blending(iris):
    X, y = iris
    stack = OOFStacker(_members()[:2], cv=0.3, random_state=0).fit(X, y)
    rows = np.flatnonzero(~np.isnan(stack.oof_predictions_[:, 0, 0]))
    assert len(rows) == 45
    meta = np.hstack([stack.oof_predictions_[rows, m] for m in range(2)])
    expected = LogisticRegression().fit(meta, y[rows])
    np.testing.assert_allclose(stack.final_estimator_.coef_, expected.coef_)


def test_group_cv_with_groups(iris):
    X, y = iris
    groups = np.arange(len(y)) // 10
    stack = OOFStacker(_members()[:1], cv=GroupKFold(5)).fit(X, y, groups=groups)
    expected = cross_val_predict(
        GaussianNB(), X, y, cv=GroupKFold(5), groups=groups, method="predict_proba"
    )
    np.testing.assert_allclose(stack.oof_predictions_[:, 0], expected)


def test_three_level_stack_trains_each_level_on_oof_outputs(iris):
    X, y = iris
    level3 = LogisticRegression(max_iter=1000)
    level2 = OOFStacker(
        [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())], final_estimator=level3
    )
    stack = OOFStacker(_members(), final_estimator=level2).fit(X, y)
    level2_fitted = stack.final_estimator_
    # Level 2 was fitted on level 1's out-of-fold meta-features...
    level1_meta = np.hstack(
        [stack.oof_predictions_[:, 0], stack.oof_predictions_[:, 1], stack.oof_predictions_[:, 2]]
    )
    assert level2_fitted.n_features_in_ == level1_meta.shape[1]
    expected = OOFStacker(
        [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())],
        final_estimator=LogisticRegression(max_iter=1000),
    ).fit(level1_meta, y)
    # ...and level 3 on level 2's out-of-fold outputs of those.
    np.testing.assert_allclose(level2_fitted.oof_predictions_, expected.oof_predictions_)
    np.testing.assert_allclose(
        level2_fitted.final_estimator_.coef_, expected.final_estimator_.coef_
    )
    assert stack.score(X, y) > 0.9


def test_no_leakage_from_a_memorising_member():
    X, y = make_classification(n_samples=400, n_features=10, flip_y=0.2, random_state=0)
    members = [
        ("knn1", KNeighborsClassifier(n_neighbors=1)),
        ("lr", LogisticRegression(max_iter=1000)),
    ]
    stack = OOFStacker(members).fit(X, y)
    in_sample = KNeighborsClassifier(n_neighbors=1).fit(X, y).score(X, y)
    assert in_sample == 1.0
    assert stack.member_scores_["knn1"] < 0.9  # honest, out of fold
    knn_weight, lr_weight = np.abs(stack.final_estimator_.coef_[0])
    assert knn_weight < lr_weight


# ---------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------
def test_stack_method_per_member(iris):
    X, y = iris
    stack = OOFStacker(_members(), stack_method={"nb": "predict", "svc": "decision_function"})
    stack.fit(X, y)
    assert stack.stack_method_ == ["predict", "predict_proba", "decision_function"]
    meta = stack.transform(X[:10])
    np.testing.assert_array_equal(meta[:, :3], np.eye(3)[stack.estimators_[0].predict(X[:10])])
    listed = OOFStacker(_members(), stack_method=["predict_proba"] * 2 + ["predict"]).fit(X, y)
    assert listed.stack_method_[-1] == "predict"
    with pytest.raises(ValueError, match="unknown members"):
        OOFStacker(_members(), stack_method={"nope": "predict"}).fit(X, y)
    with pytest.raises(ValueError, match="3 members"):
        OOFStacker(_members(), stack_method=["predict"]).fit(X, y)
    with pytest.raises(AttributeError, match="member 'svc'"):
        OOFStacker(_members(), stack_method="predict_proba").fit(X, y)


@pytest.mark.parametrize(
    "passthrough, columns",
    [
        ([0, 2], [0, 2]),
        (np.array([True, False, False, True]), [0, 3]),
        (lambda X: [1], [1]),
        (True, [0, 1, 2, 3]),
    ],
)
def test_passthrough_subsets(iris, passthrough, columns):
    X, y = iris
    stack = OOFStacker(_members()[:1], passthrough=passthrough).fit(X, y)
    meta = stack.transform(X[:5])
    np.testing.assert_allclose(meta[:, 3:], X[:5, columns])
    assert list(stack.get_feature_names_out()[3:]) == [f"x{i}" for i in columns]


def test_passthrough_by_name_with_pandas(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    stack = OOFStacker(_members()[:1], passthrough=["d", "b"]).fit(frame, y)
    np.testing.assert_allclose(stack.transform(frame)[:, 3:], X[:, [3, 1]])
    assert list(stack.get_feature_names_out()) == ["nb__0", "nb__1", "nb__2", "d", "b"]
    with pytest.raises(ValueError, match="unknown columns"):
        OOFStacker(_members()[:1], passthrough=["zz"]).fit(frame, y)


def test_sparse_passthrough_stays_sparse(iris):
    X, y = iris
    X_sparse = sparse.csr_matrix(X)
    members = [("lr", LogisticRegression(max_iter=1000))]
    stack = OOFStacker(members, passthrough=True).fit(X_sparse, y)
    meta = stack.transform(X_sparse)
    assert sparse.issparse(meta)
    np.testing.assert_array_equal(meta[:, 3:].toarray(), X)  # passthrough, exact
    dense = OOFStacker(members, passthrough=True).fit(X, y)
    # lbfgs on sparse and dense input differs in the last digits
    np.testing.assert_allclose(meta[:, :3].toarray(), dense.transform(X)[:, :3], atol=5e-3)


# ---------------------------------------------------------------------------
# feature-weighted linear stacking
# ---------------------------------------------------------------------------
def _switching_regression(n, seed):
    """y follows x1 where x0 > 0 and x2 elsewhere; one member sees only x1,
    one only x2: each is right in its half."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 3))
    y = np.where(X[:, 0] > 0, 2 * X[:, 1], -2 * X[:, 2]) + 0.05 * rng.normal(size=n)
    members = [
        ("on_x1", make_pipeline(ColumnTransformer([("x1", "passthrough", [1])]), Ridge())),
        ("on_x2", make_pipeline(ColumnTransformer([("x2", "passthrough", [2])]), Ridge())),
    ]
    return X, y, members


def test_feature_weighted_meta_features_and_fit_by_hand():
    X, y, members = _switching_regression(400, 0)
    cv = KFold(4, shuffle=True, random_state=0)
    stack = OOFStackerRegressor(
        members, LinearRegression(), cv=cv, passthrough=[0, 2], feature_weighted=True
    ).fit(X, y)
    oof = stack.oof_predictions_  # (n, 2)
    f = X[:, [0, 2]]
    by_hand = np.column_stack(
        [oof[:, 0], oof[:, 0] * f[:, 0], oof[:, 0] * f[:, 1]]
        + [oof[:, 1], oof[:, 1] * f[:, 0], oof[:, 1] * f[:, 1], f]
    )
    reference = LinearRegression().fit(by_hand, y)
    np.testing.assert_allclose(stack.final_estimator_.coef_, reference.coef_, rtol=1e-8)
    test = np.column_stack([est.predict(X[:7]) for est in stack.estimators_])
    meta = stack.transform(X[:7])
    np.testing.assert_allclose(meta[:, :3], test[:, [0]] * np.c_[np.ones(7), X[:7, [0, 2]]])
    np.testing.assert_allclose(stack.predict(X[:7]), reference.predict(meta))
    assert list(stack.get_feature_names_out()) == [
        "on_x1", "on_x1*x0", "on_x1*x2", "on_x2", "on_x2*x0", "on_x2*x2", "x0", "x2"
    ]  # fmt: skip


def test_feature_weighted_stacking_follows_the_member_of_each_region():
    X, y, members = _switching_regression(1500, 1)
    X_test, y_test, _ = _switching_regression(1500, 2)
    plain = OOFStackerRegressor(members, LinearRegression(), passthrough=[0]).fit(X, y)
    weighted = OOFStackerRegressor(
        members, LinearRegression(), passthrough=[0], feature_weighted=True
    ).fit(X, y)
    # Constant weights cannot follow the switch at x0 = 0; weights linear in x0 can.
    assert weighted.score(X_test, y_test) > plain.score(X_test, y_test) + 0.15


def test_feature_weighted_classifier_products_per_class_and_sparse(iris):
    X, y = iris
    members = [("nb", GaussianNB()), ("lr", LogisticRegression(max_iter=1000))]
    dense = OOFStacker(members, passthrough=[1, 3], feature_weighted=True).fit(X, y)
    meta = dense.transform(X[:5])
    assert meta.shape == (5, 2 * (3 + 3 * 2) + 2)
    names = list(dense.get_feature_names_out(["a", "b", "c", "d"]))
    assert names[:9] == ["nb__0", "nb__1", "nb__2"] + [
        f"nb__{c}*{f}" for c in range(3) for f in "bd"
    ]
    np.testing.assert_allclose(
        meta[:, 3:9].reshape(5, 3, 2), meta[:, :3, None] * X[:5, None, [1, 3]]
    )
    X_sparse = sparse.csr_matrix(X)
    sparse_stack = OOFStacker(
        [("nb", GaussianNB())], passthrough=[1, 3], feature_weighted=True
    ).fit(X_sparse.toarray(), y)
    got = sparse_stack._meta_features([GaussianNB().fit(X, y).predict_proba(X)], X_sparse)
    want = sparse_stack._meta_features([GaussianNB().fit(X, y).predict_proba(X)], X)
    assert sparse.issparse(got)
    np.testing.assert_allclose(got.toarray(), want)


def test_feature_weighted_needs_passthrough(iris):
    with pytest.raises(ValueError, match="passthrough"):
        OOFStacker(_members(), feature_weighted=True).fit(*iris)


def test_feature_weighted_products_leave_with_their_member():
    X, y, members = _switching_regression(300, 3)
    stack = OOFStackerRegressor(
        members, LinearRegression(), passthrough=[0], feature_weighted=True
    ).fit(X, y)
    # Each member's columns: its output and its product with x0.
    assert [list(c) for c in stack._member_meta_columns_] == [[0, 1], [2, 3]]
    meta, y_fit = stack._fusion_data_.learn, stack._fusion_data_.y
    alone = LinearRegression().fit(meta[:, [0, 1, 4]], y_fit)  # member 0 and x0
    np.testing.assert_allclose(
        stack._subset_fusion(np.array([True, False])), alone.predict(meta[:, [0, 1, 4]])
    )
    contributions = per_sample_contributions(stack, X[:20])
    coef = stack.final_estimator_.coef_
    own = stack.transform(X[:20])
    np.testing.assert_allclose(contributions.terms[:, 0], own[:, :2] @ coef[:2])
    np.testing.assert_allclose(contributions.output, stack.predict(X[:20]))


def test_multioutput_regression():
    X, y = load_diabetes(return_X_y=True)
    Y = np.column_stack([y, -y + 3])
    stack = OOFStackerRegressor(_reg_members()).fit(X, Y)
    assert stack.oof_predictions_.shape == (len(y), 2, 2)
    assert stack.predict(X[:4]).shape == (4, 2)
    expected = cross_val_predict(Ridge(), X, Y, cv=KFold(5))
    np.testing.assert_allclose(stack.oof_predictions_[:, 0], expected)
    assert list(stack.get_feature_names_out()) == ["ridge__0", "ridge__1", "tree__0", "tree__1"]


def test_multilabel_target_errors_name_the_member_or_the_target(iris):
    X, y = iris
    # GaussianNB takes one label per row: the member's own error, naming it.
    with pytest.raises(ValueError, match="Member 'nb' failed in cv fold 0.*1d array"):
        OOFStacker(_members()).fit(X, np.column_stack([y % 2, y // 2]))
    with pytest.raises(ValueError, match="at least 2 classes in y in output 1"):
        OOFStacker(_members()).fit(X, np.column_stack([y, np.full_like(y, 7)]))
    with pytest.raises(ValueError, match="passthrough needs a 2-D X"):
        OOFStacker(_members(), passthrough=True).fit(["a b", "b c", "c a"] * 20, y[:60])
    with pytest.raises(ValueError, match="Unknown label type"):
        OOFStacker(_members()).fit(X, np.column_stack([y, y + 0.5]))


def test_fold_average_with_prefit_is_an_error(iris):
    X, y = iris
    fitted = [("nb", GaussianNB().fit(X, y))]
    with pytest.raises(ValueError, match="fold_average"):
        OOFStacker(fitted, cv="prefit", test_predictions="fold_average").fit(X, y)
    stack = OOFStacker(fitted, cv="prefit").fit(X, y)
    assert stack.estimators_[0] is fitted[0][1]


def test_feature_names_out(iris):
    X, y = iris
    stack = OOFStacker(_members()).fit(X, np.array(["a", "b", "c"])[y])
    assert list(stack.get_feature_names_out())[:4] == ["nb__a", "nb__b", "nb__c", "tree__a"]
    X2, y2 = load_breast_cancer(return_X_y=True)
    binary = OOFStacker(_members()[:2]).fit(X2, y2)
    assert list(binary.get_feature_names_out()) == ["nb__1", "tree__1"]


# ---------------------------------------------------------------------------
# sklearn integration
# ---------------------------------------------------------------------------
def test_grid_search_over_final_estimator_fits_members_once(tmp_path, iris):
    X, y = iris
    log = str(tmp_path / "fits.log")
    stack = OOFStacker(
        [("c", CountingClassifier(log))],
        LogisticRegression(),
        cv=3,
        memory=str(tmp_path / "cache"),
    )
    grid = {"final_estimator__C": [0.01, 0.1, 1, 10, 100]}
    GridSearchCV(stack, grid, cv=2).fit(X, y)
    assert count_fits(log) == 2 * 4 + 4


def test_pipeline_clone_pickle(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), OOFStacker(_members(), test_predictions="fold_average"))
    pipe.fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(restored.predict_proba(X), pipe.predict_proba(X))
    assert not hasattr(clone(pipe)[-1], "final_estimator_")


def test_decision_function_follows_final_estimator(iris):
    X, y = iris
    stack = OOFStacker(_members(), LinearSVC()).fit(X, y)
    assert stack.decision_function(X[:3]).shape == (3, 3)
    assert not hasattr(stack, "predict_proba")


def test_prefit_member_with_other_classes(iris):
    X, y = iris
    fitted = GaussianNB().fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="Member 'nb' was fitted on classes"):
        OOFStacker([("nb", fitted)], cv="prefit").fit(X, y)


def test_invalid_members_are_reported(iris):
    X, y = iris
    with pytest.raises(ValueError, match="Member 'lin'"):
        OOFStacker([("nb", GaussianNB()), ("lin", LinearRegression())]).fit(X, y)


def test_pandas_output_and_verbose_bar(iris, capsys):
    pd = pytest.importorskip("pandas")
    X, y = iris
    stack = OOFStacker(_members()[:2], passthrough=[0], verbose=1).fit(X, y)
    assert "member x fold fits" in capsys.readouterr().err
    stack.set_output(transform="pandas")
    frame = stack.transform(X[:3])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "nb__0",
        "nb__1",
        "nb__2",
        "tree__0",
        "tree__1",
        "tree__2",
        "x0",
    ]


def test_scoring_reads_each_member_output_as_what_it_is():
    # Decision values are not probabilities: a probability scorer is an error
    # naming the member, a decision-value scorer reads them as such.
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import LinearSVC

    X, y = load_breast_cancer(return_X_y=True)
    members = [("svc", LinearSVC(dual=False)), ("nb", GaussianNB())]
    stack = OOFStacker(members, scoring="roc_auc").fit(X, y)
    decision = cross_val_predict(
        LinearSVC(dual=False), X, y, cv=StratifiedKFold(5), method="decision_function"
    )
    assert stack.member_scores_["svc"] == pytest.approx(roc_auc_score(y, decision))
    with pytest.raises(ValueError, match="cannot score member 'svc'.*decision_function"):
        OOFStacker(members, scoring="neg_log_loss").fit(X, y)


def test_a_parameter_of_the_default_meta_learner_cannot_be_set_and_says_why():
    stack = OOFStacker([("lr", LogisticRegression()), ("nb", GaussianNB())])
    with pytest.raises(ValueError, match="final_estimator is None.*final_estimator=<estimator>"):
        stack.set_params(final_estimator__C=2.0)
    assert stack.final_estimator is None  # left as it was
    given = stack.set_params(final_estimator=LogisticRegression()).set_params(
        final_estimator__C=2.0
    )
    assert given.final_estimator.C == 2.0


def test_grid_search_over_a_given_meta_learner_with_memory(tmp_path):
    from sklearn.model_selection import GridSearchCV

    X, y = load_iris(return_X_y=True)
    members = [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())]
    search = GridSearchCV(
        OOFStacker(members, LogisticRegression(max_iter=1000), memory=str(tmp_path)),
        {"final_estimator__C": [0.01, 100.0]},
        cv=3,
    ).fit(X, y)
    # The same search without memory: the cache changes no score.
    plain = GridSearchCV(
        OOFStacker(members, LogisticRegression(max_iter=1000)),
        {"final_estimator__C": [0.01, 100.0]},
        cv=3,
    ).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == {"final_estimator__C": 100.0}


def test_the_meta_learner_and_its_parameter_set_in_one_call():
    # As GridSearchCV does with {"final_estimator": [...], "final_estimator__C": [...]}.
    stack = OOFStacker([("lr", LogisticRegression()), ("nb", GaussianNB())])
    stack.set_params(final_estimator=LogisticRegression(), final_estimator__C=3.0)
    assert stack.final_estimator.C == 3.0
