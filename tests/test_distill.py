"""Distiller and DistillerRegressor: the augmentation against its
definitions, the students against students fitted by hand on the teacher's
labels, the fallback, and sklearn use."""

import pickle
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state

from skfusion import Distiller, DistillerRegressor, WeightedBlender
from skfusion._distill import augment
from skfusion.inspection import member_report


# -- augmentation -----------------------------------------------------------------
def test_munge_without_swaps_copies_rows_and_with_no_spread_takes_the_neighbours():
    X = np.random.default_rng(0).normal(size=(40, 3))
    copies = augment(X, 100, p=0.0, random_state=0)
    assert {tuple(r) for r in copies} <= {tuple(r) for r in X}
    # Every pass covers every row once.
    assert len({tuple(r) for r in copies[:40]}) == 40
    nearest = NearestNeighbors(n_neighbors=1).fit(StandardScaler().fit_transform(X))
    partner = nearest.kneighbors(return_distance=False)[:, 0]  # itself left out
    swapped = augment(X, 40, p=1.0, s=1e12, random_state=0)
    # Each row becomes its nearest neighbour (spread ~ 0): the pass is a permutation.
    expected = {tuple(np.round(X[partner[i]], 8)) for i in range(40)}
    assert {tuple(np.round(r, 8)) for r in swapped} == expected


def test_munge_draws_around_the_neighbour_with_the_rows_distance():
    # Two rows only: each is the other's neighbour; with p=1 a new value is
    # drawn from N(other, |a - b| / s): an even mixture of N(0, 5) and N(10, 5).
    X = np.array([[0.0], [10.0]])
    new = augment(X, 40_000, p=1.0, s=2.0, random_state=0)[:, 0]
    assert np.mean(new) == pytest.approx(5.0, abs=0.1)
    assert np.std(new) == pytest.approx(np.sqrt(25 + 25), rel=0.02)


def test_interpolate_stays_on_segments_to_near_rows_and_keeps_categories():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=30), rng.normal(size=30), rng.integers(0, 3, 30)])
    new = augment(X, 200, method="interpolate", categorical=np.array([0, 0, 1], bool), k=3)
    assert set(np.unique(new[:, 2])) <= {0.0, 1.0, 2.0}
    for row in new[:50]:
        # Some pair of rows has the new numeric point between them.
        a, b = X[:, None, :2], X[None, :, :2]
        direction = b - a
        t = np.sum((row[:2] - a) * direction, axis=2) / np.maximum(np.sum(direction**2, 2), 1e-12)
        gap = np.linalg.norm(a + t[..., None] * direction - row[:2], axis=2)
        assert np.any((gap < 1e-9) & (t >= -1e-9) & (t <= 1 + 1e-9))


def test_dataframe_categories_are_copied_from_the_column():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"x": rng.normal(size=50), "colour": pd.Categorical(rng.choice(["red", "blue"], 50))}
    )
    new = augment(frame, 120, categorical=np.array([False, True]), random_state=0)
    assert isinstance(new, pd.DataFrame) and list(new.columns) == ["x", "colour"]
    assert str(new["colour"].dtype) == "category"
    assert set(new["colour"]) <= {"red", "blue"}
    y = (frame["x"] > 0).astype(int).to_numpy()
    teacher = make_pipeline(
        make_column_transformer((StandardScaler(), ["x"]), (OneHotEncoder(), ["colour"])),
        LogisticRegression(),
    )
    distiller = Distiller(teacher, clone(teacher), validation=None, random_state=0)
    distiller.fit(frame, y)
    assert distiller.n_augmented_ == 200
    assert distiller.predict(frame).shape == (50,)


def test_integer_columns_are_augmented_as_floats():
    X, y = load_iris(return_X_y=True)
    counts = np.round(X * 10).astype(np.int64)  # integer features
    distiller = DistillerRegressor(
        Ridge(), DecisionTreeRegressor(random_state=0), n_augment=300, validation=None
    )
    distiller.fit(counts, y.astype(float))
    rows = np.vstack([counts, augment(counts, 300, random_state=np.random.RandomState(0))])
    teacher = Ridge().fit(counts, y.astype(float))
    expected = DecisionTreeRegressor(random_state=0).fit(rows, teacher.predict(rows))
    np.testing.assert_allclose(distiller.predict(counts), expected.predict(counts))
    assert not np.allclose(rows[150:], np.round(rows[150:]))  # values between integers


