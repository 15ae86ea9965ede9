"""Out-of-fold stacking: a meta-learner on the members' out-of-fold outputs."""

import copy

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import _holds_documents, _MultiLabelTags, _OutputFusion
from ._calibration import CALIBRATION_CONSTRAINT, _CalibratedProbabilities
from ._compat import HasMethods, StrOptions, _fit_context, _num_features, _safe_indexing
from ._conformal import _ConformalIntervals, _ConformalSets
from ._oof import align_output, is_multi_output, split_outputs
from ._scoring import (
    SCORING_CONSTRAINT,
    fused_response,
    get_scorer,
    score_model,
    score_predictions,
    scores_by_member,
)

STACK_METHODS = ("predict_proba", "decision_function", "predict")


def _final_has(method):
    """``available_if`` check: the (fitted, else given) meta-learner has ``method``.

    A multi-output classifier has no ``decision_function``, as sklearn's forests.
    """

    def check(self):
        if method == "decision_function" and is_multi_output(getattr(self, "classes_", None)):
            raise AttributeError("decision_function is not available with a multi-output y.")
        final = getattr(self, "final_estimator_", None) or self._final_template()
        getattr(final[0] if isinstance(final, list) else final, method)
        return True

    return check


def _with_products(columns, features):
    """``columns`` then each column times each feature (``c0*f0, c0*f1, ...,
    c1*f0, ...``): feature-weighted linear stacking's meta-features (Sill et
    al. 2009); sparse when the features are."""
    if sparse.issparse(features):
        features = sparse.csr_matrix(features)
        products = [features.multiply(columns[:, [i]]) for i in range(columns.shape[1])]
        return sparse.hstack([sparse.csr_matrix(columns), *products]).tocsr()
    products = columns[:, :, None] * features[:, None, :]
    return np.hstack([columns, products.reshape(len(columns), -1)])


