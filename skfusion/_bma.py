"""Bayesian model averaging: weights from out-of-fold predictive densities."""

import numbers

import numpy as np
from scipy.optimize.elementwise import find_root
from scipy.special import ndtr, ndtri
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._base import _MemberClassColumns, _MemberPredictionColumns, _OutputFusion
from ._calibration import CALIBRATION_CONSTRAINT, _CalibratedProbabilities
from ._compat import Interval, StrOptions, _fit_context
from ._conformal import _ConformalIntervals, _ConformalSets, conformal_threshold
from ._kernels import get_kernel
from ._kernels._reference import LOG_LOSS_EPS
from ._oof import has_return_std
from ._scoring import SCORING_CONSTRAINT, get_scorer, report_scores
from ._utils import numpy_generator, true_class_columns
from .weights import (
    bb_pseudo_bma_weights,
    pseudo_bma_weights,
    stacking_weights,
)

# Probabilities below this count as this: a member that gives a true class
# probability 0 gets a large finite penalty (log = -36.04) instead of -inf.
LOG_PROBABILITY_FLOOR = np.log(LOG_LOSS_EPS)
# Bayesian-bootstrap refits behind weights_std_ for weighting="stacking".
STACKING_STD_DRAWS = 100
# Predictive stds below this share of the largest |y| count as this, so a
# member that fitted its rows exactly never gives an infinite density.
RELATIVE_STD_FLOOR = np.finfo(np.float64).eps
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _row_scale(sample_weight, n):
    """Row weights scaled to sum to n, so unweighted data gives the plain formulas."""
    return np.ones(n) if sample_weight is None else sample_weight * (n / sample_weight.sum())


def _mixture(member_outputs, weights):
    """The members' outputs (probabilities or means) weighted by ``weights``."""
    return get_kernel("soft_vote", member_outputs)(member_outputs, weights)


