"""Held-out quality of the per-sample fusers against the static blend with
learnt weights, on bundled and generated data sets where the members are
good everywhere (no region belongs to one member).

Each data set is split by a shuffled 5-fold cross-validation; every fuser
is fitted on four folds and scored on the fifth, over the same members (a
standardised logistic regression, Gaussian naive Bayes, a depth-5 tree, a
15-neighbour kNN; regression: ridge, a depth-5 tree, a 15-neighbour kNN).
Reported: mean held-out accuracy / log-loss (R² for regression) of
``WeightedBlender(weighting="optimize")`` and of each dynamic or gated
fuser with its default ``shrinkage="auto"``; ``--rule-alone`` adds each
rule without shrinkage (``shrinkage=0``), the rule as published.

Run: ``python asv_bench/peers/dynamic_quality.py`` (about 3 minutes on two
cores; twice that with ``--rule-alone``).
"""

import argparse
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_friedman1,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import (
    DynamicSelector,
    DynamicSelectorRegressor,
    GatedBlender,
    GatedBlenderRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
)


def classifiers():
    return [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(15))),
    ]


def regressors():
    return [
        ("ridge", Ridge()),
        ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(15))),
    ]


def classifier_fusers(rule_alone):
    fusers = {"static": WeightedBlender(classifiers(), weighting="optimize")}
    for method in ("knora_e", "knora_u", "ola", "des_knn", "meta"):
        fusers[method] = DynamicSelector(classifiers(), method=method)
    for target in ("soft", "best"):
        fusers[f"gate_{target}"] = GatedBlender(classifiers(), gate_target=target)
    return _with_rule_alone(fusers, rule_alone)


def regressor_fusers(rule_alone):
    fusers = {"static": WeightedBlenderRegressor(regressors(), weighting="optimize")}
    for method in ("ola", "weighted"):
        fusers[method] = DynamicSelectorRegressor(regressors(), method=method)
    for target in ("soft", "best"):
        fusers[f"gate_{target}"] = GatedBlenderRegressor(regressors(), gate_target=target)
    return _with_rule_alone(fusers, rule_alone)


def _with_rule_alone(fusers, rule_alone):
    if rule_alone:  # every fuser but the static blend, without shrinkage
        rules = list(fusers.items())[1:]
        fusers.update({f"{k}/s=0": clone(f).set_params(shrinkage=0) for k, f in rules})
    return fusers


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rule-alone", action="store_true", help="also each rule with s=0")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    classification = {
        "iris": load_iris(return_X_y=True),
        "wine": load_wine(return_X_y=True),
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "digits": load_digits(return_X_y=True),
        "make_classification": make_classification(
            2000, 20, n_informative=8, n_classes=3, random_state=0
        ),
    }
    for name, (X, y) in classification.items():
        fusers = classifier_fusers(args.rule_alone)
        scores = {k: [] for k in fusers}
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
            for key, fuser in fusers.items():
                proba = fuser.fit(X[train], y[train]).predict_proba(X[test])
                labels = fuser.classes_[proba.argmax(axis=1)]
                scores[key].append(
                    (
                        accuracy_score(y[test], labels),
                        log_loss(y[test], proba, labels=fuser.classes_),
                    )
                )
        print(f"{name} (accuracy / log-loss)")
        for key, values in scores.items():
            accuracy, loss = np.mean(values, axis=0)
            print(f"  {key:<16}{accuracy:>8.4f}{loss:>8.3f}")
    regression = {
        "diabetes": load_diabetes(return_X_y=True),
        "friedman1": make_friedman1(2000, noise=1.0, random_state=0),
    }
    for name, (X, y) in regression.items():
        fusers = regressor_fusers(args.rule_alone)
        scores = {k: [] for k in fusers}
        for train, test in KFold(5, shuffle=True, random_state=0).split(X, y):
            for key, fuser in fusers.items():
                scores[key].append(
                    r2_score(y[test], fuser.fit(X[train], y[train]).predict(X[test]))
                )
        print(f"{name} (R2)")
        for key, values in scores.items():
            print(f"  {key:<16}{np.mean(values):>8.4f}")


if __name__ == "__main__":
    main()
