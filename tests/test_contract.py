"""Every kernel and public array function: the same answer or the same error on every engine.

Inputs are fuzzed (hypothesis) over NaN and inf, float16/32/64, list and block
layouts (C, F and negative-stride views), 1 to 64 members, and sizes on both
sides of the auto-numba switch and of the numba kernels' threading thresholds.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skfusion
from skfusion import _kernels, blend
from skfusion._kernels import _numba, get_kernel
from skfusion.merge import merge_params
from skfusion.weights import (
    bb_pseudo_bma_weights,
    caruana_weights,
    optimized_weights,
    pseudo_bma_weights,
    score_weights,
    stacking_weights,
)

ENGINES = ("numpy", "numba")
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Output elements from which numba splits a kernel over 2 threads, and the
# input size of the auto switch: sizes are drawn on both sides of each.
THREADED = 2 * _numba._MIN_PER_THREAD + 3
AUTO = _kernels.AUTO_NUMBA_MIN_SIZE + 5


def _outcome(call):
    try:
        return "ok", call()
    except (ValueError, TypeError) as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def _assert_same(a, b, rtol):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key], rtol)
        return
    if isinstance(a, tuple):
        for x, y in zip(a, b):
            _assert_same(x, y, rtol)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.dtype.kind in "iub":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(
            a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=rtol, equal_nan=True
        )


def _agree(call, rtol):
    """Run ``call`` on every engine: all raise the same error, or all agree to ``rtol``."""
    outcomes = []
    for engine in ENGINES:
        with skfusion.config_context(engine=engine):
            outcomes.append(_outcome(call))
    kinds = {kind for kind, _ in outcomes}
    assert len(kinds) == 1, outcomes
    if kinds == {"error"}:
        assert outcomes[0][1] == outcomes[1][1]
        return None
    _assert_same(outcomes[0][1], outcomes[1][1], rtol)
    return outcomes[0][1]


def _rtol(dtype):
    return {np.float16: 2e-3, np.float32: 2e-5}.get(np.dtype(dtype).type, 1e-9)


@st.composite
def members(draw, *, classes=True, max_members=64, size=None):
    """(arrays, layout form, dtype): M arrays of one shape, possibly with NaN / inf."""
    n_members = draw(st.sampled_from([1, 2, 3, 5, 17, 64][: 1 + max_members // 13 + 3]))
    n_members = min(n_members, max_members)
    k = draw(st.sampled_from([1, 2, 3, 7])) if classes else 1
    if size is None:
        budget = draw(st.sampled_from(["small", "auto", "threaded"]))
        size = {"small": draw(st.integers(1, 40)), "auto": AUTO, "threaded": THREADED}[budget]
    n = max(1, size // (k * n_members) if size > 64 else size)
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (n, k) if classes else (n,)
    arrays = [rng.random(shape).astype(dtype) for _ in range(n_members)]
    bad = draw(st.sampled_from([None, None, np.nan, np.inf, -np.inf]))
    if bad is not None:
        m = draw(st.integers(0, n_members - 1))
        arrays[m].reshape(-1)[rng.integers(0, arrays[m].size)] = bad
    form = draw(st.sampled_from(["list", "list_F", "list_negative", "C", "F", "negative"]))
    return arrays, form, dtype


def _layout(arrays, form):
    if form == "list":
        return arrays
    if form == "list_F":
        return [np.asfortranarray(a) for a in arrays]
    if form == "list_negative":
        return [a[::-1] for a in arrays]
    block = np.stack(arrays, axis=1)
    if form == "F":
        return np.asfortranarray(block)
    if form == "negative":
        return block[::-1]
    return block


def _weights(draw, n_members):
    w = np.asarray(draw(st.lists(st.floats(0, 4), min_size=n_members, max_size=n_members)))
    if w.sum() == 0:
        w[0] = 1.0
    return w


# ---------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------
@SETTINGS
@given(data=st.data())
def test_soft_vote(data):
    arrays, form, dtype = data.draw(members())
    w = _weights(data.draw, len(arrays))
    given_ = _layout(arrays, form)
    out = _agree(lambda: get_kernel("soft_vote", given_)(given_, w), _rtol(dtype))
    assert out.dtype == dtype  # float16 in, float16 out


@SETTINGS
@given(data=st.data())
def test_hard_vote(data):
    n_members = data.draw(st.sampled_from([1, 2, 5, 17, 64]))
    n = data.draw(st.sampled_from([1, 9, AUTO // n_members + 1, THREADED]))
    if n * n_members > 4 * THREADED:
        n = 4 * THREADED // n_members
    n_classes = data.draw(st.integers(1, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    high = n_classes + data.draw(st.sampled_from([0, 0, 1]))  # sometimes out of range
    labels = [rng.integers(0, high, n) for _ in range(n_members)]
    if data.draw(st.booleans()):
        labels[0][0] = -1
    form = data.draw(st.sampled_from(["list", "list_negative", "C", "F", "negative"]))
    given_ = _layout(labels, form)
    w = _weights(data.draw, n_members)
    _agree(lambda: get_kernel("hard_vote", given_)(given_, w, n_classes), 0)


@SETTINGS
@given(data=st.data())
def test_rank_map(data):
    arrays, form, dtype = data.draw(members(max_members=2))
    scores = arrays[0] if form in ("list", "C") else np.asfortranarray(arrays[0])
    reference = np.sort(arrays[-1], axis=0)
    if data.draw(st.booleans()):
        scores, reference = scores[:, 0], reference[:, 0]
    _agree(lambda: get_kernel("rank_map", scores)(scores, reference), _rtol(dtype))


@SETTINGS
@given(data=st.data())
def test_caruana_select(data):
    arrays, form, dtype = data.draw(members(max_members=17))
    n, k = arrays[0].shape
    rng = np.random.default_rng(0)
    log_loss = data.draw(st.booleans())
    if log_loss:
        y = rng.integers(0, k, n)
        given_ = _layout(arrays, form)
    else:
        y = rng.random(n)
        given_ = [a[:, 0] for a in arrays]
    n_iter = data.draw(st.integers(1, 6))
    loss = "log_loss" if log_loss else "squared_error"
    result = _agree(
        lambda: get_kernel("caruana_select", given_)(given_, y, n_iter, loss=loss),
        max(_rtol(dtype), 1e-7),
    )
    if result is not None:
        assert result[0].dtype.kind == "i"


@SETTINGS
@given(data=st.data())
def test_log_mixture(data):
    arrays, form, dtype = data.draw(members(classes=False))
    logs = [np.log(a) for a in arrays]  # a 0 becomes -inf: density 0, valid
    w = _weights(data.draw, len(arrays))
    given_ = _layout(logs, form if form.startswith("list") else "list")
    _agree(lambda: get_kernel("log_mixture", given_)(given_, w), _rtol(dtype))


@SETTINGS
@given(data=st.data())
def test_bayesian_bootstrap(data):
    n = data.draw(st.integers(1, 30))
    n_members = data.draw(st.integers(1, 6))
    draws = data.draw(st.sampled_from([1, 50, 2 * 4096 + 3]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    lpd = rng.normal(-1, 0.5, (n, n_members))
    bad = data.draw(st.sampled_from([None, np.nan, np.inf, -np.inf]))
    alpha = rng.dirichlet(np.ones(n), draws)
    if bad is not None:
        (alpha if data.draw(st.booleans()) else lpd)[0, 0] = bad
    _agree(lambda: get_kernel("bayesian_bootstrap", lpd)(lpd, alpha), 1e-9)


@pytest.mark.parametrize("kernel", ["weighted_average_params", "ties_merge", "dare_merge"])
@SETTINGS
@given(data=st.data())
def test_merge_kernels(kernel, data):
    arrays, form, dtype = data.draw(members(classes=False, max_members=5))
    tensors = _layout(arrays, "list_negative" if form == "list_negative" else "list")
    base = np.full(arrays[0].shape, 0.5, dtype=dtype)
    w = _weights(data.draw, len(arrays))
    density = data.draw(st.sampled_from([0.1, 0.5, 1.0]))
    extra = {
        "weighted_average_params": lambda: (tensors, w),
        "ties_merge": lambda: (tensors, base, density, w, 0.8),
        "dare_merge": lambda: (tensors, base, density, w, 0.8, np.arange(len(w))),
    }[kernel]
    out = _agree(lambda: get_kernel(kernel, tensors)(*extra()), _rtol(dtype))
    if out is not None:
        assert out.dtype == dtype


# ---------------------------------------------------------------------------
# public array functions
# ---------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), voting=st.sampled_from(["soft", "hard", "rank"]))
def test_blend(data, voting):
    arrays, form, dtype = data.draw(members())
    w = _weights(data.draw, len(arrays))
    given_ = _layout(arrays, form)
    reference = arrays if voting == "rank" else None
    _agree(lambda: blend(given_, w, voting=voting, reference=reference), _rtol(dtype))


@SETTINGS
@given(
    data=st.data(),
    function=st.sampled_from(["optimize", "caruana", "score"]),
)
def test_weights_from_predictions(data, function):
    arrays, form, dtype = data.draw(members(max_members=5, size=data.draw(st.integers(2, 60))))
    arrays = [(a / a.sum(axis=1, keepdims=True)) if np.isfinite(a).all() else a for a in arrays]
    n, k = arrays[0].shape
    y = np.arange(n) % k
    given_ = _layout(arrays, form)
    call = {
        "optimize": lambda: optimized_weights(given_, y, classes=np.arange(k)),
        "caruana": lambda: caruana_weights(given_, y, n_iter=5, classes=np.arange(k)),
        "score": lambda: score_weights(given_, y, classes=np.arange(k)),
    }[function]
    _agree(call, 1e-6)


@SETTINGS
@given(data=st.data(), function=st.sampled_from(["pseudo", "bb", "stacking"]))
def test_weights_from_log_densities(data, function):
    n = data.draw(st.integers(1, 40))
    n_members = data.draw(st.integers(1, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    lpd = rng.normal(-1, 0.5, (n, n_members))
    bad = data.draw(st.sampled_from([None, np.nan, np.inf, -np.inf]))
    if bad is not None:
        lpd[rng.integers(n), rng.integers(n_members)] = bad
    call = {
        "pseudo": lambda: pseudo_bma_weights(lpd),
        "bb": lambda: bb_pseudo_bma_weights(lpd, n_bootstrap=200, random_state=0),
        "stacking": lambda: stacking_weights(lpd),
    }[function]
    _agree(call, 1e-6)


@SETTINGS
@given(data=st.data(), method=st.sampled_from(["average", "task_arithmetic", "ties", "dare"]))
def test_merge_params(data, method):
    arrays, _, dtype = data.draw(members(classes=False, max_members=5))
    base = {"w": np.zeros_like(arrays[0])}
    params = [{"w": a} for a in arrays]
    _agree(
        lambda: merge_params(
            params, merge=method, base=None if method == "average" else base, random_state=0
        ),
        _rtol(dtype),
    )
