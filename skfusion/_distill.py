"""Distillation of a fitted ensemble (or any model) into one fast student.

A student imitates the teacher on the training rows and on augmented rows
near them, labelled by the teacher (Bucilua et al. 2006; Fakoor et al.
2020). The honest bar is the same student trained directly on the labels:
a validation part of the data compares the two, and with ``fallback`` the
direct student is kept when distillation did not beat it.
"""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from scipy.special import softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit, check_cv
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state, gen_batches, get_tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d
from tqdm.auto import tqdm

from ._base import sample_weight_key
from ._compat import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _check_feature_names,
    _check_n_features,
    _fit_context,
    _num_samples,
    _safe_indexing,
)
from ._oof import align_output, label_codes
from ._utils import (
    check_sample_weight,
    is_frame,
    paired_mean_and_error,
    row_log_losses,
    row_squared_errors,
)

AUGMENT_METHODS = ("munge", "interpolate")


# -- augmentation ---------------------------------------------------------------
def _is_categorical_dtype(dtype):
    """A DataFrame column that is not numbers (category, object, string, bool)."""
    if str(dtype) == "category" or getattr(dtype, "kind", "O") in "OSUb":
        return True
    return not np.issubdtype(np.dtype(getattr(dtype, "numpy_dtype", dtype)), np.number)


def _categorical_mask(X, categorical_features):
    """Which columns are categorical: a DataFrame's non-numeric columns (and
    those named), or the given indices / mask."""
    n_features = X.shape[1]
    mask = np.zeros(n_features, dtype=bool)
    if is_frame(X):
        mask[:] = [_is_categorical_dtype(d) for d in X.dtypes]
    if categorical_features is None:
        return mask
    given = np.asarray(categorical_features)
    if given.dtype == bool:
        if given.shape != (n_features,):
            raise ValueError(
                f"A boolean categorical_features mask needs {n_features} entries; got "
                f"{given.shape}."
            )
        return mask | given
    if given.dtype.kind in "OU":
        if not is_frame(X):
            raise ValueError("categorical_features by name needs X as a DataFrame.")
        columns = list(X.columns)
        unknown = [c for c in given if c not in columns]
        if unknown:
            raise ValueError(f"categorical_features names unknown columns: {unknown}.")
        given = np.array([columns.index(c) for c in given])
    if given.size and (given.min() < -n_features or given.max() >= n_features):
        raise ValueError(f"categorical_features must be indices in [0, {n_features}).")
    mask[given] = True
    return mask


def _numeric_view(X, categorical):
    """Float columns for the neighbour search: numeric columns standardised,
    each categorical column one-hot over its values scaled by 1/sqrt(2), so
    that two rows differing in a category are 1 apart on it."""
    parts = []
    n = _num_samples(X)
    for j in range(X.shape[1]):
        column = np.asarray(X.iloc[:, j] if is_frame(X) else X[:, j])
        if categorical[j]:
            _, codes = np.unique(column.astype(str), return_inverse=True)
            one_hot = np.zeros((n, codes.max() + 1))
            one_hot[np.arange(n), codes] = np.sqrt(0.5)
            parts.append(one_hot)
        else:
            values = column.astype(np.float64)
            scale = values.std()
            parts.append(((values - values.mean()) / (scale if scale > 0 else 1.0))[:, None])
    return np.hstack(parts) if parts else np.zeros((n, 0))


