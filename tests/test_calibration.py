"""Probability calibration of the fused classifiers (``calibration=``):
the maps against naive and sklearn references, no leakage, held-out
log-loss, and the option on every classifier."""

import pickle

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV, _sigmoid_calibration
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skfusion import BayesianModelAverager, OOFStacker, WeightedBlender, WeightSpaceFuser
from skfusion._calibration import (
    DirichletCalibration,
    OneVsRestCalibration,
    TemperatureScaling,
    cross_calibrated,
    fit_calibrator,
)


def _proba_rows(n=400, k=3, seed=0, sharpness=3.0):
    """Overconfident probabilities: the true class is likelier, then sharpened."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), codes] += 1.0
    proba = np.exp(sharpness * logits)
    return proba / proba.sum(axis=1, keepdims=True), codes


# -- the maps ------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 4])
def test_temperature_minimises_the_weighted_log_loss(k):
    proba, codes = _proba_rows(k=k)
    weights = np.random.default_rng(1).uniform(0.2, 2.0, len(codes))

    def naive_loss(temperature):
        z = np.log(proba) / temperature
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.sum(weights * logp[np.arange(len(codes)), codes])

    expected = minimize_scalar(naive_loss, bounds=(0.05, 20), method="bounded").x
    fitted = TemperatureScaling().fit(proba, codes, weights)
    assert fitted.temperature_ == pytest.approx(expected, rel=1e-3)
    assert fitted.temperature_ > 1  # the rows were sharpened: the map softens them
    calibrated = fitted.transform(proba)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)
    np.testing.assert_array_equal(calibrated.argmax(axis=1), proba.argmax(axis=1))
    np.testing.assert_allclose(np.exp(fitted.transform_log(np.log(proba))), calibrated)


def test_integer_weights_are_repeated_rows():
    proba, codes = _proba_rows(n=120)
    weights = np.random.default_rng(2).integers(0, 4, len(codes))
    repeated = np.repeat(np.arange(len(codes)), weights)
    for method in ("temperature", "sigmoid", "isotonic"):
        weighted = fit_calibrator(method, proba, codes, weights.astype(float))
        copies = fit_calibrator(method, proba[repeated], codes[repeated])
        np.testing.assert_allclose(
            weighted.transform(proba), copies.transform(proba), rtol=1e-4, atol=1e-6
        )


class _Identity(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are its input columns."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.asarray(X)

    def predict(self, X):
        return self.classes_[np.argmax(X, axis=1)]


@pytest.mark.parametrize("k", [2, 3])
def test_isotonic_is_sklearns_fit_on_platts_smoothed_targets(k):
    from sklearn.isotonic import IsotonicRegression

    proba, codes = _proba_rows(k=k)
    ours = OneVsRestCalibration("isotonic").fit(proba, codes)
    test, _ = _proba_rows(n=100, k=k, seed=5)
    # The naive reference: one isotonic fit per class on targets (n+ + 1) / (n+ + 2)
    # and 1 / (n- + 2), then rows renormalised (binary: the positive class).
    mapped = []
    for c in [1] if k == 2 else range(k):
        positive = codes == c
        target = np.where(positive, (positive.sum() + 1) / (positive.sum() + 2), 0.0)
        target[~positive] = 1 / ((~positive).sum() + 2)
        fitted = IsotonicRegression(out_of_bounds="clip").fit(proba[:, c], target)
        mapped.append(fitted.predict(test[:, c]))
    mapped = np.column_stack(mapped)
    if k == 2:
        expected = np.column_stack([1 - mapped[:, 0], mapped[:, 0]])
    else:
        expected = mapped / mapped.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ours.transform(test), expected, atol=1e-12)
    # Within the smoothing of sklearn's isotonic calibration of the same rows.
    theirs = CalibratedClassifierCV(
        FrozenEstimator(_Identity().fit(proba, codes)), method="isotonic"
    ).fit(proba, codes)
    smallest = min(np.bincount(codes).min(), len(codes) - np.bincount(codes).max())
    bound = 2 * k / (smallest + 2)
    np.testing.assert_allclose(ours.transform(test), theirs.predict_proba(test), atol=bound)
    assert ours.transform(test).min() > 0 and ours.transform(test).max() < 1


@pytest.mark.parametrize("k", [2, 3])
def test_sigmoid_is_platts_fit_on_the_log_odds(k):
    proba, codes = _proba_rows(k=k)
    ours = OneVsRestCalibration("sigmoid").fit(proba, codes)
    columns = [1] if k == 2 else range(k)
    for fitted, c in zip(ours.maps_, columns):
        # sklearn's Platt: P = 1 / (1 + exp(a f + b)), the same smoothed targets.
        a, b = _sigmoid_calibration(np.log(proba[:, c] / (1 - proba[:, c])), codes == c)
        assert fitted.a_ == pytest.approx(-a, rel=1e-3, abs=1e-4)
        assert fitted.b_ == pytest.approx(-b, rel=1e-3, abs=1e-4)
    calibrated = ours.transform(proba)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)


def test_cross_calibration_holds_each_split_out():
    proba, codes = _proba_rows()
    splits = [(np.arange(200, 400), np.arange(200)), (np.arange(200), np.arange(200, 400))]
    result = cross_calibrated("temperature", proba, codes, None, splits)
    first = fit_calibrator("temperature", proba[200:], codes[200:])
    np.testing.assert_allclose(result[:200], first.transform(proba[:200]))
    # A row no split tests gets the map of all rows.
    partial = cross_calibrated("temperature", proba, codes, None, splits[:1])
    whole = fit_calibrator("temperature", proba, codes)
    np.testing.assert_allclose(partial[200:], whole.transform(proba[200:]))


# -- the option on the fusers ---------------------------------------------------
def _members():
    return [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=6, random_state=0)),
        ("knn", KNeighborsClassifier(5)),
    ]


def _wsf_members():
    return [("c1", LogisticRegression(C=1.0)), ("c01", LogisticRegression(C=0.1))]


FUSERS = [
    lambda c: WeightedBlender(_members(), weighting="optimize", calibration=c),
    lambda c: OOFStacker(_members(), calibration=c),
    lambda c: BayesianModelAverager(_members(), calibration=c),
    lambda c: WeightSpaceFuser(_wsf_members(), cv=3, calibration=c, random_state=0),
]
FUSER_IDS = ["blender", "stacker", "bma", "wsf"]


@pytest.fixture(scope="module")
def synthetic():
    X, y = make_classification(
        1500, 12, n_informative=6, n_classes=3, class_sep=0.8, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


@pytest.mark.parametrize("make", FUSERS, ids=FUSER_IDS)
@pytest.mark.parametrize("calibration", ["temperature", "sigmoid", "isotonic"])
def test_calibrator_is_learnt_on_the_held_out_fused_probabilities(make, calibration, synthetic):
    X_train, X_test, y_train, _ = synthetic
    fuser = make(calibration).fit(X_train, y_train)
    plain = make(None).fit(X_train, y_train)
    assert plain.calibrator_ is None
    proba, codes, sample_weight, _ = fuser._probability_rows()
    expected = fit_calibrator(calibration, proba, codes, sample_weight)
    raw = plain.predict_proba(X_test)
    calibrated = fuser.predict_proba(X_test)
    np.testing.assert_allclose(calibrated, expected.transform(raw), atol=1e-10)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)
    # predict is the most likely calibrated class (temperature never reorders).
    labels = fuser.predict(X_test)
    np.testing.assert_array_equal(labels, fuser.classes_[calibrated.argmax(axis=1)])
    if calibration == "temperature":
        np.testing.assert_array_equal(labels, plain.predict(X_test))
    if hasattr(fuser, "predict_log_proba"):
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(
                np.exp(fuser.predict_log_proba(X_test)), calibrated, atol=1e-10
            )


def test_temperature_lowers_the_held_out_log_loss_of_overconfident_fusions():
    # Naive Bayes on correlated features and a deep tree are overconfident,
    # and so is any average of them; a log-loss meta-learner is not.
    X, y = make_classification(
        1500, 20, n_informative=6, n_redundant=8, n_classes=3, class_sep=0.8, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    members = [
        ("nb", GaussianNB()),
        ("nb_smooth", GaussianNB(var_smoothing=1e-3)),
        ("tree", DecisionTreeClassifier(max_depth=8, random_state=0)),
    ]
    fusers = {
        "equal": WeightedBlender(members),
        "optimize": WeightedBlender(members, weighting="optimize"),
        "bma": BayesianModelAverager(members),
        "stacker": OOFStacker(members),
    }
    for name, plain in fusers.items():
        before = log_loss(y_test, clone(plain).fit(X_train, y_train).predict_proba(X_test))
        fuser = clone(plain).set_params(calibration="temperature").fit(X_train, y_train)
        after = log_loss(y_test, fuser.predict_proba(X_test))
        if name == "stacker":
            assert abs(after - before) < 0.005, (name, before, after)
        else:
            assert fuser.calibrator_.temperature_ > 1.2  # softened
            assert after < before - 0.02, (name, before, after)


def test_rank_voting_probabilities_are_calibrated_by_default():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    members = [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
        ("nb", GaussianNB()),
        ("forest", RandomForestClassifier(100, random_state=0)),
    ]
    fuser = WeightedBlender(members, voting="rank").fit(X_train, y_train)
    raw = clone(fuser).set_params(calibration=None).fit(X_train, y_train)
    assert isinstance(fuser.calibrator_, DirichletCalibration)
    # It may reorder a row's classes, and keeps the accuracy of the vote.
    assert fuser.score(X_test, y_test) >= raw.score(X_test, y_test) - 0.01
    before = log_loss(y_test, raw.predict_proba(X_test))
    after = log_loss(y_test, fuser.predict_proba(X_test))
    # Normalised quantiles are far too flat to be probabilities.
    assert before > 1.0 and after < 0.3, (before, after)


def test_fused_cv_score_and_sets_use_probabilities_calibrated_out_of_fold(synthetic):
    X_train, X_test, y_train, y_test = synthetic
    fuser = WeightedBlender(
        _members(), weighting="optimize", scoring="neg_log_loss", calibration="isotonic"
    ).fit(X_train, y_train)
    proba, codes, sample_weight, splits = fuser._probability_rows()
    held_out = cross_calibrated("isotonic", proba, codes, sample_weight, splits)
    expected = -log_loss(codes, held_out, labels=range(3))
    assert fuser.fused_cv_score_ == pytest.approx(expected)
    assert not np.allclose(held_out, fuser.calibrator_.transform(proba))  # not in-sample
    sets = fuser.predict_set(X_test, coverage=0.9)
    covered = sets[np.arange(len(y_test)), np.searchsorted(fuser.classes_, y_test)]
    assert covered.mean() >= 0.9 - 0.03


def test_fixed_weights_make_oof_predictions_to_calibrate(synthetic):
    X_train, _, y_train, _ = synthetic
    fixed = WeightedBlender(_members(), weights=[1, 1, 2], calibration="temperature")
    fixed.fit(X_train, y_train)
    assert fixed.oof_predictions_ is not None
    assert fixed.calibrator_.temperature_ > 0
    assert WeightedBlender(_members(), weights=[1, 1, 2]).fit(X_train, y_train).calibrator_ is None


def test_calibration_needs_probabilities_and_one_label_per_row():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="hard voting"):
        WeightedBlender(_members(), voting="hard", calibration="temperature").fit(X, y)
    hard = WeightedBlender(_members(), voting="hard").fit(X, y)  # "auto" calibrates nothing
    assert hard.calibrator_ is None
    with pytest.raises(ValueError, match="does not give"):
        OOFStacker(_members(), RidgeClassifier(), calibration="sigmoid").fit(X, y)
    with pytest.raises(ValueError, match="does not give"):
        WeightSpaceFuser([("a", LinearSVC()), ("b", LinearSVC(C=0.1))], calibration="sigmoid").fit(
            X, y
        )
    Y = np.column_stack([y == 0, y == 1]).astype(int)
    multi = [("knn", KNeighborsClassifier()), ("tree", DecisionTreeClassifier(random_state=0))]
    for fuser in (WeightedBlender(multi), OOFStacker(multi)):
        assert fuser.fit(X, Y).calibrator_ is None
        with pytest.raises(ValueError, match="several outputs"):
            fuser.set_params(calibration="temperature").fit(X, Y)


def test_calibration_is_tuned_cloned_and_pickled(synthetic):
    X_train, X_test, y_train, _ = synthetic
    search = GridSearchCV(
        BayesianModelAverager(_members()),
        {"calibration": [None, "temperature", "isotonic"]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X_train, y_train)
    assert search.best_params_["calibration"] in (None, "temperature", "isotonic")
    fitted = search.best_estimator_
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X_test), fitted.predict_proba(X_test))
    assert clone(fitted).get_params()["calibration"] == fitted.calibration


def test_fold_models_are_calibrated_one_by_one_then_averaged(synthetic):
    # The calibrator learnt from single fold models' fused probabilities; the
    # mean of several is less sure, so each fold's fusion is calibrated first.
    X_train, X_test, y_train, _ = synthetic
    common = {"calibration": "isotonic", "test_predictions": "fold_average", "cv": 3}
    blender = WeightedBlender(_members(), weighting="optimize", **common).fit(X_train, y_train)
    bma = BayesianModelAverager(_members(), **common).fit(X_train, y_train)
    stacker = OOFStacker(_members(), **common).fit(X_train, y_train)
    for fuser in (blender, bma):
        expected = np.mean(
            [
                fuser.calibrator_.transform(
                    sum(
                        w * folds[f].predict_proba(X_test)
                        for w, folds in zip(fuser.weights_, fuser.fold_estimators_)
                    )
                )
                for f in range(3)
            ],
            axis=0,
        )
        np.testing.assert_allclose(fuser.predict_proba(X_test), expected, atol=1e-10)
    per_fold = []
    for f in range(3):
        meta = np.hstack([folds[f].predict_proba(X_test) for folds in stacker.fold_estimators_])
        per_fold.append(
            stacker.calibrator_.transform(stacker.final_estimator_.predict_proba(meta))
        )
    np.testing.assert_allclose(
        stacker.predict_proba(X_test), np.mean(per_fold, axis=0), atol=1e-10
    )
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(
            bma.predict_log_proba(X_test), np.log(bma.predict_proba(X_test))
        )


# ---------------------------------------------------------------------------
# fused_score_ of what predict_proba gives; isotonic never 0 or 1
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("make", FUSERS[:3], ids=FUSER_IDS[:3])
def test_fused_score_scores_the_calibrated_probabilities(make, synthetic):
    X_train, _, y_train, _ = synthetic
    fuser = make("temperature").set_params(scoring="neg_log_loss").fit(X_train, y_train)
    plain = make(None).set_params(scoring="neg_log_loss").fit(X_train, y_train)
    # Temperature scaling of the uncalibrated fused OOF probabilities, by hand.
    logs = np.log(np.clip(plain.fused_oof_predictions_, 1e-12, None))
    scaled = np.exp(logs / fuser.calibrator_.temperature_)
    scaled /= scaled.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fuser.fused_oof_predictions_, scaled, atol=1e-10)
    assert fuser.fused_score_ == pytest.approx(-log_loss(y_train, scaled), abs=1e-10)
    assert fuser.fused_score_ != pytest.approx(plain.fused_score_, abs=1e-6)


def test_weight_space_fused_score_is_the_mean_of_the_calibrated_folds(synthetic):
    X_train, _, y_train, _ = synthetic
    fuser = FUSERS[3]("sigmoid").set_params(scoring="neg_log_loss").fit(X_train, y_train)
    folds = fuser._oof_tests_
    expected = np.mean([-log_loss(y_train[t], fuser.fused_oof_predictions_[t]) for t in folds])
    assert fuser.fused_score_ == pytest.approx(expected, abs=1e-10)


def test_isotonic_calibration_gives_no_certain_probabilities_and_keeps_its_log_loss():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y
    )
    members = [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
        ("nb", GaussianNB()),
        ("forest", RandomForestClassifier(50, random_state=0)),
    ]
    losses = {}
    for calibration in (None, "isotonic"):
        blender = WeightedBlender(members, weighting="optimize", calibration=calibration)
        proba = blender.fit(X_train, y_train).predict_proba(X_test)
        losses[calibration] = log_loss(y_test, proba)
    assert 0 < proba.min() and proba.max() < 1
    # Exact 0 probabilities made it 5x the uncalibrated log-loss (0.37 / 0.072).
    assert losses["isotonic"] < 1.6 * losses[None]


# ---------------------------------------------------------------------------
# Dirichlet calibration, rank voting's default
# ---------------------------------------------------------------------------
def test_dirichlet_is_a_logistic_regression_on_the_log_probabilities():
    from sklearn.model_selection import StratifiedKFold

    proba, codes = _proba_rows(k=3)
    test, _ = _proba_rows(n=100, k=3, seed=5)
    ours = fit_calibrator("dirichlet", proba, codes)
    # The penalty: the C of least log-loss over three stratified folds, by hand.
    logs = np.log(np.clip(proba, 1e-12, None))
    losses = []
    for C in np.logspace(-2, 3, 6):
        loss = 0.0
        for train, held in StratifiedKFold(3).split(logs, codes):
            model = LogisticRegression(C=C, max_iter=5000).fit(logs[train], codes[train])
            loss += log_loss(codes[held], model.predict_proba(logs[held])) * len(held)
        losses.append(loss)
    chosen = np.logspace(-2, 3, 6)[int(np.argmin(losses))]
    assert ours.settings["C"] == pytest.approx(chosen)
    reference = LogisticRegression(C=chosen, max_iter=5000).fit(logs, codes)
    expected = reference.predict_proba(np.log(np.clip(test, 1e-12, None)))
    # Up to lbfgs' tolerance (the chosen fit starts from its folds' solutions).
    np.testing.assert_allclose(ours.transform(test), expected, atol=1e-3)
    # The splits' maps take the chosen penalty.
    again = fit_calibrator("dirichlet", proba[:200], codes[:200], settings=ours.settings)
    assert again.settings == ours.settings


def test_rank_voting_probabilities_are_near_soft_votings_on_the_digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    members = [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))),
        ("forest", RandomForestClassifier(n_estimators=30, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=7))),
        ("bayes", GaussianNB()),
    ]
    soft = WeightedBlender(members).fit(X_train, y_train)
    rank = WeightedBlender(members, voting="rank").fit(X_train, y_train)
    assert rank.calibrator_.settings["C"] > 0  # "auto" is Dirichlet for rank voting
    soft_loss = log_loss(y_test, soft.predict_proba(X_test))
    rank_loss = log_loss(y_test, rank.predict_proba(X_test))
    # One temperature left it at 1.3x soft voting's on such data.
    assert rank_loss <= 1.02 * soft_loss