class _BaseAverager(_OutputFusion):
    """Parameters, weights and weight spreads shared by the two averagers."""

    _parameter_constraints: dict = {
        **_OutputFusion._parameter_constraints,
        "weighting": [StrOptions({"stacking", "pseudo_bma", "bb_pseudo_bma"})],
        "n_bootstrap": [Interval(numbers.Integral, 1, None, closed="left")],
        "scoring": SCORING_CONSTRAINT,
    }

    def __init__(
        self,
        estimators,
        *,
        weighting="stacking",
        cv=5,
        test_predictions="refit",
        fold_eval_set=None,
        n_bootstrap=1000,
        scoring=None,
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
        self.weighting = weighting
        self.n_bootstrap = n_bootstrap
        self.scoring = scoring
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set

    def _cross_fit_members(self, X, y, sample_weight, groups, params, methods, classes=None):
        """Cross-fit the members with one output ``method`` each; return the engine's result."""
        members = self._validate_members()[1]
        sample_weight, fit_params, split_params = self._fit_inputs(
            members, y, sample_weight, groups, params
        )
        methods = [methods(name, est) for name, est in members]
        self._methods = methods
        result = self._cross_fit(
            members,
            X,
            y,
            methods=methods,
            fit_params=fit_params,
            split_params=split_params,
            classes=classes,
        )
        return result, result.at_oof_rows(y), result.at_oof_rows(sample_weight)

    def _fit_weights(self, lpd, sample_weight):
        """Set pointwise_lpd_, elpd_, elpd_se_, weights_ and weights_std_ from ``lpd``."""
        self.pointwise_lpd_ = lpd
        n = lpd.shape[0]
        scale = _row_scale(sample_weight, n)
        weighted = lpd * scale[:, None]
        self.elpd_ = weighted.sum(axis=0)
        self.elpd_se_ = np.sqrt(n * weighted.var(axis=0))
        self.weights_, self.weights_std_ = self._weights_of(lpd, sample_weight, spread=True)
        self._set_named_weights(self.weights_)

    def _weights_of(self, lpd, sample_weight, spread=False):
        """``weighting``'s weights from the rows' log densities ``lpd``, and with
        ``spread`` their bootstrap standard deviation (else None)."""
        scale = _row_scale(sample_weight, lpd.shape[0])
        if self.weighting == "stacking":
            weights = stacking_weights(lpd, sample_weight=sample_weight)
            return weights, self._stacking_spread(lpd, scale) if spread else None
        weighted = lpd * scale[:, None]
        if self.weighting == "pseudo_bma" and not spread:
            return pseudo_bma_weights(weighted), None
        bb_weights, std = bb_pseudo_bma_weights(
            weighted,
            n_bootstrap=self.n_bootstrap,
            random_state=self.random_state,
            return_std=True,
        )
        if self.weighting == "pseudo_bma":
            return pseudo_bma_weights(weighted), std
        return bb_weights, std

    def _report(self, result, member_outputs, y, sample_weight, classes=None):
        """``fused_oof_predictions_``, ``member_scores_`` and ``fused_score_`` from the
        members' OOF outputs on the OOF rows (probabilities or predictive means)."""
        fused = _mixture(member_outputs, self.weights_)
        self.fused_oof_predictions_ = result.at_all_rows(fused)
        scorer = get_scorer(self.scoring, classifier=classes is not None)
        report_scores(
            self, scorer, member_outputs, fused, y, classes=classes, sample_weight=sample_weight
        )
        response = "predict" if classes is None else "predict_proba"
        self._keep_fusion_data(
            result, self.pointwise_lpd_, member_outputs, y, sample_weight, response, member_outputs
        )

    def _fold_fusion(self, learn, y, sample_weight, fuse):
        return _mixture(fuse, self._weights_of(learn, sample_weight)[0])

    def _subset_fusion(self, members_in):
        weights = self.weights_ * members_in
        total = weights.sum()
        return _mixture(self._fusion_data_.fuse, weights / total) if total > 0 else None

    def _linear_pool_weights(self):
        return self.weights_

    def _stacking_spread(self, lpd, scale):
        """Std of stacking weights refitted under Bayesian-bootstrap row weights."""
        rng = numpy_generator(self.random_state)
        draws = min(self.n_bootstrap, STACKING_STD_DRAWS)
        samples = [
            stacking_weights(lpd, sample_weight=scale * rng.dirichlet(np.ones(len(scale))))
            for _ in range(draws)
        ]
        return np.std(samples, axis=0)

    def _active_members(self):
        """(index, weight) of the members of non-zero weight; weights sum to 1."""
        active = [(m, w) for m, w in enumerate(self.weights_) if w > 0]
        total = sum(w for _, w in active)
        return [(m, w / total) for m, w in active]


class BayesianModelAverager(
    _CalibratedProbabilities, _ConformalSets, ClassifierMixin, _MemberClassColumns, _BaseAverager
):
    """Classifier averaging members with weights from out-of-fold log densities.

    Each member's out-of-fold (OOF) predictive probability of the true class
    gives its pointwise log predictive density ``log p_m(y_i | x_i)``; the
    weights follow Yao et al. (2018): pseudo-BMA, pseudo-BMA+ with the
    Bayesian bootstrap, or stacking of predictive distributions. The
    prediction is the weighted mixture of the members' probabilities.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member classifiers (each with ``predict_proba``); a member may be
        ``"drop"``.
    weighting : {"stacking", "pseudo_bma", "bb_pseudo_bma"}, default="stacking"
        How the weights are learnt from the members' out-of-fold log
        predictive densities (the objective of model averaging, fixed).
        ``"pseudo_bma"``: ``w ∝ exp(elpd)``. ``"bb_pseudo_bma"``: pseudo-BMA
        averaged over ``n_bootstrap`` Bayesian-bootstrap draws of the rows
        (more stable when elpd differences are noisy). ``"stacking"``:
        maximise the OOF log score of the mixture over the simplex (best
        when no member is right and a mixture predicts better than any).
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    n_bootstrap : int, default=1000
        Bayesian-bootstrap draws for ``"bb_pseudo_bma"`` and for
        ``weights_std_`` (``"stacking"`` refits its weights under at most 100
        bootstrap row weightings for the spread).
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report, as in
        :class:`WeightedBlender`; None is accuracy.
    calibration : {"auto", "temperature", "sigmoid", "isotonic", "dirichlet"} or None, \
            default="auto"
        Calibrate the mixture's probabilities on the OOF rows (the weights
        learnt again without each row's fold, so nothing leaks); see
        :class:`WeightedBlender`. ``"auto"`` is none: the weights already
        maximise the mixture's log score.
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar over fits; 2: also the members' and the mixture's
        OOF scores.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of unseeded shuffling splitters and the bootstrap.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows, or None (``test_predictions="fold_average"``).
    fold_estimators_ : list of list of estimators or None
        Each member's fold models with ``"fold_average"``, else None.
    named_estimators_ : Bunch
        Refit members (or their fold models) by name.
    weights_ : ndarray of shape (n_members,)
        Model weights, non-negative, summing to 1, in ``estimators`` order.
    named_weights_ : Bunch
        Weight by member name (``"drop"`` ones as 0).
    weights_std_ : ndarray of shape (n_members,)
        Bayesian-bootstrap standard deviation of the weights.
    elpd_ : ndarray of shape (n_members,)
        Each member's expected log predictive density, summed over rows.
    elpd_se_ : ndarray of shape (n_members,)
        Its standard error, ``sqrt(n * var_i(lpd_i))``.
    pointwise_lpd_ : ndarray of shape (n_samples, n_members)
        OOF ``log p_m(y_i | x_i)``, from the member's ``predict_log_proba``
        where it has one (else the log of ``predict_proba``). Log
        probabilities below ``log(machine epsilon) = -36.04`` are floored
        there: a probability of exactly 0 is a large finite penalty, never
        -inf, so no weight is ever NaN. With a float ``cv`` (hold-out), only
        the hold-out rows.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_classes)
        OOF class probabilities (NaN on rows without an OOF prediction).
    fused_oof_predictions_ : ndarray of shape (n_samples, n_classes)
        The mixture of the OOF probabilities with ``weights_``.
    member_scores_ : dict
        Member name to OOF score under ``scoring`` (to a dict metric ->
        score for several metrics).
    fused_score_ : float or dict
        OOF score of the mixture (in-sample for the weights).
    fused_cv_score_ : float or dict
        The same score with the fusion step cross-validated: the weights learnt
        again on all folds of the OOF rows but one and applied to the
        left-out fold (the members' folds; 5 folds of the hold-out rows
        for a hold-out or prefit ``cv``), the fused predictions pooled. An
        honest estimate where ``fused_score_`` is in-sample; no member is
        refit. Computed on first access (with ``calibration``, calibrated
        without each row's fold).
    calibrator_ : object or None
        The map from mixture to calibrated probabilities that
        ``calibration`` learnt; None without calibration.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    skfusion.weights.stacking_weights : The weights on a log-density matrix.
    BayesianModelAveragerRegressor : The same for regression.
    WeightedBlender : Weights from other criteria (scores, log-loss, Caruana).

    References
    ----------
    .. [1] Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to
       average Bayesian predictive distributions. Bayesian Analysis 13(3).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfusion import BayesianModelAverager
    >>> X, y = load_iris(return_X_y=True)
    >>> bma = BayesianModelAverager(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())],
    ...     weighting="bb_pseudo_bma", n_bootstrap=200, random_state=0,
    ... ).fit(X, y)
    >>> bma.weights_.shape, bma.weights_std_.shape
    ((2,), (2,))
    >>> bma.predict(X[:2])
    array([0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseAverager._parameter_constraints,
        "calibration": CALIBRATION_CONSTRAINT,
    }

    def __init__(
        self,
        estimators,
        *,
        weighting="stacking",
        cv=5,
        test_predictions="refit",
        fold_eval_set=None,
        n_bootstrap=1000,
        scoring=None,
        calibration="auto",
        memory=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        super().__init__(
            estimators,
            weighting=weighting,
            cv=cv,
            test_predictions=test_predictions,
            fold_eval_set=fold_eval_set,
            n_bootstrap=n_bootstrap,
            scoring=scoring,
            memory=memory,
            n_jobs=n_jobs,
            verbose=verbose,
            random_state=random_state,
        )
        self.calibration = calibration

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members out of fold and weigh them by their log densities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members and used as row weights of the densities.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted averager.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y, self.classes_ = self._check_classification_y(y)
        self._check_prefit_classes()
        self._check_calibration()
        result, y_fit, sw = self._cross_fit_members(
            X, y, sample_weight, groups, params, self._log_density_method, self.classes_
        )
        y_index = np.searchsorted(self.classes_, y_fit)
        oof, logs = [], []
        for method, m_oof in zip(self._methods, result.oof):
            if method == "predict_log_proba":
                # The log of each row's mean probability over the repeats of
                # the cv (the engine averages as probabilities).
                oof.append(np.exp(m_oof))
                logs.append(m_oof)
            else:
                oof.append(m_oof)
                with np.errstate(divide="ignore", invalid="ignore"):
                    logs.append(np.log(m_oof))
        self.oof_predictions_ = np.stack(oof, axis=1)
        logs = [result.at_oof_rows(m_log) for m_log in logs]
        lpd = np.maximum(true_class_columns(logs, y_index), LOG_PROBABILITY_FLOOR)
        self._fit_weights(lpd, sw)
        self._report(result, [result.at_oof_rows(p) for p in oof], y_fit, sw, self.classes_)
        # predict_proba mixes probabilities whatever gave the OOF densities.
        self._methods = ["predict_proba"] * len(self._methods)
        return self._fit_calibration()

    def _log_density_method(self, name, estimator):
        return self._check_member_method(
            name, estimator, ["predict_log_proba", "predict_proba"], "Model averaging"
        )

    def _member_outputs(self, X, log, fold=None):
        X, _ = self._check_X(X, reset=False)
        cache = self._output_cache(X)
        outputs, weights = [], []
        for m, w in self._active_members():
            if not log:
                outputs.append(self._test_output(cache, m, "predict_proba", fold))
            elif hasattr(self._fitted_member(m), "predict_log_proba"):
                outputs.append(self._test_output(cache, m, "predict_log_proba"))
            else:
                with np.errstate(divide="ignore"):
                    outputs.append(np.log(self._test_output(cache, m, "predict_proba")))
            weights.append(w)
        return outputs, np.array(weights)

    def predict_proba(self, X):
        """The weighted mixture of the members' class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Mixture probabilities, calibrated (``calibration``).
        """
        check_is_fitted(self)

        def mixture(fold):
            outputs, weights = self._member_outputs(X, log=False, fold=fold)
            return get_kernel("soft_vote", outputs)(outputs, weights)

        return self._calibrated_fusion(mixture)

    def predict_log_proba(self, X):
        """Log of the mixture probabilities, by log-sum-exp over the members.

        The members' own ``predict_log_proba`` is used where they have one,
        so tiny probabilities keep their precision.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log mixture probabilities (-inf where every member gives 0).
        """
        check_is_fitted(self)
        if self._fold_wise_calibration():  # a mean of calibrated fold mixtures
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        logs, weights = self._member_outputs(X, log=True)
        return self._calibrated_log(get_kernel("log_mixture", logs)(logs, weights))

    def predict(self, X):
        """The class of highest mixture probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        proba = self.predict_proba(X)  # checks that the averager is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    def transform(self, X):
        """Each member's class probabilities, side by side.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        probas : ndarray of shape (n_samples, n_members * n_classes)
            Member probabilities.
        """
        return self._member_outputs_side_by_side(X)


class BayesianModelAveragerRegressor(
    _ConformalIntervals, RegressorMixin, _MemberPredictionColumns, _BaseAverager
):
    """Regressor averaging members with weights from out-of-fold Gaussian log densities.

    Each member's out-of-fold (OOF) prediction is read as a Gaussian
    predictive distribution: its mean is the prediction, its standard
    deviation the member's own predictive std where it has
    ``predict(X, return_std=True)`` (:class:`~sklearn.linear_model.BayesianRidge`,
    :class:`~sklearn.linear_model.ARDRegression`,
    :class:`~sklearn.gaussian_process.GaussianProcessRegressor`, also as the
    last step of a Pipeline), otherwise a residual scale. The weights follow
    Yao et al. (2018) as in :class:`BayesianModelAverager`; the prediction is
    the weighted mixture of the members' Gaussians: its mean, its std and its
    central intervals.

    The residual scale that scores row ``i`` is the root mean squared OOF
    residual of the member on the rows outside ``i``'s test fold, so the row
    being scored never enters its own scale; with a single hold-out split
    (float ``cv``) or ``cv="prefit"``, on all other scored rows (leave one
    out). At predict time the scale is the root mean squared OOF residual on
    all rows (``residual_scale_``).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member regressors; a member may be ``"drop"``.
    weighting : {"stacking", "pseudo_bma", "bb_pseudo_bma"}, default="stacking"
        How the weights are learnt from the members' out-of-fold log
        predictive densities (the objective of model averaging, fixed).
        ``"pseudo_bma"``: ``w ∝ exp(elpd)``. ``"bb_pseudo_bma"``: pseudo-BMA
        averaged over ``n_bootstrap`` Bayesian-bootstrap draws of the rows.
        ``"stacking"``: maximise the OOF log score of the mixture over the
        simplex.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    n_bootstrap : int, default=1000
        Bayesian-bootstrap draws for ``"bb_pseudo_bma"`` and for
        ``weights_std_`` (``"stacking"`` refits its weights under at most 100
        bootstrap row weightings for the spread).
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report, as in
        :class:`WeightedBlender`; None is accuracy (R² for the regressor).
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar over fits; 2: also the members' and the mixture's
        OOF scores.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of unseeded shuffling splitters and the bootstrap.

    Attributes
    ----------
    estimators_ : list of estimators or None
        As in :class:`BayesianModelAverager`.
    fold_estimators_ : list of list of estimators or None
        As in :class:`BayesianModelAverager`.
    named_estimators_ : Bunch
        As in :class:`BayesianModelAverager`.
    weights_ : ndarray of shape (n_members,)
        Model weights, non-negative, summing to 1, in ``estimators`` order.
    named_weights_ : Bunch
        Weight by member name (``"drop"`` ones as 0).
    weights_std_ : ndarray of shape (n_members,)
        Bayesian-bootstrap standard deviation of the weights.
    elpd_ : ndarray of shape (n_members,)
        Each member's expected log predictive density, summed over rows.
    elpd_se_ : ndarray of shape (n_members,)
        Its standard error, ``sqrt(n * var_i(lpd_i))``.
    pointwise_lpd_ : ndarray of shape (n_samples, n_members)
        OOF Gaussian ``log p_m(y_i | x_i)`` (with a float ``cv``, only the
        hold-out rows; summed over the outputs of a 2-D y). Stds are floored
        at machine epsilon times the largest ``|y|``, so a density is never
        infinite.
    oof_predictions_ : ndarray of shape (n_samples, n_members[, n_outputs])
        OOF predictive means (NaN on rows without an OOF prediction).
    oof_std_ : ndarray of shape (n_samples, n_members[, n_outputs])
        The predictive stds that scored them.
    fused_oof_predictions_ : ndarray of shape (n_samples[, n_outputs])
        The mixture mean of the OOF predictions with ``weights_``.
    member_scores_ : dict
        Member name to OOF score under ``scoring``.
    fused_score_ : float or dict
        OOF score of the mixture mean (in-sample for the weights).
    fused_cv_score_ : float or dict
        The fused score with the fusion step cross-validated, as in
        :class:`BayesianModelAverager`.
    residual_scale_ : ndarray of shape (n_members[, n_outputs])
        The std used at predict time for members without their own (NaN for
        members with ``return_std``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    BayesianModelAverager : The same for classification.
    WeightedBlenderRegressor : Weights from other criteria (scores, Caruana).
    skfusion.weights.stacking_weights : The weights on a log-density matrix.

    References
    ----------
    .. [1] Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to
       average Bayesian predictive distributions. Bayesian Analysis 13(3).

    With a 2-D y (several outputs), each member's outputs are read as
    independent Gaussians: their log densities add, one weight vector is
    shared by the outputs, and the mixture is formed output by output.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfusion import BayesianModelAveragerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> bma = BayesianModelAveragerRegressor(
    ...     [("ridge", BayesianRidge()), ("tree", DecisionTreeRegressor(max_depth=3))],
    ...     random_state=0,
    ... ).fit(X, y)
    >>> mean, std = bma.predict(X[:3], return_std=True)
    >>> bma.predict_interval(X[:3], coverage=0.9).shape
    (3, 2)
    """

    # A 2-D y: outputs as independent Gaussians, one weight vector.
    _multi_output = True

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members out of fold and weigh them by their Gaussian log densities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members and used as row weights of the densities
            and of the residual scales.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted averager.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y = self._check_regression_y(y).astype(np.float64, copy=False)
        self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        result, _, sw = self._cross_fit_members(
            X, y, sample_weight, groups, params, lambda name, est: "predict_std"
        )
        n = len(y)
        # (n, n_members[, n_outputs]): rows first, then members, then outputs.
        means, own_std = (
            np.moveaxis(result.oof[:, :, 0], 0, 1),
            np.moveaxis(result.oof[:, :, 1], 0, 1),
        )
        per_row = (slice(None),) + (None,) * (means.ndim - 1)  # (n,) against means
        per_member = (slice(None),) + (None,) * (means.ndim - 2)  # (n_members,) against a row
        predicted = np.zeros(n, dtype=bool)
        predicted[result.oof_rows] = True
        row_weight = np.zeros(n)
        row_weight[predicted] = 1.0 if sw is None else sw
        y_by_member = np.expand_dims(y, 1)
        sq_residual = np.where(predicted[per_row], (y_by_member - means) ** 2, 0.0)
        with np.errstate(invalid="ignore"):
            self.residual_scale_ = np.sqrt(
                np.tensordot(row_weight, sq_residual, axes=1) / row_weight.sum()
            )
        self._own_std = np.array(
            [has_return_std(self._fitted_member(m)) for m in range(len(result.oof))]
        )
        self.residual_scale_[self._own_std] = np.nan
        held_out_var = _held_out_residual_variance(
            sq_residual.reshape(n, -1), row_weight, result.splits
        ).reshape(sq_residual.shape)
        self._std_floor = RELATIVE_STD_FLOOR * max(np.abs(y).max(), 1e-300)
        std = np.where(self._own_std[per_member], own_std, np.sqrt(held_out_var))
        std = np.where(predicted[per_row], np.maximum(std, self._std_floor), np.nan)
        self.oof_predictions_, self.oof_std_ = means, std
        rows = result.oof_rows
        lpd = _gaussian_logpdf(y_by_member[rows], means[rows], std[rows])
        if lpd.ndim == 3:  # outputs as independent Gaussians: their log densities add
            lpd = lpd.sum(axis=2)
        self._fit_weights(lpd, sw)
        self._report(result, list(np.moveaxis(means[rows], 1, 0)), y[rows], sw)
        return self

    def _mixture_components(self, X):
        """Means and stds ``(n_samples, n_active)`` and weights of the members of weight > 0."""
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        cache = self._output_cache(X)
        means, stds, weights = [], [], []
        for m, w in self._active_members():
            mean, own_std = np.moveaxis(self._test_output(cache, m, "predict_std"), 1, 0)
            scale = own_std if self._own_std[m] else np.full_like(mean, self.residual_scale_[m])
            means.append(mean)
            stds.append(np.maximum(scale, self._std_floor))
            weights.append(w)
        # (n_samples, n_active[, n_outputs])
        return np.stack(means, axis=1), np.stack(stds, axis=1), np.array(weights)

    def predict(self, X, return_std=False):
        """Mean of the mixture, and with ``return_std=True`` its standard deviation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.
        return_std : bool, default=False
            Also return the mixture's std: the square root of the weighted
            within-member variance plus the weighted spread of the member
            means around the mixture mean.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Mixture mean.
        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Mixture std, only with ``return_std=True``.
        """
        means, stds, weights = self._mixture_components(X)
        mean = np.einsum("m,nm...->n...", weights, means)
        if not return_std:
            return mean
        spread = stds**2 + (means - np.expand_dims(mean, 1)) ** 2
        return mean, np.sqrt(np.einsum("m,nm...->n...", weights, spread))

    def _interval_methods(self):
        return ["predict_std"] * len(self._member_names())

    def _member_prediction(self, output):
        return output[:, 0]  # the mean of (mean, std)

    def _mixture_interval(self, X, coverage):
        """Central interval of the mixture holding ``coverage`` of its mass:
        its ``(1 -+ coverage) / 2`` quantiles, for all rows at once by
        :func:`scipy.optimize.elementwise.find_root` on the mixture's CDF."""
        return _central_intervals(*self._mixture_components(X), coverage)

    def _conformal_mixture_interval(self, X, coverage):
        """The mixture's central interval widened (or narrowed) by the
        conformal quantile of how far the OOF targets fall outside their
        rows' mixture intervals (conformalized quantile regression, Romano
        et al. 2019), the weights learnt without each row's fold."""
        if getattr(self, "_fusion_data_", None) is None:
            raise ValueError("method='conformal_mixture' needs out-of-fold predictions.")
        rows = slice(None) if self._oof_rows is None else self._oof_rows
        components = [self.oof_predictions_[rows], self.oof_std_[rows]]
        values = self._fold_fused_values(
            fusion=lambda learn, y, sample_weight, parts: _central_intervals(
                *parts, self._weights_of(learn, sample_weight)[0], coverage
            ),
            fuse=components,
        )
        if values is None:  # no fold tests a row: the fitted weights, in-sample
            values = (_central_intervals(*components, self.weights_, coverage),)
            values += (np.ones(len(components[0]), dtype=bool),)
        oof_bounds, tested = values
        y = self._fusion_data_.y[tested]
        outside = np.maximum(oof_bounds[..., 0] - y, y - oof_bounds[..., 1])  # (n[, T])
        margin = np.array(
            [conformal_threshold(column, coverage) for column in outside.reshape(len(y), -1).T]
        )
        bounds = self._mixture_interval(X, coverage)
        margin = margin[0] if bounds.ndim == 2 else margin[:, None]  # per output
        return bounds + np.array([-1.0, 1.0]) * margin


def _central_intervals(means, stds, weights, coverage):
    """``(n, 2)`` (``(n, n_outputs, 2)``) central intervals of the Gaussian
    mixtures of ``means``, ``stds`` ``(n, n_members[, n_outputs])``."""
    probabilities = [(1 - coverage) / 2, (1 + coverage) / 2]
    if means.ndim == 2:
        return mixture_quantiles(means, stds, weights, probabilities)
    # One mixture per (row, output): members last, as mixture_quantiles reads them.
    n, n_members, n_outputs = means.shape
    means, stds = (np.moveaxis(a, 2, 1).reshape(-1, n_members) for a in (means, stds))
    return mixture_quantiles(means, stds, weights, probabilities).reshape(n, n_outputs, 2)


def _gaussian_logpdf(y, mean, std):
    return -0.5 * ((y - mean) / std) ** 2 - np.log(std) - _LOG_SQRT_2PI


def _held_out_residual_variance(sq_residual, row_weight, splits):
    """Per row and member: the weighted mean squared residual of the rows outside its test fold.

    ``sq_residual`` (n, n_members) and ``row_weight`` (n,) are zero on rows
    without an OOF prediction. A row tested in several folds (repeated cv)
    averages the variances of those folds. When no scored row lies outside
    the fold (one hold-out split, or ``splits`` None for prefit members),
    every row is left out of its own scale alone.
    """
    n = len(row_weight)
    weighted = sq_residual * row_weight[:, None]
    total, total_weight = weighted.sum(axis=0), row_weight.sum()
    variance, times = np.zeros_like(sq_residual), np.zeros(n)
    for _, test in splits or [(None, np.arange(n))]:
        outside_weight = total_weight - row_weight[test].sum()
        if outside_weight > 0:
            variance[test] += (total - weighted[test].sum(axis=0)) / outside_weight
        else:
            left_out_weight = np.maximum(total_weight - row_weight[test], np.finfo(float).tiny)
            variance[test] += (total - weighted[test]) / left_out_weight[:, None]
        times[test] += 1
    return variance / np.maximum(times, 1)[:, None]


def _mixture_cdf(x, probability, weights, *components):
    n_members = len(weights)
    means, stds = components[:n_members], components[n_members:]
    cdf = sum(w * ndtr((x - mu) / sd) for w, mu, sd in zip(weights, means, stds))
    return cdf - probability


def mixture_quantiles(means, stds, weights, probabilities):
    """Quantiles of Gaussian mixtures, one mixture a row, all rows solved at once.

    Parameters
    ----------
    means, stds : ndarray of shape (n_samples, n_members)
        Component means and stds.
    weights : ndarray of shape (n_members,)
        Component weights summing to 1.
    probabilities : array-like of shape (n_quantiles,)
        Probabilities in (0, 1).

    Returns
    -------
    quantiles : ndarray of shape (n_samples, n_quantiles)
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    # The mixture's p-quantile lies between the smallest and the largest of
    # its components' p-quantiles; widened a little, a bracket for the root.
    component_quantiles = means[:, :, None] + stds[:, :, None] * ndtri(probabilities)
    margin = 0.01 * stds.max(axis=1, keepdims=True)
    low = component_quantiles.min(axis=1) - margin
    high = component_quantiles.max(axis=1) + margin
    n_members = means.shape[1]
    columns = [means[:, [m]] for m in range(n_members)] + [stds[:, [m]] for m in range(n_members)]
    result = find_root(
        lambda x, probability, *components: _mixture_cdf(x, probability, weights, *components),
        (low, high),
        args=(probabilities[None, :], *columns),
    )
    return result.x
