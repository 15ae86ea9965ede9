"""asv benchmarks of probability calibration (``calibration=``): each map
fitted on, and applied to, fused probabilities, and what calibrating adds to
a blender's fit (the map of all rows plus one per fold, for
``fused_cv_score_`` and ``predict_set``). The side-by-side run against
sklearn's CalibratedClassifierCV is ``peers/compare_calibration.py``."""

from skfusion import WeightedBlender
from skfusion._calibration import fit_calibrator

from .bench_inspection import member_probabilities

ROWS = 100_000


class Calibrator:
    """One map on 1e5 rows x 10 classes of blended probabilities."""

    params = [["temperature", "sigmoid", "isotonic"]]
    param_names = ["method"]

    def setup(self, method):
        probas, self.y = member_probabilities(ROWS, 3, 10)
        self.proba = sum(probas) / len(probas)
        self.fitted = fit_calibrator(method, self.proba, self.y)

    def time_fit(self, method):
        fit_calibrator(method, self.proba, self.y)

    def time_transform(self, method):
        self.fitted.transform(self.proba)


class CalibratedBlend:
    """A blender fitted on 5 saved members' OOF probabilities (1e5 rows x 10
    classes), with and without calibration."""

    params = [[None, "temperature", "isotonic"]]
    param_names = ["calibration"]
    timeout = 300

    def setup(self, calibration):
        self.probas, self.y = member_probabilities(ROWS, 5, 10)

    def time_fit(self, calibration):
        WeightedBlender.from_predictions(self.probas, self.y, calibration=calibration)
