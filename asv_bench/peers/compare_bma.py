"""Pseudo-BMA+ (Bayesian bootstrap) weights: skfusion vs a per-draw loop, one run.

A pointwise log-density matrix of n rows x 10 members, 1000 draws.

1. Same draws: the 1000 Dirichlet(1) weight vectors are drawn once; the
   per-draw loop computes each draw's elpd and softmax with numpy, one draw at
   a time (as arviz's ``compare(method="BB-pseudo-BMA")`` does); skfusion's
   ``bayesian_bootstrap`` kernel does all draws in one matrix product.
   Target (DESIGN.md section 5): at least 4x faster, same weights within 0.01.
2. End to end, drawing included: ``skfusion.weights.bb_pseudo_bma_weights``
   against the loop with draws from ``scipy.stats.dirichlet`` (arviz's way).

Run: ``python asv_bench/peers/compare_bma.py``. (The side by side with
arviz's weights belongs here too, once the estimator lands.)
"""

import time

import numpy as np
from scipy.special import softmax
from scipy.stats import dirichlet

from skfusion._kernels import get_kernel
from skfusion.weights import bb_pseudo_bma_weights


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


def main(n_bootstrap=1000):
    print(
        f"{'rows':>7}  {'same draws: loop s':>19}{'kernel s':>10}{'speed-up':>10}"
        f"{'max |dw|':>10}  {'end to end: loop s':>19}{'skfusion s':>11}{'speed-up':>10}"
    )
    for n in (1_000, 10_000, 50_000):
        rng = np.random.default_rng(0)
        lpd = rng.normal(-1.0, 0.5, (n, 10)) - np.linspace(0, 0.02, 10)
        alphas = rng.dirichlet(np.ones(n), n_bootstrap)
        kernel = get_kernel("bayesian_bootstrap", lpd)
        kernel(lpd, alphas[:2])  # compile, not timed
        t_loop, w_loop = timed(lambda lpd=lpd, alphas=alphas: per_draw_loop(lpd, alphas))
        t_kernel, w_kernel = timed(
            lambda lpd=lpd, alphas=alphas, kernel=kernel: kernel(lpd, alphas).mean(axis=0)
        )
        diff = np.abs(w_loop - w_kernel).max()
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


if __name__ == "__main__":
    main()