# -- the students against students fitted by hand ----------------------------------
def test_weighted_soft_labels_equal_a_student_fitted_on_weighted_rows():
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000)
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    distiller = Distiller(teacher, student, augment=None, validation=None).fit(X, y)
    proba = clone(teacher).fit(X, y).predict_proba(X)
    # Each row once per class of probability 1 % or more, renormalised.
    rows, classes, weight = [], [], []
    for i, row in enumerate(proba):
        kept = row >= 0.01
        for k in np.flatnonzero(kept):
            rows.append(i), classes.append(k), weight.append(row[k] / row[kept].sum())
    assert len(rows) < proba.size  # the floor left some rows out
    by_hand = clone(student).fit(X[rows], np.array(classes), sample_weight=weight)
    np.testing.assert_allclose(distiller.predict_proba(X), by_hand.predict_proba(X))
    assert distiller.distilled_ and distiller.validation_scores_ is None


def test_regression_soft_labels_equal_a_regressor_on_the_logits():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = make_pipeline(StandardScaler(), LogisticRegression())
    student = LinearRegression()
    distiller = Distiller(teacher, student, augment=None, validation=None).fit(X, y)
    p = np.clip(clone(teacher).fit(X, y).predict_proba(X)[:, 1], 1e-3, 1 - 1e-3)
    log_odds = clone(student).fit(X, np.log(p / (1 - p))).predict(X)
    np.testing.assert_allclose(distiller.predict_proba(X)[:, 1], 1 / (1 + np.exp(-log_odds)))
    # Three classes: one centred log-probability per class, then a softmax.
    X3, y3 = load_iris(return_X_y=True)
    teacher3, student3 = LogisticRegression(max_iter=1000), DecisionTreeRegressor(max_depth=3)
    three = Distiller(teacher3, student3, augment=None, validation=None).fit(X3, y3)
    log_p = np.log(np.clip(clone(teacher3).fit(X3, y3).predict_proba(X3), 1e-3, 1 - 1e-3))
    targets = log_p - log_p.mean(axis=1, keepdims=True)
    outputs = clone(student3).fit(X3, targets).predict(X3)  # a tree takes a 2-D y
    expected = np.exp(outputs) / np.exp(outputs).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(three.predict_proba(X3), expected)


def test_regressor_student_fits_the_teachers_predictions_on_real_and_augmented_rows():
    X, y = load_diabetes(return_X_y=True)
    teacher, student = Ridge(alpha=0.1), DecisionTreeRegressor(max_depth=4, random_state=0)
    distiller = DistillerRegressor(
        teacher, student, n_augment=100, validation=None, random_state=3
    ).fit(X, y)
    fitted = clone(teacher).fit(X, y)
    rows = np.vstack([X, augment(X, 100, random_state=np.random.RandomState(3))])
    by_hand = clone(student).fit(rows, fitted.predict(rows))
    np.testing.assert_allclose(distiller.predict(X), by_hand.predict(X))
    assert distiller.n_augmented_ == 100


