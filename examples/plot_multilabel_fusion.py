"""
=================================================
Fusing multilabel classifiers
=================================================

scikit-learn's :class:`~sklearn.ensemble.VotingClassifier` refuses a
multilabel ``y``, and its :class:`~sklearn.ensemble.StackingClassifier`
needs a meta-learner that takes a 2-D ``y`` itself.
:class:`~skfusion.WeightedBlender` (soft voting) and
:class:`~skfusion.OOFStacker` take it with any members that do (forests,
kNN, or any classifier wrapped in
:class:`~sklearn.multioutput.MultiOutputClassifier`): the blender learns one
weight vector for all labels, minimising their summed out-of-fold log-loss;
the stacker fits one meta-learner per label (the default logistic
regression), on that label's member columns.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import hamming_loss, log_loss
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import OOFStacker, WeightedBlender

X, Y = make_multilabel_classification(
    n_samples=1500, n_features=20, n_classes=5, n_labels=2, random_state=0
)
X_tr, X_te, Y_tr, Y_te = train_test_split(X, Y, test_size=0.3, random_state=0)
members = [
    ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
    ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15))),
    ("logreg", MultiOutputClassifier(make_pipeline(StandardScaler(), LogisticRegression()))),
]

try:
    VotingClassifier(members, voting="soft").fit(X_tr, Y_tr)
except NotImplementedError as exc:
    print("VotingClassifier:", exc)

# %%
# Fit the fusers and the members
# ------------------------------
# ``predict_proba`` of a multilabel fuser is a list, one ``(n, 2)`` array per
# label, as for scikit-learn's forests.
blender = WeightedBlender(members, weighting="optimize").fit(X_tr, Y_tr)
stacker = OOFStacker(members).fit(X_tr, Y_tr)
models = {"blend optimize": blender, "stack": stacker}
models.update({f"member {n}": m for n, m in blender.named_estimators_.items()})


def mean_label_log_loss(model):
    proba = model.predict_proba(X_te)
    if isinstance(proba, np.ndarray):  # one array of positive-class probabilities
        proba = [np.column_stack([1 - p, p]) for p in proba.T]
    return np.mean([log_loss(Y_te[:, t], p, labels=[0, 1]) for t, p in enumerate(proba)])


for name, model in models.items():
    print(
        f"{name:<16} Hamming loss {hamming_loss(Y_te, model.predict(X_te)):.4f}  "
        f"mean log-loss per label {mean_label_log_loss(model):.4f}"
    )
print("blend weights:", {k: round(w, 3) for k, w in blender.named_weights_.items()})
print(f"OOF subset accuracy of the blend: {blender.fused_score_:.3f}")

# %%
losses = {name: mean_label_log_loss(model) for name, model in models.items()}
fig, ax = plt.subplots(figsize=(7, 3))
names = sorted(losses, key=losses.get, reverse=True)
ax.barh(names, [losses[n] for n in names])
ax.set_xlabel("held-out log-loss per label (lower is better)")
fig.tight_layout()
plt.show()
