"""BayesianModelAveragerRegressor against naive versions of its formulas; bad input to both
averagers."""

import pickle

import numpy as np
import pytest
from _helpers import input_variants
from scipy.stats import norm
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, make_friedman1
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import ARDRegression, BayesianRidge, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import BayesianModelAverager, BayesianModelAveragerRegressor
from skfusion._bma import mixture_quantiles
from skfusion.weights import bb_pseudo_bma_weights, pseudo_bma_weights, stacking_weights


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _members():
    return [
        ("bayes", BayesianRidge()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(15))),
    ]


def _naive_pointwise_lpd(members, X, y, splits):
    """Per fold: own std where the member has return_std, else the RMS OOF residual
    of the rows outside the fold."""
    n = len(y)
    oof_mean = np.zeros((n, len(members)))
    oof_std = np.full((n, len(members)), np.nan)
    for m, (_, est) in enumerate(members):
        for train, test in splits:
            fitted = clone(est).fit(X[train], y[train])
            if isinstance(fitted, BayesianRidge):
                oof_mean[test, m], oof_std[test, m] = fitted.predict(X[test], return_std=True)
            else:
                oof_mean[test, m] = fitted.predict(X[test])
    lpd = np.zeros_like(oof_mean)
    for m in range(len(members)):
        for _, test in splits:
            if np.isnan(oof_std[test, m]).any():
                outside = np.setdiff1d(np.arange(n), test)
                scale = np.sqrt(np.mean((y[outside] - oof_mean[outside, m]) ** 2))
                std = np.full(len(test), scale)
            else:
                std = oof_std[test, m]
            lpd[test, m] = norm.logpdf(y[test], oof_mean[test, m], std)
    return oof_mean, lpd


def test_pointwise_lpd_and_weights_follow_the_formulas(diabetes):
    X, y = diabetes
    splits = list(KFold(5).split(X))
    oof_mean, expected = _naive_pointwise_lpd(_members(), X, y, splits)
    for method, fn in [
        ("pseudo_bma", pseudo_bma_weights),
        ("bb_pseudo_bma", lambda lpd: bb_pseudo_bma_weights(lpd, random_state=0)),
        ("stacking", stacking_weights),
    ]:
        bma = BayesianModelAveragerRegressor(_members(), weighting=method, random_state=0)
        bma.fit(X, y)
        np.testing.assert_allclose(bma.oof_predictions_, oof_mean, rtol=1e-10)
        np.testing.assert_allclose(bma.pointwise_lpd_, expected, rtol=1e-10)
        np.testing.assert_allclose(bma.weights_, fn(expected), atol=1e-8)
        np.testing.assert_allclose(bma.elpd_, expected.sum(axis=0))
    residual = y[:, None] - oof_mean
    np.testing.assert_allclose(bma.residual_scale_[1:], np.sqrt((residual[:, 1:] ** 2).mean(0)))
    assert np.isnan(bma.residual_scale_[0])


def test_holdout_scale_leaves_the_scored_row_out(diabetes):
    X, y = diabetes
    bma = BayesianModelAveragerRegressor([("ridge", Ridge())], cv=0.3, random_state=0).fit(X, y)
    rows = np.flatnonzero(~np.isnan(bma.oof_predictions_[:, 0]))
    assert len(rows) == round(0.3 * len(y))
    sq = (y[rows] - bma.oof_predictions_[rows, 0]) ** 2
    leave_one_out = np.sqrt((sq.sum() - sq) / (len(sq) - 1))
    np.testing.assert_allclose(bma.oof_std_[rows, 0], leave_one_out)
    expected = norm.logpdf(y[rows], bma.oof_predictions_[rows, 0], leave_one_out)
    np.testing.assert_allclose(bma.pointwise_lpd_[:, 0], expected)


def test_prefit_members_scale_leaves_the_scored_row_out(diabetes):
    X, y = diabetes
    ridge = Ridge().fit(X[:200], y[:200])
    bma = BayesianModelAveragerRegressor([("ridge", ridge)], cv="prefit").fit(X, y)
    sq = (y - ridge.predict(X)) ** 2
    np.testing.assert_allclose(bma.oof_std_[:, 0], np.sqrt((sq.sum() - sq) / (len(sq) - 1)))
    assert bma.estimators_[0] is ridge


