"""Every kernel backend against the numpy reference."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import skfusion
from skfusion import _kernels
from skfusion._kernels import _cupy, _numba, _reference, get_backend, get_kernel


def _xp_numpy(name):
    """The GPU module's code path, run with numpy as its array namespace."""
    kernel = getattr(_cupy, name)
    return lambda *args, **kwargs: kernel(*args, xp=np, **kwargs)


BACKENDS = {
    "numba": lambda name: getattr(_numba, name),
    "xp-numpy": _xp_numpy,
}

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def member_arrays(draw, with_classes=True):
    n = draw(st.integers(1, 40))
    n_members = draw(st.integers(1, 5))
    k = draw(st.integers(1, 12)) if with_classes else None
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    shape = (n, k) if with_classes else (n,)
    arrays = [rng.random(shape).astype(dtype) for _ in range(n_members)]
    weights = rng.random(n_members)
    weights[rng.random(n_members) < 0.3] = 0.0  # zero weights
    return arrays, weights


def _as_given(arrays, form):
    if form == "list":
        return arrays
    if form == "stacked":  # (n, M, ...) C-contiguous
        return np.stack(arrays, axis=1)
    return np.moveaxis(np.stack(arrays), 0, 1)  # (n, M, ...) view of (M, n, ...)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", ["list", "stacked", "member_major"])
@pytest.mark.parametrize("with_classes", [True, False])
@SETTINGS
@given(data=st.data())
def test_soft_vote_matches_reference(backend, form, with_classes, data):
    arrays, weights = data.draw(member_arrays(with_classes=with_classes))
    expected = _reference.soft_vote(arrays, weights)
    got = BACKENDS[backend]("soft_vote")(_as_given(arrays, form), weights)
    assert got.dtype == arrays[0].dtype  # float32 in, float32 out
    assert got.shape == arrays[0].shape
    rtol = 1e-5 if arrays[0].dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


