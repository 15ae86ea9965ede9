"""
Fusion under drift: weights that follow the stream
==================================================

Three models were each trained on one concept of a stream (SEA's
thresholds: a row is positive when ``x1 + x2`` is below 8, 9 or 7). The
stream then moves from one concept to the next. Weights learnt once would
stay on the model that was best at the start; :class:`~skfusion.OnlineBlender`
updates them after every row, predicting each row before learning from it.

Hedge keeps all the evidence: the first model's lead, built over the first
concept, takes as long to lose as it took to build, so here Hedge stays with
it throughout. Fixed share spreads a small share of the weight back over all
members after each row, so it follows each switch within a few dozen rows.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skfusion import OnlineBlender
from skfusion.inspection import WeightsHistoryDisplay

rng = np.random.default_rng(0)
thresholds = {"below_8": 8.0, "below_9": 9.0, "below_7": 7.0}


def concept(threshold, n):
    X = rng.uniform(0, 10, size=(n, 3))
    y = (X[:, 0] + X[:, 1] <= threshold).astype(int)
    flip = rng.random(n) < 0.02  # 2 % label noise
    return X, np.where(flip, 1 - y, y)


members = []
for name, threshold in thresholds.items():
    X_train, y_train = concept(threshold, 2000)
    model = LogisticRegression(C=1.0).fit(X_train, y_train)
    members.append((name, FrozenEstimator(model)))

# The stream: 3000 rows of each concept, in the order 8, 9, 7, then 8 again.
parts = [concept(thresholds[name], 3000) for name in ["below_8", "below_9", "below_7", "below_8"]]
X_stream = np.vstack([X for X, _ in parts])
y_stream = np.concatenate([y for _, y in parts])

# %%
# Hedge and fixed share on the same stream
# ----------------------------------------
# ``fit`` runs the stream from equal weights (``partial_fit`` would continue
# it). Both record the weights that predicted every 10th row.
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
blenders = {}
for ax, weighting in zip(axes, ["hedge", "fixed_share"]):
    blender = OnlineBlender(members, weighting=weighting, share=0.002, record_every=10)
    blenders[weighting] = blender.fit(X_stream, y_stream)
    WeightsHistoryDisplay.from_estimator(blender, ax=ax)
    ax.set_title(weighting)
    for switch in (3000, 6000, 9000):
        ax.axvline(switch, color="grey", linestyle=":")
plt.tight_layout()

# %%
# Cumulative losses
# -----------------
# Each row's log-loss, predicted before it was learnt, summed over the
# stream. No member is good throughout, so the fused prediction can beat the
# best of them (a negative regret); Hedge, stuck on the first model, cannot.
for weighting, blender in blenders.items():
    losses = {
        n: round(float(v)) for n, v in zip(blender.named_estimators_, blender.cumulative_losses_)
    }
    print(
        f"{weighting:12s} fused {blender.fused_cumulative_loss_:8.0f}  members {losses}  "
        f"regret {blender.regret_:+.0f}"
    )

# %%
# Prequential accuracy, row by row
# --------------------------------
# With ``objective="accuracy"`` the blenders follow the 0-1 loss, so the
# cumulative losses count mistakes: one minus their share of the rows is the
# prequential accuracy (the learning rate then comes from the doubling
# trick, or from ``horizon`` when the stream's length is known).
for weighting in ["hedge", "fixed_share"]:
    blender = OnlineBlender(members, weighting=weighting, objective="accuracy").fit(
        X_stream, y_stream
    )
    members_accuracy = 1 - blender.cumulative_losses_ / len(y_stream)
    print(
        f"{weighting:12s} fused {1 - blender.fused_cumulative_loss_ / len(y_stream):.3f}  "
        f"best member {members_accuracy.max():.3f}"
    )

# %%
# The same for a regressor
# ------------------------
# :class:`~skfusion.OnlineBlenderRegressor` averages the members' predictions
# with weights that follow the squared error. Two linear models, each fitted
# on one regime of a target whose slope flips half way through the stream;
# a third, fitted on both regimes together, is never the best.
from sklearn.linear_model import Ridge

from skfusion import OnlineBlenderRegressor


def regime(slope, n):
    X = rng.normal(size=(n, 2))
    return X, slope * X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)


X_up, y_up = regime(1.0, 1000)
X_down, y_down = regime(-1.0, 1000)
regressors = [
    ("up", FrozenEstimator(Ridge().fit(X_up, y_up))),
    ("down", FrozenEstimator(Ridge().fit(X_down, y_down))),
    ("both", FrozenEstimator(Ridge().fit(np.vstack([X_up, X_down]), np.r_[y_up, y_down]))),
]
X_flow = np.vstack([regime(1.0, 2000)[0], regime(-1.0, 2000)[0]])
y_flow = np.where(np.arange(4000) < 2000, 1.0, -1.0) * X_flow[:, 0] + 0.5 * X_flow[:, 1]
for weighting in ["hedge", "fixed_share"]:
    regressor = OnlineBlenderRegressor(regressors, weighting=weighting, record_every=10)
    regressor.fit(X_flow, y_flow)
    mse = regressor.fused_cumulative_loss_ / len(y_flow)
    best = regressor.cumulative_losses_.min() / len(y_flow)
    print(
        f"{weighting:12s} prequential MSE {mse:.3f} (best single member {best:.3f}); "
        f"weights now { ({n: round(float(w), 2) for n, w in regressor.named_weights_.items()}) }"
    )
WeightsHistoryDisplay.from_estimator(regressor)
