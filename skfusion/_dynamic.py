"""Per-sample adaptive fusion: dynamic ensemble selection.

Each test row gets its own member weights from how the members did on its
nearest training rows (its region of competence). The members' correctness
there comes from their out-of-fold (OOF) predictions of **all** training
rows (the shared engine), not from a selection split held back from them.

References
----------
.. [1] R. M. O. Cruz, R. Sabourin and G. D. C. Cavalcanti, "Dynamic
   classifier selection: Recent advances and perspectives", Information
   Fusion 41, 195-216, 2018.
.. [2] A. H. R. Ko, R. Sabourin and A. S. Britto Jr, "From dynamic classifier
   selection to dynamic ensemble selection", Pattern Recognition 41(5),
   1718-1731, 2008.
.. [3] K. Woods, W. P. Kegelmeyer and K. Bowyer, "Combination of multiple
   classifiers using local accuracy estimates", IEEE TPAMI 19(4), 405-410,
   1997.
.. [4] R. M. O. Cruz, R. Sabourin, G. D. C. Cavalcanti and T. I. Ren,
   "META-DES: A dynamic ensemble selection framework using meta-learning",
   Pattern Recognition 48(5), 1925-1935, 2015.
.. [5] M. C. P. Souto, R. G. F. Soares, A. Santana and A. M. P. Canuto,
   "Empirical comparison of dynamic classifier selection methods based on
   diversity and accuracy for building ensembles", IJCNN 2008.
"""

import numbers

import numpy as np
from scipy import sparse
from scipy.special import softmax
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import check_array
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import _OutputFusion, sample_weight_key
from ._compat import HasMethods, Interval, StrOptions, _fit_context, _num_samples, _safe_indexing
from ._conformal import _ConformalIntervals, _ConformalSets
from ._kernels import get_kernel
from ._oof import label_codes
from ._scoring import SCORING_CONSTRAINT, get_scorer, report_scores
from ._utils import paired_mean_and_error, row_log_losses, row_squared_errors
from .weights import optimized_weights

CLASSIFIER_METHODS = ("knora_e", "knora_u", "ola", "lca", "des_knn", "meta")
REGRESSOR_METHODS = ("ola", "weighted")


# -- competence -> weights (pure functions on arrays) ---------------------------
def _best_one(competence):
    """One-hot rows of the most competent member (ties: the first)."""
    weights = np.zeros(competence.shape)
    weights[np.arange(len(competence)), np.argmax(competence, axis=1)] = 1.0
    return weights


def _normalised(weights):
    """Rows summing to 1; a row of zeros becomes uniform (every member)."""
    weights = np.asarray(weights, dtype=np.float64)
    total = weights.sum(axis=1, keepdims=True)
    uniform = np.full_like(weights, 1.0 / weights.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weights / total, uniform)


def _local(competence, neighbours, rule):
    """The ``local_competence`` kernel (numba or the reference, as the engine says)."""
    return get_kernel("local_competence", competence, neighbours)(competence, neighbours, rule)


def classifier_weights(
    method,
    correct,
    neighbours,
    codes=None,
    predicted_codes=None,
    pct_accuracy=0.5,
    pct_diversity=0.3,
):
    """Per-row member weights of a dynamic selection rule.

    Parameters
    ----------
    method : {"knora_e", "knora_u", "ola", "lca", "des_knn"}
    correct : ndarray of bool of shape (n_reference, M)
        Whether each member's OOF label is right on each reference row.
    neighbours : ndarray of int of shape (n, k)
        Each query row's nearest reference rows, nearest first.
    codes : ndarray of shape (n_reference,)
        The reference rows' true class codes (``"lca"``).
    predicted_codes : ndarray of shape (n, M)
        Each member's class code for the query row (``"lca"``).
    pct_accuracy, pct_diversity : float
        ``"des_knn"``: the shares of members kept by local accuracy, then
        by diversity.

    Returns
    -------
    weights : ndarray of shape (n, M)
        Non-negative, each row summing to 1.
    """
    if method == "knora_e":
        # The longest run of right answers from the nearest neighbour: the
        # members right on all k neighbours, else on the k - 1 nearest, ...
        # down to every member when none is right on the nearest.
        run = _local(correct, neighbours, "run")
        return _normalised(run == run.max(axis=1, keepdims=True))
    if method == "knora_u":
        return _normalised(_local(correct, neighbours, "mean"))  # a vote per right neighbour
    if method == "ola":
        return _best_one(_local(correct, neighbours, "mean"))
    n_members = correct.shape[1]
    correct = correct[neighbours]  # (n, k, M)
    if method == "lca":
        # Right answers among the neighbours of the class the member predicts here.
        same_class = codes[neighbours][:, :, None] == predicted_codes[:, None, :]
        counted = same_class.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            local = np.where(counted > 0, (correct & same_class).sum(axis=1) / counted, 0.0)
        return _best_one(local)
    # des_knn: the most accurate members, then the most diverse of those.
    accuracy = correct.mean(axis=1)
    n_accurate = max(1, int(n_members * pct_accuracy))
    n_diverse = min(n_accurate, max(1, int(np.ceil(n_members * pct_diversity))))
    wrong = ~correct
    # Sum over the other members of the negated double-fault count,
    # -sum_l N00(m, l) with N00(m, l) = sum_j wrong[j, m] wrong[j, l], in
    # integers so that equal diversities tie exactly (DESlib divides by k).
    wrong_count = wrong.sum(axis=2, keepdims=True, dtype=np.int64)
    diversity = -(wrong * (wrong_count - 1)).sum(axis=1)
    # The same sorts (and so the same ties) as DESlib's DES-KNN.
    accurate = np.argsort(accuracy, axis=1)[:, ::-1][:, :n_accurate]
    chosen = np.argsort(np.take_along_axis(diversity, accurate, axis=1), axis=1)[:, ::-1]
    selected = np.take_along_axis(accurate, chosen[:, :n_diverse], axis=1)
    weights = np.zeros((len(neighbours), n_members))
    np.put_along_axis(weights, selected, 1.0, axis=1)
    return _normalised(weights)


def regressor_weights(method, errors, neighbours):
    """Per-row member weights from the squared errors ``(n_reference, M)`` of
    the members' OOF predictions and each query row's k nearest reference
    rows ``(n, k)``: ``"ola"`` the one of least mean error on them,
    ``"weighted"`` weights proportional to the inverse mean error (floored
    at 1e-12 of the row's largest, so an exact member takes almost all the
    weight without a division by zero)."""
    local = _local(errors, neighbours, "mean")
    if method == "ola":
        return _best_one(-local)
    floor = 1e-12 * np.maximum(local.max(axis=1, keepdims=True), np.finfo(float).tiny)
    return _normalised(1.0 / np.maximum(local, floor))


