"""Pseudo-BMA+ (Bayesian bootstrap) weights: skfusion vs a per-draw loop, one run.

A pointwise log-density matrix of n rows x 10 members, 1000 draws.

1. Same draws: the 1000 Dirichlet(1) weight vectors are drawn once; the
   per-draw loop computes each draw's elpd and softmax with numpy, one draw at
   a time (as arviz's ``compare(method="BB-pseudo-BMA")`` does); skfusion's
   ``bayesian_bootstrap`` kernel does all draws in one matrix product.
   Target (doc/benchmarks.rst): at least 4x faster, same weights within 0.01.
2. End to end, drawing included: ``skfusion.weights.bb_pseudo_bma_weights``
   against the loop with draws from ``scipy.stats.dirichlet`` (arviz's way).
3. When arviz is installed: on the pointwise log densities of fitted
   averagers (a classifier on breast cancer, a regressor on diabetes), the
   weights of ``arviz.compare`` (method stacking / pseudo-BMA / BB-pseudo-BMA)
   next to skfusion's, with both times. The pointwise values are handed to
   arviz as precomputed LOO data, so both sides weigh the same matrix.
   BB-pseudo-BMA draws differ between the two, so its weights agree only
   within Monte Carlo error.

Run: ``python asv_bench/peers/compare_bma.py``.
"""

import time
import warnings

import numpy as np
from scipy.special import softmax
from scipy.stats import dirichlet
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import ARDRegression, BayesianRidge, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import BayesianModelAverager, BayesianModelAveragerRegressor
from skfusion._kernels import get_kernel
from skfusion.weights import bb_pseudo_bma_weights, pseudo_bma_weights, stacking_weights


def per_draw_loop(lpd, alphas):
    n = lpd.shape[0]
    total = np.zeros(lpd.shape[1])
    for alpha in alphas:
        total += softmax(n * (alpha @ lpd))
    return total / len(alphas)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def same_draws(n, n_bootstrap=1000, n_members=10):
    """(loop seconds, kernel seconds, max weight difference) on one set of draws."""
    rng = np.random.default_rng(0)
    lpd = rng.normal(-1.0, 0.5, (n, n_members)) - np.linspace(0, 0.02, n_members)
    alphas = rng.dirichlet(np.ones(n), n_bootstrap)
    kernel = get_kernel("bayesian_bootstrap", lpd)
    kernel(lpd, alphas[:2])  # compile, not timed
    t_loop, w_loop = timed(lambda: per_draw_loop(lpd, alphas))
    t_kernel, w_kernel = timed(lambda: kernel(lpd, alphas).mean(axis=0))
    return t_loop, t_kernel, float(np.abs(w_loop - w_kernel).max()), lpd


def main(n_bootstrap=1000):
    print(
        f"{'rows':>7}  {'same draws: loop s':>19}{'kernel s':>10}{'speed-up':>10}"
        f"{'max |dw|':>10}  {'end to end: loop s':>19}{'skfusion s':>11}{'speed-up':>10}"
    )
    for n in (1_000, 10_000, 50_000):
        t_loop, t_kernel, diff, lpd = same_draws(n, n_bootstrap)
        t_e2e_loop, _ = timed(
            lambda lpd=lpd, n=n: per_draw_loop(
                lpd, dirichlet.rvs(np.ones(n), size=n_bootstrap, random_state=0)
            )
        )
        t_e2e, _ = timed(
            lambda lpd=lpd: bb_pseudo_bma_weights(lpd, n_bootstrap=n_bootstrap, random_state=0)
        )
        print(
            f"{n:>7}  {t_loop:>19.3f}{t_kernel:>10.4f}{t_loop / t_kernel:>9.1f}x"
            f"{diff:>10.1e}  {t_e2e_loop:>19.3f}{t_e2e:>11.3f}{t_e2e_loop / t_e2e:>9.1f}x"
        )


def _arviz_elpd_data(pointwise):
    """One member's pointwise log densities as arviz's precomputed LOO result."""
    import xarray as xr
    from arviz.stats.stats_utils import ELPDData

    n = len(pointwise)
    values = [
        pointwise.sum(),
        np.sqrt(n * pointwise.var()),
        0.0,
        1,
        n,
        False,
        xr.DataArray(pointwise, dims="obs"),
        xr.DataArray(np.zeros(n), dims="obs"),
        "log",
    ]
    index = ["elpd_loo", "se", "p_loo", "n_samples", "n_data_points", "warning"]
    return ELPDData(data=values, index=index + ["loo_i", "pareto_k", "scale"])


def fitted_pointwise():
    X, y = load_breast_cancer(return_X_y=True)
    classifier = BayesianModelAverager(
        [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("nb", GaussianNB()),
            ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(15))),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ],
        random_state=0,
    ).fit(X, y)
    X, y = load_diabetes(return_X_y=True)
    regressor = BayesianModelAveragerRegressor(
        [
            ("bayes", BayesianRidge()),
            ("ard", ARDRegression()),
            ("knn", KNeighborsRegressor(15)),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ],
        random_state=0,
    ).fit(X, y)
    return [("breast_cancer", classifier), ("diabetes", regressor)]


def _fmt(weights):
    return np.array2string(weights, precision=3, suppress_small=True, floatmode="fixed")


def compare_with_arviz():
    try:
        import arviz
    except ImportError:
        print("\narviz is not installed: no side by side with arviz.compare.")
        return
    warnings.filterwarnings("ignore", module="arviz")
    print(f"\nweights next to arviz {arviz.__version__} compare (same pointwise matrix)")
    print(
        f"{'data / method':<30}{'arviz':>30}{'skfusion':>30}{'max |dw|':>10}"
        f"{'arviz s':>9}{'skfusion s':>11}{'speed-up':>9}"
    )
    methods = [
        ("stacking", stacking_weights),
        ("pseudo-BMA", pseudo_bma_weights),
        ("BB-pseudo-BMA", lambda lpd: bb_pseudo_bma_weights(lpd, random_state=0)),
    ]
    for data_name, averager in fitted_pointwise():
        lpd = averager.pointwise_lpd_
        names = averager._member_names()
        elpd_data = {name: _arviz_elpd_data(lpd[:, m]) for m, name in enumerate(names)}
        for method, skfusion_weights in methods:
            t_arviz, table = timed(
                lambda m=method, d=elpd_data: arviz.compare(d, method=m, seed=0)
            )
            w_arviz = table.loc[names, "weight"].to_numpy(dtype=float)
            t_skfusion, w = timed(lambda fn=skfusion_weights, lpd=lpd: fn(lpd))
            print(
                f"{data_name + ' / ' + method:<30}{_fmt(w_arviz):>30}"
                f"{_fmt(w):>30}{np.abs(w - w_arviz).max():>10.4f}"
                f"{t_arviz:>9.4f}{t_skfusion:>11.4f}{t_arviz / t_skfusion:>8.1f}x"
            )


if __name__ == "__main__":
    main()
    compare_with_arviz()
