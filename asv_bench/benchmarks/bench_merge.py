"""asv benchmarks of weight-space merging: kernels per backend (time and peak
memory), merge_params on several tensors, and the fuser's fit and predict."""

import numpy as np
from sklearn.datasets import load_digits, make_friedman1
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skfusion import WeightSpaceFuser, WeightSpaceFuserRegressor, config_context
from skfusion._kernels import get_kernel
from skfusion.merge import merge_params

from ._engines import ENGINES, Engine


def _tensors(n, n_models=4, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n).astype(np.float32)
    return base, [base + rng.normal(scale=0.1, size=n).astype(np.float32) for _ in range(n_models)]


class MergeKernels:
    params = (ENGINES, [100_000, 5_000_000])
    param_names = ["engine", "n_entries"]
    timeout = 300

    def setup(self, engine, n_entries):
        self.engine = Engine(engine)
        base, tensors = _tensors(n_entries)
        self.base, self.tensors = self.engine.put(base), self.engine.put(tensors)
        self.weights = np.ones(4)
        with config_context(engine=engine):
            self.ties = get_kernel("ties_merge", self.tensors)
            self.dare = get_kernel("dare_merge", self.tensors)
            self.average = get_kernel("weighted_average_params", self.tensors)
        self.time_ties(engine, n_entries)  # compile outside the timing
        self.time_dare(engine, n_entries)
        self.time_weighted_average(engine, n_entries)

    def _ties(self):
        self.ties(self.tensors, self.base, 0.2, self.weights, 1.0)
        self.engine.sync()

    def _dare(self):
        self.dare(self.tensors, self.base, 0.2, self.weights, 1.0, [1, 2, 3, 4])
        self.engine.sync()

    def time_ties(self, engine, n_entries):
        self._ties()

    def time_dare(self, engine, n_entries):
        self._dare()

    def time_weighted_average(self, engine, n_entries):
        self.average(self.tensors, self.weights / 4)
        self.engine.sync()

    # Host memory: on the GPU engine this shows that nothing is copied back.
    def peakmem_ties(self, engine, n_entries):
        self._ties()

    def peakmem_dare(self, engine, n_entries):
        self._dare()


class MergeParams:
    params = (["average", "task_arithmetic", "ties", "dare"],)
    param_names = ["merge"]

    def setup(self, merge):
        rng = np.random.default_rng(0)
        shapes = [(512, 512), (512,), (512, 256), (256,), (256, 10)]
        self.base = {f"t{i}": rng.normal(size=s).astype(np.float32) for i, s in enumerate(shapes)}
        self.models = [
            {
                k: v + rng.normal(scale=0.1, size=v.shape).astype(np.float32)
                for k, v in self.base.items()
            }
            for _ in range(8)
        ]
        self.time_merge(merge)

    def time_merge(self, merge):
        merge_params(self.models, merge=merge, base=self.base, random_state=0)

    def peakmem_merge(self, merge):
        merge_params(self.models, merge=merge, base=self.base, random_state=0)


# Each benchmarked recipe: how parameters are merged and how members are weighted.
RECIPES = {
    "average": {},
    "greedy": {"weighting": "greedy"},
    "ties": {"merge": "ties"},
    "fisher": {"merge": "fisher"},
}


class FuserFitPredict:
    params = (["average", "greedy", "ties"],)
    param_names = ["recipe"]
    timeout = 300

    def setup(self, recipe):
        X, y = load_digits(return_X_y=True)
        self.X, self.y = X / 16.0, y
        self.members = [
            (f"m{i}", MLPClassifier(hidden_layer_sizes=(64,), max_iter=5, random_state=i))
            for i in range(4)
        ]
        self.base = MLPClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0)
        self.fitted = self._fuser(recipe).fit(self.X, self.y)

    def _fuser(self, recipe):
        return WeightSpaceFuser(
            self.members, base_estimator=self.base, random_state=0, **RECIPES[recipe]
        )

    def time_fit(self, recipe):
        self._fuser(recipe).fit(self.X, self.y)

    def time_predict(self, recipe):
        self.fitted.predict(self.X)


class FuserRegressorFitPredict:
    params = (["average", "greedy", "fisher"],)
    param_names = ["recipe"]
    timeout = 300

    def setup(self, recipe):
        X, y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
        self.X, self.y = X, y
        self.members = [
            (f"m{i}", MLPRegressor(hidden_layer_sizes=(32,), max_iter=5, random_state=i))
            for i in range(4)
        ]
        self.base = MLPRegressor(hidden_layer_sizes=(32,), max_iter=20, random_state=0)
        self.fitted = self._fuser(recipe).fit(self.X, self.y)

    def _fuser(self, recipe):
        return WeightSpaceFuserRegressor(
            self.members, base_estimator=self.base, random_state=0, **RECIPES[recipe]
        )

    def time_fit(self, recipe):
        self._fuser(recipe).fit(self.X, self.y)

    def time_predict(self, recipe):
        self.fitted.predict(self.X)
