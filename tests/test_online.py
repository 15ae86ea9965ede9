"""OnlineBlender / OnlineBlenderRegressor against a naive per-row recursion,
on drifting streams, and as sklearn estimators (pickle, clone, search)."""

import math
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification, make_regression
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
from sklearn.metrics import accuracy_score, make_scorer, mean_pinball_loss, mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import OnlineBlender, OnlineBlenderRegressor

PINBALL_80 = make_scorer(mean_pinball_loss, alpha=0.8, greater_is_better=False)


def _classification_stream(n=300, n_classes=3, seed=0):
    X, y = make_classification(
        n_samples=n + 200,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=seed,
    )
    members = [
        ("lr", FrozenEstimator(LogisticRegression(max_iter=500).fit(X[:200], y[:200]))),
        ("nb", FrozenEstimator(GaussianNB().fit(X[:200], y[:200]))),
        # Probabilities of exactly 0 and 1: the floored log-loss is exercised.
        ("tree", FrozenEstimator(DecisionTreeClassifier(max_depth=3).fit(X[:200], y[:200]))),
    ]
    return members, X[200:], y[200:]


def _regression_stream(n=300, seed=0, n_targets=1):
    X, y = make_regression(
        n_samples=n + 200, n_features=5, noise=10.0, n_targets=n_targets, random_state=seed
    )
    members = [
        ("ridge", FrozenEstimator(Ridge().fit(X[:200], y[:200]))),
        ("tree", FrozenEstimator(DecisionTreeRegressor(max_depth=3).fit(X[:200], y[:200]))),
        ("shrunk", FrozenEstimator(Ridge(alpha=500.0).fit(X[:200], y[:200]))),
    ]
    return members, X[200:], y[200:]


# -- the naive recursion: plain Python, one row at a time ------------------------------
def _row_loss(loss, output, target, classes=None, quantile=0.5):
    if loss == "log_loss":
        return -math.log(max(output[list(classes).index(target)], 1e-15))
    if loss == "brier":
        onehot = [float(c == target) for c in classes]
        total = sum((p - o) ** 2 for p, o in zip(output, onehot))
        return total / 2 if len(classes) == 2 else total
    if loss == "zero_one":
        return float(classes[int(np.argmax(output))] != target)
    errors = [t - o for t, o in zip(np.atleast_1d(target), np.atleast_1d(output))]
    if loss == "squared_error":
        per_output = [e * e for e in errors]
    elif loss == "absolute_error":
        per_output = [abs(e) for e in errors]
    else:
        per_output = [max(quantile * e, (quantile - 1) * e) for e in errors]
    return sum(per_output) / len(per_output)


def _naive(members, X, y, *, loss, weighting, rate="auto", share=0.001, horizon=None,
           classes=None, sample_weight=None, quantile=0.5):  # fmt: skip
    n_members = len(members)
    weights = [1.0 / n_members] * n_members
    history, cumulative, fused_total = [], [0.0] * n_members, 0.0
    low, high, seen = math.inf, -math.inf, 0.0
    for i in range(len(y)):
        row = X[i : i + 1]
        if classes is not None:
            outputs = [list(est.predict_proba(row)[0]) for _, est in members]
        else:
            outputs = [np.ravel(est.predict(row)).tolist() for _, est in members]
        sw = 1.0 if sample_weight is None else float(sample_weight[i])
        history.append(list(weights))
        fused = [sum(w * o[j] for w, o in zip(weights, outputs)) for j in range(len(outputs[0]))]
        losses = [_row_loss(loss, o, y[i], classes, quantile) for o in outputs]
        fused_total += sw * _row_loss(loss, fused, y[i], classes, quantile)
        cumulative = [c + sw * v for c, v in zip(cumulative, losses)]
        seen += sw
        values = [*np.atleast_1d(y[i]).tolist(), *(v for o in outputs for v in o)]
        low, high = min(low, *values), max(high, *values)
        span = (high - low) or 1.0
        if weighting is None:
            eta = 0.0
        elif rate != "auto":
            eta = rate
        elif loss == "log_loss":
            eta = 1.0
        elif loss == "brier":
            eta = 0.5 if len(classes) == 2 else 0.25
        elif loss == "squared_error":
            eta = 1 / (2 * span**2)
        else:
            bound = 1.0 if loss == "zero_one" else span * max(quantile, 1 - quantile)
            if loss == "absolute_error":
                bound = span
            horizon_now = horizon or 2.0 ** math.floor(math.log2(max(seen, 1.0)))
            eta = math.sqrt(8 * math.log(n_members) / horizon_now) / bound
        weights = [w * math.exp(-eta * sw * v) for w, v in zip(weights, losses)]
        weights = [w / sum(weights) for w in weights]
        if weighting == "fixed_share":  # a row of weight s shares as s rows would
            row_share = 1 - (1 - share) ** sw
            weights = [(1 - row_share) * w + row_share / n_members for w in weights]
    return np.array(history), np.array(weights), np.array(cumulative), fused_total


