"""Probability calibration of the fused classifiers, learnt on the fused
out-of-fold probabilities the fit already made (no refit, no leakage).

Temperature scaling (Guo et al. 2017) divides the log-probabilities by one
learnt temperature: the most likely class never changes, only how sure the
fusion says it is. Sigmoid (Platt 1999) and isotonic (Zadrozny & Elkan 2002)
calibrate each class one-vs-rest, as sklearn's
:class:`~sklearn.calibration.CalibratedClassifierCV` does, and may reorder
the classes of a row.

References
----------
.. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of
   modern neural networks", ICML 2017.
.. [2] J. Platt, "Probabilistic outputs for support vector machines and
   comparisons to regularized likelihood methods", Advances in Large Margin
   Classifiers, 1999.
.. [3] B. Zadrozny and C. Elkan, "Transforming classifier scores into
   accurate multiclass probability estimates", KDD 2002.
"""

import warnings

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax, logit, logsumexp, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

from ._compat import StrOptions
from ._oof import held_out_splits, is_multi_output
from ._utils import check_sample_weight

CALIBRATIONS = ("temperature", "sigmoid", "isotonic", "dirichlet")
CALIBRATION_CONSTRAINT = [None, StrOptions({"auto", *CALIBRATIONS})]

# Probabilities are floored before their log: a class given exactly 0 would
# otherwise pin the temperature to infinity (every row uniform).
_PROBABILITY_FLOOR = 1e-12
# The inverse temperature is searched on [e^-9, e^9]: far beyond any fuser's.
_LOG_BETA_BOUND = 9.0


def _floored_log(proba):
    return np.log(np.clip(np.asarray(proba, dtype=np.float64), _PROBABILITY_FLOOR, None))


class TemperatureScaling:
    """``softmax(log p / T)`` with one temperature T > 0 fitted by the
    weighted log-loss; keeps every row's class order."""

    order_preserving = True
    settings = {}  # nothing chosen at fit that a split's map should share

    def fit(self, proba, codes, sample_weight=None):
        logs = _floored_log(proba)
        w = check_sample_weight(sample_weight, len(codes))
        true = logs[np.arange(len(codes)), codes]

        # The log-loss is convex in the inverse temperature, so unimodal in its log.
        def loss(log_beta):
            beta = np.exp(log_beta)
            return -np.dot(w, beta * true - logsumexp(beta * logs, axis=1))

        found = minimize_scalar(loss, bounds=(-_LOG_BETA_BOUND, _LOG_BETA_BOUND), method="bounded")
        self.temperature_ = float(np.exp(-found.x))
        return self

    def transform(self, proba):
        return softmax(_floored_log(proba) / self.temperature_, axis=1)

    def transform_log(self, log_proba):
        floored = np.maximum(np.asarray(log_proba, dtype=np.float64), np.log(_PROBABILITY_FLOOR))
        return log_softmax(floored / self.temperature_, axis=1)


def _clipped_logit(p):
    return logit(np.clip(p, _PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR))


def _smoothed_targets(positive, w):
    """Platt's targets of "is this the class": ``(n+ + 1) / (n+ + 2)`` and
    ``1 / (n- + 2)`` instead of 1 and 0 (weighted counts, so a row of
    weight 2 is two rows). A map fitted to them never gives exactly 0 or 1,
    which a single held-out row of the other class would make an infinite
    log-loss."""
    n_pos, n_neg = w[positive].sum(), w[~positive].sum()
    return np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))


class _PlattSigmoid:
    """``expit(a * logit(p) + b)`` fitted with Platt's smoothed targets, so
    separable rows give finite a, b; starts from the identity (a=1, b=0)."""

    def fit(self, p, positive, w):
        f = _clipped_logit(p)
        target = _smoothed_targets(positive, w)

        def loss_and_grad(ab):
            z = ab[0] * f + ab[1]
            # -[t log s(z) + (1 - t) log(1 - s(z))] = log(1 + e^z) - t z
            loss = np.dot(w, np.logaddexp(0.0, z) - target * z)
            residual = w * (expit(z) - target)
            return loss, np.array([np.dot(residual, f), residual.sum()])

        self.a_, self.b_ = minimize(
            loss_and_grad, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B"
        ).x
        return self

    def predict(self, p):
        return expit(self.a_ * _clipped_logit(p) + self.b_)