def test_soft_vote_reference_is_the_weighted_sum():
    rng = np.random.default_rng(0)
    arrays = [rng.random((7, 3)) for _ in range(4)]
    weights = np.array([0.1, 0.0, 0.5, 0.4])
    np.testing.assert_allclose(
        _reference.soft_vote(arrays, weights), np.tensordot(weights, np.stack(arrays), axes=1)
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", ["list", "stacked"])
@SETTINGS
@given(
    n=st.integers(1, 60),
    n_members=st.integers(1, 7),
    n_classes=st.integers(1, 9),
    integer_weights=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_hard_vote_matches_reference(
    backend, form, n, n_members, n_classes, integer_weights, seed
):
    rng = np.random.default_rng(seed)
    labels = [rng.integers(0, n_classes, n) for _ in range(n_members)]
    # Integer weights make ties frequent: they must go to the lowest class.
    weights = (
        rng.integers(0, 3, n_members).astype(float) if integer_weights else rng.random(n_members)
    )
    if weights.sum() == 0:
        weights[0] = 1.0
    expected = _reference.hard_vote(labels, weights, n_classes)
    given_labels = labels if form == "list" else np.column_stack(labels)
    got = BACKENDS[backend]("hard_vote")(given_labels, weights, n_classes)
    np.testing.assert_array_equal(got, expected)


def test_hard_vote_reference_matches_bincount_argmax():
    # sklearn's VotingClassifier votes with argmax(bincount(row, weights)).
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, (200, 5))
    weights = np.array([1.0, 2.0, 1.0, 1.0, 2.0])
    expected = np.apply_along_axis(
        lambda row: np.argmax(np.bincount(row, weights=weights, minlength=4)), 1, labels
    )
    np.testing.assert_array_equal(_reference.hard_vote(labels, weights, 4), expected)


@pytest.mark.parametrize("backend", ["numba", "xp-numpy", "reference"])
def test_hard_vote_rejects_labels_out_of_range(backend):
    kernel = _reference.hard_vote if backend == "reference" else BACKENDS[backend]("hard_vote")
    with pytest.raises((ValueError, IndexError)):
        kernel([np.array([0, 3])], np.ones(1), 3)


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(
    n=st.integers(1, 30),
    n_ref=st.integers(1, 50),
    k=st.integers(1, 6),
    ties=st.booleans(),
    one_d=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_rank_map_matches_reference(backend, n, n_ref, k, ties, one_d, dtype, seed):
    rng = np.random.default_rng(seed)
    draw = (
        (lambda size: rng.integers(0, 4, size).astype(dtype))
        if ties
        else (lambda size: rng.random(size).astype(dtype))
    )
    shape, ref_shape = ((n,), (n_ref,)) if one_d else ((n, k), (n_ref, k))
    scores = draw(shape)
    reference = np.sort(draw(ref_shape), axis=0)
    expected = _reference.rank_map(scores, reference)
    got = BACKENDS[backend]("rank_map")(scores, reference)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_rank_map_reference_counts_ties_half():
    reference = np.array([[1.0], [2.0], [2.0], [3.0]])
    scores = np.array([[0.0], [2.0], [5.0], [1.0]])
    # below / (below + equal/2) over 4: 0, (1 + 1)/4, 1, (0 + 0.5)/4
    np.testing.assert_allclose(
        _reference.rank_map(scores, reference)[:, 0], [0.0, 0.5, 1.0, 0.125]
    )


def _naive_caruana(arrays, y, n_iter, loss, sample_weight):
    """Textbook ensemble selection: rescore the whole ensemble for each candidate."""
    from sklearn.metrics import mean_squared_error

    picked = []
    for _ in range(n_iter):
        losses = []
        for m in range(len(arrays)):
            ensemble = np.mean([arrays[i] for i in picked + [m]], axis=0)
            if loss == "log_loss":
                clipped = np.clip(ensemble, np.finfo(np.float64).eps, None)
                rows = np.arange(len(y))
                losses.append(np.average(-np.log(clipped[rows, y]), weights=sample_weight))
            else:
                losses.append(mean_squared_error(y, ensemble, sample_weight=sample_weight))
        picked.append(int(np.argmin(losses)))
    return np.array(picked)


@pytest.mark.parametrize("backend", ["reference", *BACKENDS])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    n_members=st.integers(1, 6),
    k=st.integers(2, 5),
    n_iter=st.integers(1, 12),
    weighted=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_caruana_matches_naive(backend, loss, n, n_members, k, n_iter, weighted, seed):
    rng = np.random.default_rng(seed)
    if loss == "log_loss":
        arrays = [rng.dirichlet(np.ones(k), n) for _ in range(n_members)]
        y = rng.integers(0, k, n)
    else:
        arrays = [rng.normal(size=n) for _ in range(n_members)]
        y = rng.normal(size=n)
    sample_weight = rng.random(n) + 0.1 if weighted else None
    kernel = (
        _reference.caruana_select
        if backend == "reference"
        else BACKENDS[backend]("caruana_select")
    )
    picks, losses = kernel(arrays, y, n_iter, loss=loss, sample_weight=sample_weight)
    np.testing.assert_array_equal(picks, _naive_caruana(arrays, y, n_iter, loss, sample_weight))
    ref_picks, ref_losses = _reference.caruana_select(
        arrays, y, n_iter, loss=loss, sample_weight=sample_weight
    )
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10)


@pytest.mark.parametrize("backend", ["reference", *BACKENDS])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    n_members=st.integers(1, 6),
    k=st.integers(2, 5),
    weighted=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_subset_losses_match_sklearn_metrics_subset_by_subset(
    backend, loss, n, n_members, k, weighted, seed
):
    from sklearn.metrics import log_loss, mean_squared_error

    rng = np.random.default_rng(seed)
    if loss == "log_loss":
        arrays = [rng.dirichlet(np.ones(k), n) for _ in range(n_members)]
        y = rng.integers(0, k, n)
    else:
        arrays = [rng.normal(size=n) for _ in range(n_members)]
        y = rng.normal(size=n)
    weights = rng.random(n_members)
    weights[rng.random(n_members) < 0.3] = 0.0
    sample_weight = rng.random(n) + 0.1 if weighted else None
    kernel = (
        _reference.subset_losses if backend == "reference" else BACKENDS[backend]("subset_losses")
    )
    losses = kernel(arrays, y, weights, loss=loss, sample_weight=sample_weight)
    assert losses.shape == (1 << n_members,)
    for mask in range(1 << n_members):
        members = [m for m in range(n_members) if mask >> m & 1]
        if not weights[members].sum() > 0:
            assert np.isnan(losses[mask])
            continue
        blend = np.average([arrays[m] for m in members], axis=0, weights=weights[members])
        if loss == "log_loss":
            expected = log_loss(y, blend, sample_weight=sample_weight, labels=range(k))
        else:
            expected = mean_squared_error(y, blend, sample_weight=sample_weight)
        np.testing.assert_allclose(losses[mask], expected, rtol=1e-10, atol=1e-12)


def test_subset_losses_threads_split_rows_without_changing_the_result():
    rng = np.random.default_rng(1)
    n = 3 * 4096 + 17  # several row chunks, a partial last one
    arrays = [rng.dirichlet(np.ones(4), n) for _ in range(5)]
    y = rng.integers(0, 4, n)
    weights = rng.random(5)
    np.testing.assert_allclose(
        _numba.subset_losses(arrays, y, weights),
        _reference.subset_losses(arrays, y, weights),
        rtol=1e-12,
    )


def test_subset_losses_refuses_too_many_members():
    arrays = [np.full((3, 2), 0.5)] * 21
    with pytest.raises(ValueError, match="at most 20 members"):
        get_kernel("subset_losses", arrays)(arrays, np.array([0, 1, 0]), np.ones(21))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30, deadline=None)
