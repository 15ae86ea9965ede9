"""
=====================================================
Bayesian model averaging
=====================================================

:class:`~skfusion.BayesianModelAverager` weighs members by their
out-of-fold log predictive densities (Yao et al., 2018): pseudo-BMA
(``w ∝ exp(elpd)``), pseudo-BMA+ (the same averaged over Bayesian-bootstrap
draws of the rows) and stacking of predictive distributions. Each fitted
model also reports the Bayesian-bootstrap spread of its weights, shown here
as error bars. For regression,
:class:`~skfusion.BayesianModelAveragerRegressor` mixes the members' Gaussian
predictive distributions and gives predictive intervals.
"""

# %%
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skfusion import BayesianModelAverager

X, y = load_digits(return_X_y=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
members = [
    ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))),
    ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=7))),
    ("bayes", GaussianNB()),
    ("tree", DecisionTreeClassifier(max_depth=8, random_state=0)),
]

# %%
# One averager per weighting, sharing the cached member fits
# ----------------------------------------------------------
cache = tempfile.mkdtemp()
weightings = ["pseudo_bma", "bb_pseudo_bma", "stacking"]
models = {
    w: BayesianModelAverager(members, weighting=w, memory=cache, random_state=0).fit(X_tr, y_tr)
    for w in weightings
}
for weighting, model in models.items():
    print(
        f"{weighting:<14} held-out log-loss {log_loss(y_te, model.predict_proba(X_te)):.4f}, "
        f"OOF accuracy {model.fused_score_:.4f}"
    )
for name, member in models["stacking"].named_estimators_.items():
    print(f"  member {name:<7} held-out log-loss {log_loss(y_te, member.predict_proba(X_te)):.4f}")

# %%
# elpd and its standard error tell how clearly the members differ:
model = models["stacking"]
for name, elpd, se in zip(model.named_estimators_, model.elpd_, model.elpd_se_):
    print(f"  {name:<7} elpd {elpd:9.1f} +- {se:.1f}")

# %%
# Weights and their Bayesian-bootstrap spread
# -------------------------------------------
fig, ax = plt.subplots(figsize=(7, 3.5))
names = list(models["stacking"].named_estimators_)
width = 0.25
for i, (weighting, model) in enumerate(models.items()):
    ax.bar(
        np.arange(len(names)) + i * width,
        model.weights_,
        width,
        yerr=model.weights_std_,
        capsize=3,
        label=weighting,
    )
ax.set_xticks(np.arange(len(names)) + width, names)
ax.set_ylabel("weight")
ax.set_title("Model weights +- Bayesian-bootstrap spread")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# Predictive intervals of a regression mixture
# --------------------------------------------
# BayesianRidge brings its own predictive std; the other members are given a
# Gaussian whose scale is their out-of-fold residual error. The mixture's
# 90 % central interval is checked against held-out rows.
from sklearn.datasets import make_friedman1  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.linear_model import BayesianRidge  # noqa: E402
from sklearn.neighbors import KNeighborsRegressor  # noqa: E402

from skfusion import BayesianModelAveragerRegressor  # noqa: E402

X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, random_state=0)
regressor = BayesianModelAveragerRegressor(
    [
        ("bayes_ridge", BayesianRidge()),
        ("knn", KNeighborsRegressor(n_neighbors=10)),
        ("hgb", HistGradientBoostingRegressor(random_state=0)),
    ],
    random_state=0,
).fit(X_tr, y_tr)
for name, w, sd in zip(regressor.named_estimators_, regressor.weights_, regressor.weights_std_):
    print(f"  {name:<12} weight {w:.3f} +- {sd:.3f}")
mean, std = regressor.predict(X_te, return_std=True)
bounds = regressor.predict_interval(X_te, coverage=0.9, method="mixture")
inside = (y_te >= bounds[:, 0]) & (y_te <= bounds[:, 1])
print(f"90 % mixture interval: held-out coverage {inside.mean():.3f}")
conformal = regressor.predict_interval(X_te, coverage=0.9)  # calibrated on OOF residuals
inside = (y_te >= conformal[:, 0]) & (y_te <= conformal[:, 1])
print(f"90 % conformal interval: held-out coverage {inside.mean():.3f}")

# %%
# The first 60 held-out rows, sorted by the predicted mean:
order = np.argsort(mean[:60])
fig, ax = plt.subplots(figsize=(7, 3.5))
rows = np.arange(60)
ax.fill_between(rows, bounds[:60][order, 0], bounds[:60][order, 1], alpha=0.3, label="90 %")
ax.plot(rows, mean[:60][order], label="mixture mean")
ax.scatter(rows, y_te[:60][order], s=10, color="k", label="held-out y")
ax.set_xlabel("held-out row (sorted by prediction)")
ax.set_ylabel("y")
ax.set_title(f"Mixture predictive interval, coverage {inside.mean():.1%}")
ax.legend()
fig.tight_layout()
plt.show()
