"""Held-out quality of WeightedBlender's weightings, side by side with the
best single member and sklearn's VotingClassifier, on several data sets.

For each data set: a stratified 70/30 split; the members and every blender
are fitted on the 70 %, scored on the 30 % (log-loss, lower is better;
accuracy, higher is better). The quality target: learnt weights should be no
worse than the best single member on nearly every data set.

Run: ``python asv_bench/peers/compare_blending_quality.py`` (about a minute).
"""

import tempfile
import warnings

from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skfusion import WeightedBlender


def members():
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=2000))),
        ("forest", RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=2)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=10))),
        ("bayes", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
    ]


DATASETS = {
    "iris": lambda: load_iris(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "synthetic": lambda: make_classification(
        n_samples=3000, n_features=30, n_informative=10, n_classes=4, random_state=0
    ),
}


def held_out(model, X, y):
    return log_loss(y, model.predict_proba(X)), accuracy_score(y, model.predict(X))


def main():
    warnings.filterwarnings("ignore")
    # None: equal weights; the others learn the weights out of fold (objective:
    # the log-loss, the default).
    weightings = [None, "score", "optimize", "caruana"]
    labels = {w: w or "equal" for w in weightings}
    header = f"{'data set':<14}{'best member':>18}{'Voting':>16}" + "".join(
        f"{labels[w]:>16}" for w in weightings
    )
    print("held-out log-loss / accuracy (cv=5 inside the training split)")
    print(header)
    wins = {w: 0 for w in weightings}
    for name, load in DATASETS.items():
        X, y = load()
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
        with tempfile.TemporaryDirectory() as cache:
            fitted = {
                w: WeightedBlender(members(), weighting=w, memory=cache, random_state=0).fit(
                    X_tr, y_tr
                )
                for w in weightings
            }
        member_losses = {
            n: log_loss(y_te, est.predict_proba(X_te))
            for n, est in fitted[None].named_estimators_.items()
        }
        best = min(member_losses, key=member_losses.get)
        best_est = fitted[None].named_estimators_[best]
        voting = VotingClassifier(members(), voting="soft").fit(X_tr, y_tr)

        best_loss, best_acc = held_out(best_est, X_te, y_te)
        row = f"{name:<14}{best_loss:>9.4f}/{best_acc:.3f}"
        v_loss, v_acc = held_out(voting, X_te, y_te)
        row += f"{v_loss:>9.4f}/{v_acc:.3f}"
        for w in weightings:
            loss, acc = held_out(fitted[w], X_te, y_te)
            wins[w] += loss <= best_loss
            row += f"{loss:>9.4f}/{acc:.3f}"
        print(row + f"   (best member: {best})")
    print(
        "no worse than the best member (log-loss): "
        + ", ".join(f"{labels[w]} {wins[w]}/{len(DATASETS)}" for w in weightings)
    )


if __name__ == "__main__":
    main()
