"""Dynamic ensemble selection: the rules against naive per-row loops written
from their definitions (DESlib's, on fixed neighbours), the fusers against a
naive end-to-end replay, and held-out quality where members are specialised
by region."""

import pickle

import numpy as np
import pytest
from _helpers import CountingClassifier, CountingRegressor, count_fits
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import skfusion
from skfusion import (
    DynamicSelector,
    DynamicSelectorRegressor,
    GatedBlender,
    GatedBlenderRegressor,
    WeightedBlender,
    WeightedBlenderRegressor,
)
from skfusion._dynamic import classifier_weights, regressor_weights
from skfusion.inspection import member_contributions
from skfusion.weights import optimized_weights

METHODS = ("knora_e", "knora_u", "ola", "lca", "des_knn", "meta")


# -- the rules, row by row ----------------------------------------------------
def naive_classifier_weights(method, correct, codes, predicted, pct_accuracy, pct_diversity):
    n, k, m = correct.shape
    out = np.zeros((n, m))
    for i in range(n):
        c = correct[i]
        if method == "knora_e":
            selected = []
            for kk in range(k, 0, -1):  # shrink the region until some member is right on all
                selected = [j for j in range(m) if c[:kk, j].all()]
                if selected:
                    break
            selected = selected or list(range(m))
            out[i, selected] = 1 / len(selected)
        elif method == "knora_u":
            votes = c.sum(axis=0).astype(float)
            out[i] = votes / votes.sum() if votes.sum() else 1 / m
        elif method == "ola":
            accuracy = [c[:, j].mean() for j in range(m)]
            out[i, accuracy.index(max(accuracy))] = 1
        elif method == "lca":
            local = []
            for j in range(m):
                same = [t for t in range(k) if codes[i, t] == predicted[i, j]]
                local.append(np.mean([c[t, j] for t in same]) if same else 0.0)
            out[i, local.index(max(local))] = 1
        else:  # des_knn
            accuracy = c.mean(axis=0)
            n_accurate = max(1, int(m * pct_accuracy))
            n_diverse = min(n_accurate, max(1, int(np.ceil(m * pct_diversity))))
            diversity = np.array(
                [
                    sum(-np.sum(~c[:, j] & ~c[:, other]) for other in range(m) if other != j)
                    for j in range(m)
                ]
            )
            accurate = np.argsort(accuracy)[::-1][:n_accurate]
            chosen = accurate[np.argsort(diversity[accurate])[::-1][:n_diverse]]
            out[i, chosen] = 1 / len(chosen)
    return out


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("method", METHODS[:-1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rules_match_their_definitions_on_fixed_neighbours(method, seed, engine):
    rng = np.random.default_rng(seed)
    n_reference, n, k, m, n_classes = 80, 60, 7, 9, 3
    correct = rng.random((n_reference, m)) < rng.uniform(0.3, 0.9, m)
    correct[:10] = False  # no member right anywhere near the first rows: the fallbacks
    correct[10:20] = True  # all right: ties everywhere
    neighbours = rng.integers(20, n_reference, (n, k))
    neighbours[:3] = rng.integers(0, 10, (3, k))
    neighbours[3:5] = rng.integers(10, 20, (2, k))
    codes = rng.integers(0, n_classes, n_reference)
    predicted = rng.integers(0, n_classes, (n, m))
    with skfusion.config_context(engine=engine):
        got = classifier_weights(method, correct, neighbours, codes, predicted, 0.5, 0.3)
    expected = naive_classifier_weights(
        method, correct[neighbours], codes[neighbours], predicted, 0.5, 0.3
    )
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_regressor_rules_match_their_definitions(engine):
    rng = np.random.default_rng(0)
    errors = rng.exponential(size=(50, 4))
    errors[:5, 2] = 0.0  # an exact member near the first row
    neighbours = rng.integers(5, 50, (40, 5))
    neighbours[0] = np.arange(5)
    local = errors[neighbours].mean(axis=1)
    with skfusion.config_context(engine=engine):
        best = regressor_weights("ola", errors, neighbours)
        weighted = regressor_weights("weighted", errors, neighbours)
    np.testing.assert_array_equal(best.argmax(axis=1), local.argmin(axis=1))
    np.testing.assert_allclose(weighted[1:], (1 / local[1:]) / (1 / local[1:]).sum(1)[:, None])
    assert weighted[0, 2] > 1 - 1e-9


# -- the fusers against a replay ----------------------------------------------
def _members():
    return [
        ("lr", LogisticRegression(max_iter=2000)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


@pytest.mark.parametrize("method", ["knora_e", "knora_u", "ola", "lca", "des_knn"])
@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_selector_replays_by_hand(method, voting):
    X, y = make_classification(400, 8, n_informative=4, n_classes=3, random_state=1)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    selector = DynamicSelector(_members(), method=method, voting=voting, k=5, cv=4, shrinkage=0)
    selector.fit(X_train, y_train)
    oof_labels = selector.oof_predictions_.argmax(axis=2)  # (n, M)
    correct = oof_labels == y_train[:, None]
    scaler = StandardScaler().fit(X_train)
    search = NearestNeighbors(n_neighbors=5).fit(scaler.transform(X_train))
    neighbours = search.kneighbors(scaler.transform(X_test), return_distance=False)
    outputs = [est.predict_proba(X_test) for est in selector.estimators_]
    predicted = np.stack([o.argmax(axis=1) for o in outputs], axis=1)
    weights = naive_classifier_weights(
        method, correct[neighbours], y_train[neighbours], predicted, 0.5, 0.3
    )
    np.testing.assert_allclose(selector.predict_weights(X_test), weights, atol=1e-12)
    if voting == "soft":
        expected = sum(w[:, None] * o for w, o in zip(weights.T, outputs))
        np.testing.assert_allclose(selector.predict_proba(X_test), expected, atol=1e-12)
        labels = expected.argmax(axis=1)
    else:
        votes = sum(w[:, None] * np.eye(3)[p] for w, p in zip(weights.T, predicted.T))
        labels = votes.argmax(axis=1)
        assert not hasattr(selector, "predict_proba")
    np.testing.assert_array_equal(selector.predict(X_test), selector.classes_[labels])


def test_fused_oof_rows_leave_themselves_out_of_their_region():
    X, y = load_iris(return_X_y=True)
    selector = DynamicSelector(_members(), method="ola", k=4, cv=5, shrinkage=0).fit(X, y)
    correct = selector.oof_predictions_.argmax(axis=2) == y[:, None]
    Z = StandardScaler().fit_transform(X)
    neighbours = NearestNeighbors(n_neighbors=5).fit(Z).kneighbors(Z, return_distance=False)
    others = np.array([[j for j in row if j != i][:4] for i, row in enumerate(neighbours)])
    best = correct[others].mean(axis=1).argmax(axis=1)
    expected = selector.oof_predictions_[np.arange(len(y)), best]
    np.testing.assert_allclose(selector.fused_oof_predictions_, expected)
    assert selector.fused_score_ == pytest.approx(np.mean(expected.argmax(axis=1) == y))
    assert 0.8 < selector.fused_cv_score_ <= 1.0


def test_regressor_replays_by_hand():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    members = [("ridge", Ridge()), ("knn", KNeighborsRegressor(15)), ("lin", LinearRegression())]
    selector = DynamicSelectorRegressor(members, k=9, scaler=None, cv=KFold(4), shrinkage=0).fit(
        X_train, y_train
    )
    errors = (selector.oof_predictions_ - y_train[:, None]) ** 2
    search = NearestNeighbors(n_neighbors=9).fit(X_train)
    neighbours = search.kneighbors(X_test, return_distance=False)
    local = errors[neighbours].mean(axis=1)
    weights = (1 / local) / (1 / local).sum(axis=1, keepdims=True)
    outputs = np.stack([est.predict(X_test) for est in selector.estimators_], axis=1)
    np.testing.assert_allclose(selector.predict_weights(X_test), weights, rtol=1e-10)
    np.testing.assert_allclose(selector.predict(X_test), (weights * outputs).sum(axis=1))
    several = DynamicSelectorRegressor(members, k=9).fit(X_train, np.c_[y_train, -y_train])
    assert several.predict(X_test).shape == (len(X_test), 2)


# -- shrinkage toward static weights -------------------------------------------
def test_shrinkage_mixes_the_rule_with_the_static_optimised_weights():
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, random_state=4)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    cv = KFold(4, shuffle=True, random_state=0)
    rule = DynamicSelector(_members(), method="knora_u", cv=cv, shrinkage=0).fit(X_train, y_train)
    assert rule.shrinkage_ == 0.0 and rule.static_weights_ is None
    shrunk = DynamicSelector(_members(), method="knora_u", cv=cv, shrinkage=0.3)
    shrunk.fit(X_train, y_train)
    static = optimized_weights(list(np.moveaxis(rule.oof_predictions_, 1, 0)), y_train)
    np.testing.assert_allclose(shrunk.static_weights_, static, atol=1e-6)
    expected = 0.7 * rule.predict_weights(X_test) + 0.3 * static
    np.testing.assert_allclose(shrunk.predict_weights(X_test), expected, atol=1e-6)
    outputs = [est.predict_proba(X_test) for est in shrunk.estimators_]
    fused = sum(w[:, None] * o for w, o in zip(expected.T, outputs))
    np.testing.assert_allclose(shrunk.predict_proba(X_test), fused, atol=1e-6)
    everything = clone(shrunk).set_params(shrinkage=1.0).fit(X_train, y_train)
    np.testing.assert_allclose(
        everything.predict_weights(X_test), np.tile(static, (100, 1)), atol=1e-6
    )


def test_auto_shrinkage_replays_the_grid_by_hand():
    X, y = make_classification(300, 5, n_informative=3, n_classes=3, random_state=5)
    cv = KFold(3, shuffle=True, random_state=0)
    selector = DynamicSelector(_members(), method="knora_e", k=5, cv=cv).fit(X, y)
    oof = selector.oof_predictions_
    correct = oof.argmax(axis=2) == y[:, None]
    Z = StandardScaler().fit_transform(X)  # the scaler is fitted on all rows
    dynamic, fixed = np.zeros(oof.shape[::2]), np.zeros(oof.shape[::2])
    for train, test in cv.split(X):
        search = NearestNeighbors(n_neighbors=5).fit(Z[train])
        neighbours = search.kneighbors(Z[test], return_distance=False)
        w = naive_classifier_weights("knora_e", correct[train][neighbours], None, None, 0, 0)
        dynamic[test] = np.einsum("nm,nmc->nc", w, oof[test])
        static = optimized_weights(list(np.moveaxis(oof[train], 1, 0)), y[train])
        fixed[test] = np.einsum("m,nmc->nc", static, oof[test])
    grid = np.linspace(0, 1, 11)
    losses = np.array(
        [
            -np.log(np.clip(((1 - s) * dynamic + s * fixed)[np.arange(len(y)), y], 1e-15, 1))
            for s in grid
        ]
    )
    # The one-standard-error rule, paired: the largest s whose excess loss
    # over the least, row by row, has a mean within one standard error.
    excess = losses - losses[losses.mean(axis=1).argmin()]
    within = excess.mean(axis=1) <= excess.std(axis=1) / np.sqrt(len(y))
    assert selector.shrinkage_ == pytest.approx(grid[within].max())
    # fused_cv_score_ scores those same rows, at the chosen shrinkage.
    best = (1 - selector.shrinkage_) * dynamic + selector.shrinkage_ * fixed
    assert selector.fused_cv_score_ == pytest.approx(np.mean(best.argmax(axis=1) == y), abs=1e-3)


def test_auto_shrinkage_is_no_worse_than_the_static_blend_where_members_are_good_everywhere():
    # Iris: every member is good everywhere, and KNORA-E alone gives rows to
    # members that are sure and sometimes wrong (a tree, a kNN); "auto" leans
    # on the static weights there.
    X, y = load_iris(return_X_y=True)
    members = [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(15))),
    ]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def held_out_loss(fuser):
        return log_loss(y, cross_val_predict(fuser, X, y, cv=cv, method="predict_proba"))

    static_loss = held_out_loss(WeightedBlender(members, weighting="optimize"))
    alone_loss = held_out_loss(DynamicSelector(members, method="knora_e", shrinkage=0))
    auto_loss = held_out_loss(DynamicSelector(members, method="knora_e"))
    assert alone_loss > static_loss + 0.1, (alone_loss, static_loss)
    assert auto_loss < static_loss + 0.02, (auto_loss, static_loss)


# -- where members are specialised by region -----------------------------------
def _two_regions(n, seed):
    """Two halves of the input space (sign of x0) with different rules."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    left = X[:, 0] < 0
    y = np.where(left, X[:, 1] > 0, X[:, 2] + X[:, 3] > 0).astype(int)
    return X, y, left


def test_specialised_members_are_fused_better_per_region_than_by_one_weight():
    # Each member was trained on one half only (frozen, cv="prefit"): a static
    # blend must split its trust, a dynamic one asks each row's neighbours.
    X, y, left = _two_regions(4000, 0)
    experts = [
        ("left", FrozenEstimator(LogisticRegression().fit(X[left], y[left]))),
        ("right", FrozenEstimator(LogisticRegression().fit(X[~left], y[~left]))),
    ]
    X_fit, y_fit, _ = _two_regions(2000, 1)
    X_test, y_test, _ = _two_regions(4000, 2)
    static = WeightedBlender(experts, weighting="optimize", cv="prefit").fit(X_fit, y_fit)
    static_accuracy = static.score(X_test, y_test)
    fusers = [DynamicSelector(experts, method=m, cv="prefit") for m in METHODS]
    fusers += [GatedBlender(experts, gate_target=t, cv="prefit") for t in ("soft", "best")]
    for fuser in fusers:
        accuracy = fuser.fit(X_fit, y_fit).score(X_test, y_test)
        assert accuracy > static_accuracy + 0.1, (fuser, accuracy, static_accuracy)
    regressor = [
        ("left", FrozenEstimator(Ridge().fit(X[left], X[left, 1]))),
        ("right", FrozenEstimator(Ridge().fit(X[~left], X[~left, 2]))),
    ]
    target = np.where(X_fit[:, 0] < 0, X_fit[:, 1], X_fit[:, 2])
    target_test = np.where(X_test[:, 0] < 0, X_test[:, 1], X_test[:, 2])
    static = WeightedBlenderRegressor(regressor, weighting="optimize", cv="prefit")
    static_r2 = static.fit(X_fit, target).score(X_test, target_test)
    fusers = [
        DynamicSelectorRegressor(regressor, method=m, cv="prefit") for m in ("ola", "weighted")
    ]
    fusers.append(GatedBlenderRegressor(regressor, cv="prefit"))
    for fuser in fusers:
        assert fuser.fit(X_fit, target).score(X_test, target_test) > static_r2 + 0.2, fuser


# -- sklearn use ---------------------------------------------------------------
def test_pipeline_grid_search_clone_pickle_and_inspection():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), DynamicSelector(_members(), cv=3))
    search = GridSearchCV(
        pipe, {"dynamicselector__method": ["ola", "knora_u"], "dynamicselector__k": [3, 7]}, cv=3
    ).fit(X, y)
    fitted = search.best_estimator_
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    selector = clone(fitted[-1]).set_params(scaler=None, memory=None).fit(X, y)
    assert selector.scaler_ is None
    result = member_contributions(selector)
    assert result.shapley.sum() == pytest.approx(result.fused_score - result.baseline)
    sets = selector.predict_set(X, coverage=0.9)
    assert sets.shape == (len(y), 3)


def test_bad_input():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="method"):
        DynamicSelector(_members(), method="meta_des_x").fit(X, y)
    with pytest.raises(ValueError, match="k"):
        DynamicSelector(_members(), k=0).fit(X, y)
    with pytest.raises(ValueError, match="method"):
        DynamicSelectorRegressor([("r", Ridge())], method="knora_e").fit(X, y)


def _per_sample_fusers(log_path):
    """The four per-sample fusers over counting members."""
    classifiers = [("count", CountingClassifier(log_path)), ("nb", GaussianNB())]
    regressors = [("count", CountingRegressor(log_path)), ("knn", KNeighborsRegressor(10))]
    return [
        (DynamicSelector(classifiers, method="knora_u", cv=3), "classifier"),
        (GatedBlender(classifiers, cv=3), "classifier"),
        (DynamicSelectorRegressor(regressors, cv=3), "regressor"),
        (GatedBlenderRegressor(regressors, cv=3), "regressor"),
    ]


@pytest.mark.parametrize("index", range(4))
def test_memory_reuses_member_fits_and_n_jobs_changes_nothing(tmp_path, index):
    log = str(tmp_path / "fits.log")
    fuser, kind = _per_sample_fusers(log)[index]
    X, y = load_iris(return_X_y=True) if kind == "classifier" else load_diabetes(return_X_y=True)
    fuser.set_params(memory=str(tmp_path / "cache"))
    first = clone(fuser).fit(X, y)
    fits = count_fits(log)
    assert fits == 3 + 1  # the counting member: each fold, then the refit
    again = clone(fuser).set_params(shrinkage=0.5).fit(X, y)  # another fusion, same fits
    assert count_fits(log) == fits
    assert again.shrinkage_ == 0.5
    parallel = clone(fuser).set_params(memory=None, n_jobs=2).fit(X, y)
    method = "predict_proba" if kind == "classifier" else "predict"
    np.testing.assert_allclose(getattr(parallel, method)(X), getattr(first, method)(X))
    np.testing.assert_allclose(parallel.predict_weights(X), first.predict_weights(X))


def test_verbose_prints_progress_and_oof_scores(capsys):
    X, y = load_iris(return_X_y=True)
    for fuser, kind in _per_sample_fusers(None):
        if kind == "regressor":
            continue
        fuser.set_params(verbose=2).fit(X, y)
        captured = capsys.readouterr()
        name = type(fuser).__name__
        assert "member x fold fits" in captured.err
        assert f"[{name}] member 'count': OOF score" in captured.out
        assert f"[{name}] fused: OOF score {fuser.fused_score_}" in captured.out
        fuser.set_params(verbose=0).fit(X, y)
        assert capsys.readouterr().out == ""


# -- the learnt gate --------------------------------------------------------------
@pytest.mark.parametrize("gate_target", ["soft", "best"])
def test_gate_is_a_classifier_of_each_rows_best_members(gate_target):
    # Soft targets softmax(-loss / T), each row once per member weighted by
    # its target; or each row's member of least loss.
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, random_state=2)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    gated = GatedBlender(_members(), gate_target=gate_target, cv=4, shrinkage=0)
    gated.fit(X_train, y_train)
    true = gated.oof_predictions_[np.arange(len(y_train)), :, y_train]
    losses = -np.log(np.clip(true, 1e-15, None))
    gate = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    n, m = losses.shape
    if gate_target == "best":
        gate.fit(X_train, losses.argmin(axis=1))
    else:
        targets = np.exp(-losses / losses.mean())
        targets /= targets.sum(axis=1, keepdims=True)
        gate.fit(
            np.tile(X_train, (m, 1)),
            np.repeat(np.arange(m), n),
            logisticregression__sample_weight=targets.T.ravel(),
        )
    weights = np.zeros((len(X_test), m))
    weights[:, gate.classes_] = gate.predict_proba(X_test)
    np.testing.assert_allclose(gated.predict_weights(X_test), weights, rtol=1e-6, atol=1e-9)
    outputs = [est.predict_proba(X_test) for est in gated.estimators_]
    expected = sum(w[:, None] * o for w, o in zip(weights.T, outputs))
    np.testing.assert_allclose(gated.predict_proba(X_test), expected, rtol=1e-6, atol=1e-9)


def test_gate_without_sample_weight_and_one_best_member():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="sample_weight"):
        GatedBlender(_members(), gate=KNeighborsClassifier()).fit(X, y)
    best = GatedBlender(_members(), gate=KNeighborsClassifier(), gate_target="best").fit(X, y)
    assert best.predict_weights(X).shape == (len(y), 3)
    # Members that are copies: the first always has the least loss.
    twins = [("a", GaussianNB()), ("b", GaussianNB())]
    gated = GatedBlender(twins, gate_target="best", shrinkage=0).fit(X, y)
    assert gated.gate_ is None
    np.testing.assert_array_equal(gated.predict_weights(X[:3]), [[1, 0], [1, 0], [1, 0]])


# -- META-DES -------------------------------------------------------------------
def test_meta_des_replays_its_meta_features_by_hand():
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=3)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    selector = DynamicSelector(_members(), method="meta", k=5, k_profiles=3, cv=4, shrinkage=0)
    selector.fit(X_train, y_train)
    oof = np.moveaxis(selector.oof_predictions_, 1, 0)  # (M, n, C)
    n_members = len(oof)
    correct = oof.argmax(axis=2) == y_train
    scaler = StandardScaler().fit(X_train)
    Z = scaler.transform(X_train)
    profiles = np.hstack(list(oof))

    def features(neighbours, profile_neighbours, member_max):
        rows = []
        for i in range(len(neighbours)):
            for m in range(n_members):
                hits = [float(correct[m, j]) for j in neighbours[i]]
                rows.append(
                    hits
                    + [oof[m, j, y_train[j]] for j in neighbours[i]]
                    + [np.mean(hits)]
                    + [float(correct[m, j]) for j in profile_neighbours[i]]
                    + [member_max[i, m]]
                )
        return np.array(rows)

    def own(search, data, k):  # each training row's neighbours, itself left out
        found = search.kneighbors(data, n_neighbors=k + 1, return_distance=False)
        return np.array([[j for j in row if j != i][:k] for i, row in enumerate(found)])

    region = NearestNeighbors().fit(Z)
    profile = NearestNeighbors().fit(profiles)
    member_max = oof.max(axis=2).T
    train = features(own(region, Z, 5), own(profile, profiles, 3), member_max)
    meta = make_pipeline(
        FunctionTransformer(lambda F: np.digitize(F, np.linspace(0.1, 1, 10))), MultinomialNB()
    ).fit(train, correct.T.ravel())
    outputs = [est.predict_proba(X_test) for est in selector.estimators_]
    test = features(
        region.kneighbors(scaler.transform(X_test), 5, return_distance=False),
        profile.kneighbors(np.hstack(outputs), 3, return_distance=False),
        np.stack([o.max(axis=1) for o in outputs], axis=1),
    )
    competence = meta.predict_proba(test)[:, 1].reshape(len(X_test), n_members)
    selected = competence > 0.5
    selected[~selected.any(axis=1)] = True
    expected = selected / selected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(selector.predict_weights(X_test), expected, atol=1e-12)


@pytest.mark.parametrize(
    "fuser",
    [
        DynamicSelector(_members(), method="knora_e"),
        DynamicSelector(_members(), method="ola", voting="hard", test_predictions="fold_average"),
        GatedBlender(_members()),
        DynamicSelectorRegressor([("ridge", Ridge()), ("knn", KNeighborsRegressor(10))]),
    ],
    ids=["knora_e", "ola_hard_fold_average", "gate", "regressor"],
)
def test_members_predict_only_the_rows_they_fuse(fuser, monkeypatch):
    # Weights that do not read the members' outputs come first; each member
    # then predicts only its rows. The answer is the one of predicting all.
    regression = isinstance(fuser, DynamicSelectorRegressor)
    X, y = load_diabetes(return_X_y=True) if regression else load_iris(return_X_y=True)
    fuser.fit(X, y)
    lazy = fuser.predict(X[::3])
    lazy_weights = fuser.predict_weights(X[::3])
    soft = hasattr(fuser, "predict_proba")
    lazy_proba = fuser.predict_proba(X[::3]) if soft else None
    monkeypatch.setattr(type(fuser), "_weights_read_outputs", True)
    np.testing.assert_allclose(fuser.predict_weights(X[::3]), lazy_weights)
    if soft:
        np.testing.assert_allclose(fuser.predict_proba(X[::3]), lazy_proba, atol=1e-12)
    if regression:
        np.testing.assert_allclose(fuser.predict(X[::3]), lazy)
    else:
        np.testing.assert_array_equal(fuser.predict(X[::3]), lazy)


def test_a_full_shrinkage_to_the_static_blend_is_reported(capsys):
    from sklearn.datasets import load_wine

    from skfusion import WeightedBlender
    from skfusion.inspection import member_report

    X, y = load_wine(return_X_y=True)
    members = [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    selector = DynamicSelector(members, k=7, scoring="neg_log_loss", verbose=1).fit(X, y)
    assert selector.shrinkage_ == 1.0
    assert "shrinkage_=1: the per-row rule's gain" in capsys.readouterr().out
    # The static blend it collapsed to, fitted on its own.
    static = WeightedBlender(members, weighting="optimize", scoring="neg_log_loss").fit(X, y)
    assert selector.fused_score_ == pytest.approx(static.fused_score_, abs=1e-12)
    report = member_report(selector)
    assert report.loc["fused", "shrinkage"] == 1.0
    assert report["shrinkage"].drop("fused").isna().all()
    np.testing.assert_allclose(report["weight"].drop("fused"), static.weights_, atol=1e-6)


def test_a_partial_shrinkage_is_said_at_verbose_1(capsys):
    X, y = load_iris(return_X_y=True)
    members = [
        ("lr", LogisticRegression(max_iter=1000)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    selector = DynamicSelector(members, k=7, shrinkage="auto", verbose=1).fit(X, y)
    assert selector.shrinkage_ < 1.0
    expected = f"shrinkage_={selector.shrinkage_:.1f}: each row's weights are"
    assert expected in capsys.readouterr().out
