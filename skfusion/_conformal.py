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

from ._compat import Interval, StrOptions, validate_params
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

    @available_if(_has_set_source)
    def predict_set(self, X, coverage=0.9, method="lac", class_conditional=False, randomized=True):
        """Conformal prediction sets: every label that conformity allows.

        Calibrated on the fused out-of-fold (OOF) probabilities of the
        training rows with their fusion step cross-validated (as in
        ``fused_cv_score_``; a weight-space fuser's fold models' fused
        probabilities), so no row calibrates a fusion it helped learn. With
        exchangeable rows, a set holds the true label with probability at
        least ``coverage``.

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

        Returns
        -------
        sets : ndarray of bool of shape (n_samples, n_classes)
            ``sets[i, j]``: whether ``classes_[j]`` is in row i's set.
        """
        _check_set_params(coverage, method, class_conditional, randomized)
        check_is_fitted(self)
        if is_multi_output(self.classes_):
            raise ValueError("predict_set takes one label per row; this y has several outputs.")
        proba, codes = self._calibration_probabilities()
        test_proba = self.predict_proba(X)
        cal_draws = test_draws = None
        if method == "aps" and randomized:
            rng = numpy_generator(self.random_state)
            cal_draws, test_draws = rng.random(len(codes)), rng.random(len(test_proba))
        calibration = label_scores(proba, method, cal_draws)[np.arange(len(codes)), codes]
        if class_conditional:
            threshold = np.array(
                [
                    conformal_threshold(calibration[codes == c], coverage)
                    for c in range(len(self.classes_))
                ]
            )
        else:
            threshold = conformal_threshold(calibration, coverage)
        if method == "aps" and not randomized:
            # Every label up to the one whose mass crosses the threshold: a
            # superset of the labels within it, so never empty.
            above = label_scores(test_proba, method, np.zeros(len(test_proba)))
            return above < threshold
        return label_scores(test_proba, method, test_draws) <= threshold


@validate_params(
    {
        "coverage": [Interval(numbers.Real, 0, 1, closed="neither")],
        "method": [StrOptions(set(SET_METHODS))],
        "class_conditional": ["boolean"],
        "randomized": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def _check_set_params(coverage, method, class_conditional, randomized):
    """Validate ``predict_set``'s parameters as sklearn validates a function's."""
