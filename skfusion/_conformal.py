"""Conformal prediction sets of the fused classifiers, calibrated on the
fused out-of-fold probabilities the fit already made (no refit).

A conformity score says how unusual a label is for a row given its
probabilities; the calibration rows' scores of their true labels give a
threshold, and a test row's set holds every label whose score is within
it. With exchangeable rows, the set holds the true label with probability
at least ``coverage`` (Vovk et al. 2005; Romano, Sesia & Candès 2020).

References
----------
.. [1] V. Vovk, A. Gammerman and G. Shafer, "Algorithmic Learning in a
   Random World", Springer, 2005.
.. [2] M. Sadinle, J. Lei and L. Wasserman, "Least ambiguous set-valued
   classifiers with bounded error levels", JASA 114(525), 223-234, 2019.
.. [3] Y. Romano, M. Sesia and E. J. Candès, "Classification with valid and
   adaptive coverage", NeurIPS 33, 2020.
"""

import numbers

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, validate_arguments
from ._kernels import get_kernel
from ._oof import is_multi_output
from ._utils import numpy_generator

SET_METHODS = ("lac", "aps")


def label_scores(proba, method, uniforms=None):
    """``(n, k)``: each label's conformity score for each row (higher: less
    plausible). ``"lac"``: 1 - its probability. ``"aps"``: the probability
    mass of the labels ranked above it plus its own, the latter times a
    uniform draw per row when ``uniforms`` are given (randomised APS)."""
    proba = np.asarray(proba, dtype=np.float64)
    if method == "lac":
        return 1.0 - proba
    order = np.argsort(-proba, axis=1, kind="stable")  # ties: the lower class first
    ranked = np.take_along_axis(proba, order, axis=1)
    above = np.cumsum(ranked, axis=1) - ranked
    own = ranked if uniforms is None else ranked * np.asarray(uniforms)[:, None]
    scores = np.empty_like(ranked)
    np.put_along_axis(scores, order, above + own, axis=1)
    return scores


def conformal_threshold(scores, coverage):
    """The ``ceil((n + 1) coverage)``-th smallest calibration score; inf when
    that exceeds n (too few rows for the coverage: every label is kept)."""
    scores = np.sort(np.asarray(scores, dtype=np.float64))
    rank = int(np.ceil((len(scores) + 1) * coverage))
    return np.inf if rank > len(scores) else scores[rank - 1]


def _has_set_source(fuser):
    """``available_if`` check: the fused output has class probabilities."""
    return hasattr(fuser, "predict_proba")


