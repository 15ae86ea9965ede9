"""asv benchmarks of the aggregation kernels, per backend.

Each class times one kernel on the numpy reference, the numba backend and
the GPU (skipped without one); numba is warmed up (compiled) in ``setup`` so
compilation is not timed, and GPU inputs are on the device already.
"""

import numpy as np

from skfusion import config_context
from skfusion._kernels import get_kernel

from ._engines import ENGINES, Engine


def _probas(n_members, n, k, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.ones(k), n).astype(dtype) for _ in range(n_members)]


class _KernelBenchmark:
    """Kernel ``name`` of one engine with inputs ``args`` in that engine's memory.

    It is called once on ``warm_args`` (default: ``args``) so compilation is
    not timed.
    """

    def _prepare(self, engine, name, *args, warm_args=None):
        self.engine = Engine(engine)
        self.args = self._put(args)
        with config_context(engine=engine):
            self.kernel = get_kernel(name, *self.args[:1])
        self.kernel(*(self.args if warm_args is None else self._put(warm_args)))

    def _put(self, args):
        return [self.engine.put(a) for a in args]

    def _call(self):
        out = self.kernel(*self.args)
        self.engine.sync()
        return out


class SoftVote(_KernelBenchmark):
    params = (ENGINES, [10_000, 1_000_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        self._prepare(engine, "soft_vote", _probas(20, n_rows, 10), np.full(20, 1 / 20))

    def time_soft_vote(self, engine, n_rows):
        self._call()

    def peakmem_soft_vote(self, engine, n_rows):
        self._call()


class HardVote(_KernelBenchmark):
    params = (ENGINES, [10_000, 1_000_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        rng = np.random.default_rng(0)
        labels = [rng.integers(0, 5, n_rows) for _ in range(10)]
        self._prepare(engine, "hard_vote", labels, rng.random(10), 5)

    def time_hard_vote(self, engine, n_rows):
        self._call()


class RankMap(_KernelBenchmark):
    params = (ENGINES, [10_000, 200_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        (scores,) = _probas(1, n_rows, 10)
        reference = np.sort(_probas(1, 50_000, 10, seed=1)[0], axis=0)
        self._prepare(engine, "rank_map", scores, reference)

    def time_rank_map(self, engine, n_rows):
        self._call()


class CaruanaSelect(_KernelBenchmark):
    params = (ENGINES, [10_000, 100_000])
    param_names = ["engine", "n_rows"]
    timeout = 300

    def setup(self, engine, n_rows):
        y = np.random.default_rng(1).integers(0, 10, n_rows)
        probas = _probas(20, n_rows, 10)
        self._prepare(engine, "caruana_select", probas, y, 50, warm_args=(probas[:2], y, 1))

    def time_caruana_select(self, engine, n_rows):
        self._call()


class LogMixture(_KernelBenchmark):
    params = (ENGINES, [10_000, 1_000_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        rng = np.random.default_rng(0)
        log_densities = [rng.normal(-1.0, 1.0, (n_rows, 3)) for _ in range(10)]
        self._prepare(engine, "log_mixture", log_densities, rng.dirichlet(np.ones(10)))

    def time_log_mixture(self, engine, n_rows):
        self._call()


class BayesianBootstrap(_KernelBenchmark):
    params = (ENGINES, [1_000, 50_000])
    param_names = ["engine", "n_rows"]

    def setup(self, engine, n_rows):
        rng = np.random.default_rng(0)
        pointwise = rng.normal(-1.0, 0.5, (n_rows, 10))
        alpha = rng.dirichlet(np.ones(n_rows), 1000)
        self._prepare(engine, "bayesian_bootstrap", pointwise, alpha)

    def time_bayesian_bootstrap_1000_draws(self, engine, n_rows):
        self._call()


class LocalCompetence(_KernelBenchmark):
    """Dynamic selection's competence on each row's neighbours: 3 000
    reference rows, 100 members, k=7."""

    params = (ENGINES, [10_000, 200_000], ["mean", "run"])
    param_names = ["engine", "n_rows", "rule"]

    def setup(self, engine, n_rows, rule):
        rng = np.random.default_rng(0)
        correct = rng.random((3000, 100)) < 0.7
        neighbours = rng.integers(0, 3000, (n_rows, 7))
        self._prepare(engine, "local_competence", correct, neighbours, rule)

    def time_local_competence(self, engine, n_rows, rule):
        self._call()


class OnlineWeights(_KernelBenchmark):
    """Exponential weights row by row (online fusion): 10 members, Hedge and
    fixed share."""

    params = (ENGINES, [100_000, 1_000_000], [0.0, 0.01])
    param_names = ["engine", "n_rows", "share"]

    def setup(self, engine, n_rows, share):
        rng = np.random.default_rng(0)
        losses = rng.exponential(size=(n_rows, 10))
        self._prepare(engine, "online_weights", losses, np.zeros(10), np.ones(n_rows), share)

    def time_online_weights(self, engine, n_rows, share):
        self._call()
