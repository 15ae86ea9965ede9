"""skfusion.metrics against naive per-pair loops written from the formulas."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import WeightedBlender, WeightedBlenderRegressor
from skfusion.metrics import (
    MEASURES,
    ambiguity_decomposition,
    coverage_score,
    diversity,
    interval_width,
    pairwise_diversity,
)


def naive_pair(a_right, b_right, w, measure):
    """One pair, counted row by row (Kuncheva & Whitaker 2003, Table 1)."""
    n11 = n00 = n10 = n01 = 0.0
    for a, b, wi in zip(a_right, b_right, w):
        if a and b:
            n11 += wi
        elif not a and not b:
            n00 += wi
        elif a:
            n10 += wi
        else:
            n01 += wi
    total = n11 + n00 + n10 + n01
    if measure == "disagreement":
        return (n01 + n10) / total
    if measure == "double_fault":
        return n00 / total
    cross = n11 * n00 - n01 * n10
    if measure == "q_statistic":
        den = n11 * n00 + n01 * n10
    else:
        den = np.sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00))
    return cross / den if den else np.nan


def naive_matrix(labels, y, w, measure):
    right = [np.asarray(p) == y for p in labels]
    m = len(right)
    return np.array(
        [[naive_pair(right[i], right[j], w, measure) for j in range(m)] for i in range(m)]
    )


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 60),
    n_models=st.integers(1, 5),
    n_classes=st.integers(2, 4),
    weighted=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_every_measure_matches_the_naive_loop(n, n_models, n_classes, weighted, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    # Models right more often than chance, so every kind of pair occurs.
    labels = [
        np.where(rng.random(n) < 0.6, y, rng.integers(0, n_classes, n)) for _ in range(n_models)
    ]
    w = rng.uniform(0.1, 2.0, n) if weighted else np.ones(n)
    for measure in MEASURES:
        got = pairwise_diversity(labels, y, measure=measure, sample_weight=w if weighted else None)
        np.testing.assert_allclose(
            got, naive_matrix(labels, y, w, measure), rtol=1e-10, atol=1e-12
        )


def test_class_scores_blocks_and_row_blocks(monkeypatch):
    X, y = make_classification(n_samples=500, n_classes=3, n_informative=5, random_state=0)
    labels = np.array(["ant", "bee", "cat"])[y]
    members = [
        ("logreg", LogisticRegression(max_iter=500)),
        ("bayes", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    oof = WeightedBlender(members, weighting="optimize").fit(X, labels).oof_predictions_
    as_labels = [np.array(["ant", "bee", "cat"])[oof[:, m].argmax(axis=1)] for m in range(3)]
    expected = naive_matrix(as_labels, labels, np.ones(500), "q_statistic")
    # A fuser's (n, M, k) OOF class scores, and rows taken in small blocks.
    monkeypatch.setattr("skfusion.metrics._BLOCK_ROWS", 64)
    np.testing.assert_allclose(pairwise_diversity(oof, labels), expected, rtol=1e-10)
    summary = diversity(oof, labels)
    upper = np.triu_indices(3, k=1)
    assert summary["q_statistic"] == pytest.approx(expected[upper].mean())
    assert set(summary) == set(MEASURES)


def test_edge_cases():
    y = np.array([0, 1, 0, 1])
    perfect, wrong = y.copy(), 1 - y
    q = pairwise_diversity([perfect, wrong], y)
    assert np.isnan(q[0, 1])  # N11 N00 + N01 N10 = 0: undefined
    double_fault = pairwise_diversity([perfect, wrong], y, measure="double_fault")
    np.testing.assert_allclose(np.diag(double_fault), [0.0, 1.0])  # each model's error rate
    assert np.isnan(diversity([perfect, wrong], y)["q_statistic"])
    with pytest.raises(ValueError, match="3 class scores but y has 2 classes"):
        pairwise_diversity([np.ones((4, 3))], y)
    with pytest.raises(ValueError, match="Model 0 has 3 rows but y has 4"):
        pairwise_diversity([perfect[:3], wrong[:3]], y)


def test_ambiguity_terms_add_up_to_the_blend_error():
    X, y = make_regression(n_samples=300, noise=20.0, random_state=0)
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]
    blender = WeightedBlenderRegressor(members, weighting="optimize").fit(X, y)
    oof, w = blender.oof_predictions_, blender.weights_
    parts = ambiguity_decomposition(oof, y, weights=w)
    fused = oof @ w
    assert parts["ensemble_error"] == pytest.approx(np.mean((fused - y) ** 2))
    assert parts["ensemble_error"] == pytest.approx(parts["average_error"] - parts["ambiguity"])
    # Naive terms, row by row.
    naive_ambiguity = np.mean([sum(w[m] * (oof[i, m] - fused[i]) ** 2 for m in range(2))
                               for i in range(len(y))])  # fmt: skip
    assert parts["ambiguity"] == pytest.approx(naive_ambiguity)
    np.testing.assert_allclose(parts["member_errors"], np.mean((oof - y[:, None]) ** 2, axis=0))


def test_ambiguity_with_outputs_and_row_weights():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(50, 2))
    models = [y + rng.normal(scale=s, size=y.shape) for s in (0.5, 1.0, 2.0)]
    w_rows = rng.uniform(0.5, 1.5, 50)
    parts = ambiguity_decomposition(models, y, weights=[1, 2, 1], sample_weight=w_rows)
    fused = 0.25 * models[0] + 0.5 * models[1] + 0.25 * models[2]
    expected = np.average(((fused - y) ** 2).sum(axis=1), weights=w_rows)
    assert parts["ensemble_error"] == pytest.approx(expected)
    assert parts["ensemble_error"] == pytest.approx(parts["average_error"] - parts["ambiguity"])
    with pytest.raises(ValueError, match="shape of y"):
        ambiguity_decomposition([y[:, 0]], y)


def naive_coverage(y_true, sets, labels):
    """Row by row: the set's column named by the true label (labels in the given order)."""
    labels = list(labels)
    covered = [t in labels and bool(row[labels.index(t)]) for t, row in zip(y_true, sets)]
    return float(np.mean(covered))


