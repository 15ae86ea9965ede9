"""Dynamic ensemble selection: skfusion's DynamicSelector against DESlib 0.3.7
on the same pool, the same selection rows and the same neighbours.

A bagging pool of decision trees is fitted on one part of the data; both
libraries select from it with the rows of a second part (DESlib's DSEL;
``cv="prefit"`` for skfusion, so the members' labels on those rows are
their plain predictions, as DESlib's) and predict a third part of 10 000
rows. skfusion searches X as given (``scaler=None``) with DESlib's k=7,
hard voting and no shrinkage toward static weights (``shrinkage=0``), so
both see the same regions and apply the same rules. Reported per method and pool
size: accuracy, the share of identical predictions, and predict time per
test row, beside the floor that no exact selector goes under: the search
of each test row's neighbours plus every member predicting every test row,
timed in the same run (skfusion asks a member only for the rows it fuses,
so it can go a little under it).

DESlib fails on scikit-learn >= 1.7, so it runs in an environment of its
own, with scikit-learn 1.6 (skfusion's oldest supported version)::

    python -m venv /tmp/deslib
    /tmp/deslib/bin/pip install "scikit-learn==1.6.1" "deslib==0.3.7"
    /tmp/deslib/bin/pip install -e .
    /tmp/deslib/bin/python asv_bench/peers/compare_dynamic.py
    /tmp/deslib/bin/python asv_bench/peers/compare_dynamic.py --methods knora_e --members 100

Without DESlib the skfusion side runs alone.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.tree import DecisionTreeClassifier

from skfusion import DynamicSelector

METHODS = ("knora_e", "knora_u", "ola", "lca", "des_knn", "meta")
DESLIB_CLASSES = {
    "knora_e": ("deslib.des", "KNORAE"),
    "knora_u": ("deslib.des", "KNORAU"),
    "ola": ("deslib.dcs", "OLA"),
    "lca": ("deslib.dcs", "LCA"),
    "des_knn": ("deslib.des", "DESKNN"),
    "meta": ("deslib.des", "METADES"),
}


def data(n_test):
    X, y = make_classification(
        6000 + n_test, 20, n_informative=10, n_classes=3, flip_y=0.05, random_state=0
    )
    X_pool, X_rest, y_pool, y_rest = train_test_split(X, y, train_size=3000, random_state=0)
    X_dsel, X_test, y_dsel, y_test = train_test_split(
        X_rest, y_rest, train_size=3000, random_state=0
    )
    return X_pool, y_pool, X_dsel, y_dsel, X_test, y_test


def pool_of(n_members, X, y):
    bagging = BaggingClassifier(
        DecisionTreeClassifier(max_depth=10), n_estimators=n_members, random_state=0
    )
    return bagging.fit(X, y)


def timed_predict(selector, X):
    start = time.perf_counter()
    labels = selector.predict(X)
    return labels, time.perf_counter() - start


def floor_seconds(pool, X_dsel, X_test, k=7):
    """What any selector without approximations pays: the exact search of
    each test row's k nearest selection rows, and every member's
    ``predict_proba`` on all test rows (DESlib's way; skfusion asks a member
    only for the rows it fuses)."""
    search = NearestNeighbors(n_neighbors=k).fit(X_dsel)
    start = time.perf_counter()
    search.kneighbors(X_test, return_distance=False)
    for est in pool.estimators_:
        est.predict_proba(X_test)
    return time.perf_counter() - start


def deslib_selector(method, pool):
    try:
        module, name = DESLIB_CLASSES[method]
        cls = getattr(__import__(module, fromlist=[name]), name)
    except ImportError:
        return None
    return cls(pool_classifiers=pool, k=7)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--members", nargs="+", type=int, help="pool sizes (default 10 100)")
    args = parser.parse_args(argv)
    n_test = 500 if args.quick else 10_000
    sizes = args.members or ((10,) if args.quick else (10, 100))
    X_pool, y_pool, X_dsel, y_dsel, X_test, y_test = data(n_test)
    rows = []
    for n_members in sizes:
        pool = pool_of(n_members, X_pool, y_pool)
        members = [(f"tree{i}", FrozenEstimator(est)) for i, est in enumerate(pool.estimators_)]
        bagging_accuracy = np.mean(pool.predict(X_test) == y_test)
        floor_us = 1e6 * floor_seconds(pool, X_dsel, X_test) / n_test
        for method in args.methods:
            ours = DynamicSelector(
                members,
                method=method,
                k=7,
                voting="hard",
                scaler=None,
                cv="prefit",
                shrinkage=0,  # the rule as published, as DESlib
            ).fit(X_dsel, y_dsel)
            ours.predict(X_test)  # imports and compilation (numba at this size) out of the timing
            ours_labels, ours_s = timed_predict(ours, X_test)
            row = {
                "method": method,
                "members": n_members,
                "bagging": bagging_accuracy,
                "ours_accuracy": np.mean(ours_labels == y_test),
                "ours_us": 1e6 * ours_s / n_test,
                "floor_us": floor_us,
            }
            theirs = deslib_selector(method, pool)
            if theirs is not None:
                theirs.fit(X_dsel, y_dsel)
                theirs_labels, theirs_s = timed_predict(theirs, X_test)
                row.update(
                    theirs_accuracy=np.mean(theirs_labels == y_test),
                    theirs_us=1e6 * theirs_s / n_test,
                    same=np.mean(theirs_labels == ours_labels),
                )
            rows.append(row)
    print(
        f"{'method':<9}{'members':>8}{'bagging':>9}{'skfusion':>10}{'DESlib':>9}{'same':>8}"
        f"{'skfusion us/row':>17}{'DESlib us/row':>15}{'speed-up':>10}{'floor us/row':>14}"
    )
    for r in rows:
        theirs = "theirs_us" in r
        print(
            f"{r['method']:<9}{r['members']:>8}{r['bagging']:>9.4f}{r['ours_accuracy']:>10.4f}"
            + (f"{r['theirs_accuracy']:>9.4f}{r['same']:>8.4f}" if theirs else f"{'-':>9}{'-':>8}")
            + f"{r['ours_us']:>17.1f}"
            + (
                f"{r['theirs_us']:>15.1f}{r['theirs_us'] / r['ours_us']:>9.1f}x"
                if theirs
                else f"{'-':>15}{'-':>10}"
            )
            + f"{r['floor_us']:>14.1f}"
        )
    return rows


if __name__ == "__main__":
    main()
