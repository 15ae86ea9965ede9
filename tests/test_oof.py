"""The member / OOF engine."""

import copy
import warnings

import numpy as np
import pytest
from _helpers import CountingClassifier, count_fits, run_cross_fit
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedKFold,
)
from sklearn.tree import DecisionTreeClassifier

from skfusion import OOFStacker, WeightedBlender
from skfusion._oof import align_output, resolve_cv


@pytest.fixture
def clf_data():
    return make_classification(
        n_samples=120, n_features=6, n_classes=3, n_informative=4, random_state=0
    )


def _members():
    return [
        ("lr", LogisticRegression(max_iter=500)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


def _manual_oof(estimator, X, y, splits, method):
    """A naive reference: fit per fold, predict the test rows, average repeats."""
    total, counts = None, np.zeros(len(y))
    for train, test in splits:
        est = copy.deepcopy(estimator).fit(X[train], y[train])
        pred = getattr(est, method)(X[test])
        if total is None:
            total = np.zeros((len(y),) + pred.shape[1:])
        total[test] += pred
        counts[test] += 1
    return total / counts.reshape((-1,) + (1,) * (total.ndim - 1))


def test_oof_equals_manual_cross_fitting(clf_data):
    X, y = clf_data
    classes = np.unique(y)
    result = run_cross_fit(_members(), X, y, cv=5, methods=["predict_proba"] * 2, classes=classes)
    splits = list(StratifiedKFold(5).split(X, y))
    for m, (_, est) in enumerate(_members()):
        np.testing.assert_allclose(result.oof[m], _manual_oof(est, X, y, splits, "predict_proba"))
    assert len(result.estimators) == 2
    assert result.oof_rows.tolist() == list(range(len(y)))


def test_repeated_cv_is_mean_over_repeats(clf_data):
    X, y = clf_data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=3, random_state=1)
    result = run_cross_fit(
        _members(), X, y, cv=cv, methods=["predict_proba"] * 2, classes=np.unique(y)
    )
    expected = _manual_oof(_members()[0][1], X, y, list(cv.split(X, y)), "predict_proba")
    np.testing.assert_allclose(result.oof[0], expected)


def test_missing_class_in_training_fold_gets_zero_probability():
    X = np.arange(30, dtype=float).reshape(-1, 1)
    y = np.array([0] * 12 + [1] * 12 + [2] * 6)
    # The first fold trains without class 2: its column must be 0 there,
    # the other columns in place.
    splits = [(np.arange(24), np.arange(24, 30)), (np.arange(6, 30), np.arange(6))]
    splits.append((np.r_[np.arange(6), np.arange(24, 30)], np.arange(6, 24)))
    result = run_cross_fit(
        [("lr", LogisticRegression())],
        X,
        y,
        cv=splits,
        methods=["predict_proba"],
        classes=np.array([0, 1, 2]),
    )
    fold_model = LogisticRegression().fit(X[:24], y[:24])
    np.testing.assert_allclose(result.oof[0, 24:, :2], fold_model.predict_proba(X[24:]))
    np.testing.assert_array_equal(result.oof[0, 24:, 2], 0.0)


def test_align_output_decision_function_and_predict():
    est = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 2, 2])
    classes = np.array([0, 1, 2])
    raw = est.decision_function(np.array([[0.5], [2.5]]))
    aligned = align_output(raw, est, "decision_function", classes)
    np.testing.assert_allclose(aligned[:, 0], -raw)
    np.testing.assert_allclose(aligned[:, 2], raw)
    assert np.all(aligned[:, 1] <= aligned.min(axis=1))  # the unseen class never wins
    onehot = align_output(np.array([2, 0]), est, "predict", classes)
    np.testing.assert_array_equal(onehot, [[0, 0, 1], [1, 0, 0]])


def test_holdout_float_cv_predicts_only_holdout_rows(clf_data):
    X, y = clf_data
    result = run_cross_fit(
        _members(),
        X,
        y,
        cv=0.25,
        methods=["predict_proba"] * 2,
        classes=np.unique(y),
        random_state=0,
    )
    assert len(result.oof_rows) == 30
    assert np.isnan(np.delete(result.oof[0], result.oof_rows, axis=0)).all()
    assert not np.isnan(result.oof[0, result.oof_rows]).any()
    # stratified: the class proportions of the hold-out follow y's
    counts = np.bincount(y[result.oof_rows], minlength=3)
    assert counts.min() >= 9


def test_cv_that_leaves_rows_unpredicted_is_an_error(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="without an out-of-fold prediction"):
        run_cross_fit(
            _members(),
            X,
            y,
            cv=ShuffleSplit(3, test_size=0.2, random_state=0),
            methods=["predict_proba"] * 2,
            classes=np.unique(y),
        )


