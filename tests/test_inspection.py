"""skfusion.inspection against naive enumerations written in the tests."""

import itertools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import (
    BayesianModelAverager,
    BayesianModelAveragerRegressor,
    OOFStacker,
    OOFStackerRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
    WeightSpaceFuser,
)
from skfusion.inspection import member_contributions, member_report, per_sample_contributions

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB, Y_DIAB = X_DIAB[:300], Y_DIAB[:300]


def classifiers():
    return [
        ("lr", LogisticRegression(max_iter=1000)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
        ("deep", DecisionTreeClassifier(max_depth=5, min_samples_leaf=3, random_state=0)),
    ]


def regressors():
    return [
        ("ridge", Ridge()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ("deep", DecisionTreeRegressor(max_depth=6, min_samples_leaf=5, random_state=0)),
    ]


def naive_shapley(value, n_members):
    """The definition: marginal gains averaged over every order of the members."""
    total = np.zeros(n_members)
    orders = list(itertools.permutations(range(n_members)))
    for order in orders:
        inside = frozenset()
        for m in order:
            total[m] += value(inside | {m}) - value(inside)
            inside = inside | {m}
    return total / len(orders)


def prior(y, sample_weight, classes):
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    if classes is None:
        return np.full(len(y), np.average(y, weights=sw))
    freq = np.array([sw[y == c].sum() for c in classes]) / sw.sum()
    return np.tile(freq, (len(y), 1))


def pooled_value(outputs, weights, y, sample_weight, metric, classes=None):
    """A subset's score: its outputs averaged with its weights renormalised."""

    def value(inside):
        members = sorted(m for m in inside if weights[m] > 0)
        if not members:
            fused = prior(y, sample_weight, classes)
        else:
            fused = np.average(
                np.stack([outputs[m] for m in members]), axis=0, weights=weights[members]
            )
        return metric(fused)

    return value


def _sw(n, weighted):
    return np.random.default_rng(0).uniform(0.5, 2.0, n) if weighted else None


# -- member_contributions: linear pools --------------------------------------
@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: WeightedBlender(classifiers(), weighting="optimize"),
        lambda: WeightedBlender(classifiers(), weighting="caruana", n_iter=12),
        lambda: BayesianModelAverager(classifiers()),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_classifier_pool_shapley_matches_naive_enumeration(make, scoring, weighted):
    sw = _sw(len(Y_IRIS), weighted)
    fuser = make().fit(X_IRIS, Y_IRIS, sample_weight=sw)
    outputs = [fuser.oof_predictions_[:, m] for m in range(4)]
    classes = fuser.classes_
    if scoring == "neg_log_loss":

        def metric(p):
            return -log_loss(Y_IRIS, p, sample_weight=sw, labels=classes)
    else:

        def metric(p):
            return accuracy_score(Y_IRIS, classes[np.argmax(p, axis=1)], sample_weight=sw)

    value = pooled_value(outputs, fuser.weights_, Y_IRIS, sw, metric, classes)
    result = member_contributions(fuser, scoring=scoring)
    assert result.method == "exact"
    np.testing.assert_allclose(result.shapley, naive_shapley(value, 4), atol=1e-12)
    np.testing.assert_array_equal(result.shapley_std, 0.0)
    full = frozenset(range(4))
    np.testing.assert_allclose(result.fused_score, value(full), atol=1e-12)
    np.testing.assert_allclose(result.baseline, value(frozenset()), atol=1e-12)
    np.testing.assert_allclose(
        result.loo, [value(full) - value(full - {m}) for m in range(4)], atol=1e-12
    )
    # Efficiency: the values share out exactly the gain over no member.
    assert abs(result.shapley.sum() - (result.fused_score - result.baseline)) < 1e-12
    if scoring is None:
        assert result.fused_score == pytest.approx(fuser.fused_score_, abs=1e-12)


@pytest.mark.parametrize(
    "scoring", [None, "r2", "neg_mean_squared_error", "neg_root_mean_squared_error"]
)
@pytest.mark.parametrize(
    "make",
    [
        lambda: WeightedBlenderRegressor(regressors(), weighting="optimize"),
        lambda: BayesianModelAveragerRegressor(regressors()),
    ],
)
def test_regressor_pool_shapley_matches_naive_enumeration(make, scoring):
    sw = _sw(len(Y_DIAB), True)
    fuser = make().fit(X_DIAB, Y_DIAB, sample_weight=sw)
    outputs = [fuser.oof_predictions_[:, m] for m in range(3)]
    metric = {
        None: lambda p: r2_score(Y_DIAB, p, sample_weight=sw),
        "r2": lambda p: r2_score(Y_DIAB, p, sample_weight=sw),
        "neg_mean_squared_error": lambda p: -mean_squared_error(Y_DIAB, p, sample_weight=sw),
        "neg_root_mean_squared_error": lambda p: (
            -np.sqrt(mean_squared_error(Y_DIAB, p, sample_weight=sw))
        ),
    }[scoring]
    value = pooled_value(outputs, fuser.weights_, Y_DIAB, sw, metric)
    result = member_contributions(fuser, scoring=scoring)
    np.testing.assert_allclose(result.shapley, naive_shapley(value, 3), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(result.baseline, value(frozenset()), atol=1e-10)


def test_loss_kernel_path_equals_the_subset_by_subset_path(monkeypatch):
    # The Gray-code kernel and plain re-fusion of each subset give one answer.
    fuser = WeightedBlender(classifiers(), voting="rank", weighting="score").fit(X_IRIS, Y_IRIS)
    fast = member_contributions(fuser, scoring="neg_log_loss")
    monkeypatch.setattr("skfusion.inspection._SubsetScores._values_from_losses", lambda self: None)
    slow = member_contributions(fuser, scoring="neg_log_loss")
    np.testing.assert_allclose(fast.shapley, slow.shapley, atol=1e-12)
    np.testing.assert_allclose(fast.loo, slow.loo, atol=1e-12)


def test_hard_voting_subsets_are_weighted_plurality_votes():
    fuser = WeightedBlender(classifiers(), voting="hard", weighting="score").fit(X_IRIS, Y_IRIS)
    labels = [np.argmax(fuser.oof_predictions_[:, m], axis=1) for m in range(4)]
    weights = fuser.weights_

    def value(inside):
        if not inside:
            return np.mean(Y_IRIS == 0)  # the prior: the first of the tied classes
        votes = np.zeros((len(Y_IRIS), 3))
        for m in inside:
            votes[np.arange(len(Y_IRIS)), labels[m]] += weights[m]
        return np.mean(np.argmax(votes, axis=1) == Y_IRIS)

    result = member_contributions(fuser)
    np.testing.assert_allclose(result.shapley, naive_shapley(value, 4), atol=1e-12)


def test_member_of_zero_weight_contributes_nothing():
    fuser = (
        WeightedBlender(
            [*classifiers(), ("dummy_tree", DecisionTreeClassifier(max_depth=1))],
            weights=[1, 1, 1, 1, 0],
        )
        .set_params(scoring="neg_log_loss")
        .fit(X_IRIS, Y_IRIS)
    )
    result = member_contributions(fuser)
    assert result.shapley[4] == 0.0 and result.loo[4] == 0.0


# -- member_contributions: stackers ------------------------------------------
def test_stacker_shapley_refits_the_meta_learner_per_subset():
    fuser = OOFStacker(classifiers(), cv=KFold(5, shuffle=True, random_state=0)).fit(
        X_IRIS, Y_IRIS
    )
    columns = [fuser.oof_predictions_[:, m] for m in range(4)]  # (n, 3) each

    def value(inside):
        if not inside:
            return np.mean(Y_IRIS == 0)
        meta = np.hstack([columns[m] for m in sorted(inside)])
        model = clone(LogisticRegression()).fit(meta, Y_IRIS)
        return accuracy_score(Y_IRIS, model.predict(meta))

    result = member_contributions(fuser)
    np.testing.assert_allclose(result.shapley, naive_shapley(value, 4), atol=1e-12)
    assert result.fused_score == pytest.approx(fuser.fused_score_, abs=1e-12)


def test_stacker_with_passthrough_has_the_passthrough_model_as_baseline():
    fuser = OOFStackerRegressor(regressors(), final_estimator=Ridge(), passthrough=True)
    result = member_contributions(fuser.fit(X_DIAB, Y_DIAB))
    alone = Ridge().fit(X_DIAB, Y_DIAB)  # the meta-learner on the passthrough columns only
    assert result.baseline == pytest.approx(r2_score(Y_DIAB, alone.predict(X_DIAB)), abs=1e-12)
    assert abs(result.shapley.sum() - (result.fused_score - result.baseline)) < 1e-12


# -- weight-space fusers: merged subsets scored on given rows ----------------
def test_weight_space_shapley_merges_each_subset_again():
    X_train, X_test, y_train, y_test = X_IRIS[::2], X_IRIS[1::2], Y_IRIS[::2], Y_IRIS[1::2]
    members = [
        (f"c{i}", LogisticRegression(C=c, max_iter=2000)) for i, c in enumerate([0.05, 1, 20])
    ]
    fuser = WeightSpaceFuser(members, weighting="score", random_state=0).fit(X_train, y_train)
    fitted = fuser.estimators_

    def value(inside):
        kept = sorted(m for m in inside if fuser.weights_[m] > 0)
        if not kept:
            return np.mean(y_test == np.argmax(np.bincount(y_test)))  # the prior's accuracy
        w = fuser.weights_[kept] / fuser.weights_[kept].sum()
        model = clone(fitted[0])
        model.coef_ = sum(wi * fitted[m].coef_ for wi, m in zip(w, kept))
        model.intercept_ = sum(wi * fitted[m].intercept_ for wi, m in zip(w, kept))
        model.classes_ = fitted[0].classes_
        return accuracy_score(y_test, model.predict(X_test))

    result = member_contributions(fuser, X_test, y_test)
    np.testing.assert_allclose(result.shapley, naive_shapley(value, 3), atol=1e-12)
    assert result.fused_score == pytest.approx(fuser.score(X_test, y_test))
    report = member_report(fuser, X_test, y_test)
    np.testing.assert_allclose(
        report["score"][:3], [m.score(X_test, y_test) for m in fitted], atol=1e-12
    )
    np.testing.assert_allclose(report["weight"][:3], fuser.weights_)


def test_task_vector_merges_have_the_base_model_as_baseline():
    X, y = make_classification(400, n_features=8, random_state=0)
    X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]

    def mlp(seed):
        return MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=seed)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fuser = WeightSpaceFuser(
            [(f"m{i}", mlp(i + 1)) for i in range(3)],
            base_estimator=mlp(0),
            merge="task_arithmetic",
            random_state=0,
        ).fit(X_train, y_train)
    result = member_contributions(fuser, X_test, y_test)
    assert result.baseline == pytest.approx(fuser.base_estimator_.score(X_test, y_test))
    assert abs(result.shapley.sum() - (result.fused_score - result.baseline)) < 1e-12


# -- sampling ----------------------------------------------------------------
def test_permutation_sampling_adds_up_and_converges_to_the_exact_values():
    fuser = WeightedBlender(classifiers(), weighting="optimize").fit(X_IRIS, Y_IRIS)
    exact = member_contributions(fuser, scoring="neg_log_loss")
    sampled = member_contributions(
        fuser, scoring="neg_log_loss", method="permutation", n_permutations=400, random_state=0
    )
    assert sampled.method == "permutation"
    assert abs(sampled.shapley.sum() - (exact.fused_score - exact.baseline)) < 1e-12
    assert np.all(sampled.shapley_std[fuser.weights_ > 0] > 0)
    assert np.all(sampled.shapley[fuser.weights_ == 0] == 0)
    assert np.all(np.abs(sampled.shapley - exact.shapley) < 5 * sampled.shapley_std + 1e-12)
    again = member_contributions(
        fuser, scoring="neg_log_loss", method="permutation", n_permutations=400, random_state=0
    )
    np.testing.assert_array_equal(again.shapley, sampled.shapley)


def test_auto_samples_above_twelve_members_and_exact_stops_at_twenty():
    X, y = make_classification(200, random_state=0)
    rng = np.random.default_rng(0)
    many = [np.clip(rng.random(len(y)), 0.01, 0.99) for _ in range(21)]
    fuser = WeightedBlender.from_predictions(many[:13], y, scoring="neg_log_loss")
    result = member_contributions(fuser, n_permutations=5, random_state=0)
    assert result.method == "permutation" and len(result.shapley) == 13
    big = WeightedBlender.from_predictions(many, y, scoring="neg_log_loss")
    with pytest.raises(ValueError, match="up to M=20"):
        member_contributions(big, method="exact")


# -- per-sample contributions ------------------------------------------------
@pytest.mark.parametrize(
    "fuser, X, output",
    [
        (WeightedBlender(classifiers(), weighting="optimize"), X_IRIS, "predict_proba"),
        (
            WeightedBlender(classifiers(), voting="rank", weighting="score", calibration=None),
            X_IRIS,
            "predict_proba",
        ),
        (BayesianModelAverager(classifiers()), X_IRIS, "predict_proba"),
        (WeightedBlenderRegressor(regressors(), weighting="optimize"), X_DIAB, "predict"),
        (BayesianModelAveragerRegressor(regressors()), X_DIAB, "predict"),
        (OOFStacker(classifiers()), X_IRIS, "decision_function"),
        (OOFStackerRegressor(regressors()), X_DIAB, "predict"),
    ],
    ids=lambda p: type(p).__name__ if hasattr(p, "fit") else None,
)
def test_per_sample_terms_add_up_to_the_fused_output(fuser, X, output):
    y = Y_IRIS if X is X_IRIS else Y_DIAB
    fuser = clone(fuser).fit(X, y)
    parts = per_sample_contributions(fuser, X[:20])
    assert parts.output_kind == output
    np.testing.assert_allclose(parts.output, getattr(fuser, output)(X[:20]), atol=1e-12)
    np.testing.assert_allclose(parts.terms.sum(axis=1) + parts.base, parts.output, atol=1e-12)
    assert parts.terms.shape[:2] == (20, len(parts.names))


@pytest.mark.parametrize("calibration", ["temperature", "isotonic"])
def test_calibrated_fuser_terms_add_up_to_the_output_before_calibration(calibration):
    # Rank voting calibrates by default ("auto"); the blend is linear, the map is not.
    fuser = BayesianModelAverager(classifiers(), calibration=calibration).fit(X_IRIS, Y_IRIS)
    parts = per_sample_contributions(fuser, X_IRIS[:20])
    assert parts.output_kind == "uncalibrated_proba"
    np.testing.assert_allclose(
        fuser.calibrator_.transform(parts.output), fuser.predict_proba(X_IRIS[:20]), atol=1e-12
    )
    weights = fuser.weights_
    members = [est.predict_proba(X_IRIS[:20]) for est in fuser.estimators_]
    np.testing.assert_allclose(
        parts.output, sum(w * p for w, p in zip(weights, members)), atol=1e-12
    )


def test_blender_terms_are_weight_times_member_output():
    fuser = WeightedBlender(classifiers(), weighting="optimize").fit(X_IRIS, Y_IRIS)
    parts = per_sample_contributions(fuser, X_IRIS[:5])
    for m, (_, est) in enumerate(fuser.named_estimators_.items()):
        expected = fuser.weights_[m] * est.predict_proba(X_IRIS[:5])
        np.testing.assert_allclose(parts.terms[:, m], expected, atol=1e-12)


def test_hard_voting_terms_are_weighted_votes_whose_argmax_is_predict():
    fuser = WeightedBlender(classifiers(), voting="hard", weighting="score").fit(X_IRIS, Y_IRIS)
    parts = per_sample_contributions(fuser, X_IRIS)
    assert parts.output_kind == "vote_shares"
    np.testing.assert_allclose(parts.output.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        fuser.classes_[np.argmax(parts.output, axis=1)], fuser.predict(X_IRIS)
    )


def test_linear_stacker_terms_are_coefficients_times_member_columns():
    fuser = OOFStackerRegressor(regressors(), final_estimator=Ridge()).fit(X_DIAB, Y_DIAB)
    parts = per_sample_contributions(fuser, X_DIAB[:10])
    meta = fuser.transform(X_DIAB[:10])
    coef = fuser.final_estimator_.coef_
    np.testing.assert_allclose(parts.terms, meta * coef, atol=1e-12)
    np.testing.assert_allclose(parts.base, fuser.final_estimator_.intercept_)


def test_nonlinear_stacker_terms_are_shapley_values_against_oof_means():
    fuser = OOFStackerRegressor(
        regressors(), final_estimator=DecisionTreeRegressor(max_depth=3, random_state=0)
    ).fit(X_DIAB, Y_DIAB)
    rows = X_DIAB[:4]
    meta = fuser.transform(rows)
    oof_means = np.nanmean(fuser.oof_predictions_, axis=0)

    def value_of(row):
        def value(inside):
            features = np.where(np.isin(np.arange(3), sorted(inside)), meta[row], oof_means)
            return fuser.final_estimator_.predict(features[None, :])[0]

        return value

    parts = per_sample_contributions(fuser, rows)
    assert parts.method == "exact"
    for row in range(4):
        np.testing.assert_allclose(parts.terms[row], naive_shapley(value_of(row), 3), atol=1e-9)
    sampled = per_sample_contributions(
        fuser, rows, method="permutation", n_permutations=20, random_state=0
    )
    np.testing.assert_allclose(sampled.output, fuser.predict(rows), atol=1e-9)


# -- member_report -----------------------------------------------------------
def test_member_report_collects_weights_scores_and_contributions():
    fuser = BayesianModelAverager(classifiers(), scoring="neg_log_loss").fit(X_IRIS, Y_IRIS)
    report = member_report(fuser)
    assert isinstance(report, pd.DataFrame)
    assert list(report.index) == ["lr", "nb", "tree", "deep", "fused"]
    np.testing.assert_allclose(report["weight"][:4], fuser.weights_)
    np.testing.assert_allclose(report["weight_std"][:4], fuser.weights_std_)
    np.testing.assert_allclose(report["score"][:4], list(fuser.member_scores_.values()))
    assert report.loc["fused", "score"] == pytest.approx(fuser.fused_score_)
    contributions = member_contributions(fuser)
    np.testing.assert_allclose(report["shapley"][:4], contributions.shapley)
    np.testing.assert_allclose(report["loo"][:4], contributions.loo)
    assert report.loc["fused", "shapley"] == pytest.approx(contributions.shapley.sum())
    # Mean correlation of the oracle outputs, computed by hand.
    right = [np.argmax(fuser.oof_predictions_[:, m], axis=1) == Y_IRIS for m in range(4)]
    corr = np.corrcoef(np.array(right, dtype=float))
    expected = [np.mean(np.delete(corr[m], m)) for m in range(4)]
    np.testing.assert_allclose(report["mean_correlation"][:4], expected, atol=1e-12)


def test_member_report_with_several_metrics_and_a_stacker():
    fuser = OOFStacker(classifiers()).fit(X_IRIS, Y_IRIS)
    report = member_report(fuser, scoring=["accuracy", "neg_log_loss"])
    for metric in ("accuracy", "neg_log_loss"):
        assert {f"score_{metric}", f"shapley_{metric}", f"loo_{metric}"} <= set(report.columns)
    assert report["weight"].isna().all()
    single = member_contributions(fuser, scoring="neg_log_loss")
    np.testing.assert_allclose(report["shapley_neg_log_loss"][:4], single.shapley)


def test_member_report_regressor_correlates_residuals():
    fuser = WeightedBlenderRegressor(regressors(), weighting="optimize").fit(X_DIAB, Y_DIAB)
    report = member_report(fuser)
    residuals = np.array([fuser.oof_predictions_[:, m] - Y_DIAB for m in range(3)])
    corr = np.corrcoef(residuals)
    expected = [np.mean(np.delete(corr[m], m)) for m in range(3)]
    np.testing.assert_allclose(report["mean_correlation"][:3], expected, atol=1e-12)


def test_member_report_of_saved_predictions():
    fitted = WeightedBlender(classifiers(), weighting="caruana").fit(X_IRIS, Y_IRIS)
    saved = WeightedBlender.from_predictions(
        fitted.oof_predictions_, Y_IRIS, names=["lr", "nb", "tree", "deep"], weighting="caruana"
    )
    report = member_report(saved)
    np.testing.assert_allclose(report["shapley"], member_report(fitted)["shapley"], atol=1e-12)


# -- use with sklearn tools --------------------------------------------------
def test_contributions_survive_pickle_and_work_after_grid_search():
    grid = GridSearchCV(
        WeightedBlender(classifiers(), weighting="optimize"),
        {"deep__max_depth": [2, 5]},
        cv=3,
    ).fit(X_IRIS, Y_IRIS)
    best = grid.best_estimator_
    before = member_contributions(best, scoring="neg_log_loss")
    after = member_contributions(pickle.loads(pickle.dumps(best)), scoring="neg_log_loss")
    np.testing.assert_array_equal(before.shapley, after.shapley)


# -- bad input ---------------------------------------------------------------
def test_errors_name_what_is_wrong():
    with pytest.raises(NotFittedError):
        member_contributions(WeightedBlender(classifiers()))
    fitted_without_oof = WeightedBlender(classifiers(), weights=[1, 2, 1, 1]).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="out-of-fold predictions"):
        member_report(fitted_without_oof)
    soup = WeightSpaceFuser(
        [("a", LogisticRegression(max_iter=1000)), ("b", LogisticRegression(max_iter=1000))]
    ).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="pass X and y"):
        member_contributions(soup)
    with pytest.raises(TypeError, match="one merged model"):
        per_sample_contributions(soup, X_IRIS)
    with pytest.raises(ValueError, match="are for a WeightSpaceFuser"):
        member_contributions(
            WeightedBlender(classifiers(), weighting="score").fit(X_IRIS, Y_IRIS), X_IRIS, Y_IRIS
        )
    several = WeightedBlender(classifiers(), scoring=["accuracy", "neg_log_loss"]).fit(
        X_IRIS, Y_IRIS
    )
    with pytest.raises(ValueError, match="several metrics"):
        member_contributions(several)
    hard = WeightedBlender(classifiers(), voting="hard", weighting="score").fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="cannot score"):
        member_contributions(hard, scoring="neg_log_loss")
    with pytest.raises(ValueError, match="method"):
        member_contributions(hard, method="shap")