class _ConformalSets:
    """``predict_set`` for the fused classifiers."""

    def _calibration_probabilities(self):
        """What the sets calibrate on: the fused OOF probabilities (fusion
        step cross-validated) and the rows' label codes. The calibration
        option, where a fuser has it, calibrates them first."""
        return self._probability_rows()[:2]

    @available_if(_has_set_source)
    def predict_set(
        self,
        X,
        coverage=0.9,
        method="lac",
        class_conditional=False,
        randomized=True,
        cv_plus=False,
    ):
        """Conformal prediction sets: every label that conformity allows.

        Calibrated on the fused out-of-fold (OOF) probabilities of the
        training rows with their fusion step cross-validated (as in
        ``fused_cv_score_``; a weight-space fuser's fold models' fused
        probabilities), so no row calibrates a fusion it helped learn. With
        exchangeable rows, a set holds the true label with probability at
        least ``coverage``.

        The test rows are scored by ``predict_proba`` (the refit members'
        fusion, or the fold models' with ``test_predictions="fold_average"``),
        or with ``cv_plus=True`` by each fold's fusion.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.
        coverage : float, default=0.9
            The probability that a set holds the true label, in (0, 1).
        method : {"lac", "aps"}, default="lac"
            The conformity score. ``"lac"`` (least ambiguous set-valued
            classifier, Sadinle et al. 2019): 1 minus the label's
            probability; the smallest sets on average, possibly empty for a
            row no label fits. ``"aps"`` (adaptive prediction sets, Romano
            et al. 2020): the probability mass of the labels ranked above
            the label plus its own; larger sets where the fusion is unsure.
        class_conditional : bool, default=False
            Calibrate each class on its own rows (Mondrian conformal), so
            the coverage holds for every true class, not only on average.
        randomized : bool, default=True
            APS only: count a label's own probability times a uniform draw
            per row (seeded by ``random_state``), which makes the coverage
            exact rather than at least ``coverage``; a set may then be empty.
            False keeps every label up to the one whose mass crosses the
            threshold (never empty; covers more often than asked).
        cv_plus : bool, default=False
            CV+ sets (Romano et al. 2020, after Barber et al. 2021): each
            label of a test row is scored by every fold's fusion and
            compared with the rows that fold did not see, so test and
            calibration scores come from the same models, with a
            finite-sample guarantee of ``1 - 2 (1 - coverage)``. Needs the
            fold models (``test_predictions="fold_average"`` and folds that
            test each row once). Conservative in practice: sets cover more
            often than asked (see the uncertainty user guide).

        Returns
        -------
        sets : ndarray of bool of shape (n_samples, n_classes)
            ``sets[i, j]``: whether ``classes_[j]`` is in row i's set.
        """
        validate_arguments(
            _SET_ARGUMENTS,
            {
                "coverage": coverage,
                "method": method,
                "class_conditional": class_conditional,
                "randomized": randomized,
                "cv_plus": cv_plus,
            },
            f"{type(self).__name__}.predict_set",
        )
        check_is_fitted(self)
        if is_multi_output(self.classes_):
            raise ValueError("predict_set takes one label per row; this y has several outputs.")
        if cv_plus and not self._has_fold_models():
            raise ValueError(
                "cv_plus=True needs the members' fold models: fit with "
                "test_predictions='fold_average' (and a cv of folds that test each row once)."
            )
        proba, codes = self._calibration_probabilities()
        if cv_plus:
            # CV+: each test row is scored by every fold's fusion, and compared
            # with the rows that fold's models did not see.
            X = self._check_X(X, reset=False)[0]
            fold_proba = self._fold_fused_predictions(X)
            test_proba = np.stack(
                [self._calibrated(fold_proba[:, f]) for f in range(fold_proba.shape[1])], axis=1
            )
            fold_of = self._calibration_folds()
        else:
            test_proba = self.predict_proba(X)[:, None]  # one "fold": the fitted fusion
            fold_of = np.zeros(len(codes), dtype=np.intp)
        n_test = len(test_proba)
        cal_draws = test_draws = None
        if method == "aps" and randomized:
            rng = numpy_generator(self.random_state)
            cal_draws, test_draws = rng.random(len(codes)), rng.random(n_test)
        calibration = label_scores(proba, method, cal_draws)[np.arange(len(codes)), codes]
        # APS not randomised keeps every label up to the one whose mass crosses
        # the threshold: the mass above a label must be below it (never empty).
        strict = method == "aps" and not randomized
        own = np.zeros(n_test) if strict else test_draws
        test_scores = np.stack(
            [label_scores(test_proba[:, f], method, own) for f in range(test_proba.shape[1])],
            axis=1,
        )
        groups = [np.arange(len(codes))]
        if class_conditional:
            groups = [np.flatnonzero(codes == c) for c in range(len(self.classes_))]
        sets = np.empty((n_test, len(self.classes_)), dtype=bool)
        for c, rows in enumerate(groups):
            labels = slice(None) if len(groups) == 1 else slice(c, c + 1)
            below = conformal_counts(
                calibration[rows], fold_of[rows], test_scores[:, :, labels], strict
            )
            sets[:, labels] = below < np.ceil((len(rows) + 1) * coverage)
        return sets


