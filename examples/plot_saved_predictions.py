"""
=================================================
Fusing saved predictions
=================================================

A common workflow: every model was cross-validated on its own, and what is
left are files of out-of-fold (OOF) predictions on the training rows and of
predictions on the test rows. ``from_predictions`` learns how to fuse them
(no model is refit) and its ``predict_proba`` fuses the test files.

``fused_score_`` is in-sample for what the fuser learnt from the OOF rows;
``fused_cv_score_`` cross-validates that learning and is the one to trust.
The second half shows the gap on members that know nothing.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier

from skfusion import OOFStacker, WeightedBlender

X, y = make_classification(
    n_samples=3000, n_features=20, n_informative=8, n_classes=3, random_state=0
)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
models = {
    "forest": RandomForestClassifier(n_estimators=100, random_state=0),
    "hgb": HistGradientBoostingClassifier(random_state=0),
    "knn": KNeighborsClassifier(n_neighbors=25),
    "logreg": LogisticRegression(max_iter=1000),
    "bayes": GaussianNB(),
}

# %%
# Save each model's predictions, as a competition pipeline would
# ----------------------------------------------------------------
# One CSV per model and split, with a column ``<model>__<class>`` per class.
folder = Path(tempfile.mkdtemp())
cv = StratifiedKFold(5, shuffle=True, random_state=0)
for name, model in models.items():
    oof = cross_val_predict(model, X_tr, y_tr, cv=cv, method="predict_proba")
    test = model.fit(X_tr, y_tr).predict_proba(X_te)
    columns = [f"{name}__{c}" for c in range(3)]
    pd.DataFrame(oof, columns=columns).to_csv(folder / f"oof_{name}.csv", index=False)
    pd.DataFrame(test, columns=columns).to_csv(folder / f"test_{name}.csv", index=False)

# %%
# Fuse the files
# --------------
# Side by side, the files make one DataFrame whose column names say which
# model and class each column is.
oof = pd.concat([pd.read_csv(folder / f"oof_{n}.csv") for n in models], axis=1)
test = pd.concat([pd.read_csv(folder / f"test_{n}.csv") for n in models], axis=1)

fusers = {
    "caruana blend": WeightedBlender.from_predictions(
        oof, y_tr, weighting="caruana", scoring="neg_log_loss"
    ),
    "optimised blend": WeightedBlender.from_predictions(
        oof, y_tr, weighting="optimize", scoring="neg_log_loss"
    ),
    "stack": OOFStacker.from_predictions(oof, y_tr, scoring="neg_log_loss"),
}
rows = []
for name, fuser in fusers.items():
    rows.append(
        {
            "fuser": name,
            "OOF log-loss, in-sample": -fuser.fused_score_,
            "OOF log-loss, cross-validated": -fuser.fused_cv_score_,
            "test log-loss": log_loss(y_te, fuser.predict_proba(test)),
        }
    )
blend = fusers["optimised blend"]
# A model's OOF score learns nothing from the OOF rows: it is honest as it is.
for name, score in blend.member_scores_.items():
    rows.append(
        {
            "fuser": f"model {name} (weight {blend.named_weights_[name]:.2f})",
            "OOF log-loss, in-sample": -score,
            "OOF log-loss, cross-validated": -score,
            "test log-loss": log_loss(y_te, test.filter(like=f"{name}__").to_numpy()),
        }
    )
print(pd.DataFrame(rows).round(4).to_string(index=False))

# %%
# When the in-sample score flatters
# ---------------------------------
# Thirty "models" that guess at random, confidently, on a random binary
# target. Learning a blend or a stack on their OOF predictions finds
# combinations that fit those rows by chance: the in-sample accuracy beats
# every model. The cross-validated accuracy shows it is luck.
rng = np.random.default_rng(0)
noise = np.where(rng.random((600, 30)) < 0.5, 0.2, 0.8)
target = rng.integers(0, 2, 600)
scores = {}
for name, fuser in {
    "caruana": WeightedBlender.from_predictions(noise, target, weighting="caruana"),
    "optimize": WeightedBlender.from_predictions(noise, target, weighting="optimize"),
    "stack": OOFStacker.from_predictions(noise, target),
}.items():
    scores[name] = (fuser.fused_score_, fuser.fused_cv_score_)
best = max(fuser.member_scores_.values())

fig, ax = plt.subplots(figsize=(6, 3))
positions = np.arange(len(scores))
ax.bar(positions - 0.2, [s[0] for s in scores.values()], 0.4, label="in-sample")
ax.bar(positions + 0.2, [s[1] for s in scores.values()], 0.4, label="cross-validated")
ax.axhline(best, color="k", linestyle="--", label="best single model")
ax.set_xticks(positions, list(scores))
ax.set_ylim(0.4, 0.7)
ax.set_ylabel("OOF accuracy")
ax.legend(loc="upper right", fontsize=8)
fig.tight_layout()
