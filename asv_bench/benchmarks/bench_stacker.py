"""asv benchmarks of OOFStacker fit and predict, and of tuning its meta-learner."""

import tempfile

from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import OOFStacker, OOFStackerRegressor


def _members():
    return [
        ("lr", LogisticRegression(max_iter=300)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=6, random_state=0)),
    ]


class StackerFit:
    params = (["refit", "fold_average"], [False, True])
    param_names = ["test_predictions", "passthrough"]
    timeout = 300

    def setup(self, test_predictions, passthrough):
        self.X, self.y = make_classification(
            n_samples=5000, n_features=20, n_informative=8, n_classes=4, random_state=0
        )

    def time_fit(self, test_predictions, passthrough):
        OOFStacker(_members(), test_predictions=test_predictions, passthrough=passthrough).fit(
            self.X, self.y
        )


class StackerPredict:
    params = (["refit", "fold_average"],)
    param_names = ["test_predictions"]

    def setup(self, test_predictions):
        self.X, y = make_classification(
            n_samples=20000, n_features=20, n_informative=8, n_classes=4, random_state=0
        )
        self.model = OOFStacker(_members(), test_predictions=test_predictions).fit(self.X, y)

    def time_predict_proba(self, test_predictions):
        self.model.predict_proba(self.X)


class StackerGridSearchWithMemory:
    timeout = 600

    def setup(self):
        self.X, self.y = make_classification(
            n_samples=3000, n_features=20, n_informative=8, n_classes=3, random_state=0
        )

    def time_grid_over_final_C(self):
        with tempfile.TemporaryDirectory() as cache:
            stack = OOFStacker(_members(), memory=cache)
            grid = {"final_estimator__C": [0.01, 0.1, 1.0, 10.0, 100.0]}
            GridSearchCV(stack, grid, cv=3).fit(self.X, self.y)


class StackerRegressorFit:
    params = (["refit", "fold_average"], [1, 3])
    param_names = ["test_predictions", "n_outputs"]
    timeout = 300

    def setup(self, test_predictions, n_outputs):
        self.X, self.y = make_regression(
            n_samples=5000, n_features=20, n_targets=n_outputs, random_state=0
        )
        self.members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=6))]
        self.fitted = OOFStackerRegressor(self.members, test_predictions=test_predictions).fit(
            self.X, self.y
        )

    def time_fit(self, test_predictions, n_outputs):
        OOFStackerRegressor(self.members, test_predictions=test_predictions).fit(self.X, self.y)

    def time_predict(self, test_predictions, n_outputs):
        self.fitted.predict(self.X)
