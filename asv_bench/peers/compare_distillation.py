"""Distillation of a stack into one gradient-boosting model, side by side
with the same model trained directly on the labels, and AutoGluon's
``distill()`` on the same splits (``--autogluon``, where it is installed).

For each bundled or generated data set: a 70/30 split (stratified for
classification); the teacher is an ``OOFStacker`` of histogram gradient
boosting, a random forest and an MLP (a regressor stack for regression);
the students are histogram gradient boosting of 50 iterations, a forest of
30 trees and an MLP of 32 hidden units on standardised columns (classifiers
learning soft labels as weighted rows; regressors).
Reported on the 30 %: accuracy and log-loss (RMSE for regression) of the
teacher, the same student trained directly on the labels, the distilled
student without validation or fallback (the raw effect of distillation),
and the distiller with its defaults (what a user gets; ``kept`` says which
student its fallback kept), and the distilled student's predict time over
the teacher's.

Run: ``python asv_bench/peers/compare_distillation.py`` (about an hour on
two cores); ``--quick`` for two small data sets, ``--students hgb`` for
one student, ``--augment interpolate`` for the other augmentation.

``--autogluon`` runs the AutoGluon side alone, on the classification data
sets: its own teacher (``TabularPredictor.fit``, 60 s) distilled into a
LightGBM student (``distill(hyperparameters={"GBM": {}},
augment_method="spunge")``, 60 s). It needs an environment of its own::

    python -m venv /tmp/ag
    /tmp/ag/bin/pip install torch==2.13.0 "autogluon.tabular[lightgbm]==1.6.3" numba
    /tmp/ag/bin/pip install --no-deps -e .
    /tmp/ag/bin/python asv_bench/peers/compare_distillation.py --autogluon
"""

import argparse
import tempfile
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
                    StandardScaler(),
                    MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=0),
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
                    StandardScaler(),
                    MLPRegressor(hidden_layer_sizes=(64,), max_iter=1000, random_state=0),
                ),
            ),
        ],
        RidgeCV(),
        cv=3,
    )


STUDENTS = {
    "hgb": (
        lambda: HistGradientBoostingClassifier(max_iter=50, random_state=0),
        lambda: HistGradientBoostingRegressor(max_iter=50, random_state=0),
    ),
    "forest": (
        lambda: RandomForestClassifier(30, min_samples_leaf=2, random_state=0),
        lambda: RandomForestRegressor(30, min_samples_leaf=2, random_state=0),
    ),
    # MLPClassifier takes sample_weight (soft labels as weighted rows) from
    # scikit-learn 1.7.
    "mlp": (
        lambda: make_pipeline(
            StandardScaler(),
            MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0),
        ),
        lambda: make_pipeline(
            StandardScaler(),
            MLPRegressor(hidden_layer_sizes=(32,), max_iter=1000, random_state=0),
        ),
    ),
}


