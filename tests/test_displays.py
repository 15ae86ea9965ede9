"""The inspection Displays (Agg backend): artists exist and show the computed values."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import (
    BayesianModelAverager,
    OOFStacker,
    WeightedBlender,
    WeightedBlenderRegressor,
)
from skfusion.inspection import (
    ContributionDisplay,
    DiversityDisplay,
    SelectionPathDisplay,
    WeightsDisplay,
    member_contributions,
    per_sample_contributions,
)
from skfusion.metrics import pairwise_diversity

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

X, Y = load_iris(return_X_y=True)
MEMBERS = [
    ("lr", LogisticRegression(max_iter=1000)),
    ("nb", GaussianNB()),
    ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_weights_display_bars_are_the_weights_with_their_spread():
    fuser = BayesianModelAverager(MEMBERS, random_state=0).fit(X, Y)
    display = WeightsDisplay.from_estimator(fuser)
    np.testing.assert_allclose([b.get_height() for b in display.bars_], fuser.weights_)
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["lr", "nb", "tree"]
    # Error bars span weight +- std.
    segments = display.bars_.errorbar.lines[2][0].get_segments()
    spans = [seg[1][1] - seg[0][1] for seg in segments]
    np.testing.assert_allclose(spans, 2 * fuser.weights_std_)
    assert display.figure_ is display.ax_.figure


def test_weights_display_from_predictions_learns_the_blenders_weights():
    fitted = WeightedBlender(MEMBERS, weighting="optimize").fit(X, Y)
    display = WeightsDisplay.from_predictions(
        fitted.oof_predictions_, Y, names=["lr", "nb", "tree"]
    )
    np.testing.assert_allclose([b.get_height() for b in display.bars_], fitted.weights_, atol=1e-6)
    with pytest.raises(ValueError, match="no weights_"):
        WeightsDisplay.from_estimator(OOFStacker(MEMBERS).fit(X, Y))


def test_contribution_display_bars_are_the_shapley_values_in_order():
    fuser = WeightedBlender(MEMBERS, weighting="optimize", scoring="neg_log_loss").fit(X, Y)
    _, ax = plt.subplots()
    display = ContributionDisplay.from_estimator(fuser, ax=ax)
    assert display.ax_ is ax
    shapley = member_contributions(fuser).shapley
    widths = [b.get_width() for b in display.bars_]
    np.testing.assert_allclose(widths, shapley[display.order_])
    assert np.all(np.diff(widths) >= 0)
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == [["lr", "nb", "tree"][m] for m in display.order_]


def test_contribution_waterfall_ends_at_the_rows_output():
    fuser = OOFStacker(MEMBERS).fit(X, Y)
    display = ContributionDisplay.from_estimator(fuser, X, sample=60)
    parts = per_sample_contributions(fuser, X[60:61])
    column = int(np.argmax(parts.output[0]))
    last = display.bars_[-1]
    end = last.get_x() + last.get_width()
    assert end == pytest.approx(parts.output[0, column])
    first = display.bars_[0]
    assert first.get_x() == pytest.approx(parts.base[0, column])


def test_diversity_display_orders_alike_members_together():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    noisy = [np.where(rng.random(500) < 0.8, y, 1 - y) for _ in range(3)]
    twin = noisy[0].copy()
    twin[:5] = 1 - twin[:5]
    labels = [noisy[0], noisy[1], noisy[2], twin]
    display = DiversityDisplay.from_predictions(labels, y, names=list("abcd"))
    matrix = pairwise_diversity(labels, y)
    order = display.order_
    assert sorted(order) == [0, 1, 2, 3]
    np.testing.assert_allclose(display.image_.get_array(), matrix[np.ix_(order, order)])
    position = {m: i for i, m in enumerate(order)}
    assert abs(position[0] - position[3]) == 1  # the near-copies are neighbours


def test_diversity_display_of_a_regressor_is_residual_correlation():
    Xr, yr = load_diabetes(return_X_y=True)
    fuser = WeightedBlenderRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))],
        weighting="optimize",
    ).fit(Xr, yr)
    display = DiversityDisplay.from_estimator(fuser)
    residuals = [fuser.oof_predictions_[:, m] - yr for m in range(2)]
    np.testing.assert_allclose(display.image_.get_array(), np.corrcoef(residuals))
    with pytest.raises(ValueError, match="residuals"):
        DiversityDisplay.from_estimator(fuser, measure="q_statistic")


def test_selection_path_display_plots_the_pick_scores():
    fuser = WeightedBlender(MEMBERS, weighting="caruana", n_iter=8).fit(X, Y)
    display = SelectionPathDisplay.from_estimator(fuser)
    np.testing.assert_allclose(display.line_.get_ydata(), fuser.pick_scores_)
    assert fuser.pick_scores_[-1] == pytest.approx(fuser.fused_score_)
    first_picks = list(dict.fromkeys(fuser.picks_))
    assert [a.get_text() for a in display.annotations_] == first_picks
    with pytest.raises(ValueError, match="caruana"):
        SelectionPathDisplay.from_estimator(WeightedBlender(MEMBERS, weighting="score").fit(X, Y))


def test_selection_path_from_predictions_with_several_metrics():
    fitted = WeightedBlender(MEMBERS, weighting="optimize").fit(X, Y)
    display = SelectionPathDisplay.from_predictions(
        fitted.oof_predictions_, Y, n_iter=5, scoring=["accuracy", "neg_log_loss"]
    )
    assert len(display.line_.get_ydata()) == 5
    assert display.ax_.get_ylabel() == "fused OOF accuracy"


def test_displays_say_matplotlib_is_needed(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="needs matplotlib"):
        WeightsDisplay([0.5, 0.5], names=["a", "b"]).plot()


def test_a_float_target_makes_regression_displays():
    from sklearn.datasets import load_diabetes as load

    Xr, yr = load(return_X_y=True)  # float targets that are whole numbers
    fitted = WeightedBlenderRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))],
        weighting="optimize",
    ).fit(Xr, yr)
    oof = [fitted.oof_predictions_[:, m] for m in range(2)]
    display = DiversityDisplay.from_predictions(oof, yr)
    assert display.measure == "correlation" and np.isfinite(display.image_.get_array()).all()
    weights = WeightsDisplay.from_predictions(oof, yr)
    np.testing.assert_allclose([b.get_height() for b in weights.bars_], fitted.weights_, atol=1e-6)


def test_display_input_errors():
    from sklearn.exceptions import NotFittedError

    fuser = WeightedBlender(MEMBERS, weighting="score").fit(X, Y)
    with pytest.raises(ValueError, match="pass X"):
        ContributionDisplay.from_estimator(fuser, sample=3)
    with pytest.raises(IndexError, match="out of range"):
        ContributionDisplay.from_estimator(fuser, X[:10], sample=10)
    for display in (WeightsDisplay, SelectionPathDisplay):
        with pytest.raises(NotFittedError):
            display.from_estimator(WeightedBlender(MEMBERS, weighting="caruana"))


def test_coverage_display_plots_the_held_out_coverage_of_each_level():
    from sklearn.datasets import load_diabetes as load

    from skfusion import BayesianModelAveragerRegressor
    from skfusion.inspection import CoverageDisplay
    from skfusion.metrics import coverage_score, interval_width, set_size

    fuser = WeightedBlender(MEMBERS, weighting="score", random_state=0).fit(X[::2], Y[::2])
    levels = [0.5, 0.8, 0.9]
    display = CoverageDisplay.from_estimator(fuser, X[1::2], Y[1::2], levels=levels)
    sets = [fuser.predict_set(X[1::2], coverage=c) for c in levels]
    expected = [coverage_score(Y[1::2], s, labels=fuser.classes_) for s in sets]
    np.testing.assert_allclose(display.line_.get_ydata(), expected)
    np.testing.assert_allclose(display.size_line_.get_ydata(), [set_size(s) for s in sets])
    np.testing.assert_allclose(display.diagonal_.get_ydata(), levels)
    again = CoverageDisplay.from_predictions(Y[1::2], sets, levels=levels, labels=fuser.classes_)
    np.testing.assert_allclose(again.line_.get_ydata(), expected)
    Xr, yr = load(return_X_y=True)
    regressor = BayesianModelAveragerRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))]
    ).fit(Xr[::2], yr[::2])
    display = CoverageDisplay.from_estimator(regressor, Xr[1::2], yr[1::2], levels=levels)
    bounds = regressor.predict_interval(Xr[1::2], coverage=0.8)
    assert display.line_.get_ydata()[1] == pytest.approx(coverage_score(yr[1::2], bounds))
    assert display.size_line_.get_ydata()[1] == pytest.approx(interval_width(bounds))


def test_weights_history_display_draws_each_members_weights_over_the_stream():
    from skfusion import OnlineBlender
    from skfusion.inspection import WeightsHistoryDisplay

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = np.where(y == 1, 0.8, 0.2)
    good[200:] = 1 - good[200:]  # the good model turns bad half way
    bad = 1 - good
    display = WeightsHistoryDisplay.from_predictions(
        [good, bad], y, names=["early", "late"], record_every=10, share=0.01
    )
    fuser = OnlineBlender.from_predictions([good, bad], y, names=["early", "late"], share=0.01)
    assert [line.get_label() for line in display.lines_] == ["early", "late"]
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), np.arange(0, 400, 10))
    np.testing.assert_allclose(display.lines_[1].get_ydata(), fuser.weights_history_[::10, 1])
    assert display.lines_[0].get_ydata()[19] > 0.9 and display.lines_[1].get_ydata()[-1] > 0.9
    # Saved predictions of the stream's next rows continue it, laid out as at fit.
    fuser.partial_fit([good[:50], bad[:50]], y[:50])
    assert fuser.n_samples_seen_ == 450
    with pytest.raises(ValueError, match="online blender"):
        WeightsHistoryDisplay.from_estimator(WeightedBlender(MEMBERS).fit(X, Y))


def test_weights_history_display_draws_a_long_stream_from_its_bounded_history():
    from skfusion import OnlineBlender
    from skfusion.inspection import WeightsHistoryDisplay

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 30_000)
    good = np.where(y == 1, 0.8, 0.2)
    good[15_000:] = 1 - good[15_000:]
    display = WeightsHistoryDisplay.from_predictions([good, 1 - good], y, share=0.01)
    # The default keeps at most 10 000 rows: every 4th of 30 000 (every 2nd is
    # 15 000), drawn at their own rows, over the whole stream.
    rows = np.arange(0, 30_000, 4)
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), rows)
    assert display.lines_[0].get_ydata()[3000] > 0.9 and display.lines_[1].get_ydata()[-1] > 0.9
    # Their weights are those of a blender that keeps every row, at these rows.
    full = OnlineBlender.from_predictions([good, 1 - good], y, share=0.01, max_history=None)
    np.testing.assert_allclose(display.lines_[1].get_ydata(), full.weights_history_[rows, 1])
