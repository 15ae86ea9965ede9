"""Conformal prediction sets and intervals of the fusers: against naive
per-row loops, and coverage on held-out rows."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skfusion import (
    BayesianModelAverager,
    BayesianModelAveragerRegressor,
    OOFStacker,
    OOFStackerRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
    WeightSpaceFuser,
    WeightSpaceFuserRegressor,
)
from skfusion._conformal import conformal_threshold, cv_plus_bounds, label_scores
from skfusion._utils import numpy_generator


def naive_scores(proba, method, uniforms=None):
    """Row by row: LAC is 1 - p; APS adds the labels ranked above (ties: the
    lower class first) and the label's own mass (times u when randomised)."""
    n, k = proba.shape
    scores = np.empty((n, k))
    for i in range(n):
        order = sorted(range(k), key=lambda c: (-proba[i, c], c))
        for c in range(k):
            if method == "lac":
                scores[i, c] = 1 - proba[i, c]
                continue
            above = sum(proba[i, d] for d in order[: order.index(c)])
            own = proba[i, c] * (1.0 if uniforms is None else uniforms[i])
            scores[i, c] = above + own
    return scores


def naive_threshold(scores, coverage):
    """The smallest t with at least ceil((n + 1) coverage) scores <= t."""
    needed = int(np.ceil((len(scores) + 1) * coverage))
    if needed > len(scores):
        return np.inf
    for t in sorted(scores):
        if np.sum(scores <= t) >= needed:
            return t


@pytest.mark.parametrize("method", ["lac", "aps"])
@pytest.mark.parametrize("randomised", [False, True])
def test_scores_and_threshold_match_naive_loops(method, randomised):
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), 50)
    proba[:5] = [0.25, 0.25, 0.25, 0.25]  # ties
    uniforms = rng.random(50) if randomised else None
    np.testing.assert_allclose(
        label_scores(proba, method, uniforms), naive_scores(proba, method, uniforms), atol=1e-12
    )
    scores = naive_scores(proba, method, uniforms)[:, 0]
    for coverage in (0.5, 0.8, 0.95, 0.99):
        assert conformal_threshold(scores, coverage) == naive_threshold(scores, coverage)


def test_calibration_uses_the_cross_validated_fusion():
    # Given weights learn nothing: the cross-validated fusion is the fused OOF output.
    X, y = load_iris(return_X_y=True)
    members = [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())]
    blender = WeightedBlender(members, weights=[2, 1], scoring="accuracy").fit(X, y)
    proba, codes = blender._calibration_probabilities()
    np.testing.assert_allclose(proba, blender.fused_oof_predictions_, atol=1e-12)
    np.testing.assert_array_equal(codes, y)
    sets = blender.predict_set(X, coverage=0.9)
    threshold = naive_threshold(1 - proba[np.arange(len(y)), y], 0.9)
    np.testing.assert_array_equal(sets, 1 - blender.predict_proba(X) <= threshold)


@pytest.mark.parametrize("class_conditional", [False, True])
@pytest.mark.parametrize("method", ["lac", "aps"])
def test_cv_plus_sets_from_the_fold_models_match_a_row_loop(class_conditional, method):
    # Given weights learn nothing, so each fold's fusion is the weighted mean
    # of its fold models; a label is kept when fewer than ceil((n + 1) c)
    # calibration scores lie below its score under the fold that left them out.
    X, y = load_iris(return_X_y=True)
    folds = KFold(4, shuffle=True, random_state=0)
    members = [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())]
    weights = np.array([2.0, 1.0]) / 3
    blender = WeightedBlender(
        members, weights=[2, 1], cv=folds, test_predictions="fold_average", random_state=0
    ).fit(X, y)
    X_test = X[::7] + 0.3
    fold_of = np.empty(len(y), dtype=int)
    for f, (_, test) in enumerate(folds.split(X)):
        fold_of[test] = f
    per_fold = [
        sum(w * est[f].predict_proba(X_test) for w, est in zip(weights, blender.fold_estimators_))
        for f in range(4)
    ]
    draws = numpy_generator(0)
    cal_u, test_u = draws.random(len(y)), draws.random(len(X_test))
    if method == "lac":
        cal_u = test_u = None
    oof = blender.fused_oof_predictions_
    calibration = naive_scores(oof, method, cal_u)[np.arange(len(y)), y]
    test_scores = [naive_scores(p, method, test_u) for p in per_fold]
    expected = np.zeros((len(X_test), 3), dtype=bool)
    for j in range(len(X_test)):
        for c in range(3):
            rows = np.flatnonzero(y == c) if class_conditional else np.arange(len(y))
            below = sum(calibration[i] < test_scores[fold_of[i]][j, c] for i in rows)
            expected[j, c] = below < np.ceil((len(rows) + 1) * 0.8)
    sets = blender.predict_set(
        X_test, 0.8, method=method, class_conditional=class_conditional, cv_plus=True
    )
    np.testing.assert_array_equal(sets, expected)
    if method == "lac" and not class_conditional:  # without CV+: the fold-average fusion
        threshold = naive_threshold(calibration, 0.8)
        split = 1 - blender.predict_proba(X_test) <= threshold
        np.testing.assert_array_equal(blender.predict_set(X_test, 0.8), split)
        refit = WeightedBlender(members, weights=[2, 1], cv=folds, scoring="accuracy").fit(X, y)
        with pytest.raises(ValueError, match="fold_average"):
            refit.predict_set(X_test, cv_plus=True)


