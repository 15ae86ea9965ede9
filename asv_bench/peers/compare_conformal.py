"""Conformal intervals of a fused regressor: skfusion's CV+ from the fold
models it already has, against MAPIE's CV+ (CrossConformalRegressor,
method="plus"), which refits the whole fuser once per fold. Same members,
same folds, one run.

Reported: held-out coverage and mean width at 90 %, the fit cost of each
relative to the fuser's own fit (members refit on all rows, no intervals),
and the time to make the test rows' intervals (both predict with every fold
model). The conformal-uncertainty issue's targets: width at most 1.05x
MAPIE's, fit cost at most 1.2x (MAPIE's CV+ was 4.8x in the issue's run).

MAPIE goes in an environment of its own (it may pin other versions)::

    python -m venv --system-site-packages /tmp/mapie
    /tmp/mapie/bin/pip install mapie
    PYTHONPATH=. /tmp/mapie/bin/python asv_bench/peers/compare_conformal.py

Without MAPIE the skfusion side runs alone.
"""

import time

from sklearn.datasets import make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.svm import SVR

from skfusion import WeightedBlenderRegressor, config_context
from skfusion.metrics import coverage_score, interval_width

COVERAGE = 0.9


def members():
    return [
        ("svr", SVR(C=10.0)),
        ("knn", KNeighborsRegressor(15)),
        ("hgb", HistGradientBoostingRegressor(max_iter=100, random_state=0)),
    ]


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def main(n=6000):
    X, y = make_friedman1(n, noise=1.0, random_state=0)
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    folds = KFold(5, shuffle=True, random_state=0)

    def fuser(**params):
        return WeightedBlenderRegressor(members(), weighting="optimize", cv=folds, **params)

    _, own_fit = timed(lambda: fuser().fit(X_fit, y_fit))
    # Compile (or load) the interval kernel before timing.
    small = fuser(test_predictions="fold_average").fit(X_fit[:200], y_fit[:200])
    with config_context(engine="numba"):
        small.predict_interval(X_test[:5])
    ours, ours_fit = timed(lambda: fuser(test_predictions="fold_average").fit(X_fit, y_fit))
    bounds, ours_interval = timed(lambda: ours.predict_interval(X_test, coverage=COVERAGE))
    rows = [
        (
            "skfusion CV+ (fold models kept)",
            coverage_score(y_test, bounds),
            interval_width(bounds),
            ours_fit / own_fit,
            ours_interval,
        )
    ]
    try:
        from mapie.regression import CrossConformalRegressor
    except ImportError:
        print("MAPIE is not installed here: the skfusion side only.")
    else:
        peer = CrossConformalRegressor(fuser(), confidence_level=COVERAGE, method="plus", cv=folds)
        _, peer_fit = timed(lambda: peer.fit_conformalize(X_fit, y_fit))
        (_, peer_bounds), peer_interval = timed(lambda: peer.predict_interval(X_test))
        peer_bounds = peer_bounds[:, :, 0]
        rows.append(
            (
                "MAPIE CV+ (fuser refit per fold)",
                coverage_score(y_test, peer_bounds),
                interval_width(peer_bounds),
                peer_fit / own_fit,
                peer_interval,
            )
        )
    print(
        f"Friedman #1, {len(y_fit)} fitting rows, {len(y_test)} held out; "
        f"{int(100 * COVERAGE)} % intervals; the fuser's own fit {own_fit:.2f} s; "
        f"weights {ours.weights_.round(3).tolist()}"
    )
    print(f"{'':<34}{'coverage':>10}{'mean width':>12}{'fit / own fit':>15}{'intervals s':>13}")
    for name, covered, width, cost, seconds in rows:
        print(f"{name:<34}{covered:>10.3f}{width:>12.3f}{cost:>14.2f}x{seconds:>13.2f}")
    if len(rows) == 2:
        print(f"width ratio skfusion / MAPIE: {rows[0][2] / rows[1][2]:.3f} (target <= 1.05)")
    return rows


if __name__ == "__main__":
    main()