# -- cases a first review found ----------------------------------------------
def test_generalised_linear_meta_learner_is_explained_by_shapley_not_coefficients():
    from sklearn.linear_model import PoissonRegressor

    fuser = OOFStackerRegressor(regressors(), final_estimator=PoissonRegressor()).fit(
        X_DIAB, Y_DIAB
    )
    parts = per_sample_contributions(fuser, X_DIAB[:6])
    assert parts.method == "exact"  # its predict is exp(coef . x + b): not the linear sum
    np.testing.assert_allclose(parts.output, fuser.predict(X_DIAB[:6]), rtol=1e-9)


def test_joint_multilabel_meta_learner_terms_are_rows_by_members_by_columns():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(200, n_classes=3, random_state=0)
    from sklearn.neighbors import KNeighborsClassifier

    members = [*classifiers()[2:], ("knn", KNeighborsClassifier())]  # multilabel members
    fuser = OOFStacker(
        members, final_estimator=DecisionTreeClassifier(max_depth=3, random_state=0)
    ).fit(X, Y)
    parts = per_sample_contributions(fuser, X[:5])
    assert parts.terms.shape == (5, 3, 6) and parts.base.shape == (5, 6)
    np.testing.assert_allclose(parts.output, np.hstack(fuser.predict_proba(X[:5])), atol=1e-12)


