"""The trustworthy core: no silent wrong answer on odd data, errors that name the member.

Each test here failed on the code before the fix it covers.
"""

import glob
import os
import pickle
import warnings

import joblib
import numpy as np
import pytest
from _helpers import (
    EngineRecordingClassifier,
    FailingClassifier,
    NaNOutputClassifier,
    NaNOutputRegressor,
    ScaledProbaClassifier,
    run_cross_fit,
)
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, RepeatedStratifiedKFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

import skfusion
from skfusion import (
    BayesianModelAverager,
    BayesianModelAveragerRegressor,
    DynamicSelector,
    GatedBlender,
    OOFStacker,
    OOFStackerRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
)


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture(scope="module")
def reg_data():
    return make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)


def _clf_members(**nan_params):
    return [
        ("lr", LogisticRegression(max_iter=500)),
        ("nan", NaNOutputClassifier(**nan_params)),
        ("nb", GaussianNB()),
    ]


# ---------------------------------------------------------------------------
# 1.1 NaN / inf in a member's output
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"weighting": "optimize"},
        {"weighting": "caruana"},
        {"weighting": "score"},
        {"voting": "rank"},
    ],
)
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_member_output_at_fit_names_member_method_and_rows(clf_data, params, value):
    X, y = clf_data
    n_bad = int((X[:, 0] > 1.0).sum())
    blender = WeightedBlender(_clf_members(threshold=1.0, value=value), **params)
    with pytest.raises(ValueError, match="Member 'nan'") as info:
        blender.fit(X, y)
    message = str(info.value)
    assert "predict_proba" in message and f"in {n_bad} of {len(y)} rows" in message


@pytest.mark.parametrize("fuser", [OOFStacker, BayesianModelAverager])
def test_nan_member_output_at_fit_stacker_and_bma(clf_data, fuser):
    X, y = clf_data
    with pytest.raises(ValueError, match="Member 'nan'.*non-finite.*rows"):
        fuser(_clf_members(threshold=1.0)).fit(X, y)


@pytest.mark.parametrize("fuser", [WeightedBlender, OOFStacker, BayesianModelAverager])
def test_nan_member_output_at_predict_names_member(clf_data, fuser):
    X, y = clf_data
    fitted = fuser(_clf_members(threshold=np.inf)).fit(X, y)
    fitted.named_estimators_["nan"].threshold = 1.0  # spoil the fitted clone
    n_bad = int((X[:, 0] > 1.0).sum())
    with pytest.raises(ValueError, match=f"Member 'nan'.*in {n_bad} of {len(y)} rows"):
        fitted.predict_proba(X)
    with pytest.raises(ValueError, match="Member 'nan'"):
        fitted.predict(X)


def test_hard_voting_nan_rows_are_not_mapped_to_the_first_class(clf_data):
    X, y = clf_data
    members = [("lr", LogisticRegression(max_iter=500)), ("nan", NaNOutputClassifier(1.0))]
    # Before, the NaN rows' argmax went to classes_[0] silently.
    with pytest.raises(ValueError, match="Member 'nan'"):
        WeightedBlender(members, voting="rank").fit(X, y)


@pytest.mark.parametrize(
    "fuser, params",
    [
        (WeightedBlenderRegressor, {"weighting": "optimize"}),
        (WeightedBlenderRegressor, {"weighting": "caruana"}),
        (OOFStackerRegressor, {}),
        (BayesianModelAveragerRegressor, {}),
    ],
)
def test_nan_regressor_output_names_member(reg_data, fuser, params):
    X, y = reg_data
    members = [("lin", LinearRegression()), ("nan", NaNOutputRegressor(threshold=0.5))]
    with pytest.raises(ValueError, match="Member 'nan'.*predict.*rows"):
        fuser(members, **params).fit(X, y)
    members[1][1].set_params(threshold=np.inf)
    fitted = fuser(members, **params).fit(X, y)
    fitted.named_estimators_["nan"].threshold = 0.5
    with pytest.raises(ValueError, match="Member 'nan'.*predict"):
        fitted.predict(X)


# ---------------------------------------------------------------------------
# 1.3 a test fold that lists a row twice
# ---------------------------------------------------------------------------
def test_duplicated_test_index_in_custom_cv_is_an_error(clf_data):
    X, y = clf_data
    n = len(y)
    folds = list(KFold(3).split(X))
    train, test = folds[0]
    folds[0] = (train, np.r_[test, test[:1]])  # row test[0] listed twice
    with pytest.raises(ValueError, match="fold 0.*more than once"):
        WeightedBlender(_clf_members(), weighting="optimize", cv=folds).fit(X, y)
    folds = list(KFold(3).split(X))
    folds[1] = (folds[1][0], np.r_[folds[1][1], -1])  # wraps around silently in numpy
    with pytest.raises(ValueError, match=f"fold 1.*integers in \\[0, {n}\\)"):
        WeightedBlender(_clf_members(), weighting="optimize", cv=folds).fit(X, y)