def test_own_std_through_a_pipeline(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), ARDRegression())
    bma = BayesianModelAveragerRegressor([("ard", pipe)]).fit(X, y)
    assert np.isnan(bma.residual_scale_[0])
    fitted = bma.estimators_[0]
    mean, std = fitted[-1].predict(fitted[0].transform(X[:20]), return_std=True)
    got_mean, got_std = bma.predict(X[:20], return_std=True)
    np.testing.assert_allclose(got_mean, mean)
    np.testing.assert_allclose(got_std, std)


def test_mixture_mean_std_and_interval(diabetes):
    X, y = diabetes
    bma = BayesianModelAveragerRegressor(_members(), random_state=0).fit(X, y)
    assert np.sum(bma.weights_ > 0) >= 2  # a real mixture
    Xq = X[:25]
    means = np.column_stack([est.predict(Xq) for est in bma.estimators_])
    stds = np.column_stack(
        [
            bma.estimators_[0].predict(Xq, return_std=True)[1],
            np.full(25, bma.residual_scale_[1]),
            np.full(25, bma.residual_scale_[2]),
        ]
    )
    w = bma.weights_
    mean, std = bma.predict(Xq, return_std=True)
    np.testing.assert_allclose(mean, means @ w)
    np.testing.assert_allclose(bma.predict(Xq), means @ w)
    np.testing.assert_allclose(std**2, (stds**2 + means**2) @ w - (means @ w) ** 2, rtol=1e-9)
    bounds = bma.predict_interval(Xq, coverage=0.8, method="mixture")
    assert bounds.shape == (25, 2)
    for i in range(25):  # the naive mixture CDF at the bounds
        cdf = [np.sum(w * norm.cdf(b, means[i], stds[i])) for b in bounds[i]]
        np.testing.assert_allclose(cdf, [0.1, 0.9], atol=1e-9)


def test_mixture_quantiles_of_one_component_are_normal_quantiles():
    rng = np.random.default_rng(0)
    means, stds = rng.normal(size=(50, 1)), rng.uniform(0.1, 3, size=(50, 1))
    q = mixture_quantiles(means, stds, np.ones(1), [0.025, 0.5, 0.975])
    expected = norm.ppf([0.025, 0.5, 0.975], means, stds)
    np.testing.assert_allclose(q, expected, rtol=1e-9, atol=1e-12)


def _coverage(bma, X_test, y_test, coverage, method="mixture"):
    low, high = bma.predict_interval(X_test, coverage=coverage, method=method).T
    return np.mean((y_test >= low) & (y_test <= high))


@pytest.fixture(scope="module")
def friedman_halves():
    X, y = make_friedman1(n_samples=3000, noise=1.0, random_state=0)
    return train_test_split(X, y, test_size=0.5, random_state=0)


def test_interval_coverage_on_held_out_rows(friedman_halves):
    X_train, X_test, y_train, y_test = friedman_halves
    members = [
        ("bayes", BayesianRidge()),
        ("knn", KNeighborsRegressor(10)),
        ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
        ("hgb", HistGradientBoostingRegressor(random_state=0)),
    ]
    for method in ["stacking", "bb_pseudo_bma"]:
        bma = BayesianModelAveragerRegressor(members, weighting=method, random_state=0)
        bma.fit(X_train, y_train)
        for coverage in (0.5, 0.8, 0.9):
            inside = _coverage(bma, X_test, y_test, coverage)
            assert coverage - 0.05 <= inside <= coverage + 0.05, (method, coverage, inside)


def test_mixing_comparable_members_widens_the_interval(friedman_halves):
    # A linear pool of calibrated members whose errors partly cancel is wider
    # than needed (documented in the user guide): more coverage than nominal.
    X_train, X_test, y_train, y_test = friedman_halves
    members = [
        ("bayes", BayesianRidge()),
        ("knn", KNeighborsRegressor(10)),
        ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
    ]
    bma = BayesianModelAveragerRegressor(members, random_state=0).fit(X_train, y_train)
    assert np.sum(bma.weights_ > 0.1) == 3
    assert _coverage(bma, X_test, y_test, 0.8) > 0.85
    # The conformal default is calibrated where the mixture is not.
    assert abs(_coverage(bma, X_test, y_test, 0.8, method=None) - 0.8) < 0.03


