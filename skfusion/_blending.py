"""Weighted blending: soft, hard and rank voting with given or learnt weights."""

import numbers

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import _MemberPredictionColumns, _MultiLabelTags, _OutputFusion
from ._calibration import CALIBRATION_CONSTRAINT, _CalibratedProbabilities
from ._compat import Interval, StrOptions, _fit_context, validate_params
from ._conformal import _ConformalIntervals, _ConformalSets
from ._kernels import get_kernel, member_list
from ._kernels._contract import all_finite
from ._oof import (
    check_model_predictions,
    check_model_probabilities,
    is_multi_output,
    label_codes,
    labels_from_scores,
    output_slices,
    split_outputs,
)
from ._scoring import (
    OBJECTIVE_CONSTRAINT,
    SCORING_CONSTRAINT,
    get_scorer,
    is_builtin_objective,
    report_scores,
    score_predictions,
)
from .weights import (
    caruana_weights,
    check_weights,
    optimized_weights,
    score_weights,
)

WEIGHTINGS = ("score", "optimize", "caruana")


# ---------------------------------------------------------------------------
# array level: one implementation for `blend` and the estimators
# ---------------------------------------------------------------------------
# Integer labels up to this value are voted on directly (one count per label
# value); larger or negative ones are compacted to 0..K-1 first, so memory
# stays bounded by rows x members whatever the label values.
HARD_VOTE_DIRECT_MAX_LABEL = 1023


def _rank_normalised(scores, sorted_reference):
    """Quantiles of a member's class scores in its reference, rows summing to 1.

    1-D scores (a binary model's score of the positive class) give their
    quantiles as they are.
    """
    quantiles = get_kernel("rank_map", scores)(scores, sorted_reference)
    if quantiles.ndim == 1:
        return quantiles
    total = quantiles.sum(axis=1, keepdims=True)
    uniform = np.full_like(quantiles, 1.0 / quantiles.shape[1])
    return np.divide(quantiles, total, out=uniform, where=total > 0)


def _soft(outputs, weights):
    return get_kernel("soft_vote", outputs)(outputs, weights)


def _hard(labels, weights, n_classes):
    return get_kernel("hard_vote", labels)(labels, weights, n_classes)


def _hard_vote_labels(predictions, members, weights):
    """Weighted plurality vote of label arrays of any dtype (the winning label)."""
    if all(np.issubdtype(p.dtype, np.integer) for p in members):
        # A block's range in one pass in its own order, not member by member.
        parts = [predictions] if isinstance(predictions, np.ndarray) else members
        low = min(int(p.min(initial=0)) for p in parts)
        high = max(int(p.max(initial=0)) for p in parts)
        if low >= 0 and high <= HARD_VOTE_DIRECT_MAX_LABEL:
            # A label block goes to the kernel as it is, read row by row.
            given = predictions if isinstance(predictions, np.ndarray) else members
            return _hard(given, weights, high + 1)
    labels = np.unique(np.concatenate([p.ravel() for p in members]))
    codes = [np.searchsorted(labels, p) for p in members]
    return labels[_hard(codes, weights, len(labels))]