# ---------------------------------------------------------------------------
# 1.4 stale fitted attributes
# ---------------------------------------------------------------------------
def test_refit_with_given_weights_forgets_oof_attributes(clf_data):
    X, y = clf_data
    blender = WeightedBlender(_clf_members(), weighting="optimize").fit(X, y)
    assert blender.fused_score_ is not None and blender.oof_predictions_ is not None
    blender.set_params(weights=[1, 2, 3], weighting=None).fit(X, y)
    assert blender.fused_score_ is None
    assert blender.member_scores_ is None
    assert blender.oof_predictions_ is None
    assert blender.fused_oof_predictions_ is None and blender.picks_ is None
    np.testing.assert_allclose(blender.weights_, [1 / 6, 2 / 6, 3 / 6])


def test_stacker_switching_test_predictions_forgets_old_models(clf_data):
    X, y = clf_data
    stack = OOFStacker(_clf_members(), test_predictions="fold_average").fit(X, y)
    assert stack.fold_estimators_ is not None and stack.estimators_ is None
    stack.set_params(test_predictions="refit").fit(X, y)
    assert stack.fold_estimators_ is None and len(stack.estimators_) == 3
    stack.set_params(test_predictions="fold_average").fit(X, y)
    assert stack.estimators_ is None
    assert [len(v) for v in stack.named_estimators_.values()] == [5, 5, 5]


def test_refit_on_other_features_forgets_feature_names(clf_data):
    import pandas as pd

    X, y = clf_data
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    blender = WeightedBlender(_clf_members()).fit(frame, y)
    assert hasattr(blender, "feature_names_in_")
    blender.fit(X, y)
    assert not hasattr(blender, "feature_names_in_")


# ---------------------------------------------------------------------------
# 1.5 corrupted memory entries
# ---------------------------------------------------------------------------
def _entries(cache_dir, function):
    return sorted(glob.glob(os.path.join(cache_dir, "**", function, "*.pkl"), recursive=True))


def _fit_cached(cache_dir, X, y):
    members = [("lr", LogisticRegression(max_iter=500)), ("nb", GaussianNB())]
    return WeightedBlender(members, weighting="optimize", cv=3, memory=cache_dir).fit(X, y)