@pytest.mark.parametrize("labels", [["dog", "cat"], ["cat", "dog"], ["emu", "dog", "ant", "cat"]])
def test_coverage_reads_set_columns_in_the_order_of_labels(labels):
    rng = np.random.default_rng(0)
    y_true = np.array(["dog", "cat", "cat", "dog", "ant", "cat"])
    sets = rng.random((len(y_true), len(labels))) < 0.5
    expected = naive_coverage(y_true, sets, labels)
    assert coverage_score(y_true, sets, labels=labels) == pytest.approx(expected)
    # The case: two rows, each set holding just its true label.
    two = np.array([[True, False], [False, True]])
    assert coverage_score(["dog", "cat"], two, labels=["dog", "cat"]) == 1.0
    with pytest.raises(ValueError, match="labels holds 'dog' more than once"):
        coverage_score(["dog"], np.array([[True, True]]), labels=["dog", "dog"])


def test_nan_truth_and_crossed_bounds_are_errors():
    sets = np.array([[True, False], [False, True], [True, True]])
    with pytest.raises(ValueError, match=r"y_true holds NaN in 1 row\(s\) \(first: row 1\)"):
        coverage_score([0.0, np.nan, 1.0], sets, labels=[0.0, 1.0])
    bounds = np.array([[0.0, 2.0], [0.0, 2.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match=r"y_true holds NaN in 2 row\(s\) \(first: row 0\)"):
        coverage_score([np.nan, 1.0, np.nan], bounds)
    with pytest.raises(ValueError, match=r"y_true holds NaN in 1 row\(s\) \(first: row 2\)"):
        coverage_score(np.array(["a", "b", None], dtype=object), sets, labels=["a", "b"])
    crossed = np.array([[0.0, 2.0], [3.0, 1.0], [5.0, 4.0]])
    message = r"y_pred has a lower bound above the upper in 2 row\(s\) \(first: row 1\)"
    with pytest.raises(ValueError, match=message):
        coverage_score([1.0, 2.0, 4.5], crossed)
    with pytest.raises(ValueError, match=message):
        interval_width(crossed)
    outputs = np.zeros((3, 2, 2))
    outputs[..., 1] = 1.0
    outputs[2, 1] = [2.0, 1.0]  # the second output of row 2 is crossed
    with pytest.raises(ValueError, match=r"upper in 1 row\(s\) \(first: row 2\)"):
        interval_width(outputs)
    with pytest.raises(ValueError, match=r"y_pred holds NaN in 1 row\(s\) \(first: row 0\)"):
        interval_width(np.array([[np.nan, 1.0], [0.0, 1.0]]))
    # Bounds that touch are an interval of width 0, not an error.
    assert interval_width(np.array([[1.0, 1.0], [0.0, 2.0]])) == 1.0
    assert coverage_score([1.0, 3.0], np.array([[1.0, 1.0], [0.0, 2.0]])) == 0.5