class OneVsRestCalibration:
    """Each class's probability mapped by a sigmoid or isotonic fit of
    "is this the class", then renormalised per row (uniform where every map
    gives 0); binary: the positive class only, as sklearn does."""

    order_preserving = False
    settings = {}

    def __init__(self, method):
        self.method = method

    def fit(self, proba, codes, sample_weight=None):
        proba = np.asarray(proba, dtype=np.float64)
        w = check_sample_weight(sample_weight, len(codes))
        self.maps_ = []
        for c in self._calibrated_columns(proba.shape[1]):
            if self.method == "isotonic":
                fitted = IsotonicRegression(out_of_bounds="clip")
                fitted.fit(proba[:, c], _smoothed_targets(codes == c, w), sample_weight=w)
            else:
                fitted = _PlattSigmoid().fit(proba[:, c], codes == c, w)
            self.maps_.append(fitted)
        return self

    @staticmethod
    def _calibrated_columns(n_classes):
        return [1] if n_classes == 2 else range(n_classes)

    def transform(self, proba):
        proba = np.asarray(proba, dtype=np.float64)
        columns = self._calibrated_columns(proba.shape[1])
        mapped = np.column_stack([m.predict(proba[:, c]) for m, c in zip(self.maps_, columns)])
        if proba.shape[1] == 2:
            return np.column_stack([1.0 - mapped[:, 0], mapped[:, 0]])
        total = mapped.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, mapped / total, 1.0 / proba.shape[1])

    def transform_log(self, log_proba):
        with np.errstate(divide="ignore"):
            return np.log(self.transform(np.exp(log_proba)))


class DirichletCalibration:
    """``softmax(W log p + b)``: a multinomial logistic regression on the log
    probabilities (matrix scaling; Dirichlet calibration, Kull et al. 2019),
    its L2 penalty chosen among ``Cs`` by cross-validated log-loss. It can
    reshape scores that are no probabilities, such as rank voting's
    quantiles, which one temperature cannot; it may reorder a row's classes."""

    order_preserving = False
    Cs = np.logspace(-2, 3, 6)

    def __init__(self, C=None):
        self.C = C  # None: chosen among Cs

    def fit(self, proba, codes, sample_weight=None):
        logs = _floored_log(proba)
        self.n_classes_ = np.asarray(proba).shape[1]
        splits = [] if self.C is not None else held_out_splits(codes, classifier=True, n_splits=3)
        if splits:
            model = LogisticRegressionCV(
                Cs=self.Cs, cv=splits, scoring="neg_log_loss", max_iter=5000
            )
        else:  # given, or too few rows to choose: 10, what the grid chose on the digits
            model = LogisticRegression(C=10.0 if self.C is None else self.C, max_iter=5000)
        with warnings.catch_warnings():
            # Cs far from the chosen one may stop short of convergence: they lose anyway.
            warnings.simplefilter("ignore", ConvergenceWarning)
            # scikit-learn 1.9 announces new defaults (l1_ratios, fitted
            # attributes) that change nothing for an L2 fit read by predict_proba.
            warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
            self.model_ = model.fit(logs, codes, sample_weight=sample_weight)
        chosen = self.model_.C_[0] if splits else self.model_.C
        self.settings = {"C": float(chosen)}
        return self

    def transform(self, proba):
        known = self.model_.predict_proba(_floored_log(proba))
        # A class no calibration row had gets the floor, not an infinite log-loss.
        out = np.full((len(known), self.n_classes_), _PROBABILITY_FLOOR)
        out[:, self.model_.classes_] = np.maximum(known, _PROBABILITY_FLOOR)
        return out / out.sum(axis=1, keepdims=True)

    def transform_log(self, log_proba):
        return np.log(self.transform(np.exp(log_proba)))


def fit_calibrator(method, proba, codes, sample_weight=None, settings=None):
    """A fitted map of ``method`` from fused to calibrated probabilities;
    ``settings``: what another fit chose (its ``settings``), taken as given."""
    if method == "temperature":
        calibrator = TemperatureScaling()
    elif method == "dirichlet":
        calibrator = DirichletCalibration(**(settings or {}))
    else:
        calibrator = OneVsRestCalibration(method)
    return calibrator.fit(proba, codes, sample_weight)


def cross_calibrated(method, proba, codes, sample_weight, splits, settings=None):
    """Each row's probabilities calibrated by a map learnt without its split
    (the mean over the splits that test it); ``splits`` index the rows.
    Rows no split tests are calibrated by the map of all rows. ``settings``
    (see ``fit_calibrator``) are shared by every split's map."""
    proba = np.asarray(proba, dtype=np.float64)
    total, times = np.zeros_like(proba), np.zeros(len(proba))
    for train, test in splits:
        sw = None if sample_weight is None else sample_weight[train]
        calibrator = fit_calibrator(method, proba[train], codes[train], sw, settings)
        total[test] += calibrator.transform(proba[test])
        times[test] += 1
    untested = times == 0
    if untested.any():
        calibrator = fit_calibrator(method, proba, codes, sample_weight, settings)
        total[untested] = calibrator.transform(proba[untested])
        times[untested] = 1
    return total / times[:, None]


