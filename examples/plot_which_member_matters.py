"""
=================================================
Which member matters?
=================================================

Five classifiers fused on the breast-cancer data, and the questions every
ensemble raises: which members carry the fusion, which are redundant, and
why a given prediction came out as it did. :mod:`skfusion.inspection`
answers from the members' out-of-fold (OOF) predictions the fuser already
holds: no model is refit.

Two of the members are near-copies (forests differing only in their seed).
A member's **Shapley value** is its average marginal gain over all orders in
which members can join, so the two copies share the credit for what they
bring; the **leave-one-out** delta shows that either one alone is
dispensable.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import OOFStacker, WeightedBlender
from skfusion.inspection import (
    ContributionDisplay,
    DiversityDisplay,
    SelectionPathDisplay,
    WeightsDisplay,
    member_report,
)

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
members = [
    ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.1))),
    ("forest_a", RandomForestClassifier(n_estimators=100, random_state=0)),
    ("forest_b", RandomForestClassifier(n_estimators=100, random_state=1)),
    ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15))),
    ("bayes", GaussianNB()),
]
# Equal weights first, scored by log-loss.
blender = WeightedBlender(members, scoring="neg_log_loss").fit(X_train, y_train)

# %%
# One table
# ---------
# Per member: its weight, its own OOF score (negated log-loss: higher is
# better), its Shapley contribution to the fused OOF score, the loss of
# score without it (leave-one-out), and how correlated its errors are with
# the others'. The ``fused`` row's ``shapley`` is the gain over the prior
# that the members share out.
#
# Every member earns a positive Shapley value (each adds much to a fusion
# that lacks its kind), but the leave-one-out deltas of the forests and the
# nearest neighbours are negative: with the others in, each only adds weight
# to errors already made, and the fused score improves without it. The
# naive Bayes model, the weakest alone, is one of the two that the fusion
# would miss.
with pd.option_context("display.float_format", "{:.4f}".format):
    print(member_report(blender).to_string())

# %%
# Learnt weights
# --------------
# Caruana's ensemble selection adds one member per pick (repeats allowed),
# the one that most improves the fused OOF log-loss. Its weights (left)
# keep the members whose leave-one-out deltas are positive and drop those
# that only repeat others' errors, while the Shapley values of the equal
# blend (right) credit each member for what it brings to any subset.
selected = WeightedBlender(members, weighting="caruana", n_iter=30, scoring="neg_log_loss").fit(
    X_train, y_train
)
fig, (ax_weights, ax_shapley) = plt.subplots(1, 2, figsize=(11, 4))
WeightsDisplay.from_estimator(selected, ax=ax_weights)
ContributionDisplay.from_estimator(blender, ax=ax_shapley)
fig.tight_layout()

# %%
# The selection path: the fused OOF score after each pick, and where each
# member first enters.
SelectionPathDisplay.from_estimator(selected)

# %%
# Who errs with whom
# ------------------
# The Q-statistic of each pair (1: right and wrong on the same rows; 0:
# independent), members ordered by clustering: the two forests sit together.
DiversityDisplay.from_estimator(blender)

# %%
# One prediction, explained
# -------------------------
# A stacker's logistic-regression meta-learner is linear in the members'
# columns: each member's term is its coefficients times its columns, and
# the terms add up, with the intercept, to the decision value of the row.
stacker = OOFStacker(members).fit(X_train, y_train)
row = int(abs(stacker.decision_function(X_test)).argmin())  # the least sure test row
ContributionDisplay.from_estimator(stacker, X_test, sample=row)
plt.show()