def _tenths(X):
    """Features binned at 0.1, 0.2, ..., 1 (0 to 10), as META-DES feeds its
    multinomial naive Bayes meta-classifier."""
    return np.digitize(X, np.linspace(0.1, 1, 10))


def meta_features(correct, true_proba, neighbours, profile_neighbours, member_max):
    """META-DES's meta-features of each (row, member) pair, rows first.

    Parameters
    ----------
    correct : ndarray of bool of shape (n_reference, M)
        Whether each member is right on each reference row.
    true_proba : ndarray of shape (n_reference, M)
        Each member's probability of each reference row's true class.
    neighbours : ndarray of shape (n, k)
        Each row's nearest reference rows in feature space.
    profile_neighbours : ndarray of shape (n, Kp)
        Its nearest reference rows in the space of the members' outputs.
    member_max : ndarray of shape (n, M)
        Each member's largest class probability on the row.

    Returns
    -------
    features : ndarray of shape (n * M, 2 k + Kp + 2)
        Per pair: right or wrong on each neighbour (f1), its probability of
        each neighbour's class (f2), its local accuracy (f3), right or wrong
        on each output-profile neighbour (f4) and its confidence (f5).
    """
    n, k = neighbours.shape
    n_profiles = profile_neighbours.shape[1]
    n_members = correct.shape[1]
    # Written straight into the (row, member) layout: one copy of each part.
    features = np.empty((n, n_members, 2 * k + n_profiles + 2))
    f1 = features[:, :, :k]
    f1[...] = correct[neighbours].transpose(0, 2, 1)
    features[:, :, k : 2 * k] = true_proba[neighbours].transpose(0, 2, 1)
    features[:, :, 2 * k] = f1.mean(axis=2)
    features[:, :, 2 * k + 1 : -1] = correct[profile_neighbours].transpose(0, 2, 1)
    features[:, :, -1] = member_max
    return features.reshape(n * n_members, -1)