def test_fisher_merged_subsets_reuse_the_fits_fisher_information():
    X_train, X_test, y_train, y_test = X_IRIS[::2], X_IRIS[1::2], Y_IRIS[::2], Y_IRIS[1::2]
    members = [(f"c{i}", LogisticRegression(C=c, max_iter=2000)) for i, c in enumerate([0.1, 10])]
    fuser = WeightSpaceFuser(members, merge="fisher").fit(X_train, y_train)
    result = member_contributions(fuser, X_test, y_test, scoring="neg_log_loss")
    expected = -log_loss(y_test, fuser.predict_proba(X_test))
    assert result.fused_score == pytest.approx(expected, abs=1e-12)


def test_weight_space_rows_can_be_weighted_and_must_hold_known_labels():
    X_train, X_test, y_train, y_test = X_IRIS[::2], X_IRIS[1::2], Y_IRIS[::2], Y_IRIS[1::2]
    members = [(f"c{i}", LogisticRegression(C=c, max_iter=2000)) for i, c in enumerate([0.1, 10])]
    fuser = WeightSpaceFuser(members).fit(X_train, y_train)
    sw = _sw(len(y_test), True)
    result = member_contributions(fuser, X_test, y_test, sample_weight=sw)
    assert result.fused_score == pytest.approx(fuser.score(X_test, y_test, sample_weight=sw))
    with pytest.raises(ValueError, match="not fitted on"):
        member_contributions(fuser, X_test, y_test + 5)


