"""
=================================================
Fusing regressors: blending and stacking
=================================================

:class:`~skfusion.WeightedBlenderRegressor` averages the members with
weights learnt out of fold; :class:`~skfusion.OOFStackerRegressor` fits a
meta-learner (``RidgeCV`` by default) on their out-of-fold predictions. Both
are compared on held-out data with the best single member and with
scikit-learn's :class:`~sklearn.ensemble.VotingRegressor` and
:class:`~sklearn.ensemble.StackingRegressor`. The member fits are cached
with ``memory=``, so each fusion after the first reuses them.
"""

# %%
import tempfile

import matplotlib.pyplot as plt
from sklearn.datasets import make_friedman1
from sklearn.ensemble import RandomForestRegressor, StackingRegressor, VotingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import OOFStackerRegressor, WeightedBlenderRegressor

X, y = make_friedman1(n_samples=1500, noise=1.0, random_state=0)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
members = [
    ("ridge", Ridge()),
    ("forest", RandomForestRegressor(n_estimators=100, random_state=0)),
    ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=10))),
]

# %%
# Fit every fusion
# ----------------
cache = tempfile.mkdtemp()
models = {
    "VotingRegressor": VotingRegressor(members),
    "StackingRegressor": StackingRegressor(members),
}
for weighting in [None, "optimize", "caruana"]:
    models[f"blend {weighting or 'equal'}"] = WeightedBlenderRegressor(
        members, weighting=weighting, memory=cache
    )
for test_predictions in ["refit", "fold_average"]:
    models[f"stack {test_predictions}"] = OOFStackerRegressor(
        members, test_predictions=test_predictions, memory=cache
    )
scores = {}
for name, model in models.items():
    model.fit(X_tr, y_tr)
    scores[name] = r2_score(y_te, model.predict(X_te))
for name, member in models["blend optimize"].named_estimators_.items():
    scores[f"member {name}"] = r2_score(y_te, member.predict(X_te))
for name, score in sorted(scores.items(), key=lambda item: -item[1]):
    print(f"{name:<20} held-out R2 {score:.4f}")

# %%
# The learnt blend weights (they minimise the out-of-fold squared error, the
# default ``objective``), and the out-of-fold R2 (the default ``scoring``) of
# each member and of the blend:
blender = models["blend optimize"]
print("weights:", {k: round(w, 3) for k, w in blender.named_weights_.items()})
print("OOF R2 :", {k: round(v, 3) for k, v in blender.member_scores_.items()})
print(f"OOF R2 of the blend: {blender.fused_score_:.3f}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
names = sorted(scores, key=scores.get)
ax.barh(names, [scores[n] for n in names])
ax.set_xlabel("held-out R2 (higher is better)")
ax.set_xlim(min(scores.values()) - 0.02, 1.0)
fig.tight_layout()
plt.show()
