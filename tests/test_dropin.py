"""Drop-in for sklearn's voting and stacking ensembles: the same code runs on
sklearn's estimator and ours, side by side, and gives the same answers.

The deliberate differences (doc/user_guide/blending.rst and stacking.rst)
are tested as such: WeightedBlender's default voting is "soft" (sklearn's
"hard"), and hard-voting ``transform`` gives labels (sklearn's gives the
encoded class indices); with a multilabel y, our ``predict_proba`` is a list
of per-output probabilities (sklearn's stacking keeps one column per output).
"""

import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.ensemble import (
    RandomForestClassifier,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import BayesianRidge, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfusion import OOFStacker, OOFStackerRegressor, WeightedBlender, WeightedBlenderRegressor

PAIRS = [
    (VotingClassifier, WeightedBlender),
    (VotingRegressor, WeightedBlenderRegressor),
    (StackingClassifier, OOFStacker),
    (StackingRegressor, OOFStackerRegressor),
]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _classifiers():
    return [
        ("lr", LogisticRegression(max_iter=1000)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


def _regressors():
    return [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))]


@pytest.mark.parametrize("theirs, ours", PAIRS)
def test_every_sklearn_parameter_is_accepted_with_its_default(theirs, ours):
    signature = inspect.signature(theirs)
    assert set(signature.parameters) <= set(inspect.signature(ours).parameters)
    defaults = {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    members = _classifiers() if "Classifier" in theirs.__name__ else _regressors()
    # sklearn's defaults are valid values of ours (verbose=False, cv=None...)
    estimator = ours(members, **defaults)
    assert estimator.get_params()["n_jobs"] is None


def _same(a, b, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol)


@pytest.mark.parametrize("weights", [None, [1, 2, 3]])
def test_voting_classifier_code_runs_unchanged(iris, weights):
    X, y = iris
    kwargs = {"voting": "soft", "weights": weights, "flatten_transform": True, "n_jobs": None}
    theirs = VotingClassifier(_classifiers(), **kwargs).fit(X, y)
    ours = WeightedBlender(_classifiers(), **kwargs).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    _same(ours.predict_proba(X), theirs.predict_proba(X))
    _same(ours.transform(X), theirs.transform(X))
    for flatten in (True, False):
        theirs.set_params(flatten_transform=flatten)
        ours.set_params(flatten_transform=flatten)
        assert ours.transform(X).shape == theirs.transform(X).shape
        _same(ours.transform(X), theirs.transform(X))
    assert list(ours.named_estimators_) == list(theirs.named_estimators_)
    assert ours.score(X, y) == theirs.score(X, y)


def test_hard_voting_agrees_and_transform_gives_labels(iris):
    X, y = iris
    theirs = VotingClassifier(_classifiers(), voting="hard").fit(X, y)
    ours = WeightedBlender(_classifiers(), voting="hard").fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    # Deliberate: our transform gives the labels, sklearn's the class indices.
    np.testing.assert_array_equal(ours.transform(X), theirs.classes_[theirs.transform(X)])


def test_voting_regressor_code_runs_unchanged(diabetes):
    X, y = diabetes
    theirs = VotingRegressor(_regressors(), weights=[2, 1]).fit(X, y)
    ours = WeightedBlenderRegressor(_regressors(), weights=[2, 1]).fit(X, y)
    _same(ours.predict(X), theirs.predict(X))
    _same(ours.transform(X), theirs.transform(X))


@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_classifier_code_runs_unchanged(iris, passthrough):
    X, y = iris
    kwargs = {"cv": StratifiedKFold(5), "passthrough": passthrough, "stack_method": "auto"}
    theirs = StackingClassifier(_classifiers(), **kwargs).fit(X, y)
    ours = OOFStacker(_classifiers(), **kwargs).fit(X, y)
    _same(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    _same(ours.transform(X), theirs.transform(X), rtol=1e-8)
    assert ours.stack_method_ == theirs.stack_method_


def test_stacking_regressor_forwards_predict_params(diabetes):
    X, y = diabetes
    kwargs = {"final_estimator": BayesianRidge(), "cv": KFold(5)}
    theirs = StackingRegressor(_regressors(), **kwargs).fit(X, y)
    ours = OOFStackerRegressor(_regressors(), **kwargs).fit(X, y)
    mean_theirs, std_theirs = theirs.predict(X[:20], return_std=True)
    mean_ours, std_ours = ours.predict(X[:20], return_std=True)
    _same(mean_ours, mean_theirs, rtol=1e-8)
    _same(std_ours, std_theirs, rtol=1e-8)


@pytest.mark.parametrize("theirs, ours", PAIRS)
def test_member_parameters_drop_clone_pickle(iris, diabetes, theirs, ours):
    classifier = "Classifier" in theirs.__name__
    X, y = iris if classifier else diabetes
    members = _classifiers() if classifier else _regressors()
    pair = [theirs(members), ours(members)]
    for estimator in pair:
        estimator.set_params(tree__max_depth=2)
        if classifier:
            estimator.set_params(nb="drop")
    fitted = [clone(e).fit(X, y) for e in pair]
    assert list(fitted[0].named_estimators_) == list(fitted[1].named_estimators_)
    restored = pickle.loads(pickle.dumps(fitted[1]))
    np.testing.assert_array_equal(restored.predict(X), fitted[1].predict(X))
    assert set(theirs(members).get_params()) <= set(ours(members).get_params())


def test_grid_search_over_member_parameters(iris):
    X, y = iris
    grid = {"lr__C": [0.01, 1.0], "tree__max_depth": [1, 3]}
    searches = []
    for estimator in (
        VotingClassifier(_classifiers(), voting="soft"),
        WeightedBlender(_classifiers()),
    ):
        step = type(estimator).__name__.lower()
        pipe = make_pipeline(StandardScaler(), estimator)
        prefixed = {f"{step}__{k}": v for k, v in grid.items()}
        searches.append(GridSearchCV(pipe, prefixed, cv=3).fit(X, y))
    _same(searches[0].cv_results_["mean_test_score"], searches[1].cv_results_["mean_test_score"])


@pytest.mark.parametrize("final", [KNeighborsClassifier(n_neighbors=5), None])
def test_multilabel_stacking_code_runs_unchanged(final):
    X, Y = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    members = [
        ("knn", KNeighborsClassifier(n_neighbors=9)),
        ("forest", RandomForestClassifier(n_estimators=20, random_state=0)),
    ]
    ours = OOFStacker(members, final, cv=KFold(5)).fit(X, Y)
    # Same meta-features (each output's positive-class column, member after member).
    if final is None:  # sklearn's default LogisticRegression refuses a 2-D y ...
        with pytest.raises(ValueError):
            StackingClassifier(members, cv=KFold(5)).fit(X, Y)
        # ... ours fits one per output, on that output's columns.
        assert len(ours.final_estimator_) == Y.shape[1]
        return
    theirs = StackingClassifier(members, final, cv=KFold(5)).fit(X, Y)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X))
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    # A deliberate difference: per-output probabilities as a list, as sklearn's
    # multi-output classifiers (sklearn's stacking keeps the first class's column).
    proba = ours.predict_proba(X)
    np.testing.assert_allclose(np.column_stack([p[:, 0] for p in proba]), theirs.predict_proba(X))


def _documents():
    rng = np.random.default_rng(0)
    good, bad, neutral = ["good", "great", "fine"], ["bad", "awful", "poor"], ["film", "plot"]
    y = rng.integers(0, 2, 120)
    docs = [
        " ".join(rng.choice(good if label else bad, 2).tolist() + rng.choice(neutral, 2).tolist())
        for label in y
    ]
    return docs, np.array(["neg", "pos"])[y]


@pytest.mark.parametrize("theirs, ours", [PAIRS[0], PAIRS[2]])
def test_text_members_take_a_list_of_documents(theirs, ours):
    # Members that vectorise text take 1-D X, as in sklearn's ensembles.
    docs, y = _documents()

    def members():
        return [
            ("nb", make_pipeline(TfidfVectorizer(), MultinomialNB())),
            ("lr", make_pipeline(TfidfVectorizer(), LogisticRegression())),
        ]

    kwargs = {"voting": "soft"} if theirs is VotingClassifier else {"cv": 5}
    a = theirs(members(), **kwargs).fit(docs, y)
    b = ours(members(), **kwargs).fit(docs, y)
    new = ["good film", "awful plot", "fine poor film"]
    np.testing.assert_array_equal(b.predict(new), a.predict(new))
    np.testing.assert_allclose(b.predict_proba(new), a.predict_proba(new), rtol=1e-8)
    assert not hasattr(b, "n_features_in_") and not hasattr(a, "n_features_in_")
    with pytest.raises(ValueError, match="Expected a 2D X"):
        ours(members(), **kwargs).fit(np.arange(len(y), dtype=float), y)
