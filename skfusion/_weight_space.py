"""Weight-space fusion: one model whose parameters merge those of the members."""

import copy
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._adapters import MLPAdapter, adapter_for
from ._base import _BaseFusion
from ._oof import FrozenEstimator, _slice_params, cross_fit, is_prefit, resolve_cv
from .merge import _NEEDS_BASE, align_mlp, merge_params
from .weights import _sample_weight, check_weights, weights_from_scores


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


class _BaseWeightSpaceFuser(_BaseFusion):
    _parameter_constraints: dict = {
        **_BaseFusion._parameter_constraints,
        "method": [
            StrOptions(
                {"uniform", "weighted", "greedy", "fisher", "task_arithmetic", "ties", "dare"}
            )
        ],
        "base_estimator": [None, HasMethods(["fit"])],
        "weights": [None, "array-like"],
        "scaling": [Interval(numbers.Real, None, None, closed="neither")],
        "density": [Interval(numbers.Real, 0, 1, closed="right")],
        "align": [StrOptions({"auto"}), "boolean"],
        "n_rounds": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimators,
        *,
        method="uniform",
        base_estimator=None,
        weights=None,
        scaling=1.0,
        density=0.2,
        align="auto",
        n_rounds=1,
        cv=0.2,
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
        self.method = method
        self.base_estimator = base_estimator
        self.weights = weights
        self.scaling = scaling
        self.density = density
        self.align = align
        self.n_rounds = n_rounds

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
        if self.method in _NEEDS_BASE and self.base_estimator is None:
            raise ValueError(
                f"method={self.method!r} merges task vectors (member - base) and needs "
                "base_estimator, the model every member is fine-tuned from."
            )
        if self.method == "fisher":
            for name, est in members:
                if not adapter.supports_fisher(est):
                    raise ValueError(
                        f"method='fisher' needs a probabilistic model; member {name!r} "
                        f"({type(est).__name__}) is not one. Fisher merging supports "
                        f"{adapter.fisher_note}."
                    )
        if self.weights is not None:
            check_weights(self.weights, len(members), [n for n, _ in members])
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

    # -- fitting ------------------------------------------------------------------
    def _holdout(self, X, y, split_params):
        """(train rows, scoring rows); None train rows with cv='prefit'."""
        if is_prefit(self.cv):
            return None, np.arange(len(y))
        splitter = resolve_cv(
            self.cv,
            y,
            classifier=isinstance(self, ClassifierMixin),
            random_state=self.random_state,
            groups_given=split_params.get("groups") is not None,
        )
        params = {k: v for k, v in split_params.items() if v is not None}
        train, test = next(iter(splitter.split(X, y, **params)))
        return np.asarray(train), np.asarray(test)

    def _fit_models(self, members, X, y, fit_params, start):
        """Fit members on (X, y), from ``start``'s parameters when given."""
        if start is not None:
            members = [(name, _FineTune(est, _Start(start))) for name, est in members]
        result = cross_fit(
            members,
            X,
            y,
            cv=None,  # no OOF predictions: members are only fitted on (X, y)
            methods=None,
            refit=True,
            fit_params=fit_params,
            memory=self._memory(),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        return [getattr(est, "estimator_", est) for est in result.estimators]

    def _score(self, model, X, y, sw):
        return float(model.score(X, y, sample_weight=sw))

    def _fuse(self, adapter, estimators, base, X_train, scoring_data):
        """Merge the members' parameters; return (fused model, weights, ingredients)."""
        params = [adapter.read(est) for est in estimators]
        n = len(params)
        template = estimators[0]
        if self.method == "greedy":
            order = np.argsort(-np.asarray(self.member_scores_), kind="stable")
            ingredients = [int(order[0])]
            best = self.member_scores_[order[0]]
            for m in order[1:]:
                trial = ingredients + [int(m)]
                soup = adapter.write(template, merge_params([params[i] for i in trial]))
                score = self._score(soup, *scoring_data)
                if score >= best:
                    ingredients, best = trial, score
            weights = np.zeros(n)
            weights[ingredients] = 1.0 / len(ingredients)
            fused = merge_params([params[i] for i in ingredients])
            return adapter.write(template, fused), weights, sorted(ingredients)
        # Given weights, else uniform (normalised); "weighted" without weights uses scores.
        weights = check_weights(self.weights, n)
        if self.method == "weighted":
            if self.weights is None:
                weights = weights_from_scores(self.member_scores_)
            fused = merge_params(params, method="weighted", weights=weights)
        elif self.method in ("uniform", "fisher"):
            fisher = None
            if self.method == "fisher":
                fisher = [adapter.fisher(est, X_train) for est in estimators]
            fused = merge_params(params, method=self.method, weights=weights, fisher=fisher)
        else:
            fused = merge_params(
                params,
                method=self.method,
                weights=None if self.weights is None else self.weights,
                base=adapter.read(base),
                density=self.density,
                scaling=self.scaling,
                random_state=self.random_state,
            )
        return adapter.write(template, fused), weights, list(range(n))

    def _fit(self, X, y, sample_weight, groups, params):
        _, members = self._validate_members()
        adapter = self._check_members(members)
        names = [name for name, _ in members]
        if sample_weight is not None:
            sample_weight = _sample_weight(sample_weight, len(y))
        fit_params, split_params = self._route_params(members, sample_weight, groups, params)
        train, test = self._holdout(X, y, split_params)
        prefit = train is None
        n = len(y)
        X_train = X if prefit else _safe_indexing(X, train)
        y_train = y if prefit else _safe_indexing(y, train)
        fit_params = {k: _slice_params(v, train, n) for k, v in fit_params.items()}
        sw_test = None if sample_weight is None else sample_weight[test]
        scoring_data = (_safe_indexing(X, test), _safe_indexing(y, test), sw_test)

        base = self.base_estimator
        if base is not None and not prefit:
            base_params = {"base_estimator": fit_params[names[0]]}
            base = self._fit_models(
                [("base_estimator", base)], X_train, y_train, base_params, None
            )
            base = base[0]
        if prefit:
            estimators = [_unfrozen(est) for _, est in members]
            cross_fit(members, X, y, cv="prefit")  # checks that every member is fitted
        else:
            estimators = [
                _unfrozen(e) for e in self._fit_models(members, X_train, y_train, fit_params, base)
            ]
        if self.align is True or (
            self.align == "auto" and base is None and isinstance(adapter, MLPAdapter)
        ):
            if not isinstance(adapter, MLPAdapter):
                raise ValueError("align=True aligns MLP hidden units; the members are not MLPs.")
            estimators = [estimators[0]] + [align_mlp(estimators[0], e) for e in estimators[1:]]
        self._check_fitted_shapes(adapter, names, estimators)

        self.round_scores_ = []
        for round_ in range(self.n_rounds):
            if round_ > 0:
                estimators = self._fit_models(
                    members, X_train, y_train, fit_params, self.fused_estimator_
                )
            self.member_scores_ = np.array([self._score(e, *scoring_data) for e in estimators])
            self.fused_estimator_, self.weights_, self.ingredients_ = self._fuse(
                adapter, estimators, base, X_train, scoring_data
            )
            self.round_scores_.append(self._score(self.fused_estimator_, *scoring_data))
        self.fused_score_ = self.round_scores_[-1]
        self.round_scores_ = np.array(self.round_scores_)
        self._set_fitted_members(estimators)
        self.base_estimator_ = base
        # transform's column count, so get_feature_names_out never predicts (set_output
        # calls it from inside transform).
        self._n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        return self

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


class WeightSpaceFuser(ClassifierMixin, _BaseWeightSpaceFuser):
    """Classifier fusing the parameters of same-shaped members into one model.

    Members of one class (logistic regression, linear SVM, SGD, perceptron,
    MLP) are fitted, optionally fine-tuned from a shared ``base_estimator``,
    aligned (MLPs without a shared start) and their parameters merged: a
    model soup, a greedy soup, Fisher merging, task arithmetic, TIES or DARE.
    The result, ``fused_estimator_``, is one model of the members' class, so
    prediction costs one model, not one per member.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Members of one supported class with the same parameter shapes
        (LogisticRegression, SGDClassifier, LinearSVC, Perceptron,
        MLPClassifier); a member may be ``"drop"``.
    method : {"uniform", "weighted", "greedy", "fisher", "task_arithmetic", \
            "ties", "dare"}, default="uniform"
        ``"uniform"``: the parameter mean (a soup). ``"weighted"``: with
        ``weights``, else weights from the members' hold-out scores.
        ``"greedy"``: members in order of hold-out score, each kept only if
        the soup's hold-out score does not drop. ``"fisher"``: per-entry
        weights from each member's diagonal Fisher information (logistic /
        softmax regression, MLPs). ``"task_arithmetic"``, ``"ties"``,
        ``"dare"``: merge the task vectors ``member - base`` (need
        ``base_estimator``); see :func:`skfusion.merge.merge_params`.
    base_estimator : estimator, default=None
        Fitted first; every member is then fine-tuned from its parameters
        (warm start where the class has it). The shared start is what makes
        soups of MLPs work. With ``cv="prefit"`` it must be fitted.
    weights : array-like of shape (n_members,), default=None
        Member weights (``"weighted"``, ``"fisher"`` and the task-vector methods).
    scaling : float, default=1.0
        Multiplier of the merged task vector (task-vector methods).
    density : float in (0, 1], default=0.2
        Share of task-vector entries kept by ``"ties"`` and ``"dare"``.
    align : "auto" or bool, default="auto"
        Permute MLP members' hidden units to match the first member by
        weight matching before merging. ``"auto"``: when there is no
        ``base_estimator``.
    n_rounds : int, default=1
        Rounds of fine-tune -> fuse: from round 2 every member is fine-tuned
        from the previous round's fused parameters.
    cv : float, int, cross-validation generator or "prefit", default=0.2
        The rows that score members and soups: a float is a hold-out share
        (stratified), an int or a splitter gives its first split. Members are
        fitted on the other rows. ``"prefit"``: fitted members are fused as
        given and scored on the rows passed to ``fit``.
    memory : str, path or joblib.Memory, default=None
        Cache of the member fits.
    n_jobs : int, default=None
        Members fitted in parallel.
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds the hold-out split and DARE's drops.

    Attributes
    ----------
    fused_estimator_ : estimator
        A fitted model of the members' class holding the fused parameters.
    estimators_ : list of estimators
        The fitted (and aligned) members of the last round.
    named_estimators_ : dict
        The same by name.
    base_estimator_ : estimator or None
        The fitted base.
    weights_ : ndarray of shape (n_members,)
        Member weights of the merge, summing to 1.
    ingredients_ : list of int
        Indices of the members in the soup (all but greedy's rejects).
    member_scores_ : ndarray of shape (n_members,)
        Each member's hold-out score (``score``, accuracy).
    fused_score_ : float
        The fused model's hold-out score.
    round_scores_ : ndarray of shape (n_rounds,)
        The fused model's hold-out score after each round.
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
    ...     StandardScaler(), WeightSpaceFuser(members, method="greedy", random_state=0)
    ... ).fit(X, y)
    >>> fuser = soup[-1]
    >>> bool(fuser.fused_score_ >= fuser.member_scores_.max())
    True
    >>> soup.predict(X[:3])
    array([0, 0, 0])
    """

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
            Passed to the members' ``fit`` and used in the hold-out scores.
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
        return self._fit(X, y, sample_weight, groups, params)

    @available_if(_fused_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the fused model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        return self._delegate("predict_proba", X)

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
            Log probabilities.
        """
        return self._delegate("predict_log_proba", X)

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


class WeightSpaceFuserRegressor(RegressorMixin, _BaseWeightSpaceFuser):
    """Regressor fusing the parameters of same-shaped members into one model.

    See :class:`WeightSpaceFuser`; members are LinearRegression, Ridge,
    Lasso, ElasticNet, SGDRegressor, LinearSVR or MLPRegressor, and the
    hold-out score is R².

    Parameters
    ----------
    estimators : list of (str, estimator)
        Members of one supported class with the same parameter shapes; a
        member may be ``"drop"``.
    method : {"uniform", "weighted", "greedy", "fisher", "task_arithmetic", \
            "ties", "dare"}, default="uniform"
        How parameters are merged (see :class:`WeightSpaceFuser`). Fisher
        merging assumes a unit-variance Gaussian likelihood.
    base_estimator : estimator, default=None
        Fitted first; every member is fine-tuned from its parameters.
    weights : array-like of shape (n_members,), default=None
        Member weights.
    scaling : float, default=1.0
        Multiplier of the merged task vector.
    density : float in (0, 1], default=0.2
        Share of task-vector entries kept by ``"ties"`` and ``"dare"``.
    align : "auto" or bool, default="auto"
        Align MLP hidden units before merging (``"auto"``: without a base).
    n_rounds : int, default=1
        Rounds of fine-tune -> fuse.
    cv : float, int, cross-validation generator or "prefit", default=0.2
        The rows that score members and soups (see :class:`WeightSpaceFuser`).
    memory : str, path or joblib.Memory, default=None
        Cache of the member fits.
    n_jobs : int, default=None
        Members fitted in parallel.
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds the hold-out split and DARE's drops.

    Attributes
    ----------
    fused_estimator_ : estimator
        A fitted model of the members' class holding the fused parameters.
    estimators_ : list of estimators
        The fitted (and aligned) members of the last round.
    named_estimators_ : dict
        The same by name.
    base_estimator_ : estimator or None
        The fitted base.
    weights_ : ndarray of shape (n_members,)
        Member weights of the merge, summing to 1.
    ingredients_ : list of int
        Indices of the members in the soup.
    member_scores_ : ndarray of shape (n_members,)
        Each member's hold-out R².
    fused_score_ : float
        The fused model's hold-out R².
    round_scores_ : ndarray of shape (n_rounds,)
        The fused model's hold-out R² after each round.
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
            Passed to the members' ``fit`` and used in the hold-out scores.
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
        y = self._check_regression_y(y, multi_output=True)
        return self._fit(X, y, sample_weight, groups, params)