def timed(method, X, repeat=5):
    """The output and the best of ``repeat`` wall times (one call is noisy)."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = method(X)
        seconds.append(time.perf_counter() - start)
    return out, min(seconds)


def scores(model, X, y, classifier):
    """(accuracy, log-loss) of a classifier, (RMSE,) of a regressor."""
    if classifier:
        proba = model.predict_proba(X)
        return accuracy_score(y, model.classes_[proba.argmax(1)]), log_loss(y, proba)
    return (np.sqrt(mean_squared_error(y, model.predict(X))),)


def comparison_row(X, y, classifier, student, augment):
    """The teacher, the student trained on the labels, the distilled student
    (no validation, no fallback: the raw effect of distillation) and the
    distiller as a user gets it (validation share, fallback, refit), scored
    on a 30 % test split; and the student's predict time over the teacher's."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y if classifier else None, random_state=0
    )
    if classifier:
        kind, teacher = Distiller, classification_teacher
    else:
        kind, teacher = DistillerRegressor, regression_teacher
    distilled = kind(teacher(), student, augment=augment, validation=None, random_state=0)
    with_fallback = kind(teacher(), student, augment=augment, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        distilled.fit(X_train, y_train)
        with_fallback.fit(X_train, y_train)
    direct = clone(student).fit(X_train, y_train)
    models = {
        "teacher": distilled.teacher_,
        "direct": direct,
        "distilled": distilled,
        "with fallback": with_fallback,
    }
    row = {key: scores(model, X_test, y_test, classifier) for key, model in models.items()}
    predict = "predict_proba" if classifier else "predict"
    _, teacher_s = timed(getattr(distilled.teacher_, predict), X_test)
    _, student_s = timed(getattr(distilled, predict), X_test)
    row["time ratio"] = student_s / teacher_s
    row["kept"] = "distilled" if with_fallback.distilled_ else "direct"
    return row


def autogluon_row(name, X, y, time_limit):
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    columns = [f"x{i}" for i in range(X.shape[1])]
    train = pd.DataFrame(X_train, columns=columns).assign(label=y_train)
    test = pd.DataFrame(X_test, columns=columns)
    # Its models go to a temporary folder, not the working directory.
    predictor = TabularPredictor(
        "label", eval_metric="log_loss", verbosity=0, path=tempfile.mkdtemp()
    )
    predictor.fit(train, time_limit=time_limit)
    names = predictor.distill(
        time_limit=time_limit,
        hyperparameters={"GBM": {}},
        # AutoGluon 1.6.3's "munge" fails (its munge_augment builds a
        # TabularNeuralNetTorchModel with a `features` argument the model no
        # longer takes: TypeError); "spunge", its default, is MUNGE without
        # the neighbour search.
        augment_method="spunge",
        augment_args={"size_factor": 4},
        verbosity=0,
    )
    row = {"data": name}
    seconds = {}
    for key, model in (("teacher", predictor.model_best), ("distilled", names[0])):
        start = time.perf_counter()
        proba = predictor.predict_proba(test, model=model).to_numpy()
        # AutoGluon's distilled binary student regresses the probability and
        # may leave [0, 1] (1.07 seen): clipped and renormalised to be scored.
        proba = np.clip(proba, 1e-15, 1.0)
        proba /= proba.sum(axis=1, keepdims=True)
        seconds[key] = time.perf_counter() - start
        labels = np.asarray(predictor.class_labels)[proba.argmax(1)]
        row[key] = (accuracy_score(y_test, labels), log_loss(y_test, proba))
    row["time ratio"] = seconds["distilled"] / seconds["teacher"]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--autogluon", action="store_true", help="AutoGluon's side alone")
    parser.add_argument("--students", nargs="+", choices=list(STUDENTS), default=list(STUDENTS))
    parser.add_argument("--augment", choices=["munge", "interpolate"], default="munge")
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
    if args.autogluon:
        print(f"{'data':<24}{'AG teacher':>16}{'AG distilled':>16}{'time':>8}")
        for name, (X, y) in classification.items():
            r = autogluon_row(name, X, y, 30 if args.quick else 60)
            cells = [f"{r[k][0]:.4f}/{r[k][1]:.4f}" for k in ("teacher", "distilled")]
            print(f"{name:<24}" + "".join(f"{c:>16}" for c in cells) + f"{r['time ratio']:>8.3f}")
        return
    keys = ("teacher", "direct", "distilled", "with fallback")
    for student_name in args.students:
        print(f"\nstudent: {student_name}, augment: {args.augment}")
        print(f"{'data':<24}" + "".join(f"{k:>16}" for k in keys) + f"{'time':>8}  kept")
        for classifier, sets in ((True, classification), (False, regression)):
            print("(accuracy / log-loss)" if classifier else "(RMSE)")
            student = STUDENTS[student_name][0 if classifier else 1]()
            for name, (X, y) in sets.items():
                r = comparison_row(X, y, classifier, student, args.augment)
                cells = ["/".join(f"{v:.4f}" for v in r[k]) for k in keys]
                print(
                    f"{name:<24}"
                    + "".join(f"{c:>16}" for c in cells)
                    + f"{r['time ratio']:>8.3f}  {r['kept']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