def augment(X, n_rows, *, method="munge", categorical=None, p=0.5, s=1.0, k=5, random_state=None):
    """Rows near the rows of X, for a teacher to label.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
        The rows to augment (at least 2).
    n_rows : int
        How many rows to make.
    method : {"munge", "interpolate"}, default="munge"
        ``"munge"`` (Bucilua et al. 2006): each new row starts from a row of
        X and, for each column with probability ``p``, takes its nearest
        neighbour's value: a categorical value as it is, a numeric one drawn
        from a normal centred there with standard deviation the two rows'
        distance on the column over ``s``. ``"interpolate"``: a random point
        on the segment to one of the row's ``k`` nearest neighbours
        (numeric columns), each categorical value from either end.
    categorical : ndarray of bool of shape (n_features,), default=None
        Categorical columns (default: none).
    p, s : float
        MUNGE's swap probability and spread divisor.
    k : int
        ``"interpolate"``: neighbours to choose from.
    random_state : int, RandomState instance or None, default=None
        The draws.

    Returns
    -------
    X_new : ndarray or DataFrame of shape (n_rows, n_features)
        Of X's type; numeric columns as floats, categorical values as found
        in X.
    """
    rng = check_random_state(random_state)
    n, n_features = X.shape
    categorical = np.zeros(n_features, bool) if categorical is None else categorical
    # Each row's nearest other rows (sklearn leaves the row itself out).
    search = NearestNeighbors(n_neighbors=min(k if method == "interpolate" else 1, n - 1))
    neighbours = search.fit(_numeric_view(X, categorical)).kneighbors(return_distance=False)
    # Each pass goes over every row once, as MUNGE; the last pass is a sample.
    base = np.concatenate([rng.permutation(n) for _ in range(-(-n_rows // n))])[:n_rows]
    partner = neighbours[base, rng.randint(neighbours.shape[1], size=n_rows)]
    columns = []
    weight = rng.uniform(size=n_rows)  # "interpolate": how far along the segment
    for j in range(n_features):
        column = X.iloc[:, j].to_numpy() if is_frame(X) else X[:, j]
        own, other = column[base], column[partner]
        if method == "munge":
            take = rng.uniform(size=n_rows) < p
            if categorical[j]:
                new = np.where(take, other, own)
            else:
                own, other = own.astype(np.float64), other.astype(np.float64)
                spread = np.abs(own - other) / s
                new = np.where(take, rng.normal(other, spread), own)
        elif categorical[j]:
            new = np.where(rng.uniform(size=n_rows) < weight, other, own)
        else:
            own, other = own.astype(np.float64), other.astype(np.float64)
            new = own + weight * (other - own)
        columns.append(new)
    if is_frame(X):
        frame = X.iloc[:0].copy()
        data = {name: values for name, values in zip(X.columns, columns)}
        out = type(X)(data, columns=X.columns)
        for name, is_cat in zip(X.columns, categorical):
            if is_cat:
                out[name] = out[name].astype(frame[name].dtype)
        return out
    return np.column_stack(columns).astype(X.dtype if categorical.any() else np.float64)


# -- the estimators -------------------------------------------------------------
class _BaseDistiller(MetaEstimatorMixin, BaseEstimator):
    _parameter_constraints: dict = {
        "teacher": [HasMethods(["fit", "predict"])],
        "student": [HasMethods(["fit", "predict"])],
        "augment": [StrOptions(set(AUGMENT_METHODS)), None],
        "n_augment": [
            Interval(numbers.Integral, 0, None, closed="left"),
            Interval(RealNotInt, 0, None, closed="neither"),
        ],
        "categorical_features": ["array-like", None],
        "munge_p": [Interval(numbers.Real, 0, 1, closed="both")],
        "munge_s": [Interval(numbers.Real, 0, None, closed="neither")],
        "validation": [Interval(RealNotInt, 0, 1, closed="neither"), "cv_object", None],
        "fallback": ["boolean"],
        "refit": ["boolean"],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        teacher,
        student,
        *,
        augment="munge",
        n_augment=4.0,
        categorical_features=None,
        munge_p=0.5,
        munge_s=1.0,
        validation=0.2,
        fallback=True,
        refit=True,
        batch_size=10_000,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.teacher = teacher
        self.student = student
        self.augment = augment
        self.n_augment = n_augment
        self.categorical_features = categorical_features
        self.munge_p = munge_p
        self.munge_s = munge_s
        self.validation = validation
        self.fallback = fallback
        self.refit = refit
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    # -- data ---------------------------------------------------------------
    def _check_X(self, X, *, reset):
        _check_feature_names(self, X, reset=reset)
        if sparse.issparse(X):
            raise TypeError(
                "Distillation augments rows near the training rows and needs dense X; got a "
                "sparse matrix."
            )
        if not is_frame(X):
            X = check_array(X, dtype=None if self.categorical_features is not None else "numeric")
        elif reset and X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        _check_n_features(self, X, reset=reset)
        return X

    @staticmethod
    def _fit_params(estimator, sample_weight, why="sample_weight was given"):
        if sample_weight is None:
            return {}
        key = sample_weight_key(estimator)
        if key is None:
            raise TypeError(
                f"{type(estimator).__name__} does not take sample_weight in fit ({why})."
            )
        return {key: sample_weight}

    def _n_new_rows(self, n):
        if self.augment is None:
            return 0
        if isinstance(self.n_augment, numbers.Integral):
            return int(self.n_augment)
        return int(round(self.n_augment * n))

    # -- the teacher ------------------------------------------------------------
    def _teacher_outputs(self, teacher, X):
        """The teacher's outputs on X, in batches of ``batch_size`` rows (the
        costly part), in parallel threads with ``n_jobs``."""
        method = self._teacher_method(teacher)
        batches = list(gen_batches(_num_samples(X), self.batch_size))
        if self.verbose:
            batches = tqdm(batches, desc="teacher labels", unit="batch")
        parts = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(getattr(teacher, method))(_safe_indexing(X, rows)) for rows in batches
        )
        return np.concatenate(parts, axis=0)

    # -- fitting --------------------------------------------------------------
    def _distil(self, X, y, sample_weight, rng):
        """Fit the teacher on (X, y), augment X, label every row with the
        teacher and fit the student on them. Returns (teacher, student)."""
        teacher = clone(self.teacher).fit(X, y, **self._fit_params(self.teacher, sample_weight))
        n_new = self._n_new_rows(_num_samples(X))
        rows = X
        if n_new and _num_samples(X) > 1:
            categorical = _categorical_mask(X, self.categorical_features)
            new = augment(
                X,
                n_new,
                method=self.augment,
                categorical=categorical,
                p=self.munge_p,
                s=self.munge_s,
                random_state=rng,
            )
            rows = _concatenate(X, new)
        targets = self._teacher_outputs(teacher, rows)
        if sample_weight is not None:  # augmented rows weigh as an average row
            n_new_rows = _num_samples(rows) - _num_samples(X)
            sample_weight = np.r_[sample_weight, np.full(n_new_rows, np.mean(sample_weight))]
        return teacher, self._fit_on_targets(rows, targets, sample_weight)

    def _direct(self, X, y, sample_weight):
        """The student trained directly on the labels."""
        return self._fit_on_targets(X, self._label_targets(y), sample_weight)

    def _fit(self, X, y, sample_weight):
        rng = check_random_state(self.random_state)
        self.n_augmented_ = 0
        self.validation_scores_ = None
        self.distilled_ = True
        if self.validation is None or _num_samples(X) < 10:
            self.teacher_, self.student_ = self._distil(X, y, sample_weight, rng)
            self.n_augmented_ = self._n_new_rows(_num_samples(X))
            return self
        splits = self._validation_splits(X, y, rng)
        if not self.refit and len(splits) > 1:
            raise ValueError(
                "refit=False keeps the models fitted without the validation rows, which "
                f"needs one hold-out split; validation={self.validation!r} makes "
                f"{len(splits)}."
            )
        models = self._compare(X, y, sample_weight, splits, rng)
        if not self.refit:
            teacher, distilled, direct = models
            self.teacher_ = teacher
            self.student_ = distilled if self.distilled_ else direct
            self.n_augmented_ = self._n_new_rows(len(splits[0][0])) if self.distilled_ else 0
        elif self.distilled_:
            self.teacher_, self.student_ = self._distil(X, y, sample_weight, rng)
            self.n_augmented_ = self._n_new_rows(_num_samples(X))
        else:
            self.teacher_ = clone(self.teacher).fit(
                X, y, **self._fit_params(self.teacher, sample_weight)
            )
            self.student_ = self._direct(X, y, sample_weight)
        return self

    def _compare(self, X, y, sample_weight, splits, rng):
        """Fit the teacher, the distilled and the direct student without each
        split's validation rows and score them on those rows, pooled over the
        splits: ``validation_scores_`` and ``distilled_``. Returns the last
        split's (teacher, distilled, direct)."""
        keys = ("teacher", "student", "direct_student")
        pooled = {key: [] for key in keys}
        for train, test in splits:
            sw_train = None if sample_weight is None else sample_weight[train]
            X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
            teacher, distilled = self._distil(X_train, y[train], sw_train, rng)
            direct = self._direct(X_train, y[train], sw_train)
            pooled["teacher"].append(self._teacher_outputs(teacher, X_test))
            pooled["student"].append(self._student_predictions(distilled, X_test))
            pooled["direct_student"].append(self._student_predictions(direct, X_test))
        predictions = {key: np.concatenate(parts) for key, parts in pooled.items()}
        tested = np.concatenate([test for _, test in splits])
        y_test = y[tested]
        sw_test = None if sample_weight is None else sample_weight[tested]
        self.validation_scores_ = {
            key: self._scores(predicted, y_test, sw_test) for key, predicted in predictions.items()
        }
        # The one-standard-error rule, row by row on the validation rows:
        # the direct student is kept only when the distilled one does worse
        # by more than noise.
        excess, error = paired_mean_and_error(
            self._row_losses(predictions["student"], y_test)
            - self._row_losses(predictions["direct_student"], y_test),
            sw_test,
        )
        self.distilled_ = not self.fallback or bool(excess <= error)
        if not self.distilled_:
            key = self._deciding_score
            scores = self.validation_scores_
            warnings.warn(
                f"Distillation did worse than the student trained directly on the labels "
                f"on the validation rows, by more than one standard error ({key} "
                f"{scores['student'][key]:.4g} against {scores['direct_student'][key]:.4g}); "
                "keeping the direct student (fallback=True).",
                UserWarning,
                stacklevel=5,
            )
        return teacher, distilled, direct

    def _validation_splits(self, X, y, rng):
        """A hold-out split for a share, else the cross-validation's splits."""
        if isinstance(self.validation, numbers.Real) and not isinstance(
            self.validation, numbers.Integral
        ):
            return [self._validation_split(y, rng)]
        cv = check_cv(self.validation, y, classifier=is_classifier(self))
        return list(cv.split(X, y))

    def _validation_split(self, y, rng):
        splitter = self._splitter(self.validation, rng.randint(np.iinfo(np.int32).max))
        try:
            return next(splitter.split(np.zeros((len(y), 1)), y))
        except ValueError:  # a class too small to stratify: a plain split
            plain = ShuffleSplit(1, test_size=self.validation, random_state=0)
            return next(plain.split(np.zeros((len(y), 1))))


# Probabilities are clipped to [PROBA_CLIP, 1 - PROBA_CLIP] before their logs
# are regressed, so that one-hot labels (the direct student) and sure
# teachers give finite targets (log-odds within +-6.9).
PROBA_CLIP = 1e-3

# A classifier student learns each row once per class whose probability is at
# least SOFT_LABEL_FLOOR (a row's kept probabilities renormalised to 1). Rows
# of a class the teacher all but excludes teach the student nothing, yet
# count as rows in its leaf-size rules: with ten classes, every row ten times
# let a gradient-boosting student split down to two real rows (on digits its
# test log-loss doubled).
SOFT_LABEL_FLOOR = 0.01


def _soft_label_rows(proba):
    """Rows, classes and weights of soft labels as weighted rows."""
    kept = np.where(proba >= SOFT_LABEL_FLOOR, proba, 0.0)
    kept /= kept.sum(axis=1, keepdims=True)
    rows, classes = np.nonzero(kept)
    return rows, classes, kept[rows, classes]


def _logits(proba):
    """What a regressor student learns of class probabilities: the positive
    class's log-odds for two classes, else each class's log-probability
    minus the row's mean (softmax gives the probabilities back)."""
    log_proba = np.log(np.clip(proba, PROBA_CLIP, 1.0 - PROBA_CLIP))
    if proba.shape[1] == 2:
        return log_proba[:, 1] - log_proba[:, 0]
    return log_proba - log_proba.mean(axis=1, keepdims=True)


def _required(y):
    if y is None:
        raise ValueError("requires y to be passed, but the target y is None")
    return y


def _concatenate(X, new):
    """The rows of X, then the new ones: a DataFrame stays one with its
    dtypes, except that integer columns become floats, as new rows lie
    between the integers."""
    if is_frame(X):
        import pandas as pd

        dtypes = {
            name: np.float64 if getattr(dtype, "kind", "O") in "iu" else dtype
            for name, dtype in X.dtypes.items()
        }
        return pd.concat([X, new], ignore_index=True).astype(dtypes)
    dtype = np.float64 if X.dtype.kind in "iub" else X.dtype
    return np.concatenate([X.astype(dtype, copy=False), np.asarray(new, dtype=dtype)], axis=0)


_SHARED_PARAMETERS = """
    augment : {"munge", "interpolate"} or None, default="munge"
        How rows near the training rows are made for the teacher to label:
        MUNGE (Bucilua et al. 2006) or interpolation toward one of the five
        nearest rows (see the user guide, :ref:`distillation`); None labels
        the training rows only.
    n_augment : int or float, default=4.0
        How many augmented rows: a count, or a multiple of the training rows.
    categorical_features : array-like of int, str or bool, default=None
        Columns whose values are categories (copied, never interpolated);
        a DataFrame's non-numeric columns are categorical anyway.
    munge_p : float, default=0.5
        MUNGE's probability of taking a column's value from the row's
        nearest neighbour.
    munge_s : float, default=1.0
        MUNGE's spread divisor: a numeric value is drawn around the
        neighbour's with standard deviation their distance over ``munge_s``.
    validation : float, int, cross-validation generator, iterable or None, \
            default=0.2
        Where the teacher, the distilled student and the student trained
        directly on the labels are compared (``validation_scores_``): a
        float is the share of rows held out once (stratified for a
        classifier); an int, splitter or iterable of splits, as sklearn's
        ``cv``, compares them on every row, each scored by models fitted
        without its fold (k times the cost, less noise). None skips the
        comparison (and the fallback). Fewer than 10 rows skip it too.
    fallback : bool, default=True
        Keep the directly trained student, with one warning, when the
        distilled one does worse on the validation rows by more than one
        standard error of the row-by-row difference (in log-loss, each
        probability clipped to at least 0.001, for a classifier; in squared
        error for a regressor).
    refit : bool, default=True
        After the comparison, fit the kept kind of student (and the teacher)
        again on all rows; False keeps the models fitted without the
        validation rows (a hold-out share only).
    batch_size : int, default=10000
        Rows per teacher call when labelling (bounds the teacher's memory).
    n_jobs : int, default=None
        Threads labelling batches in parallel.
    verbose : int, default=0
        1: a progress bar over the teacher's batches.
    random_state : int, RandomState instance or None, default=None
        The validation split and the augmentation draws.
"""


_DISTILLER_DOC = (
    """A classifier distilled from a teacher into one student model.

    The teacher (any classifier with ``predict_proba``; a fitted one in a
    :class:`~sklearn.frozen.FrozenEstimator`) is fitted on the rows; rows
    near them are made (``augment``); the teacher's class probabilities on
    the real and the augmented rows are the student's targets. ``predict``
    and ``predict_proba`` use the student only: one model's cost.

    Parameters
    ----------
    teacher : classifier
        The model to imitate, e.g. an :class:`OOFStacker`; it needs
        ``predict_proba``.
    student : estimator
        The fast model. A classifier learns the soft labels as weighted rows
        (each row once per class of probability 1 % or more, weighted by
        the teacher's probability, renormalised; it needs
        ``sample_weight``); a regressor learns the probabilities
        as logits (the positive class's log-odds for two classes; one
        centred log-probability per class otherwise, through
        :class:`~sklearn.multioutput.MultiOutputRegressor` when it takes one
        output; probabilities clipped to [0.001, 0.999] first), and a softmax
        of its outputs gives the probabilities.
    soft_labels : {"auto", "weights", "regression"}, default="auto"
        How the student learns the probabilities: "auto" is "regression" for
        a regressor student and "weights" for a classifier.
"""
    + _SHARED_PARAMETERS.rstrip("\n")
    + """

    Attributes
    ----------
    teacher_ : classifier
        The fitted teacher.
    student_ : estimator
        The model that predicts: the distilled student, or the directly
        trained one when ``fallback`` kept it.
    distilled_ : bool
        Whether ``student_`` is the distilled student.
    validation_scores_ : dict or None
        Log-loss and accuracy on the validation rows of ``"teacher"``,
        ``"student"`` (distilled) and ``"direct_student"``; as a table,
        :func:`~skfusion.inspection.member_report`.
    n_augmented_ : int
        Augmented rows the kept student learnt from.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    DistillerRegressor : The regressor.
    OOFStacker : A teacher worth distilling.

    References
    ----------
    .. [1] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model
       compression", KDD 2006.
    .. [2] G. Hinton, O. Vinyals and J. Dean, "Distilling the knowledge in a
       neural network", arXiv:1503.02531, 2015.
    .. [3] R. Fakoor, J. Mueller, N. Erickson, P. Chaudhari and A. J. Smola,
       "Fast, accurate, and simple models for tabular data via augmented
       distillation", NeurIPS 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfusion import Distiller
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> distiller = Distiller(
    ...     RandomForestClassifier(n_estimators=50, random_state=0),
    ...     DecisionTreeRegressor(max_depth=6, random_state=0),
    ...     random_state=0,
    ... ).fit(X, y)
    >>> sorted(distiller.validation_scores_)
    ['direct_student', 'student', 'teacher']
    >>> distiller.predict_proba(X[:2]).shape
    (2, 2)
    """
)


class Distiller(ClassifierMixin, _BaseDistiller):
    __doc__ = _DISTILLER_DOC

    _parameter_constraints: dict = {
        **_BaseDistiller._parameter_constraints,
        "soft_labels": [StrOptions({"auto", "weights", "regression"})],
    }

    _deciding_score = "log_loss"

    def __init__(
        self,
        teacher,
        student,
        *,
        soft_labels="auto",
        augment="munge",
        n_augment=4.0,
        categorical_features=None,
        munge_p=0.5,
        munge_s=1.0,
        validation=0.2,
        fallback=True,
        refit=True,
        batch_size=10_000,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        super().__init__(
            teacher,
            student,
            augment=augment,
            n_augment=n_augment,
            categorical_features=categorical_features,
            munge_p=munge_p,
            munge_s=munge_s,
            validation=validation,
            fallback=fallback,
            refit=refit,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
            random_state=random_state,
        )
        self.soft_labels = soft_labels

    @staticmethod
    def _splitter(test_size, seed):
        return StratifiedShuffleSplit(1, test_size=test_size, random_state=seed)

    def _teacher_method(self, teacher):
        if not hasattr(teacher, "predict_proba"):
            raise ValueError(
                f"The teacher ({type(teacher).__name__}) has no predict_proba: a student "
                "learns from its class probabilities."
            )
        return "predict_proba"

    def _teacher_outputs(self, teacher, X):
        proba = super()._teacher_outputs(teacher, X)
        return align_output(proba, teacher, "predict_proba", self.classes_)

    def _soft_mode(self):
        if self.soft_labels != "auto":
            return self.soft_labels
        return "regression" if is_regressor(self.student) else "weights"

    def _label_targets(self, y):
        return align_output(y, None, "predict", self.classes_)  # one-hot rows

    def _fit_on_targets(self, X, targets, sample_weight):
        student = clone(self.student)
        if self._soft_mode() == "weights":
            rows, classes, weight = _soft_label_rows(targets)
            if sample_weight is not None:
                weight = weight * sample_weight[rows]
            why = (
                "the student learns soft labels as weighted rows; use "
                "soft_labels='regression' with a regressor student"
            )
            fit_params = self._fit_params(student, weight, why)
            return student.fit(_safe_indexing(X, rows), self.classes_[classes], **fit_params)
        Y = _logits(targets)
        if Y.ndim == 2 and not get_tags(student).target_tags.multi_output:
            student = MultiOutputRegressor(student)
        return student.fit(X, Y, **self._fit_params(student, sample_weight))

    def _student_predictions(self, student, X):
        """The student's class probabilities, in ``classes_`` order."""
        if not is_regressor(student):
            return align_output(student.predict_proba(X), student, "predict_proba", self.classes_)
        Y = np.asarray(student.predict(X), dtype=np.float64)
        if Y.ndim == 1:  # the positive class's log-odds
            Y = np.column_stack([np.zeros_like(Y), Y])
        return softmax(Y, axis=1)

    def _scores(self, proba, y, sample_weight):
        return {
            "log_loss": log_loss(y, proba, labels=self.classes_, sample_weight=sample_weight),
            "accuracy": accuracy_score(
                y, self.classes_[np.argmax(proba, axis=1)], sample_weight=sample_weight
            ),
        }

    def _row_losses(self, proba, y):
        """Each row's log-loss, its probability floored at ``PROBA_CLIP``: a
        student with sure leaves that is sure and wrong on a few rows would
        otherwise have losses too heavy-tailed for a standard error to mean
        anything."""
        return row_log_losses([proba], label_codes(y, self.classes_), PROBA_CLIP)[:, 0]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher, label real and augmented rows, fit the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data (dense).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the teacher and the students; augmented rows weigh as
            the mean row.

        Returns
        -------
        self : object
            The fitted distiller.
        """
        X = self._check_X(X, reset=True)
        y = column_or_1d(_required(y), warn=True)
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(f"Distiller takes a 1-D y of classes; got {type_of_target(y)}.")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The distiller needs samples of at least 2 classes; got 1 class "
                f"({self.classes_[0]!r})."
            )
        sample_weight = (
            None if sample_weight is None else check_sample_weight(sample_weight, _num_samples(X))
        )
        return self._fit(X, y, sample_weight)

    def predict_proba(self, X):
        """The student's class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in ``classes_`` order.
        """
        check_is_fitted(self)
        return self._student_predictions(self.student_, self._check_X(X, reset=False))

    def predict(self, X):
        """The student's most probable class.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


_DISTILLER_REGRESSOR_DOC = (
    """A regressor distilled from a teacher into one student model.

    The teacher (any regressor; a fitted one in a
    :class:`~sklearn.frozen.FrozenEstimator`) is fitted on the rows; rows
    near them are made (``augment``) and the teacher's predictions on the
    real and the augmented rows are the student's targets. ``predict`` uses
    the student only.

    Parameters
    ----------
    teacher : regressor
        The model to imitate, e.g. an :class:`OOFStackerRegressor`.
    student : regressor
        The fast model (a 2-D y through
        :class:`~sklearn.multioutput.MultiOutputRegressor` when it takes one
        output).
"""
    + _SHARED_PARAMETERS.rstrip("\n")
    + """

    Attributes
    ----------
    teacher_ : regressor
        The fitted teacher.
    student_ : regressor
        The model that predicts: the distilled student, or the directly
        trained one when ``fallback`` kept it.
    distilled_ : bool
        Whether ``student_`` is the distilled student.
    validation_scores_ : dict or None
        RMSE and R² on the validation rows of ``"teacher"``, ``"student"``
        (distilled) and ``"direct_student"``; as a table,
        :func:`~skfusion.inspection.member_report`.
    n_augmented_ : int
        Augmented rows the kept student learnt from.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when X has string column names.

    See Also
    --------
    Distiller : The classifier.
    OOFStackerRegressor : A teacher worth distilling.

    References
    ----------
    .. [1] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model
       compression", KDD 2006.
    .. [2] R. Fakoor, J. Mueller, N. Erickson, P. Chaudhari and A. J. Smola,
       "Fast, accurate, and simple models for tabular data via augmented
       distillation", NeurIPS 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skfusion import DistillerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> distiller = DistillerRegressor(
    ...     RandomForestRegressor(n_estimators=50, random_state=0),
    ...     DecisionTreeRegressor(max_depth=5, random_state=0),
    ...     random_state=0,
    ... ).fit(X, y)
    >>> sorted(distiller.validation_scores_["teacher"])
    ['r2', 'rmse']
    """
)


class DistillerRegressor(RegressorMixin, _BaseDistiller):
    __doc__ = _DISTILLER_REGRESSOR_DOC

    _deciding_score = "rmse"

    @staticmethod
    def _splitter(test_size, seed):
        return ShuffleSplit(1, test_size=test_size, random_state=seed)

    def _teacher_method(self, teacher):
        return "predict"

    def _label_targets(self, y):
        return y

    def _fit_on_targets(self, X, targets, sample_weight):
        student = clone(self.student)
        if np.ndim(targets) == 2 and not get_tags(student).target_tags.multi_output:
            student = MultiOutputRegressor(student)
        return student.fit(X, targets, **self._fit_params(student, sample_weight))

    @staticmethod
    def _student_predictions(student, X):
        return student.predict(X)

    @staticmethod
    def _scores(predicted, y, sample_weight):
        return {
            "rmse": float(np.sqrt(mean_squared_error(y, predicted, sample_weight=sample_weight))),
            "r2": r2_score(y, predicted, sample_weight=sample_weight),
        }

    @staticmethod
    def _row_losses(predicted, y):
        """Each row's squared error (averaged over outputs): their mean
        orders models as their RMSE does."""
        return row_squared_errors([predicted], y)[:, 0]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher, label real and augmented rows, fit the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data (dense).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the teacher and the students; augmented rows weigh as
            the mean row.

        Returns
        -------
        self : object
            The fitted distiller.
        """
        X = self._check_X(X, reset=True)
        y = check_array(_required(y), ensure_2d=False, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if len(y) != _num_samples(X):
            raise ValueError(f"X has {_num_samples(X)} rows but y has {len(y)}.")
        sample_weight = (
            None if sample_weight is None else check_sample_weight(sample_weight, _num_samples(X))
        )
        return self._fit(X, y, sample_weight)

    def predict(self, X):
        """The student's predictions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets.
        """
        check_is_fitted(self)
        return self.student_.predict(self._check_X(X, reset=False))