class _CalibratedProbabilities:
    """The ``calibration`` option of the fused classifiers.

    A fuser provides ``_probability_rows()``: its fused OOF probabilities
    (fusion step held out where it learns one), the rows' label codes, row
    weights and splits of those rows (None or none: stratified 5-fold).
    ``predict_proba`` then passes its output through ``_calibrated``.
    """

    def _calibration_method(self):
        """The calibration that applies: None, or one of ``CALIBRATIONS``.
        ``"auto"``: Dirichlet calibration for rank voting, whose fused scores
        are quantiles, not probabilities (one temperature left them 10-30 %
        above soft voting's log-loss); none elsewhere."""
        if self.calibration == "auto":
            return "dirichlet" if getattr(self, "voting", None) == "rank" else None
        return self.calibration

    def _check_calibration(self):
        """Before any member is fitted: a calibration asked for needs one
        label per row and fused probabilities (not hard votes)."""
        if self.calibration in (None, "auto"):
            return
        if is_multi_output(self.classes_):
            raise ValueError(
                f"calibration={self.calibration!r} calibrates one label per row; this y has "
                "several outputs (set calibration=None)."
            )
        if getattr(self, "voting", None) == "hard":
            raise ValueError(
                f"calibration={self.calibration!r}: hard voting gives no probabilities to "
                "calibrate; use soft or rank voting, or calibration=None."
            )

    def _fit_calibration(self):
        """``calibrator_`` from the fused OOF probabilities, and those
        probabilities calibrated without their own split (for
        ``fused_cv_score_`` and ``predict_set``). Called at the end of fit."""
        self.calibrator_ = self._calibrated_rows_ = None
        method = self._calibration_method()
        if method is None:
            return self
        if not hasattr(self, "predict_proba"):
            raise ValueError(
                f"calibration={self.calibration!r} calibrates probabilities, which this "
                f"{type(self).__name__} does not give (set calibration=None)."
            )
        proba, codes, sample_weight, splits = self._probability_rows()
        if not splits:
            splits = held_out_splits(codes, classifier=True)
        self.calibrator_ = fit_calibrator(method, proba, codes, sample_weight)
        # The splits' maps take what the map of all rows chose (Dirichlet's
        # penalty, one of six), as the per-row fusers' shrinkage.
        self._calibrated_rows_ = cross_calibrated(
            method, proba, codes, sample_weight, splits, self.calibrator_.settings
        )
        self._score_calibrated_fusion()
        return self

    def _score_calibrated_fusion(self):
        """``fused_oof_predictions_`` and ``fused_score_`` of the calibrated
        fusion, what ``predict_proba`` gives: the fused OOF probabilities
        passed through ``calibrator_`` (in-sample for it, as for the weights;
        ``fused_cv_score_`` calibrates each row without its split)."""
        fused = np.asarray(self.fused_oof_predictions_, dtype=np.float64)
        tested = np.all(np.isfinite(fused), axis=1)
        calibrated = np.full_like(fused, np.nan)
        calibrated[tested] = self.calibrator_.transform(fused[tested])
        self.fused_oof_predictions_ = calibrated
        self.fused_score_ = self._score_fused_rows(calibrated, tested)

    def _calibrated(self, proba):
        calibrator = getattr(self, "calibrator_", None)
        return proba if calibrator is None else calibrator.transform(proba)

    def _fold_wise_calibration(self):
        """Whether test outputs come from fold models that are calibrated one
        by one: the calibrator learnt from single fold models' fused
        probabilities, and their mean is less sure than any of them."""
        return (
            getattr(self, "calibrator_", None) is not None
            and getattr(self, "fold_estimators_", None) is not None
        )

    def _calibrated_fusion(self, fused):
        """Calibrated fused probabilities; ``fused(fold)`` gives them before
        calibration from one fold's models (``fold=None``: as fitted). With
        fold models, each fold's fusion is calibrated, then averaged."""
        if not self._fold_wise_calibration():
            return self._calibrated(fused(None))
        n_folds = len(self.fold_estimators_[0])
        return sum(self.calibrator_.transform(fused(f)) for f in range(n_folds)) / n_folds

    def _calibrated_log(self, log_proba):
        calibrator = getattr(self, "calibrator_", None)
        return log_proba if calibrator is None else calibrator.transform_log(log_proba)

    def _calibration_reorders(self):
        """Whether calibrated probabilities may rank a row's classes otherwise,
        so ``predict`` must take their argmax."""
        calibrator = getattr(self, "calibrator_", None)
        return calibrator is not None and not calibrator.order_preserving

    def _calibration_probabilities(self):
        """What ``predict_set`` calibrates on: the probabilities ``predict_proba``
        would give the OOF rows, without their split, and their label codes."""
        proba, codes = self._probability_rows()[:2]
        if getattr(self, "_calibrated_rows_", None) is not None:
            proba = self._calibrated_rows_
        return proba, codes
