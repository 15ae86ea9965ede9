"""asv benchmarks of distillation: predict time of a distilled student
against its teacher (a stack of three models), and the fit, whose costly
part is the teacher labelling the augmented rows (the side-by-side quality
run is ``peers/compare_distillation.py``; the issue's target is a student
predicting in at most 0.1x the teacher's time)."""

from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from skfusion import Distiller, DistillerRegressor, OOFStacker, OOFStackerRegressor

N_ROWS = 5000


def _distiller(task):
    if task == "classifier":
        teacher = OOFStacker(
            [
                ("hgb", HistGradientBoostingClassifier(max_iter=50, random_state=0)),
                ("rf", RandomForestClassifier(100, random_state=0)),
                ("lr", LogisticRegression()),
            ],
            cv=3,
        )
        return Distiller(teacher, HistGradientBoostingRegressor(max_iter=50), random_state=0)
    teacher = OOFStackerRegressor(
        [
            ("hgb", HistGradientBoostingRegressor(max_iter=50, random_state=0)),
            ("rf", RandomForestRegressor(100, random_state=0)),
            ("ridge", Ridge()),
        ],
        cv=3,
    )
    return DistillerRegressor(teacher, HistGradientBoostingRegressor(max_iter=50), random_state=0)


def _data(task, n):
    if task == "classifier":
        return make_classification(n, 20, n_informative=10, random_state=0)
    return make_regression(n, 20, n_informative=10, noise=10.0, random_state=0)


class DistilledPredict:
    """predict of the distilled student and of its teacher on 5 000 rows."""

    params = [["classifier", "regressor"]]
    param_names = ["task"]
    timeout = 600

    def setup(self, task):
        X, y = _data(task, 2 * N_ROWS)
        self.distiller = _distiller(task).set_params(validation=None).fit(X[:N_ROWS], y[:N_ROWS])
        self.X_test = X[N_ROWS:]

    def time_teacher_predict(self, task):
        self.distiller.teacher_.predict(self.X_test)

    def time_student_predict(self, task):
        self.distiller.predict(self.X_test)


class DistillerFit:
    """fit of a distiller (teacher, 4x MUNGE rows labelled, student) on 5 000 rows."""

    params = [["classifier"]]
    param_names = ["task"]
    timeout = 600

    def setup(self, task):
        self.X, self.y = _data(task, N_ROWS)

    def time_fit(self, task):
        _distiller(task).set_params(validation=None).fit(self.X, self.y)