def test_regressor_mean_correlation_weighs_rows_as_the_fit_did():
    sw = _sw(len(Y_DIAB), True)
    fuser = WeightedBlenderRegressor(regressors(), weighting="optimize").fit(
        X_DIAB, Y_DIAB, sample_weight=sw
    )
    residuals = np.array([fuser.oof_predictions_[:, m] - Y_DIAB for m in range(3)])
    cov = np.cov(residuals, aweights=sw)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    expected = [np.mean(np.delete(corr[m], m)) for m in range(3)]
    np.testing.assert_allclose(member_report(fuser)["mean_correlation"][:3], expected)


def test_non_fusers_are_refused_by_name():
    model = LogisticRegression(max_iter=1000).fit(X_IRIS, Y_IRIS)
    for function in (member_contributions, member_report):
        with pytest.raises(TypeError, match="skfusion fuser"):
            function(model)


# ---------------------------------------------------------------------------
# Per-row and online fusers
# ---------------------------------------------------------------------------
def _per_row_fusers():
    from skfusion import (
        DynamicSelector,
        DynamicSelectorRegressor,
        GatedBlender,
        GatedBlenderRegressor,
    )

    return [
        (DynamicSelector(classifiers()[:3], k=10), X_IRIS, Y_IRIS),
        (DynamicSelector(classifiers()[:3], k=10, voting="hard"), X_IRIS, Y_IRIS),
        (GatedBlender(classifiers()[:3]), X_IRIS, Y_IRIS),
        (DynamicSelectorRegressor(regressors(), k=10), X_DIAB, Y_DIAB),
        (GatedBlenderRegressor(regressors()), X_DIAB, Y_DIAB),
    ]