@given(
    n_test=st.integers(1, 30),
    n=st.integers(1, 60),
    n_folds=st.integers(1, 6),
    ranks=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    scaled=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_cv_plus_bounds_match_reference(backend, n_test, n, n_folds, ranks, scaled, seed):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=(n_test, n_folds))
    fold_of = rng.integers(0, n_folds, n)
    residuals = np.round(np.abs(rng.normal(size=n)), 1)  # ties
    low, high = int(ranks[0] * (n + 1)), int(ranks[1] * (n + 1)) + 1  # 0 .. n + 1 both
    scale = rng.uniform(0.1, 3, n_test) if scaled else None
    expected = _reference.cv_plus_bounds(mu, fold_of, residuals, low, high, scale)
    got = BACKENDS[backend]("cv_plus_bounds")(mu, fold_of, residuals, low, high, scale)
    np.testing.assert_array_equal(got, expected)


def test_cv_plus_reference_is_the_sorted_candidates():
    mu = np.array([[0.0, 10.0]])
    fold_of = np.array([0, 0, 1])
    residuals = np.array([1.0, 2.0, 3.0])
    # Lower candidates: 0-1, 0-2, 10-3 -> sorted -2, -1, 7; upper: 1, 2, 13.
    bounds = _reference.cv_plus_bounds(mu, fold_of, residuals, 2, 3)
    np.testing.assert_array_equal(bounds, [[-1.0, 13.0]])
    assert np.all(np.isinf(_reference.cv_plus_bounds(mu, fold_of, residuals, 0, 4)))
    # A rank above n has no candidate: +inf for the lower bound too, on every backend.
    for backend in BACKENDS.values():
        beyond = backend("cv_plus_bounds")(mu, fold_of, residuals, 4, 3)
        np.testing.assert_array_equal(beyond, [[np.inf, 13.0]])


def test_caruana_first_pick_is_best_member():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 100)
    good = np.eye(3)[y] * 0.8 + 0.2 / 3
    arrays = [rng.dirichlet(np.ones(3), 100), good, rng.dirichlet(np.ones(3), 100)]
    picks, _ = _numba.caruana_select(arrays, y, 5)
    assert picks[0] == 1