CLASSIFIER_OBJECTIVES = {None: "log_loss", "neg_brier_score": "brier", "accuracy": "zero_one"}
REGRESSOR_OBJECTIVES = {
    None: "squared_error",
    "neg_mean_absolute_error": "absolute_error",
    PINBALL_80: "pinball",
}


@pytest.mark.parametrize("weighting", ["hedge", "fixed_share", None])
@pytest.mark.parametrize("objective", list(CLASSIFIER_OBJECTIVES))
@pytest.mark.parametrize("rate", ["auto", 0.7])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_equals_the_naive_recursion(weighting, objective, rate, n_classes):
    members, X, y = _classification_stream(n_classes=n_classes)
    blender = OnlineBlender(
        members, weighting=weighting, objective=objective, learning_rate=rate, share=0.05
    )
    blender.fit(X[:100], y[:100]).partial_fit(X[100:], y[100:])
    history, weights, cumulative, fused = _naive(
        members, X, y, loss=CLASSIFIER_OBJECTIVES[objective], weighting=weighting, rate=rate,
        share=0.05, classes=blender.classes_,
    )  # fmt: skip
    np.testing.assert_allclose(blender.weights_history_, history, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blender.weights_, weights, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blender.cumulative_losses_, cumulative, rtol=1e-12)
    np.testing.assert_allclose(blender.fused_cumulative_loss_, fused, rtol=1e-12)
    assert blender.regret_ == pytest.approx(fused - cumulative.min(), rel=1e-12, abs=1e-9)
    np.testing.assert_array_equal(blender.history_rows_, np.arange(len(y)))


@pytest.mark.parametrize("weighting", ["hedge", "fixed_share"])
@pytest.mark.parametrize("objective", list(REGRESSOR_OBJECTIVES), ids=["sq", "abs", "pinball"])
@pytest.mark.parametrize("horizon", [None, 250])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_regressor_equals_the_naive_recursion(weighting, objective, horizon, n_targets):
    members, X, y = _regression_stream(n_targets=n_targets)
    sample_weight = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    sample_weight[0] = 1.0
    blender = OnlineBlenderRegressor(
        members, weighting=weighting, objective=objective, horizon=horizon, batch_size=64
    ).fit(X, y, sample_weight=sample_weight)
    history, weights, cumulative, fused = _naive(
        members, X, y, loss=REGRESSOR_OBJECTIVES[objective], weighting=weighting,
        horizon=horizon, sample_weight=sample_weight, quantile=0.8,
    )  # fmt: skip
    np.testing.assert_allclose(blender.weights_history_, history, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blender.weights_, weights, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blender.cumulative_losses_, cumulative, rtol=1e-12)
    np.testing.assert_allclose(blender.fused_cumulative_loss_, fused, rtol=1e-12)


# -- drift: fixed share tracks a switch, Hedge does not -------------------------------
class _Constant(ClassifierMixin, BaseEstimator):
    """A fitted member that gives every row the same probability of class 1."""

    def __init__(self, p=0.5):
        self.p = p

    def fit(self, X, y):
        return self

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return np.array([0, 1])

    def predict_proba(self, X):
        return np.tile([1 - self.p, self.p], (len(X), 1))

    def predict(self, X):
        return (np.full(len(X), self.p) > 0.5).astype(int)


def _switching_stream(n=2000, switch=1000, seed=0):
    rng = np.random.default_rng(seed)
    truth = np.where(np.arange(n) < switch, 0.85, 0.15)  # P(y=1): member "high", then "low"
    y = (rng.random(n) < truth).astype(int)
    members = [("high", _Constant(0.85)), ("mid", _Constant(0.5)), ("low", _Constant(0.15))]
    return members, np.zeros((n, 1)), y


def test_fixed_share_tracks_a_switch_within_its_bound_and_hedge_does_not():
    members, X, y = _switching_stream()
    share, n, switch, n_members = 0.002, len(y), 1000, 3
    fixed = OnlineBlender(members, weighting="fixed_share", share=share).fit(X, y)
    hedge = OnlineBlender(members, weighting="hedge").fit(X, y)
    # The best sequence with one switch: "high" then "low" (log-loss, rate 1).
    p_one = np.where(np.arange(n) < switch, 0.85, 0.15)
    best_sequence = -np.log(np.where(y == 1, p_one, 1 - p_one)).sum()
    # Herbster & Warmuth: the fixed-share prior gives that sequence probability
    # at least (1/M) (share/M) (1 - share)^(T-2); with rate 1 the mixture's
    # log-loss exceeds the sequence's by at most minus its log.
    bound = best_sequence + math.log(n_members) + math.log(n_members / share)
    bound += (n - 2) * -math.log(1 - share)
    assert fixed.fused_cumulative_loss_ <= bound
    assert hedge.fused_cumulative_loss_ > bound  # no share: it does not track
    # 150 rows after the switch fixed share has moved to "low", Hedge has not.
    row = np.searchsorted(fixed.history_rows_, switch + 150)
    assert fixed.weights_history_[row, 2] > 0.9
    assert hedge.weights_history_[row, 2] < 0.01
    # Before the switch both had settled on "high".
    assert fixed.weights_history_[switch - 1, 0] > 0.9
    assert hedge.weights_history_[switch - 1, 0] > 0.99


