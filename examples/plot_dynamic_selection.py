"""
=====================================================
Dynamic selection: members that are experts by region
=====================================================

When members are good in different parts of the input space, one weight
per member for all rows must split its trust. :class:`~skfusion.DynamicSelector`
gives each row its own weights, from how the members did (out of fold) on
its nearest training rows; :class:`~skfusion.GatedBlender` learns a gate
that predicts them from X.

Here the class rule differs between the two halves of the input space
(the sign of ``x0``): a linear model fits each half, no linear model fits
both.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from skfusion import DynamicSelector, GatedBlender, WeightedBlender


def two_halves(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.where(X[:, 0] < 0, X[:, 1] > 0, X[:, 2] + X[:, 3] > 0).astype(int)
    return X, y


X, y = two_halves(4000, 0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

# %%
# Members that each see part of the picture: a linear model on x1 only, one
# on x2 and x3 only, and a smooth one on x0 alone (wrong almost everywhere,
# a useful check that a bad member is left out).
members = [
    ("x1", make_pipeline(ColumnTransformer([("x1", "passthrough", [1])]), LogisticRegression())),
    (
        "x2_x3",
        make_pipeline(ColumnTransformer([("x23", "passthrough", [2, 3])]), LogisticRegression()),
    ),
    (
        "x0",
        make_pipeline(
            ColumnTransformer([("x0", "passthrough", [0])]),
            SplineTransformer(),
            LogisticRegression(),
        ),
    ),
]
# This is late fusion of members that each see one group of columns (one
# "modality"); early fusion would give one model all the columns at once.
early = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
print(
    f"early fusion (one linear model on all columns): accuracy {early.score(X_test, y_test):.3f}"
)
static = WeightedBlender(members, weighting="optimize").fit(X_train, y_train)


def report(name, fuser):
    loss = log_loss(y_test, fuser.predict_proba(X_test))
    shrinkage = getattr(fuser, "shrinkage_", None)
    print(
        f"{name:<18} accuracy {fuser.score(X_test, y_test):.3f}  log-loss {loss:.3f}"
        + ("" if shrinkage is None else f"  shrinkage_ {shrinkage:.1f}")
    )


report("static blend", static)
for method in ("knora_e", "knora_u", "ola", "lca", "des_knn", "meta"):
    report(f"dynamic {method}", DynamicSelector(members, method=method).fit(X_train, y_train))

# %%
# Each row's weights are shrunk toward the static blend's by ``shrinkage_``,
# chosen on the out-of-fold rows by log-loss (the one-standard-error rule):
# where a rule's gain in log-loss is within noise, it leans on the static
# weights, even if its accuracy is higher. ``shrinkage=0`` is each rule as
# published; to choose by accuracy, grid-search ``shrinkage`` with
# ``scoring="accuracy"``.
rule = DynamicSelector(members, method="des_knn", shrinkage=0).fit(X_train, y_train)
report("des_knn, s=0", rule)

# %%
# A learnt gate predicts the weights from X instead (here a logistic
# regression). Soft targets at the default temperature share rows where the
# members' losses are close (a softer, less sure gate, which log-loss does
# not favour here); ``gate_target="best"`` (or a lower ``temperature``)
# gives each row to its best member.
for target in ("soft", "best"):
    report(
        f"learnt gate, {target}", GatedBlender(members, gate_target=target).fit(X_train, y_train)
    )

# %%
# Which member fuses each row: ``predict_weights`` gives the ``(n, M)``
# weights. KNORA-U's weights along ``x0``: the ``x1`` member on the left,
# the ``x2_x3`` member on the right.
dynamic = DynamicSelector(members, method="knora_u").fit(X_train, y_train)
weights = dynamic.predict_weights(X_test)
order = np.argsort(X_test[:, 0])
fig, ax = plt.subplots(figsize=(7, 3))
ax.stackplot(X_test[order, 0], weights[order].T, labels=[name for name, _ in members])
ax.set_xlabel("x0")
ax.set_ylabel("member weight")
ax.legend(loc="upper left", fontsize="small")
plt.show()

# %%
# Regression: the same two halves, a different target in each
# ------------------------------------------------------------
# Each member regresses on its own columns. :class:`~skfusion.DynamicSelectorRegressor`
# weighs them by their inverse squared OOF error near each row;
# :class:`~skfusion.GatedBlenderRegressor` learns the weights from X.
# Feature-weighted linear stacking (:class:`~skfusion.OOFStackerRegressor`
# with ``feature_weighted=True``) makes each member's weight linear in the
# passthrough column x0: a parametric middle way.
from sklearn.linear_model import Ridge

from skfusion import (
    DynamicSelectorRegressor,
    GatedBlenderRegressor,
    OOFStackerRegressor,
    WeightedBlenderRegressor,
)

target = np.where(X[:, 0] < 0, 2 * X[:, 1], X[:, 2] - X[:, 3])
target = target + np.random.default_rng(1).normal(scale=0.1, size=len(target))
Xr_train, Xr_test, t_train, t_test = train_test_split(X, target, test_size=0.5, random_state=0)
regressors = [
    ("x1", make_pipeline(ColumnTransformer([("x1", "passthrough", [1])]), Ridge())),
    ("x2_x3", make_pipeline(ColumnTransformer([("x23", "passthrough", [2, 3])]), Ridge())),
]
for name, fuser in [
    ("static blend", WeightedBlenderRegressor(regressors, weighting="optimize")),
    ("dynamic, weighted", DynamicSelectorRegressor(regressors)),
    ("learnt gate", GatedBlenderRegressor(regressors)),
    ("stack on x0", OOFStackerRegressor(regressors, passthrough=[0])),
    (
        "weights linear in x0",
        OOFStackerRegressor(regressors, passthrough=[0], feature_weighted=True),
    ),
]:
    score = fuser.fit(Xr_train, t_train).score(Xr_test, t_test)
    print(f"{name:<21}: R2 {score:.3f}")