@pytest.mark.parametrize("function", ["_fold_output_sealed", "_fit_member_sealed"])
@pytest.mark.parametrize("damage", ["flip_payload_byte", "broken_inner_pickle", "truncate"])
def test_corrupted_memory_entry_is_recomputed_not_used(tmp_path, clf_data, function, damage):
    X, y = clf_data
    cache_dir = str(tmp_path / "cache")
    reference = _fit_cached(cache_dir, X, y)
    entries = _entries(cache_dir, function)
    assert entries
    for path in entries:
        if damage == "truncate":
            with open(path, "r+b") as f:
                f.truncate(os.path.getsize(path) // 2)
            continue
        with open(path, "rb") as f:
            sealed = pickle.load(f)
        payload = bytearray(sealed.payload)
        if damage == "flip_payload_byte":
            payload[len(payload) // 2] ^= 0xFF
        else:  # a payload that matches its checksum but does not unpickle
            payload = bytearray(b"not a pickle")
            sealed.digest = type(sealed)._checksum(bytes(payload))
        sealed.payload = bytes(payload)
        with open(path, "wb") as f:
            pickle.dump(sealed, f)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = _fit_cached(cache_dir, X, y)
    # A file that cannot be read, fails its checksum or its inner unpickling.
    assert any("corrupted memory entry" in str(w.message) for w in caught)
    np.testing.assert_array_equal(again.oof_predictions_, reference.oof_predictions_)
    np.testing.assert_array_equal(again.predict_proba(X), reference.predict_proba(X))
    # The entries were stored again: a third fit loads them without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = _fit_cached(cache_dir, X, y)
    np.testing.assert_array_equal(third.predict_proba(X), reference.predict_proba(X))


# ---------------------------------------------------------------------------
# 3.1 a failing member is named, in any joblib backend
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["sequential", "threading", "loky"])
@pytest.mark.parametrize("where", ["fit", "predict_proba"])
def test_failing_member_is_named_in_every_backend(clf_data, backend, where):
    X, y = clf_data
    members = [("lr", LogisticRegression(max_iter=500)), ("bad", FailingClassifier(where))]
    with joblib.parallel_config(backend=backend, n_jobs=2 if backend != "sequential" else 1):
        with pytest.raises(ValueError, match=f"Member 'bad' failed in cv fold .*boom in {where}"):
            WeightedBlender(members, weighting="optimize", cv=3).fit(X, y)


def test_failing_member_at_predict_is_named(clf_data):
    X, y = clf_data
    members = [("lr", LogisticRegression(max_iter=500)), ("bad", FailingClassifier("never"))]
    # Uniform soft voting without a cv makes no OOF predictions: the failure
    # comes at predict.
    fitted = WeightedBlender(members).fit(X, y)
    with pytest.raises(ValueError, match="Member 'bad' failed in predict_proba.*boom"):
        fitted.predict_proba(X)
    # With cv="prefit", fit itself asks for the outputs.
    for _, est in members:
        est.fit(X, y)
    with pytest.raises(ValueError, match="Member 'bad' failed in predict_proba.*boom"):
        WeightedBlender(members, weighting="optimize", cv="prefit").fit(X, y)


def test_failing_member_keeps_the_original_exception_chained(clf_data):
    X, y = clf_data
    members = [("bad", FailingClassifier("fit"))]
    with pytest.raises(ValueError) as info:
        run_cross_fit(members, X, y, cv=3, methods=["predict_proba"], classes=np.unique(y))
    assert isinstance(info.value.__cause__, ValueError)
    assert str(info.value.__cause__) == "boom in fit"


# ---------------------------------------------------------------------------
# 4.3 the engine setting reaches the workers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_engine_setting_reaches_worker_tasks(clf_data, backend):
    X, y = clf_data
    members = [("a", EngineRecordingClassifier()), ("b", EngineRecordingClassifier(C=0.5))]
    with joblib.parallel_config(backend=backend, n_jobs=2):
        with skfusion.config_context(engine="numpy"):
            fitted = WeightedBlender(members, weighting="optimize", cv=3).fit(X, y)
    assert [est.engine_seen_ for est in fitted.estimators_] == ["numpy", "numpy"]


def test_default_engine_in_workers_without_a_context(clf_data):
    X, y = clf_data
    members = [("a", EngineRecordingClassifier())]
    with joblib.parallel_config(backend="threading", n_jobs=2):
        fitted = WeightedBlender(members, cv=3).fit(X, y)
    assert fitted.estimators_[0].engine_seen_ == "auto"


def test_tree_member_unaffected(clf_data):
    # A sanity check that the checks do not reject ordinary members.
    X, y = clf_data
    members = [("tree", DecisionTreeClassifier(random_state=0)), ("nb", GaussianNB())]
    blender = WeightedBlender(members, weighting="optimize").fit(X, y)
    assert np.isfinite(blender.predict_proba(X)).all()


# ---------------------------------------------------------------------------
# 1.1 at the array level: blend and skfusion.weights
# ---------------------------------------------------------------------------
def _probabilities(rng, n=200, k=3, n_models=3):
    p = [rng.dirichlet(np.ones(k), n) for _ in range(n_models)]
    y = rng.integers(0, k, n)
    return p, y


# skfusion.weights' functions, called on (predictions, y).
_WEIGHT_FUNCTIONS = [
    lambda p, y: skfusion.weights.optimized_weights(p, y),
    lambda p, y: skfusion.weights.caruana_weights(p, y),
    lambda p, y: skfusion.weights.score_weights(p, y),
    lambda p, y: skfusion.weights.optimized_weights(p, y, objective="accuracy"),
]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "function",
    [
        *_WEIGHT_FUNCTIONS,
        lambda p, y: skfusion.blend(p),
        lambda p, y: skfusion.blend(p, voting="hard"),
        lambda p, y: skfusion.blend(p, voting="rank", reference=p),
    ],
)
def test_non_finite_predictions_at_the_array_level_name_the_model(function, value):
    p, y = _probabilities(np.random.default_rng(0))
    p[1][[3, 7, 11], 0] = value
    with pytest.raises(ValueError, match="Member 1 returned non-finite.*in 3 of 200 rows"):
        function(p, y)


def test_failed_optimisation_is_never_returned_silently():
    from scipy.optimize import OptimizeResult
    from sklearn.exceptions import ConvergenceWarning

    from skfusion.weights import _checked_result as checked_result

    def objective(w):
        return float(np.sum((np.asarray(w) - 0.2) ** 2))

    x0 = np.array([0.5, 0.5])
    better = OptimizeResult(x=np.array([0.2, 0.3]), fun=0.01, success=False, message="limit")
    with pytest.warns(ConvergenceWarning, match="did not converge \\(limit\\).*best point"):
        np.testing.assert_array_equal(checked_result(better, "SLSQP", objective, x0), [0.2, 0.3])
    worse = OptimizeResult(x=np.array([1.0, 0.0]), fun=0.68, success=False, message="limit")
    with pytest.warns(ConvergenceWarning, match="starting point"):
        np.testing.assert_array_equal(checked_result(worse, "SLSQP", objective, x0), x0)
    broken = OptimizeResult(x=np.array([np.nan, 0.5]), fun=np.nan, success=False, message="nan")
    with pytest.raises(ValueError, match="SLSQP weight optimisation failed: nan"):
        checked_result(broken, "SLSQP", objective, x0)


def test_scoring_that_returns_nan_is_an_error_not_a_weight():
    p, y = _probabilities(np.random.default_rng(1))

    def nan_scorer(estimator, X, y_true):
        return float("nan")

    with pytest.raises(ValueError, match="gave nan"):
        skfusion.weights.optimized_weights(p, y, objective=nan_scorer)
    with pytest.raises(ValueError, match="non-finite score to member"):
        skfusion.weights.caruana_weights(p, y, objective=nan_scorer)


# ---------------------------------------------------------------------------
# 1.2 the engine does not change the answer
# ---------------------------------------------------------------------------
ENGINES = ["numpy", "numba"]


