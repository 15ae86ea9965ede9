"""
=================================================
Conformal uncertainty from the fold models
=================================================

A fuser already holds what conformal prediction needs: out-of-fold (OOF)
predictions of every training row and, with
``test_predictions="fold_average"``, the fold models that made them. No
model is refit to get sets of labels that hold the truth 90 % of the time,
or intervals that hold the target 90 % of the time, and the same
out-of-fold probabilities calibrate the fused probabilities.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import WeightedBlender, WeightedBlenderRegressor
from skfusion.inspection import CoverageDisplay
from skfusion.metrics import coverage_score, set_size

# %%
# Prediction sets on the digits
# -----------------------------
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
blender = WeightedBlender(
    [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.1))),
        ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
        ("bayes", GaussianNB()),
    ],
    weighting="optimize",
    test_predictions="fold_average",  # keep the fold models: CV+ sets
    random_state=0,
).fit(X_train, y_train)
for method in ("lac", "aps"):
    sets = blender.predict_set(X_test, coverage=0.9, method=method)
    covered = coverage_score(y_test, sets, labels=blender.classes_)
    print(f"{method}: coverage {covered:.3f}, mean set size {set_size(sets):.2f}")

# %%
# At 98 %, most digits still get one label; the hard ones get a few, and
# those are the ones the fusion is unsure about.
sets = blender.predict_set(X_test, coverage=0.98)
hard = np.argsort(-sets.sum(axis=1), kind="stable")[:6]
fig, axes = plt.subplots(1, len(hard), figsize=(9, 2))
for ax, row in zip(axes, hard):
    ax.imshow(X_test[row].reshape(8, 8), cmap="gray_r")
    ax.set_title("{" + ", ".join(map(str, blender.classes_[sets[row]])) + "}")
    ax.axis("off")

# %%
# Coverage at every level, with the mean set size on the right axis:
CoverageDisplay.from_estimator(blender, X_test, y_test)

# %%
# Calibrated probabilities
# ------------------------
# Rank voting averages each member's quantiles: good for ranking the
# classes, far too flat to be probabilities. Its default
# ``calibration="auto"`` fits a Dirichlet calibration (a multinomial
# logistic regression on the log quantiles) on the OOF rows (no refit);
# ``calibration=None`` keeps the raw quantiles. Soft voting of the same
# members is printed beside them.
for calibration in (None, "auto"):
    rank = WeightedBlender(
        blender.estimators, voting="rank", calibration=calibration, random_state=0
    ).fit(X_train, y_train)
    proba = rank.predict_proba(X_test)
    print(
        f"rank voting, calibration={calibration!r}: log-loss {log_loss(y_test, proba):.3f}, "
        f"accuracy {np.mean(rank.classes_[proba.argmax(axis=1)] == y_test):.3f}"
    )
soft = WeightedBlender(blender.estimators, random_state=0).fit(X_train, y_train)
print(f"soft voting: log-loss {log_loss(y_test, soft.predict_proba(X_test)):.3f}")

# %%
# Intervals where the noise grows
# -------------------------------
# The target's noise grows with ``|x0|``. CV+ places each training row's
# OOF residual around the prediction of the fold models that did not see
# it; ``normalized=True`` scales residuals by how much the members disagree
# on the row, so intervals widen where the fusion is unsure.
rng = np.random.default_rng(0)
X = rng.uniform(-3, 3, (4000, 4))
noise = 0.3 + np.abs(X[:, 0])
y = X[:, 0] ** 2 + 2 * np.sin(X[:, 1]) + rng.normal(size=4000) * noise
X_train, X_test, y_train, y_test, _, noise_test = train_test_split(
    X, y, noise, test_size=0.5, random_state=0
)
regressor = WeightedBlenderRegressor(
    [
        ("ridge", Ridge()),
        ("knn", KNeighborsRegressor(20)),
        ("hgb", HistGradientBoostingRegressor(max_iter=100, random_state=0)),
    ],
    weighting="optimize",
    test_predictions="fold_average",
).fit(X_train, y_train)
order = np.argsort(X_test[:, 0])
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, normalized in zip(axes, (False, True)):
    bounds = regressor.predict_interval(X_test, coverage=0.9, normalized=normalized)
    covered = (bounds[:, 0] <= y_test) & (y_test <= bounds[:, 1])
    ax.fill_between(X_test[order, 0], bounds[order, 0], bounds[order, 1], alpha=0.3)
    ax.plot(X_test[:, 0], y_test, ".", markersize=2, color="black")
    ax.set_title(f"normalized={normalized}: coverage {covered.mean():.3f}")
    ax.set_xlabel("x0")
    noisy = noise_test > np.quantile(noise_test, 2 / 3)
    print(
        f"normalized={normalized}: coverage {covered.mean():.3f}, noisiest third "
        f"{covered[noisy].mean():.3f}, mean width {np.mean(bounds[:, 1] - bounds[:, 0]):.2f}"
    )
plt.show()
