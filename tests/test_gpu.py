"""The cupy kernels on a GPU: skipped cleanly where cupy or a GPU is absent.

Their logic also runs in CI through the numpy array namespace
(``tests/test_kernels.py``, backend ``xp-numpy``).
"""

import numpy as np
import pytest

from skfusion import config_context
from skfusion._kernels import _load, _reference, get_backend

cupy_backend = _load("cupy")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        isinstance(cupy_backend, str), reason=f"cupy or a GPU is unavailable: {cupy_backend}"
    ),
]


@pytest.fixture(scope="module")
def cp():
    import cupy

    return cupy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_soft_vote_on_device(cp, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.random((1000, 7)).astype(dtype) for _ in range(5)]
    weights = rng.random(5)
    got = cupy_backend.soft_vote([cp.asarray(a) for a in arrays], weights)
    assert isinstance(got, cp.ndarray) and got.dtype == dtype
    np.testing.assert_allclose(got.get(), _reference.soft_vote(arrays, weights), rtol=1e-5)


def test_fused_and_unfused_soft_vote_agree(cp):
    rng = np.random.default_rng(3)
    arrays = [cp.asarray(rng.random((777, 5))) for _ in range(9)]
    weights = rng.random(9)
    weights[2] = 0.0
    fused = cupy_backend.soft_vote(arrays, weights)  # contiguous: the fused kernel
    strided = cupy_backend.soft_vote(cp.stack(arrays, axis=1), weights)  # axpy path
    np.testing.assert_allclose(fused.get(), strided.get(), rtol=1e-12)
    expected = _reference.soft_vote([a.get() for a in arrays], weights)
    np.testing.assert_allclose(fused.get(), expected, rtol=1e-12)


def test_cupy_arrays_dispatch_to_the_gpu(cp):
    assert get_backend(cp.zeros((3, 2))) is cupy_backend
    assert get_backend([cp.zeros(3), cp.zeros(3)]) is cupy_backend


def test_engine_cupy_with_numpy_input_returns_numpy(cp):
    rng = np.random.default_rng(1)
    arrays = [rng.random((200, 3)) for _ in range(4)]
    with config_context(engine="cupy"):
        backend = get_backend(arrays)
        got = backend.soft_vote(arrays, np.ones(4))
    assert backend is cupy_backend and isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, _reference.soft_vote(arrays, np.ones(4)))


def test_hard_vote_rank_map_caruana_on_device(cp):
    rng = np.random.default_rng(2)
    labels = [rng.integers(0, 4, 500) for _ in range(6)]
    weights = rng.integers(1, 3, 6).astype(float)
    got = cupy_backend.hard_vote([cp.asarray(a) for a in labels], weights, 4)
    np.testing.assert_array_equal(got.get(), _reference.hard_vote(labels, weights, 4))

    scores = rng.random((300, 4))
    reference = np.sort(rng.random((1000, 4)), axis=0)
    got = cupy_backend.rank_map(cp.asarray(scores), cp.asarray(reference))
    np.testing.assert_allclose(got.get(), _reference.rank_map(scores, reference))

    probas = [rng.dirichlet(np.ones(4), 400) for _ in range(5)]
    y = rng.integers(0, 4, 400)
    picks, losses = cupy_backend.caruana_select([cp.asarray(p) for p in probas], cp.asarray(y), 10)
    ref_picks, ref_losses = _reference.caruana_select(probas, y, 10)
    np.testing.assert_array_equal(picks, ref_picks)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10)


def test_blender_predict_under_cupy_engine(cp):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB

    from skfusion import WeightedBlender

    X, y = load_iris(return_X_y=True)
    members = [("lr", LogisticRegression(max_iter=500)), ("nb", GaussianNB())]
    blender = WeightedBlender(members, weighting="caruana").fit(X, y)
    expected = blender.predict_proba(X)
    with config_context(engine="cupy"):
        np.testing.assert_allclose(blender.predict_proba(X), expected, rtol=1e-12)


def test_log_mixture_and_bayesian_bootstrap_on_device(cp):
    rng = np.random.default_rng(4)
    logs = [np.log(rng.dirichlet(np.ones(3), 200)) for _ in range(4)]
    weights = np.array([0.1, 0.0, 0.6, 0.3])
    got = cupy_backend.log_mixture([cp.asarray(a) for a in logs], weights)
    np.testing.assert_allclose(got.get(), _reference.log_mixture(logs, weights), rtol=1e-10)
    lpd = rng.normal(-1, 0.3, (300, 5))
    alpha = rng.dirichlet(np.ones(300), 50)
    got = cupy_backend.bayesian_bootstrap(cp.asarray(lpd), cp.asarray(alpha))
    np.testing.assert_allclose(got.get(), _reference.bayesian_bootstrap(lpd, alpha), rtol=1e-9)


@pytest.mark.parametrize("method", ["average", "fisher", "task_arithmetic", "ties", "dare"])
def test_merge_params_on_device(cp, method):
    from skfusion.merge import merge_params

    rng = np.random.default_rng(5)
    shapes = {"w": (64, 32), "b": (32,)}
    base = {k: rng.normal(size=s).astype(np.float32) for k, s in shapes.items()}
    models = [
        {k: v + rng.normal(scale=0.1, size=v.shape).astype(np.float32) for k, v in base.items()}
        for _ in range(3)
    ]
    fisher = [{k: rng.uniform(0.1, 1, v.shape) for k, v in base.items()} for _ in range(3)]
    kwargs = dict(merge=method, weights=[1, 2, 3], density=0.3, scaling=0.5, random_state=0)
    expected = merge_params(models, base=base, fisher=fisher, **kwargs)
    on_device = merge_params(
        [{k: cp.asarray(v) for k, v in m.items()} for m in models],
        base={k: cp.asarray(v) for k, v in base.items()},
        fisher=[{k: cp.asarray(v) for k, v in f.items()} for f in fisher],
        **kwargs,
    )
    for name in shapes:
        assert isinstance(on_device[name], cp.ndarray) and on_device[name].dtype == np.float32
        np.testing.assert_allclose(on_device[name].get(), expected[name], rtol=1e-5, atol=1e-6)
