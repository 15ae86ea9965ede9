"""Calibrated fused probabilities: skfusion's ``calibration=`` (learnt on the
fused out-of-fold probabilities the fit already made) against sklearn's
CalibratedClassifierCV around a VotingClassifier of the same members, which
fits the whole vote once per fold and calibrates each copy on its held-out
rows. Same members, same folds, one run.

Reported per data set and method: held-out log-loss and accuracy, and the
fit cost relative to the plain vote's fit (members fitted once on all
rows). sklearn's ``method="temperature"`` exists from 1.8; older versions
report the other two.

    PYTHONPATH=. python asv_bench/peers/compare_calibration.py
"""

import time

from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import VotingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from skfusion import WeightedBlender

METHODS = ("temperature", "sigmoid", "isotonic")


def members():
    # Overconfident members, as many real pools are: naive Bayes on
    # correlated features, a deep tree.
    return [
        ("nb", GaussianNB()),
        ("nb_smooth", GaussianNB(var_smoothing=1e-3)),
        ("tree", DecisionTreeClassifier(max_depth=8, random_state=0)),
    ]


def datasets(n_synthetic, quick=False):
    if not quick:
        yield "digits", load_digits(return_X_y=True)
        yield "breast cancer", load_breast_cancer(return_X_y=True)
    yield (
        "synthetic 3-class",
        make_classification(
            n_synthetic, 20, n_informative=6, n_redundant=8, n_classes=3, random_state=0
        ),
    )


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return estimator, time.perf_counter() - start


def scored(fitted, X, y):
    """Held-out log-loss and accuracy."""
    proba = fitted.predict_proba(X)
    return log_loss(y, proba), accuracy_score(y, fitted.classes_[proba.argmax(axis=1)])


def peer_methods():
    options = CalibratedClassifierCV._parameter_constraints["method"][0].options
    return [m for m in METHODS if m in options]


def main(n_synthetic=3000, quick=False):
    """``quick``: the synthetic data set alone, 600 rows."""
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    rows = []
    for name, (X, y) in datasets(600 if quick else n_synthetic, quick):
        X_fit, X_test, y_fit, y_test = train_test_split(
            X, y, test_size=0.5, random_state=0, stratify=y
        )
        fits = [("uncalibrated soft vote", VotingClassifier(members(), voting="soft"))]
        for method in METHODS:
            for test_predictions in ("refit", "fold_average"):
                ours = WeightedBlender(
                    members(), calibration=method, cv=folds, test_predictions=test_predictions
                )
                fits.append((f"skfusion {method} {test_predictions}", ours))
            if method in peer_methods():
                vote = VotingClassifier(members(), voting="soft")
                peer = CalibratedClassifierCV(vote, method=method, cv=folds)
                fits.append((f"sklearn {method}", peer))
        own_fit = None
        for label, estimator in fits:
            fitted, seconds = timed_fit(estimator, X_fit, y_fit)
            own_fit = own_fit or seconds  # the plain vote's, first
            rows.append((name, label, *scored(fitted, X_test, y_test), seconds / own_fit))
    print(f"{'data':<19}{'fusion':<36}{'log-loss':>10}{'accuracy':>10}{'fit / vote fit':>16}")
    for name, label, loss, accuracy, cost in rows:
        print(f"{name:<19}{label:<36}{loss:>10.4f}{accuracy:>10.4f}{cost:>15.2f}x")
    return rows


if __name__ == "__main__":
    main()