# -- validation and fallback ------------------------------------------------------
def test_fallback_keeps_the_direct_student_when_distillation_loses():
    X, y = make_classification(400, 6, n_informative=4, random_state=0)
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    # A teacher fitted on flipped labels teaches the opposite.
    bad_teacher = FrozenEstimator(LogisticRegression().fit(X, 1 - y))
    with pytest.warns(UserWarning, match="direct student"):
        distiller = Distiller(bad_teacher, student, random_state=0).fit(X, y)
    assert not distiller.distilled_
    scores = distiller.validation_scores_
    assert scores["student"]["log_loss"] >= scores["direct_student"]["log_loss"]
    # Refit on all rows: the plain student fitted on the labels.
    direct = clone(student).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(distiller.predict_proba(X), direct.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = Distiller(bad_teacher, student, fallback=False, random_state=0).fit(X, y)
    assert kept.distilled_


@pytest.mark.parametrize("seed", [3, 6])
def test_fallback_is_the_one_standard_error_rule_on_the_validation_rows(seed):
    # Seed 6: the distilled tree does worse than the direct one on the
    # validation rows, but by less than one standard error: kept. Seed 3: by
    # more: the direct tree is kept.
    X, y = load_diabetes(return_X_y=True)
    teacher = RandomForestRegressor(30, min_samples_leaf=5, random_state=0)
    student = DecisionTreeRegressor(max_depth=3, random_state=0)
    params = dict(n_augment=1.0, refit=False, random_state=seed)
    raw = DistillerRegressor(teacher, student, fallback=False, **params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kept = DistillerRegressor(teacher, student, **params).fit(X, y)
    train, test = raw._validation_split(y, check_random_state(seed))
    direct = clone(student).fit(X[train], y[train])
    excess = (raw.student_.predict(X[test]) - y[test]) ** 2
    excess -= (direct.predict(X[test]) - y[test]) ** 2
    mean = sum(excess) / len(excess)
    standard_error = np.sqrt(sum((e - mean) ** 2 for e in excess) / len(excess) ** 2)
    assert mean > 0  # worse in both cases
    assert kept.distilled_ == (mean <= standard_error) == (seed == 6)
    chosen = raw.student_ if kept.distilled_ else direct
    np.testing.assert_allclose(kept.predict(X), chosen.predict(X))


def test_a_good_teacher_beats_the_direct_student_of_few_rows():
    # A forest teacher smooths what a shallow tree learns from 300 rows;
    # augmented rows labelled by it teach the tree more than the labels.
    X, y = make_classification(3300, 10, n_informative=6, flip_y=0.05, random_state=4)
    X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]
    teacher = RandomForestClassifier(300, min_samples_leaf=2, random_state=0)
    student = DecisionTreeClassifier(max_depth=6, min_samples_leaf=5, random_state=0)
    distiller = Distiller(teacher, student, n_augment=20.0, fallback=False, random_state=0)
    distiller.fit(X_train, y_train)
    direct = clone(student).fit(X_train, y_train)
    assert distiller.score(X_test, y_test) > direct.score(X_test, y_test) + 0.01


def test_validation_scores_are_the_models_scores_on_held_out_rows():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = make_pipeline(StandardScaler(), LogisticRegression())
    distiller = Distiller(
        teacher, DecisionTreeRegressor(max_depth=4, random_state=0), refit=False, random_state=0
    ).fit(X, y)
    scores = distiller.validation_scores_
    assert set(scores) == {"teacher", "student", "direct_student"}
    assert scores["teacher"]["accuracy"] > 0.9 and scores["teacher"]["log_loss"] < 0.2
    # Without refit, the teacher is the one fitted without the validation rows.
    assert distiller.teacher_ is not None and distiller.n_augmented_ > 0


def test_cross_validated_comparison_scores_every_row_with_models_fitted_without_its_fold():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = make_pipeline(StandardScaler(), LogisticRegression())
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    distiller = Distiller(teacher, student, augment=None, validation=3).fit(X, y)
    by_hand = {"teacher": np.zeros((len(y), 2)), "direct_student": np.zeros((len(y), 2))}
    for train, test in StratifiedKFold(3).split(X, y):
        for key, model in (("teacher", teacher), ("direct_student", student)):
            by_hand[key][test] = clone(model).fit(X[train], y[train]).predict_proba(X[test])
    for key, proba in by_hand.items():
        scores = distiller.validation_scores_[key]
        assert scores["log_loss"] == pytest.approx(log_loss(y, proba))
        assert scores["accuracy"] == pytest.approx(np.mean(proba.argmax(1) == y))
    with pytest.raises(ValueError, match="one hold-out split"):
        Distiller(teacher, student, validation=3, refit=False).fit(X, y)


def test_member_report_tabulates_the_validation_comparison():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = make_pipeline(StandardScaler(), LogisticRegression())
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    distiller = Distiller(teacher, student, random_state=0).fit(X, y)
    report = member_report(distiller)
    assert list(report.index) == ["teacher", "student", "direct_student"]
    for model, scores in distiller.validation_scores_.items():
        for metric, value in scores.items():
            assert report.loc[model, metric] == value
    kept = "student" if distiller.distilled_ else "direct_student"
    assert list(report.index[report["predicts"]]) == [kept]
    unchecked = Distiller(teacher, student, validation=None).fit(X, y)
    with pytest.raises(ValueError, match="without a validation share"):
        member_report(unchecked)


# -- errors and sklearn use ------------------------------------------------------------
def test_errors():
    X, y = load_iris(return_X_y=True)
    student = DecisionTreeClassifier()
    with pytest.raises(ValueError, match="predict_proba"):
        Distiller(LinearSVC(), student).fit(X, y)
    with pytest.raises(TypeError, match="dense"):
        Distiller(LogisticRegression(), student).fit(sparse.csr_matrix(X), y)
    with pytest.raises(TypeError, match="sample_weight"):
        Distiller(LogisticRegression(), KNeighborsClassifier(), validation=None).fit(X, y)
    with pytest.raises(ValueError, match="2 classes"):
        Distiller(LogisticRegression(), student).fit(X, np.zeros(len(y)))


def test_pipeline_grid_search_pickle_and_a_frozen_teacher():
    X, y = load_iris(return_X_y=True)
    fitted = WeightedBlender(
        [("lr", LogisticRegression(max_iter=1000)), ("tree", DecisionTreeClassifier(max_depth=3))],
        weighting="optimize",
    ).fit(X, y)
    distiller = Distiller(
        FrozenEstimator(fitted), DecisionTreeRegressor(random_state=0), random_state=0
    )
    search = GridSearchCV(
        make_pipeline(FunctionTransformer(), distiller),
        {"distiller__student__max_depth": [2, 4]},
        cv=3,
    ).fit(X, y)
    best = search.best_estimator_
    restored = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(restored.predict_proba(X), best.predict_proba(X))
    assert best[-1].teacher_.estimator is fitted  # frozen: used as it was
