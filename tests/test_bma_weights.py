"""Weights from pointwise log predictive densities, against the paper's formulas.

Yao, Vehtari, Simpson, Gelman (2018), Bayesian Analysis 13(3): pseudo-BMA
(eq. 8), pseudo-BMA+ with the Bayesian bootstrap (eq. 9-10) and stacking of
predictive distributions (eq. 4), written out naively here.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion._kernels import _cupy, _numba, _reference
from skfusion.weights import bb_pseudo_bma_weights, pseudo_bma_weights, stacking_weights


def _pointwise(seed=0, n=300, means=(-1.0, -1.2, -1.5), scale=0.5):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(mu, scale, n) for mu in means])


def _naive_pseudo_bma(lpd):
    elpd = [sum(lpd[:, m]) for m in range(lpd.shape[1])]
    top = max(elpd)
    unnormalised = [math.exp(e - top) for e in elpd]
    return np.array(unnormalised) / sum(unnormalised)


def _naive_bb_draw(lpd, alpha):
    n = lpd.shape[0]
    z = [n * sum(alpha[i] * lpd[i, m] for i in range(n)) for m in range(lpd.shape[1])]
    return _naive_pseudo_bma(np.array([z]))


def test_pseudo_bma_matches_the_formula():
    lpd = _pointwise()
    np.testing.assert_allclose(pseudo_bma_weights(lpd), _naive_pseudo_bma(lpd), rtol=1e-12)


@pytest.mark.parametrize("backend", ["reference", "numba", "xp-numpy"])
def test_bayesian_bootstrap_kernel_matches_per_draw_loop(backend):
    lpd = _pointwise(n=40)
    alpha = np.random.default_rng(1).dirichlet(np.ones(40), 25)
    kernel = {
        "reference": _reference.bayesian_bootstrap,
        "numba": _numba.bayesian_bootstrap,
        "xp-numpy": lambda p, a: _cupy.bayesian_bootstrap(p, a, xp=np),
    }[backend]
    expected = np.array([_naive_bb_draw(lpd, a) for a in alpha])
    np.testing.assert_allclose(kernel(lpd, alpha), expected, rtol=1e-10, atol=1e-14)


def test_bb_pseudo_bma_matches_a_per_draw_loop():
    lpd = _pointwise(n=200, means=(-1.0, -1.02, -1.1), scale=1.0)
    rng = np.random.default_rng(7)
    draws = np.array([_naive_bb_draw(lpd, rng.dirichlet(np.ones(200))) for _ in range(1000)])
    w, std = bb_pseudo_bma_weights(lpd, n_bootstrap=1000, random_state=0, return_std=True)
    assert np.isclose(w.sum(), 1.0) and w.min() >= 0
    # Independent draws: equal within Monte Carlo error (its sd is about 0.015
    # here; the same draws give the same weights, see the kernel test above).
    np.testing.assert_allclose(w, draws.mean(axis=0), atol=0.06)
    np.testing.assert_allclose(std, draws.std(axis=0), atol=0.03)


def test_bb_pseudo_bma_is_seeded_and_blocked_consistently():
    lpd = _pointwise(n=50)
    a = bb_pseudo_bma_weights(lpd, n_bootstrap=300, random_state=3)
    b = bb_pseudo_bma_weights(lpd, n_bootstrap=300, random_state=3)
    np.testing.assert_array_equal(a, b)


def _stacking_objective(lpd, w):
    return sum(
        math.log(sum(w[m] * math.exp(lpd[i, m]) for m in range(lpd.shape[1])))
        for i in range(lpd.shape[0])
    )


def test_stacking_beats_a_simplex_grid():
    rng = np.random.default_rng(4)
    # three members, each good on a different third of the rows
    lpd = np.full((90, 3), -3.0) + rng.normal(0, 0.2, (90, 3))
    for m in range(3):
        lpd[30 * m : 30 * (m + 1), m] = -0.5
    w = stacking_weights(lpd)
    ticks = np.linspace(0, 1, 21)
    grid = [np.array([a, b, 1 - a - b]) for a, b in itertools.product(ticks, ticks) if a + b <= 1]
    best_grid = max(_stacking_objective(lpd, g) for g in grid)
    assert _stacking_objective(lpd, w) >= best_grid - 1e-9
    assert np.all(w > 0.2)  # all three are needed


def test_stacking_is_shift_invariant_per_row():
    lpd = _pointwise(n=100)
    shifted = lpd + np.random.default_rng(0).normal(0, 50, (100, 1))  # huge per-row scales
    np.testing.assert_allclose(stacking_weights(shifted), stacking_weights(lpd), atol=1e-6)


@pytest.mark.parametrize("fn", [pseudo_bma_weights, bb_pseudo_bma_weights, stacking_weights])
def test_weight_properties(fn):
    good = _pointwise(n=200, means=(-1.0,))[:, 0]
    bad = good - 5.0
    w = fn(np.column_stack([good, bad]))
    assert w[1] < 0.01 and np.isclose(w.sum(), 1.0)
    w = fn(np.column_stack([good, good, bad]))
    assert abs(w[0] - w[1]) < 0.02  # identical members share weight
    np.testing.assert_allclose(fn(good[:, None]), [1.0])


def test_zero_density_members_get_finite_weights():
    lpd = _pointwise(n=50)
    lpd[0, 1] = -np.inf  # member 1 gives density 0 to row 0
    for fn in (pseudo_bma_weights, bb_pseudo_bma_weights, stacking_weights):
        w = fn(lpd)
        assert np.all(np.isfinite(w)) and np.isclose(w.sum(), 1.0)


def test_invalid_pointwise():
    with pytest.raises(ValueError, match="n_samples, n_members"):
        pseudo_bma_weights(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        stacking_weights(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="row 1"):
        pseudo_bma_weights(np.array([[0.0, -1.0], [-np.inf, -np.inf]]))
    with pytest.raises(ValueError, match="n_bootstrap"):
        bb_pseudo_bma_weights(np.zeros((3, 2)), n_bootstrap=0)


@pytest.mark.parametrize("backend", ["numba", "xp-numpy"])
@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 30),
    n_members=st.integers(1, 5),
    k=st.integers(1, 6),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_log_mixture_matches_reference(backend, n, n_members, k, dtype, seed):
    rng = np.random.default_rng(seed)
    arrays = [np.log(rng.dirichlet(np.ones(k), n)).astype(dtype) for _ in range(n_members)]
    weights = rng.random(n_members)
    weights[rng.random(n_members) < 0.3] = 0.0
    if weights.sum() == 0:
        weights[0] = 1.0
    kernel = (
        _numba.log_mixture if backend == "numba" else (lambda a, w: _cupy.log_mixture(a, w, xp=np))
    )
    got = kernel(arrays, weights)
    expected = _reference.log_mixture(arrays, weights)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    naive = np.log(sum(w * np.exp(a.astype(np.float64)) for w, a in zip(weights, arrays)))
    np.testing.assert_allclose(expected, naive, rtol=1e-5, atol=1e-6)
