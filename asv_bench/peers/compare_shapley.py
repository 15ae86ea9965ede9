"""Exact Shapley contributions of 12 members on 100 000 rows x 10 classes:
skfusion.inspection against a naive subset loop, in one run, identical values.

The naive loop is how one writes it by hand: for each of the 4 096 subsets,
``np.average`` of its members' probabilities with their weights, then
sklearn's ``log_loss``; then the Shapley formula over the subset scores.
skfusion scores all subsets in one kernel that visits them in Gray-code
order (each subset differs from the previous one by one member, so each
row's blend is updated by one multiply-add) on the true class's
probability only.

Run: ``python asv_bench/peers/compare_shapley.py`` (``--quick`` for 10 000
rows). Target (the explainable-fusion issue): at least 20x.
"""

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss

from skfusion import WeightedBlender, config_context

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_inspection import member_probabilities  # noqa: E402

from skfusion.inspection import member_contributions


def problem(n, n_members=12, n_classes=10, seed=0):
    """(probas, y): the members of the asv benchmark (``member_probabilities``)."""
    return member_probabilities(n, n_members, n_classes, seed)


def naive_values(probas, y, weights, classes, masks):
    """Each subset (a bit mask) re-blended from scratch and scored by sklearn."""
    prior = np.bincount(y, minlength=len(classes)) / len(y)
    values = np.empty(len(masks))
    for i, mask in enumerate(masks):
        members = [m for m in range(len(probas)) if mask >> m & 1]
        if weights[members].sum() > 0:  # a subset of zero weights blends nothing
            blend = np.average([probas[m] for m in members], axis=0, weights=weights[members])
        else:
            blend = np.tile(prior, (len(y), 1))
        values[i] = -log_loss(y, blend, labels=classes)
    return values


def naive_shapley(probas, y, weights, classes):
    """The Shapley formula over every subset's naive score."""
    n_members = len(probas)
    values = naive_values(probas, y, weights, classes, range(1 << n_members))
    shapley = np.zeros(n_members)
    for m in range(n_members):
        for mask in range(1 << n_members):
            if not mask >> m & 1:
                size = bin(mask).count("1")
                share = (
                    math.factorial(size)
                    * math.factorial(n_members - size - 1)
                    / math.factorial(n_members)
                )
                shapley[m] += share * (values[mask | 1 << m] - values[mask])
    return shapley


def warm_up(probas, y):
    """Compile (or load) the kernel before timing."""
    small = WeightedBlender.from_predictions(
        [p[:300] for p in probas[:2]], y[:300], weighting="score", scoring="neg_log_loss"
    )
    with config_context(engine="numba"):
        member_contributions(small)


def main(argv=None, n=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_members, n_classes = 12, 10
    if n is None:
        n = 10_000 if args.quick else 100_000
    probas, y = problem(n, n_members, n_classes)
    blender = WeightedBlender.from_predictions(
        probas, y, weighting="optimize", scoring="neg_log_loss"
    )
    warm_up(probas, y)

    start = time.perf_counter()
    ours = member_contributions(blender)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    naive = naive_shapley(probas, y, blender.weights_, np.arange(n_classes))
    t_naive = time.perf_counter() - start
    np.testing.assert_allclose(ours.shapley, naive, rtol=1e-9, atol=1e-12)
    print(f"{n_members} members x {n} rows x {n_classes} classes, exact Shapley of log-loss")
    print(f"naive subset loop      {t_naive:8.3f} s")
    print(f"skfusion.inspection    {t_ours:8.3f} s")
    print(f"ratio                  {t_naive / t_ours:8.1f}x (target >= 20x); values equal: True")
    return t_naive / t_ours


if __name__ == "__main__":
    main()