def test_hedge_equals_its_closed_form_and_its_regret_bound():
    members, X, y = _classification_stream(n=500)
    sample_weight = np.random.default_rng(1).random(len(y)) * 2
    for rate in (0.3, "auto"):
        hedge = OnlineBlender(members, weighting="hedge", learning_rate=rate, batch_size=37)
        hedge.fit(X, y, sample_weight=sample_weight)
        eta = 1.0 if rate == "auto" else rate  # the log-loss's auto rate is 1
        closed = np.exp(-eta * (hedge.cumulative_losses_ - hedge.cumulative_losses_.min()))
        np.testing.assert_allclose(hedge.weights_, closed / closed.sum(), rtol=1e-10)
    # Rate 1 on the log-loss is Bayes' mixture: regret at most log(M) (rows
    # of weight above 1 would make the rate above 1).
    hedge = OnlineBlender(members, weighting="hedge").fit(X, y)
    assert 0 < hedge.regret_ <= math.log(3) + 1e-9


def test_squared_error_regret_is_within_the_exp_concave_bound():
    members, X, y = _regression_stream(n=600, seed=3)
    hedge = OnlineBlenderRegressor(members, weighting="hedge").fit(X, y)
    outputs = np.column_stack([est.predict(X) for _, est in members])
    span = max(y.max(), outputs.max()) - min(y.min(), outputs.min())
    assert hedge.regret_ <= 2 * span**2 * math.log(3)


# -- the stream in pieces -------------------------------------------------------------
@pytest.mark.parametrize("weighting", ["hedge", "fixed_share"])
def test_batches_and_calls_do_not_change_the_weights(weighting):
    members, X, y = _classification_stream(n=400)
    whole = OnlineBlender(members, weighting=weighting, batch_size=None).fit(X, y)
    pieces = OnlineBlender(members, weighting=weighting, batch_size=7, record_every=5)
    for start, stop in [(0, 1), (1, 50), (50, 51), (51, 400)]:
        pieces.partial_fit(X[start:stop], y[start:stop])
    np.testing.assert_allclose(pieces.weights_, whole.weights_, rtol=1e-12)
    np.testing.assert_allclose(pieces.weights_history_, whole.weights_history_[::5], rtol=1e-12)
    np.testing.assert_array_equal(pieces.history_rows_, np.arange(0, 400, 5))
    assert pieces.n_samples_seen_ == 400
    # fit starts anew
    again = pieces.fit(X[:10], y[:10])
    assert again.n_samples_seen_ == 10 and len(again.weights_history_) == 2


def test_a_row_of_weight_two_is_the_row_twice_for_hedge():
    members, X, y = _classification_stream(n=60)
    sample_weight = np.ones(len(y))
    sample_weight[::3] = 2
    weighted = OnlineBlender(members, weighting="hedge", learning_rate=0.5)
    weighted.fit(X, y, sample_weight=sample_weight)
    rows = np.repeat(np.arange(len(y)), sample_weight.astype(int))
    repeated = OnlineBlender(members, weighting="hedge", learning_rate=0.5).fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-12)
    np.testing.assert_allclose(weighted.cumulative_losses_, repeated.cumulative_losses_)


