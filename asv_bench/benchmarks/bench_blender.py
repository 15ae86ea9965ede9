"""asv benchmarks of WeightedBlender fit and predict."""

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import WeightedBlender, WeightedBlenderRegressor


def _members():
    return [
        ("lr", LogisticRegression(max_iter=300)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=6, random_state=0)),
    ]


class BlenderFit:
    params = ([None, "score", "optimize", "caruana"], ["soft", "hard", "rank"])
    param_names = ["weighting", "voting"]
    timeout = 300

    def setup(self, weighting, voting):
        self.X, self.y = make_classification(
            n_samples=5000, n_features=20, n_informative=8, n_classes=4, random_state=0
        )

    def time_fit(self, weighting, voting):
        WeightedBlender(_members(), weighting=weighting, voting=voting).fit(self.X, self.y)


class BlenderPredict:
    params = (["soft", "hard", "rank"],)
    param_names = ["voting"]

    def setup(self, voting):
        X, y = make_classification(
            n_samples=20000, n_features=20, n_informative=8, n_classes=4, random_state=0
        )
        self.X = X
        self.model = WeightedBlender(_members(), weighting="caruana", voting=voting).fit(X, y)

    def time_predict(self, voting):
        self.model.predict(self.X)


class RegressorFit:
    params = ([None, "optimize", "caruana"],)
    param_names = ["weighting"]

    def setup(self, weighting):
        self.X, self.y = make_regression(n_samples=5000, n_features=20, random_state=0)
        self.members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=6))]
        self.fitted = WeightedBlenderRegressor(self.members, weighting=weighting).fit(
            self.X, self.y
        )

    def time_fit(self, weighting):
        WeightedBlenderRegressor(self.members, weighting=weighting).fit(self.X, self.y)

    def time_predict(self, weighting):
        self.fitted.predict(self.X)

    def track_fused_r2(self, weighting):
        # The blend's out-of-fold R2; None (no OOF predictions) with equal weights.
        score = self.fitted.fused_score_
        return np.nan if score is None else float(score)