def conformal_counts(scores, fold_of, test_scores, strict=False):
    """``(n_test, n_labels)``: how many calibration ``scores`` lie below each
    test score of the fold that did not see them (``test_scores`` ``(n_test,
    n_folds, n_labels)``, ``fold_of`` each calibration row's fold); with
    ``strict``, at or below. A label is in the set when its count is below
    ``ceil((n + 1) coverage)``: with one fold, when its score is within the
    split-conformal threshold; with several, CV+ (Romano et al. 2020)."""
    side = "right" if strict else "left"
    counts = np.zeros((test_scores.shape[0], test_scores.shape[2]), dtype=np.intp)
    for f in range(test_scores.shape[1]):
        reference = np.sort(scores[fold_of == f])
        counts += np.searchsorted(reference, test_scores[:, f], side=side)
    return counts


_SET_ARGUMENTS = {
    "coverage": [Interval(numbers.Real, 0, 1, closed="neither")],
    "method": [StrOptions(set(SET_METHODS))],
    "class_conditional": ["boolean"],
    "randomized": ["boolean"],
    "cv_plus": ["boolean"],
}


INTERVAL_METHODS = ("cv_plus", "cv", "mixture", "conformal_mixture")


def cv_plus_bounds(fold_predictions, fold_of, residuals, coverage, scale=None):
    """CV+ intervals (Barber et al. 2021) for every test row at once.

    Row j's lower bound is the ``floor(alpha (n + 1))``-th smallest of
    ``mu_{k(i)}(x_j) - s_j R_i`` over the n calibration rows i, its upper
    bound the ``ceil((1 - alpha) (n + 1))``-th smallest of ``mu_{k(i)}(x_j)
    + s_j R_i``, where ``mu_k`` is the model that did not see fold k,
    ``R_i`` row i's residual and ``s_j`` 1 (or the row's scale when
    normalised); infinite where the rank falls outside 1..n. The
    ``cv_plus_bounds`` kernel computes them.

    Parameters: ``fold_predictions`` ``(n_test, n_folds)``, ``fold_of``
    ``(n,)`` each calibration row's fold, ``residuals`` ``(n,)``, ``scale``
    ``(n_test,)`` or None. Returns ``(n_test, 2)``.
    """
    n, alpha = len(residuals), 1.0 - coverage
    low_rank = int(np.floor(alpha * (n + 1)))
    high_rank = int(np.ceil((1.0 - alpha) * (n + 1)))
    # The kernel's work is n_test x n candidates, not its input size: a
    # zero-copy view of that shape lets the engine choose by it.
    work = np.broadcast_to(np.float64(0), (len(fold_predictions), n))
    kernel = get_kernel("cv_plus_bounds", fold_predictions, work)
    return kernel(fold_predictions, fold_of, residuals, low_rank, high_rank, scale)


def _spread_floor(spread):
    """Members' spread floored at its 5th percentile on the calibration rows,
    so a row where members agree exactly does not get a zero-width interval."""
    floor = np.quantile(spread, 0.05)
    return floor if floor > 0 else (spread[spread > 0].min() if np.any(spread > 0) else 1.0)


