"""Array-level weight fitting against naive references."""

import itertools

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error

from skfusion.weights import (
    caruana_weights,
    check_weights,
    optimized_weights,
    score_weights,
    weights_from_scores,
)


def _problem(seed=0, n=300, k=3, n_members=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    truth = np.eye(k)[y]
    members = []
    for noise in np.linspace(0.5, 3.0, n_members):
        logits = 2 * truth + noise * rng.normal(size=(n, k))
        p = np.exp(logits)
        members.append(p / p.sum(axis=1, keepdims=True))
    return members, y


def _simplex_grid(n_members, step=0.02):
    ticks = np.arange(0, 1 + 1e-9, step)
    for w in itertools.product(ticks, repeat=n_members - 1):
        if sum(w) <= 1 + 1e-9:
            yield np.array([*w, 1 - sum(w)])


def test_check_weights():
    np.testing.assert_allclose(check_weights([1, 1, 2], 3), [0.25, 0.25, 0.5])
    np.testing.assert_allclose(check_weights(None, 4), np.full(4, 0.25))
    with pytest.raises(ValueError, match="one entry per member"):
        check_weights([1, 2], 3)
    with pytest.raises(ValueError, match="member 'b'"):
        check_weights([1, -1], 2, names=["a", "b"])
    with pytest.raises(ValueError, match="finite"):
        check_weights([1, np.nan], 2)
    with pytest.raises(ValueError, match="all zero"):
        check_weights([0, 0], 2)


def test_weights_from_scores_rules():
    np.testing.assert_allclose(weights_from_scores([0.8, 0.2]), [0.8, 0.2])
    np.testing.assert_allclose(weights_from_scores([-1.0, -3.0]), [0.75, 0.25])
    np.testing.assert_allclose(weights_from_scores([0.5, -0.2, 0.5]), [0.5, 0.0, 0.5])
    # negated losses: a score of 0 is a perfect member (the limit of 1 / loss)
    np.testing.assert_allclose(
        weights_from_scores([-0.3, -0.0, 0.0], negated_loss=True), [0.0, 0.5, 0.5]
    )
    np.testing.assert_allclose(weights_from_scores([-1.0, -3.0], negated_loss=True), [0.75, 0.25])
    with pytest.raises(ValueError, match="No member scores above 0"):
        weights_from_scores([0.0, -0.1])
    with pytest.raises(ValueError, match="finite"):
        weights_from_scores([np.nan, 1.0])


def test_a_perfect_member_takes_the_weight_of_the_default_loss():
    # Squared error 0 is a perfect member (the limit of 1 / loss), not a
    # worthless score of 0.
    y = np.arange(6.0)
    members = [y + 1.0, y.copy(), y.copy()]
    np.testing.assert_allclose(score_weights(members, y), [0.0, 0.5, 0.5])
    # any negated-loss scorer, not only the default
    np.testing.assert_allclose(
        score_weights(members, y, objective="neg_mean_absolute_error"), [0.0, 0.5, 0.5]
    )


def test_score_weights_match_manual_scores():
    members, y = _problem()
    acc = np.array([accuracy_score(y, p.argmax(axis=1)) for p in members])
    np.testing.assert_allclose(score_weights(members, y, objective="accuracy"), acc / acc.sum())
    losses = np.array([log_loss(y, p) for p in members])
    inv = 1 / losses
    # The default objective is the log-loss: weights proportional to 1 / loss.
    for objective in (None, "neg_log_loss"):
        np.testing.assert_allclose(
            score_weights(members, y, objective=objective), inv / inv.sum(), rtol=1e-10
        )


def test_score_weights_stacked_and_string_labels():
    members, y = _problem()
    labels = np.array(["ant", "bee", "cat"])[y]
    np.testing.assert_allclose(
        score_weights(np.stack(members, axis=1), labels), score_weights(members, y)
    )


def test_optimized_log_loss_weights_beat_a_simplex_grid():
    members, y = _problem(seed=1)
    w = optimized_weights(members, y)
    assert w.min() >= 0 and np.isclose(w.sum(), 1)
    best_grid = min(
        log_loss(y, sum(wi * p for wi, p in zip(g, members))) for g in _simplex_grid(3)
    )
    assert log_loss(y, sum(wi * p for wi, p in zip(w, members))) <= best_grid + 1e-9


def test_optimized_squared_error_weights_match_a_simplex_grid():
    rng = np.random.default_rng(2)
    y = rng.normal(size=400)
    members = [y + rng.normal(scale=s, size=400) for s in (0.5, 1.0, 2.0)]
    w = optimized_weights(members, y)
    grid_best = min(
        _simplex_grid(3),
        key=lambda g: mean_squared_error(y, sum(gi * p for gi, p in zip(g, members))),
    )
    np.testing.assert_allclose(w, grid_best, atol=0.03)


def test_optimized_weights_with_a_scorer():
    members, y = _problem(seed=4)
    w = optimized_weights(members, y, objective="neg_log_loss")
    blended = sum(wi * p for wi, p in zip(w, members))
    assert log_loss(y, blended) <= log_loss(y, sum(members) / 3) + 1e-9


def test_sample_weight_changes_the_optimum():
    rng = np.random.default_rng(5)
    y = rng.normal(size=200)
    a = y.copy()
    a[:100] += 3.0  # a is bad on the first half
    b = y.copy()
    b[100:] += 3.0  # b is bad on the second half
    sw = np.r_[np.ones(100), np.full(100, 1e-3)]
    w = optimized_weights([a, b], y, sample_weight=sw)
    assert w[1] > 0.95


def _naive_caruana_weights(members, y, n_iter, score):
    picked = []
    for _ in range(n_iter):
        scores = [
            score(np.mean([members[i] for i in picked + [m]], axis=0)) for m in range(len(members))
        ]
        picked.append(int(np.argmax(scores)))
    return np.bincount(picked, minlength=len(members)) / n_iter


def test_caruana_weights_match_naive_log_loss():
    members, y = _problem(seed=6, n_members=5)
    expected = _naive_caruana_weights(members, y, 30, lambda p: -log_loss(y, p, labels=[0, 1, 2]))
    np.testing.assert_allclose(caruana_weights(members, y, n_iter=30), expected)


def test_caruana_weights_with_a_scorer_match_naive():
    members, y = _problem(seed=7, n_members=4)
    expected = _naive_caruana_weights(
        members, y, 15, lambda p: accuracy_score(y, p.argmax(axis=1))
    )
    got, picks = caruana_weights(members, y, n_iter=15, objective="accuracy", return_picks=True)
    np.testing.assert_allclose(got, expected)
    assert len(picks) == 15


def test_caruana_rejects_bad_n_iter():
    members, y = _problem()
    with pytest.raises(ValueError, match="n_iter"):
        caruana_weights(members, y, n_iter=0)


def test_class_columns_must_match_classes():
    members, y = _problem()
    with pytest.raises(ValueError, match="class columns"):
        score_weights(members, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in `classes`"):
        score_weights(members, np.where(y == 2, 5, y), classes=[0, 1, 2])