def _same_error_on_every_engine(call):
    messages = set()
    for engine in ENGINES:
        with skfusion.config_context(engine=engine):
            with pytest.raises(ValueError) as info:
                call()
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    return messages.pop()


def test_rank_map_nan_score_is_one_error_on_every_engine():
    from skfusion._kernels import get_kernel

    rng = np.random.default_rng(0)
    reference = np.sort(rng.random((50, 2)), axis=0)
    scores = rng.random((10, 2))
    scores[4, 1] = np.nan
    # numpy mapped it to quantile 1.0 and numba to 0.0 before.
    message = _same_error_on_every_engine(
        lambda: get_kernel("rank_map", scores)(scores, reference)
    )
    assert "NaN" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_log_mixture_nan_or_pos_inf_is_one_error_on_every_engine(bad):
    from skfusion._kernels import get_kernel

    logs = [np.log(np.full(20, 0.5)), np.log(np.full(20, 0.25))]
    logs[1][3] = bad
    _same_error_on_every_engine(lambda: get_kernel("log_mixture", logs)(logs, [0.5, 0.5]))
    logs[1][3] = -np.inf  # density 0 is valid: the same answer on every engine
    answers = []
    for engine in ENGINES:
        with skfusion.config_context(engine=engine):
            answers.append(get_kernel("log_mixture", logs)(logs, [0.5, 0.5]))
    np.testing.assert_allclose(answers[0], answers[1], rtol=1e-12)
    assert np.isclose(answers[0][3], np.log(0.25))


@pytest.mark.parametrize("kernel", ["ties_merge", "dare_merge"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_merge_kernels_non_finite_is_one_error_on_every_engine(kernel, bad):
    from skfusion._kernels import get_kernel

    rng = np.random.default_rng(0)
    base = rng.normal(size=100)
    tensors = [base + rng.normal(size=100) for _ in range(3)]
    tensors[2][17] = bad
    extra = (np.arange(3, dtype=np.uint64),) if kernel == "dare_merge" else ()
    message = _same_error_on_every_engine(
        lambda: get_kernel(kernel, tensors)(tensors, base, 0.5, np.ones(3), 1.0, *extra)
    )
    assert "member 2" in message


def test_rank_blend_does_not_flip_with_batch_size():
    # One row's rank blend alone and inside a batch large enough for numba.
    rng = np.random.default_rng(0)
    n = 70_000  # above the auto switch (2**16 elements)
    reference = [rng.random((500, 2)) for _ in range(2)]
    scores = [rng.random((n, 2)) for _ in range(2)]
    batch = skfusion.blend(scores, voting="rank", reference=reference)
    alone = skfusion.blend([s[:1] for s in scores], voting="rank", reference=reference)
    np.testing.assert_allclose(batch[:1], alone, rtol=1e-12)


# ---------------------------------------------------------------------------
# 1.6 1-D binary probabilities
# ---------------------------------------------------------------------------
def _binary_problem(seed=0, n=300):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.7 * y + 0.15 + rng.normal(0, 0.2, n), 0.01, 0.99)
    p2 = np.clip(0.5 + rng.normal(0, 0.3, n), 0.01, 0.99)
    p3 = np.clip(0.5 * y + 0.25 + rng.normal(0, 0.1, n), 0.01, 0.99)
    return [p1, p2, p3], y


@pytest.mark.parametrize("labels", [(0, 1), ("neg", "pos")])
def test_one_d_binary_scores_are_positive_class_probabilities(labels):
    scores, y01 = _binary_problem()
    y = np.asarray(labels)[y01]
    two_columns = [np.column_stack([1 - p, p]) for p in scores]
    w = skfusion.weights
    np.testing.assert_allclose(
        w.optimized_weights(scores, y), w.optimized_weights(two_columns, y), atol=1e-9
    )
    np.testing.assert_array_equal(w.caruana_weights(scores, y), w.caruana_weights(two_columns, y))
    np.testing.assert_allclose(
        w.score_weights(scores, y, objective="roc_auc"),
        w.score_weights(two_columns, y, objective="roc_auc"),
    )
    # Squared error on the 0/1 target would pick other weights.
    regression = w.optimized_weights(scores, y01.astype(float), target_type="continuous")
    assert not np.allclose(regression, w.optimized_weights(scores, y01), atol=1e-3)


def test_one_d_binary_scores_in_rank_voting():
    scores, y = _binary_problem()
    blended = skfusion.blend(scores, voting="rank", reference=scores)
    assert blended.shape == (len(y),)
    # Each model's quantile of its own scores, averaged.
    naive = np.mean(
        [[((s < v).sum() + (s <= v).sum()) / (2 * len(s)) for v in s] for s in scores],
        axis=0,
    )
    np.testing.assert_allclose(blended, naive)


def test_one_d_scores_outside_unit_interval_with_binary_target_are_an_error():
    scores, y = _binary_problem()
    with pytest.raises(ValueError, match="outside \\[0, 1\\].*target_type='continuous'"):
        skfusion.weights.optimized_weights([s * 3 - 1 for s in scores], y)


# ---------------------------------------------------------------------------
# 2.1 - 2.3 resources: large labels, float16, block layouts
# ---------------------------------------------------------------------------
def test_hard_vote_of_large_integer_labels_uses_memory_bounded_by_rows_x_members():
    import tracemalloc

    rng = np.random.default_rng(0)
    labels = [rng.choice([2019, 100_000], 5000) for _ in range(3)]
    tracemalloc.start()
    try:
        got = skfusion.blend(labels, voting="hard")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # before: 5000 x 100001 counts, about 4 GB
    block = np.column_stack(labels)
    naive = [max(set(row), key=lambda v: (list(row).count(v), -v)) for row in block.tolist()]
    np.testing.assert_array_equal(got, naive)


@pytest.mark.parametrize("n", [10, 40_000])  # below and above the auto numba switch
def test_float16_is_computed_in_float32_and_the_same_at_any_size(n):
    rng = np.random.default_rng(0)
    p = [rng.dirichlet(np.ones(3), size=n).astype(np.float16) for _ in range(3)]
    got = skfusion.blend(p, weights=[1, 2, 3])
    assert got.dtype == np.float16
    expected = np.tensordot(
        np.array([1, 2, 3]) / 6, np.stack([a.astype(np.float32) for a in p]), axes=1
    )
    np.testing.assert_allclose(got.astype(np.float32), expected, rtol=2e-3)
    for engine in ENGINES:  # the same float32 sums, up to the last float16 bit
        with skfusion.config_context(engine=engine):
            again = skfusion.blend(p, weights=[1, 2, 3])
        assert again.dtype == np.float16
        np.testing.assert_allclose(again.astype(np.float32), got.astype(np.float32), rtol=1e-3)


@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_every_layout_gives_the_same_blend(voting):
    rng = np.random.default_rng(0)
    n, m, k = 70_000, 4, 3
    if voting == "soft":
        members = [rng.dirichlet(np.ones(k), size=n) for _ in range(m)]
    else:
        members = [rng.integers(0, k, n) for _ in range(m)]
    weights = [1.0, 2.0, 0.5, 1.0]
    expected = skfusion.blend(members, weights, voting=voting)
    block = np.stack(members, axis=1)
    for layout in (block, np.asfortranarray(block), np.moveaxis(np.stack(members), 0, 1)):
        np.testing.assert_allclose(skfusion.blend(layout, weights, voting=voting), expected)


# ---------------------------------------------------------------------------
# 2.4 passthrough columns checked before any fit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("passthrough", [[99], [-14], [1.5]])
def test_passthrough_out_of_range_fails_before_any_member_fit(tmp_path, passthrough):
    from _helpers import CountingClassifier, count_fits
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)  # 13 columns
    log = tmp_path / "fits.log"
    stack = OOFStacker([("c", CountingClassifier(log_path=str(log)))], passthrough=passthrough)
    with pytest.raises(ValueError, match="passthrough columns must be indices in \\[-13, 13\\)"):
        stack.fit(X, y)
    assert count_fits(log) == 0