class _ConformalIntervals:
    """``predict_interval`` for the fused regressors (conformal; BMA also
    keeps its mixture quantiles)."""

    def predict_interval(self, X, coverage=0.9, method=None, normalized=False):
        """Prediction intervals holding the target with probability ``coverage``.

        Conformal intervals from what the fit already made: the members'
        out-of-fold (OOF) predictions and, for CV+, their fold models. The
        residuals are those of the fused OOF predictions with the fusion
        step cross-validated (as in ``fused_cv_score_``), so no residual
        comes from a fusion that saw its row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.
        coverage : float, default=0.9
            The probability that an interval holds the target, in (0, 1).
        method : {"cv_plus", "cv", "mixture", "conformal_mixture"}, default=None
            ``"cv_plus"`` (CV+, Barber et al. 2021): each OOF row's residual
            around the prediction of the fold models that did not see it
            (needs the fold models: ``test_predictions="fold_average"``);
            coverage at least ``1 - 2 (1 - coverage)`` in theory, about
            ``coverage`` in practice. ``"cv"``: the fused prediction plus
            or minus the ``coverage`` quantile of the OOF residuals (split
            conformal when ``cv`` holds out one part; cheaper, with no
            finite-sample guarantee across folds). ``"mixture"``
            (Bayesian model averagers only): the central interval of the
            Gaussian mixture of the members, not calibrated.
            ``"conformal_mixture"`` (Bayesian model averagers only): that
            interval widened or narrowed by the conformal quantile of how
            far the OOF targets fall outside their rows' mixture intervals
            (conformalized quantile regression, Romano et al. 2019; the
            weights learnt without each row's fold): calibrated, and as
            adaptive as the mixture. None is
            ``"cv_plus"`` when fold models are kept, else ``"cv"``.
        normalized : bool, default=False
            Scale each residual by the spread of the members' predictions
            on its row (their standard deviation, floored at its 5th
            percentile over the training rows), so intervals are wider
            where members disagree: locally adaptive where the noise is
            not constant. Not for weight-space fusers (one model).

        Returns
        -------
        bounds : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
            Lower and upper bounds (per output for a 2-D y; infinite where
            there are too few OOF rows for the coverage).
        """
        validate_arguments(
            _INTERVAL_ARGUMENTS,
            {"coverage": coverage, "method": method, "normalized": normalized},
            f"{type(self).__name__}.predict_interval",
        )
        check_is_fitted(self)
        if method is None:
            method = "cv_plus" if self._has_fold_models() else "cv"
        if method in ("mixture", "conformal_mixture"):
            if not hasattr(self, "_mixture_interval"):
                raise ValueError(
                    f"method={method!r} is the Bayesian model averager's; "
                    f"{type(self).__name__} has 'cv_plus' and 'cv'."
                )
            if method == "mixture":
                return self._mixture_interval(X, coverage)
            return self._conformal_mixture_interval(X, coverage)
        if method == "cv_plus" and not self._has_fold_models():
            raise ValueError(
                "method='cv_plus' needs the members' fold models: fit with "
                "test_predictions='fold_average' (and a cv of folds that test each row "
                "once), or use method='cv'."
            )
        calibration = self._interval_calibration(normalized)
        X = self._check_X(X, reset=False)[0]
        centre = self._fold_fused_predictions(X) if method == "cv_plus" else self.predict(X)
        scale = self._member_spread(X) if normalized else None
        y, fused, spread = calibration["y"], calibration["fused"], calibration["spread"]
        n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        bounds = []
        for t in range(n_outputs):
            pick = (lambda a: a) if np.ndim(y) == 1 else (lambda a, t=t: a[..., t])
            residuals = np.abs(pick(y) - pick(fused))
            row_scale = None
            if normalized:
                floor = _spread_floor(pick(spread))
                residuals = residuals / np.maximum(pick(spread), floor)
                row_scale = np.maximum(pick(scale), floor)
            if method == "cv_plus":
                bounds.append(
                    cv_plus_bounds(
                        pick(centre), calibration["fold_of"], residuals, coverage, row_scale
                    )
                )
            else:
                half = conformal_threshold(residuals, coverage) * (
                    1.0 if row_scale is None else row_scale
                )
                bounds.append(np.stack([pick(centre) - half, pick(centre) + half], axis=-1))
        return bounds[0] if np.ndim(y) == 1 else np.stack(bounds, axis=1)


_INTERVAL_ARGUMENTS = {
    "coverage": [Interval(numbers.Real, 0, 1, closed="neither")],
    "method": [StrOptions(set(INTERVAL_METHODS)), None],
    "normalized": ["boolean"],
}
