"""Weight-space fusion: one model whose parameters merge those of the members."""

import copy
import numbers
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._adapters import MLPAdapter, adapter_for
from ._base import _BaseFusion
from ._calibration import CALIBRATION_CONSTRAINT, _CalibratedProbabilities
from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _safe_indexing,
    is_negated_loss,
)
from ._conformal import _ConformalIntervals, _ConformalSets
from ._oof import (
    Folds,
    FrozenEstimator,
    Schedule,
    _slice_params,
    cross_fit,
    is_prefit,
    label_codes,
    mean_over_folds,
    spread_rows,
)
from ._scoring import (
    BUILTIN_OBJECTIVES,
    OBJECTIVE_CONSTRAINT,
    SCORING_CONSTRAINT,
    fused_response,
    get_scorer,
    score_model,
    score_predictions,
)
from .merge import _NEEDS_BASE, MERGES, align_mlp, merge_params
from .weights import check_weights, weights_from_scores


def _unfrozen(estimator):
    """The model inside a FrozenEstimator (its parameters are what is fused)."""
    return estimator.estimator if isinstance(estimator, FrozenEstimator) else estimator


class _Start:
    """Holds a fitted model; a plain object, so ``clone`` copies it instead of unfitting it."""

    def __init__(self, estimator):
        self.estimator = estimator


class _FineTune(BaseEstimator):
    """Fits ``estimator``'s settings starting from the parameters of ``start.estimator``.

    The fitted start is copied, given the member's hyperparameters and
    ``warm_start=True`` where the class has it (LogisticRegression, SGD,
    Lasso/ElasticNet, MLPs), and fitted again; classes without warm start
    (LinearSVC/LinearSVR, LinearRegression, Ridge) solve a convex problem
    whose optimum does not depend on the start.
    """

    def __init__(self, estimator=None, start=None):
        self.estimator = estimator
        self.start = start

    def fit(self, X, y, **fit_params):
        member_params = self.estimator.get_params(deep=False)
        fitted = copy.deepcopy(self.start.estimator).set_params(**member_params)
        if "warm_start" in member_params:
            fitted.set_params(warm_start=True)
        fitted.fit(X, y, **fit_params)
        if "warm_start" in member_params:
            fitted.set_params(warm_start=member_params["warm_start"])
        self.estimator_ = fitted
        return self


def _fused_has(method):
    """``available_if`` check: the fused model (fitted, else the first member) has ``method``."""

    def check(self):
        model = getattr(self, "fused_estimator_", None)
        if model is None:
            model = self._validate_members()[1][0][1]
        getattr(model, method)
        return True

    return check


@dataclass
class _Fold:
    """One (train, test) split of a weight-space fit and what was fitted on it."""

    X_train: object
    y_train: object
    fit_params: dict
    X_test: object
    y_test: object
    sw_test: object
    test: np.ndarray
    base: object = None
    estimators: list = field(default_factory=list)
    fisher: list | None = None
    fused: object = None

    def score(self, scorer, model):
        return score_model(scorer, model, self.X_test, self.y_test, self.sw_test)


@dataclass
class _Recipe:
    """What a round chose: the members fused (``picks``, in the order chosen)
    and their weights (``weights`` as reported, ``merge_weights`` as merged)."""

    picks: list
    weights: np.ndarray
    merge_weights: np.ndarray | None


def _mean_score(scores):
    """Mean over folds of floats, or of dicts metric -> float."""
    if isinstance(scores[0], dict):
        return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}
    return float(np.mean(scores))