def test_negative_passthrough_index_counts_from_the_end():
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    members = [("nb", GaussianNB())]
    last = OOFStacker(members, passthrough=[-1]).fit(X, y)
    twelve = OOFStacker(members, passthrough=[12]).fit(X, y)
    np.testing.assert_allclose(last.transform(X), twelve.transform(X))


# ---------------------------------------------------------------------------
# 3.3 one-label data with sample weights
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fuser", [WeightedBlender, OOFStacker, BayesianModelAverager, skfusion.WeightSpaceFuser]
)
def test_one_label_with_sample_weights_says_class(fuser):
    from sklearn.utils.estimator_checks import check_classifiers_one_label_sample_weights

    members = [("a", LogisticRegression()), ("b", LogisticRegression(C=0.1))]
    check_classifiers_one_label_sample_weights(fuser.__name__, fuser(members))
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="class"):
        fuser(members).fit(X, np.zeros_like(y), sample_weight=np.ones(len(y)))


# ---------------------------------------------------------------------------
# 4.1 members that need labels 0..K-1
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fuser, params",
    [
        (WeightedBlender, {"weighting": "optimize"}),
        (WeightedBlender, {"voting": "hard"}),
        (WeightedBlender, {"voting": "rank"}),
        (OOFStacker, {}),
        (OOFStacker, {"test_predictions": "fold_average", "stack_method": "predict"}),
        (BayesianModelAverager, {}),
    ],
)
def test_string_labels_with_a_member_that_needs_class_indices(clf_data, fuser, params):
    from _helpers import IndexLabelsOnlyClassifier
    from sklearn.ensemble import StackingClassifier, VotingClassifier

    X, y = clf_data
    labels = np.array(["cat", "dog", "emu"])[y]
    members = [("idx", IndexLabelsOnlyClassifier()), ("nb", GaussianNB())]
    with pytest.raises(ValueError, match="Invalid classes"):  # the member as it is
        IndexLabelsOnlyClassifier().fit(X, labels)
    # sklearn's ensembles encode the labels for their members; so do ours.
    VotingClassifier(members).fit(X, labels)
    StackingClassifier(members).fit(X, labels)
    fitted = fuser(members, **params).fit(X, labels)
    pred = fitted.predict(X)
    assert set(pred) <= set(labels) and (pred == labels).mean() > 0.7
    # The same fuser on integer labels gives the same answers, decoded.
    on_codes = fuser(members, **params).fit(X, y)
    np.testing.assert_array_equal(pred, np.array(["cat", "dog", "emu"])[on_codes.predict(X)])
    if hasattr(fitted, "predict_proba"):
        np.testing.assert_allclose(fitted.predict_proba(X), on_codes.predict_proba(X))