def test_user_cv_is_not_mutated_and_unseeded_shuffle_gets_seed(clf_data):
    X, y = clf_data
    cv = KFold(4, shuffle=True)
    before = copy.deepcopy(cv.__dict__)
    a = run_cross_fit(
        _members()[:1],
        X,
        y,
        cv=cv,
        methods=["predict"],
        classes=np.unique(y),
        random_state=3,
        refit=False,
    )
    b = run_cross_fit(
        _members()[:1],
        X,
        y,
        cv=cv,
        methods=["predict"],
        classes=np.unique(y),
        random_state=3,
        refit=False,
    )
    assert cv.__dict__ == before
    for (_, te_a), (_, te_b) in zip(a.splits, b.splits):
        np.testing.assert_array_equal(te_a, te_b)
    repeated = resolve_cv(
        RepeatedKFold(n_splits=2, n_repeats=2), None, classifier=False, random_state=5
    )
    assert repeated.random_state is not None


def test_groups_reach_the_splitter(clf_data):
    X, y = clf_data
    groups = np.arange(len(y)) // 10
    result = run_cross_fit(
        _members()[:1],
        X,
        y,
        cv=GroupKFold(4),
        methods=["predict"],
        classes=np.unique(y),
        split_params={"groups": groups},
        refit=False,
    )
    for train, test in result.splits:
        assert not set(groups[train]) & set(groups[test])


def test_prefit_uses_members_as_given(clf_data):
    X, y = clf_data
    fitted = LogisticRegression(max_iter=500).fit(X, y)
    result = run_cross_fit(
        [("lr", fitted)], X, y, cv="prefit", methods=["predict_proba"], classes=np.unique(y)
    )
    assert result.estimators[0] is fitted
    np.testing.assert_allclose(result.oof[0], fitted.predict_proba(X))


def test_prefit_with_unfitted_member_names_it(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="member 'lr' is not fitted"):
        run_cross_fit(
            [("lr", LogisticRegression())],
            X,
            y,
            cv="prefit",
            methods=["predict_proba"],
            classes=np.unique(y),
        )


def test_memory_caches_each_member_fold_fit(tmp_path, clf_data):
    X, y = clf_data
    log = tmp_path / "fits.log"
    members = [("c", CountingClassifier(log_path=str(log)))]
    for _ in range(3):
        run_cross_fit(
            members,
            X,
            y,
            cv=4,
            methods=["predict_proba"],
            classes=np.unique(y),
            memory=str(tmp_path / "cache"),
        )
    assert count_fits(log) == 5  # 4 folds + 1 refit, once
    run_cross_fit(
        members,
        X[:-1],
        y[:-1],
        cv=4,
        methods=["predict_proba"],
        classes=np.unique(y),
        memory=str(tmp_path / "cache"),
    )
    assert count_fits(log) == 10  # other data: fitted again


def test_memory_with_kept_fold_models_loads_fresh_copies(tmp_path, clf_data):
    X, y = clf_data
    log = tmp_path / "fits.log"
    kwargs = dict(
        cv=4,
        methods=["predict_proba"],
        classes=np.unique(y),
        refit=False,
        keep_fold_estimators=True,
    )
    members = [("c", CountingClassifier(log_path=str(log)))]
    uncached = run_cross_fit(members, X, y, **kwargs)
    runs = [
        run_cross_fit(members, X, y, memory=str(tmp_path / "cache"), **kwargs) for _ in range(2)
    ]
    assert count_fits(log) == 4 + 4  # the uncached run, then each fold once
    for run in runs:
        np.testing.assert_allclose(run.oof, uncached.oof)
    first, second = runs[0].fold_estimators[0], runs[1].fold_estimators[0]
    for a, b, c in zip(first, second, uncached.fold_estimators[0]):
        assert a is not b  # each fuser owns its models
        np.testing.assert_array_equal(a.model_.coef_, c.model_.coef_)
        np.testing.assert_array_equal(b.model_.coef_, c.model_.coef_)