@pytest.mark.parametrize("fuser, X, y", _per_row_fusers())
def test_per_row_fusers_report_their_members_scores(fuser, X, y):
    fuser.fit(X, y)
    report = member_report(fuser)
    assert list(report.index) == [*fuser._member_names(), "fused"]
    # Each member's score: its own OOF output scored independently.
    classifier = hasattr(fuser, "classes_")
    for m, name in enumerate(fuser._member_names()):
        oof = fuser.oof_predictions_[:, m]
        if classifier:
            expected = accuracy_score(y, fuser.classes_[np.argmax(oof, axis=1)])
        else:
            expected = r2_score(y, oof)
        assert report.loc[name, "score"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("fuser, X, y", _per_row_fusers())
def test_per_row_fusers_split_each_row_into_weighted_member_outputs(fuser, X, y):
    fuser.fit(X, y)
    rows = X[:15]
    parts = per_sample_contributions(fuser, rows)
    weights = fuser.predict_weights(rows)
    classifier = hasattr(fuser, "classes_")
    for m, member in enumerate(fuser.estimators_):
        if not classifier:
            own = member.predict(rows)
        elif getattr(fuser, "voting", "soft") == "hard":
            own = np.eye(3)[np.searchsorted(fuser.classes_, member.predict(rows))]
        else:
            own = member.predict_proba(rows)
        w = weights[:, m].reshape((-1,) + (1,) * (own.ndim - 1))
        np.testing.assert_allclose(parts.terms[:, m], w * own, atol=1e-12)
    if classifier and getattr(fuser, "voting", "soft") == "soft":
        np.testing.assert_allclose(parts.output, fuser.predict_proba(rows), atol=1e-12)
    elif not classifier:
        np.testing.assert_allclose(parts.output, fuser.predict(rows), atol=1e-9)
    np.testing.assert_array_equal(parts.base, 0.0)


@pytest.mark.parametrize("fuser, X, y", _per_row_fusers()[3:])
def test_per_row_regressors_normalized_intervals(fuser, X, y):
    fuser.fit(X, y)
    bounds = fuser.predict_interval(X[:10], coverage=0.8, normalized=True)
    assert bounds.shape == (10, 2) and np.all(bounds[:, 0] <= bounds[:, 1])
    # Scaled by the members' spread: rows where they disagree more get wider intervals.
    spread = np.std([est.predict(X[:10]) for est in fuser.estimators_], axis=0)
    width = bounds[:, 1] - bounds[:, 0]
    assert np.corrcoef(width, spread)[0, 1] > 0.99


def _online_blender():
    from skfusion import OnlineBlender

    fitted = [(name, clone(est).fit(X_IRIS, Y_IRIS)) for name, est in classifiers()[:2]]
    order = np.random.default_rng(0).permutation(len(Y_IRIS))
    return OnlineBlender(fitted).fit(X_IRIS[order], Y_IRIS[order])


def test_online_blender_member_contributions_is_a_clear_type_error():
    with pytest.raises(TypeError, match="online blender does not keep.*member_report"):
        member_contributions(_online_blender())


def test_online_blender_per_sample_terms_are_current_weights_times_outputs():
    blender = _online_blender()
    parts = per_sample_contributions(blender, X_IRIS[:10])
    for m, member in enumerate(blender.estimators_):
        expected = blender.weights_[m] * member.predict_proba(X_IRIS[:10])
        np.testing.assert_allclose(parts.terms[:, m], expected, atol=1e-12)
    np.testing.assert_allclose(parts.output, blender.predict_proba(X_IRIS[:10]), atol=1e-12)


# ---------------------------------------------------------------------------
# 64 members and more
# ---------------------------------------------------------------------------
def test_shapley_of_seventy_members_by_permutation():
    rng = np.random.default_rng(0)
    n, n_members = 150, 70
    y = rng.integers(0, 2, n)
    strength = np.where(np.arange(n_members) % 2, 0.3, 0.05)
    predictions = [
        np.clip(0.5 + s * (2 * y - 1) + rng.normal(0, 0.2, n), 0.01, 0.99) for s in strength
    ]
    blender = WeightedBlender.from_predictions(predictions, y, weighting="score", cv=3)
    result = member_contributions(
        blender, scoring="neg_log_loss", method="permutation", n_permutations=2, random_state=0
    )
    assert result.shapley.shape == (n_members,)
    np.testing.assert_allclose(result.shapley.sum(), result.fused_score - result.baseline)
    # Leave-one-out of the last member, against the blend computed here.
    weights = blender.weights_.copy()
    weights[-1] = 0.0
    blend = sum(w * p for w, p in zip(weights / weights.sum(), predictions))
    without_last = -log_loss(y, blend)
    assert result.loo[-1] == pytest.approx(result.fused_score - without_last, abs=1e-12)