def test_prefit_members_keep_their_own_labels(clf_data):
    X, y = clf_data
    labels = np.array(["cat", "dog", "emu"])[y]
    members = [("lr", LogisticRegression(max_iter=500).fit(X, labels)), ("nb", GaussianNB())]
    members[1][1].fit(X, labels)
    for voting in ("soft", "hard"):
        blender = WeightedBlender(members, voting=voting, cv="prefit").fit(X, labels)
        assert set(blender.predict(X)) <= set(labels)
        assert (blender.predict(X) == labels).mean() > 0.7
    hard = WeightedBlender(members, voting="hard", cv="prefit").fit(X, labels)
    assert set(np.unique(hard.transform(X))) <= set(labels)


def test_frozen_members_keep_their_own_labels(clf_data):
    from sklearn.frozen import FrozenEstimator

    X, y = clf_data
    labels = np.array(["cat", "dog", "emu"])[y]
    frozen = FrozenEstimator(LogisticRegression(max_iter=500).fit(X, labels))
    blender = WeightedBlender([("frozen", frozen), ("nb", GaussianNB())], weighting="optimize")
    blender.fit(X, labels)
    np.testing.assert_allclose(blender.oof_predictions_[:, 0], frozen.predict_proba(X))
    assert (blender.predict(X) == labels).mean() > 0.7


