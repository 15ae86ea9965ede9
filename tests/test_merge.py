"""skfusion.merge and the merging kernels, against naive per-entry references."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skfusion import config_context
from skfusion._adapters import LinearAdapter, MLPAdapter
from skfusion._kernels import _cupy, _numba, _reference
from skfusion.merge import align_mlp, merge_params


class _XpNumpy:
    """The GPU module's code path, run with numpy as its array namespace."""

    def __getattr__(self, name):
        kernel = getattr(_cupy, name)
        return lambda *args, **kwargs: kernel(*args, xp=np, **kwargs)


BACKENDS = [_reference, _numba, _XpNumpy()]


# ---------------------------------------------------------------------------
# naive references, one entry at a time
# ---------------------------------------------------------------------------
def naive_ties(tensors, base, density, weights, scaling):
    base = base.reshape(-1)
    taus = [t.reshape(-1) - base for t in tensors]
    n = base.size
    k = max(1, min(n, int(round(density * n))))
    trimmed = []
    for tau in taus:
        kth_largest = sorted(abs(v) for v in tau)[n - k]
        trimmed.append([v if abs(v) >= kth_largest else 0 for v in tau])
    out = []
    for i in range(n):
        mass = sum(w * tr[i] for w, tr in zip(weights, trimmed))
        sign = int(mass > 0) - int(mass < 0)
        agree = [(w, tr[i]) for w, tr in zip(weights, trimmed) if tr[i] * sign > 0]
        merged = sum(w * v for w, v in agree) / sum(w for w, _ in agree) if agree else 0.0
        out.append(base[i] + scaling * merged)
    return np.array(out)