def test_numba_unweighted_caruana_log_loss_in_blocks_matches_the_reference():
    # Without sample weights the log-loss is summed as logs of 16-row
    # products: rows past the last full block, probabilities clipped at
    # LOG_LOSS_EPS (a member sure of the wrong class) and probabilities of 1
    # must all count as in the row-by-row sum.
    rng = np.random.default_rng(7)
    n, k = 1003, 3
    y = rng.integers(0, k, n)
    arrays = [rng.dirichlet(np.ones(k), n) for _ in range(7)]
    wrong = np.eye(k)[(y + 1) % k]  # probability 0 of the true class
    right = np.eye(k)[y]  # probability 1
    arrays += [wrong, right]
    picks, losses = _numba.caruana_select(arrays, y, 12)
    ref_picks, ref_losses = _reference.caruana_select(arrays, y, 12)
    np.testing.assert_array_equal(picks, ref_picks)
    np.testing.assert_array_equal(picks, _naive_caruana(arrays, y, 12, "log_loss", None))
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10)
    # Every candidate's loss, not only the picked one: the member with
    # clipped rows alone, after one round.
    only_wrong = _numba.caruana_select([wrong, wrong], y, 1)[1]
    np.testing.assert_allclose(only_wrong, [-np.log(_reference.LOG_LOSS_EPS)], rtol=1e-12)


def test_stacked_views_are_not_copied_by_numba(monkeypatch):
    # A member-major block seen as (n, M, k) has contiguous member slices: the
    # kernel must read them in place.
    block = np.random.default_rng(0).random((3, 50, 4))
    seen = []
    original = _numba._soft_vote_members

    def spy(members, *args):
        seen.extend(np.shares_memory(m, block) for m in members)
        return original(members, *args)

    monkeypatch.setattr(_numba, "_soft_vote_members", spy)
    _numba.soft_vote(np.moveaxis(block, 0, 1), np.ones(3))
    assert len(seen) == 4 and all(seen)  # 3 members + padding to 4


# ---------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------
def test_dispatch_by_engine():
    small = np.zeros((4, 2))
    large = np.zeros((_kernels.AUTO_NUMBA_MIN_SIZE, 1))
    assert get_backend(small) is _reference
    assert get_backend(large) is _numba
    assert get_backend([large[:10], large[10:20]]) is _reference
    with skfusion.config_context(engine="numpy"):
        assert get_backend(large) is _reference
    with skfusion.config_context(engine="numba"):
        assert get_backend(small) is _numba
    assert get_kernel("soft_vote", small).kernel is _reference.soft_vote
    with pytest.raises(ValueError, match="Unknown kernel"):
        get_kernel("nope", small)


def test_cupy_engine_without_gpu_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(_kernels, "_backend_cache", {"cupy": "ImportError: no cupy here"})
    small = np.zeros((3, 2))
    # The configuration stores the engine; the kernels say why it cannot run.
    with skfusion.config_context(engine="cupy"):
        with pytest.raises(RuntimeError, match="engine='cupy' is unavailable: ImportError: no"):
            get_backend(small)
        with pytest.raises(RuntimeError, match=r"pip install -e \"\.\[gpu\]\""):
            skfusion.blend([small, small])
    assert skfusion.get_config()["engine"] == "auto"
    assert get_backend(small) is _reference  # the CPU keeps working


def test_broken_cupy_is_reported(monkeypatch):
    class Broken:
        @staticmethod
        def _cupy():
            raise RuntimeError("CUDA driver version is insufficient")

    monkeypatch.setattr(_kernels, "_backend_cache", {})
    monkeypatch.setattr(_kernels.importlib, "import_module", lambda *a, **k: Broken)
    assert "CUDA driver" in _kernels._load("cupy")


def test_numba_without_cache_location_still_compiles():
    # A function with no source file has no cache locator; numba refuses
    # cache=True at decoration time, which must not break the import.
    namespace = {}
    exec("def add_one(x):\n    return x + 1\n", namespace)
    jitted = _numba._jit(namespace["add_one"])
    assert jitted(1) == 2


def test_kernels_run_under_joblib_threads():
    from joblib import Parallel, delayed

    rng = np.random.default_rng(0)
    arrays = [rng.random((5000, 3)) for _ in range(4)]
    w = np.full(4, 0.25)
    results = Parallel(n_jobs=4, backend="threading")(
        delayed(_numba.soft_vote)(arrays, w) for _ in range(8)
    )
    for r in results:
        np.testing.assert_allclose(r, _reference.soft_vote(arrays, w))