class _BaseStacker(_OutputFusion):
    _parameter_constraints: dict = {
        **_OutputFusion._parameter_constraints,
        "final_estimator": [None, HasMethods("fit")],
        "passthrough": ["boolean", "array-like", callable],
        "feature_weighted": ["boolean"],
        "scoring": SCORING_CONSTRAINT,
    }

    # A 2-D y: one meta-learner per output, or one that takes a 2-D y.
    _multi_output = True

    def _final_template(self):
        if self.final_estimator is not None:
            return self.final_estimator
        return LogisticRegression() if isinstance(self, ClassifierMixin) else RidgeCV()

    # -- passthrough ------------------------------------------------------
    def _passthrough_columns(self, X):
        """The columns of X passed to the meta-learner, or None."""
        passthrough = self.passthrough
        if passthrough is False or passthrough is None:
            return None
        if _holds_documents(X):
            raise ValueError("passthrough needs a 2-D X; X is 1-D (documents?).")
        if passthrough is True:
            return np.arange(_num_features(X))
        if callable(passthrough):
            passthrough = passthrough(X)
        columns = np.asarray(passthrough)
        if columns.dtype == bool:
            if columns.shape != (_num_features(X),):
                raise ValueError(
                    f"A boolean passthrough mask needs one entry per feature "
                    f"({_num_features(X)}); got shape {columns.shape}."
                )
            return np.flatnonzero(columns)
        if columns.dtype.kind in "OUS":
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    "passthrough names columns, but X has no column names; pass indices."
                )
            missing = [c for c in columns if c not in set(names)]
            if missing:
                raise ValueError(f"passthrough names unknown columns: {missing}.")
            return np.array([int(np.flatnonzero(names == c)[0]) for c in columns])
        n_features = _num_features(X)
        columns = columns.reshape(-1)
        if columns.dtype.kind not in "iu" or np.any(
            (columns < -n_features) | (columns >= n_features)
        ):
            raise ValueError(
                f"passthrough columns must be indices in [-{n_features}, {n_features}) (X has "
                f"{n_features} features), names or a boolean mask; got {columns.tolist()}."
            )
        return np.where(columns < 0, columns + n_features, columns).astype(np.intp)

    # -- meta-features ------------------------------------------------------
    def _member_blocks(self, output, name):
        """A member's aligned output as meta-feature columns, one block per
        output of y: a list of ``(columns, column names)``."""
        classes = getattr(self, "classes_", None)
        if classes is None:  # regressor: one column per output
            if output.ndim == 1:
                return [(output[:, None], [name])]
            return [(output[:, t : t + 1], [f"{name}__{t}"]) for t in range(output.shape[1])]
        if is_multi_output(classes):
            blocks = zip(
                split_outputs(output, classes), classes, [f"__{t}" for t in range(len(classes))]
            )
        else:
            blocks = [(output, classes, "")]
        columns = []
        for scores, labels, output_tag in blocks:
            if len(labels) == 2:
                scores, labels = scores[:, 1:], labels[1:]  # binary: the first column is redundant
            columns.append((scores, [f"{name}{output_tag}__{c}" for c in labels]))
        return columns

    def _member_columns(self, outputs, features=None, feature_names=None):
        """Each member's blocks (see ``_member_blocks``), member after member.

        Feature-weighted (``feature_weighted``): each block's columns are
        followed by their products with every passthrough column, given as
        ``features`` (the rows' values) and ``feature_names``, so a linear
        meta-learner's weight of a member varies linearly with them and the
        products stay the member's (dropped with it, credited to it).
        """
        blocks = self._member_columns_plain(outputs)
        if not self.feature_weighted:
            return blocks
        return [
            [
                (
                    None if features is None else _with_products(columns, features),
                    self._block_names(names, feature_names),
                )
                for columns, names in member
            ]
            for member in blocks
        ]

    def _member_columns_plain(self, outputs):
        return [self._member_blocks(o, n) for o, n in zip(outputs, self._member_names())]

    def _block_names(self, names, feature_names):
        """A block's column names (feature-weighted: and its products')."""
        if not self.feature_weighted:
            return list(names)
        return [*names, *(f"{c}*{f}" for c in names for f in feature_names)]

    def _passthrough_names(self, input_features=None):
        """Names of the passthrough columns (``input_features``, else
        ``feature_names_in_``, else ``x0, x1, ...``), or None."""
        if self._passthrough_columns_ is None:
            return None
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
        if input_features is None:
            input_features = [f"x{i}" for i in range(self.n_features_in_)]
        return [str(input_features[i]) for i in self._passthrough_columns_]

    def _set_meta_layout(self, outputs, y):
        """At fit: the meta-feature names and, for a 2-D y and a meta-learner
        that takes one output, the meta-feature columns of each output (its
        members' and the passthrough ones)."""
        self._member_block_names_ = [
            [names for _, names in member] for member in self._member_columns_plain(outputs)
        ]
        blocks = self._member_columns(outputs, feature_names=self._passthrough_names())
        self._meta_feature_names_ = [n for member in blocks for _, ns in member for n in ns]
        output_of_column = np.concatenate(
            [np.full(len(names), t) for member in blocks for t, (_, names) in enumerate(member)]
        )
        widths = [sum(len(names) for _, names in member) for member in blocks]
        edges = np.cumsum([0, *widths])
        self._member_meta_columns_ = [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:])]
        n_outputs = len(blocks[0])
        joint = get_tags(self._final_template()).target_tags.multi_output
        passthrough = self._passthrough_columns_
        passthrough = np.arange(0 if passthrough is None else len(passthrough))
        self._output_columns_ = (
            None
            if np.ndim(y) == 1 or joint
            else [
                np.concatenate(
                    [np.flatnonzero(output_of_column == t), len(output_of_column) + passthrough]
                )
                for t in range(n_outputs)
            ]
        )

    def _meta_features(self, outputs, X, rows=None):
        """Members' columns (member after member, outputs in order within a
        member; feature-weighted: each block with its products), then
        passthrough columns."""
        columns = self._passthrough_columns_
        X_part = None
        if columns is not None:
            if not hasattr(X, "shape"):  # lists: columns need an array
                X = np.asarray(X)
            X_part = _safe_indexing(X, columns, axis=1)
            if rows is not None:
                X_part = _safe_indexing(X_part, rows)
            if not sparse.issparse(X_part):
                X_part = np.asarray(X_part, dtype=np.float64)
        blocks = self._member_columns(outputs, X_part, self._passthrough_names())
        parts = [c for member in blocks for c, _ in member]
        if X_part is not None:
            parts.append(X_part)
        if any(sparse.issparse(p) for p in parts):
            return sparse.hstack([sparse.csr_matrix(p) for p in parts]).tocsr()
        return np.hstack(parts)

    def _test_outputs(self, X, fold=None):
        """Each member's output on X: the refit member, or its fold models'
        mean, or one fold's model (``fold``)."""
        cache = self._output_cache(X)
        methods = self.stack_method_
        return [self._test_output(cache, m, method, fold) for m, method in enumerate(methods)]

    def _fit_stack(self, X, y, sample_weight, groups, params, classes=None):
        names, members = self._validate_members()
        self.stack_method_ = self._resolve_stack_methods(members)
        sample_weight, fit_params, split_params = self._fit_inputs(
            members, y, sample_weight, groups, params
        )
        self._passthrough_columns_ = self._passthrough_columns(X)
        if self.feature_weighted and self._passthrough_columns_ is None:
            raise ValueError(
                "feature_weighted=True weights the members by the passthrough columns; set "
                "passthrough to those columns (True for all of X)."
            )
        result = self._cross_fit(
            members,
            X,
            y,
            methods=self.stack_method_,
            fit_params=fit_params,
            split_params=split_params,
            classes=classes,
        )
        outputs = result.member_oof()
        self.oof_predictions_ = np.moveaxis(result.oof, 0, 1)
        y_fit, sw_fit = result.at_oof_rows(y), result.at_oof_rows(sample_weight)
        self._set_meta_layout(outputs, y)
        meta = self._meta_features(outputs, X, result.holdout_rows)
        self._fit_final(meta, y_fit, sw_fit)
        scorer = get_scorer(self.scoring, classifier=classes is not None)
        self.member_scores_ = scores_by_member(
            scorer,
            outputs,
            self._member_names(),
            y_fit,
            classes=classes,
            sample_weight=sw_fit,
            responses=self.stack_method_,
        )
        response = self._report_fused(scorer, meta, y_fit, sw_fit, classes)
        self.fused_oof_predictions_ = result.at_all_rows(self.fused_oof_predictions_)
        self._keep_fusion_data(
            result, meta, meta, y_fit, sw_fit, response, responses=self.stack_method_
        )
        return self

    def _fit_final(self, meta, y, sample_weight):
        """``final_estimator_``: one meta-learner, or one per output on its columns."""
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        if self._output_columns_ is None:
            self.final_estimator_ = clone(self._final_template()).fit(meta, y, **params)
        else:
            self.final_estimator_ = [
                clone(self._final_template()).fit(meta[:, cols], y[:, t], **params)
                for t, cols in enumerate(self._output_columns_)
            ]

    def _report_fused(self, scorer, meta, y, sample_weight, classes):
        """``fused_score_`` and the fused predictions on the OOF rows; return
        what the stored fused values are (see ``_stored_answer``).

        The meta-learner is scored on the rows it was fitted on: in-sample.
        """
        final = self.final_estimator_
        if np.ndim(y) == 1:
            self.fused_score_ = score_model(scorer, final, meta, y, sample_weight)
            method = fused_response(final, classes is not None)
            self.fused_oof_predictions_ = getattr(final, method)(meta)
            return method
        # Several outputs: the meta-learners' predictions, replayed.
        fused, stored, response = self._stored_answer(meta)
        self.fused_score_ = score_predictions(
            scorer, stored, y, classes=classes, sample_weight=sample_weight, response=response
        )
        self.fused_oof_predictions_ = fused
        return response

    def _stored_answer(self, meta):
        """The meta-learner(s)' answer on meta-features as ``predict_proba``
        (else ``predict``) gives it, the same as one array that a replayed
        scorer reads (class scores side by side, labels as one-hot votes,
        aligned on ``classes_``), and which of the two methods it is."""
        final = self.final_estimator_
        classes = getattr(self, "classes_", None)
        response = fused_response(
            final[0] if isinstance(final, list) else final, classes is not None
        )
        fused = self._answer(meta, response)
        if isinstance(fused, list):
            stored = np.hstack(fused)
        elif classes is not None:  # labels as one-hot votes; a fold may miss a class
            fitted = None if response == "predict" else final
            stored = align_output(fused, fitted, response, classes)
        else:
            stored = fused
        return fused, stored, response

    def _fold_fusion(self, learn, y, sample_weight, fuse):
        fold = copy.copy(self)  # shares the fitted layout; gets its own meta-learner
        fold._fit_final(learn, y, sample_weight)
        return fold._stored_answer(fuse)[1]

    def _subset_fusion(self, members_in):
        """The meta-learner refit on the subset's columns (and the passthrough ones)."""
        data = self._fusion_data_
        meta, y, sample_weight = data.learn, data.y, data.sample_weight
        member_columns = [c for c, inside in zip(self._member_meta_columns_, members_in) if inside]
        n_member_columns = sum(len(c) for c in self._member_meta_columns_)
        passthrough = np.arange(n_member_columns, meta.shape[1])
        keep = np.concatenate([*member_columns, passthrough]).astype(np.intp)
        if not len(keep):
            return None
        fold = copy.copy(self)  # shares the fitted layout; gets its own meta-learner
        if self._output_columns_ is not None:
            position = np.full(meta.shape[1], -1)
            position[keep] = np.arange(len(keep))
            fold._output_columns_ = [position[c][position[c] >= 0] for c in self._output_columns_]
            if any(not len(c) for c in fold._output_columns_):
                return None
        part = meta[:, keep]
        fold._fit_final(part, y, sample_weight)
        return fold._stored_answer(part)[1]

    def _interval_methods(self):
        return self.stack_method_

    def _fusion_values(self, predictions, X):
        return self._meta_features(predictions, X)

    def _each_output_answer(self, meta, method, **params):
        """``method`` of each output's meta-learner on its columns: labels or
        values side by side, probabilities as a list (one array per output,
        aligned on its classes even when the meta-learner missed one)."""
        answers = [
            getattr(final, method)(meta[:, cols], **params)
            for final, cols in zip(self.final_estimator_, self._output_columns_)
        ]
        if method == "predict_proba":
            return [
                align_output(p, final, method, classes)
                for p, final, classes in zip(answers, self.final_estimator_, self.classes_)
            ]
        if isinstance(answers[0], tuple):  # e.g. predict(X, return_std=True)
            return tuple(np.column_stack(parts) for parts in zip(*answers))
        return np.column_stack(answers)

    def _answer(self, meta, method, **params):
        """``method`` of the meta-learner(s) on meta-features; with several
        outputs, probabilities as a list (one array per output)."""
        if self._output_columns_ is not None:
            return self._each_output_answer(meta, method, **params)
        answer = getattr(self.final_estimator_, method)(meta, **params)
        classes = getattr(self, "classes_", None)
        if method == "predict_proba" and is_multi_output(classes):
            # A joint meta-learner's own format (a list, or one array of
            # binary outputs), aligned on classes_.
            aligned = align_output(answer, self.final_estimator_, method, classes)
            answer = split_outputs(aligned, classes)
        return answer

    def _final_answer(self, X, method, **params):
        """``method`` of the meta-learner(s) on the meta-features of X."""
        return self._answer(self.transform(X), method, **params)  # transform checks fitted

    def transform(self, X):
        """The meta-features of X: members' outputs (and passthrough columns).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        meta_features : ndarray or sparse matrix of shape (n_samples, n_meta_features)
            What the meta-learner sees.
        """
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        return self._meta_features(self._test_outputs(X), X)

    def get_feature_names_out(self, input_features=None):
        """Names of the meta-features: ``<member>__<class>`` / ``<member>``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, for passthrough columns; default
            ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Meta-feature names.
        """
        check_is_fitted(self)
        passthrough = self._passthrough_names(input_features)
        if passthrough is None:
            return np.asarray(self._meta_feature_names_, dtype=object)
        names = [
            n
            for member in self._member_block_names_
            for block in member
            for n in self._block_names(block, passthrough)
        ]
        return np.asarray([*names, *passthrough], dtype=object)