@pytest.fixture(scope="module")
def held_out():
    X, y = make_classification(
        10_000, n_features=12, n_informative=6, n_classes=4, class_sep=0.8, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


MEMBERS = [
    ("lr", LogisticRegression(max_iter=2000)),
    ("nb", GaussianNB()),
    ("forest", RandomForestClassifier(40, max_depth=8, random_state=0)),
]


@pytest.mark.parametrize(
    "fuser",
    [
        WeightedBlender(MEMBERS, weighting="optimize", random_state=0),
        OOFStacker(MEMBERS, random_state=0),
    ],
    ids=["blender", "stacker"],
)
def test_sets_cover_held_out_rows_as_asked(fuser, held_out):
    X_train, X_test, y_train, y_test = held_out
    fuser.fit(X_train, y_train)
    rows = np.arange(len(y_test))
    for method in ("lac", "aps"):
        for coverage in (0.8, 0.9, 0.95):
            sets = fuser.predict_set(X_test, coverage=coverage, method=method)
            covered = sets[rows, y_test].mean()
            assert coverage - 0.02 <= covered <= coverage + 0.03, (method, coverage, covered)
    # Mondrian: every true class is covered, not only on average.
    sets = fuser.predict_set(X_test, coverage=0.9, class_conditional=True)
    for c in range(4):
        assert sets[y_test == c, c].mean() >= 0.86
    # LAC gives smaller sets than APS on average.
    lac = fuser.predict_set(X_test, coverage=0.9).sum(axis=1).mean()
    aps = fuser.predict_set(X_test, coverage=0.9, method="aps").sum(axis=1).mean()
    assert lac < aps


def test_weight_space_and_averager_sets_cover_held_out_rows(held_out):
    X_train, X_test, y_train, y_test = held_out
    rows = np.arange(len(y_test))
    fusers = [
        BayesianModelAverager(MEMBERS[:2], random_state=0),
        WeightSpaceFuser(
            [(f"c{i}", LogisticRegression(C=c, max_iter=2000)) for i, c in enumerate([0.01, 1])],
            random_state=0,
        ),
    ]
    for fuser in fusers:
        fuser.fit(X_train, y_train)
        covered = fuser.predict_set(X_test, coverage=0.9)[rows, y_test].mean()
        assert 0.88 <= covered <= 0.93, (type(fuser).__name__, covered)


def test_randomised_aps_is_reproducible_and_can_be_turned_off():
    X, y = load_iris(return_X_y=True)
    blender = WeightedBlender(MEMBERS[:2], weighting="score", random_state=3).fit(X, y)
    first = blender.predict_set(X, method="aps")
    np.testing.assert_array_equal(first, blender.predict_set(X, method="aps"))
    plain = blender.predict_set(X, method="aps", randomized=False)
    assert plain.sum(axis=1).min() >= 1  # never empty
    assert plain.sum() >= first.sum()


def test_too_few_calibration_rows_keep_every_label():
    X, y = load_iris(return_X_y=True)
    blender = WeightedBlender(MEMBERS[:2], weighting="score").fit(X, y)
    assert blender.predict_set(X[:3], coverage=0.999).all()


def test_predict_set_errors():
    X, y = load_iris(return_X_y=True)
    hard = WeightedBlender(MEMBERS[:2], voting="hard", weighting="score").fit(X, y)
    assert not hasattr(hard, "predict_set")
    given = WeightedBlender(MEMBERS[:2], weights=[1, 1]).fit(X, y)
    with pytest.raises(ValueError, match="out-of-fold probabilities"):
        given.predict_set(X)
    fitted = WeightedBlender(MEMBERS[:2], weighting="score").fit(X, y)
    with pytest.raises(InvalidParameterError):
        fitted.predict_set(X, coverage=1.0)
    with pytest.raises(InvalidParameterError):
        fitted.predict_set(X, method="raps")
    with pytest.raises(NotFittedError):
        WeightedBlender(MEMBERS[:2]).predict_set(X)
    Xm, Ym = make_multilabel_classification(100, n_classes=3, random_state=0)
    tree = [("a", DecisionTreeClassifier(max_depth=2)), ("b", DecisionTreeClassifier())]
    multi = WeightedBlender(tree, weighting="score").fit(Xm, Ym)
    with pytest.raises(ValueError, match="one label per row"):
        multi.predict_set(Xm)


def test_coverage_width_and_size_metrics_against_row_loops():
    from skfusion.metrics import coverage_score, interval_width, set_size

    rng = np.random.default_rng(0)
    labels = np.array(["a", "b", "c"])
    y = labels[rng.integers(0, 3, 40)]
    sets = rng.random((40, 3)) < 0.5
    w = rng.random(40)
    covered = [sets[i, list(labels).index(y[i])] for i in range(40)]
    assert coverage_score(y, sets, sample_weight=w) == pytest.approx(
        np.average(covered, weights=w)
    )
    assert set_size(sets, sample_weight=w) == pytest.approx(np.average(sets.sum(1), weights=w))
    values = rng.normal(size=40)
    bounds = np.sort(rng.normal(size=(40, 2)), axis=1)
    inside = [bounds[i, 0] <= values[i] <= bounds[i, 1] for i in range(40)]
    assert coverage_score(values, bounds) == pytest.approx(np.mean(inside))
    assert interval_width(bounds) == pytest.approx(np.mean(bounds[:, 1] - bounds[:, 0]))
    several = np.stack([bounds, bounds + 1], axis=1)  # (n, 2 outputs, 2)
    both = [inside[i] and bounds[i, 0] + 1 <= values[i] + 1 <= bounds[i, 1] + 1 for i in range(40)]
    assert coverage_score(np.column_stack([values, values + 1]), several) == np.mean(both)
    with pytest.raises(ValueError, match="labels="):
        coverage_score(y[:2], sets[:2])  # 2 labels seen, 3 columns


def test_coverage_score_reads_predict_set_with_the_fusers_classes():
    from skfusion.metrics import coverage_score

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    blender = WeightedBlender(MEMBERS[:2], weighting="score").fit(X, names)
    sets = blender.predict_set(X[::2])
    expected = np.mean(
        [sets[i, list(blender.classes_).index(t)] for i, t in enumerate(names[::2])]
    )
    assert coverage_score(names[::2], sets, labels=blender.classes_) == pytest.approx(expected)


# -- regressors: conformal intervals ---------------------------------------------
REGRESSORS = [
    ("ridge", Ridge()),
    ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
    ("knn", KNeighborsRegressor(20)),
]


def naive_cv_plus(fold_predictions, fold_of, residuals, coverage):
    """Barber et al. (2021), row by row: sorted candidates, ranks as written."""
    n, alpha = len(residuals), 1 - coverage
    low, high = int(np.floor(alpha * (n + 1))), int(np.ceil((1 - alpha) * (n + 1)))
    bounds = []
    for mu in fold_predictions:
        lows = sorted(mu[fold_of[i]] - residuals[i] for i in range(n))
        highs = sorted(mu[fold_of[i]] + residuals[i] for i in range(n))
        bounds.append(
            [lows[low - 1] if low >= 1 else -np.inf, highs[high - 1] if high <= n else np.inf]
        )
    return np.array(bounds)


@pytest.mark.parametrize("coverage", [0.5, 0.9, 0.99])
def test_cv_plus_bounds_match_the_definition(coverage):
    rng = np.random.default_rng(0)
    fold_predictions = rng.normal(size=(30, 4))
    fold_of = rng.integers(0, 4, 60)
    residuals = np.abs(rng.normal(size=60))
    np.testing.assert_allclose(
        cv_plus_bounds(fold_predictions, fold_of, residuals, coverage),
        naive_cv_plus(fold_predictions, fold_of, residuals, coverage),
    )


def test_blender_cv_plus_from_its_fold_models():
    X, y = make_classification(400, random_state=0)[0], np.random.default_rng(0).normal(size=400)
    X_test = X[:25]
    cv = KFold(4, shuffle=True, random_state=0)
    blender = WeightedBlenderRegressor(
        REGRESSORS, weights=[1, 2, 1], scoring="r2", cv=cv, test_predictions="fold_average"
    ).fit(X, y)
    w = np.array([1, 2, 1]) / 4
    folds = list(cv.split(X, y))
    fold_of = np.empty(len(y), dtype=int)
    for f, (_, test) in enumerate(folds):
        fold_of[test] = f
    fold_predictions = np.column_stack(
        [
            sum(w[m] * blender.fold_estimators_[m][f].predict(X_test) for m in range(3))
            for f in range(4)
        ]
    )
    residuals = np.abs(y - blender.fused_oof_predictions_)
    expected = naive_cv_plus(fold_predictions, fold_of, residuals, 0.8)
    np.testing.assert_allclose(blender.predict_interval(X_test, coverage=0.8), expected)
    # "cv": the fused prediction plus or minus the residuals' conformal quantile.
    half = np.sort(residuals)[int(np.ceil(0.8 * (len(y) + 1))) - 1]
    centre = blender.predict(X_test)
    np.testing.assert_allclose(
        blender.predict_interval(X_test, coverage=0.8, method="cv"),
        np.column_stack([centre - half, centre + half]),
    )


@pytest.fixture(scope="module")
def heteroscedastic():
    """y = f(x) + noise whose scale grows with |x0|; the scale is returned."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (6000, 5))
    scale = 0.3 + np.abs(X[:, 0])
    y = X[:, 0] ** 2 + 2 * np.sin(X[:, 1]) + X[:, 2] + rng.normal(size=6000) * scale
    return train_test_split(X, y, scale, test_size=0.5, random_state=0)


@pytest.mark.parametrize(
    "fuser",
    [
        WeightedBlenderRegressor(
            REGRESSORS, weighting="optimize", test_predictions="fold_average"
        ),
        OOFStackerRegressor(REGRESSORS, test_predictions="fold_average"),
        BayesianModelAveragerRegressor(REGRESSORS, test_predictions="fold_average"),
    ],
    ids=["blender", "stacker", "averager"],
)
def test_intervals_cover_held_out_rows(fuser, heteroscedastic):
    X_train, X_test, y_train, y_test, _, scale = heteroscedastic
    fuser.fit(X_train, y_train)
    for method in ("cv_plus", "cv"):
        for coverage in (0.8, 0.9, 0.95):
            bounds = fuser.predict_interval(X_test, coverage=coverage, method=method)
            covered = np.mean((bounds[:, 0] <= y_test) & (y_test <= bounds[:, 1]))
            assert coverage - 0.02 <= covered <= coverage + 0.03, (method, coverage, covered)
    # Normalised: the noisiest third of rows is covered far better than without.
    noisiest = scale >= np.quantile(scale, 2 / 3)
    plain = fuser.predict_interval(X_test)
    adaptive = fuser.predict_interval(X_test, normalized=True)

    def covered(bounds):
        return np.mean(
            (bounds[noisiest, 0] <= y_test[noisiest]) & (y_test[noisiest] <= bounds[noisiest, 1])
        )

    assert covered(adaptive) >= covered(plain) + 0.05
    assert covered(adaptive) >= 0.85


def test_interval_methods_and_errors():
    Xr, yr = make_classification(300, random_state=1)[0], np.random.default_rng(1).normal(size=300)
    refit = WeightedBlenderRegressor(REGRESSORS, weighting="score").fit(Xr, yr)
    with pytest.raises(ValueError, match="fold_average"):
        refit.predict_interval(Xr, method="cv_plus")
    with pytest.raises(ValueError, match="mixture"):
        refit.predict_interval(Xr, method="mixture")
    np.testing.assert_array_equal(
        refit.predict_interval(Xr), refit.predict_interval(Xr, method="cv")
    )
    given = WeightedBlenderRegressor(REGRESSORS, weights=[1, 1, 1]).fit(Xr, yr)
    with pytest.raises(ValueError, match="out-of-fold predictions"):
        given.predict_interval(Xr)
    with pytest.raises(InvalidParameterError):
        refit.predict_interval(Xr, coverage=0)
    bma = BayesianModelAveragerRegressor(REGRESSORS[:2]).fit(Xr, yr)
    mixture = bma.predict_interval(Xr[:5], method="mixture")
    assert mixture.shape == (5, 2) and np.all(mixture[:, 0] < mixture[:, 1])
    soup = WeightSpaceFuserRegressor([("a", Ridge(alpha=0.1)), ("b", Ridge(alpha=10))]).fit(Xr, yr)
    assert soup.predict_interval(Xr[:5]).shape == (5, 2)
    with pytest.raises(ValueError, match="one merged model"):
        soup.predict_interval(Xr[:5], normalized=True)


def test_intervals_of_several_outputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = np.column_stack([X[:, 0] + rng.normal(size=300), X[:, 1] + rng.normal(size=300)])
    fuser = WeightedBlenderRegressor(
        REGRESSORS[:2], weighting="optimize", test_predictions="fold_average"
    ).fit(X, Y)
    bounds = fuser.predict_interval(X[:7], coverage=0.9)
    assert bounds.shape == (7, 2, 2)
    assert np.all(bounds[..., 0] <= fuser.predict(X[:7])) and np.all(
        fuser.predict(X[:7]) <= bounds[..., 1]
    )