def naive_uniform(seed, i):
    """SplitMix64 of seed + i // 4, 16-bit chunk i % 4 from the top, over 65536."""
    mask = (1 << 64) - 1
    z = (seed + i // 4 + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return ((z >> (48 - 16 * (i % 4))) & 0xFFFF) / 65536


def naive_dare(tensors, base, density, weights, scaling, seeds):
    base = base.reshape(-1)
    out = []
    for i in range(base.size):
        total = 0.0
        for w, t, seed in zip(weights, tensors, seeds):
            if naive_uniform(int(seed), i) < density:
                total += w * (t.reshape(-1)[i] - base[i])
        out.append(base[i] + scaling * total / density)
    return np.array(out)


tensor_shapes = st.sampled_from([(1,), (7,), (3, 4), (2, 3, 5), (40,)])


@settings(max_examples=40, deadline=None)
@given(
    shape=tensor_shapes,
    n_models=st.integers(1, 5),
    density=st.sampled_from([0.05, 0.2, 0.5, 1.0]),
    scaling=st.sampled_from([0.3, 1.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_ties_and_dare_equal_the_naive_reference(shape, n_models, density, scaling, dtype, seed):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=shape).astype(dtype)
    # rounded values make ties at the magnitude threshold and zero mass common
    tensors = [base + np.round(rng.normal(size=shape), 1).astype(dtype) for _ in range(n_models)]
    weights = rng.uniform(0.1, 2.0, n_models)
    seeds = rng.integers(0, 2**62, n_models)
    expected_ties = naive_ties(tensors, base, density, weights, scaling)
    expected_dare = naive_dare(tensors, base, density, weights, scaling, seeds)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for backend in BACKENDS:
        ties = backend.ties_merge(tensors, base, density, weights, scaling)
        dare = backend.dare_merge(tensors, base, density, weights, scaling, seeds)
        assert ties.dtype == dare.dtype == dtype and ties.shape == dare.shape == shape
        np.testing.assert_allclose(ties.reshape(-1), expected_ties, rtol=tol, atol=tol)
        np.testing.assert_allclose(dare.reshape(-1), expected_dare, rtol=tol, atol=tol)
    # the backends agree exactly, so a merge does not depend on the machine
    np.testing.assert_array_equal(
        _numba.ties_merge(tensors, base, density, weights, scaling),
        _reference.ties_merge(tensors, base, density, weights, scaling),
    )
    np.testing.assert_array_equal(
        _numba.dare_merge(tensors, base, density, weights, scaling, seeds),
        _reference.dare_merge(tensors, base, density, weights, scaling, seeds),
    )


@pytest.mark.parametrize("layout", ["random", "sorted", "constant", "heavy_tail"])
def test_numba_magnitude_threshold_is_the_exact_kth_largest(layout):
    rng = np.random.default_rng(0)
    n = 300_000
    values = {
        "random": rng.normal(size=n),
        "sorted": np.sort(rng.normal(size=n)),  # the strided sample brackets badly
        "constant": np.full(n, 0.5),
        "heavy_tail": rng.standard_cauchy(n),
    }[layout].astype(np.float32)
    base = np.zeros(n, dtype=np.float32)
    for k in (1, 1000, n // 5, n):
        got = _numba._magnitude_threshold(values, base, k)
        assert got == np.sort(np.abs(values))[n - k]


def test_dare_keeps_about_density_and_rescales():
    base = np.zeros(200_000)
    tensor = np.ones(200_000)
    merged = _numba.dare_merge([tensor], base, 0.3, [1.0], 1.0, [12345])
    kept = merged != 0
    assert abs(kept.mean() - 0.3) < 0.005
    np.testing.assert_allclose(merged[kept], 1 / 0.3)


def test_weighted_average_params_backends():
    rng = np.random.default_rng(0)
    tensors = [rng.normal(size=(30, 7)).astype(np.float32) for _ in range(3)]
    expected = sum(w * t for w, t in zip([0.2, 0.3, 0.5], tensors))
    for backend in BACKENDS:
        got = backend.weighted_average_params(tensors, [0.2, 0.3, 0.5])
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------
# merge_params
# ---------------------------------------------------------------------------
def _model(rng, scale=1.0):
    return {"w": rng.normal(size=(4, 3)) * scale, "b": rng.normal(size=3) * scale}


def test_soup_of_identical_copies_is_the_model():
    model = _model(np.random.default_rng(0))
    for weights in (None, [1, 2, 3, 4]):
        merged = merge_params([model] * 4, weights=weights)
        for name in model:
            np.testing.assert_allclose(merged[name], model[name], rtol=1e-12)


def test_task_arithmetic_of_one_member_with_scaling_one_is_that_member():
    rng = np.random.default_rng(1)
    base, member = _model(rng), _model(rng)
    merged = merge_params([member], merge="task_arithmetic", base=base, scaling=1.0)
    for name in member:
        np.testing.assert_allclose(merged[name], member[name], rtol=1e-12)
    both = merge_params([member, base], merge="task_arithmetic", base=base, scaling=0.5)
    for name in member:
        np.testing.assert_allclose(both[name], (member[name] + base[name]) / 2, rtol=1e-12)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("weighted", [False, True])
def test_task_arithmetic_in_float32_keeps_the_task_vector(engine, weighted):
    # Parameters 1e5 times their task vectors: summing the models and cancelling them
    # with (1 - s sum w) base left ~1 % error in the merged task vector of 8 models.
    rng = np.random.default_rng(0)
    shapes = {"w": (300, 40), "b": (40,)}
    base = {
        k: (1e3 * rng.uniform(0.5, 1.0, s) * rng.choice([-1, 1], s)).astype(np.float32)
        for k, s in shapes.items()
    }
    models = [
        {k: (v + 1e-2 * rng.normal(size=v.shape)).astype(np.float32) for k, v in base.items()}
        for _ in range(8)
    ]
    weights, scaling = (rng.uniform(0.5, 1.5, 8), 0.7) if weighted else (np.ones(8), 1.0)
    with config_context(engine=engine):
        merged = merge_params(
            models,
            merge="task_arithmetic",
            base=base,
            weights=weights if weighted else None,
            scaling=scaling,
        )
    for name, b in base.items():
        assert merged[name].dtype == np.float32
        b = b.astype(np.float64)
        expected = sum(
            scaling * w * (m[name].astype(np.float64) - b) for w, m in zip(weights, models)
        )
        got = merged[name].astype(np.float64) - b
        # within float32's rounding of the exact merged parameters (about 6e-5 at 1e3) ...
        assert np.all(np.abs(got - expected) <= np.abs(np.spacing(merged[name]))), name
        if not weighted:
            # ... which holds the plain sum of these task vectors (multiples of that spacing)
            relative = np.linalg.norm(got - expected) / np.linalg.norm(expected)
            assert relative < 1e-4, (name, relative)


def test_fisher_with_equal_fishers_is_the_uniform_soup():
    rng = np.random.default_rng(2)
    models = [_model(rng) for _ in range(3)]
    fisher = {name: rng.uniform(0.1, 1.0, size=v.shape) for name, v in models[0].items()}
    merged = merge_params(models, merge="fisher", fisher=[fisher] * 3)
    soup = merge_params(models)
    for name in soup:
        np.testing.assert_allclose(merged[name], soup[name], rtol=1e-12)
    # and with different Fishers it is the per-entry precision-weighted mean
    fishers = [{n: rng.uniform(0.1, 1.0, size=v.shape) for n, v in m.items()} for m in models]
    merged = merge_params(models, merge="fisher", fisher=fishers)
    for name in soup:
        num = sum(f[name] * m[name] for f, m in zip(fishers, models))
        np.testing.assert_allclose(merged[name], num / sum(f[name] for f in fishers))


def test_merge_errors_name_the_model_and_parameter():
    rng = np.random.default_rng(3)
    a, b = _model(rng), _model(rng)
    b["w"] = b["w"][:3]
    with pytest.raises(ValueError, match=r"model 1 has parameter 'w' of shape \(3, 3\)"):
        merge_params([a, b])
    with pytest.raises(ValueError, match="missing: \\['b'\\]"):
        merge_params([a, {"w": a["w"]}])
    with pytest.raises(ValueError, match="needs base"):
        merge_params([a, a], merge="ties")
    with pytest.raises(ValueError, match="density"):
        merge_params([a, a], merge="dare", base=a, density=0)
    with pytest.raises(ValueError, match="The .merge. parameter of merge_params must be"):
        merge_params([a, a], merge="mean")


def test_dare_is_repeatable_and_seeded():
    rng = np.random.default_rng(4)
    base, models = _model(rng), [_model(rng) for _ in range(3)]
    first = merge_params(models, merge="dare", base=base, density=0.5, random_state=0)
    again = merge_params(models, merge="dare", base=base, density=0.5, random_state=0)
    other = merge_params(models, merge="dare", base=base, density=0.5, random_state=1)
    np.testing.assert_array_equal(first["w"], again["w"])
    assert not np.array_equal(first["w"], other["w"])


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    models = [{k: v.astype(np.float32) for k, v in _model(rng).items()} for _ in range(2)]
    for merge in ("average", "ties"):
        merged = merge_params(models, merge=merge, base=models[0])
        assert all(v.dtype == np.float32 for v in merged.values())


# ---------------------------------------------------------------------------
# alignment
# ---------------------------------------------------------------------------
def _permuted(mlp, rng):
    shuffled = copy.deepcopy(mlp)
    for layer in range(len(mlp.coefs_) - 1):
        perm = rng.permutation(mlp.coefs_[layer].shape[1])
        shuffled.coefs_[layer] = shuffled.coefs_[layer][:, perm]
        shuffled.intercepts_[layer] = shuffled.intercepts_[layer][perm]
        shuffled.coefs_[layer + 1] = shuffled.coefs_[layer + 1][perm]
    return shuffled


def test_permuted_mlp_aligns_back_exactly():
    X, y = load_iris(return_X_y=True)
    mlp = MLPClassifier(hidden_layer_sizes=(12, 8), max_iter=300, random_state=0).fit(X, y)
    shuffled = _permuted(mlp, np.random.default_rng(0))
    np.testing.assert_allclose(shuffled.predict_proba(X), mlp.predict_proba(X), rtol=1e-10)
    assert not np.allclose(shuffled.coefs_[0], mlp.coefs_[0])
    aligned = align_mlp(mlp, shuffled)
    for a, b in zip(aligned.coefs_ + aligned.intercepts_, mlp.coefs_ + mlp.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(shuffled.coefs_[0], mlp.coefs_[0])  # the input is left as it was
    # plain lists of matrices, and (weights, biases) pairs
    back = align_mlp(list(mlp.coefs_), list(shuffled.coefs_))
    assert all(np.array_equal(a, b) for a, b in zip(back, mlp.coefs_))
    coefs, biases = align_mlp(
        (mlp.coefs_, mlp.intercepts_), (shuffled.coefs_, shuffled.intercepts_)
    )
    assert all(np.array_equal(a, b) for a, b in zip(biases, mlp.intercepts_))


def test_align_rejects_other_architectures():
    X, y = load_iris(return_X_y=True)
    a = MLPClassifier(hidden_layer_sizes=(6,), max_iter=50, random_state=0).fit(X, y)
    b = MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="layer 0"):
        align_mlp(a, b)
    with pytest.raises(TypeError, match="The .other. parameter of align_mlp must be"):
        align_mlp(a, "mlp")


# ---------------------------------------------------------------------------
# diagonal Fisher of the adapters, against finite differences
# ---------------------------------------------------------------------------
def _finite_difference_fisher(adapter, model, X, log_likelihoods, step=1e-6):
    """mean_i sum_y q(y | x_i) (d log p(y | x_i) / d theta)^2 by central differences."""
    params = adapter.read(model)
    fisher = {}
    for name, value in params.items():
        out = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            grads = []
            for sign in (1, -1):
                shifted = {k: v.copy() for k, v in params.items()}
                shifted[name][index] += sign * step
                grads.append(log_likelihoods(adapter.write(model, shifted), X))
            grad = (grads[0] - grads[1]) / (2 * step)  # (n, n_labels)
            weights = log_likelihoods(model, X, probabilities=True)
            out[index] = np.mean(np.sum(weights * grad**2, axis=1))
        fisher[name] = out
    return fisher


def _categorical(model, X, probabilities=False):
    proba = model.predict_proba(X)
    return proba if probabilities else np.log(proba)


def _gaussian(model, X, probabilities=False):
    # d log N(y | f, 1) / d theta = (y - f) df/dtheta; E[(y - f)^2] = 1, so the
    # expected squared gradient is (df/dtheta)^2 per output.
    pred = model.predict(X).reshape(len(X), -1)
    return np.ones_like(pred) if probabilities else pred


@pytest.mark.parametrize(
    "model, adapter, likelihood",
    [
        (LogisticRegression(), LinearAdapter(), _categorical),  # softmax, 3 classes
        (
            MLPClassifier(hidden_layer_sizes=(4,), max_iter=200, random_state=0),
            MLPAdapter(),
            _categorical,
        ),
        (
            MLPRegressor(hidden_layer_sizes=(3,), max_iter=200, random_state=0),
            MLPAdapter(),
            _gaussian,
        ),
    ],
)
def test_diagonal_fisher_matches_finite_differences(model, adapter, likelihood):
    X, y = load_iris(return_X_y=True)
    X = X[::10]
    y = y[::10] if likelihood is _categorical else X[:, 0] * 2.0
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
    got = adapter.fisher(model, X)
    expected = _finite_difference_fisher(adapter, model, X, likelihood)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-4, atol=1e-8)


def test_binary_logistic_fisher():
    X, y = load_iris(return_X_y=True)
    X, y = X[y < 2][::5], y[y < 2][::5]
    model = LogisticRegression(C=0.1).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    fisher = LinearAdapter().fisher(model, X)
    np.testing.assert_allclose(fisher["coef_"][0], np.mean((p * (1 - p))[:, None] * X**2, 0))
    np.testing.assert_allclose(fisher["intercept_"], [np.mean(p * (1 - p))])
