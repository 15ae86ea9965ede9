"""asv benchmarks of explainable fusion: exact Shapley contributions of
members (the target of doc/benchmarks.rst: 12 members, 1e5 rows x 10 classes, at least 20x a
naive subset loop; the side-by-side run is ``peers/compare_shapley.py``) and
pairwise diversity of 50 models (``peers/compare_diversity.py``)."""

import numpy as np

from skfusion import WeightedBlender
from skfusion.inspection import member_contributions, member_report
from skfusion.metrics import pairwise_diversity

SHAPLEY_ROWS, REPORT_ROWS, DIVERSITY_ROWS = 100_000, 20_000, 1_000_000


def member_probabilities(n_rows, n_members, n_classes, seed=0):
    """(probas, y): members of varied skill, each a share of the true class's
    one-hot vector plus Dirichlet noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_rows)
    probas = []
    for skill in rng.uniform(0.1, 0.6, n_members):
        noise = rng.dirichlet(np.ones(n_classes), n_rows)
        probas.append(skill * np.eye(n_classes)[y] + (1 - skill) * noise)
    return probas, y


class ExactShapley:
    """member_contributions on a soft blend scored by log-loss (the kernel path)."""

    params = [[4, 8, 12]]
    param_names = ["n_members"]
    timeout = 300

    def setup(self, n_members):
        probas, y = member_probabilities(SHAPLEY_ROWS, n_members, 10)
        self.blender = WeightedBlender.from_predictions(
            probas, y, weighting="optimize", scoring="neg_log_loss"
        )

    def time_member_contributions(self, n_members):
        member_contributions(self.blender)


class Report:
    """member_report of 8 members on 20 000 rows, accuracy (subset by subset)."""

    def setup(self):
        probas, y = member_probabilities(REPORT_ROWS, 8, 5)
        self.blender = WeightedBlender.from_predictions(probas, y, weighting="optimize")

    def time_member_report(self):
        member_report(self.blender)


class Diversity:
    """Q-statistics of 50 models' labels on 1e6 rows."""

    timeout = 300

    def setup(self):
        rng = np.random.default_rng(0)
        self.y = rng.integers(0, 5, DIVERSITY_ROWS)
        self.labels = [
            np.where(rng.random(len(self.y)) < s, self.y, rng.integers(0, 5, len(self.y)))
            for s in rng.uniform(0.5, 0.9, 50)
        ]

    def time_pairwise_diversity(self):
        pairwise_diversity(self.labels, self.y)