class _PerSampleFusion(_OutputFusion):
    """Fusers whose member weights depend on the row.

    A subclass learns a rule's *state* from the OOF rows
    (``_fit_state(region, outputs, y, sample_weight)``, ``region`` being X
    as ``_region_features`` gives it) and turns it into the ``(n, M)``
    weights of query rows (``_state_weights``; ``query_region`` None: the
    OOF rows themselves, as their fused OOF predictions). The fusion's state
    is ``(rule state, static weights, shrinkage)``: the rule's weights are
    shrunk toward one static weight vector, ``(1 - s) w_row + s w``.
    """

    _parameter_constraints: dict = {
        **_OutputFusion._parameter_constraints,
        "scoring": SCORING_CONSTRAINT,
        "shrinkage": [StrOptions({"auto"}), Interval(numbers.Real, 0, 1, closed="both")],
    }

    # The shrinkages "auto" chooses from.
    SHRINKAGE_GRID = np.linspace(0.0, 1.0, 11)

    def _member_method(self, name, estimator):
        return "predict"

    def _fusion(self, state, query_region, query_outputs, members_in=None):
        """Fused values of the query rows and their weights (over the members
        where ``members_in``, all by default)."""
        if members_in is not None:
            members_in = np.asarray(members_in, dtype=bool)
            query_outputs = [o for o, keep in zip(query_outputs, members_in) if keep]
        weights = self._row_weights(state, query_region, query_outputs, members_in)
        return self._combine(weights, query_outputs), weights

    def _row_weights(self, state, query_region, query_outputs, members_in):
        """The rule's weights shrunk toward the static ones."""
        rule, static, shrinkage = state
        weights = self._state_weights(rule, query_region, query_outputs, members_in)
        if shrinkage == 0:
            return weights
        if members_in is not None:
            static = _normalised(static[None, members_in])[0]
        return (1.0 - shrinkage) * weights + shrinkage * static

    def _learn_fusion(self, region, outputs, y, sample_weight, shrinkage):
        """The fusion's state learnt from OOF rows (the static weights only
        where they are used)."""
        static = None if shrinkage == 0 else self._static_weights(outputs, y, sample_weight)
        return self._fit_state(region, outputs, y, sample_weight), static, shrinkage

    def _static_weights(self, outputs, y, sample_weight):
        """One weight per member for every row: the simplex weights of least
        OOF loss (log-loss of the probabilities; squared error, a 2-D y's
        outputs counted as rows), as ``WeightedBlender(weighting="optimize")``."""
        classes = getattr(self, "classes_", None)
        if classes is None and np.ndim(y) == 2:  # each output's values as rows
            n_outputs = np.shape(y)[1]
            outputs = [np.asarray(o, np.float64).ravel() for o in outputs]
            y = np.asarray(y, np.float64).ravel()
            if sample_weight is not None:
                sample_weight = np.repeat(sample_weight, n_outputs)
        return optimized_weights(
            list(outputs),
            y,
            sample_weight=sample_weight,
            classes=classes,
            target_type=None if classes is not None else "continuous",
        )

    def _choose_shrinkage(self, y, sample_weight):
        """``shrinkage``, or with ``"auto"`` the one of least loss on the OOF
        rows where the rule's state and the static weights are learnt
        without each row's fold; those rows' fused values are kept for
        ``fused_cv_score_``."""
        if self.shrinkage != "auto":
            return float(self.shrinkage)

        def rule_and_static(learn, y_learn, sw_learn, fuse):
            rule, static, _ = self._learn_fusion(learn[0], learn[1:], y_learn, sw_learn, 1.0)
            outputs = fuse[1:]
            dynamic = self._combine(self._state_weights(rule, fuse[0], outputs, None), outputs)
            fixed = self._combine(np.tile(static, (_num_samples(fuse[0]), 1)), outputs)
            return np.stack([dynamic, fixed], axis=-1)

        values = self._fold_fused_values(fusion=rule_and_static)
        if values is None:  # too few rows to split: the rule alone
            return 0.0
        pooled, tested = values
        y = y[tested]
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)[tested]
        mixed = [(1 - s) * pooled[..., 0] + s * pooled[..., 1] for s in self.SHRINKAGE_GRID]
        losses = np.array([self._fused_loss(m, y) for m in mixed])  # (grid, rows)
        # The one-standard-error rule on the same rows: the most static
        # shrinkage whose excess loss over the least is within one standard
        # error of that excess (a rule's gain must be more than noise on the
        # OOF rows to be kept).
        least = int(np.argmin(losses @ w))
        mean_excess, standard_error = paired_mean_and_error(losses - losses[least], w)
        chosen = int(np.flatnonzero(mean_excess <= standard_error).max())
        self._cv_fused_values_ = ((mixed[chosen], tested),)
        return float(self.SHRINKAGE_GRID[chosen])

    def _fit_per_sample(self, X, y, sample_weight, groups, params, classes=None):
        _, members = self._validate_members()
        methods = [self._member_method(name, est) for name, est in members]
        sample_weight, fit_params, split_params = self._fit_inputs(
            members, y, sample_weight, groups, params
        )
        result = self._cross_fit(
            members,
            X,
            y,
            methods=methods,
            fit_params=fit_params,
            split_params=split_params,
            classes=classes,
        )
        self._methods = methods
        outputs = result.member_oof()
        self.oof_predictions_ = np.moveaxis(result.oof, 0, 1)
        y_fit, sw_fit = result.at_oof_rows(y), result.at_oof_rows(sample_weight)
        region = result.at_oof_rows(self._region_features(X, fit=True))
        response = self._response()
        learn = [region, *outputs]
        self._keep_fusion_data(result, learn, learn, y_fit, sw_fit, response)
        self.shrinkage_ = self._choose_shrinkage(y_fit, sw_fit)
        if self.verbose >= 1 and self.shrinkage == "auto":
            print(f"[{type(self).__name__}] {self._shrinkage_summary()}")
        self._state_ = self._learn_fusion(region, outputs, y_fit, sw_fit, self.shrinkage_)
        self.static_weights_ = self._state_[1]
        fused, _ = self._fusion(self._state_, None, outputs)
        self.fused_oof_predictions_ = result.at_all_rows(self._fused_output(fused))
        report_scores(
            self,
            get_scorer(self.scoring, classifier=classes is not None),
            outputs,
            fused,
            y_fit,
            classes=classes,
            sample_weight=sw_fit,
            response=response,
        )
        return self

    def _shrinkage_summary(self):
        """One line on the chosen shrinkage: what the rule keeps of its own."""
        s = self.shrinkage_
        if s == 1.0:
            return (
                "shrinkage_=1: the per-row rule's gain over the static blend is within the "
                "noise of the OOF rows, so the fusion is the static blend (static_weights_) "
                "on every row. Set shrinkage to keep some of the rule."
            )
        return f"shrinkage_={s:.1f}: each row's weights are {1 - s:.0%} the per-row rule's."

    def _fold_fusion(self, learn, y, sample_weight, fuse):
        # The fitted shrinkage, chosen on all OOF rows: one number of eleven.
        state = self._learn_fusion(learn[0], learn[1:], y, sample_weight, self.shrinkage_)
        return self._fusion(state, fuse[0], fuse[1:])[0]

    def _subset_fusion(self, members_in):
        if not np.any(members_in):
            return None
        outputs = self._scored_member_outputs()[0]
        return self._fusion(self._state_, None, outputs, members_in)[0]

    def _fusion_values(self, predictions, X):
        return [self._region_features(X, fit=False), *predictions]

    # Whether a row's weights read the members' outputs on it (else the
    # weights come first, and each member predicts only the rows it fuses).
    _weights_read_outputs = False

    def _test_fusion(self, X):
        """Fused values of X and the ``(n, M)`` weights."""
        weights, outputs = self._weights_and_outputs(X)
        return self._combine(weights, outputs), weights

    def _weights_and_outputs(self, X):
        """The ``(n, M)`` weights of X's rows and each member's outputs on X
        (zeros where a member has no weight, unless the weights read them)."""
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        region = self._region_features(X, fit=False)
        if self._weights_read_outputs:
            cache = self._output_cache(X)
            outputs = [self._test_output(cache, m, meth) for m, meth in enumerate(self._methods)]
            return self._row_weights(self._state_, region, outputs, None), outputs
        weights = self._row_weights(self._state_, region, None, None)
        outputs = [
            self._output_on_rows(X, np.flatnonzero(weights[:, m] > 0), m, method)
            for m, method in enumerate(self._methods)
        ]
        return weights, outputs

    def _output_on_rows(self, X, rows, member, method):
        """A member's output on X, computed on ``rows`` only (zeros elsewhere:
        the member has no weight there)."""
        n = _num_samples(X)
        shape = (n, len(self.classes_)) if hasattr(self, "classes_") else (n,)
        if not hasattr(self, "classes_") and self._n_outputs > 1:
            shape = (n, self._n_outputs)
        full = np.zeros(shape)
        if len(rows):
            if len(rows) < n:  # a numpy array is taken directly: _safe_indexing costs more
                X = X.take(rows, axis=0) if isinstance(X, np.ndarray) else _safe_indexing(X, rows)
            cache = self._output_cache(X)
            full[rows] = self._test_output(cache, member, method)
        return full

    def predict_weights(self, X):
        """Each row's member weights: which members fuse it, and how much.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        weights : ndarray of shape (n_samples, n_members)
            Non-negative, each row summing to 1, members in ``estimators``
            order (dropped ones left out). A selection rule gives its
            selected members equal weights and the others 0, before the
            shrinkage toward ``static_weights_`` (``shrinkage_``).
        """
        return self._test_fusion(X)[1]

    def transform(self, X):
        """Each row's member weights (see ``predict_weights``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        weights : ndarray of shape (n_samples, n_members)
            Member weights.
        """
        return self.predict_weights(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: the member names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Member names.
        """
        check_is_fitted(self)
        return np.asarray(self._member_names(), dtype=object)


class _BaseDynamicSelector(_PerSampleFusion):
    _parameter_constraints: dict = {
        **_PerSampleFusion._parameter_constraints,
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "scaler": [None, StrOptions({"standard"}), HasMethods(["fit", "transform"])],
        "metric": [str, callable],
    }

    # -- the region of competence ---------------------------------------------
    def _region_features(self, X, *, fit):
        """X as the neighbour search sees it (``scaler``)."""
        if fit:
            scaler = self.scaler
            if scaler == "standard":
                scaler = StandardScaler(with_mean=not sparse.issparse(X))
            self.scaler_ = None if scaler is None else clone(scaler).fit(X)
        if self.scaler_ is None:  # X as given, as a numeric array for the search
            return check_array(X, accept_sparse="csr", dtype="numeric")
        return self.scaler_.transform(X)

    def _neighbours(self, search, query=None):
        """``(n_query, k)`` indices of each query row's nearest reference rows,
        nearest first; ``query=None``: the reference rows' own, each row left
        out of its region."""
        # As many neighbours for the query rows as the reference rows have
        # without themselves (META-DES's features count them).
        k = min(self.k, search.n_samples_fit_ - 1)
        if query is None:  # sklearn leaves each fitted row out of its own neighbours
            return search.kneighbors(n_neighbors=k)[1]
        return search.kneighbors(query, n_neighbors=k, return_distance=False)

    def _fit_state(self, region, outputs, y, sample_weight):
        """The neighbour search of the reference rows, each member's
        competence on each of them, and their targets."""
        if region.shape[0] < 2:
            raise ValueError("Dynamic selection needs at least 2 rows with OOF predictions.")
        search = NearestNeighbors(metric=self.metric, n_jobs=self.n_jobs).fit(region)
        return search, self._row_competence(outputs, y), y

    def _state_weights(self, state, query_region, query_outputs, members_in):
        search, competence, y = state
        if members_in is not None:
            competence = competence[:, members_in]
        neighbours = self._neighbours(search, query_region)
        return self._local_weights(neighbours, competence, y, query_outputs)


class _PerSampleClassifier:
    """Outputs of the per-sample fusers of classifiers: members' probabilities
    (one-hot labels for members without ``predict_proba``) weighted per row;
    with ``voting="hard"``, their labels' weighted votes."""

    def _member_method(self, name, estimator):
        return "predict_proba" if hasattr(estimator, "predict_proba") else "predict"

    def _response(self):
        return "predict_proba" if getattr(self, "voting", "soft") == "soft" else "predict"

    def _fused_output(self, fused):
        if getattr(self, "voting", "soft") == "soft":
            return fused
        return self.classes_[np.argmax(fused, axis=1)]

    def _fused_loss(self, fused, y):
        """Each row's loss of fused class scores: log-loss of probabilities,
        the Brier score of vote shares (``voting="hard"``)."""
        codes = label_codes(y, self.classes_)
        if getattr(self, "voting", "soft") == "hard":
            shares = np.array(fused, dtype=np.float64)
            shares[np.arange(len(codes)), codes] -= 1.0
            return np.sum(shares**2, axis=1)
        return row_log_losses([fused], codes)[:, 0]

    def _combine(self, weights, outputs):
        if getattr(self, "voting", "soft") == "hard":  # each class's share of the votes
            votes = np.zeros((len(weights), len(self.classes_)))
            for w, o in zip(weights.T, outputs):
                rows = np.flatnonzero(w)  # only the rows the member votes on
                votes[rows, np.argmax(o[rows], axis=1)] += w[rows]
            return votes
        fused = sum(w[:, None] * np.asarray(o, np.float64) for w, o in zip(weights.T, outputs))
        # Weights that sum to 1 up to rounding could push a probability past 1.
        return np.clip(fused, 0.0, 1.0)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members out of fold, then learn the per-row fusion from their OOF outputs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members and used in the OOF scores; the regions
            count rows, not weights.
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
        return self._fit_per_sample(X, y, sample_weight, groups, params, classes=self.classes_)

    def predict(self, X):
        """The class of highest fused score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        fused = self._test_fusion(X)[0]  # checks that the fuser is fitted
        return self.classes_[np.argmax(fused, axis=1)]

    def _proba_available(self):
        return getattr(self, "voting", "soft") == "soft"

    @available_if(_proba_available)
    def predict_proba(self, X):
        """Each row's weighted mean of its members' probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        return self._test_fusion(X)[0]


class _PerSampleRegressor:
    """Outputs of the per-sample fusers of regressors: members' predictions
    weighted per row."""

    def _response(self):
        return "predict"

    def _fused_output(self, fused):
        return fused

    def _fused_loss(self, fused, y):
        return row_squared_errors([fused], y)[:, 0]

    def _combine(self, weights, outputs):
        return sum(
            w.reshape((-1,) + (1,) * (np.ndim(o) - 1)) * np.asarray(o, np.float64)
            for w, o in zip(weights.T, outputs)
        )

    @property
    def _multi_output(self):
        return True

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, groups=None, **params):
        """Fit the members out of fold, then learn the per-row fusion from their OOF outputs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; with several outputs a row's error is the mean over them.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the members and used in the OOF scores; the regions
            count rows, not weights.
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
        self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        return self._fit_per_sample(X, y, sample_weight, groups, params)

    def predict(self, X):
        """Each row's weighted mean of its members' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions.
        """
        return self._test_fusion(X)[0]


class DynamicSelector(_ConformalSets, _PerSampleClassifier, ClassifierMixin, _BaseDynamicSelector):
    """Dynamic ensemble selection: each row fused by the members competent near it.

    For each row to predict, its ``k`` nearest training rows form its region
    of competence; the members' out-of-fold (OOF) labels on those rows say
    which members are right there, and ``method`` turns that into the row's
    member weights (a selection gives the selected members equal weights).
    Every training row has OOF predictions (the shared engine), so no rows
    are held back from the members to select them, and the members may
    each see their own columns (Pipelines with column selection): the
    neighbours are found on all of X (after ``scaler``).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member classifiers; a member may be ``"drop"``.
    method : {"knora_e", "knora_u", "ola", "lca", "des_knn", "meta"}, default="knora_e"
        How competence on the region gives a row's weights.
        ``"knora_e"`` (KNORA-Eliminate, Ko et al. 2008): the members right
        on all k neighbours, else on the k - 1 nearest, and so on; all
        members when none is right on the nearest. ``"knora_u"``
        (KNORA-Union): each member weighs as many right neighbours as it
        has (all members equally when none has one). ``"ola"`` (overall
        local accuracy, Woods et al. 1997): the one member most often right
        on the region (ties: the first). ``"lca"`` (local class accuracy):
        the one member most often right among the neighbours of the class
        it predicts for the row (0 when there are none). ``"des_knn"``
        (Soares et al. 2006): the ``pct_accuracy`` most accurate members on
        the region, then the ``pct_diversity`` (of all members) most
        diverse of those, by the double-fault measure. ``"meta"``
        (META-DES, Cruz et al. 2015): a ``meta_classifier`` learns from the
        training rows whether a member is right on a row from its
        meta-features (right or wrong on the k neighbours, its probability
        of their classes, its local accuracy, right or wrong on the
        ``k_profiles`` rows whose member outputs are nearest, its
        confidence); the members whose predicted competence exceeds
        ``selection_threshold`` are selected (all when none is).
    k : int, default=7
        Size of the region of competence.
    k_profiles : int, default=5
        ``"meta"``: the number of output-profile neighbours.
    meta_classifier : classifier, default=None
        ``"meta"``: the meta-classifier (with ``predict_proba``); None is
        META-DES's multinomial naive Bayes on the features binned in
        tenths.
    selection_threshold : float, default=0.5
        ``"meta"``: the predicted competence above which a member is
        selected.
    voting : {"soft", "hard"}, default="soft"
        ``"soft"``: the weighted mean of the members' probabilities (one-hot
        votes for members without ``predict_proba``); ``"hard"``: the
        weighted vote of their labels, ties to the lowest class (as DESlib),
        and no ``predict_proba``.
    pct_accuracy : float, default=0.5
        ``"des_knn"``: the share of members kept by local accuracy (at least
        one).
    pct_diversity : float, default=0.3
        ``"des_knn"``: the share of all members kept by diversity among
        those (at least one, at most those kept by accuracy).
    scaler : "standard", transformer or None, default="standard"
        What the neighbour search sees of X: ``"standard"`` standardises
        each column (without centring a sparse X), a transformer (e.g. a
        ColumnTransformer of the columns that define regions) is fitted on
        the training X, None uses X as given.
    metric : str or callable, default="minkowski"
        The distance of the neighbour search
        (:class:`~sklearn.neighbors.NearestNeighbors`).
    shrinkage : "auto" or float in [0, 1], default="auto"
        Each row's weights are ``1 - shrinkage`` times the rule's plus
        ``shrinkage`` times one static weight per member (the simplex
        weights of least OOF log-loss, as ``WeightedBlender(weighting=
        "optimize")``): 0 is the rule alone, 1 a static blend. ``"auto"``
        picks it from 0, 0.1, ..., 1 by the loss (log-loss; the Brier score
        of the vote shares with hard voting) of the OOF rows fused by a rule
        and static weights learnt without their fold: the largest whose
        excess loss over the least, row by row, is within one standard
        error. The rule where members are good in different regions, a
        static blend where they are not.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`). With a
        float (hold-out) or ``"prefit"``, the regions are made of the rows
        that have OOF predictions.
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report, as in
        :class:`WeightedBlender`; None is accuracy.
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits and neighbour searches.
    verbose : int, default=0
        1: a progress bar over fits; 2: also the members' and the fusion's
        OOF scores.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows; None with ``test_predictions="fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``).
    named_estimators_ : Bunch
        The fitted members (or their fold models) by name.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_classes)
        Members' OOF class scores (probabilities, or one-hot labels for
        members without ``predict_proba``); NaN on rows a hold-out ``cv``
        does not predict.
    fused_oof_predictions_ : ndarray of shape (n_samples, n_classes)
        The dynamic fusion of the OOF rows, each row's region made of the
        other OOF rows (probabilities; weighted votes with hard voting).
    member_scores_ : dict
        Member name to OOF score under ``scoring``.
    fused_score_ : float or dict
        The score of ``fused_oof_predictions_``.
    fused_cv_score_ : float or dict
        The same with each fold's rows fused by regions of the other folds'
        rows only. Computed on first access.
    scaler_ : transformer or None
        The fitted ``scaler``.
    shrinkage_ : float
        The shrinkage used (the chosen one with ``shrinkage="auto"``); 1
        means the static blend on every row (said at ``verbose=1`` and in
        :func:`~skfusion.inspection.member_report`).
    static_weights_ : ndarray of shape (n_members,) or None
        The static weights the rule's are shrunk toward; None when
        ``shrinkage_`` is 0.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedBlender : One weight per member for all rows.
    DynamicSelectorRegressor : The regressor.

    References
    ----------
    .. [1] R. M. O. Cruz, R. Sabourin and G. D. C. Cavalcanti, "Dynamic
       classifier selection: Recent advances and perspectives", Information
       Fusion 41, 195-216, 2018.
    .. [2] A. H. R. Ko, R. Sabourin and A. S. Britto Jr, "From dynamic
       classifier selection to dynamic ensemble selection", Pattern
       Recognition 41(5), 1718-1731, 2008.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skfusion import DynamicSelector
    >>> X, y = load_iris(return_X_y=True)
    >>> selector = DynamicSelector(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB()),
    ...      ("tree", DecisionTreeClassifier(max_depth=2, random_state=0))],
    ...     method="knora_e",
    ...     shrinkage=0,
    ... ).fit(X, y)
    >>> selector.predict(X[:3])
    array([0, 0, 0])
    >>> selector.predict_weights(X[:1]).round(2)
    array([[0.33, 0.33, 0.33]])
    """

    _parameter_constraints: dict = {
        **_BaseDynamicSelector._parameter_constraints,
        "method": [StrOptions(set(CLASSIFIER_METHODS))],
        "voting": [StrOptions({"soft", "hard"})],
        "pct_accuracy": [Interval(numbers.Real, 0, 1, closed="right")],
        "pct_diversity": [Interval(numbers.Real, 0, 1, closed="right")],
        "k_profiles": [Interval(numbers.Integral, 1, None, closed="left")],
        "meta_classifier": [None, HasMethods(["fit", "predict_proba"])],
        "selection_threshold": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        estimators,
        *,
        method="knora_e",
        k=7,
        k_profiles=5,
        meta_classifier=None,
        selection_threshold=0.5,
        voting="soft",
        pct_accuracy=0.5,
        pct_diversity=0.3,
        scaler="standard",
        metric="minkowski",
        shrinkage="auto",
        cv=5,
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
        self.method = method
        self.k = k
        self.k_profiles = k_profiles
        self.meta_classifier = meta_classifier
        self.selection_threshold = selection_threshold
        self.voting = voting
        self.pct_accuracy = pct_accuracy
        self.pct_diversity = pct_diversity
        self.scaler = scaler
        self.metric = metric
        self.shrinkage = shrinkage
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.scoring = scoring

    @property
    def _weights_read_outputs(self):
        return self.method in ("lca", "meta")  # the members' predictions for the row

    def _row_competence(self, outputs, y):
        """``(n, M)``: whether each member's OOF label is right on each row."""
        codes = label_codes(y, self.classes_)
        return np.stack([np.argmax(o, axis=1) == codes for o in outputs], axis=1)

    # -- META-DES ----------------------------------------------------------------
    @staticmethod
    def _output_profiles(outputs):
        """Rows of every member's class scores side by side (binary: the first
        class's only, as META-DES)."""
        return np.hstack(
            [np.asarray(o, np.float64)[:, : 1 if o.shape[1] == 2 else None] for o in outputs]
        )

    def _fit_state(self, region, outputs, y, sample_weight):
        state = super()._fit_state(region, outputs, y, sample_weight)
        if self.method != "meta":
            return state
        _, correct, _ = state
        codes = label_codes(y, self.classes_)
        rows = np.arange(len(codes))
        true_proba = np.stack([np.asarray(o, np.float64)[rows, codes] for o in outputs], axis=1)
        profiles = NearestNeighbors(n_jobs=self.n_jobs).fit(self._output_profiles(outputs))
        member_max = np.stack([np.max(o, axis=1) for o in outputs], axis=1)
        features = meta_features(
            correct,
            true_proba,
            self._neighbours(state[0]),
            self._profile_neighbours(profiles),
            member_max,
        )
        targets = correct.ravel()
        if np.all(targets == targets[0]):  # every member always right (or wrong)
            meta = float(targets[0])
        else:
            meta = self.meta_classifier
            if meta is None:
                meta = make_pipeline(FunctionTransformer(_tenths), MultinomialNB())
            meta = clone(meta).fit(features, targets)
        return (*state, (profiles, true_proba, meta))

    def _profile_neighbours(self, profiles, query=None):
        """Nearest reference rows in output-profile space (None: the
        reference rows' own, each left out)."""
        k = min(self.k_profiles, profiles.n_samples_fit_ - 1)
        if query is None:
            return profiles.kneighbors(n_neighbors=k)[1]
        return profiles.kneighbors(query, n_neighbors=k, return_distance=False)

    def _state_weights(self, state, query_region, query_outputs, members_in):
        if self.method != "meta":
            return super()._state_weights(state, query_region, query_outputs, members_in)
        search, correct, _, (profiles, true_proba, meta) = state
        if query_region is None:  # the reference rows: their own outputs, each left out
            if members_in is not None:
                query_outputs = self._scored_member_outputs()[0]
            profile_query = None
        else:
            profile_query = self._output_profiles(query_outputs)
        member_max = np.stack([np.max(o, axis=1) for o in query_outputs], axis=1)
        n, n_members = member_max.shape
        if isinstance(meta, float):
            competence = np.full((n, n_members), meta)
        else:
            features = meta_features(
                correct,
                true_proba,
                self._neighbours(search, query_region),
                self._profile_neighbours(profiles, profile_query),
                member_max,
            )
            right = list(meta.classes_).index(True)
            competence = meta.predict_proba(features)[:, right].reshape(n, n_members)
        if members_in is not None:
            competence = competence[:, members_in]
        return _normalised(competence > self.selection_threshold)

    def _local_weights(self, neighbours, correct, y, query_outputs):
        codes = label_codes(y, self.classes_)
        predicted = None
        if self.method == "lca":
            predicted = np.stack([np.argmax(o, axis=1) for o in query_outputs], axis=1)
        return classifier_weights(
            self.method,
            correct,
            neighbours,
            codes=codes,
            predicted_codes=predicted,
            pct_accuracy=self.pct_accuracy,
            pct_diversity=self.pct_diversity,
        )


class DynamicSelectorRegressor(
    _ConformalIntervals, _PerSampleRegressor, RegressorMixin, _BaseDynamicSelector
):
    """Dynamic ensemble selection of regressors: each row fused by the members accurate near it.

    For each row to predict, its ``k`` nearest training rows form its region
    of competence; the members' out-of-fold (OOF) squared errors there give
    the row's member weights (see :class:`DynamicSelector`).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member regressors; a member may be ``"drop"``.
    method : {"ola", "weighted"}, default="weighted"
        ``"ola"``: the one member of least mean squared OOF error on the
        region (ties: the first). ``"weighted"``: weights proportional to
        the inverse of each member's mean squared error on the region.
    k : int, default=7
        Size of the region of competence.
    scaler : "standard", transformer or None, default="standard"
        What the neighbour search sees of X (see :class:`DynamicSelector`).
    metric : str or callable, default="minkowski"
        The distance of the neighbour search.
    shrinkage : "auto" or float in [0, 1], default="auto"
        Each row's weights are ``1 - shrinkage`` times the rule's plus
        ``shrinkage`` times one static weight per member (the simplex
        weights of least OOF squared error, as
        ``WeightedBlenderRegressor(weighting="optimize")``): 0 is the rule
        alone, 1 a static blend. ``"auto"`` picks it from 0, 0.1, ..., 1 by
        the squared error of the OOF rows fused by a rule and static weights
        learnt without their fold: the largest whose excess error over the
        least, row by row, is within one standard error.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report, as in
        :class:`WeightedBlender`; None is R².
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits and neighbour searches.
    verbose : int, default=0
        1: a progress bar over fits; 2: also the OOF scores.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows; None with ``test_predictions="fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``).
    named_estimators_ : Bunch
        The fitted members (or their fold models) by name.
    oof_predictions_ : ndarray of shape (n_samples, n_members[, n_outputs])
        Members' OOF predictions.
    fused_oof_predictions_ : ndarray of shape (n_samples[, n_outputs])
        The dynamic fusion of the OOF rows, each row's region made of the
        other OOF rows.
    member_scores_ : dict
        Member name to OOF score under ``scoring``.
    fused_score_ : float or dict
        The score of ``fused_oof_predictions_``.
    fused_cv_score_ : float or dict
        The same with each fold's rows fused by regions of the other folds'
        rows only. Computed on first access.
    scaler_ : transformer or None
        The fitted ``scaler``.
    shrinkage_ : float
        The shrinkage used (the chosen one with ``shrinkage="auto"``); 1
        means the static blend on every row (said at ``verbose=1`` and in
        :func:`~skfusion.inspection.member_report`).
    static_weights_ : ndarray of shape (n_members,) or None
        The static weights the rule's are shrunk toward; None when
        ``shrinkage_`` is 0.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    DynamicSelector : The classifier.
    WeightedBlenderRegressor : One weight per member for all rows.

    References
    ----------
    .. [1] R. M. O. Cruz, R. Sabourin and G. D. C. Cavalcanti, "Dynamic
       classifier selection: Recent advances and perspectives", Information
       Fusion 41, 195-216, 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skfusion import DynamicSelectorRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> selector = DynamicSelectorRegressor(
    ...     [("ridge", Ridge()), ("knn", KNeighborsRegressor(20))], k=15
    ... ).fit(X, y)
    >>> selector.predict_weights(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **_BaseDynamicSelector._parameter_constraints,
        "method": [StrOptions(set(REGRESSOR_METHODS))],
    }

    def __init__(
        self,
        estimators,
        *,
        method="weighted",
        k=7,
        scaler="standard",
        metric="minkowski",
        shrinkage="auto",
        cv=5,
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
        self.method = method
        self.k = k
        self.scaler = scaler
        self.metric = metric
        self.shrinkage = shrinkage
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.scoring = scoring

    def _row_competence(self, outputs, y):
        return row_squared_errors(outputs, y)

    def _local_weights(self, neighbours, errors, y, query_outputs):
        return regressor_weights(self.method, errors, neighbours)


class _BaseGatedBlender(_PerSampleFusion):
    _parameter_constraints: dict = {
        **_PerSampleFusion._parameter_constraints,
        "gate": [None, HasMethods(["fit", "predict_proba"])],
        "gate_target": [StrOptions({"soft", "best"})],
        "temperature": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="neither")],
    }

    def _region_features(self, X, *, fit):
        # The gate takes X as given (its own pipeline transforms it); a list
        # of rows as an array, so that rows can be taken from it.
        return X if hasattr(X, "shape") else np.asarray(X)

    def _gate_template(self, X):
        if self.gate is not None:
            return self.gate
        scaler = StandardScaler(with_mean=not sparse.issparse(X))
        return make_pipeline(scaler, LogisticRegression(max_iter=1000))

    def _gate_rows(self, losses, sample_weight):
        """The gate's training rows: (row index, member label, weight).
        ``"best"``: each row once, labelled with its member of least loss.
        ``"soft"``: each row once per member, weighted by
        ``softmax(-loss / temperature)``, so the gate's log-loss is the
        cross-entropy to those soft targets."""
        n, n_members = losses.shape
        row_weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        if self.gate_target == "best":
            return np.arange(n), np.argmin(losses, axis=1), row_weight
        temperature = self.temperature
        if temperature == "auto":  # the losses' own scale
            temperature = max(float(np.mean(losses)), np.finfo(float).tiny)
        targets = softmax(-losses / temperature, axis=1)
        rows, labels = np.tile(np.arange(n), n_members), np.repeat(np.arange(n_members), n)
        return rows, labels, targets.T.ravel() * np.tile(row_weight, n_members)

    def _fit_state(self, region, outputs, y, sample_weight):
        """The fitted gate (None when one member is best everywhere: its
        index then), and the reference rows' X."""
        losses = self._row_losses(outputs, y)
        rows, labels, weights = self._gate_rows(losses, sample_weight)
        kept = weights > 0
        rows, labels, weights = rows[kept], labels[kept], weights[kept]
        if len(np.unique(labels)) == 1:
            return None, int(labels[0]), region
        gate = clone(self._gate_template(region))
        fit_params = {}
        if np.ptp(weights) > 0:  # weighted rows (soft targets, sample_weight)
            key = sample_weight_key(gate)
            if key is None:
                raise TypeError(
                    f"The gate ({type(gate).__name__}) must take sample_weight in fit: "
                    f"gate_target={self.gate_target!r} (or sample_weight) weighs its rows."
                )
            fit_params[key] = weights
        gate.fit(_safe_indexing(region, rows), labels, **fit_params)
        return gate, None, region

    def _state_weights(self, state, query_region, query_outputs, members_in):
        gate, only, reference = state
        query = reference if query_region is None else query_region
        weights = np.zeros((_num_samples(query), len(self._methods)))
        if gate is None:
            weights[:, only] = 1.0
        else:
            weights[:, gate.classes_.astype(int)] = gate.predict_proba(query)
        return weights if members_in is None else _normalised(weights[:, members_in])

    @property
    def gate_(self):
        """The fitted gate; None when one member had the least loss on every row."""
        check_is_fitted(self)
        return self._state_[0][0]


class GatedBlender(_ConformalSets, _PerSampleClassifier, ClassifierMixin, _BaseGatedBlender):
    """A learnt gate: per-row member weights predicted from X (a mixture of experts).

    The members' out-of-fold (OOF) losses on every training row say which
    members to trust there; a ``gate`` classifier learns to predict that
    from X, and its class probabilities are each row's member weights. The
    fused output is the members' probabilities weighted per row.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member classifiers; a member may be ``"drop"``.
    gate : estimator, default=None
        A classifier with ``predict_proba`` (and ``sample_weight`` in
        ``fit`` for ``gate_target="soft"``) that learns which member to
        trust from X; its classes are member indices. None is a logistic
        regression on standardised X. A Pipeline gives it other features
        (e.g. a ColumnTransformer of the columns that say where each member
        is good).
    gate_target : {"soft", "best"}, default="soft"
        What the gate learns. ``"soft"``: each row's soft targets
        ``softmax(-loss / temperature)`` over the members (each row given
        once per member, weighted by its target: the gate's log-loss is the
        cross-entropy to them), so near-ties share the row. ``"best"``: the
        member of least loss on each row (ties: the first).
    temperature : "auto" or float, default="auto"
        The soft targets' temperature; ``"auto"`` is the mean OOF loss
        (each member's log-loss on its true class).
    shrinkage : "auto" or float in [0, 1], default="auto"
        Each row's weights are ``1 - shrinkage`` times the rule's plus
        ``shrinkage`` times one static weight per member (the simplex
        weights of least OOF log-loss, as ``WeightedBlender(weighting=
        "optimize")``): 0 is the rule alone, 1 a static blend. ``"auto"``
        picks it from 0, 0.1, ..., 1 by the loss (log-loss; the Brier score
        of the vote shares with hard voting) of the OOF rows fused by a rule
        and static weights learnt without their fold: the largest whose
        excess loss over the least, row by row, is within one standard
        error. The rule where members are good in different regions, a
        static blend where they are not.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report, as in
        :class:`WeightedBlender`; None is accuracy.
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar over fits; 2: also the OOF scores.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows; None with ``test_predictions="fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``).
    named_estimators_ : Bunch
        The fitted members (or their fold models) by name.
    gate_ : estimator or None
        The fitted gate; None when one member had the least loss on every
        row (it then takes every row).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_classes)
        Members' OOF class scores.
    fused_oof_predictions_ : ndarray of shape (n_samples, n_classes)
        The gated fusion of the OOF rows (the gate in-sample).
    member_scores_ : dict
        Member name to OOF score under ``scoring``.
    fused_score_ : float or dict
        The score of ``fused_oof_predictions_`` (in-sample for the gate).
    fused_cv_score_ : float or dict
        The same with the gate learnt again without each fold. Computed on
        first access.
    shrinkage_ : float
        The shrinkage used (the chosen one with ``shrinkage="auto"``); 1
        means the static blend on every row (said at ``verbose=1`` and in
        :func:`~skfusion.inspection.member_report`).
    static_weights_ : ndarray of shape (n_members,) or None
        The static weights the rule's are shrunk toward; None when
        ``shrinkage_`` is 0.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    DynamicSelector : Per-row weights from the nearest training rows.
    GatedBlenderRegressor : The regressor.
    WeightedBlender : One weight per member for all rows.

    References
    ----------
    .. [1] R. A. Jacobs, M. I. Jordan, S. J. Nowlan and G. E. Hinton,
       "Adaptive mixtures of local experts", Neural Computation 3(1), 79-87,
       1991.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfusion import GatedBlender
    >>> X, y = load_iris(return_X_y=True)
    >>> gated = GatedBlender(
    ...     [("lr", LogisticRegression(max_iter=1000)), ("nb", GaussianNB())]
    ... ).fit(X, y)
    >>> gated.predict_weights(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {**_BaseGatedBlender._parameter_constraints}

    def __init__(
        self,
        estimators,
        *,
        gate=None,
        gate_target="soft",
        temperature="auto",
        shrinkage="auto",
        cv=5,
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
        self.gate = gate
        self.gate_target = gate_target
        self.temperature = temperature
        self.shrinkage = shrinkage
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.scoring = scoring

    def _row_losses(self, outputs, y):
        """``(n, M)``: each member's log-loss on each row's true class."""
        return row_log_losses(outputs, label_codes(y, self.classes_))


class GatedBlenderRegressor(
    _ConformalIntervals, _PerSampleRegressor, RegressorMixin, _BaseGatedBlender
):
    """A learnt gate for regressors: per-row member weights predicted from X.

    See :class:`GatedBlender`; a member's loss on a row is its squared OOF
    error (the mean over the outputs of a 2-D y).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The member regressors; a member may be ``"drop"``.
    gate : estimator, default=None
        A classifier with ``predict_proba`` (and ``sample_weight`` in
        ``fit`` for ``gate_target="soft"``) whose classes are member
        indices; None is a logistic regression on standardised X.
    gate_target : {"soft", "best"}, default="soft"
        ``"soft"``: soft targets ``softmax(-loss / temperature)``;
        ``"best"``: the member of least squared error on each row.
    temperature : "auto" or float, default="auto"
        The soft targets' temperature; ``"auto"`` is the mean squared OOF
        error.
    shrinkage : "auto" or float in [0, 1], default="auto"
        Each row's weights are ``1 - shrinkage`` times the rule's plus
        ``shrinkage`` times one static weight per member (the simplex
        weights of least OOF squared error, as
        ``WeightedBlenderRegressor(weighting="optimize")``): 0 is the rule
        alone, 1 a static blend. ``"auto"`` picks it from 0, 0.1, ..., 1 by
        the squared error of the OOF rows fused by a rule and static weights
        learnt without their fold: the largest whose excess error over the
        least, row by row, is within one standard error.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        Folds of the OOF predictions (see :class:`WeightedBlender`).
    test_predictions : {"refit", "fold_average"}, default="refit"
        See :class:`WeightedBlender`.
    fold_eval_set : str, default=None
        See :class:`WeightedBlender`.
    scoring : str, callable, list, tuple, set or dict, default=None
        What ``member_scores_`` and ``fused_score_`` report; None is R².
    memory : str, path or joblib.Memory, default=None
        Cache of each member x fold fit.
    n_jobs : int, default=None
        Parallel member x fold fits.
    verbose : int, default=0
        1: a progress bar over fits; 2: also the OOF scores.
    random_state : int, RandomState instance or None, default=None
        Seeds unseeded shuffling splitters and the hold-out split.

    Attributes
    ----------
    estimators_ : list of estimators or None
        Members refit on all rows; None with ``test_predictions="fold_average"``.
    fold_estimators_ : list of list of estimators or None
        Per member, its fold models (``test_predictions="fold_average"``).
    named_estimators_ : Bunch
        The fitted members (or their fold models) by name.
    gate_ : estimator or None
        The fitted gate; None when one member had the least loss on every row.
    oof_predictions_ : ndarray of shape (n_samples, n_members[, n_outputs])
        Members' OOF predictions.
    fused_oof_predictions_ : ndarray of shape (n_samples[, n_outputs])
        The gated fusion of the OOF rows (the gate in-sample).
    member_scores_ : dict
        Member name to OOF score under ``scoring``.
    fused_score_ : float or dict
        The score of ``fused_oof_predictions_``.
    fused_cv_score_ : float or dict
        The same with the gate learnt again without each fold. Computed on
        first access.
    shrinkage_ : float
        The shrinkage used (the chosen one with ``shrinkage="auto"``); 1
        means the static blend on every row (said at ``verbose=1`` and in
        :func:`~skfusion.inspection.member_report`).
    static_weights_ : ndarray of shape (n_members,) or None
        The static weights the rule's are shrunk toward; None when
        ``shrinkage_`` is 0.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    GatedBlender : The classifier.
    DynamicSelectorRegressor : Per-row weights from the nearest training rows.

    References
    ----------
    .. [1] R. A. Jacobs, M. I. Jordan, S. J. Nowlan and G. E. Hinton,
       "Adaptive mixtures of local experts", Neural Computation 3(1), 79-87,
       1991.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skfusion import GatedBlenderRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> gated = GatedBlenderRegressor(
    ...     [("ridge", Ridge()), ("knn", KNeighborsRegressor(20))]
    ... ).fit(X, y)
    >>> gated.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {**_BaseGatedBlender._parameter_constraints}

    def __init__(
        self,
        estimators,
        *,
        gate=None,
        gate_target="soft",
        temperature="auto",
        shrinkage="auto",
        cv=5,
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
        self.gate = gate
        self.gate_target = gate_target
        self.temperature = temperature
        self.shrinkage = shrinkage
        self.test_predictions = test_predictions
        self.fold_eval_set = fold_eval_set
        self.scoring = scoring

    def _row_losses(self, outputs, y):
        return row_squared_errors(outputs, y)