# -- members that learn -----------------------------------------------------------------
class _Memoriser(ClassifierMixin, BaseEstimator):
    """Certain of the label of every row it has learnt, uniform on the others:
    a member that saw a row before predicting it would have loss 0 there."""

    def partial_fit(self, X, y, classes=None):
        self.classes_ = np.asarray(classes)
        self.seen_ = {**getattr(self, "seen_", {}), **{tuple(r): t for r, t in zip(X, y)}}
        return self

    def fit(self, X, y):
        return self.partial_fit(X, y, np.unique(y))

    def predict_proba(self, X):
        proba = np.full((len(X), len(self.classes_)), 1 / len(self.classes_))
        for i, row in enumerate(map(tuple, X)):
            if row in self.seen_:
                proba[i] = self.classes_ == self.seen_[row]
        return proba

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def test_members_predict_each_batch_before_learning_it():
    X, y = make_classification(n_samples=400, random_state=0)
    members = [("memo", _Memoriser()), ("sgd", SGDClassifier(loss="log_loss", random_state=0))]
    blender = OnlineBlender(members, update_members=True, batch_size=50).fit(X, y)
    # The first batch only trains (unfitted members); every later row is new
    # to the memoriser when it is scored: log(2) each, never 0.
    np.testing.assert_array_equal(blender.history_rows_, np.arange(50, 400))
    assert blender.n_samples_seen_ == 400
    assert blender.cumulative_losses_[0] == pytest.approx(350 * math.log(2))
    # It did learn them: after the stream it knows every row.
    np.testing.assert_array_equal(blender.named_estimators_.memo.predict(X), y)
    assert members[0][1].__dict__.keys() == _Memoriser().__dict__.keys()  # the given one


def test_fitted_members_that_learn_are_copies():
    X, y = make_classification(n_samples=300, random_state=0)
    given = SGDClassifier(loss="log_loss", random_state=0).fit(X[:100], y[:100])
    coef = given.coef_.copy()
    blender = OnlineBlender([("sgd", given), ("nb", GaussianNB())], update_members=True)
    blender.set_params(batch_size=50).fit(X[100:], y[100:])
    np.testing.assert_array_equal(given.coef_, coef)
    assert not np.array_equal(blender.named_estimators_.sgd.coef_, coef)
    # Without update_members the given fitted members are used as they are.
    frozen = OnlineBlender([("sgd", given)]).fit(X, y)
    assert frozen.estimators_[0] is given


def test_pickled_mid_stream_resumes_identically():
    X, y = make_regression(n_samples=600, n_features=4, noise=5.0, random_state=0)
    members = [("a", SGDRegressor(random_state=0)), ("b", SGDRegressor(eta0=1e-3, random_state=1))]
    blender = OnlineBlenderRegressor(members, update_members=True, batch_size=40)
    blender.fit(X[:300], y[:300])
    resumed = pickle.loads(pickle.dumps(blender))
    blender.partial_fit(X[300:], y[300:])
    resumed.partial_fit(X[300:], y[300:])
    np.testing.assert_array_equal(resumed.weights_, blender.weights_)
    np.testing.assert_array_equal(resumed.weights_history_, blender.weights_history_)
    np.testing.assert_array_equal(resumed.history_rows_, blender.history_rows_)
    np.testing.assert_array_equal(resumed.estimators_[0].coef_, blender.estimators_[0].coef_)
    assert resumed.fused_cumulative_loss_ == blender.fused_cumulative_loss_
    np.testing.assert_array_equal(resumed.predict(X[:5]), blender.predict(X[:5]))


# -- sklearn use -------------------------------------------------------------------------
def test_clone_pipeline_and_grid_search():
    members, X, y = _classification_stream(n=300)
    blender = OnlineBlender(members)
    cloned = clone(blender).fit(X, y)  # FrozenEstimator members survive clone
    np.testing.assert_allclose(cloned.weights_, blender.fit(X, y).weights_)
    search = GridSearchCV(
        OnlineBlender(members), {"share": [1e-3, 0.3], "weighting": ["hedge", "fixed_share"]},
        cv=KFold(3), scoring="neg_log_loss",
    ).fit(X, y)  # fmt: skip
    assert search.best_params_["share"] in (1e-3, 0.3)
    X_raw, y_raw = make_classification(n_samples=300, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        OnlineBlender(
            [("sgd", SGDClassifier(loss="log_loss", random_state=0)), ("nb", GaussianNB())],
            update_members=True,
            batch_size=50,
        ),
    ).fit(X_raw, y_raw)
    assert pipe.score(X_raw, y_raw) > 0.7


def test_string_labels_frames_and_float32():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(n_samples=300, n_features=4, random_state=0)
    labels = np.array(["no", "yes"])[y]
    frame = pd.DataFrame(X.astype(np.float32), columns=list("abcd"))
    members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    members = [(n, FrozenEstimator(est.fit(frame[:100], labels[:100]))) for n, est in members]
    blender = OnlineBlender(members).fit(frame[100:], labels[100:])
    assert set(blender.predict(frame)) <= {"no", "yes"}
    np.testing.assert_array_equal(blender.feature_names_in_, list("abcd"))
    assert blender.transform(frame).shape == (300, 4)
    assert list(blender.get_feature_names_out()) == ["lr__no", "lr__yes", "nb__no", "nb__yes"]
    with pytest.raises(ValueError, match="feature names"):
        blender.predict(frame.rename(columns={"a": "z"}))


