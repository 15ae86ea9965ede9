"""Pairwise diversity of 50 classifiers on 1 000 000 rows: skfusion.metrics
against a per-pair numpy loop, in one run, with identical values.

The loop is how one writes it by hand: for each pair, four weighted sums over
the rows (both right, both wrong, one or the other). skfusion computes every
pair at once from one weighted Gram matrix of the oracle outputs, in row
blocks with BLAS.

Run: ``python asv_bench/peers/compare_diversity.py`` (``--quick`` for
100 000 rows). Target (the explainable-fusion issue): at least 10x.
"""

import argparse
import time

import numpy as np

from skfusion.metrics import pairwise_diversity


def per_pair_loop(labels, y, sample_weight):
    """Q-statistic of every pair, pair by pair with numpy."""
    right = [p == y for p in labels]
    m = len(right)
    q = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            a, b = right[i], right[j]
            n11 = sample_weight[a & b].sum()
            n00 = sample_weight[~a & ~b].sum()
            n10 = sample_weight[a & ~b].sum()
            n01 = sample_weight[~a & b].sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                q[i, j] = q[j, i] = (n11 * n00 - n01 * n10) / (n11 * n00 + n01 * n10)
    return q


def main(argv=None, n=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_models = 50
    if n is None:
        n = 100_000 if args.quick else 1_000_000
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, n).astype(np.int8)
    # Each model right with its own probability, otherwise a random class.
    skill = rng.uniform(0.5, 0.9, n_models)
    labels = [np.where(rng.random(n) < s, y, rng.integers(0, 5, n)).astype(np.int8) for s in skill]
    weights = rng.uniform(0.5, 1.5, n)

    start = time.perf_counter()
    ours = pairwise_diversity(labels, y, sample_weight=weights)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    loop = per_pair_loop(labels, y, weights)
    t_loop = time.perf_counter() - start
    np.testing.assert_allclose(ours, loop, rtol=1e-9, atol=1e-12)
    print(f"{n_models} models x {n} rows, Q-statistic of every pair (weighted rows)")
    print(f"per-pair numpy loop    {t_loop:8.3f} s")
    print(f"skfusion.metrics       {t_ours:8.3f} s")
    print(f"ratio                  {t_loop / t_ours:8.1f}x (target >= 10x); values equal: True")
    return t_loop, t_ours


if __name__ == "__main__":
    main()