@validate_params(
    {
        "predictions": ["array-like"],
        "weights": ["array-like", None],
        "voting": [StrOptions({"soft", "hard", "rank"})],
        "reference": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def blend(predictions, weights=None, *, voting="soft", reference=None):
    """Blend the predictions of several models.

    Parameters
    ----------
    predictions : list of ndarray or ndarray
        One array per model, ``(n_samples,)`` (regression values, a binary
        model's score of the positive class, or class labels for hard
        voting) or ``(n_samples, n_classes)`` (class scores), or one array
        with models on axis 1: ``(n_samples, n_models)`` or
        ``(n_samples, n_models, n_classes)``. A list is read as is, never
        stacked into one block; a block is read in its own memory order.
        NaN or inf in a model's predictions is a ValueError naming the
        model (its index) and the number of rows (for soft voting, in a
        model of weight > 0: one of weight 0 is not read). Soft voting
        averages class scores as probabilities: a model of weight > 0 whose
        rows are not non-negative and summing to 1 (within 1e-4) is a
        ValueError naming it; rank and hard voting take any scores.
    weights : array-like of shape (n_models,), default=None
        Non-negative model weights (normalised to sum 1); None is uniform.
    voting : {"soft", "hard", "rank"}, default="soft"
        ``"soft"``: weighted mean. ``"hard"``: weighted plurality vote of
        labels (or of each model's argmax class when class scores are given),
        ties to the lowest label. ``"rank"``: each model's class scores are
        mapped to their quantile in that model's ``reference`` scores
        (rows normalised to sum 1; 1-D scores keep their quantile), then
        averaged with the weights.
    reference : list of ndarray or ndarray, default=None
        For ``voting="rank"``: each model's out-of-fold class scores,
        ``(n_reference, n_classes)`` (or ``(n_reference,)``) per model.

    Returns
    -------
    blended : ndarray
        ``(n_samples, n_classes)`` for soft and rank voting of class scores,
        ``(n_samples,)`` for regression, 1-D scores and hard voting (the
        winning label, or the winning class index when class scores were
        given).

    See Also
    --------
    WeightedBlender : The estimator that learns the weights.
    skfusion.weights.optimized_weights : Fit weights from OOF predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion import blend
    >>> p1 = np.array([[0.9, 0.1], [0.4, 0.6]])
    >>> p2 = np.array([[0.5, 0.5], [0.2, 0.8]])
    >>> blend([p1, p2], weights=[3, 1])
    array([[0.8 , 0.2 ],
           [0.35, 0.65]])
    >>> blend(np.array([[0, 1, 1], [2, 2, 0]]), voting="hard")
    array([1, 2])
    """
    members = member_list(predictions)
    # Hard votes add the weights as given: normalising could break exact ties.
    weights = check_weights(weights, len(members), normalize=voting != "hard")
    if voting == "soft":
        given = members if isinstance(predictions, (list, tuple)) else predictions
        blended = _soft(given, weights)
        # NaN and inf propagate: a finite blend had none in any model that
        # counts (weight > 0); only a non-finite one needs the models read.
        if not all_finite(blended, np):
            check_model_predictions(predictions, members)
        if blended.ndim == 2:  # class scores are averaged as probabilities
            check_model_probabilities(predictions, members, weights)
        return blended
    check_model_predictions(predictions, members)
    if voting == "rank":
        if reference is None:
            raise ValueError("voting='rank' needs `reference`: each model's OOF class scores.")
        references = member_list(reference)
        check_model_predictions(reference, references, "reference")
        if len(references) != len(members):
            raise ValueError(
                f"reference has {len(references)} models but predictions have {len(members)}."
            )
        mapped = [_rank_normalised(p, np.sort(r, axis=0)) for p, r in zip(members, references)]
        return _soft(mapped, weights)
    if members[0].ndim == 2:
        return _hard([np.argmax(p, axis=1) for p in members], weights, members[0].shape[1])
    return _hard_vote_labels(predictions, members, weights)


# ---------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------
def _one_row_per_output(inputs, y, common):
    """Multi-output data as one row per (row, output) pair, for weight learning.

    One weight vector is shared by the outputs: the built-in losses of the
    pairs add up to the outputs' summed log-loss or squared error (fit
    refuses other objectives). A classifier's outputs are padded to the
    largest class count with probability 0, which never carries a true class.
    """
    classes = common["classes"]
    n_outputs = y.shape[1]
    if classes is None:
        inputs = [np.asarray(o).reshape(-1) for o in inputs]
        y = np.asarray(y).reshape(-1)
    else:
        width = max(len(c) for c in classes)
        padded = np.zeros((len(inputs), len(y), n_outputs, width))
        for t, cols in enumerate(output_slices(classes)):
            padded[:, :, t, : cols.stop - cols.start] = np.stack(inputs)[:, :, cols]
        inputs = list(padded.reshape(len(inputs), -1, width))
        y = label_codes(y, classes).reshape(-1)
        classes = np.arange(width)
    sample_weight = common["sample_weight"]
    if sample_weight is not None:
        sample_weight = np.repeat(sample_weight, n_outputs)
    return inputs, y, {**common, "classes": classes, "sample_weight": sample_weight}


class _BaseBlender(_OutputFusion):
    _parameter_constraints: dict = {
        **_OutputFusion._parameter_constraints,
        "weights": [None, "array-like"],
        "weighting": [None, StrOptions(set(WEIGHTINGS))],
        "objective": OBJECTIVE_CONSTRAINT,
        "scoring": SCORING_CONSTRAINT,
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    _voting = "soft"  # the classifier has a parameter instead

    def _needs_oof(self):
        # A cv given asks for held-out predictions; fold-averaged test outputs
        # come from the fold models, which make OOF predictions anyway.
        return (
            self.cv is not None
            or self.weighting is not None
            or self.scoring is not None
            or self._voting == "rank"
            or self.test_predictions == "fold_average"
            or self._calibration_method() is not None
        )

    def _calibration_method(self):
        return None  # the classifier's calibration option overrides this

    def _fit_blend(self, X, y, sample_weight, groups, params, classes=None):
        names, members = self._validate_members()
        member_names = [name for name, _ in members]
        given = self._given_weights()
        methods = [self._member_method(name, est) for name, est in members]
        sample_weight, fit_params, split_params = self._fit_inputs(
            members, y, sample_weight, groups, params
        )

        need_oof = self._needs_oof()
        result = self._cross_fit(
            members,
            X,
            y,
            methods=methods if need_oof else None,
            fit_params=fit_params,
            split_params=split_params,
            classes=classes,
        )
        self._methods = methods
        self._rank_references = None
        # Documented attributes that only OOF predictions give are None without them.
        self.oof_predictions_ = self.fused_oof_predictions_ = None
        self.member_scores_ = self.fused_score_ = self.picks_ = None
        if not need_oof:
            self._set_weights(given if given is not None else np.ones(len(members)))
            return self

        raw = result.member_oof()
        self.oof_predictions_ = np.moveaxis(result.oof, 0, 1)
        if self._voting == "rank":
            self._rank_references = [np.sort(r, axis=0) for r in raw]
        inputs = self._fusion_inputs(raw)
        y_fit, sw_fit = result.at_oof_rows(y), result.at_oof_rows(sample_weight)
        if given is None:
            raw, picks = self._learnt_weights(inputs, y_fit, sw_fit)
            self.picks_ = None if picks is None else [member_names[i] for i in picks]
        self._set_weights(raw if given is None else given)
        fused = self._blend_values(inputs)
        self.fused_oof_predictions_ = result.at_all_rows(self._fused_output(fused))
        # Rank quantiles are normalised per row like probabilities; hard votes
        # are one-hot labels.
        response = "predict" if self._voting == "hard" else "predict_proba"
        report_scores(
            self,
            get_scorer(self.scoring, classifier=classes is not None),
            inputs,
            fused,
            y_fit,
            classes=classes,
            sample_weight=sw_fit,
            response=response,
        )
        self._keep_fusion_data(result, inputs, inputs, y_fit, sw_fit, response, inputs)
        return self

    def _learnt_weights(self, inputs, y, sample_weight):
        """Raw weights of ``weighting`` (uniform when None) from the OOF inputs,
        and Caruana's picks in order (member indices; None for other weightings)."""
        classes = getattr(self, "classes_", None)
        common = {
            "sample_weight": sample_weight,
            "classes": classes,
            # A regressor's 1-D outputs are values even when y has two values.
            "target_type": None if classes is not None else "continuous",
        }
        if self.weighting is None:
            return np.ones(len(inputs)), None
        if np.ndim(y) == 2:
            inputs, y, common = _one_row_per_output(inputs, y, common)
        if self.weighting == "score":
            return score_weights(inputs, y, objective=self.objective, **common), None
        if self.weighting == "optimize":
            return optimized_weights(inputs, y, objective=self.objective, **common), None
        counts, picks = caruana_weights(
            inputs, y, n_iter=self.n_iter, objective=self.objective, return_picks=True, **common
        )
        return np.round(counts * self.n_iter), picks

    def _fold_fusion(self, learn, y, sample_weight, fuse):
        # Given weights learn nothing: the fold blends with them as they are.
        raw = self._vote_weights if self.weighting is None else None
        if raw is None:
            raw = self._learnt_weights(learn, y, sample_weight)[0]
        return self._blend_values(fuse, raw)

    @property
    def pick_scores_(self):
        """``fused_score_`` of the first t Caruana picks, t = 1 .. n_iter."""
        check_is_fitted(self)
        if getattr(self, "picks_", None) is None:
            return None
        if getattr(self, "_pick_scores_", None) is None:
            data = self._fusion_data_
            inputs, y, sample_weight = data.fuse, data.y, data.sample_weight
            index = {name: m for m, name in enumerate(self._member_names())}
            scorer = get_scorer(self.scoring, classifier=is_classifier(self))
            counts, scores = np.zeros(len(index)), []
            for name in self.picks_:
                counts[index[name]] += 1
                blended = self._blend_values(inputs, counts)
                scores.append(
                    score_predictions(
                        scorer,
                        blended,
                        y,
                        classes=getattr(self, "classes_", None),
                        sample_weight=sample_weight,
                        response=data.response,
                    )
                )
            self._pick_scores_ = scores
        return self._pick_scores_

    def _subset_fusion(self, members_in):
        raw = self._vote_weights * members_in
        return self._blend_values(self._fusion_data_.fuse, raw) if raw.sum() > 0 else None

    def _linear_pool_weights(self):
        return None if self._voting == "hard" else self._vote_weights

    def _fusion_values(self, predictions, X):
        return self._fusion_inputs(predictions)

    def _fused_output(self, blended):
        """The fused OOF output as ``predict_proba`` / ``predict`` would give it."""
        return blended

    def _check_builtin_objective_for(self, y):
        """A 2-D y learns one weight vector from a built-in loss only."""
        if np.ndim(y) == 2 and self.weighting is not None:
            classifier = is_classifier(self)
            if not is_builtin_objective(self.objective, classifier=classifier):
                loss = "log-loss" if classifier else "squared error"
                raise ValueError(
                    f"A 2-D y learns one weight vector from the {loss} summed over the "
                    f"outputs; objective={self.objective!r} is not supported with it. "
                    "Use objective=None, or one blender per output."
                )

    def _set_weights(self, raw):
        """Keep the weights as learnt or given for hard votes (exact ties) and
        normalised in ``weights_`` (and by name in ``named_weights_``)."""
        self._vote_weights = np.asarray(raw, dtype=np.float64)
        self.weights_ = self._vote_weights / self._vote_weights.sum()
        self._set_named_weights(self.weights_)

    def _fusion_inputs(self, outputs):
        if self._voting == "rank":
            return [_rank_normalised(o, r) for o, r in zip(outputs, self._rank_references)]
        return outputs

    def _blend_values(self, inputs, raw_weights=None):
        """The blend of fusion inputs, as class scores (classifiers) or values,
        with the fitted weights or ``raw_weights`` (not normalised)."""
        raw = self._vote_weights if raw_weights is None else np.asarray(raw_weights, float)
        if self._voting != "hard":
            return _soft(inputs, raw / raw.sum())
        n_classes = inputs[0].shape[1]
        winners = _hard([np.argmax(p, axis=1) for p in inputs], raw, n_classes)
        return np.eye(n_classes)[winners]

    def _active_members(self):
        """Fitted members of non-zero weight: (index, weight as learnt or given,
        not normalised, method)."""
        return [
            (m, w, method)
            for m, (w, method) in enumerate(zip(self._vote_weights, self._methods))
            if w > 0
        ]


class WeightedBlender(
    _CalibratedProbabilities, _ConformalSets, _MultiLabelTags, ClassifierMixin, _BaseBlender
):
    """Soft, hard or rank voting of classifiers with given or learnt weights.

    Weights can be given (``weights``) or learnt (``weighting``):
    proportional to each member's out-of-fold score, optimised on the
    simplex, or chosen by Caruana's greedy ensemble selection. Out-of-fold
    (OOF) predictions are made only when the weights, the voting or the
    ``scoring`` need them; members are then refit on all rows.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member classifiers. A member may be ``"drop"``. Names must be
        unique Python identifiers without ``__``; members' parameters are
        reachable as ``<name>__<param>``.
    weights : array-like of shape (n_estimators,), default=None
        Fixed member weights: one non-negative weight per entry of
        ``estimators`` (a dropped member's is ignored), normalised to sum 1.
        None with ``weighting=None`` is equal weights. Give ``weights`` or
        ``weighting``, not both.
    weighting : {"score", "optimize", "caruana"}, default=None
        How weights are learnt from the members' out-of-fold (OOF)
        predictions; None learns none. ``"score"``: proportional to each
        member's OOF score under ``objective`` (a negated loss gives weights
        proportional to ``1 / loss``; see
        :func:`skfusion.weights.weights_from_scores`). ``"optimize"``:
        minimise ``objective`` of the blend on the simplex with
        scipy.optimize. ``"caruana"``: greedy forward selection with
        replacement, ``n_iter`` picks from the best member; weights are pick
        counts / ``n_iter``.
    voting : {"soft", "hard", "rank"}, default="soft"
        ``"soft"``: weighted mean of ``predict_proba``. ``"hard"``: weighted
        vote of predicted labels, ties to the lowest class. ``"rank"``: each
        member's class scores (``predict_proba``, else
        ``decision_function``) are mapped to their quantile in that member's
        OOF scores, normalised per row, then averaged; a row predicted alone
        gets the same answer as inside a batch. Rank voting always computes
        OOF predictions; its normalised quantiles are no probabilities until
        ``calibration`` makes them so (``"auto"`` does).
    cv : int, cross-validation generator, iterable, float, "prefit" or None, default=None
        Folds of the OOF predictions: an int is (stratified) k-fold, any
        splitter (group, repeated) or iterable of (train, test) works; a
        float in (0, 1) is one stratified hold-out split of that size whose
        rows alone carry OOF predictions; ``"prefit"`` uses the fitted
        members as given and learns only the weights on the data of ``fit``.
        A cv given makes the OOF predictions whatever the weights, so that
        ``fused_cv_score_``, ``predict_set``, ``predict_interval`` and
        ``calibration`` have them. None is 5 folds where the blend needs
        them (a ``weighting``, ``scoring``, rank voting, ``calibration`` or
        ``test_predictions="fold_average"``) and none otherwise: with given
        (or equal) weights alone, the members are fitted once each, as in
        scikit-learn's voting.
    test_predictions : {"refit", "fold_average"}, default="refit"
        ``"refit"``: members are refit on all rows and predict the test rows.
        ``"fold_average"``: no refit (one fit fewer per member); a member's
        test output is the mean of its fold models' outputs (for hard
        voting, their mean one-hot vote), the same kind of model whose OOF
        outputs the weights were learnt from.
    fold_eval_set : str or tuple of str, default=None
        The name of a fit parameter (``"eval_set"`` for XGBoost, CatBoost
        and LightGBM) through which each member that takes it gets, in each
        fold, that fold's held-out rows as ``[(X_held_out, y_held_out)]``,
        its early-stopping set; or a pair of names that get
        ``X_held_out`` and ``y_held_out`` (``("eval_X", "eval_y")``,
        LightGBM 4.7's new names). This leaks a little: the number of boosting
        rounds is chosen on the rows the fold model then predicts out of
        fold, so OOF predictions, and what is learnt from them, are slightly
        optimistic. The fit on all rows (``test_predictions="refit"``) has
        no held-out rows and gets none; ``"fold_average"`` avoids that fit.
        A Pipeline member gets none (its steps would not transform the
        rows). None (default) gives none.
    objective : str or callable, default=None
        What ``weighting`` optimises: an sklearn scorer name or callable,
        maximised. None is the log-loss of the blended probabilities
        (``"neg_log_loss"``, with an analytic gradient and a Caruana kernel);
        another scorer is optimised derivative-free (slower).
    scoring : str, callable, list, tuple, set or dict, default=None
        What is reported in ``member_scores_`` and ``fused_score_``: one
        scorer, or several as in :func:`sklearn.model_selection.cross_validate`.
        None is accuracy (with several outputs, the share of rows with every
        output right). Reporting never changes the weights. Giving a
        ``scoring`` makes OOF predictions even with fixed weights.
    calibration : {"auto", "temperature", "sigmoid", "isotonic", "dirichlet"} or None, \
            default="auto"
        Calibrate the blended probabilities on the OOF rows (blended with
        weights learnt without each row's fold, so nothing leaks).
        ``"temperature"``: one temperature divides the log-probabilities,
        so no row's predicted class changes. ``"sigmoid"``, ``"isotonic"``:
        each class one-vs-rest, as
        :class:`~sklearn.calibration.CalibratedClassifierCV` (isotonic on
        Platt's smoothed targets, never 0 or 1). ``"dirichlet"``: a
        multinomial logistic regression on the log-probabilities (Kull et
        al. 2019), its penalty chosen by cross-validation. With the last
        three, ``predict`` takes the most likely calibrated class. ``"auto"``:
        Dirichlet calibration for rank voting (whose quantiles are no
        probabilities), none for soft voting. Hard voting has no
        probabilities to calibrate. Calibrating makes OOF predictions even
        with fixed weights.
    n_iter : int, default=50
        Number of picks of ``weighting="caruana"``.
    flatten_transform : bool, default=True
        Shape of ``transform``'s output for soft and rank voting:
        ``(n_samples, n_members * n_classes)``, or with False
        ``(n_members, n_samples, n_classes)``, as sklearn's
        :class:`~sklearn.ensemble.VotingClassifier`.
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit, keyed on the member's parameters, the
        fold and the data: tuning only the fusion never refits a member.
    n_jobs : int, default=None
        Parallel member x fold fits (joblib; ``None`` is 1 unless in a
        ``joblib.parallel_config`` context).
    verbose : int, default=0
        1: a progress bar over fits; 2: also each member's OOF score.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of shuffling splitters given without a seed and the
        hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members fitted on all rows (the given ones with ``cv="prefit"``);
        None with ``test_predictions="fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``);
        None with ``"refit"``.
    named_estimators_ : Bunch
        By member name: the fitted member, or with ``"fold_average"`` the
        list of its fold models (dropped ones as ``"drop"``).
    weights_ : ndarray of shape (n_members,)
        Weights of the non-dropped members in ``estimators`` order, summing
        to 1.
    named_weights_ : Bunch
        Weight by member name, every entry of ``estimators`` (``"drop"``
        ones as 0).
    picks_ : list of str or None
        Caruana's picks in order (member names, repeats included); None for
        other weightings.
    pick_scores_ : list or None
        ``fused_score_`` of the blend of the first t picks, for each t (the
        selection path; the last is ``fused_score_``). Computed on first
        access; None for other weightings.
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        The class labels; for a multilabel / multi-output y, one array per
        output.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_classes) or None
        Members' OOF class scores (one-hot votes for hard voting; the mean
        over repeats for repeated CV; NaN on rows a hold-out ``cv`` does not
        predict; with several outputs, each output's class columns side by
        side). None when no OOF predictions were made.
    fused_oof_predictions_ : ndarray of shape (n_samples, n_classes), list or None
        The blend of the OOF predictions with ``weights_``: probabilities
        (soft, rank voting; a list of one array per output for a
        multi-output y, as ``predict_proba``) or labels, ``(n_samples,)``
        (hard voting).
    member_scores_ : dict or None
        Member name to OOF score under ``scoring`` (to a dict metric ->
        score for several metrics). None without OOF predictions.
    fused_score_ : float, dict or None
        OOF score of the blend under ``scoring``; in-sample for the weights,
        which were learnt on the same rows. None without OOF predictions.
    fused_cv_score_ : float, dict or None
        The same score with the fusion step cross-validated: the weights learnt
        again on all folds of the OOF rows but one and applied to the
        left-out fold (the members' folds; 5 folds of the hold-out rows
        for a hold-out or prefit ``cv``), the fused predictions pooled. An
        honest estimate where ``fused_score_`` is in-sample; no member is
        refit. Computed on first access (with ``calibration``, calibrated
        without each row's fold). None without OOF predictions.
    calibrator_ : object or None
        The map from blended to calibrated probabilities that ``calibration``
        learnt (``calibrator_.temperature_`` for temperature scaling); None
        without calibration. ``fused_oof_predictions_`` and
        ``fused_score_`` are before calibration.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedBlenderRegressor : The regressor.
    skfusion.blend : Blend saved predictions.
    sklearn.ensemble.VotingClassifier : Voting with given weights.

    References
    ----------
    .. [1] Caruana, R., Niculescu-Mizil, A., Crew, G., Ksikes, A. (2004).
       Ensemble selection from libraries of models. ICML.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skfusion import WeightedBlender
    >>> X, y = load_iris(return_X_y=True)
    >>> blender = WeightedBlender(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB()),
    ...      ("tree", DecisionTreeClassifier(max_depth=2, random_state=0))],
    ...     weighting="optimize",
    ... ).fit(X, y)
    >>> blender.weights_.shape, float(blender.weights_.sum().round(6))
    ((3,), 1.0)
    >>> blender.predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseBlender._parameter_constraints,
        "voting": [StrOptions({"soft", "hard", "rank"})],
        "calibration": CALIBRATION_CONSTRAINT,
        "flatten_transform": ["boolean"],
    }

    def __init__(
        self,
        estimators,
        *,
        weights=None,
        weighting=None,
        voting="soft",
        cv=None,
        test_predictions="refit",
        fold_eval_set=None,
        objective=None,
        scoring=None,
        calibration="auto",
        n_iter=50,
        flatten_transform=True,
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
        self.weights = weights
        self.weighting = weighting
        self.flatten_transform = flatten_transform
        self.voting = voting
        self.objective = objective
        self.scoring = scoring
        self.calibration = calibration
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.n_iter = n_iter

    @property
    def _voting(self):
        return self.voting

    def _fused_output(self, blended):
        if self.voting == "hard":
            return self.classes_[np.argmax(blended, axis=1)]
        return self._as_proba(blended)

    def _as_proba(self, scores):
        """Blended class scores as ``predict_proba`` gives them: a list, one
        array per output, for a multi-output y."""
        return split_outputs(scores, self.classes_) if is_multi_output(self.classes_) else scores

    def _multi_output_hint(self):
        return "; soft voting takes multilabel and multi-output y" if self.voting != "soft" else ""

    @property
    def _multi_output(self):
        return self.voting == "soft"

    def _member_method(self, name, estimator):
        if self.voting == "soft":
            return self._check_member_method(name, estimator, ["predict_proba"], "voting='soft'")
        if self.voting == "hard":
            return "predict"
        return self._check_member_method(
            name, estimator, ["predict_proba", "decision_function"], "voting='rank'"
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members and learn the weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, passed to the members as given.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (strings, integers or booleans). Soft voting also
            takes a 2-D y (multilabel indicator, or one label column per
            output) when every member does; learnt weights are then one
            vector shared by the outputs, minimising their summed log-loss
            (only the default ``objective`` applies).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every member's ``fit`` and used in the OOF scores; a
            member that cannot take it raises a TypeError naming it.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed to the members and the splitter (needs
            ``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        self : object
            The fitted blender.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y, self.classes_ = self._check_classification_y(y, multi_output=self.voting == "soft")
        self._check_builtin_objective_for(y)
        self._check_prefit_classes()
        self._check_calibration()
        self._fit_blend(X, y, sample_weight, groups, params, classes=self.classes_)
        return self._fit_calibration()

    def _class_scores(self, X, fold=None):
        X, _ = self._check_X(X, reset=False)
        cache = self._output_cache(X)
        active = self._active_members()
        outputs = [self._test_output(cache, m, method, fold) for m, _, method in active]
        if self.voting == "rank":
            kept = [i for i, w in enumerate(self._vote_weights) if w > 0]
            refs = [self._rank_references[i] for i in kept]
            outputs = [_rank_normalised(o, r) for o, r in zip(outputs, refs)]
        return outputs, np.array([w for _, w, _ in active])

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted labels.
        """
        check_is_fitted(self)
        if self.voting == "hard":
            X, _ = self._check_X(X, reset=False)
            cache = self._output_cache(X)
            active = self._active_members()
            labels = [self._test_label_codes(cache, m) for m, _, _ in active]
            weights = np.array([w for _, w, _ in active])
            return self.classes_[_hard(labels, weights, len(self.classes_))]
        return labels_from_scores(self._blended_scores(X), self.classes_)

    def _blended_scores(self, X):
        """Soft / rank blend of the class scores, calibrated where ``calibration`` says."""

        def blended(fold):
            outputs, weights = self._class_scores(X, fold)
            return _soft(outputs, weights / weights.sum())

        return self._calibrated_fusion(blended)

    def _proba_available(self):
        return self.voting != "hard"

    @available_if(_proba_available)
    def predict_proba(self, X):
        """Blended class probabilities (soft and rank voting).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Weighted mean of the members' probabilities (soft voting) or of
            their normalised OOF quantiles (rank voting), then calibrated
            (``calibration``); for a multi-output
            y, a list of one array per output, as sklearn's multi-output
            classifiers.
        """
        check_is_fitted(self)
        return self._as_proba(self._blended_scores(X))

    def transform(self, X):
        """Member outputs: class scores (soft, rank) or labels (hard).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        outputs : ndarray
            ``(n_samples, n_members * n_classes)`` of each member's
            ``predict_proba`` / ``decision_function`` for soft and rank
            voting (``(n_members, n_samples, n_classes)`` with
            ``flatten_transform=False``); ``(n_samples, n_members)``
            predicted labels for hard.
        """
        if self.voting == "hard":
            return self._member_predictions_side_by_side(X)
        if self.flatten_transform:
            return self._member_outputs_side_by_side(X)
        return np.stack(self._aligned_member_outputs(X))

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``<member>__<class>`` or ``<member>``.

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
        if self.voting == "hard":
            return np.asarray(self._member_names(), dtype=object)
        return self._class_feature_names()


class WeightedBlenderRegressor(
    _ConformalIntervals, RegressorMixin, _MemberPredictionColumns, _BaseBlender
):
    """Weighted mean of regressors with given or learnt weights.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member regressors. A member may be ``"drop"``. Names must be
        unique Python identifiers without ``__``.
    weights : array-like of shape (n_estimators,), default=None
        Fixed member weights, as in :class:`WeightedBlender`.
    weighting : {"score", "optimize", "caruana"}, default=None
        How weights are learnt, as in :class:`WeightedBlender`.
    cv : int, cross-validation generator, iterable, float, "prefit" or None, default=None
        As in :class:`WeightedBlender` (an int is plain k-fold; given, OOF
        predictions are made whatever the weights).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    objective : str or callable, default=None
        What ``weighting`` optimises (a scorer, maximised); None is the
        squared error of the blend (``"neg_mean_squared_error"``, with an
        analytic gradient and a Caruana kernel).
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report; None is R².
    n_iter : int, default=50
        Number of picks of ``weighting="caruana"``.
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar; 2: also each member's OOF score.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members fitted on all rows; None with ``"fold_average"``.
    fold_estimators_ : list of list of estimators or None
        See :class:`WeightedBlender`.
    named_estimators_ : Bunch
        Fitted members, or lists of fold models, by name.
    weights_ : ndarray of shape (n_members,)
        Weights of the non-dropped members in ``estimators`` order, summing
        to 1.
    named_weights_ : Bunch
        Weight by member name (``"drop"`` ones as 0).
    picks_ : list of str or None
        Caruana's picks in order; None for other weightings.
    pick_scores_ : list or None
        ``fused_score_`` of the blend of the first t picks, for each t (the
        selection path; the last is ``fused_score_``). Computed on first
        access; None for other weightings.
    oof_predictions_ : ndarray of shape (n_samples, n_members[, n_outputs]) or None
        Members' OOF predictions, when made.
    fused_oof_predictions_ : ndarray of shape (n_samples[, n_outputs]) or None
        The blend of the OOF predictions, when made.
    member_scores_ : dict or None
        Member name to OOF score under ``scoring``, when OOF predictions
        were made.
    fused_score_ : float, dict or None
        OOF score of the blend (in-sample for learnt weights), when OOF
        predictions were made.
    fused_cv_score_ : float, dict or None
        The fused score with the fusion step cross-validated, as in
        :class:`WeightedBlender`.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedBlender : The classifier.
    sklearn.ensemble.VotingRegressor : Averaging with given weights.

    References
    ----------
    .. [1] Caruana, R., Niculescu-Mizil, A., Crew, G., Ksikes, A. (2004).
       Ensemble selection from libraries of models. ICML.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfusion import WeightedBlenderRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> blender = WeightedBlenderRegressor(
    ...     [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))],
    ...     weighting="caruana",
    ... ).fit(X, y)
    >>> float(blender.weights_.sum().round(6))
    1.0
    """

    _multi_output = True

    def __init__(
        self,
        estimators,
        *,
        weights=None,
        weighting=None,
        cv=None,
        test_predictions="refit",
        fold_eval_set=None,
        objective=None,
        scoring=None,
        n_iter=50,
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
        self.weights = weights
        self.weighting = weighting
        self.objective = objective
        self.scoring = scoring
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.n_iter = n_iter

    def _member_method(self, name, estimator):
        return "predict"

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members and learn the weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, passed to the members as given.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. With several outputs, one weight vector is shared by
            all of them: learnt weights minimise the squared error summed
            over the outputs (only the default ``objective`` applies).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every member's ``fit`` and used in the OOF scores.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted blender.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y = self._check_regression_y(y)
        self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        self._check_builtin_objective_for(y)
        return self._fit_blend(X, y, sample_weight, groups, params)

    def predict(self, X):
        """Weighted mean of the members' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Blended predictions.
        """
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        cache = self._output_cache(X)
        active = self._active_members()
        outputs = [self._test_output(cache, m, "predict") for m, *_ in active]
        weights = np.array([w for _, w, _ in active])
        return _soft(outputs, weights / weights.sum())
