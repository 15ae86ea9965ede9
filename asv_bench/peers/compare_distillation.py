"""Distillation of a stack into one gradient-boosting model, side by side
with the same model trained directly on the labels (and AutoGluon's
``distill()`` where it is installed: ``--autogluon``).

For each bundled or generated data set: a 70/30 split (stratified for
classification); the teacher is an ``OOFStacker`` of histogram gradient
boosting, a random forest and an MLP; the student a histogram gradient
boosting model of 50 iterations (a regressor on the teacher's
probabilities for classification). Reported on the 30 %: accuracy and
log-loss (RMSE for regression) of the teacher, the directly trained
student, the distilled student without fallback (the raw effect of
distillation) and with it (what a user gets), and the predict time of the
student over the teacher's.

Run: ``python asv_bench/peers/compare_distillation.py`` (about 6 minutes on
two cores); ``--quick`` for two small data sets.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_friedman1,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import RidgeCV
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import Distiller, DistillerRegressor, OOFStacker, OOFStackerRegressor


def classification_teacher():
    return OOFStacker(
        [
            ("hgb", HistGradientBoostingClassifier(random_state=0)),
            ("rf", RandomForestClassifier(200, min_samples_leaf=2, random_state=0)),
            (
                "mlp",
                make_pipeline(
                    StandardScaler(), MLPClassifier((64,), max_iter=500, random_state=0)
                ),
            ),
        ],
        cv=3,
    )


def regression_teacher():
    return OOFStackerRegressor(
        [
            ("hgb", HistGradientBoostingRegressor(random_state=0)),
            ("rf", RandomForestRegressor(200, min_samples_leaf=2, random_state=0)),
            (
                "mlp",
                make_pipeline(
                    StandardScaler(), MLPRegressor((64,), max_iter=1000, random_state=0)
                ),
            ),
        ],
        RidgeCV(),
        cv=3,
    )


def student():
    return HistGradientBoostingRegressor(max_iter=50, random_state=0)


def timed(method, X):
    start = time.perf_counter()
    out = method(X)
    return out, time.perf_counter() - start


def classification_row(name, X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    row = {"data": name}
    teacher = classification_teacher().fit(X_train, y_train)
    proba, teacher_s = timed(teacher.predict_proba, X_test)
    row["teacher"] = (
        accuracy_score(y_test, teacher.classes_[proba.argmax(1)]),
        log_loss(y_test, proba),
    )
    # The direct student as the distiller makes it (a regressor on one-hot
    # labels), through its internals: the fallback's model on all the rows.
    direct = Distiller(teacher, student())
    direct.classes_ = np.unique(y_train)
    proba = direct._student_proba(direct._direct(X_train, y_train, None), X_test)
    row["direct"] = (
        accuracy_score(y_test, direct.classes_[proba.argmax(1)]),
        log_loss(y_test, proba),
    )
    for key, fallback in (("distilled", False), ("with fallback", True)):
        distiller = Distiller(
            classification_teacher(), student(), fallback=fallback, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            distiller.fit(X_train, y_train)
        proba, student_s = timed(distiller.predict_proba, X_test)
        row[key] = (
            accuracy_score(y_test, distiller.classes_[proba.argmax(1)]),
            log_loss(y_test, proba),
        )
    row["time ratio"] = student_s / teacher_s
    return row


def regression_row(name, X, y):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    row = {"data": name}
    teacher = regression_teacher().fit(X_train, y_train)
    predicted, teacher_s = timed(teacher.predict, X_test)
    row["teacher"] = (np.sqrt(mean_squared_error(y_test, predicted)),)
    direct = clone(student()).fit(X_train, y_train)
    row["direct"] = (np.sqrt(mean_squared_error(y_test, direct.predict(X_test))),)
    for key, fallback in (("distilled", False), ("with fallback", True)):
        distiller = DistillerRegressor(
            regression_teacher(), student(), fallback=fallback, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            distiller.fit(X_train, y_train)
        predicted, student_s = timed(distiller.predict, X_test)
        row[key] = (np.sqrt(mean_squared_error(y_test, predicted)),)
    row["time ratio"] = student_s / teacher_s
    return row


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", category=UserWarning)
    classification = {"breast_cancer": load_breast_cancer(return_X_y=True)}
    regression = {"diabetes": load_diabetes(return_X_y=True)}
    if not args.quick:
        classification["digits"] = load_digits(return_X_y=True)
        classification["make_classification"] = make_classification(
            6000, 20, n_informative=10, flip_y=0.03, class_sep=0.8, random_state=0
        )
        classification["make_classification_3"] = make_classification(
            3000, 15, n_informative=8, n_classes=3, random_state=1
        )
        regression["friedman1"] = make_friedman1(3000, noise=1.0, random_state=0)
    print(f"{'data':<24}{'teacher':>16}{'direct':>16}{'distilled':>16}{'fallback':>16}{'time':>8}")
    print(f"{'(accuracy / log-loss)':<24}")
    for name, (X, y) in classification.items():
        r = classification_row(name, X, y)
        cells = [
            f"{r[k][0]:.4f}/{r[k][1]:.4f}"
            for k in ("teacher", "direct", "distilled", "with fallback")
        ]
        print(
            f"{name:<24}" + "".join(f"{c:>16}" for c in cells) + f"{r['time ratio']:>8.3f}",
            flush=True,
        )
    print(f"{'(RMSE)':<24}")
    for name, (X, y) in regression.items():
        r = regression_row(name, X, y)
        cells = [f"{r[k][0]:.4f}" for k in ("teacher", "direct", "distilled", "with fallback")]
        print(
            f"{name:<24}" + "".join(f"{c:>16}" for c in cells) + f"{r['time ratio']:>8.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