def test_conformal_mixture_is_the_mixture_widened_by_the_oof_conformal_quantile(diabetes):
    # Conformalized quantile regression on the mixture: the naive version,
    # from public pieces (the fold weights are stacking weights of the other
    # folds' log densities).
    X, y = diabetes
    folds = KFold(4, shuffle=True, random_state=0)
    members = [("bayes", BayesianRidge()), ("knn", KNeighborsRegressor(10))]
    bma = BayesianModelAveragerRegressor(members, cv=folds).fit(X, y)
    coverage = 0.8
    probabilities = [(1 - coverage) / 2, (1 + coverage) / 2]
    outside = np.empty(len(y))
    for train, test in folds.split(X):
        weights = stacking_weights(bma.pointwise_lpd_[train])
        low, high = mixture_quantiles(
            bma.oof_predictions_[test], bma.oof_std_[test], weights, probabilities
        ).T
        outside[test] = np.maximum(low - y[test], y[test] - high)
    margin = np.sort(outside)[int(np.ceil((len(y) + 1) * coverage)) - 1]
    expected = bma.predict_interval(X[:30], coverage, method="mixture") + [-margin, margin]
    bounds = bma.predict_interval(X[:30], coverage, method="conformal_mixture")
    np.testing.assert_allclose(bounds, expected, rtol=1e-6, atol=1e-6)


def test_conformal_mixture_covers_as_asked_where_the_mixture_over_covers(friedman_halves):
    X_train, X_test, y_train, y_test = friedman_halves
    members = [
        ("bayes", BayesianRidge()),
        ("knn", KNeighborsRegressor(10)),
        ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
    ]
    bma = BayesianModelAveragerRegressor(members, random_state=0).fit(X_train, y_train)
    for coverage in (0.8, 0.9, 0.95):
        inside = _coverage(bma, X_test, y_test, coverage, method="conformal_mixture")
        assert coverage - 0.015 <= inside <= coverage + 0.03, (coverage, inside)
        assert _coverage(bma, X_test, y_test, coverage) > coverage + 0.03  # plain mixture
    multi = BayesianModelAveragerRegressor(members[1:], random_state=0)
    multi.fit(X_train, np.column_stack([y_train, 2 * y_train]))
    bounds = multi.predict_interval(X_test, 0.9, method="conformal_mixture")
    assert bounds.shape == (len(y_test), 2, 2)
    for t, target in enumerate([y_test, 2 * y_test]):
        inside = np.mean((target >= bounds[:, t, 0]) & (target <= bounds[:, t, 1]))
        assert 0.885 <= inside <= 0.93, (t, inside)


@pytest.mark.parametrize("method", ["stacking", "pseudo_bma", "bb_pseudo_bma"])
def test_weight_properties(diabetes, method):
    X, y = diabetes
    bad = ("bad", DummyRegressor(strategy="constant", constant=1000.0))
    bma = BayesianModelAveragerRegressor([("bayes", BayesianRidge()), bad], weighting=method)
    np.testing.assert_allclose(bma.fit(X, y).weights_[1], 0.0, atol=1e-3)
    twins = BayesianModelAveragerRegressor([("a", Ridge()), ("b", Ridge())], weighting=method)
    np.testing.assert_allclose(twins.fit(X, y).weights_, [0.5, 0.5], atol=1e-6)
    alone = BayesianModelAveragerRegressor([("r", Ridge())], weighting=method).fit(X, y)
    np.testing.assert_allclose(alone.weights_, [1.0])
    assert np.all(bma.weights_ >= 0) and np.isclose(bma.weights_.sum(), 1)


def test_exact_fits_give_finite_weights():
    X = np.arange(40.0).reshape(-1, 1)
    y = 3 * X[:, 0] + 1  # a line: Ridge(alpha=0) fits it exactly in every fold
    members = [("exact", Ridge(alpha=0.0)), ("mean", DummyRegressor())]
    bma = BayesianModelAveragerRegressor(members).fit(X, y)
    assert np.isfinite(bma.pointwise_lpd_).all() and np.isfinite(bma.weights_).all()
    assert bma.weights_[0] > 0.99
    mean, std = bma.predict(X, return_std=True)
    assert np.isfinite(std).all() and np.all(std > 0)


