"""
=============================================
Weighting the members of a blend
=============================================

:class:`~skfusion.WeightedBlender` averages the class probabilities of
several classifiers. This example compares its ways of choosing the weights
on held-out data, and against scikit-learn's
:class:`~sklearn.ensemble.VotingClassifier` with the same members:

- ``weighting=None`` (and no ``weights``): every member counts the same
  (what ``VotingClassifier`` does without weights);
- ``weighting="score"``: weights proportional to each member's out-of-fold
  score under ``objective`` (by default the log-loss, so proportional to
  ``1 / loss``);
- ``weighting="optimize"``: weights on the simplex optimising the
  out-of-fold ``objective`` of the blend (by default its log-loss);
- ``weighting="caruana"``: greedy forward selection with replacement.

``scoring`` only says what is reported: here accuracy and log-loss of each
member and of the blend, out of fold. The member x fold fits are cached with
``memory=``, so every weighting after the first reuses them.
"""

# %%
# Data and members
# ----------------
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import WeightedBlender

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
members = [
    ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))),
    ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
    ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=7))),
    ("bayes", GaussianNB()),
]

# %%
# Fit one blender per weighting
# -----------------------------
cache = tempfile.mkdtemp()
scoring = ["accuracy", "neg_log_loss"]
results = {}
for weighting in [None, "score", "optimize", "caruana"]:
    label = weighting or "equal"
    blender = WeightedBlender(
        members, weighting=weighting, scoring=scoring, memory=cache, random_state=0
    )
    blender.fit(X_train, y_train)
    results[label] = blender
    oof = blender.fused_score_
    print(
        f"{label:>8}: weights {np.round(blender.weights_, 2)}, "
        f"OOF log-loss {-oof['neg_log_loss']:.4f}, held-out log-loss "
        f"{log_loss(y_test, blender.predict_proba(X_test)):.4f}, "
        f"accuracy {blender.score(X_test, y_test):.4f}"
    )

voting = VotingClassifier(members, voting="soft").fit(X_train, y_train)
print(f"VotingClassifier: held-out log-loss {log_loss(y_test, voting.predict_proba(X_test)):.4f}")
for name, member in results["equal"].named_estimators_.items():
    oof = results["equal"].member_scores_[name]
    print(
        f"   member {name:>7}: OOF log-loss {-oof['neg_log_loss']:.4f}, held-out log-loss "
        f"{log_loss(y_test, member.predict_proba(X_test)):.4f}"
    )

# %%
# The equal-weight blend is VotingClassifier's soft vote, to the last digit.
np.testing.assert_allclose(
    results["equal"].predict_proba(X_test), voting.predict_proba(X_test), rtol=1e-12
)

# %%
# Weights by member name, and the order of Caruana's picks (repeats allowed):
print("optimize:", {k: round(w, 3) for k, w in results["optimize"].named_weights_.items()})
print("caruana picks:", results["caruana"].picks_[:10], "...")

# %%
# Where the weights go
# --------------------
fig, ax = plt.subplots(figsize=(7, 3.5))
names = [name for name, _ in members]
width = 0.2
for i, (label, blender) in enumerate(results.items()):
    ax.bar(np.arange(len(names)) + i * width, blender.weights_, width, label=label)
ax.set_xticks(np.arange(len(names)) + 1.5 * width, names)
ax.set_ylabel("weight")
ax.set_title("Member weights by weighting")
ax.legend()
fig.tight_layout()
plt.show()
