"""asv benchmarks of the aggregation kernels, per backend.

Each class times one kernel on the numpy reference and the numba backend;
numba is warmed up (compiled) in ``setup`` so compilation is not timed.
"""

import numpy as np

from skfusion import config_context
from skfusion._kernels import get_kernel

ENGINES = ["numpy", "numba"]


def _probas(n_members, n, k, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.ones(k), n).astype(dtype) for _ in range(n_members)]


class SoftVote:
    params = (ENGINES, [10_000, 1_000_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        self.arrays = _probas(20, n_rows, 10)
        self.weights = np.full(20, 1 / 20)
        with config_context(engine=engine):
            self.kernel = get_kernel("soft_vote", self.arrays)
        self.kernel(self.arrays, self.weights)

    def time_soft_vote(self, engine, n_rows):
        self.kernel(self.arrays, self.weights)

    def peakmem_soft_vote(self, engine, n_rows):
        self.kernel(self.arrays, self.weights)


class HardVote:
    params = (ENGINES, [10_000, 1_000_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        rng = np.random.default_rng(0)
        self.labels = [rng.integers(0, 5, n_rows) for _ in range(10)]
        self.weights = rng.random(10)
        with config_context(engine=engine):
            self.kernel = get_kernel("hard_vote", self.labels)
        self.kernel(self.labels, self.weights, 5)

    def time_hard_vote(self, engine, n_rows):
        self.kernel(self.labels, self.weights, 5)


class RankMap:
    params = (ENGINES, [10_000, 200_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        (self.scores,) = _probas(1, n_rows, 10)
        self.reference = np.sort(_probas(1, 50_000, 10, seed=1)[0], axis=0)
        with config_context(engine=engine):
            self.kernel = get_kernel("rank_map", self.scores)
        self.kernel(self.scores, self.reference)

    def time_rank_map(self, engine, n_rows):
        self.kernel(self.scores, self.reference)


class CaruanaSelect:
    params = (ENGINES, [10_000, 100_000])
    param_names = ["engine", "n_rows"]
    timeout = 300

    def setup(self, engine, n_rows):
        self.arrays = _probas(20, n_rows, 10)
        self.y = np.random.default_rng(1).integers(0, 10, n_rows)
        with config_context(engine=engine):
            self.kernel = get_kernel("caruana_select", self.arrays)
        self.kernel(self.arrays[:2], self.y, 1)

    def time_caruana_select(self, engine, n_rows):
        self.kernel(self.arrays, self.y, 50)