def test_empty_member_list_is_an_error():
    with pytest.raises(ValueError, match="no member"):
        _reference.member_list([])
    with pytest.raises(ValueError, match="one shape"):
        _reference.member_list([np.zeros(3), np.zeros(4)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", ["list", "stacked", "member_major"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_soft_vote_backends_agree_on_nan_and_inf(backend, form, bad):
    # NaN and inf propagate as IEEE arithmetic says on every backend; a
    # member of weight 0 is skipped, so its NaN never reaches the result.
    rng = np.random.default_rng(0)
    arrays = [rng.random((300_000, 2)) for _ in range(3)]  # threaded numba path
    arrays[1][[5, 299_999], 1] = bad
    arrays[2][7, 0] = np.nan
    weights = np.array([0.5, 0.5, 0.0])
    expected = _reference.soft_vote(arrays, weights)
    assert np.isnan(expected[5, 1]) == np.isnan(bad) and np.isfinite(expected[7, 0])
    got = BACKENDS[backend]("soft_vote")(_as_given(arrays, form), weights)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("n_rows", [0, 1, 7, 300_001])  # 300 001: threaded, 4 streams + rest
@pytest.mark.parametrize("view", ["C", "every other row", "classes reversed", "2-D", "float32"])
def test_numba_soft_vote_of_a_row_major_block_matches_the_reference(n_rows, view):
    # The row-major kernel takes the weighted members four at a time and
    # four rows a quarter apart: 9 members leave a remainder of one, and the
    # zero weights (inside a group of four) must keep their NaN out.
    rng = np.random.default_rng(0)
    block = rng.random((n_rows, 9, 3))
    weights = np.array([0.3, 0.0, 0.2, 0.1, 0.4, 0.0, 0.5, 0.2, 0.1])
    block[:, weights == 0] = np.nan
    given = {
        "C": block,
        "every other row": block[::2],
        "classes reversed": block[:, :, ::-1],
        "2-D": block[:, :, 0],
        "float32": block.astype(np.float32),
    }[view]
    got = _numba.soft_vote(given, weights)
    expected = _reference.soft_vote(given, weights)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6 if view == "float32" else 1e-12)
    assert np.isfinite(got).all()


@pytest.mark.parametrize(
    "name, args",
    [
        ("rank_map", lambda bad: (np.array([[0.2, bad]]), np.linspace(0, 1, 100).reshape(50, 2))),
        ("log_mixture", lambda bad: ([np.log(np.full(9, 0.5)), np.r_[bad, np.zeros(8)]], [1, 1])),
        (
            "caruana_select",
            lambda bad: ([np.array([[0.5, 0.5], [bad, 0.5]])], np.array([0, 1]), 2),
        ),
        (
            "subset_losses",
            lambda bad: ([np.array([[0.5, 0.5], [bad, 0.5]])], np.array([0, 1]), [1.0]),
        ),
        (
            "cv_plus_bounds",
            lambda bad: (np.array([[bad, 0.0]]), np.array([0, 1]), np.array([1.0, 2.0]), 1, 2),
        ),
    ],
)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_dispatched_kernels_give_one_error_on_nan_for_every_engine(name, args, bad):
    messages = set()
    for engine in ("numpy", "numba"):
        with skfusion.config_context(engine=engine):
            given = args(bad)
            with pytest.raises(ValueError, match="NaN") as info:
                get_kernel(name, given[0])(*given)
        messages.add(str(info.value))
    assert len(messages) == 1


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rule", ["mean", "run"])
@SETTINGS
@given(
    n=st.integers(0, 30),
    n_ref=st.integers(1, 40),
    k=st.integers(1, 8),
    n_members=st.integers(1, 6),
    kind=st.sampled_from(["bool", "float32", "float64", "int"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_local_competence_matches_reference(backend, rule, n, n_ref, k, n_members, kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "bool":
        competence = rng.random((n_ref, n_members)) < 0.6
    elif kind == "int":
        competence = rng.integers(0, 3, (n_ref, n_members))
    else:
        competence = (rng.exponential(size=(n_ref, n_members)) * (rng.random() < 0.5)).astype(kind)
    neighbours = rng.integers(0, n_ref, (n, k))
    checked, dtype = _kernels._contract.check_local_competence(competence, neighbours, rule)
    expected = _reference.local_competence(*checked)
    got = BACKENDS[backend]("local_competence")(*checked)
    assert got.shape == (n, n_members) and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6 if kind == "float32" else 1e-12)


def test_local_competence_reference_by_hand():
    correct = np.array([[1, 1], [1, 0], [0, 1]], dtype=bool)
    neighbours = np.array([[0, 1, 2], [2, 0, 1]])
    # Runs of right answers from the nearest: member 0 right on rows 0, 1 then
    # wrong on 2; member 1 right on 0, wrong on 1. Row 2 first: 0 and 1.
    np.testing.assert_array_equal(
        _reference.local_competence(correct, neighbours, "run"), [[2, 1], [0, 2]]
    )
    np.testing.assert_allclose(
        _reference.local_competence(correct, neighbours, "mean"), [[2 / 3, 2 / 3]] * 2
    )
    with pytest.raises(ValueError, match="rows in"):
        get_kernel("local_competence", correct)(correct, neighbours + 1, "mean")


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(
    n=st.integers(0, 50),
    n_members=st.integers(1, 6),
    share=st.sampled_from([0.0, 1e-3, 0.3, "per row"]),
    kind=st.sampled_from(["float32", "float64", "int"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_online_weights_matches_reference(backend, n, n_members, share, kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "int":
        losses = rng.integers(0, 2, (n, n_members))
    else:
        losses = (rng.exponential(size=(n, n_members)) * 5).astype(kind)
    log_weights = rng.normal(size=n_members) * 3
    rates = rng.random(n) * (rng.random(n) < 0.9)  # some rows of weight 0
    if share == "per row":
        share = 0.2 * rng.random(n) * (rng.random(n) < 0.7)
    checked, dtype = _kernels._contract.check_online_weights(losses, log_weights, rates, share)
    assert dtype is None
    expected, expected_final = _reference.online_weights(*checked)
    got, final = BACKENDS[backend]("online_weights")(*checked)
    assert got.shape == (n, n_members) and got.dtype == np.float64
    assert final.shape == (n_members,)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(final, expected_final, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(final).sum(), 1.0)


def _naive_online_weights(losses, weights, rates, share):
    """The recursion in plain Python floats, on probabilities (not logs)."""
    rows, n_members = [], len(weights)
    weights = [w / sum(weights) for w in weights]
    for row, rate in zip(losses, rates):
        rows.append(list(weights))
        weights = [w * math.exp(-rate * loss) for w, loss in zip(weights, row)]
        weights = [w / sum(weights) for w in weights]
        weights = [(1 - share) * w + share / n_members for w in weights]
    return np.array([*rows, weights])


@pytest.mark.parametrize("share", [0.0, 0.05])
def test_online_weights_reference_is_the_textbook_recursion(share):
    rng = np.random.default_rng(3)
    losses, rates = rng.random((40, 3)), rng.random(40)
    weights = np.array([0.2, 0.5, 0.3])
    got, final = _reference.online_weights(losses, np.log(weights), rates, share)
    got = np.vstack([got, np.exp(final)])
    np.testing.assert_allclose(
        got, _naive_online_weights(losses, weights, rates, share), rtol=1e-12
    )
    if share == 0:  # Hedge: the softmax of minus the rate-weighted cumulative losses
        cumulative = np.cumsum(rates[:, None] * losses, axis=0)
        closed = np.log(weights) - cumulative
        closed = np.exp(closed - closed.max(axis=1, keepdims=True))
        np.testing.assert_allclose(got[1:], closed / closed.sum(1, keepdims=True))


def test_online_weights_contract_names_the_culprit():
    losses = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"rates \(3,\)"):
        get_kernel("online_weights", losses)(losses, np.zeros(2), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        get_kernel("online_weights", losses)(losses, np.zeros(2), -np.ones(3), 0.0)
    with pytest.raises(ValueError, match="share"):
        get_kernel("online_weights", losses)(losses, np.zeros(2), np.ones(3), 1.0)
    with pytest.raises(ValueError, match="share"):
        get_kernel("online_weights", losses)(losses, np.zeros(2), np.ones(3), [0.1, -0.1, 0])
    losses[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        get_kernel("online_weights", losses)(losses, np.zeros(2), np.ones(3), 0.0)


def test_online_weights_survive_losses_that_underflow_the_weights():
    # A member 5000 nats behind still has a finite log-weight (exp would be 0),
    # and comes back when the others fall behind it.
    losses = np.array([[5000.0, 0.0]] * 1 + [[0.0, 5001.0]] * 1)
    for engine in ("numpy", "numba"):
        with skfusion.config_context(engine=engine):
            got, final = get_kernel("online_weights", losses)(losses, np.zeros(2), np.ones(2), 0.0)
        assert np.all(np.isfinite(final))
        np.testing.assert_allclose(got[1], [0.0, 1.0], atol=1e-300)
        np.testing.assert_allclose(np.exp(final), [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])


# ---------------------------------------------------------------------------
# simplex_deviation: how far members' class scores are from distributions
# ---------------------------------------------------------------------------
def _naive_simplex_deviation(arrays, active):
    out = np.zeros((len(arrays), 2))
    for m, p in enumerate(arrays):
        if not active[m]:
            continue
        values = [float(v) for v in np.ravel(p)]
        sums = [math.fsum(float(v) for v in row) for row in p]
        if any(math.isnan(v) for v in values + sums):
            out[m] = np.nan
        else:
            out[m] = min(values), max(abs(s - 1.0) for s in sums)
    return out


@pytest.mark.parametrize("backend", ["reference", *BACKENDS])
@pytest.mark.parametrize("form", ["list", "stacked", "fortran", "member_major", "strided"])
@SETTINGS
@given(data=st.data())
def test_simplex_deviation_matches_a_naive_loop(backend, form, data):
    n = data.draw(st.integers(1, 5000))
    n_members = data.draw(st.integers(1, 5))
    k = data.draw(st.integers(1, 6))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1)))
    arrays = [rng.dirichlet(np.ones(k), n).astype(dtype) for _ in range(n_members)]
    arrays[-1] *= data.draw(st.sampled_from([1.0, 3.0, 0.5]))
    arrays[0][rng.integers(0, n), 0] = data.draw(st.sampled_from([0.2, -0.3, np.nan, np.inf]))
    active = rng.random(n_members) < 0.7
    given = _as_given(arrays, "member_major" if form == "member_major" else "stacked")
    if form == "list":
        given = arrays
    elif form == "fortran":
        given = np.asfortranarray(given)
    elif form == "strided":
        given = np.stack([np.repeat(a, 2, axis=1) for a in arrays], axis=1)[:, :, ::2]
    kernel = _reference.simplex_deviation if backend == "reference" else None
    kernel = kernel or BACKENDS[backend]("simplex_deviation")
    got = kernel(given, active)
    expected = _naive_simplex_deviation(arrays, active)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_simplex_deviation_through_the_contract_on_every_engine():
    rng = np.random.default_rng(0)
    arrays = [rng.dirichlet(np.ones(3), 70_000) for _ in range(3)]
    arrays[1] = 2 * arrays[1]
    for engine in ("numpy", "numba", "auto"):
        with skfusion.config_context(engine=engine):
            got = get_kernel("simplex_deviation", arrays)(arrays, [True, True, False])
        np.testing.assert_allclose(got[:, 1], [0.0, 1.0, 0.0], atol=1e-12)
        assert got[0, 0] >= 0 and got[2, 0] == 0.0
    with pytest.raises(ValueError, match="active has one entry per member"):
        get_kernel("simplex_deviation", arrays)(arrays, [True])


@pytest.mark.parametrize("form", ["list", "stacked", "fortran"])
def test_simplex_deviation_threads_split_rows_without_changing_the_result(form):
    rng = np.random.default_rng(1)
    n = 2 * _numba._MIN_PER_THREAD + 123  # two threads or more, a ragged last chunk
    arrays = [rng.dirichlet(np.ones(3), n) for _ in range(2)]
    arrays[1][n - 1] = [0.5, 0.9, -0.1]  # off the simplex in the last row only
    given = arrays if form == "list" else np.stack(arrays, axis=1)
    if form == "fortran":
        given = np.asfortranarray(given)
    got = _numba.simplex_deviation(given, np.array([True, True]))
    np.testing.assert_allclose(got, _naive_simplex_deviation(arrays, [True, True]), atol=1e-12)