# ---------------------------------------------------------------------------
# 4.2 sample_weight reaches the final step of Pipeline members
# ---------------------------------------------------------------------------
def test_sample_weight_reaches_the_final_step_of_pipeline_members(clf_data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = clf_data
    sw = np.where(y == 0, 5.0, 1.0)
    nested = make_pipeline(StandardScaler(), make_pipeline(LogisticRegression(C=0.1)))
    members = [("pipe", make_pipeline(StandardScaler(), LogisticRegression())), ("nested", nested)]
    blender = WeightedBlender(members).fit(X, y, sample_weight=sw)
    direct = make_pipeline(StandardScaler(), LogisticRegression())
    direct.fit(X, y, logisticregression__sample_weight=sw)
    unweighted = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    np.testing.assert_allclose(blender.estimators_[0].predict_proba(X), direct.predict_proba(X))
    assert not np.allclose(direct.predict_proba(X), unweighted.predict_proba(X))


def test_sample_weight_with_a_pipeline_whose_final_step_cannot_take_it_names_it(clf_data):
    from _helpers import NoSampleWeightClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = clf_data
    members = [
        ("lr", LogisticRegression()),
        ("pipe", make_pipeline(StandardScaler(), NoSampleWeightClassifier())),
    ]
    with pytest.raises(TypeError, match="Member 'pipe'.*sample_weight"):
        WeightedBlender(members).fit(X, y, sample_weight=np.ones(len(y)))


# ---------------------------------------------------------------------------
# found in review
# ---------------------------------------------------------------------------
def test_block_of_more_than_three_dimensions_is_one_error_on_every_engine():
    block = np.asfortranarray(np.random.default_rng(0).random((4, 3, 2, 3)))
    message = _same_error_on_every_engine(lambda: skfusion.blend(block))
    assert "(n_samples, n_members, n_classes)" in message


def test_block_without_members_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one member"):
        skfusion.blend(np.zeros((3, 0)))


def test_predict_uses_the_cv_of_the_fit_not_of_a_later_set_params(clf_data):
    X, y = clf_data
    labels = np.array(["cat", "dog", "emu"])[y]
    members = [("lr", LogisticRegression(max_iter=500).fit(X, labels))]
    blender = WeightedBlender(members, cv="prefit").fit(X, labels)
    expected = blender.predict_proba(X)
    blender.set_params(cv=3)
    np.testing.assert_array_equal(blender.predict_proba(X), expected)


def test_frozen_final_step_of_a_pipeline_keeps_its_labels(clf_data):
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = clf_data
    labels = y + 1  # 1, 2, 3: not class indices
    frozen = FrozenEstimator(LogisticRegression(max_iter=500).fit(X, labels))
    pipe = make_pipeline(StandardScaler(), frozen)
    blender = WeightedBlender([("pipe", pipe), ("nb", GaussianNB())], weighting="optimize")
    blender.fit(X, labels)
    assert (blender.predict(X) == labels).mean() > 0.7


def test_pseudo_bma_with_every_member_at_density_zero_somewhere_says_so():
    lpd = np.array([[-np.inf, 0.0], [0.0, -np.inf], [-1.0, -1.0]])
    for function in (skfusion.weights.pseudo_bma_weights, skfusion.weights.bb_pseudo_bma_weights):
        with pytest.raises(ValueError, match="density 0 to at least one row"):
            function(lpd)
    np.testing.assert_allclose(skfusion.weights.stacking_weights(lpd).sum(), 1.0)


def test_rank_vote_names_the_model_whose_reference_holds_nan():
    rng = np.random.default_rng(0)
    scores = [rng.random((20, 2)) for _ in range(3)]
    reference = [s.copy() for s in scores]
    reference[1][4, 0] = np.nan
    with pytest.raises(ValueError, match="Member 1 returned non-finite values .* from reference"):
        skfusion.blend(scores, voting="rank", reference=reference)


def test_memory_clear_removes_skfusions_entries(tmp_path, clf_data):
    X, y = clf_data
    memory = joblib.Memory(str(tmp_path))
    _fit_cached(memory, X, y)
    assert _entries(str(tmp_path), "_fit_member_sealed")
    memory.clear(warn=False)
    assert not _entries(str(tmp_path), "_fit_member_sealed")


# ---------------------------------------------------------------------------
# Member probabilities that are no distributions (refused where they enter)
# ---------------------------------------------------------------------------
_PROBABILITY_FUSERS = [
    lambda m: WeightedBlender(m, weighting="optimize"),
    lambda m: WeightedBlender(m),
    lambda m: BayesianModelAverager(m),
    lambda m: DynamicSelector(m, k=10),
    lambda m: GatedBlender(m),
    lambda m: OOFStacker(m, stack_method="predict_proba"),
]


def _scaled_members(**params):
    return [("lr", LogisticRegression(max_iter=500)), ("odd", ScaledProbaClassifier(**params))]


@pytest.mark.parametrize("make", _PROBABILITY_FUSERS)
@pytest.mark.parametrize("params", [{"scale": 3.0}, {"shift": -0.2}, {"scale": 0.5}])
def test_member_probabilities_off_the_simplex_are_refused_at_fit(clf_data, make, params):
    X, y = clf_data
    fuser = make(_scaled_members(**params))
    if isinstance(fuser, WeightedBlender) and fuser.weighting is None:
        fuser.set_params(scoring="accuracy")  # given weights make OOF outputs only when scored
    with pytest.raises(ValueError, match="Member 'odd'.*predict_proba.*not probabilities"):
        fuser.fit(X, y)


@pytest.mark.parametrize("make", _PROBABILITY_FUSERS)
def test_member_probabilities_off_the_simplex_are_refused_at_predict(clf_data, make):
    X, y = clf_data
    fitted = make(_scaled_members()).fit(X, y)
    fitted.named_estimators_["odd"].scale = 3.0  # spoil the fitted member
    with pytest.raises(ValueError, match="Member 'odd'.*not probabilities in 150 of 150 rows"):
        fitted.predict_proba(X)


def test_online_blender_refuses_member_probabilities_off_the_simplex(clf_data):
    from skfusion import OnlineBlender

    X, y = clf_data
    members = [(name, clone(est).fit(X, y)) for name, est in _scaled_members(scale=3.0)]
    with pytest.raises(ValueError, match="Member 'odd': its predict_proba.*not probabilities"):
        OnlineBlender(members).fit(X, y)


def test_probabilities_within_rounding_are_accepted(clf_data):
    X, y = clf_data
    # float32 rounding of a softmax: rows off 1 by ~1e-7.
    members = _scaled_members(scale=1.0 + 2e-7)
    blender = WeightedBlender(members, weighting="optimize").fit(X, y)
    np.testing.assert_allclose(blender.predict_proba(X).sum(axis=1), 1.0, atol=1e-6)


def test_stacker_takes_member_scores_that_are_not_probabilities(clf_data):
    X, y = clf_data
    members = _scaled_members(scale=3.0)
    stack = OOFStacker(members, stack_method="decision_function").fit(X, y)
    assert stack.score(X, y) > 0.7


@pytest.mark.parametrize(
    "function",
    [
        *_WEIGHT_FUNCTIONS,
        lambda p, y: skfusion.blend(p),
        lambda p, y: skfusion.blend(np.stack(p, axis=1)),
    ],
)
@pytest.mark.parametrize("spoil", [lambda q: 3 * q, lambda q: q - 0.1, lambda q: q * 0.9])
def test_array_level_probabilities_off_the_simplex_name_the_model(function, spoil):
    p, y = _probabilities(np.random.default_rng(0))
    p[1] = spoil(p[1])
    with pytest.raises(ValueError, match="Member 1: its class scores are not probabilities"):
        function(p, y)


def test_blend_skips_a_model_of_weight_zero_and_rank_voting_takes_scores():
    p, y = _probabilities(np.random.default_rng(0))
    p[1] = p[1] - 0.5  # scores, not probabilities
    expected = (p[0] + p[2]) / 2
    np.testing.assert_allclose(skfusion.blend(p, weights=[1, 0, 1]), expected)
    ranked = skfusion.blend(p, voting="rank", reference=p)
    np.testing.assert_allclose(ranked.sum(axis=1), 1.0)


# ---------------------------------------------------------------------------
# Repeated cv in the model averager: repeats averaged as probabilities
# ---------------------------------------------------------------------------
def test_model_averager_repeated_cv_averages_repeats_as_probabilities(clf_data):
    X, y = clf_data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=3, random_state=0)
    tree = DecisionTreeClassifier(random_state=0)  # probabilities of exactly 0 and 1
    members = [("tree", tree), ("lr", LogisticRegression(max_iter=500))]
    bma = BayesianModelAverager(members, cv=cv, scoring="neg_log_loss").fit(X, y)
    # The naive reference: each row's tree probabilities averaged over the repeats.
    total, times = np.zeros((len(y), 3)), np.zeros(len(y))
    for train, test in cv.split(X, y):
        total[test] += clone(tree).fit(X[train], y[train]).predict_proba(X[test])
        times[test] += 1
    np.testing.assert_allclose(bma.oof_predictions_[:, 0], total / times[:, None], atol=1e-12)
    assert np.isfinite(bma.fused_oof_predictions_).all()
    assert np.isfinite(bma.fused_score_)