def test_zero_one_objective_lets_members_without_probabilities_vote():
    X, y = make_classification(n_samples=300, random_state=0)
    members = [("sgd", FrozenEstimator(SGDClassifier(random_state=0).fit(X[:100], y[:100])))]
    members.append(("nb", FrozenEstimator(GaussianNB().fit(X[:100], y[:100]))))
    blender = OnlineBlender(members, objective="accuracy").fit(X[100:], y[100:])
    assert not hasattr(blender, "predict_proba")
    expected = [
        (est.predict(X[100:]) != y[100:]).sum() for _, est in members
    ]  # the 0-1 losses, counted
    np.testing.assert_array_equal(blender.cumulative_losses_, expected)
    with pytest.raises(AttributeError, match="predict_proba"):
        OnlineBlender(members).fit(X, y)


# -- bad input: a clear error, nothing lost ------------------------------------------
def test_bad_input_is_named():
    X, y = make_classification(n_samples=200, random_state=0)
    fitted = FrozenEstimator(GaussianNB().fit(X, y))
    with pytest.raises(ValueError, match="'nb' .* is not fitted"):
        OnlineBlender([("nb", GaussianNB())]).fit(X, y)
    with pytest.raises(ValueError, match="'lr' .* has no partial_fit"):
        OnlineBlender([("lr", LogisticRegression())], update_members=True).fit(X, y)
    with pytest.raises(ValueError, match="classes must be passed"):
        OnlineBlender([("nb", GaussianNB())], update_members=True).partial_fit(X, y)
    blender = OnlineBlender([("nb", fitted)]).partial_fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        blender.partial_fit(X[:3], [0, 7, 1])
    with pytest.raises(ValueError, match="mean of per-row losses"):
        OnlineBlender([("nb", fitted)], objective="roc_auc").fit(X, y)
    with pytest.raises(ValueError, match="'nb' was fitted on classes"):
        OnlineBlender([("nb", fitted)]).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="multilabel"):
        OnlineBlender([("nb", fitted)]).fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="Unknown label type"):
        OnlineBlender([("nb", fitted)]).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="sample_weight"):
        OnlineBlender([("nb", fitted)]).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="X has 19 features"):
        blender.partial_fit(X[:, 1:], y)
    with pytest.raises(TypeError, match="'memo' .* does not take sample_weight"):
        OnlineBlender([("memo", _Memoriser())], update_members=True, batch_size=50).fit(
            X, y, sample_weight=np.ones(len(y))
        )
    Xr, yr = make_regression(n_samples=100, n_features=3, random_state=0)
    regressor = OnlineBlenderRegressor([("r", FrozenEstimator(Ridge().fit(Xr, yr)))]).fit(Xr, yr)
    with pytest.raises(ValueError, match="2 output"):
        regressor.partial_fit(Xr, np.column_stack([yr, yr]))
    with pytest.raises(ValueError, match="not a regressor"):
        OnlineBlenderRegressor([("nb", fitted)]).fit(X, y)


def test_messages_name_the_objective_as_given():
    X, y = make_classification(n_samples=100, random_state=0)
    hinge = FrozenEstimator(SGDClassifier(random_state=0).fit(X, y))  # no predict_proba
    with pytest.raises(AttributeError, match=r"objective='neg_brier_score' \(the Brier score\)"):
        OnlineBlender([("svm", hinge)], objective="neg_brier_score").fit(X, y)


def test_member_nan_outputs_are_named():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)

    class _NaN(Ridge):
        def predict(self, X):
            out = super().predict(X)
            out[3] = np.nan
            return out

    members = [
        ("ok", FrozenEstimator(Ridge().fit(X, y))),
        ("bad", FrozenEstimator(_NaN().fit(X, y))),
    ]
    with pytest.raises(ValueError, match="'bad' returned non-finite"):
        OnlineBlenderRegressor(members).fit(X, y)


def test_member_report_of_a_stream():
    pytest.importorskip("pandas")
    from skfusion.inspection import member_report

    members, X, y = _classification_stream(n=200)
    blender = OnlineBlender(members).fit(X, y)
    report = member_report(blender)
    assert list(report.index) == ["lr", "nb", "tree", "fused"]
    np.testing.assert_allclose(report["weight"][:3], blender.weights_)
    np.testing.assert_allclose(report["cumulative_loss"][:3], blender.cumulative_losses_)
    assert report.loc["fused", "cumulative_loss"] == blender.fused_cumulative_loss_
    assert report.loc["fused", "regret"] == pytest.approx(blender.regret_)
    expected_mean = _naive(members, X, y, loss="log_loss", weighting="fixed_share",
                           classes=blender.classes_)[2] / len(y)  # fmt: skip
    np.testing.assert_allclose(report["mean_loss"][:3], expected_mean, rtol=1e-12)


