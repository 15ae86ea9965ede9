"""
=============================================
Weighting the members of a blend
=============================================

:class:`~skfusion.WeightedBlender` averages the class probabilities of
several classifiers. This example compares its ways of choosing the weights
on held-out data, and against scikit-learn's
:class:`~sklearn.ensemble.VotingClassifier` with the same members:

- ``"uniform"``: every member counts the same (what ``VotingClassifier``
  does without weights);
- ``"score"``: weights proportional to each member's out-of-fold score;
- ``"optimize"``: weights on the simplex minimising the out-of-fold
  log-loss of the blend;
- ``"caruana"``: greedy forward selection with replacement.

The member x fold fits are cached with ``memory=``, so every weighting after
the first reuses them.
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
results = {}
for weights in ["uniform", "score", "optimize", "caruana"]:
    blender = WeightedBlender(members, weights=weights, memory=cache, random_state=0)
    blender.fit(X_train, y_train)
    results[weights] = blender
    print(
        f"{weights:>9}: weights {np.round(blender.weights_, 2)}, held-out log-loss "
        f"{log_loss(y_test, blender.predict_proba(X_test)):.4f}, "
        f"accuracy {blender.score(X_test, y_test):.4f}"
    )

voting = VotingClassifier(members, voting="soft").fit(X_train, y_train)
print(f"VotingClassifier: held-out log-loss {log_loss(y_test, voting.predict_proba(X_test)):.4f}")
for name, member in results["uniform"].named_estimators_.items():
    print(f"   member {name:>7}: log-loss {log_loss(y_test, member.predict_proba(X_test)):.4f}")

# %%
# The uniform blend is VotingClassifier's soft vote, to the last digit.
np.testing.assert_allclose(
    results["uniform"].predict_proba(X_test), voting.predict_proba(X_test), rtol=1e-12
)

# %%
# Where the weights go
# --------------------
fig, ax = plt.subplots(figsize=(7, 3.5))
names = [name for name, _ in members]
width = 0.2
for i, (weights, blender) in enumerate(results.items()):
    ax.bar(np.arange(len(names)) + i * width, blender.weights_, width, label=weights)
ax.set_xticks(np.arange(len(names)) + 1.5 * width, names)
ax.set_ylabel("weight")
ax.set_title("Member weights by weighting method")
ax.legend()
fig.tight_layout()
plt.show()