def test_sample_weight_weighs_the_residual_scale(diabetes):
    X, y = diabetes
    sw = np.random.default_rng(0).integers(1, 4, len(y)).astype(float)
    bma = BayesianModelAveragerRegressor([("ridge", Ridge())]).fit(X, y, sample_weight=sw)
    sq = (y - bma.oof_predictions_[:, 0]) ** 2
    np.testing.assert_allclose(bma.residual_scale_[0], np.sqrt(np.sum(sw * sq) / sw.sum()))
    unweighted = BayesianModelAveragerRegressor([("ridge", Ridge())]).fit(X, y)
    assert not np.allclose(bma.residual_scale_, unweighted.residual_scale_)


def test_bad_coverage_and_a_member_refusing_a_2d_y(diabetes):
    X, y = diabetes
    bma = BayesianModelAveragerRegressor([("ridge", Ridge())]).fit(X, y)
    for coverage in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="coverage"):
            bma.predict_interval(X, coverage=coverage)
    # A 2-D y is taken (tests/test_multioutput.py); BayesianRidge is not.
    with pytest.raises(ValueError, match="Member 'bayes' failed"):
        BayesianModelAveragerRegressor([("bayes", BayesianRidge())]).fit(
            X, np.column_stack([y, y])
        )


def test_pipeline_grid_search_clone_pickle(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), BayesianModelAveragerRegressor(_members(), cv=3))
    grid = GridSearchCV(
        pipe, {"bayesianmodelaveragerregressor__tree__max_depth": [2, 4]}, cv=3
    ).fit(X, y)
    assert grid.best_params_["bayesianmodelaveragerregressor__tree__max_depth"] in (2, 4)
    restored = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_allclose(
        restored.predict(X[:5]), grid.best_estimator_.predict(X[:5]), rtol=1e-12
    )
    np.testing.assert_allclose(
        restored[-1].predict_interval(X[:5]), grid.best_estimator_[-1].predict_interval(X[:5])
    )
    assert not hasattr(clone(pipe)[-1], "weights_")
    fitted = grid.best_estimator_[-1]
    assert list(fitted.get_feature_names_out()) == ["bayes", "tree", "knn"]
    assert fitted.transform(X[:4]).shape == (4, 3)


def test_bad_input_is_reported_before_fitting(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="Member 'lr'.*not a regressor"):
        BayesianModelAveragerRegressor([("lr", LogisticRegression()), ("r", Ridge())]).fit(X, y)
    with pytest.raises(ValueError, match="Member 'r'"):
        BayesianModelAverager([("nb", GaussianNB()), ("r", Ridge())]).fit(X, y > 150)
    with pytest.raises(ValueError, match="sample_weight"):
        BayesianModelAveragerRegressor(_members()).fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        BayesianModelAveragerRegressor(_members()).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="'bayes' is not fitted"):
        BayesianModelAveragerRegressor(_members(), cv="prefit").fit(X, y)
    with pytest.raises(ValueError, match="n_bootstrap"):
        BayesianModelAveragerRegressor(_members(), n_bootstrap=0).fit(X, y)
    members = _members()
    BayesianModelAveragerRegressor(members, cv=3).fit(X, y)
    assert not hasattr(members[0][1], "coef_")  # the user's members stay unfitted


def test_input_containers_give_the_same_predictions(tmp_path, diabetes):
    pytest.importorskip("pandas")
    X, y = diabetes
    reference = BayesianModelAveragerRegressor(_members(), random_state=0).fit(X, y)
    expected = reference.predict_interval(X[:30])
    for variant in input_variants(X, tmp_path):
        got = BayesianModelAveragerRegressor(_members(), random_state=0).fit(variant, y)
        tol = 1e-2 if getattr(variant, "dtype", None) == np.float32 else 1e-8
        np.testing.assert_allclose(got.predict_interval(variant[:30]), expected, rtol=tol)


@pytest.mark.parametrize("labels", [["no", "yes"], [False, True], [3, 7]])
def test_classifier_label_types(labels):
    X, y01 = load_breast_cancer(return_X_y=True)
    y = np.asarray(labels)[y01]
    bma = BayesianModelAverager([("nb", GaussianNB()), ("tree", DecisionTreeClassifier())])
    bma.fit(X, y)
    np.testing.assert_array_equal(bma.classes_, np.asarray(labels))
    assert set(bma.predict(X)) <= set(labels)
    assert np.isfinite(bma.pointwise_lpd_).all()