@pytest.mark.parametrize("weighting", ["hedge", "fixed_share"])
def test_rows_of_weight_zero_change_nothing(weighting):
    members, X, y = _classification_stream(n=300)
    sample_weight = np.tile([1.0, 0.0, 2.0], 100)
    weighted = OnlineBlender(members, weighting=weighting, share=0.05)
    weighted.fit(X, y, sample_weight=sample_weight)
    kept = sample_weight > 0
    without = OnlineBlender(members, weighting=weighting, share=0.05)
    without.fit(X[kept], y[kept], sample_weight=sample_weight[kept])
    np.testing.assert_allclose(weighted.weights_, without.weights_, rtol=1e-12)
    np.testing.assert_allclose(weighted.cumulative_losses_, without.cumulative_losses_)
    # A batch that weighs nothing is accepted by partial_fit and changes nothing.
    before = weighted.weights_.copy()
    weighted.partial_fit(X[:5], y[:5], sample_weight=np.zeros(5))
    np.testing.assert_allclose(weighted.weights_, before, rtol=1e-14)
    assert weighted.n_samples_seen_ == 305


class _NaNOnNegativeFirstColumn(Ridge):
    """NaN for rows whose first feature is below -2.5."""

    def predict(self, X):
        return np.where(X[:, 0] < -2.5, np.nan, super().predict(X))


def test_a_batch_that_fails_leaves_the_weights_as_they_were():
    X, y = make_regression(n_samples=200, n_features=3, noise=5.0, random_state=0)
    members = [
        ("ok", FrozenEstimator(Ridge().fit(X, y))),
        ("flaky", FrozenEstimator(_NaNOnNegativeFirstColumn(alpha=50.0).fit(X, y))),
    ]
    good = X[:, 0] > -2.5
    X_bad = X[~good][:1]
    blender = OnlineBlenderRegressor(members, objective="neg_mean_absolute_error")
    blender.fit(X[good][:100], y[good][:100])
    state = pickle.dumps(blender)
    with pytest.raises(ValueError, match="'flaky' returned non-finite"):
        blender.partial_fit(np.vstack([X[good][100:110], X_bad]), np.append(y[good][100:110], 0))
    untouched = pickle.loads(state)
    for fitted in (blender, untouched):
        fitted.partial_fit(X[good][100:], y[good][100:])
    np.testing.assert_array_equal(blender.weights_, untouched.weights_)
    np.testing.assert_array_equal(blender.weights_history_, untouched.weights_history_)
    assert blender.n_samples_seen_ == untouched.n_samples_seen_


def test_members_stay_the_callers_when_update_members_changes_mid_stream():
    X, y = make_classification(n_samples=300, random_state=0)
    given = SGDClassifier(loss="log_loss", random_state=0).fit(X[:100], y[:100])
    coef = given.coef_.copy()
    blender = OnlineBlender([("sgd", given)]).fit(X[100:200], y[100:200])
    blender.set_params(update_members=True).partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(given.coef_, coef)


def test_fit_warns_when_every_row_only_trained_the_members():
    X, y = make_classification(n_samples=100, random_state=0)
    members = [("nb", GaussianNB()), ("sgd", SGDClassifier(loss="log_loss", random_state=0))]
    with pytest.warns(UserWarning, match="before any weight was learnt"):
        OnlineBlender(members, update_members=True).fit(X, y)


def test_metadata_routing_passes_sample_weight():
    import sklearn

    members, X, y = _classification_stream(n=300)
    sample_weight = np.random.default_rng(0).random(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        blender = OnlineBlender(members).set_fit_request(sample_weight=True)
        blender.set_score_request(sample_weight=False)
        search = GridSearchCV(blender, {"share": [1e-3, 0.1]}, cv=KFold(3))
        search.fit(X, y, sample_weight=sample_weight)
        routed = search.best_estimator_
    direct = OnlineBlender(members, share=routed.share).fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(routed.weights_, direct.weights_)


def test_objective_scorers_are_read_whole():
    members, X, y = _regression_stream(n=50)
    for objective, match in [
        (make_scorer(mean_pinball_loss, alpha=1.5, greater_is_better=False), "in \\(0, 1\\)"),
        (make_scorer(mean_pinball_loss, alpha=0.5), "greater_is_better=False"),
        (make_scorer(mean_squared_error, greater_is_better=False, multioutput="raw_values"),
         "no arguments"),
    ]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            OnlineBlenderRegressor(members, objective=objective).fit(X, y)
    classifiers, Xc, yc = _classification_stream(n=50)
    with pytest.raises(ValueError, match="greater_is_better=True"):
        OnlineBlender(
            classifiers, objective=make_scorer(accuracy_score, greater_is_better=False)
        ).fit(Xc, yc)


def test_targets_and_classes_are_checked_on_every_batch():
    members, X, y = _regression_stream(n=50)
    blender = OnlineBlenderRegressor(members).fit(X, y)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="y"):
        blender.partial_fit(X, y_nan)
    classifiers, Xc, yc = _classification_stream(n=50)
    stream = OnlineBlender(classifiers).fit(Xc, yc)
    with pytest.raises(ValueError, match="not the stream's classes_"):
        stream.partial_fit(Xc, yc, classes=[0, 1, 2, 3])


