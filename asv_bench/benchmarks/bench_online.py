"""asv benchmarks of online fusion: a batch ``partial_fit`` of a stream per
row, one-row ``partial_fit`` calls, members that learn each batch, and the
memory a blender holds after a 10 M-row stream (the side-by-side run against
river's EWARegressor is ``peers/compare_online.py``; the targets are 50x
river's per-row time in batch ``partial_fit``, and memory flat over a 10
M-row stream by default)."""

import pickle

import numpy as np
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import SGDClassifier
from sklearn.naive_bayes import GaussianNB

from skfusion import OnlineBlender, OnlineBlenderRegressor

N_ROWS = 100_000
LEARNING_ROWS = 20_000


def _saved_stream(n, n_members=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return y[:, None] + rng.normal(size=(n, n_members)), y


class SavedPredictionsStream:
    """Weights of 3 members' saved predictions over 100 000 rows."""

    params = [["hedge", "fixed_share"]]
    param_names = ["weighting"]

    def setup(self, weighting):
        self.predictions, self.y = _saved_stream(N_ROWS)
        self.blender = OnlineBlenderRegressor.from_predictions(
            list(self.predictions[:10].T), self.y[:10], weighting=weighting, batch_size=None
        )
        self.blender.partial_fit(self.predictions[:10], self.y[:10])  # compiled once

    def time_batch_partial_fit(self, weighting):
        self.blender.partial_fit(self.predictions, self.y)

    def time_one_row_partial_fit_x100(self, weighting):
        for i in range(100):
            self.blender.partial_fit(self.predictions[i : i + 1], self.y[i : i + 1])


class LearningMembers:
    """GaussianNB and SGD members learning a 20 000-row stream, 100 rows a batch."""

    timeout = 300

    def setup(self):
        self.X, self.y = make_classification(LEARNING_ROWS, 10, random_state=0)

    def time_fit(self):
        members = [("nb", GaussianNB()), ("sgd", SGDClassifier(loss="log_loss", random_state=0))]
        OnlineBlender(members, update_members=True, batch_size=100).fit(self.X, self.y)


class FrozenMembersStream:
    """Fitted members (predict included) over a 100 000-row stream."""

    def setup(self):
        X, y = make_classification(N_ROWS + 2000, 10, random_state=0)
        members = [
            ("nb", FrozenEstimator(GaussianNB().fit(X[:2000], y[:2000]))),
            ("sgd", FrozenEstimator(SGDClassifier(loss="log_loss").fit(X[:2000], y[:2000]))),
        ]
        self.blender = OnlineBlender(members)
        self.X, self.y = X[2000:], y[2000:]

    def time_fit(self):
        self.blender.fit(self.X, self.y)


class LongStreamMemory:
    """The pickled size of a blender after 10 000 000 rows of 3 members' saved
    predictions (100 000 rows a call): flat with the default ``max_history``,
    where keeping every row would hold 320 MB of history."""

    timeout = 300
    unit = "bytes"

    def setup(self):
        self.predictions, self.y = _saved_stream(N_ROWS)

    def track_pickled_bytes_after_ten_million_rows(self):
        blender = OnlineBlenderRegressor.from_predictions(
            list(self.predictions[:10].T), self.y[:10], batch_size=None
        )
        for _ in range(100):  # the same rows again: a stream of 10 M rows
            blender.partial_fit(self.predictions, self.y)
        return len(pickle.dumps(blender))
