"""asv benchmarks of Bayesian model averaging: the weight functions and the estimator."""

import numpy as np
from sklearn.datasets import make_classification, make_friedman1
from sklearn.linear_model import BayesianRidge, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import BayesianModelAverager, BayesianModelAveragerRegressor
from skfusion.weights import bb_pseudo_bma_weights, stacking_weights


class WeightsFromPointwise:
    params = ([1_000, 50_000],)
    param_names = ["n_rows"]

    def setup(self, n_rows):
        rng = np.random.default_rng(0)
        self.lpd = rng.normal(-1.0, 0.5, (n_rows, 10)) - np.linspace(0, 0.05, 10)
        bb_pseudo_bma_weights(self.lpd[:10], n_bootstrap=2, random_state=0)  # compile

    def time_bb_pseudo_bma_1000_draws(self, n_rows):
        bb_pseudo_bma_weights(self.lpd, n_bootstrap=1000, random_state=0)

    def time_stacking(self, n_rows):
        stacking_weights(self.lpd)


class AveragerFit:
    params = (["stacking", "pseudo_bma", "bb_pseudo_bma"],)
    param_names = ["weighting"]
    timeout = 300

    def setup(self, weighting):
        self.X, self.y = make_classification(
            n_samples=5000, n_features=20, n_informative=8, n_classes=4, random_state=0
        )
        self.members = [
            ("lr", LogisticRegression(max_iter=300)),
            ("nb", GaussianNB()),
            ("tree", DecisionTreeClassifier(max_depth=6, random_state=0)),
        ]
        self.fitted = BayesianModelAverager(self.members, weighting=weighting, random_state=0).fit(
            self.X, self.y
        )

    def time_fit(self, weighting):
        BayesianModelAverager(self.members, weighting=weighting, random_state=0).fit(
            self.X, self.y
        )

    def time_predict_proba(self, weighting):
        self.fitted.predict_proba(self.X)


class AveragerRegressor:
    params = (["stacking", "bb_pseudo_bma"],)
    param_names = ["weighting"]
    timeout = 300

    def setup(self, weighting):
        self.X, self.y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
        self.members = [
            ("bayes", BayesianRidge()),
            ("knn", KNeighborsRegressor(10)),
            ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
        ]
        self.fitted = BayesianModelAveragerRegressor(
            self.members, weighting=weighting, random_state=0
        ).fit(self.X, self.y)

    def time_fit(self, weighting):
        BayesianModelAveragerRegressor(self.members, weighting=weighting, random_state=0).fit(
            self.X, self.y
        )

    def time_predict_interval(self, weighting):
        self.fitted.predict_interval(self.X, coverage=0.9, method="mixture")
