"""Bayesian model averaging: weights from out-of-fold predictive densities."""

import numbers

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseFusion
from ._kernels import get_kernel
from ._oof import member_output
from .weights import (
    _generator,
    _sample_weight,
    bb_pseudo_bma_weights,
    pseudo_bma_weights,
    stacking_weights,
    true_class_columns,
)

# Probabilities below this count as this: a member that gives a true class
# probability 0 gets a large finite penalty (log = -36.04) instead of -inf.
PROBABILITY_FLOOR = np.finfo(np.float64).eps
# Bayesian-bootstrap refits behind weights_std_ for method="stacking".
STACKING_STD_DRAWS = 100


class BayesianModelAverager(ClassifierMixin, _BaseFusion):
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
    method : {"stacking", "pseudo_bma", "bb_pseudo_bma"}, default="stacking"
        ``"pseudo_bma"``: ``w ∝ exp(elpd)``. ``"bb_pseudo_bma"``: pseudo-BMA
        averaged over ``n_bootstrap`` Bayesian-bootstrap draws of the rows
        (more stable when elpd differences are noisy). ``"stacking"``:
        maximise the OOF log score of the mixture over the simplex (best
        when no member is right and a mixture predicts better than any).
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`).
    n_bootstrap : int, default=1000
        Bayesian-bootstrap draws for ``"bb_pseudo_bma"`` and for
        ``weights_std_`` (``"stacking"`` refits its weights under at most 100
        bootstrap row weightings for the spread).
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of unseeded shuffling splitters and the bootstrap.

    Attributes
    ----------
    estimators_ : list of estimators
        Members refit on all rows.
    named_estimators_ : Bunch
        Refit members by name.
    weights_ : ndarray of shape (n_members,)
        Model weights, non-negative, summing to 1.
    weights_std_ : ndarray of shape (n_members,)
        Bayesian-bootstrap standard deviation of the weights.
    elpd_ : ndarray of shape (n_members,)
        Each member's expected log predictive density, summed over rows.
    elpd_se_ : ndarray of shape (n_members,)
        Its standard error, ``sqrt(n * var_i(lpd_i))``.
    pointwise_lpd_ : ndarray of shape (n_samples, n_members)
        OOF ``log p_m(y_i | x_i)``; probabilities below machine epsilon are
        floored there (a large finite penalty, never -inf).
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_classes)
        OOF class probabilities.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    skfusion.weights.stacking_weights : The weights on a log-density matrix.
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
    ...     method="bb_pseudo_bma", n_bootstrap=200, random_state=0,
    ... ).fit(X, y)
    >>> bma.weights_.shape, bma.weights_std_.shape
    ((2,), (2,))
    >>> bma.predict(X[:2])
    array([0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseFusion._parameter_constraints,
        "method": [StrOptions({"stacking", "pseudo_bma", "bb_pseudo_bma"})],
        "n_bootstrap": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimators,
        *,
        method="stacking",
        cv=5,
        n_bootstrap=1000,
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
        self.n_bootstrap = n_bootstrap

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
        _, members = self._validate_members()
        for name, est in members:
            self._check_member_method(name, est, ["predict_proba"], "Model averaging")
        if sample_weight is not None:
            sample_weight = _sample_weight(sample_weight, len(y))
        fit_params, split_params = self._route_params(members, sample_weight, groups, params)
        result = self._cross_fit(
            members,
            X,
            y,
            methods=["predict_proba"] * len(members),
            fit_params=fit_params,
            split_params=split_params,
            classes=self.classes_,
        )
        self._methods = ["predict_proba"] * len(members)
        self.oof_predictions_ = np.moveaxis(result.oof, 0, 1)
        y_fit, sw = result.at_oof_rows(y), result.at_oof_rows(sample_weight)
        p_true = true_class_columns(result.member_oof(), np.searchsorted(self.classes_, y_fit))
        lpd = np.log(np.maximum(p_true, PROBABILITY_FLOOR))
        self.pointwise_lpd_ = lpd
        n = len(y_fit)
        # Row weights scaled to sum to n, so unweighted data gives the plain formulas.
        scale = np.ones(n) if sw is None else sw * (n / sw.sum())
        weighted = lpd * scale[:, None]
        self.elpd_ = weighted.sum(axis=0)
        self.elpd_se_ = np.sqrt(n * weighted.var(axis=0))
        if self.method == "stacking":
            self.weights_ = stacking_weights(lpd, sample_weight=sw)
            self.weights_std_ = self._stacking_spread(lpd, scale)
            return self
        bb_weights, self.weights_std_ = bb_pseudo_bma_weights(
            weighted,
            n_bootstrap=self.n_bootstrap,
            random_state=self.random_state,
            return_std=True,
        )
        self.weights_ = pseudo_bma_weights(weighted) if self.method == "pseudo_bma" else bb_weights
        return self

    def _stacking_spread(self, lpd, scale):
        """Std of stacking weights refitted under Bayesian-bootstrap row weights."""
        rng = _generator(self.random_state)
        draws = min(self.n_bootstrap, STACKING_STD_DRAWS)
        samples = [
            stacking_weights(lpd, sample_weight=scale * rng.dirichlet(np.ones(len(scale))))
            for _ in range(draws)
        ]
        return np.std(samples, axis=0)

    def _member_probas(self, X):
        X, _ = self._check_X(X, reset=False)
        active = [(est, w) for est, w in zip(self.estimators_, self.weights_) if w > 0]
        outputs = [member_output(est, X, "predict_proba", self.classes_) for est, _ in active]
        return outputs, np.array([w for _, w in active])

    def predict_proba(self, X):
        """The weighted mixture of the members' class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Mixture probabilities.
        """
        check_is_fitted(self)
        outputs, weights = self._member_probas(X)
        return get_kernel("soft_vote", outputs)(outputs, weights / weights.sum())

    def predict_log_proba(self, X):
        """Log of the mixture probabilities, by log-sum-exp over the members.

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
        outputs, weights = self._member_probas(X)
        with np.errstate(divide="ignore"):
            logs = [np.log(o) for o in outputs]
        return get_kernel("log_mixture", logs)(logs, weights / weights.sum())

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

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``<member>__<class>``.

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
        return self._class_feature_names()