def test_from_predictions_of_a_stream_has_no_groups():
    y = np.array([0, 1, 1, 0, 1, 0])
    good = np.array([0.2, 0.8, 0.7, 0.3, 0.9, 0.1])
    with pytest.raises(ValueError, match="no folds"):
        OnlineBlender.from_predictions([good, 1 - good], y, groups=[0, 0, 1, 1, 2, 2])


# -- the history: bounded by default, exact at the rows it keeps ----------------------------
def _saved_stream(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return y[:, None] + rng.normal(size=(n, 3)) * [0.5, 1.0, 2.0], y


@pytest.mark.parametrize("record_every, stride", [(1, 32), (3, 24)])
def test_history_keeps_the_rows_of_a_doubled_stride_within_max_history(record_every, stride):
    predictions, y = _saved_stream(1000)
    params = dict(weighting="fixed_share", share=0.01, batch_size=7, record_every=record_every)
    pieces = [(0, 1), (1, 137), (137, 138), (138, 700), (700, 1000)]

    def stream(**extra):
        blender = OnlineBlenderRegressor.from_predictions(
            list(predictions[:1].T), y[:1], **params, **extra
        )
        for start, stop in pieces[1:]:
            blender.partial_fit(predictions[start:stop], y[start:stop])
        return blender

    bounded, full = stream(max_history=50), stream(max_history=None)
    # By hand: the multiples of record_every * 2^k below 1000, k the smallest
    # that keeps at most 50 of them (1: 1000, 2: 500, ... 32: 32; 3: 334, ... 24: 42).
    expected = np.arange(0, 1000, stride)
    np.testing.assert_array_equal(bounded.history_rows_, expected)
    np.testing.assert_array_equal(full.history_rows_, np.arange(0, 1000, record_every))
    np.testing.assert_array_equal(
        bounded.weights_history_, full.weights_history_[expected // record_every]
    )
    np.testing.assert_array_equal(bounded.weights_, full.weights_)
    # The same rows, and the same weights there, whatever the calls.
    whole = OnlineBlenderRegressor.from_predictions(
        list(predictions.T), y, **{**params, "batch_size": None}, max_history=50
    )
    np.testing.assert_array_equal(whole.history_rows_, expected)
    np.testing.assert_allclose(whole.weights_history_, bounded.weights_history_, rtol=1e-12)


def test_history_memory_is_flat_over_a_long_stream_by_default():
    predictions, y = _saved_stream(250_000)
    blender = OnlineBlenderRegressor.from_predictions(list(predictions[:1].T), y[:1])
    sizes = []
    for start in range(1, 250_000, 31_250):
        blender.partial_fit(predictions[start : start + 31_250], y[start : start + 31_250])
        sizes.append(len(pickle.dumps(blender)))
    # A naive loop: the smallest power-of-two stride keeping at most 10 000 rows.
    stride = 1
    while len(range(0, 250_000, stride)) > 10_000:
        stride *= 2
    np.testing.assert_array_equal(blender.history_rows_, np.arange(0, 250_000, stride))
    # Flat: from 31 251 rows to 250 000 the pickled blender grows by less than
    # one history of 10 000 rows (keeping every row would add 7 MB of history).
    assert max(sizes) - sizes[0] < 10_000 * 4 * 8
    # At the rows both keep, the weights of a blender that keeps every row.
    full = OnlineBlenderRegressor.from_predictions(
        list(predictions[:1].T), y[:1], max_history=None
    )
    full.partial_fit(predictions[1:31_251], y[1:31_251])
    np.testing.assert_array_equal(full.history_rows_, np.arange(31_251))
    early = blender.history_rows_[blender.history_rows_ <= 31_250]
    assert len(early) > 100
    np.testing.assert_array_equal(
        blender.weights_history_[: len(early)], full.weights_history_[early]
    )


def test_a_clone_of_a_blender_of_saved_predictions_fits():
    predictions, y = _saved_stream(300)
    blender = OnlineBlenderRegressor.from_predictions(list(predictions.T), y, share=0.01)
    for params in ({}, {"update_members": True}):
        again = clone(blender).set_params(**params).fit(predictions, y)
        np.testing.assert_array_equal(again.weights_history_, blender.weights_history_)
        np.testing.assert_array_equal(again.weights_, blender.weights_)
    labels = (y > 0).astype(int)
    proba = 1 / (1 + np.exp(-predictions))
    classifier = OnlineBlender.from_predictions(list(proba.T), labels)
    again = clone(classifier).fit(proba, labels)
    np.testing.assert_array_equal(again.weights_, classifier.weights_)
    np.testing.assert_array_equal(again.predict(proba[:5]), classifier.predict(proba[:5]))


# -- overflow: the culprit named, before the weights change --------------------------------
def _assert_untouched(blender, state):
    untouched = pickle.loads(state)
    np.testing.assert_array_equal(blender.weights_, untouched.weights_)
    np.testing.assert_array_equal(blender.weights_history_, untouched.weights_history_)
    np.testing.assert_array_equal(blender.cumulative_losses_, untouched.cumulative_losses_)
    assert blender.fused_cumulative_loss_ == untouched.fused_cumulative_loss_
    assert blender.n_samples_seen_ == untouched.n_samples_seen_


@pytest.mark.parametrize("n_targets", [1, 2])
def test_an_overflowing_target_is_named_before_the_weights_change(n_targets):
    members, X, y = _regression_stream(n=100, n_targets=n_targets)
    blender = OnlineBlenderRegressor(members).fit(X[:50], y[:50])
    state = pickle.dumps(blender)
    y_big = y[50:].copy()
    y_big[7] = 1e200  # (1e200 - prediction)^2 is above the largest float
    with pytest.raises(ValueError, match=r"^y is too large.*stream row 57.*squared error") as err:
        blender.partial_fit(X[50:], y_big)
    assert "1e+200" in str(err.value) and "overflow" in str(err.value)
    assert "member 0" not in str(err.value)
    _assert_untouched(blender, state)
    # Rows whose squared errors (8e307) are finite but sum above the largest float.
    with pytest.raises(ValueError, match=r"^y is too large.*cumulative losses overflow"):
        blender.partial_fit(X[50:], np.full(y[50:].shape, 9e153))
    _assert_untouched(blender, state)


def test_a_member_that_overflows_is_named_not_y():
    predictions, y = _saved_stream(100)
    blender = OnlineBlenderRegressor.from_predictions(
        list(predictions[:50].T), y[:50], names=["a", "b", "c"]
    )
    state = pickle.dumps(blender)
    wild = predictions[50:].copy()
    wild[3, 1] = -1e200
    with pytest.raises(ValueError, match=r"^Member 'b' predicted -1e\+200 at stream row 53"):
        blender.partial_fit(wild, y[50:])
    _assert_untouched(blender, state)


class _Unbounded(_Constant):
    """Class probabilities far outside [0, 1] on the rows whose first feature is 1."""

    def predict_proba(self, X):
        return np.where(np.asarray(X)[:, :1] == 1, [-1e200, 1e200], super().predict_proba(X))


def test_a_heavy_row_under_fixed_share_shares_everything():
    predictions, y = _saved_stream(60)
    sample_weight = np.ones(60)
    sample_weight[40] = 1e6  # 0.999^1e6 is 0 in float64: a share of 1
    blender = OnlineBlenderRegressor.from_predictions(
        list(predictions.T), y, sample_weight=sample_weight, share=0.001
    )
    # After it the weights are back to equal: (1 - share) w + share / M, share 1.
    np.testing.assert_allclose(blender.weights_history_[41], np.full(3, 1 / 3), rtol=1e-12)
    assert not np.allclose(blender.weights_history_[40], 1 / 3, rtol=1e-3)


# check_sample_weight's own sum of weights of 1e308 warns before the blender refuses them.
@pytest.mark.filterwarnings("ignore:overflow encountered in reduce:RuntimeWarning")
@pytest.mark.parametrize("objective", [None, "neg_brier_score", "accuracy"])
def test_classifier_overflow_names_sample_weight_or_the_member(objective):
    members, X, y = _switching_stream(n=200)
    blender = OnlineBlender(members, objective=objective, weighting="hedge").fit(X[:100], y[:100])
    state = pickle.dumps(blender)
    # Weighted losses above the largest float: weights of NaN before the fix.
    with pytest.raises(ValueError, match=r"^sample_weight is too large.*overflow"):
        blender.partial_fit(X[100:], y[100:], sample_weight=np.full(100, 1e308))
    _assert_untouched(blender, state)
    if objective != "neg_brier_score":
        return
    wild = OnlineBlender([*members, ("wild", _Unbounded())], objective=objective)
    wild.fit(X[:100], y[:100])
    state = pickle.dumps(wild)
    X_wild = X[100:].copy()
    X_wild[5] = 1
    # Refused as no probabilities before any loss is computed.
    with pytest.raises(ValueError, match=r"^Member 'wild': its predict_proba.*not probabilities"):
        wild.partial_fit(X_wild, y[100:])
    _assert_untouched(wild, state)
