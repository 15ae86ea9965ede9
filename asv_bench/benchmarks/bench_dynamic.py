"""asv benchmarks of dynamic ensemble selection: predict time per row with
a bagging pool of 10 and 100 trees (the side-by-side run against DESlib is
``peers/compare_dynamic.py``; the issue's target is 10x DESlib's KNORA-E
and 100x its DES-KNN at 100 members)."""

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
            members, method=method, voting="hard", scaler=None, cv="prefit"
        ).fit(X[selection], y[selection])
        self.X_test = X[2 * SELECTION_ROWS :]

    def time_predict(self, method, n_members):
        self.selector.predict(self.X_test)
