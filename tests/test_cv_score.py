"""fused_cv_score_: the fusion step cross-validated on the OOF rows."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB

from skfusion import (
    BayesianModelAverager,
    OOFStacker,
    OOFStackerRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
)
from skfusion.weights import optimized_weights, stacking_weights


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300, n_classes=3, n_informative=6, class_sep=0.6, random_state=0
    )
    return X, y


def _members():
    return [
        ("forest", RandomForestClassifier(n_estimators=30, random_state=0)),
        ("logreg", LogisticRegression(max_iter=1000)),
        ("bayes", GaussianNB()),
    ]


def test_stacker_matches_cross_val_predict_of_its_meta_learner(data):
    X, y = data
    stacker = OOFStacker(_members(), cv=KFold(4)).fit(X, y)
    meta = stacker.oof_predictions_.reshape(len(y), -1)
    expected = cross_val_predict(LogisticRegression(), meta, y, cv=KFold(4))
    assert stacker.fused_cv_score_ == pytest.approx(accuracy_score(y, expected))
    assert stacker.fused_cv_score_ <= stacker.fused_score_


def test_blender_matches_a_loop_over_folds(data):
    X, y = data
    blender = WeightedBlender(
        _members(), weighting="optimize", cv=KFold(4), scoring="neg_log_loss"
    ).fit(X, y)
    oof = blender.oof_predictions_
    pooled = np.empty((len(y), 3))
    for train, test in KFold(4).split(X):
        w = optimized_weights(list(oof[train].transpose(1, 0, 2)), y[train])
        pooled[test] = np.einsum("nmk,m->nk", oof[test], w)
    assert blender.fused_cv_score_ == pytest.approx(-log_loss(y, pooled), rel=1e-6)


def test_averager_matches_a_loop_over_folds(data):
    X, y = data
    averager = BayesianModelAverager(_members(), cv=KFold(4)).fit(X, y)
    oof = averager.oof_predictions_
    lpd = np.log(np.maximum(oof[np.arange(len(y)), :, y], 1e-300))
    pooled = np.empty((len(y), 3))
    for train, test in KFold(4).split(X):
        w = stacking_weights(lpd[train])
        pooled[test] = np.einsum("nmk,m->nk", oof[test], w)
    assert averager.fused_cv_score_ == pytest.approx(accuracy_score(y, pooled.argmax(axis=1)))


def test_hold_out_cv_scores_five_folds_of_the_hold_out_rows(data):
    X, y = data
    stacker = OOFStacker(_members(), cv=0.4, random_state=0).fit(X, y)
    rows = ~np.isnan(stacker.oof_predictions_[:, 0, 0])
    meta, y_rows = stacker.oof_predictions_[rows].reshape(rows.sum(), -1), y[rows]
    expected = cross_val_predict(LogisticRegression(), meta, y_rows, cv=StratifiedKFold(5))
    assert stacker.fused_cv_score_ == pytest.approx(accuracy_score(y_rows, expected))


def _noise(seed, n=300, n_models=30):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((n, n_models)) < 0.5, 0.2, 0.8), rng.integers(0, 2, n)


@pytest.mark.parametrize(
    "cls, params",
    [
        (WeightedBlender, {"weighting": "optimize"}),
        (WeightedBlender, {"weighting": "caruana"}),
        (OOFStacker, {}),
    ],
)
def test_on_noise_the_in_sample_score_flatters_and_the_cv_score_does_not(cls, params):
    best, in_sample, cross_validated = [], [], []
    for seed in range(5):
        predictions, y = _noise(seed)
        fuser = cls.from_predictions(predictions, y, **params)
        best.append(max(fuser.member_scores_.values()))
        in_sample.append(fuser.fused_score_)
        cross_validated.append(fuser.fused_cv_score_)
    # Members that know nothing: fitting their blend on the rows it is scored
    # on beats the best of them; fitting it on other rows does not.
    assert np.mean(in_sample) > np.mean(best) > np.mean(cross_validated)
    assert np.mean(cross_validated) < 0.55


def test_informative_members_keep_their_score(data):
    X, y = data
    blender = WeightedBlender(_members(), weighting="optimize").fit(X, y)
    assert abs(blender.fused_cv_score_ - blender.fused_score_) < 0.03


def test_given_weights_learn_nothing_so_both_scores_agree(data):
    X, y = data
    blender = WeightedBlender(_members(), weights=[1, 2, 1], scoring="neg_log_loss").fit(X, y)
    assert blender.fused_cv_score_ == pytest.approx(blender.fused_score_)
    without_oof = WeightedBlender(_members()).fit(X, y)
    assert without_oof.fused_score_ is None and without_oof.fused_cv_score_ is None


def test_computed_once_kept_by_pickle_and_reset_by_fit(data, monkeypatch):
    X, y = data
    stacker = OOFStacker(_members(), cv=3).fit(X, y)
    calls = []
    original = OOFStacker._fold_fusion
    monkeypatch.setattr(
        OOFStacker, "_fold_fusion", lambda self, *a: calls.append(1) or original(self, *a)
    )
    first = stacker.fused_cv_score_
    assert stacker.fused_cv_score_ == first and len(calls) == 3
    assert pickle.loads(pickle.dumps(stacker)).fused_cv_score_ == first and len(calls) == 3
    refit = stacker.fit(X[:200], y[:200]).fused_cv_score_
    assert len(calls) == 6 and refit != first


def test_several_metrics_and_outputs():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    stacker = OOFStacker(
        [("forest", RandomForestClassifier(n_estimators=20, random_state=0))],
        cv=3,
        scoring=["accuracy", "f1_micro"],
    )
    # A multilabel y: one meta-learner per output, each refit per fold.
    scores = stacker.fit(X, Y).fused_cv_score_
    assert set(scores) == {"accuracy", "f1_micro"} and 0 < scores["f1_micro"] <= 1
    y2 = np.column_stack([X[:, 0] + X[:, 1], X[:, 2] - X[:, 3]])
    members = [("ridge", Ridge()), ("strong", Ridge(alpha=100.0))]
    blender = WeightedBlenderRegressor(
        members, weighting="optimize", cv=KFold(4), scoring="neg_mean_squared_error"
    ).fit(X, y2)
    oof = blender.oof_predictions_
    pooled = np.empty_like(y2)
    for train, test in KFold(4).split(X):
        # One weight vector for both outputs: rows of every output stacked.
        stacked = [oof[train][:, m].reshape(-1) for m in range(2)]
        w = optimized_weights(stacked, y2[train].reshape(-1), target_type="continuous")
        pooled[test] = np.einsum("nmt,m->nt", oof[test], w)
    assert blender.fused_cv_score_ == pytest.approx(-mean_squared_error(y2, pooled), rel=1e-6)
    regressor = OOFStackerRegressor(members, cv=3).fit(X, y2)
    assert regressor.fused_cv_score_ <= regressor.fused_score_
