"""Member x fold fits on a dask cluster through joblib's dask backend."""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from skfusion import OOFStacker, WeightedBlender

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # In-process workers (threads): no sockets, quick to start and stop.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _members():
    return [
        ("lr", LogisticRegression(max_iter=500)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


@pytest.mark.parametrize("test_predictions", ["refit", "fold_average"])
def test_stacker_on_dask_equals_local_run(client, test_predictions):
    X, y = load_iris(return_X_y=True)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    local = OOFStacker(_members(), cv=cv, test_predictions=test_predictions).fit(X, y)
    with parallel_config(backend="dask"):
        remote = OOFStacker(_members(), cv=cv, test_predictions=test_predictions, n_jobs=-1)
        remote.fit(X, y)
    np.testing.assert_allclose(remote.oof_predictions_, local.oof_predictions_)
    np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X))
    tasks = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.task_prefixes))
    assert tasks > 0  # the fits did go through the cluster's scheduler


def test_blender_on_dask_equals_local_run(client):
    X, y = load_iris(return_X_y=True)
    local = WeightedBlender(_members(), weighting="caruana").fit(X, y)
    with parallel_config(backend="dask"):
        remote = WeightedBlender(_members(), weighting="caruana", n_jobs=-1).fit(X, y)
    np.testing.assert_allclose(remote.weights_, local.weights_)
    np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X))