class _BaseWeightSpaceFuser(_BaseFusion):
    _parameter_constraints: dict = {
        **_BaseFusion._parameter_constraints,
        "merge": [StrOptions(set(MERGES))],
        "weighting": [None, StrOptions({"score", "greedy"})],
        "weights": [None, "array-like"],
        "base_estimator": [None, HasMethods(["fit"])],
        "scaling": [Interval(numbers.Real, None, None, closed="neither")],
        "density": [Interval(numbers.Real, 0, 1, closed="right")],
        "align": [StrOptions({"auto"}), "boolean"],
        "n_rounds": [Interval(numbers.Integral, 1, None, closed="left")],
        "objective": OBJECTIVE_CONSTRAINT,
        "scoring": SCORING_CONSTRAINT,
        "refit": ["boolean"],
    }

    def __init__(
        self,
        estimators,
        *,
        merge="average",
        weighting=None,
        weights=None,
        base_estimator=None,
        scaling=1.0,
        density=0.2,
        align="auto",
        n_rounds=1,
        cv=0.2,
        objective=None,
        scoring=None,
        refit=True,
        memory=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        super().__init__(
            estimators,
            cv=cv,
            memory=memory,
            n_jobs=n_jobs,
            verbose=verbose,
            random_state=random_state,
        )
        self.merge = merge
        self.weighting = weighting
        self.weights = weights
        self.base_estimator = base_estimator
        self.scaling = scaling
        self.density = density
        self.align = align
        self.n_rounds = n_rounds
        self.objective = objective
        self.scoring = scoring
        self.refit = refit

    # -- checks before any fitting ----------------------------------------------
    def _check_members(self, members):
        """One class and one architecture; return the family's adapter."""
        frozen = [name for name, est in members if isinstance(est, FrozenEstimator)]
        if frozen and (self.base_estimator is not None or self.n_rounds > 1):
            raise ValueError(
                f"Member {frozen[0]!r} is a FrozenEstimator, which cannot be fine-tuned; "
                "fuse frozen members without base_estimator and with n_rounds=1."
            )
        members = [(name, _unfrozen(est)) for name, est in members]
        first_name, first = members[0]
        adapter = adapter_for(first_name, first)
        architecture = adapter.architecture(first)
        for name, est in members[1:] + (
            [] if self.base_estimator is None else [("base_estimator", self.base_estimator)]
        ):
            adapter_for(name, est)
            if type(est) is not type(first):
                raise ValueError(
                    f"Member {name!r} is a {type(est).__name__} but member {first_name!r} is a "
                    f"{type(first).__name__}; weight-space fusion needs members of one class."
                )
            for key, value in adapter.architecture(est).items():
                if value != architecture[key]:
                    raise ValueError(
                        f"Member {name!r} has {key}={value!r} but member {first_name!r} has "
                        f"{architecture[key]!r}; their parameters differ in shape."
                    )
        if self.merge in _NEEDS_BASE and self.base_estimator is None:
            raise ValueError(
                f"merge={self.merge!r} merges task vectors (member - base) and needs "
                "base_estimator, the model every member is fine-tuned from."
            )
        if self.merge == "fisher":
            for name, est in members:
                if not adapter.supports_fisher(est):
                    raise ValueError(
                        f"merge='fisher' needs a probabilistic model; member {name!r} "
                        f"({type(est).__name__}) is not one. Fisher merging supports "
                        f"{adapter.fisher_note}."
                    )
        return adapter

    def _check_fitted_shapes(self, adapter, names, estimators):
        reference = adapter.read(estimators[0])
        for name, est in zip(names[1:], estimators[1:]):
            for key, value in adapter.read(est).items():
                if value.shape != reference[key].shape:
                    raise ValueError(
                        f"Member {name!r} has parameter {key!r} of shape {value.shape} but "
                        f"member {names[0]!r} has {reference[key].shape}; weight-space fusion "
                        "needs parameters of one shape."
                    )
            if hasattr(self, "classes_") and not np.array_equal(est.classes_, self.classes_):
                raise ValueError(
                    f"Member {name!r} was fitted on classes {list(est.classes_)} but y has "
                    f"classes {list(self.classes_)}."
                )

    def _objective(self, model):
        """The objective's name or callable: None is the log-loss for a
        probabilistic classifier, else accuracy; the squared error for regressors."""
        if self.objective is not None:
            return self.objective
        if is_classifier(self) and not hasattr(model, "predict_proba"):
            return "accuracy"
        return BUILTIN_OBJECTIVES[is_classifier(self)]

    # -- folds ----------------------------------------------------------------------
    def _folds(self, X, y, sample_weight, fit_params, split_params):
        """One :class:`_Fold` per split of ``cv`` (with ``"prefit"``: all rows, to score)."""
        n = len(y)
        if is_prefit(self.cv):
            splits = [(np.arange(n), np.arange(n))]
        else:
            folds = Folds(self.cv, split_params, is_classifier(self), self.random_state)
            # Test rows need not cover every row here: scores, not OOF predictions.
            splits, _ = folds.split(X, y, holdout=True)
        if not self.refit and len(splits) > 1:
            raise ValueError(
                f"refit=False keeps the models fitted on the training rows of one split, but "
                f"cv gives {len(splits)} splits; use refit=True, or a float cv (one hold-out)."
            )
        return [
            _Fold(
                X_train=_safe_indexing(X, train),
                y_train=_safe_indexing(y, train),
                fit_params={k: _slice_params(v, train, n) for k, v in fit_params.items()},
                X_test=_safe_indexing(X, test),
                y_test=_safe_indexing(y, test),
                sw_test=None if sample_weight is None else sample_weight[test],
                test=test,
            )
            for train, test in splits
        ]

    def _fit_models(self, members, X, y, fit_params, start):
        """Fit members on (X, y), from ``start``'s parameters when given."""
        if start is not None:
            members = [(name, _FineTune(est, _Start(start))) for name, est in members]
        result = cross_fit(
            members,
            X,
            y,
            folds=Folds(cv=None),  # no OOF predictions: members are only fitted on (X, y)
            methods=None,
            refit=True,
            fit_params=fit_params,
            schedule=Schedule(self.memory, self.n_jobs, self.verbose),
        )
        return [_unfrozen(getattr(est, "estimator_", est)) for est in result.estimators]

    def _fit_round(self, members, adapter, X, y, fit_params, base, start):
        """Members fitted (from ``start``, else ``base``), aligned and checked."""
        if is_prefit(self.cv) and start is None:
            cross_fit(members, X, y, folds=Folds("prefit"))  # checks that every member is fitted
            estimators = [_unfrozen(est) for _, est in members]
        else:
            estimators = self._fit_models(
                members, X, y, fit_params, base if start is None else start
            )
        if self.align is True or (
            self.align == "auto" and base is None and isinstance(adapter, MLPAdapter)
        ):
            if not isinstance(adapter, MLPAdapter):
                raise ValueError("align=True aligns MLP hidden units; the members are not MLPs.")
            estimators = [estimators[0]] + [align_mlp(estimators[0], e) for e in estimators[1:]]
        self._check_fitted_shapes(adapter, [name for name, _ in members], estimators)
        return estimators

    def _fit_base(self, X, y, fit_params, names):
        base = self.base_estimator
        if base is None or is_prefit(self.cv):
            return base
        base_params = {"base_estimator": fit_params[names[0]]}
        return self._fit_models([("base_estimator", base)], X, y, base_params, None)[0]

    # -- the recipe ------------------------------------------------------------------
    def _apply(self, recipe, adapter, estimators, base, fisher):
        """The fused model of ``estimators`` under ``recipe``."""
        picks = sorted(recipe.picks)
        merge_weights = None if recipe.merge_weights is None else recipe.merge_weights[picks]
        merged = merge_params(
            [adapter.read(estimators[i]) for i in picks],
            merge=self.merge,
            weights=merge_weights,
            base=None if base is None else adapter.read(base),
            fisher=None if fisher is None else [fisher[i] for i in picks],
            density=self.density,
            scaling=self.scaling,
            random_state=self.random_state,
        )
        return adapter.write(estimators[0], merged)

    def _recipe_score(self, recipe, adapter, folds, scorer):
        return _mean_score(
            [
                fold.score(
                    scorer, self._apply(recipe, adapter, fold.estimators, fold.base, fold.fisher)
                )
                for fold in folds
            ]
        )

    def _choose_recipe(self, adapter, folds, given, objective):
        """The round's recipe, chosen on the folds' test rows under ``objective``."""
        objective = get_scorer(objective, is_classifier(self))
        n = len(folds[0].estimators)
        every = list(range(n))
        if self.weighting is None:
            uniform = check_weights(given, n)
            return _Recipe(every, uniform, given)
        member_scores = np.array(
            [_mean_score([f.score(objective, f.estimators[m]) for f in folds]) for m in every]
        )
        if self.weighting == "score":
            weights = weights_from_scores(member_scores, negated_loss=is_negated_loss(objective))
            # Task vectors are summed (1 each without weights): keep that total,
            # so scores set the members' shares, not the merged vector's length.
            merge_weights = weights * n if self.merge in _NEEDS_BASE else weights
            return _Recipe(every, weights, merge_weights)
        # Greedy soup (Wortsman et al. 2022): members best first, each kept if the
        # soup's score does not drop.
        order = np.argsort(-member_scores, kind="stable")
        picks = [int(order[0])]
        # The best member merged alone (TIES, DARE or a scaled task vector
        # does not give the member back): later soups compete with that.
        best = self._recipe_score(_Recipe(picks, np.ones(n), None), adapter, folds, objective)
        for m in order[1:]:
            trial = _Recipe(picks + [int(m)], np.ones(n), None)
            score = self._recipe_score(trial, adapter, folds, objective)
            if score >= best:
                picks, best = trial.picks, score
        weights = np.zeros(n)
        weights[picks] = 1.0 / len(picks)
        return _Recipe(picks, weights, None)

    def _fisher(self, adapter, estimators, X):
        if self.merge != "fisher":
            return None
        return [adapter.fisher(est, X) for est in estimators]

    # -- fitting ------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, groups, params):
        _, members = self._validate_members()
        adapter = self._check_members(members)
        names = [name for name, _ in members]
        given = self._given_weights()
        sample_weight, fit_params, split_params = self._fit_inputs(
            members, y, sample_weight, groups, params
        )
        folds = self._folds(X, y, sample_weight, fit_params, split_params)
        scorer = get_scorer(self.scoring, is_classifier(self))

        # 1. Choose each round's recipe on the folds' test rows.
        recipes, round_scores = [], []
        for fold in folds:
            fold.base = self._fit_base(fold.X_train, fold.y_train, fold.fit_params, names)
        for _ in range(self.n_rounds):
            for fold in folds:
                fold.estimators = self._fit_round(
                    members,
                    adapter,
                    fold.X_train,
                    fold.y_train,
                    fold.fit_params,
                    fold.base,
                    fold.fused,
                )
                fold.fisher = self._fisher(adapter, fold.estimators, fold.X_train)
            objective = self._objective(folds[0].estimators[0])
            recipe = self._choose_recipe(adapter, folds, given, objective)
            for fold in folds:
                fold.fused = self._apply(recipe, adapter, fold.estimators, fold.base, fold.fisher)
            recipes.append(recipe)
            round_scores.append(_mean_score([f.score(scorer, f.fused) for f in folds]))
        self.member_scores_ = {
            name: _mean_score([f.score(scorer, f.estimators[m]) for f in folds])
            for m, name in enumerate(names)
        }
        self.fused_score_ = round_scores[-1]
        self.round_scores_ = round_scores
        # The folds' fused outputs as made (fused_oof_predictions_ as calibrated).
        self._folds_oof_ = self.fused_oof_predictions_ = self._fused_oof(folds, len(y))

        # 2. Fuse with those recipes the members fitted on all rows.
        base, estimators, fused, fisher = self._fuse_with(
            recipes, members, adapter, X, y, fit_params, folds[0]
        )
        self.fused_estimator_ = fused
        self.base_estimator_ = base
        self._set_fitted_members(estimators)
        self.weights_ = recipes[-1].weights
        self._set_named_weights(self.weights_)
        self.picks_ = [names[i] for i in recipes[-1].picks] if self.weighting == "greedy" else None
        # What skfusion.inspection needs to merge a subset of the members again.
        self._adapter_, self._merge_weights_ = adapter, recipes[-1].merge_weights
        self._fisher_ = fisher  # the members' Fisher information as merged (or None)
        # The labels and weights of fused_oof_predictions_ (calibration and predict_set).
        self._oof_y_, self._oof_sample_weight_ = y, sample_weight
        self._oof_tests_ = [fold.test for fold in folds]  # to score it fold by fold
        # transform's column count, so get_feature_names_out never predicts (set_output
        # calls it from inside transform).
        self._n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        return self

    def _fuse_with(self, recipes, members, adapter, X, y, fit_params, first_fold):
        """(base, members, fused model, Fisher information) of the recipes
        applied round after round to the members refitted on all rows; without
        ``refit`` (or with prefit members), the first fold's."""
        if not self.refit or is_prefit(self.cv):
            return first_fold.base, first_fold.estimators, first_fold.fused, first_fold.fisher
        base = self._fit_base(X, y, fit_params, [name for name, _ in members])
        fused = None
        for recipe in recipes:
            estimators = self._fit_round(members, adapter, X, y, fit_params, base, fused)
            fisher = self._fisher(adapter, estimators, X)
            fused = self._apply(recipe, adapter, estimators, base, fisher)
        return base, estimators, fused, fisher

    def _probability_rows(self):
        """The folds' fused probabilities on their test rows, the rows' label
        codes and weights (no splits of its own): what ``calibration`` and
        ``predict_set`` learn from."""
        fused = np.asarray(self._folds_oof_, dtype=np.float64)
        if fused.ndim != 2:
            raise ValueError(
                "calibration and predict_set learn from the fused model's probabilities, "
                f"which this {type(self).__name__} does not give."
            )
        tested = np.all(np.isfinite(fused), axis=1)
        codes = label_codes(np.asarray(self._oof_y_)[tested], self.classes_)
        sample_weight = self._oof_sample_weight_
        return fused[tested], codes, None if sample_weight is None else sample_weight[tested], None

    def _score_fused_rows(self, fused, tested):
        """``fused_score_`` of fused probabilities of every row: the mean over
        the folds of the score on their test rows, as the fit scores."""
        scorer = get_scorer(self.scoring, classifier=True)
        y, sample_weight = np.asarray(self._oof_y_), self._oof_sample_weight_
        return _mean_score(
            [
                score_predictions(
                    scorer,
                    fused[test],
                    y[test],
                    classes=self.classes_,
                    sample_weight=None if sample_weight is None else sample_weight[test],
                )
                for test in self._oof_tests_
            ]
        )

    def _has_fold_models(self):
        return False  # the folds' models are not kept: intervals are "cv"

    def _interval_calibration(self, normalized):
        """The folds' fused predictions on their test rows and the rows' targets."""
        if normalized:
            raise ValueError(
                "normalized=True scales residuals by the members' spread; a weight-space "
                "fuser predicts with one merged model."
            )
        fused = np.asarray(self.fused_oof_predictions_, dtype=np.float64)
        tested = np.isfinite(fused) if fused.ndim == 1 else np.all(np.isfinite(fused), axis=1)
        y = np.asarray(self._oof_y_)[tested]
        return {"y": y, "fused": fused[tested], "fold_of": None, "spread": None}

    def _subset_model(self, members_in):
        """The fitted members where ``members_in`` is True (those of weight
        > 0) merged as the fit merged them (its last recipe, the same Fisher
        information); with none, the base model (task-vector merges) or None."""
        picks = [int(m) for m in np.flatnonzero(members_in) if self.weights_[m] > 0]
        if not picks:
            return self.base_estimator_ if self.merge in _NEEDS_BASE else None
        recipe = _Recipe(picks, self.weights_, self._merge_weights_)
        estimators, base = self.estimators_, self.base_estimator_
        return self._apply(recipe, self._adapter_, estimators, base, self._fisher_)

    def _fused_oof(self, folds, n):
        """Each fold's fused model on its test rows: probabilities (classifiers
        that have them), else predictions; the mean over repeats, NaN (None for
        labels, the last fold's) on rows that no fold tests."""
        method = fused_response(folds[0].fused, is_classifier(self))
        parts = [np.asarray(getattr(f.fused, method)(f.X_test)) for f in folds]
        tests = [f.test for f in folds]
        if is_classifier(self) and method == "predict":  # labels: no mean
            return spread_rows(np.concatenate(parts), np.concatenate(tests), n)
        total = np.zeros((n,) + parts[0].shape[1:])
        for test, part in zip(tests, parts):
            total[test] += part  # a fold lists a row once (make_splits checks)
        return mean_over_folds(total, np.bincount(np.concatenate(tests), minlength=n))

    # -- prediction: one model -----------------------------------------------------
    def _delegate(self, method, X):
        """``method`` of the fused model: inference costs one model."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)[0]
        return getattr(self.fused_estimator_, method)(X)

    def predict(self, X):
        """Predict with the fused model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The fused model's predictions.
        """
        return self._delegate("predict", X)

    def transform(self, X):
        """The fused model's predictions as one column.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        predictions : ndarray of shape (n_samples, 1) or (n_samples, n_outputs)
            The fused model's predictions.
        """
        predictions = self.predict(X)
        return predictions.reshape(len(predictions), -1)

    def get_feature_names_out(self, input_features=None):
        """Name of the ``transform`` columns: ``fused`` (``fused<i>`` per output).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Transformed feature names.
        """
        check_is_fitted(self)
        if self._n_outputs == 1:
            return np.asarray(["fused"], dtype=object)
        return np.asarray([f"fused{i}" for i in range(self._n_outputs)], dtype=object)


class WeightSpaceFuser(
    _CalibratedProbabilities, _ConformalSets, ClassifierMixin, _BaseWeightSpaceFuser
):
    """Classifier fusing the parameters of same-shaped members into one model.

    Members of one class (logistic regression, linear SVM, SGD, perceptron,
    MLP) are fitted, optionally fine-tuned from a shared ``base_estimator``,
    aligned (MLPs without a shared start) and their parameters merged: a
    model soup, a greedy soup, Fisher merging, task arithmetic, TIES or DARE.
    The recipe (weights, greedy picks) is chosen on the test rows of ``cv``;
    the members are then refit on all rows and fused with it.
    The result, ``fused_estimator_``, is one model of the members' class, so
    prediction costs one model, not one per member.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Members of one supported class with the same parameter shapes
        (LogisticRegression, SGDClassifier, LinearSVC, Perceptron,
        MLPClassifier); a member may be ``"drop"``.
    merge : {"average", "fisher", "task_arithmetic", "ties", "dare"}, \
            default="average"
        How the members' parameters are combined. ``"average"``: their
        weighted mean (a model soup). ``"fisher"``: per-entry weights from
        each member's diagonal Fisher information (logistic / softmax
        regression, MLPs). ``"task_arithmetic"``, ``"ties"``, ``"dare"``:
        merge the task vectors ``member - base`` (need ``base_estimator``);
        see :func:`skfusion.merge.merge_params`.
    weighting : {"score", "greedy"}, default=None
        How member weights are learnt on the test rows of ``cv``; None
        learns none (``weights``, else equal). ``"score"``: proportional to
        each member's score under ``objective`` (see
        :func:`skfusion.weights.weights_from_scores`; with the task-vector
        merges, scaled to sum to the number of members, as the plain sum of
        task vectors does). ``"greedy"``: the greedy soup: members in order
        of score, each kept only if the fused model's score does not drop;
        the kept ones weigh equally.
    weights : array-like of shape (n_estimators,), default=None
        Fixed member weights, one per entry of ``estimators`` (a dropped
        member's is ignored). None: equal for ``"average"`` and
        ``"fisher"``, 1 each (a sum of task vectors) for the task-vector
        merges. Give ``weights`` or ``weighting``, not both.
    base_estimator : estimator, default=None
        Fitted first; every member is then fine-tuned from its parameters
        (warm start where the class has it). The shared start is what makes
        soups of MLPs work. With ``cv="prefit"`` it must be fitted.
    scaling : float, default=1.0
        Multiplier of the merged task vector (task-vector merges).
    density : float in (0, 1], default=0.2
        Share of task-vector entries kept by ``"ties"`` and ``"dare"``.
    align : "auto" or bool, default="auto"
        Permute MLP members' hidden units to match the first member by
        weight matching before merging. ``"auto"``: when there is no
        ``base_estimator``.
    n_rounds : int, default=1
        Rounds of fine-tune -> fuse: from round 2 every member is fine-tuned
        from the previous round's fused parameters.
    cv : float, int, cross-validation generator, iterable or "prefit", default=0.2
        The splits that score members and fused models: a float is one
        stratified hold-out of that share, an int (stratified) k-fold, or
        any splitter. On every split the members (and base) are fitted on
        the training rows and scored on the test rows; scores are the mean
        over splits, and each round's recipe (weights, greedy picks) is
        chosen on them. ``"prefit"``: fitted members are fused as given and
        scored on the rows passed to ``fit``.
    objective : str or callable, default=None
        What ``weighting`` maximises (an sklearn scorer). None: the
        log-loss for members with ``predict_proba``, else accuracy.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_``, ``fused_score_`` and ``round_scores_``
        report, as in :class:`WeightedBlender`; None is accuracy.
    calibration : {"auto", "temperature", "sigmoid", "isotonic", "dirichlet"} or None, \
            default="auto"
        Calibrate the fused model's probabilities on the splits' test rows
        (each split's fused model there); see :class:`WeightedBlender`.
        ``"auto"`` is none.
    refit : bool, default=True
        Fit the members (and base) again on all rows and fuse them with the
        recipe chosen on the splits, so ``fit`` uses all of X (as
        GridSearchCV's ``refit``). False keeps the models of the one split
        (a hold-out ``cv``; an error with several splits).
    memory : str, path or joblib.Memory, default=None
        Cache of the member fits.
    n_jobs : int, default=None
        Members fitted in parallel.
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds the splits of unseeded shuffling splitters, the hold-out split and DARE's drops.

    Attributes
    ----------
    fused_estimator_ : estimator
        A fitted model of the members' class holding the fused parameters.
    estimators_ : list of estimators
        The fitted (and aligned) members of the last round (refit on all
        rows with ``refit=True``).
    named_estimators_ : Bunch
        The same by name (``"drop"`` ones as ``"drop"``).
    base_estimator_ : estimator or None
        The fitted base.
    weights_ : ndarray of shape (n_members,)
        Member weights of the last round's merge in ``estimators`` order,
        summing to 1.
    named_weights_ : Bunch
        Weight by member name (``"drop"`` ones as 0).
    picks_ : list of str or None
        The greedy soup's members in the order they were kept; None for
        other weightings.
    member_scores_ : dict
        Member name to its score under ``scoring`` on the test rows of the
        splits (mean over splits; last round).
    fused_score_ : float or dict
        The fused model's score on the test rows of the splits (in-sample
        for the recipe, which was chosen on the same rows).
    fused_oof_predictions_ : ndarray of shape (n_samples, n_classes) or (n_samples,)
        Each split's fused model's probabilities (else labels) on its test
        rows; NaN (None for labels) on rows no split tests.
    round_scores_ : list
        ``fused_score_`` after each round.
    calibrator_ : object or None
        The map from the fused model's to calibrated probabilities that
        ``calibration`` learnt; None without calibration.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightSpaceFuserRegressor : The same for regression.
    skfusion.merge.merge_params : The merge on plain arrays.
    WeightedBlender : Fuse the outputs instead (any model class, M predictions).

    References
    ----------
    .. [1] Wortsman, M. et al. (2022). Model soups. ICML.
    .. [2] Matena, M., Raffel, C. (2022). Merging models with Fisher-weighted averaging.
       NeurIPS.
    .. [3] Ilharco, G. et al. (2023). Editing models with task arithmetic. ICLR.
    .. [4] Yadav, P. et al. (2023). TIES-merging. NeurIPS.
    .. [5] Yu, L. et al. (2024). Language models are super Mario (DARE). ICML.
    .. [6] Ainsworth, S., Hayase, J., Srinivasa, S. (2023). Git re-basin. ICLR.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skfusion import WeightSpaceFuser
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> members = [(f"c{i}", LogisticRegression(C=c)) for i, c in enumerate([0.01, 0.1, 1])]
    >>> soup = make_pipeline(
    ...     StandardScaler(), WeightSpaceFuser(members, weighting="greedy", random_state=0)
    ... ).fit(X, y)
    >>> fuser = soup[-1]
    >>> fuser.picks_[0] in fuser.member_scores_
    True
    >>> soup.predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseWeightSpaceFuser._parameter_constraints,
        "calibration": CALIBRATION_CONSTRAINT,
    }

    def __init__(
        self,
        estimators,
        *,
        merge="average",
        weighting=None,
        weights=None,
        base_estimator=None,
        scaling=1.0,
        density=0.2,
        align="auto",
        n_rounds=1,
        cv=0.2,
        objective=None,
        scoring=None,
        calibration="auto",
        refit=True,
        memory=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        super().__init__(
            estimators,
            merge=merge,
            weighting=weighting,
            weights=weights,
            base_estimator=base_estimator,
            scaling=scaling,
            density=density,
            align=align,
            n_rounds=n_rounds,
            cv=cv,
            objective=objective,
            scoring=scoring,
            refit=refit,
            memory=memory,
            n_jobs=n_jobs,
            verbose=verbose,
            random_state=random_state,
        )
        self.calibration = calibration

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members, merge their parameters and score the result.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members' ``fit`` and used in the scores on the test rows.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted fuser.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y, self.classes_ = self._check_classification_y(y)
        self._check_prefit_classes()
        self._check_calibration()
        self._fit(X, y, sample_weight, groups, params)
        return self._fit_calibration()

    def predict(self, X):
        """Predict with the fused model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The fused model's labels: the most likely calibrated class where
            ``calibration`` may reorder classes.
        """
        if self._calibration_reorders():
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return self._delegate("predict", X)

    @available_if(_fused_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the fused model, calibrated (``calibration``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        return self._calibrated(self._delegate("predict_proba", X))

    @available_if(_fused_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the fused model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities, calibrated (``calibration``).
        """
        return self._calibrated_log(self._delegate("predict_log_proba", X))

    @available_if(_fused_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fused model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        return self._delegate("decision_function", X)


class WeightSpaceFuserRegressor(_ConformalIntervals, RegressorMixin, _BaseWeightSpaceFuser):
    """Regressor fusing the parameters of same-shaped members into one model.

    See :class:`WeightSpaceFuser`; members are LinearRegression, Ridge,
    Lasso, ElasticNet, SGDRegressor, LinearSVR or MLPRegressor, and the
    default score is R².

    Parameters
    ----------
    estimators : list of (str, estimator)
        Members of one supported class with the same parameter shapes; a
        member may be ``"drop"``.
    merge : {"average", "fisher", "task_arithmetic", "ties", "dare"}, \
            default="average"
        How parameters are combined (see :class:`WeightSpaceFuser`). Fisher
        merging assumes a unit-variance Gaussian likelihood.
    weighting : {"score", "greedy"}, default=None
        How member weights are learnt (see :class:`WeightSpaceFuser`).
    weights : array-like of shape (n_estimators,), default=None
        Fixed member weights.
    base_estimator : estimator, default=None
        Fitted first; every member is fine-tuned from its parameters.
    scaling : float, default=1.0
        Multiplier of the merged task vector.
    density : float in (0, 1], default=0.2
        Share of task-vector entries kept by ``"ties"`` and ``"dare"``.
    align : "auto" or bool, default="auto"
        Align MLP hidden units before merging (``"auto"``: without a base).
    n_rounds : int, default=1
        Rounds of fine-tune -> fuse.
    cv : float, int, cross-validation generator, iterable or "prefit", default=0.2
        The splits that score members and fused models (see
        :class:`WeightSpaceFuser`; an int is plain k-fold).
    objective : str or callable, default=None
        What ``weighting`` maximises; None is the squared error, negated.
    scoring : str, callable, list, tuple, set or dict, default=None
        What the scores report; None is R².
    refit : bool, default=True
        Refit the members on all rows and fuse them with the chosen recipe.
    memory : str, path or joblib.Memory, default=None
        Cache of the member fits.
    n_jobs : int, default=None
        Members fitted in parallel.
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds the splits of unseeded shuffling splitters, the hold-out split and DARE's drops.

    Attributes
    ----------
    fused_estimator_ : estimator
        A fitted model of the members' class holding the fused parameters.
    estimators_ : list of estimators
        The fitted (and aligned) members of the last round.
    named_estimators_ : Bunch
        The same by name.
    base_estimator_ : estimator or None
        The fitted base.
    weights_ : ndarray of shape (n_members,)
        Member weights of the merge, summing to 1.
    named_weights_ : Bunch
        Weight by member name (``"drop"`` ones as 0).
    picks_ : list of str or None
        The greedy soup's members in the order kept; None otherwise.
    member_scores_ : dict
        Member name to its score under ``scoring`` on the test rows.
    fused_score_ : float or dict
        The fused model's score on the test rows.
    fused_oof_predictions_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Each split's fused model's predictions on its test rows.
    round_scores_ : list
        ``fused_score_`` after each round.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightSpaceFuser : The same for classification.
    skfusion.merge.merge_params : The merge on plain arrays.

    References
    ----------
    .. [1] Wortsman, M. et al. (2022). Model soups. ICML.
    .. [2] Ilharco, G. et al. (2023). Editing models with task arithmetic. ICLR.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skfusion import WeightSpaceFuserRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> members = [(f"a{i}", Ridge(alpha=a)) for i, a in enumerate([0.01, 0.1, 1.0])]
    >>> soup = WeightSpaceFuserRegressor(members, random_state=0).fit(X, y)
    >>> soup.fused_estimator_.coef_.shape
    (10,)
    """

    _multi_output = True

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members, merge their parameters and score the result.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members' ``fit`` and used in the scores on the test rows.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted fuser.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y = self._check_regression_y(y)
        return self._fit(X, y, sample_weight, groups, params)
