"""asv benchmarks of per-sample fusion: dynamic selection's predict time per
row with a bagging pool of 10 and 100 trees, a regressor's, and a learnt
gate's fit and predict (the side-by-side run against DESlib is
``peers/compare_dynamic.py``; the issue's target is 10x DESlib's KNORA-E
and 100x its DES-KNN at 100 members)."""

from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.tree import DecisionTreeClassifier

from skfusion import DynamicSelector

SELECTION_ROWS, TEST_ROWS = 3000, 10_000


class DynamicPredict:
    """predict of a selector on prefit trees (regions: 3 000 rows)."""

    params = [["knora_e", "knora_u", "ola", "lca", "des_knn"], [10, 100]]
    param_names = ["method", "n_members"]
    timeout = 300

    def setup(self, method, n_members):
        n = 2 * SELECTION_ROWS + TEST_ROWS
        X, y = make_classification(n, 20, n_informative=10, n_classes=3, random_state=0)
        pool = BaggingClassifier(
            DecisionTreeClassifier(max_depth=10), n_estimators=n_members, random_state=0
        ).fit(X[:SELECTION_ROWS], y[:SELECTION_ROWS])
        members = [(f"tree{i}", FrozenEstimator(est)) for i, est in enumerate(pool.estimators_)]
        selection = slice(SELECTION_ROWS, 2 * SELECTION_ROWS)
        self.selector = DynamicSelector(
            members, method=method, voting="hard", scaler=None, cv="prefit", shrinkage=0
        ).fit(X[selection], y[selection])
        self.X_test = X[2 * SELECTION_ROWS :]

    def time_predict(self, method, n_members):
        self.selector.predict(self.X_test)


class GatedPredict:
    """fit and predict of a learnt gate over 10 trees (3 000 fitting rows)."""

    params = [["classifier", "regressor"]]
    param_names = ["task"]
    timeout = 300

    def setup(self, task):
        from sklearn.datasets import make_regression
        from sklearn.tree import DecisionTreeRegressor

        from skfusion import GatedBlender, GatedBlenderRegressor

        n = SELECTION_ROWS + TEST_ROWS
        if task == "classifier":
            X, y = make_classification(n, 20, n_informative=10, n_classes=3, random_state=0)
            tree, fuser = DecisionTreeClassifier, GatedBlender
        else:
            X, y = make_regression(n, 20, n_informative=10, noise=5.0, random_state=0)
            tree, fuser = DecisionTreeRegressor, GatedBlenderRegressor
        members = [(f"tree{i}", tree(max_depth=6, random_state=i)) for i in range(10)]
        self.fuser = fuser(members, cv=3)
        self.X_fit, self.y_fit = X[:SELECTION_ROWS], y[:SELECTION_ROWS]
        self.X_test = X[SELECTION_ROWS:]
        self.fitted = clone(self.fuser).fit(self.X_fit, self.y_fit)

    def time_fit(self, task):
        clone(self.fuser).fit(self.X_fit, self.y_fit)

    def time_predict(self, task):
        self.fitted.predict(self.X_test)


class DynamicRegressorPredict:
    """predict of a dynamic selector of 10 prefit regression trees."""

    params = [["ola", "weighted"]]
    param_names = ["method"]
    timeout = 300

    def setup(self, method):
        from sklearn.datasets import make_regression
        from sklearn.tree import DecisionTreeRegressor

        from skfusion import DynamicSelectorRegressor

        n = 2 * SELECTION_ROWS + TEST_ROWS
        X, y = make_regression(n, 20, n_informative=10, noise=5.0, random_state=0)
        members = [
            (
                f"tree{i}",
                FrozenEstimator(
                    DecisionTreeRegressor(max_depth=6, random_state=i).fit(
                        X[:SELECTION_ROWS], y[:SELECTION_ROWS]
                    )
                ),
            )
            for i in range(10)
        ]
        selection = slice(SELECTION_ROWS, 2 * SELECTION_ROWS)
        self.selector = DynamicSelectorRegressor(members, method=method, cv="prefit").fit(
            X[selection], y[selection]
        )
        self.X_test = X[2 * SELECTION_ROWS :]

    def time_predict(self, method):
        self.selector.predict(self.X_test)