class _UnpicklableWhenFitted(CountingClassifier):
    """Hashable parameters, but a fitted attribute pickle refuses."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)
        self.scale_ = lambda Z: Z
        return self


def test_memory_with_a_member_pickle_refuses_still_fits(tmp_path, clf_data):
    # Its fits cannot be cached (joblib warns), but the fuser still gets its
    # models and predictions.
    X, y = clf_data
    kwargs = dict(
        cv=3,
        methods=["predict_proba"],
        classes=np.unique(y),
        refit=True,
        keep_fold_estimators=True,
    )
    members = [("m", _UnpicklableWhenFitted())]
    uncached = run_cross_fit(members, X, y, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joblib's "unable to cache" warning
        cached = run_cross_fit(members, X, y, memory=str(tmp_path / "cache"), **kwargs)
    np.testing.assert_allclose(cached.oof, uncached.oof)
    np.testing.assert_allclose(
        cached.estimators[0].predict_proba(X), uncached.estimators[0].predict_proba(X)
    )
    assert all(hasattr(m, "scale_") for m in cached.fold_estimators[0])


def test_parallel_equals_sequential(clf_data):
    X, y = clf_data
    kwargs = dict(
        cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0),
        methods=["predict_proba"] * 2,
        classes=np.unique(y),
    )
    seq = run_cross_fit(_members(), X, y, n_jobs=1, **kwargs)
    par = run_cross_fit(_members(), X, y, n_jobs=2, **kwargs)
    np.testing.assert_allclose(seq.oof, par.oof)


def test_verbose_shows_a_progress_bar(clf_data, capsys):
    X, y = clf_data
    run_cross_fit(_members(), X, y, cv=3, methods=["predict"] * 2, classes=np.unique(y), verbose=1)
    assert "member x fold fits" in capsys.readouterr().err


def test_regression_and_multioutput_shapes():
    X, y = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    result = run_cross_fit(
        [("lin", LinearRegression())], X, y, cv=3, methods=["predict"], classifier=False
    )
    assert result.oof.shape == (1, 60, 2)
    splits = list(KFold(3).split(X))
    np.testing.assert_allclose(
        result.oof[0], _manual_oof(LinearRegression(), X, y, splits, "predict")
    )


def test_fold_estimators_are_kept(clf_data):
    X, y = clf_data
    result = run_cross_fit(
        _members(),
        X,
        y,
        cv=3,
        methods=["predict"] * 2,
        classes=np.unique(y),
        keep_fold_estimators=True,
        refit=False,
    )
    assert result.estimators is None
    assert [len(f) for f in result.fold_estimators] == [3, 3]
    assert all(hasattr(e, "classes_") for f in result.fold_estimators for e in f)


def _predictions_made(path):
    return count_fits(path)  # one line per predict_proba call


@pytest.mark.parametrize(
    "make_fuser, model_predictions",
    [
        # per outer split: 3 OOF folds, then the test rows by the refit model ...
        (lambda m, c: OOFStacker(m, LogisticRegression(), cv=3, memory=c), 3 + 1),
        # ... or by the 3 fold models
        (
            lambda m, c: OOFStacker(
                m, LogisticRegression(), cv=3, memory=c, test_predictions="fold_average"
            ),
            3 + 3,
        ),
        (lambda m, c: WeightedBlender(m, weighting="optimize", cv=3, memory=c), 3 + 1),
    ],
)
def test_memory_caches_test_predictions_across_grid_candidates(
    tmp_path, clf_data, make_fuser, model_predictions
):
    X, y = clf_data
    log = str(tmp_path / "predicts.log")
    members = [("c", CountingClassifier(predict_log_path=log))]
    fuser = make_fuser(members, str(tmp_path / "cache"))
    grid = (
        {"final_estimator__C": [0.1, 1.0, 10.0]}
        if isinstance(fuser, OOFStacker)
        else {"n_iter": [10, 20, 30]}
    )
    search = GridSearchCV(fuser, grid, cv=KFold(2), refit=False).fit(X, y)
    # Every candidate of an outer split shares the fitted members: each model
    # predicts the outer test rows once, not once per candidate.
    assert _predictions_made(log) == 2 * model_predictions
    uncached = GridSearchCV(
        make_fuser([("c", CountingClassifier())], None), grid, cv=KFold(2), refit=False
    ).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], uncached.cv_results_["mean_test_score"]
    )


def test_cached_test_predictions_follow_the_rows(tmp_path, clf_data):
    X, y = clf_data
    stack = OOFStacker(_members(), cv=3, memory=str(tmp_path / "cache")).fit(X, y)
    plain = OOFStacker(_members(), cv=3).fit(X, y)
    for rows in (slice(0, 40), slice(40, 120), slice(0, 40)):
        np.testing.assert_allclose(stack.predict_proba(X[rows]), plain.predict_proba(X[rows]))


def test_cached_test_predictions_follow_a_member_changed_after_fit(tmp_path, clf_data):
    X, y = clf_data
    members = [("lr", LogisticRegression(max_iter=500))]
    cached = WeightedBlender(members, memory=str(tmp_path / "cache")).fit(X, y)
    before = cached.predict_proba(X[:30])
    # A member changed in place after the fuser's fit: its parameters are in the key.
    cached.named_estimators_.lr.set_params(C=1e-4).fit(X, y)
    plain = WeightedBlender(members).fit(X, y)
    plain.named_estimators_.lr.set_params(C=1e-4).fit(X, y)
    after = cached.predict_proba(X[:30])
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, plain.predict_proba(X[:30]))