class OOFStacker(
    _CalibratedProbabilities, _ConformalSets, _MultiLabelTags, ClassifierMixin, _BaseStacker
):
    """Stacking of classifiers on out-of-fold predictions.

    A meta-learner (``final_estimator``) is fitted on the members'
    out-of-fold outputs. Beyond sklearn's
    :class:`~sklearn.ensemble.StackingClassifier`: any cv (group splitters,
    repeated splitters whose repeats are averaged, a float for classic
    hold-out blending), test-time meta-features from the fold models
    (``test_predictions="fold_average"``), passthrough of a column subset,
    kept out-of-fold predictions and cached member fits (``memory``).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member classifiers; a member may be ``"drop"``.
    final_estimator : estimator, default=None
        The meta-learner; default :class:`~sklearn.linear_model.LogisticRegression`.
        May be a Pipeline or another ``OOFStacker`` (multi-level stacking).
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the out-of-fold predictions (see :class:`WeightedBlender`).
        A float is one stratified hold-out split: the members are fitted on
        the rest, the meta-learner on the hold-out rows.
    stack_method : {"auto", "predict_proba", "decision_function", "predict"}, \
            list or dict, default="auto"
        Member output used as meta-features; ``"auto"`` takes the first of
        ``predict_proba``, ``decision_function``, ``predict`` the member has.
        A list (one per non-dropped member) or a dict by member name sets
        it per member. Binary probabilities and decision values keep one
        column, as sklearn. ``"predict"`` gives one-hot votes (one column
        for binary targets).
    passthrough : bool, array-like or callable, default=False
        Also give the meta-learner columns of X: all (True), a subset (indices,
        names of a DataFrame's columns, or a boolean mask), or a callable
        ``X -> columns``. Sparse X stays sparse.
    feature_weighted : bool, default=False
        Feature-weighted linear stacking (Sill et al. 2009): the meta-learner
        also sees every member column multiplied by every passthrough column,
        so a linear meta-learner gives each member a weight that is a linear
        function of those columns (a member trusted more in one region than
        another). Needs ``passthrough``; the products count as their
        member's columns (for ``member_subset_scores`` and the inspection
        tools). Scale the columns (a ``StandardScaler`` in a Pipeline before
        the stacker's passthrough, or as the meta-learner's first step) so
        the meta-learner's penalty treats them alike.
    test_predictions : {"refit", "fold_average"}, default="refit"
        ``"refit"``: members are refit on all rows and predict the test rows
        (as sklearn). ``"fold_average"``: no refit; test meta-features are
        the mean of the fold models' outputs, so the meta-learner sees the
        same kind of input at fit and predict time.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report, as in
        :class:`WeightedBlender`; None is accuracy (with several outputs,
        the share of rows with every output right). The meta-learner
        minimises its own loss.
    calibration : {"auto", "temperature", "sigmoid", "isotonic", "dirichlet"} or None, \
            default="auto"
        Calibrate the meta-learner's probabilities on the OOF rows (the
        meta-learner refit without each row's fold, so nothing leaks); see
        :class:`WeightedBlender`. ``"auto"`` is none: a log-loss
        meta-learner is calibrated already.
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit: tuning the meta-learner never
        refits a member.
    n_jobs : int, default=None
        Parallel member x fold fits (joblib; a dask or ray backend spreads
        them over a cluster).
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows (``test_predictions="refit"``); None with
        ``"fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``);
        None with ``"refit"``.
    named_estimators_ : Bunch
        By member name: the refit member, or with ``"fold_average"`` the
        list of its fold models (``"drop"`` ones as ``"drop"``).
    final_estimator_ : estimator or list of estimators
        The fitted meta-learner. For a multilabel / multi-output y, a
        meta-learner that takes a 2-D y (its ``multi_output`` tag) is fitted
        once on all meta-features; any other one per output, each on the
        meta-features of its output (the members' columns of that output and
        the passthrough columns), giving a list.
    stack_method_ : list of str
        The output method of each member.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_classes)
        Out-of-fold outputs, aligned on ``classes_`` (with several outputs,
        each output's class columns side by side, output after output).
    fused_oof_predictions_ : ndarray of shape (n_samples, n_classes) or \
            (n_samples,), or list
        The meta-learner's ``predict_proba`` (else ``predict``) on the
        out-of-fold meta-features it was fitted on (in-sample for it); a
        list of one array per output for a multi-output y, as
        ``predict_proba``.
    member_scores_ : dict
        Member name to out-of-fold score under ``scoring`` (to a dict metric
        -> score for several metrics).
    fused_score_ : float or dict
        The meta-learner's score under ``scoring`` on the out-of-fold
        meta-features it was fitted on (in-sample for the meta-learner).
    fused_cv_score_ : float or dict
        The same score with the fusion step cross-validated: the meta-learner learnt
        again on all folds of the OOF rows but one and applied to the
        left-out fold (the members' folds; 5 folds of the hold-out rows
        for a hold-out or prefit ``cv``), the fused predictions pooled. An
        honest estimate where ``fused_score_`` is in-sample; no member is
        refit. Computed on first access (with ``calibration``, calibrated
        without each row's fold).
    calibrator_ : object or None
        The map from the meta-learner's to calibrated probabilities that
        ``calibration`` learnt; None without calibration.
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels; for a multilabel / multi-output y, one array per output.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    OOFStackerRegressor : The regressor.
    WeightedBlender : Weighted voting instead of a meta-learner.
    sklearn.ensemble.StackingClassifier : Stacking in scikit-learn.

    References
    ----------
    .. [1] Wolpert, D. H. (1992). Stacked generalization. Neural Networks 5(2).
    .. [2] Sill, J., Takacs, G., Mackey, L. and Lin, D. (2009). Feature-weighted
       linear stacking. arXiv:0911.0460.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skfusion import OOFStacker
    >>> X, y = load_iris(return_X_y=True)
    >>> stack = OOFStacker(
    ...     [("nb", GaussianNB()), ("tree", DecisionTreeClassifier(max_depth=3))],
    ...     test_predictions="fold_average",
    ... ).fit(X, y)
    >>> stack.transform(X[:2]).shape
    (2, 6)
    >>> stack.predict(X[:2])
    array([0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseStacker._parameter_constraints,
        "stack_method": [StrOptions({"auto", *STACK_METHODS}), list, dict],
        "calibration": CALIBRATION_CONSTRAINT,
    }

    def __init__(
        self,
        estimators,
        final_estimator=None,
        *,
        cv=5,
        stack_method="auto",
        passthrough=False,
        feature_weighted=False,
        test_predictions="refit",
        fold_eval_set=None,
        scoring=None,
        calibration="auto",
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
        self.final_estimator = final_estimator
        self.stack_method = stack_method
        self.passthrough = passthrough
        self.feature_weighted = feature_weighted
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.scoring = scoring
        self.calibration = calibration

    def _resolve_stack_methods(self, members):
        spec = self.stack_method
        names = [name for name, _ in members]
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"stack_method names unknown members: {sorted(unknown)}.")
            spec = [spec.get(name, "auto") for name in names]
        elif isinstance(spec, list):
            if len(spec) != len(members):
                raise ValueError(
                    f"stack_method has {len(spec)} entries for {len(members)} members."
                )
        else:
            spec = [spec] * len(members)
        methods = []
        for (name, est), method in zip(members, spec):
            if method not in ("auto", *STACK_METHODS):
                raise ValueError(f"stack_method {method!r} for member {name!r} is unknown.")
            candidates = STACK_METHODS if method == "auto" else [method]
            methods.append(self._check_member_method(name, est, candidates, "stack_method"))
        return methods

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members out of fold, then the meta-learner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, passed to the members as given.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a 2-D y (multilabel indicator, or one label
            column per output) when every member takes one (forests, kNN,
            MLP, ``MultiOutputClassifier``); see ``final_estimator_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members and the meta-learner.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted stacker.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y, self.classes_ = self._check_classification_y(y, multi_output=True)
        self._check_prefit_classes()
        self._check_calibration()
        self._fit_stack(X, y, sample_weight, groups, params, classes=self.classes_)
        return self._fit_calibration()

    def predict(self, X, **predict_params):
        """Predict class labels with the meta-learner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.
        **predict_params : dict
            Passed to the meta-learner's ``predict``, as sklearn's
            :class:`~sklearn.ensemble.StackingClassifier` does.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted labels: the most likely calibrated class where
            ``calibration`` may reorder classes.
        """
        if self._calibration_reorders():
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return self._final_answer(X, "predict", **predict_params)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the meta-learner, calibrated (``calibration``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Probabilities; for a multi-output y, a list of one array per
            output, as sklearn's multi-output classifiers.
        """
        if not self._fold_wise_calibration():
            return self._calibrated(self._final_answer(X, "predict_proba"))
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        return self._calibrated_fusion(
            lambda fold: self._answer(
                self._meta_features(self._test_outputs(X, fold), X), "predict_proba"
            )
        )

    @available_if(_final_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the meta-learner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        return self._final_answer(X, "decision_function")


class OOFStackerRegressor(_ConformalIntervals, RegressorMixin, _BaseStacker):
    """Stacking of regressors on out-of-fold predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member regressors; a member may be ``"drop"``.
    final_estimator : estimator, default=None
        The meta-learner; default :class:`~sklearn.linear_model.RidgeCV`.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the out-of-fold predictions (an int is plain k-fold).
    passthrough : bool, array-like or callable, default=False
        Columns of X also given to the meta-learner (see :class:`OOFStacker`).
    feature_weighted : bool, default=False
        Feature-weighted linear stacking on the passthrough columns (see
        :class:`OOFStacker`).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`OOFStacker`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report; None is R².
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar over fits.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows (``test_predictions="refit"``); None with
        ``"fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``);
        None with ``"refit"``.
    named_estimators_ : Bunch
        By member name: the refit member, or with ``"fold_average"`` the
        list of its fold models.
    final_estimator_ : estimator or list of estimators
        The fitted meta-learner. For a 2-D y, a meta-learner that takes a
        2-D y (its ``multi_output`` tag, as the default RidgeCV) is fitted
        once on all meta-features; any other one per output, each on the
        members' predictions of its output (and passthrough columns),
        giving a list.
    stack_method_ : list of str
        ``"predict"`` for every member.
    oof_predictions_ : ndarray of shape (n_samples, n_members) or \
            (n_samples, n_members, n_outputs)
        Out-of-fold predictions.
    fused_oof_predictions_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The meta-learner's predictions on the out-of-fold meta-features it
        was fitted on (in-sample for it).
    member_scores_ : dict
        Member name to out-of-fold score under ``scoring``.
    fused_score_ : float or dict
        The meta-learner's score on the out-of-fold meta-features it was
        fitted on (in-sample for it).
    fused_cv_score_ : float or dict
        The fused score with the fusion step cross-validated, as in
        :class:`OOFStacker`.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    OOFStacker : The classifier.
    sklearn.ensemble.StackingRegressor : Stacking in scikit-learn.

    References
    ----------
    .. [1] Breiman, L. (1996). Stacked regressions. Machine Learning 24, 49-64.
    .. [2] Sill, J., Takacs, G., Mackey, L. and Lin, D. (2009). Feature-weighted
       linear stacking. arXiv:0911.0460.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfusion import OOFStackerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> stack = OOFStackerRegressor(
    ...     [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))]
    ... ).fit(X, y)
    >>> stack.get_feature_names_out().tolist()
    ['ridge', 'tree']
    """

    def __init__(
        self,
        estimators,
        final_estimator=None,
        *,
        cv=5,
        passthrough=False,
        feature_weighted=False,
        test_predictions="refit",
        fold_eval_set=None,
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
        self.final_estimator = final_estimator
        self.passthrough = passthrough
        self.feature_weighted = feature_weighted
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.scoring = scoring

    def _resolve_stack_methods(self, members):
        return ["predict"] * len(members)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members out of fold, then the meta-learner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; for several outputs, see ``final_estimator_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members and the meta-learner.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``.
        **params : dict
            Other metadata, routed with metadata routing enabled.

        Returns
        -------
        self : object
            The fitted stacker.
        """
        X, y = self._check_X(X, reset=True, y=y)
        y = self._check_regression_y(y)
        return self._fit_stack(X, y, sample_weight, groups, params)

    def predict(self, X, **predict_params):
        """Predict with the meta-learner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.
        **predict_params : dict
            Passed to the meta-learner's ``predict``, as sklearn's
            :class:`~sklearn.ensemble.StackingRegressor` does: e.g.
            ``return_std=True`` with a BayesianRidge or Gaussian process
            meta-learner.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (a tuple with the std when the meta-learner returns
            one).
        """
        return self._final_answer(X, "predict", **predict_params)
