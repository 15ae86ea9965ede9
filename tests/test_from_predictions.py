"""from_predictions: fusing saved out-of-fold predictions, no model refit."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import estimator_html_repr

from skfusion import (
    BayesianModelAverager,
    BayesianModelAveragerRegressor,
    OOFStacker,
    OOFStackerRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
)

NAMES = ["forest", "logreg", "bayes"]
CLASSIFIERS = [
    (WeightedBlender, {"weighting": "optimize"}),
    (WeightedBlender, {"weighting": "caruana", "n_iter": 15}),
    (WeightedBlender, {"weighting": "score"}),
    (OOFStacker, {}),
    (BayesianModelAverager, {"weighting": "stacking"}),
    (BayesianModelAverager, {"weighting": "bb_pseudo_bma", "random_state": 0}),
]
REGRESSORS = [
    (WeightedBlenderRegressor, {"weighting": "optimize"}),
    (OOFStackerRegressor, {}),
    (BayesianModelAveragerRegressor, {"weighting": "stacking"}),
]


def _classifiers():
    return [
        ("forest", RandomForestClassifier(n_estimators=30, random_state=0)),
        ("logreg", LogisticRegression(max_iter=1000)),
        ("bayes", GaussianNB()),
    ]


@pytest.fixture(scope="module")
def multiclass():
    X, y = make_classification(
        n_samples=360, n_classes=3, n_informative=6, random_state=0, class_sep=0.7
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    return X[:300], labels[:300], X[300:], labels[300:]


def _learnt(fuser):
    """What a fuser learnt from the OOF predictions."""
    if hasattr(fuser, "weights_"):
        return fuser.weights_
    return fuser.final_estimator_.coef_


def _test_block(fuser, X, method):
    return np.stack([getattr(est, method)(X) for est in fuser.estimators_], axis=1)


@pytest.mark.parametrize("cls, params", CLASSIFIERS)
def test_classifier_learns_what_it_learns_in_fit(multiclass, cls, params):
    X, y, X_test, _ = multiclass
    fitted = cls(_classifiers(), cv=KFold(4), **params).fit(X, y)
    saved = cls.from_predictions(fitted.oof_predictions_, y, names=NAMES, cv=KFold(4), **params)
    # Model averaging reads log-probabilities from members that have them, the
    # log of the saved probabilities here: equal to rounding.
    np.testing.assert_allclose(_learnt(saved), _learnt(fitted), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        saved.fused_oof_predictions_, fitted.fused_oof_predictions_, rtol=1e-9, atol=1e-12
    )
    assert saved.fused_score_ == pytest.approx(fitted.fused_score_)
    assert saved.member_scores_ == pytest.approx(fitted.member_scores_)
    test = _test_block(fitted, X_test, "predict_proba")
    np.testing.assert_allclose(
        saved.predict_proba(test), fitted.predict_proba(X_test), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_array_equal(saved.predict(test), fitted.predict(X_test))
    np.testing.assert_array_equal(saved.classes_, fitted.classes_)


@pytest.mark.parametrize("cls, params", REGRESSORS)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_learns_what_it_learns_in_fit(cls, params, n_outputs):
    X, y = make_regression(n_samples=240, n_targets=n_outputs, noise=10.0, random_state=0)
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]
    fitted = cls(members, cv=KFold(4), **params).fit(X[:200], y[:200])
    saved = cls.from_predictions(
        fitted.oof_predictions_, y[:200], names=["ridge", "tree"], cv=KFold(4), **params
    )
    np.testing.assert_allclose(_learnt(saved), _learnt(fitted), rtol=1e-9, atol=1e-12)
    test = _test_block(fitted, X[200:], "predict")
    np.testing.assert_allclose(saved.predict(test), fitted.predict(X[200:]), rtol=1e-9)
    assert saved.fused_score_ == pytest.approx(fitted.fused_score_)


def test_bma_regressor_interval_from_saved_predictions():
    X, y = make_regression(n_samples=240, noise=10.0, random_state=1)
    members = [("ridge", Ridge()), ("linear", LinearRegression())]
    fitted = BayesianModelAveragerRegressor(members, cv=KFold(4)).fit(X[:200], y[:200])
    saved = BayesianModelAveragerRegressor.from_predictions(
        fitted.oof_predictions_, y[:200], names=["ridge", "linear"], cv=KFold(4)
    )
    test = _test_block(fitted, X[200:], "predict")
    np.testing.assert_allclose(
        saved.predict_interval(test, coverage=0.8),
        fitted.predict_interval(X[200:], coverage=0.8),
        rtol=1e-9,
    )


def test_every_layout_gives_the_same_fuser(multiclass):
    X, y, X_test, _ = multiclass
    fitted = WeightedBlender(_classifiers(), weighting="optimize").fit(X, y)
    block, test = fitted.oof_predictions_, _test_block(fitted, X_test, "predict_proba")
    classes = fitted.classes_

    def frame(values):
        # Class columns in a shuffled order: matched by name, not position.
        return pd.DataFrame(
            {
                f"{name}__{label}": values[:, m, k]
                for m, name in enumerate(NAMES)
                for k, label in reversed(list(enumerate(classes)))
            }
        )

    layouts = {
        "block": (block, test, NAMES),
        "list": (list(block.transpose(1, 0, 2)), list(test.transpose(1, 0, 2)), NAMES),
        "frame": (frame(block), frame(test).iloc[:, ::-1], None),
        "matrix": (block, test.reshape(len(test), -1), NAMES),
    }
    expected = fitted.predict_proba(X_test)
    for name, (oof, given, names) in layouts.items():
        saved = WeightedBlender.from_predictions(oof, y, names=names, weighting="optimize")
        assert list(saved.named_weights_) == NAMES, name
        np.testing.assert_allclose(saved.weights_, fitted.weights_, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(saved.predict_proba(given), expected, atol=1e-12, err_msg=name)


def test_dataframe_columns_by_class_index_and_default_names():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 90)
    p = rng.dirichlet(np.ones(3), size=(90, 2))
    frame = pd.DataFrame({f"m{m}__{k}": p[:, m, k] for m in range(2) for k in range(3)})
    saved = OOFStacker.from_predictions(frame, np.array(["x", "y", "z"])[y])
    assert list(saved.named_estimators_) == ["m0", "m1"]
    unnamed = OOFStacker.from_predictions(p, np.array(["x", "y", "z"])[y])
    assert list(unnamed.named_estimators_) == ["model0", "model1"]
    np.testing.assert_allclose(unnamed.predict_proba(p), saved.predict_proba(frame))


def test_binary_one_column_is_the_positive_class():
    X, y = make_classification(n_samples=300, random_state=3)
    labels = np.array(["no", "yes"])[y]
    fitted = WeightedBlender(_classifiers(), weighting="optimize").fit(X, labels)
    positive = fitted.oof_predictions_[:, :, 1]
    one_column = WeightedBlender.from_predictions(positive, labels, weighting="optimize")
    two_columns = WeightedBlender.from_predictions(
        fitted.oof_predictions_, labels, weighting="optimize"
    )
    # A 1-D P(class 1) is a probability, not a regression target.
    assert list(one_column.classes_) == ["no", "yes"]
    np.testing.assert_allclose(one_column.weights_, two_columns.weights_, atol=1e-9)
    proba = one_column.predict_proba(positive[:5])
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba[:, 1], positive[:5] @ one_column.weights_)
    files = [positive[:, m] for m in range(3)]  # one 1-D array per model
    listed = WeightedBlender.from_predictions(files, labels, weighting="optimize")
    np.testing.assert_allclose(listed.weights_, one_column.weights_)


def test_scores_are_stacked_but_not_voted():
    X, y = make_classification(n_samples=300, n_classes=3, n_informative=5, random_state=4)
    members = [("svm", LinearSVC()), ("logreg", LogisticRegression(max_iter=500))]
    fitted = OOFStacker(members, cv=KFold(3)).fit(X, y)
    assert fitted.stack_method_ == ["decision_function", "predict_proba"]
    scores = [fitted.oof_predictions_[:, 0], fitted.oof_predictions_[:, 1]]
    saved = OOFStacker.from_predictions(scores, y, names=["svm", "logreg"], cv=KFold(3))
    assert saved.stack_method_ == ["decision_function", "predict_proba"]
    np.testing.assert_allclose(saved.final_estimator_.coef_, fitted.final_estimator_.coef_)
    with pytest.raises(AttributeError, match="'svm'.*not probabilities"):
        WeightedBlender.from_predictions(scores, y, names=["svm", "logreg"])


def test_clone_pickle_params_repr_and_grid_search(multiclass):
    X, y, X_test, _ = multiclass
    fitted = OOFStacker(_classifiers()).fit(X, y)
    saved = OOFStacker.from_predictions(
        fitted.oof_predictions_, y, names=NAMES, final_estimator=LogisticRegression()
    )
    test = _test_block(fitted, X_test, "predict_proba")
    restored = pickle.loads(pickle.dumps(saved))
    np.testing.assert_array_equal(restored.predict_proba(test), saved.predict_proba(test))
    assert "forest" in estimator_html_repr(saved)
    assert "final_estimator__C" in saved.get_params()
    # A clone reads the members' matrix: every model's columns side by side.
    matrix = fitted.oof_predictions_.reshape(len(y), -1)
    refit = clone(saved).fit(matrix, y)
    np.testing.assert_allclose(refit.final_estimator_.coef_, saved.final_estimator_.coef_)
    search = GridSearchCV(saved, {"final_estimator__C": [0.01, 1.0]}, cv=3).fit(matrix, y)
    assert search.best_params_["final_estimator__C"] in (0.01, 1.0)
    assert search.predict(test.reshape(len(test), -1)).shape == (len(test),)


def test_sample_weight_reaches_the_fusion_step(multiclass):
    X, y, _, _ = multiclass
    weight = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    fitted = WeightedBlender(_classifiers(), weighting="optimize", cv=KFold(4))
    fitted.fit(X, y, sample_weight=weight)
    saved = WeightedBlender.from_predictions(
        fitted.oof_predictions_, y, names=NAMES, sample_weight=weight, weighting="optimize"
    )
    np.testing.assert_allclose(saved.weights_, fitted.weights_, atol=1e-12)
    unweighted = WeightedBlender.from_predictions(
        fitted.oof_predictions_, y, names=NAMES, weighting="optimize"
    )
    assert not np.allclose(unweighted.weights_, saved.weights_)


def _probabilities(n=60, models=2, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(classes), size=(n, models)), rng.integers(0, classes, n)


def _with_nan(p, row, model):
    p = p.copy()
    p[row, model, 0] = np.nan
    return p


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p, y: (_with_nan(p, row=7, model=1), y), r"'model1'.*NaN or inf in 1 row.*row 7"),
        (
            lambda p, y: (list(p.transpose(1, 0, 2)), y[:50]),
            r"one row per sample; got y: 50, model0: 60",
        ),
        (lambda p, y: ([p[:, 0], p[:40, 1]], y), r"model1: 40"),
        (lambda p, y: (p[:, :, :1], y), r"'model0' has one column but y has 3 classes"),
        (lambda p, y: (p[:, :, :2], y), r"'model0' has 2 columns but y has 3 classes"),
        (lambda p, y: (p, np.eye(3)[y]), r"binary or multiclass y"),
        (lambda p, y: ([np.full(60, "x"), p[:, 1]], y), r"'model0' are not numbers"),
    ],
)
def test_bad_predictions_are_named(change, message):
    p, y = change(*_probabilities())
    with pytest.raises(ValueError, match=message):
        OOFStacker.from_predictions(p, y)


def test_bad_test_predictions_are_named():
    p, y = _probabilities()
    saved = WeightedBlender.from_predictions(p, y, names=["a", "b"])
    with pytest.raises(ValueError, match=r"predictions of 3 models.*fitted on 2 \(a, b\)"):
        saved.predict(np.concatenate([p, p[:, :1]], axis=1))
    with pytest.raises(ValueError, match="'b' are not probabilities"):
        saved.predict([p[:, 0], 2 * p[:, 1]])
    with pytest.raises(ValueError, match="'a' has 2 column"):
        saved.predict([p[:, 0, :2], p[:, 1]])
    frame = pd.DataFrame({f"{m}__{k}": p[:, i, k] for i, m in enumerate("ab") for k in range(3)})
    from_frame = WeightedBlender.from_predictions(frame, y)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['b__2'\]"):
        from_frame.predict(frame.drop(columns="b__2"))
    with pytest.raises(ValueError, match="names has 1 entries for 2 models"):
        WeightedBlender.from_predictions(p, y, names=["a"])
    with pytest.raises(ValueError, match="not a valid Python identifier"):
        WeightedBlender.from_predictions(p, y, names=["a", "b-2"])
    with pytest.raises(TypeError, match="makes the members"):
        WeightedBlender.from_predictions(p, y, estimators=[])


def test_rounded_probabilities_are_renormalised():
    p, y = _probabilities(seed=2)
    rounded = np.round(p, 4)
    saved = BayesianModelAverager.from_predictions(rounded, y)
    np.testing.assert_allclose(saved.predict_proba(rounded).sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(saved.oof_predictions_.sum(axis=2), 1.0, atol=1e-12)


def test_a_column_that_names_the_negative_class_is_read_as_such():
    X, y = make_classification(n_samples=200, random_state=5)
    labels = np.array(["no", "yes"])[y]
    fitted = WeightedBlender(_classifiers(), weighting="optimize").fit(X, labels)
    proba = fitted.oof_predictions_
    positive = pd.DataFrame({f"{n}__yes": proba[:, m, 1] for m, n in enumerate(NAMES)})
    negative = pd.DataFrame({f"{n}__no": proba[:, m, 0] for m, n in enumerate(NAMES)})
    by_index = pd.DataFrame({f"{n}__0": proba[:, m, 0] for m, n in enumerate(NAMES)})
    expected = WeightedBlender.from_predictions(positive, labels, weighting="optimize")
    for frame in (negative, by_index):
        saved = WeightedBlender.from_predictions(frame, labels, weighting="optimize")
        np.testing.assert_allclose(saved.weights_, expected.weights_, atol=1e-9)
        np.testing.assert_allclose(
            saved.predict_proba(frame), expected.predict_proba(positive), atol=1e-12
        )


@pytest.mark.parametrize("columns", [["no", "yes"], [0, 1]])
def test_a_dataframe_of_class_columns_is_one_model(columns):
    rng = np.random.default_rng(0)
    y = np.array(["no", "yes"])[rng.integers(0, 2, 80)]
    p = rng.dirichlet(np.ones(2), size=80)
    saved = OOFStacker.from_predictions(pd.DataFrame(p, columns=columns), y, names=["gbm"])
    assert list(saved.named_estimators_) == ["gbm"]
    as_array = OOFStacker.from_predictions([p], y, names=["gbm"])
    np.testing.assert_allclose(saved.final_estimator_.coef_, as_array.final_estimator_.coef_)


def test_probabilities_rounded_to_two_decimals_are_accepted():
    p, y = _probabilities(seed=3)
    rounded = np.round(p, 2)  # rows off by up to 0.015 for 3 classes
    saved = WeightedBlender.from_predictions(rounded, y)
    np.testing.assert_allclose(saved.predict_proba(rounded).sum(axis=1), 1.0, atol=1e-12)


def test_groups_prefit_and_other_arguments():
    p, y = _probabilities(n=90, seed=4)
    groups = np.repeat(np.arange(9), 10)
    saved = OOFStacker.from_predictions(p, y, cv=GroupKFold(3), groups=groups)
    assert saved.fused_cv_score_ is not None
    splits = saved._fusion_data_.splits  # the folds of the honest score
    assert len(splits) == 3
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    # Saved models need no fit: cv="prefit" takes them (the honest score then
    # uses 5 folds of the rows).
    prefit = WeightedBlender.from_predictions(p, y, cv="prefit", weighting="optimize")
    folds = WeightedBlender.from_predictions(p, y, weighting="optimize")
    np.testing.assert_allclose(prefit.weights_, folds.weights_)
    named = WeightedBlender.from_predictions(p, y, names=np.array(["a", "b"]))
    assert list(named.named_weights_) == ["a", "b"]
    with pytest.raises(ValueError, match="hold no model"):
        WeightedBlender.from_predictions([], y)


def test_scores_refused_by_averaging_are_a_value_error():
    p, y = _probabilities(seed=5)
    scores = [np.log(p[:, 0]), p[:, 1]]
    with pytest.raises(ValueError, match="'model0'.*not probabilities"):
        BayesianModelAverager.from_predictions(scores, y)


def _shuffled_pandas(seed=0, n=120):
    """A binary y with row ids, a model right on every row, a noisy one, the
    row weights and groups; and the order in which another file lists them."""
    rng = np.random.default_rng(seed)
    ids = pd.Index(rng.permutation(np.arange(5000, 5000 + n)), name="id")
    y = pd.Series(rng.integers(0, 2, n), index=ids, name="target")
    good = np.where(y.to_numpy() == 1, 0.9, 0.1)
    noisy = rng.uniform(0.2, 0.8, n)
    frame = pd.DataFrame({"good": good, "noisy": noisy}, index=ids)
    weight = pd.Series(rng.uniform(0.5, 2.0, n), index=ids)
    groups = pd.Series(np.arange(n) % 6, index=ids)
    return y, frame, weight, groups, rng.permutation(n)


def test_pandas_predictions_are_paired_with_y_by_index():
    y, frame, weight, groups, order = _shuffled_pandas()
    params = {"weighting": "optimize", "scoring": "accuracy", "cv": GroupKFold(3)}
    # By hand: the positional arrays of rows that belong together.
    expected = WeightedBlender.from_predictions(
        frame.to_numpy(), y.to_numpy(), names=["good", "noisy"], sample_weight=weight.to_numpy(),
        groups=groups.to_numpy(), **params,
    )  # fmt: skip
    assert expected.fused_score_ == 1.0
    shuffled = frame.iloc[order]
    as_list = [shuffled["good"], shuffled[["noisy"]].iloc[::-1]]  # each its own order
    for predictions, names in ((shuffled, None), (as_list, ["good", "noisy"])):
        saved = WeightedBlender.from_predictions(
            predictions, y, names=names, sample_weight=weight.iloc[order[::-1]],
            groups=groups.iloc[order], **params,
        )  # fmt: skip
        assert saved.fused_score_ == 1.0
        np.testing.assert_allclose(saved.weights_, expected.weights_, atol=1e-12)
        np.testing.assert_allclose(saved.oof_predictions_, expected.oof_predictions_)
        np.testing.assert_allclose(saved.fused_cv_score_, expected.fused_cv_score_)
    # A one-column DataFrame y is paired the same way.
    saved = WeightedBlender.from_predictions(shuffled, y.to_frame(), weighting="optimize")
    np.testing.assert_allclose(saved.oof_predictions_[:, 0, 1], frame["good"].to_numpy())


def test_pandas_ids_that_differ_from_y_are_an_error():
    y, frame, weight, _, order = _shuffled_pandas()
    other = frame.rename(index={frame.index[3]: 1, frame.index[8]: 2}).iloc[order]
    message = r"predictions and y differ in 4 id\(s\): 2 in y, not in predictions \(e\.g\. "
    with pytest.raises(ValueError, match=message + r".*2 in predictions, not in y \(e\.g\. 2, 1"):
        WeightedBlender.from_predictions(other, y)
    with pytest.raises(ValueError, match=r"predictions\[1\] and y differ in 1 id\(s\)"):
        WeightedBlender.from_predictions([frame["good"], frame["noisy"].iloc[1:]], y)
    with pytest.raises(ValueError, match=r"sample_weight and y differ in 4 id\(s\)"):
        WeightedBlender.from_predictions(frame, y, sample_weight=weight.rename(index={
            frame.index[3]: 1, frame.index[8]: 2}))  # fmt: skip
    repeated = y.rename(index={y.index[5]: y.index[6]})
    with pytest.raises(ValueError, match=r"index of y repeats 1 id\(s\) \(e\.g\. "):
        WeightedBlender.from_predictions(frame.iloc[order], repeated)
    # Arrays are paired by position, as before.
    positional = WeightedBlender.from_predictions(
        other.to_numpy(), y.to_numpy(), weighting="optimize"
    )
    np.testing.assert_array_equal(positional.oof_predictions_[:, 0, 1], other["good"])


@pytest.mark.parametrize("cls", [WeightedBlender, OOFStacker, WeightedBlenderRegressor])
def test_argument_errors_name_the_public_method(cls):
    p, y = _probabilities(n=40, models=2, classes=2)
    with pytest.raises(ValueError, match=rf"'names' parameter of {cls.__name__}.from_predictions"):
        cls.from_predictions(p[:, :, 1], y, names=5)
    with pytest.raises(ValueError, match=rf"'sample_weight' parameter of {cls.__name__}\."):
        cls.from_predictions(p[:, :, 1], y, sample_weight="heavy")
    with pytest.raises(ValueError) as error:
        cls.from_predictions(p[:, :, 1], y, cv="folds")
    assert "_FromPredictions" not in str(error.value)
    assert f"'cv' parameter of {cls.__name__}" in str(error.value)


def test_one_and_two_column_binary_models_are_fused_together():
    X, y = make_classification(n_samples=300, random_state=6)
    labels = np.array(["no", "yes"])[y]
    fitted = WeightedBlender(_classifiers(), weighting="optimize").fit(X, labels)
    proba = fitted.oof_predictions_
    expected = WeightedBlender.from_predictions(proba, labels, names=NAMES, weighting="optimize")
    mixed_list = [proba[:, 0, 1], proba[:, 1], proba[:, 2, 1:]]  # 1-D, two columns, one column
    frame = pd.DataFrame(
        {"forest": proba[:, 0, 1], "logreg__no": proba[:, 1, 0], "logreg__yes": proba[:, 1, 1],
         "bayes__no": proba[:, 2, 0]}  # one column naming the negative class
    )  # fmt: skip
    for predictions, names in ((mixed_list, NAMES), (frame, None)):
        saved = WeightedBlender.from_predictions(
            predictions, labels, names=names, weighting="optimize"
        )
        assert list(saved.named_weights_) == NAMES
        np.testing.assert_allclose(saved.weights_, expected.weights_, atol=1e-9)
        np.testing.assert_allclose(saved.oof_predictions_, proba, atol=1e-12)
        np.testing.assert_allclose(
            saved.predict_proba(predictions), expected.predict_proba(proba), atol=1e-9
        )
