"""Multi-output regression: a 2-D y where sklearn's VotingRegressor and
StackingRegressor fail with "y should be a 1d array"."""

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.ensemble import StackingRegressor, VotingRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor

from skfusion import (
    BayesianModelAveragerRegressor,
    OOFStackerRegressor,
    WeightedBlenderRegressor,
    WeightSpaceFuserRegressor,
)


@pytest.fixture(scope="module")
def data():
    X, Y = make_regression(n_samples=240, n_features=6, n_targets=3, noise=20, random_state=0)
    # A non-linear part that neither member gets alone, so a blend of both wins.
    return X, Y + 100 * np.sin(3 * X[:, :1])


def _members():
    # Both fit each target on its own, so a per-output loop is a reference.
    return [("ridge", Ridge(alpha=100.0)), ("knn", KNeighborsRegressor(n_neighbors=7))]


@pytest.mark.parametrize("ensemble", [VotingRegressor, StackingRegressor])
def test_sklearn_ensembles_refuse_a_2d_y(data, ensemble):
    X, Y = data
    with pytest.raises(ValueError, match="1d array"):
        ensemble(_members()).fit(X, Y)


def test_fixed_weights_equal_a_per_output_loop(data):
    X, Y = data
    fused = WeightedBlenderRegressor(_members(), weights=[1, 3]).fit(X, Y)
    for t in range(Y.shape[1]):
        alone = WeightedBlenderRegressor(_members(), weights=[1, 3]).fit(X, Y[:, t])
        np.testing.assert_allclose(fused.predict(X)[:, t], alone.predict(X), rtol=1e-10)
    assert fused.transform(X[:5]).shape == (5, 6)
    assert list(fused.get_feature_names_out())[:3] == ["ridge__0", "ridge__1", "ridge__2"]


def _summed_squared_error(oof, Y, w):
    return float(np.sum((np.tensordot(oof, w, axes=([1], [0])) - Y) ** 2))


def test_optimized_shared_weights_minimise_the_summed_squared_error(data):
    X, Y = data
    cv = KFold(5)
    fused = WeightedBlenderRegressor(_members(), weighting="optimize", cv=cv).fit(X, Y)
    oof = np.stack([cross_val_predict(est, X, Y, cv=cv) for _, est in _members()], axis=1)
    np.testing.assert_allclose(fused.oof_predictions_, oof, rtol=1e-10)
    np.testing.assert_allclose(
        fused.fused_oof_predictions_, np.tensordot(oof, fused.weights_, axes=([1], [0]))
    )
    # A naive search over the simplex of two members finds nothing better.
    best = _summed_squared_error(oof, Y, fused.weights_)
    for a in np.linspace(0, 1, 201):
        assert best <= _summed_squared_error(oof, Y, np.array([a, 1 - a])) * (1 + 1e-9)
    assert 0 < fused.weights_[0] < 1  # the optimum is inside: both members count


@pytest.mark.parametrize("weighting", ["score", "caruana"])
def test_other_weightings_learn_one_shared_vector(data, weighting):
    X, Y = data
    fused = WeightedBlenderRegressor(_members(), weighting=weighting).fit(X, Y)
    assert fused.weights_.shape == (2,)
    assert fused.predict(X[:4]).shape == (4, 3)
    assert set(fused.member_scores_) == {"ridge", "knn"}


def test_custom_objective_with_a_2d_y_is_a_clear_error(data):
    X, Y = data
    with pytest.raises(ValueError, match="objective='r2' is not supported"):
        WeightedBlenderRegressor(_members(), weighting="optimize", objective="r2").fit(X, Y)


def test_stacker_and_weight_space_fuser_take_a_2d_y(data):
    X, Y = data
    stack = OOFStackerRegressor(_members()).fit(X, Y)
    assert stack.predict(X[:4]).shape == (4, 3)
    linear = [("a", Ridge(alpha=1.0)), ("b", Ridge(alpha=10.0))]
    soup = WeightSpaceFuserRegressor(linear, cv=3).fit(X, Y)
    assert soup.predict(X[:4]).shape == (4, 3)


def test_model_averaging_says_it_needs_a_1d_y(data):
    X, Y = data
    with pytest.raises(ValueError, match="supports a 1-D target"):
        BayesianModelAveragerRegressor(_members()).fit(X, Y)
