"""
======================================================
Stacking with group and repeated cross-validation
======================================================

:class:`~skfusion.OOFStacker` fits a meta-learner on out-of-fold predictions,
like scikit-learn's :class:`~sklearn.ensemble.StackingClassifier`, but takes
any cross-validation: here group k-fold (rows of one group never train the
model that predicts them) and repeated stratified k-fold (each row's
meta-feature is averaged over the repeats). It also compares refitting the
members on all rows (``test_predictions="refit"``, as scikit-learn) with
averaging the fold models (``"fold_average"``).
"""

# %%
# Data with groups
# ----------------
# Rows come in groups of 20 that share an offset, so random folds would
# leak a group's offset from training to test rows.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold, RepeatedStratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier

from skfusion import OOFStacker

X, y = make_classification(
    n_samples=1200, n_features=12, n_informative=6, n_classes=3, random_state=0
)
groups = np.repeat(np.arange(60), 20)
X += np.random.default_rng(0).normal(scale=0.5, size=(60, 12))[groups]
X_tr, X_te, y_tr, y_te, g_tr, _ = train_test_split(X, y, groups, test_size=0.25, random_state=0)

members = [
    ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
    ("knn", KNeighborsClassifier(n_neighbors=15)),
    ("bayes", GaussianNB()),
]

# %%
# Four stackers and scikit-learn's
# --------------------------------
stackers = {
    "sklearn StackingClassifier": StackingClassifier(members, LogisticRegression()),
    "OOFStacker, 5-fold, refit": OOFStacker(members),
    "OOFStacker, 5-fold, fold_average": OOFStacker(members, test_predictions="fold_average"),
    "OOFStacker, GroupKFold": OOFStacker(members, cv=GroupKFold(5)),
    "OOFStacker, repeated 3x3": OOFStacker(
        members, cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=3, random_state=0)
    ),
}
losses = {}
for name, model in stackers.items():
    fit_params = {"groups": g_tr} if "Group" in name else {}
    model.fit(X_tr, y_tr, **fit_params)
    losses[name] = log_loss(y_te, model.predict_proba(X_te))
    print(
        f"{name:<34} held-out log-loss {losses[name]:.4f}  accuracy {model.score(X_te, y_te):.3f}"
    )

# %%
# The 5-fold refit stacker is scikit-learn's, to the last digit.
np.testing.assert_allclose(
    stackers["OOFStacker, 5-fold, refit"].predict_proba(X_te),
    stackers["sklearn StackingClassifier"].predict_proba(X_te),
)

# %%
# What each member contributes, out of fold
# -----------------------------------------
# ``member_scores_`` are out-of-fold accuracies (the default ``scoring``);
# ``fused_score_`` is the meta-learner's accuracy on the out-of-fold
# meta-features it was fitted on, so in-sample for the meta-learner (the
# held-out scores above are the honest ones). With GroupKFold no group has
# rows on both sides of a split; here the groups share only an offset of the
# features, not their labels, so the scores barely move. With labels tied to
# groups, random folds would overstate the members that memorise.
for name in ["OOFStacker, 5-fold, refit", "OOFStacker, GroupKFold"]:
    stacker = stackers[name]
    print(
        name,
        {k: round(v, 3) for k, v in stacker.member_scores_.items()},
        f"meta-learner {stacker.fused_score_:.3f}",
    )

fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(list(losses), list(losses.values()))
ax.set_xlabel("held-out log-loss (lower is better)")
ax.set_xlim(min(losses.values()) * 0.9, max(losses.values()) * 1.05)
fig.tight_layout()
plt.show()