def test_model_averager_single_cv_keeps_log_probabilities_exactly(clf_data):
    X, y = clf_data
    cv = StratifiedKFold(n_splits=3)
    members = [("lr", LogisticRegression(max_iter=500)), ("nb", GaussianNB())]
    bma = BayesianModelAverager(members, cv=cv).fit(X, y)
    expected = np.zeros((len(y), 3))
    for train, test in cv.split(X, y):
        expected[test] = GaussianNB().fit(X[train], y[train]).predict_proba(X[test])
    np.testing.assert_allclose(bma.oof_predictions_[:, 1], expected, rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------------------
# Messages name the public thing and the cause
# ---------------------------------------------------------------------------
def test_set_and_interval_arguments_are_named_by_the_public_method(clf_data, reg_data):
    X, y = clf_data
    blender = WeightedBlender(_scaled_members(), weighting="optimize").fit(X, y)
    with pytest.raises(ValueError, match=r"'coverage' parameter of WeightedBlender.predict_set"):
        blender.predict_set(X, coverage=1.5)
    X, y = reg_data
    regressor = WeightedBlenderRegressor([("lin", LinearRegression())], cv=3).fit(X, y)
    with pytest.raises(
        ValueError, match=r"'method' parameter of WeightedBlenderRegressor.predict_interval"
    ):
        regressor.predict_interval(X, method="bad")


def test_merge_names_the_model_and_parameter_with_nan():
    params = [{"w": np.ones(3), "b": np.zeros(1)}, {"w": np.ones(3), "b": np.array([np.inf])}]
    for merge in ("average", "dare", "ties", "task_arithmetic"):
        base = {"w": np.zeros(3), "b": np.zeros(1)}
        with pytest.raises(ValueError, match=r"^model 1's parameter 'b' holds NaN or inf"):
            skfusion.merge.merge_params(params, merge=merge, base=base)


def test_sample_weight_messages_say_what_is_wrong(clf_data):
    X, y = clf_data
    blender = WeightedBlender(_scaled_members(), weighting="optimize")
    negative = np.ones(len(y))
    negative[7] = -2.0
    with pytest.raises(ValueError, match=r"non-negative; 1 row\(s\) are not \(first: row 7"):
        blender.fit(X, y, sample_weight=negative)
    with pytest.raises(ValueError, match=r"one entry per row \(150\); got shape \(149,\)"):
        blender.fit(X, y, sample_weight=np.ones(149))
    one_class = (y == 2).astype(float)
    with pytest.raises(ValueError, match=r"all classes but 2: .* at least 2 classes"):
        blender.fit(X, y, sample_weight=one_class)
    p, labels = _probabilities(np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 2 classes"):
        skfusion.weights.score_weights(
            p, labels, sample_weight=(labels == 0).astype(float), objective="roc_auc_ovr"
        )


def test_fold_averaged_log_probabilities_are_the_log_of_the_mean(clf_data):
    X, y = clf_data
    members = [("tree", DecisionTreeClassifier(max_depth=4, random_state=0)), ("nb", GaussianNB())]
    bma = BayesianModelAverager(members, test_predictions="fold_average", cv=3).fit(X, y)
    with np.errstate(divide="ignore"):
        expected = np.log(bma.predict_proba(X))
    np.testing.assert_allclose(bma.predict_log_proba(X), expected, atol=1e-10)


class _ScaledLogProba(ScaledProbaClassifier):
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))


def test_log_probabilities_off_the_simplex_are_refused(clf_data):
    X, y = clf_data
    members = [("lr", LogisticRegression(max_iter=500)), ("odd", _ScaledLogProba(scale=3.0))]
    with pytest.raises(ValueError, match=r"'odd': its predict_log_proba values \(exponentiated\)"):
        BayesianModelAverager(members).fit(X, y)
