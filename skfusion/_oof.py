"""The member / OOF engine shared by every fuser.

:func:`cross_fit` fits every member on every training fold, and on all rows
when the fuser needs refitted members, in one :class:`joblib.Parallel` call,
so a dask or ray joblib backend spreads the work. Out-of-fold predictions are
aligned on the fuser's ``classes_`` and averaged over the times a row was
predicted (repeated CV).
"""

import copy
import inspect
import numbers
import os
import pickle
import threading
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
from joblib import Memory, Parallel, delayed
from joblib import hash as joblib_hash
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GroupShuffleSplit,
    ShuffleSplit,
    StratifiedShuffleSplit,
    check_cv,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, has_fit_parameter
from tqdm.auto import tqdm

from ._compat import _num_samples, _safe_indexing
from ._config import config_context, get_config
from ._kernels import _is_device_array, get_kernel
from ._kernels._contract import all_finite
from ._saved import _SavedColumns, _SavedPredictionsClassifier
from ._utils import off_simplex_rows


# ---------------------------------------------------------------------------
# cv
# ---------------------------------------------------------------------------
def held_out_splits(y, *, classifier, n_splits=5):
    """Folds for rows that have none of their own (hold-out or prefit OOF
    rows, calibration rows): ``n_splits`` unshuffled folds, stratified for a
    classifier's 1-D y, as an int cv; fewer with fewer rows (or, stratified,
    fewer rows in the largest class); none below 2."""
    n_splits = min(n_splits, len(y))
    if classifier and np.ndim(y) == 1:
        n_splits = min(n_splits, np.unique(y, return_counts=True)[1].max())
    if n_splits < 2:
        return []
    splitter = resolve_cv(n_splits, y, classifier=classifier, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class smaller than the folds
        return list(splitter.split(np.zeros((len(y), 1)), y))


def is_holdout(cv):
    return isinstance(cv, numbers.Real) and not isinstance(cv, numbers.Integral)


def resolve_cv(cv, y, *, classifier, random_state, groups_given=False):
    """Return a splitter for ``cv``; the user's object is copied, never mutated.

    A float is one (stratified) hold-out split of that test fraction; an
    unseeded shuffling splitter gets a seed from ``random_state`` so that every
    member sees the same folds.
    """
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    if is_holdout(cv):
        if groups_given:
            return GroupShuffleSplit(n_splits=1, test_size=cv, random_state=seed)
        # One label per row is stratified; multi-output y is split plainly, as check_cv does.
        stratify = classifier and np.ndim(y) < 2
        splitter = StratifiedShuffleSplit if stratify else ShuffleSplit
        return splitter(n_splits=1, test_size=cv, random_state=seed)
    splitter = copy.deepcopy(check_cv(cv, y, classifier=classifier))
    if getattr(splitter, "random_state", 0) is None and getattr(splitter, "shuffle", True):
        splitter.random_state = seed
    return splitter


def make_splits(splitter, X, y, split_params, *, holdout):
    """Materialise the folds once and check that they cover every row."""
    splits = [
        (np.asarray(train), np.asarray(test))
        for train, test in splitter.split(X, y, **split_params)
    ]
    n = _num_samples(X)
    if not splits:
        raise ValueError("cv produced no split.")
    for f, (train, test) in enumerate(splits):
        check_fold_indices(train, test, n, f)
    times_tested = np.bincount(np.concatenate([test for _, test in splits]), minlength=n)
    if not holdout and np.any(times_tested == 0):
        missing = np.flatnonzero(times_tested == 0)
        raise ValueError(
            f"cv leaves {missing.size} of {n} rows without an out-of-fold prediction "
            f"(first: {missing[:5].tolist()}). Use a cv whose test folds cover every row "
            "(KFold, StratifiedKFold, GroupKFold, a repeated splitter), or a float for a "
            "single hold-out split."
        )
    return splits, times_tested


def check_fold_indices(train, test, n_samples, fold):
    """Indices of one fold: integers in ``[0, n_samples)``; a test fold lists a row once.

    A repeated test index would count the row twice in the OOF mean while
    adding its prediction once; a negative one would silently wrap around.
    """
    for part, indices in (("train", train), ("test", test)):
        if indices.size and (
            indices.dtype.kind not in "iu" or indices.min() < 0 or indices.max() >= n_samples
        ):
            raise ValueError(
                f"cv fold {fold}: the {part} indices must be integers in [0, {n_samples}); "
                f"got dtype {indices.dtype} and range [{indices.min()}, {indices.max()}]."
            )
    if test.size and np.bincount(test, minlength=n_samples).max() > 1:
        repeated = np.flatnonzero(np.bincount(test, minlength=n_samples) > 1)
        raise ValueError(
            f"cv fold {fold}: the test indices list {repeated.size} row(s) more than once "
            f"(first: {repeated[:5].tolist()}); each test fold must list a row at most once."
        )


# ---------------------------------------------------------------------------
# errors that name the member
# ---------------------------------------------------------------------------
def raise_member_error(exc, name, action):
    """Re-raise ``exc`` with the member and what it was doing in the message.

    The type is kept (a ValueError stays a ValueError) and the original is
    chained; the message carries the original text too, so it survives a
    joblib process backend, which pickles the exception without its chain.
    """
    if getattr(exc, "skfusion_member", None) is not None:  # already named
        raise exc
    message = f"Member {name!r} failed in {action}: {type(exc).__name__}: {exc}"
    try:
        named = type(exc)(message)
    except Exception:  # noqa: BLE001 - a type that takes other arguments
        named = RuntimeError(message)
    named.skfusion_member = name
    raise named from exc


def check_member_output(values, name, method, *, allow_neg_inf=False, where=""):
    """Raise a ValueError naming the member if its output holds NaN or inf.

    A NaN would otherwise reach an optimiser (which then stops at its
    starting point) or an argmax (which maps it to the first class).
    ``-inf`` is a valid log probability (``allow_neg_inf``).
    """
    values = np.asarray(values)
    if all_finite(values, np, allow_neg_inf=allow_neg_inf):
        return
    bad = np.isnan(values) | np.isposinf(values)
    if not allow_neg_inf:
        bad |= np.isneginf(values)
    rows = bad.reshape(len(values), -1).any(axis=1) if values.ndim > 1 else bad
    raise ValueError(
        f"Member {name!r} returned non-finite values (NaN or inf) from {method}{where} in "
        f"{int(rows.sum())} of {len(rows)} rows (first: row {int(np.argmax(rows))}); "
        "fusion needs finite member outputs."
    )


# A member's class probabilities must be distributions: non-negative, each
# row summing to 1 within this. Computed outputs are off by rounding only (a
# float32 softmax over a thousand classes: ~1e-5); a member 3x a distribution
# would otherwise outweigh the others and make fused rows sum to 3. Saved
# files, rounded to a few decimals, have their own tolerance (``_saved``).
PROBABILITY_TOLERANCE = 1e-4


# What to do about a member whose probabilities are no distributions.
MEMBER_ADVICE = (
    "Fix the member's probabilities, or stack its scores instead (OOFStacker with "
    "stack_method='decision_function' or 'predict')."
)
MODEL_ADVICE = (
    "Give each model's probabilities (rows non-negative, summing to 1), or blend scores "
    "by their ranks (voting='rank')."
)


def _tolerance(dtype, n_columns):
    """``PROBABILITY_TOLERANCE``, or more where low precision rounds each of a
    row's values (float16: by ~5e-4)."""
    if np.dtype(dtype).kind != "f":
        return PROBABILITY_TOLERANCE
    return max(PROBABILITY_TOLERANCE, n_columns * float(np.finfo(dtype).eps))


def _on_simplex(stats, tolerance):
    """Which rows of ``simplex_deviation``'s ``(M, 2)`` output are
    distributions (NaN is not)."""
    return (stats[..., 0] >= 0) & (stats[..., 1] <= tolerance)


def check_probabilities(
    values,
    name,
    what="predict_proba values",
    *,
    classes=None,
    where="",
    advice=MEMBER_ADVICE,
):
    """Raise a ValueError naming the member if its class probabilities are
    no distributions: a negative value, or a row not summing to 1 within
    ``PROBABILITY_TOLERANCE`` (each output's columns on their own for a
    multi-output ``classes``; one column: a probability in [0, 1]). The
    common case, all fine, is one pass of the ``simplex_deviation`` kernel."""
    multi_output = classes is not None and is_multi_output(classes)
    if np.ndim(values) == 2 and np.shape(values)[1] > 1 and not multi_output:
        tolerance = _tolerance(values.dtype, values.shape[1])
        stats = get_kernel("simplex_deviation", values)([values], [True])
        if _on_simplex(stats, tolerance)[0]:
            return
    values = values.get() if _is_device_array(values) else np.asarray(values)
    groups = output_slices(classes) if multi_output else None
    tolerance = _tolerance(values.dtype, values.shape[-1] if values.ndim == 2 else 1)
    off = off_simplex_rows(values, tolerance, groups)
    if off is None:
        return
    row = int(np.argmax(off))
    shown = values[row] if values.ndim > 1 else values[row : row + 1]
    raise ValueError(
        f"Member {name!r}: its {what}{where} are not probabilities in "
        f"{int(off.sum())} of {len(off)} rows (first: row {row}, values "
        f"{np.array2string(np.asarray(shown)[:6], precision=4)}, sum {shown.sum():.6g}); "
        f"each row must be non-negative and sum to 1. {advice}"
    )


def check_model_predictions(predictions, members, what="predictions"):
    """A ValueError naming the model whose predictions hold NaN or inf.

    A block is summed in one pass in its own memory order (a member's
    strided slice would read the whole block once per member); only when
    that sum is not finite are the members looked at one by one.
    """
    if isinstance(predictions, np.ndarray) and all_finite(predictions, np):
        return
    for m, p in enumerate(members):
        check_member_output(p, m, what)


def check_model_probabilities(predictions, members, weights=None):
    """:func:`check_probabilities` of each model's ``(n, k)`` class scores
    (those of weight > 0 when ``weights`` are given), naming the model by its
    index. One pass of the ``simplex_deviation`` kernel over the models, in
    their own memory order; only a model it finds off is read again, for
    the message."""
    active = np.ones(len(members), bool) if weights is None else np.asarray(weights) > 0
    if members[0].ndim != 2 or not active.any():
        return
    given = predictions if hasattr(predictions, "ndim") else members
    stats = get_kernel("simplex_deviation", given)(given, active)
    tolerance = _tolerance(np.result_type(*[m.dtype for m in members]), members[0].shape[1])
    for m in np.flatnonzero(~_on_simplex(stats, tolerance) & active):
        check_probabilities(members[m], int(m), "class scores", advice=MODEL_ADVICE)


# ---------------------------------------------------------------------------
# cached results carry a checksum
# ---------------------------------------------------------------------------
class _Sealed:
    """A pickled value and its checksum, as stored in the ``memory`` cache.

    A cache entry altered on disk fails its checksum (or its unpickling) and
    is recomputed instead of being used.
    """

    __slots__ = ("payload", "digest", "fresh")

    def __init__(self, value):
        self.payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.digest = self._checksum(self.payload)
        # Just computed: handed over once as is, not unpickled from the payload.
        self.fresh = [value]

    @staticmethod
    def _checksum(payload):
        # CRC-32 and the length, as zip files carry: made to catch damage on
        # disk, and several times faster than a cryptographic hash on the
        # megabytes of a fitted forest that every grid candidate loads.
        return zlib.crc32(payload), len(payload)

    def __getstate__(self):
        return self.payload, self.digest

    def __setstate__(self, state):
        self.payload, self.digest = state
        self.fresh = []

    def open(self):
        if self.fresh:
            return self.fresh.pop()
        if not isinstance(self.payload, bytes) or self._checksum(self.payload) != self.digest:
            raise ValueError("checksum mismatch")
        return pickle.loads(self.payload)


class _KeyedStore:
    """A function's results kept in the ``memory`` folder, one file per key.

    The first argument of every call is a key the caller computed (a fit's
    or an output's, see :class:`_Executor`), so a result is found by its file
    name alone. joblib's ``Memory.cache`` would also inspect, hash and
    record the arguments and write metadata beside each result, about a
    millisecond a call, which the candidates of a grid search make by the
    thousand. The files live in joblib's own store folder, so
    ``Memory.clear()`` removes them too.

    A stored ``_Sealed`` value is opened (checksum, then unpickled); an entry
    that fails, or cannot be read, is recomputed and stored again, with one
    warning. A value that pickle refuses (a model holding a lambda) is
    returned and not stored.
    """

    def __init__(self, memory, func):
        self.func = func
        self.folder = os.path.join(memory.location, "joblib", "skfusion", func.__name__)

    def __call__(self, key, *args):
        path = os.path.join(self.folder, f"{key}.pkl")
        try:
            with open(path, "rb") as f:
                stored = pickle.load(f)
            return stored.open() if isinstance(stored, _Sealed) else stored
        except FileNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001 - any damage means "recompute"
            warnings.warn(
                f"skfusion: a corrupted memory entry of {self.func.__name__} was "
                f"recomputed ({type(exc).__name__}: {exc}).",
                RuntimeWarning,
            )
        value = self.func(key, *args)
        self._store(path, value)
        return value.open() if isinstance(value, _Sealed) else value

    def _store(self, path, value):
        os.makedirs(self.folder, exist_ok=True)
        # Written aside, then renamed: a concurrent reader (parallel fits)
        # sees the whole file or none.
        partial = f"{path}.{os.getpid()}.{threading.get_ident()}.partial"
        try:
            with open(partial, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, path)
        except (pickle.PicklingError, AttributeError, TypeError):
            os.remove(partial)


# ---------------------------------------------------------------------------
# fitting and predicting one member on one fold
# ---------------------------------------------------------------------------
def _slice_params(params, rows, n_samples):
    if rows is None:
        return params
    return {
        key: _safe_indexing(value, rows)
        if hasattr(value, "__len__")
        and not isinstance(value, str)
        and _num_samples(value) == n_samples
        else value
        for key, value in params.items()
    }


def _fit_member(key, estimator, X, y, train, fit_params):
    """Fit a clone of ``estimator`` on rows ``train`` (all rows when None).

    ``key`` identifies the fit in the cache (the member, its data and fit
    params, ``train``): the cached versions are keyed on it alone, so the
    estimator and the arrays are not hashed per task.
    """
    n = _num_samples(X)
    if train is not None:
        X, y = _safe_indexing(X, train), _safe_indexing(y, train)
    return clone(estimator).fit(X, y, **_slice_params(fit_params, train, n))


def _fit_member_sealed(key, estimator, X, y, train, fit_params):
    """:func:`_fit_member` for the cache: the fitted model sealed (pickle bytes
    and a checksum).

    Unpickled from bytes with :func:`pickle.loads`, a forest of a hundred
    trees loads several times faster than through joblib's pure-python
    unpickler. A model that pickle refuses (a lambda inside, say) is
    returned as is, and not stored.
    """
    fitted = _fit_member(key, estimator, X, y, train, fit_params)
    try:
        return _Sealed(fitted)
    except (pickle.PicklingError, AttributeError, TypeError):
        return fitted


def _predict_rows(fitted, X, test, method, classes):
    return member_output(fitted, _safe_indexing(X, test), method, classes)


def _fold_output(output_key, test, method, classes, key, estimator, X, y, train, fit_params, fit):
    """The aligned output of a member fitted on ``train`` for the rows ``test``.

    ``output_key`` identifies it in the cache (the fit's ``key``, ``test``,
    ``method`` and ``classes``), so joblib neither hashes nor records the
    arrays per call.
    """
    fitted = fit(key, estimator, X, y, train, fit_params)
    return _predict_rows(fitted, X, test, method, classes)


def _fold_output_sealed(
    output_key, test, method, classes, key, estimator, X, y, train, fit_params, fit
):
    """:func:`_fold_output` for the cache, sealed.

    Cached on its own (with ``fit``'s cache inside): a repeated task loads
    only its predictions, and another method or class set reuses the fit.
    """
    return _Sealed(
        _fold_output(
            output_key, test, method, classes, key, estimator, X, y, train, fit_params, fit
        )
    )


@dataclass
class _Task:
    """One member x fold fit; ``fold`` None is the fit on all rows (no output)."""

    member: int
    name: str
    estimator: object
    fit_params: dict
    key: str | None = None  # of the fit in the cache (see _Executor.task_key)
    fold: int | None = None
    train: np.ndarray | None = None
    test: np.ndarray | None = None
    method: str | None = None
    classes: np.ndarray | None = None
    keep: bool = False
    eval_param: str | tuple | None = None  # the held-out rows' fit parameter(s)


class _Executor:
    """Runs tasks on one (X, y): fits, predicts, and caches when ``memory`` has a place.

    Runs under the caller's skfusion config: worker threads and processes
    start from the default, so the config (``engine``) travels with each
    task, as sklearn's own does. An error names the member and the fold.
    """

    def __init__(self, X, y, memory):
        self.X, self.y = X, y
        self.cached = memory.location is not None
        if self.cached:
            # Stored under the task's fit key, and its output key.
            self.fit = _KeyedStore(memory, _fit_member_sealed)
            self.predict = _KeyedStore(memory, _fold_output_sealed)
            # X and y are hashed once here, not per task.
            self._data_hash = joblib_hash((X, y))
        else:
            self.fit, self.predict = _fit_member, _fold_output

    def member_key(self, estimator, fit_params):
        """What identifies a member's fits in the cache, but for their rows
        (None without a cache): hashed once per member, not per task."""
        if not self.cached:
            return None
        return joblib_hash((estimator, self._data_hash, fit_params))

    @staticmethod
    def task_key(member_key, train, held_out=None):
        """The cache key of one fit: the member's key and the rows it is fitted on
        (and those of its early-stopping set, where it gets one)."""
        if member_key is None:
            return None
        return joblib_hash(
            (member_key, train) if held_out is None else (member_key, train, held_out)
        )

    @staticmethod
    def output_key(task):
        """The cache key of a fold task's output: its fit's key, rows, method and classes."""
        if task.key is None:
            return None
        return joblib_hash((task.key, task.test, task.method, task.classes))

    def run(self, task, config):
        """(fitted model or None, aligned test output or None) of ``task``."""
        with config_context(**config):
            try:
                return self._run(task)
            except Exception as exc:  # noqa: BLE001 - re-raised with the member's name
                where = "the fit on all rows" if task.fold is None else f"cv fold {task.fold}"
                raise_member_error(exc, task.name, where)

    def fit_args(self, task):
        """The arguments of ``task``'s fit (with its fold's early-stopping set)."""
        fit_params = task.fit_params
        if task.eval_param is not None:
            held_out = (_safe_indexing(self.X, task.test), _safe_indexing(self.y, task.test))
            if isinstance(task.eval_param, str):  # eval_set=[(X, y)]
                fit_params = {**fit_params, task.eval_param: [held_out]}
            else:  # a pair of names: eval_X=X, eval_y=y
                fit_params = {**fit_params, **dict(zip(task.eval_param, held_out))}
        return (task.key, task.estimator, self.X, self.y, task.train, fit_params)

    def _run(self, task):
        fit_args = self.fit_args(task)
        if task.test is None:
            return self.fit(*fit_args), None
        head = (self.output_key(task), task.test, task.method, task.classes)
        if not task.keep:
            return None, self.predict(*head, *fit_args, self.fit)
        if not self.cached:
            fitted = self.fit(*fit_args)
            return fitted, _predict_rows(fitted, self.X, task.test, task.method, task.classes)
        # The output comes from its own entry; the kept model is loaded only if
        # that entry has to be computed. Otherwise it stays in the cache until
        # read (see FoldModels): a grid candidate that reads only outputs
        # never loads it.
        model = _LoadOnce(self.fit, fit_args)
        output = self.predict(*head, *fit_args, model)
        return (model.value if model.loaded else IN_CACHE), output


# What a kept fold model's task returns when the model stayed in the cache.
IN_CACHE = "in the cache"


class _LoadOnce:
    """A ``fit`` for :func:`_fold_output` that fits or loads the model once."""

    def __init__(self, fit, fit_args):
        self.fit, self.fit_args = fit, fit_args
        self.loaded, self.value = False, None

    def __call__(self, *args):
        if not self.loaded:
            self.value, self.loaded = self.fit(*self.fit_args), True
        return self.value


class _Deferred:
    """A kept fold model still in the cache, loaded when first read.

    ``template`` (the member as given) stands in for it where a fitted
    model's parameters or structure are asked (a fit changes neither).
    """

    __slots__ = ("fit", "fit_args", "template")

    def __init__(self, fit, fit_args, template):
        self.fit, self.fit_args, self.template = fit, fit_args, template

    def get_params(self, deep=True):
        return self.template.get_params(deep=deep)

    def load(self):
        return self.fit(*self.fit_args)


def stand_in(model):
    """A fold model, or the member it was cloned from while it is in the cache."""
    return model.template if isinstance(model, _Deferred) else model


def loaded(model):
    """A fold model, loaded if it was still in the cache."""
    return model.load() if isinstance(model, _Deferred) else model


class FoldModels(list):
    """One member's fold models. One still in the cache loads when read (by
    index or iteration), and is kept; ``raw`` reads without loading.

    A copy or a pickle holds the loaded models (never the training data that
    a model in the cache is keyed on).
    """

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        model = list.__getitem__(self, index)
        if isinstance(model, _Deferred):
            model = model.load()
            list.__setitem__(self, index, model)
        return model

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def raw(self, index):
        return list.__getitem__(self, index)

    def __reduce__(self):
        return (FoldModels, (list(self),))

    def __repr__(self):
        return repr(list(self))


def _output_sealed(key, method, classes, name, estimator, X):
    """A fitted member's aligned output on X, sealed for the cache (``key``
    holds the model's fit key, its parameters, X's hash, ``method`` and
    ``classes``: not the model and X themselves)."""
    return _Sealed(member_output(loaded(estimator), X, method, classes, name=name))


class OutputCache:
    """Members' outputs on one X, from the ``memory`` cache where a model's fit
    is keyed there (see :meth:`_Executor.task_key`).

    The candidates of a grid search that share fitted members (tuning only
    the fusion) then predict each test set once per fitted model; X is
    hashed once, not per member. The key also holds the model's current
    parameters, so a member changed with ``set_params`` after the fit, or
    replaced by another, predicts afresh.
    """

    def __init__(self, memory, X):
        self.X = X
        self.memory = memory
        self._X_key = None

    def output(self, estimator, fit_key, method, classes, name):
        """:func:`member_output` of ``estimator`` (errors naming ``name``)."""
        if self.memory.location is None or fit_key is None:
            return member_output(loaded(estimator), self.X, method, classes, name=name)
        if self._X_key is None:
            self._X_key = joblib_hash(self.X)
            self._cached_output = _KeyedStore(self.memory, _output_sealed)
        params_key = joblib_hash(estimator.get_params(deep=True))
        key = joblib_hash((fit_key, params_key, self._X_key, method, classes))
        return self._cached_output(key, method, classes, name, estimator, self.X)


def member_output(estimator, X, method, classes=None, name=None):
    """``method``'s output on X, aligned on ``classes``, as a float array.

    With a ``name``, an error of the member is re-raised naming it, and an
    output holding NaN or inf is a ValueError naming it (see
    :func:`check_member_output`); the engine checks the assembled OOF
    predictions instead.

    Classifiers give ``(n, n_classes)``: probabilities (a class unseen by the
    member gets 0), decision values (an unseen class gets the row's lowest
    score, so it never wins), or a one-hot encoding of ``predict``.
    Regressors give ``predict``'s output as float; ``method="predict_std"``
    gives ``(n, 2)``: the mean and the member's own predictive std (NaN when
    the member has no ``predict(X, return_std=True)``).
    """
    if name is None:
        return _member_output(estimator, X, method, classes)
    try:
        output = _member_output(estimator, X, method, classes)
    except Exception as exc:  # noqa: BLE001 - re-raised with the member's name
        raise_member_error(exc, name, method)
    check_output(output, name, method, estimator, classes=classes)
    return output


def check_output(
    output, name, method, estimator=None, where="", classes=None, advice=MEMBER_ADVICE
):
    """:func:`check_member_output` with the rules of each method.

    ``predict_std``'s std column is NaN by design for members without a
    predictive std; ``predict_log_proba`` may give ``-inf``; ``predict_proba``
    must give distributions (:func:`check_probabilities`, on ``classes``).
    """
    if method == "predict_std":
        own_std = estimator is None or has_return_std(estimator)
        output = output if own_std else output[:, 0]  # the mean (of every output)
    check_member_output(
        output, name, method, allow_neg_inf=method == "predict_log_proba", where=where
    )
    if method in ("predict_proba", "predict_log_proba"):
        what = f"{method} values" + (" (exponentiated)" if method == "predict_log_proba" else "")
        proba = np.exp(output) if method == "predict_log_proba" else output
        check_probabilities(proba, name, what, classes=classes, where=where, advice=advice)


def _member_output(estimator, X, method, classes):
    if method == "predict_std":
        return predict_mean_std(estimator, X)
    # log(0) = -inf is a valid log probability, not a cause for warning.
    with np.errstate(divide="ignore"):
        raw = getattr(estimator, method)(X)
    return align_output(raw, estimator, method, classes)


def _final_step(estimator):
    """The estimator whose ``predict`` a (nested) Pipeline ends in, and its Pipeline prefix."""
    prefix = []
    while isinstance(estimator, Pipeline):
        prefix.append(estimator[:-1])
        estimator = estimator.steps[-1][1]
    return prefix, estimator


def has_return_std(estimator):
    """Whether the member (or its Pipeline's final step) has ``predict(X, return_std=True)``."""
    predict = getattr(_final_step(estimator)[1], "predict", None)
    return predict is not None and "return_std" in inspect.signature(predict).parameters


def predict_mean_std(estimator, X):
    """``(n, 2)`` (``(n, 2, n_outputs)`` for a 2-D y): predictive mean and std;
    std is NaN for members without one."""
    if not has_return_std(estimator):
        mean = np.asarray(estimator.predict(X), dtype=np.float64)
        return np.stack([mean, np.full_like(mean, np.nan)], axis=1)
    prefix, final = _final_step(estimator)
    for transformer in prefix:
        # The pipeline's own transforms, so return_std reaches the final step
        # whether or not metadata routing is on.
        X = transformer.transform(X)
    if isinstance(X, np.ndarray) and X.dtype == object:
        # BayesianRidge / ARDRegression validate X for the mean but compute the
        # std from the X they were given, which fails on object arrays.
        X = X.astype(np.float64)
    mean, std = final.predict(X, return_std=True)
    return np.stack([mean, std], axis=1).astype(np.float64, copy=False)


def is_prefit(cv):
    return isinstance(cv, str) and cv == "prefit"


def member_label_space(estimator, classes, *, prefit=False):
    """The labels a member's outputs are aligned on (None for regressors).

    Members the engine fits learn class indices ``0..K-1`` instead of the
    labels, as sklearn's ensembles do (some models, XGBoost's sklearn API
    among them, accept nothing else), so their outputs align on those;
    prefit and FrozenEstimator members (also as a Pipeline's final step) keep
    the labels they were fitted on, and saved predictions the labels they
    were saved with. A member whose parameters name labels
    (``class_weight={"spam": 5, ...}``) sees indices too, as in sklearn's
    ensembles: give it ``class_weight`` by index.
    """
    if classes is None:
        return None
    if prefit or isinstance(
        _final_step(estimator)[1], (FrozenEstimator, _SavedPredictionsClassifier)
    ):
        return classes if is_multi_output(classes) else np.asarray(classes)
    if is_multi_output(classes):
        return [np.arange(len(c)) for c in classes]
    return np.arange(len(classes))


# A multi-output classifier's label space is a list: one array of classes per
# output. Its class scores sit side by side, output after output, so that the
# engine, the kernels and soft voting see one (n, sum of n_classes) array.
def is_multi_output(classes):
    """Whether ``classes`` is a multi-output label space (one array per output)."""
    return isinstance(classes, list)


def output_slices(classes):
    """The columns of each output in side-by-side multi-output class scores."""
    ends = np.cumsum([len(c) for c in classes])
    return [slice(end - len(c), end) for c, end in zip(classes, ends)]


def split_outputs(values, classes):
    """Side-by-side multi-output class scores as a list, one array per output."""
    return [values[..., cols] for cols in output_slices(classes)]


def label_codes(labels, classes):
    """Index of each label in the sorted ``classes``; a label outside them is an error.

    Multi-output: ``labels`` has one column per output, each coded on its classes.
    """
    labels = np.asarray(labels)
    if is_multi_output(classes):
        return np.column_stack([label_codes(labels[:, t], c) for t, c in enumerate(classes)])
    index = np.searchsorted(classes, labels).clip(0, len(classes) - 1)
    unknown = classes[index] != labels
    if unknown.any():
        raise ValueError(
            "predict returned labels that are not classes of y: "
            f"{np.unique(labels[unknown])[:5].tolist()}."
        )
    return index


def member_label_codes(estimator, X, classes, name):
    """The member's ``predict`` as indices into ``classes`` (its label space),
    errors naming the member."""
    try:
        return label_codes(estimator.predict(X), classes)
    except Exception as exc:  # noqa: BLE001 - re-raised with the member's name
        raise_member_error(exc, name, "predict")


def align_output(raw, estimator, method, classes):
    """A member's raw output as float class scores aligned on ``classes``
    (values, for a regressor)."""
    if classes is None:
        return np.asarray(raw).astype(np.float64, copy=False)
    member_classes = getattr(estimator, "classes_", classes)
    if not is_multi_output(classes):
        return _align_classes(np.asarray(raw), member_classes, method, classes)
    if not isinstance(member_classes, list):  # one array of outputs: binary ones
        member_classes = classes
    per_output = _per_output(raw, method)
    if len(per_output) != len(classes) or len(member_classes) != len(classes):
        raise ValueError(
            f"{method} gives {len(per_output)} output(s) where y has {len(classes)}; the "
            "member must be fitted on (and predict) every output of y."
        )
    return np.hstack(
        [
            _align_classes(np.asarray(r), mc, method, c)
            for r, mc, c in zip(per_output, member_classes, classes)
        ]
    )


def labels_from_scores(scores, classes):
    """The label of highest score: per row, or per row and output (multi-output)."""
    if not is_multi_output(classes):
        return classes[np.argmax(scores, axis=1)]
    return np.column_stack(
        [c[np.argmax(s, axis=1)] for c, s in zip(classes, split_outputs(scores, classes))]
    )


def _per_output(raw, method):
    """A multi-output member's raw output, one array per output.

    sklearn's multi-output classifiers give a list of ``(n, n_classes)``
    arrays (forests, kNN, MultiOutputClassifier); multilabel ones may give
    one ``(n, n_outputs)`` array of positive-class probabilities (MLP) or
    decision values (RidgeClassifier); ``predict`` gives a label per output.
    """
    if isinstance(raw, list):
        return raw
    raw = np.asarray(raw)
    if method in ("predict", "decision_function"):
        return list(raw.T)  # a binary decision value is the second class's score
    if method == "predict_log_proba":
        return [np.column_stack([np.log1p(-np.exp(r)), r]) for r in raw.T]
    return [np.column_stack([1.0 - r, r]) for r in raw.T]


def _align_classes(raw, member_classes, method, classes):
    n, k = raw.shape[0], len(classes)
    columns = np.searchsorted(classes, member_classes)
    if method == "predict":
        out = np.zeros((n, k))
        out[np.arange(n), label_codes(raw, classes)] = 1.0
        return out
    if raw.ndim == 1:  # binary decision_function: score of the second class
        raw = np.column_stack([-raw, raw])
    if raw.shape[1] == k and np.array_equal(member_classes, classes):
        return raw.astype(np.float64, copy=False)
    # A class the member never saw: lowest score, log probability -inf, probability 0.
    fill = {"decision_function": raw.min(axis=1, keepdims=True), "predict_log_proba": -np.inf}
    fill = fill.get(method, 0.0)
    out = np.empty((n, k))
    out[:] = fill
    out[:, columns] = raw
    return out


# ---------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------
@dataclass
class CrossFit:
    """What :func:`cross_fit` returns.

    ``oof`` has shape ``(n_members, n_samples, ...)`` (member-major so that
    each member's block is contiguous for the kernels); rows outside
    ``oof_rows`` (only in hold-out mode) are NaN.
    """

    estimators: list | None = None
    oof: np.ndarray | None = None
    oof_rows: np.ndarray | None = None
    fold_estimators: list | None = None
    splits: list | None = field(default=None, repr=False)
    # What identifies each fitted model in the memory cache (None without one):
    # its predictions are cached under it (see OutputCache).
    fit_keys: list | None = None
    fold_fit_keys: list | None = None

    @property
    def holdout_rows(self):
        """The rows that carry OOF predictions, or None when every row does."""
        return None if len(self.oof_rows) == self.oof.shape[1] else self.oof_rows

    def member_oof(self):
        """Each member's OOF predictions on the rows that have them (views if all do)."""
        rows = self.holdout_rows
        return [m_oof if rows is None else m_oof[rows] for m_oof in self.oof]

    def at_oof_rows(self, values):
        """``values`` (y, sample_weight...) on the rows with OOF predictions."""
        rows = self.holdout_rows
        return values if values is None or rows is None else _safe_indexing(values, rows)

    def at_all_rows(self, values):
        """Per-OOF-row ``values`` spread over all rows, NaN (None for labels) where
        there are none; a list (one array per output) array by array."""
        if isinstance(values, list):
            return [self.at_all_rows(v) for v in values]
        rows = self.holdout_rows
        return values if rows is None else spread_rows(values, rows, self.oof.shape[1])


def spread_rows(values, rows, n_samples):
    """``values`` of ``rows`` placed in an array of ``n_samples`` rows.

    The other rows hold NaN for floats; labels (any other dtype) keep their
    type in an object array, with None. A row listed twice gets its last value.
    """
    values = np.asarray(values)
    numbers = values.dtype.kind in "fc"
    full = np.full(
        (n_samples,) + values.shape[1:],
        np.nan if numbers else None,
        dtype=values.dtype if numbers else object,
    )
    full[rows] = values
    return full


def mean_over_folds(total, times_tested, row_axis=0):
    """Each row's sum over the test folds that held it, divided by how many
    did; NaN for rows that none did. Rows lie along ``row_axis`` of ``total``."""
    shape = [1] * total.ndim
    shape[row_axis] = -1
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / times_tested.reshape(shape)


def _check_fitted(name, estimator):
    try:
        check_is_fitted(estimator)
    except Exception as exc:
        raise type(exc)(
            f"cv='prefit' needs fitted members, but member {name!r} is not fitted: {exc}"
        ) from exc


@dataclass
class Folds:
    """How :func:`cross_fit` splits the rows.

    ``cv``: an int, splitter, iterable, float (one hold-out) or "prefit";
    ``split_params``: parameters of ``cv.split`` (``groups``);
    ``classifier``: stratify an int / float cv; ``random_state``: seeds
    unseeded shuffling splitters and the hold-out split.
    """

    cv: object = 5
    split_params: dict = field(default_factory=dict)
    classifier: bool = True
    random_state: object = None
    # The fit parameter through which each fold's fit gets the fold's
    # held-out rows, [(X_held_out, y_held_out)], as an early-stopping set;
    # or a pair of names that get X_held_out and y_held_out.
    eval_param: str | tuple | None = None

    def split(self, X, y, holdout=None):
        """The (train, test) pairs and how many times each row is tested.

        ``holdout``: whether rows may go untested (default: a float ``cv``).
        """
        params = {k: v for k, v in self.split_params.items() if v is not None}
        splitter = resolve_cv(
            self.cv,
            y,
            classifier=self.classifier,
            random_state=self.random_state,
            groups_given="groups" in params,
        )
        holdout = is_holdout(self.cv) if holdout is None else holdout
        return make_splits(splitter, X, y, params, holdout=holdout)


@dataclass(frozen=True)
class Schedule:
    """How :func:`cross_fit` runs its tasks: the ``memory`` cache (None, a path
    or a joblib.Memory), ``n_jobs`` parallel tasks, a progress bar from
    ``verbose`` 1."""

    memory: object = None
    n_jobs: int | None = None
    verbose: int = 0

    def joblib_memory(self):
        memory = self.memory
        return memory if isinstance(memory, Memory) else Memory(memory, verbose=0)


def cross_fit(
    members,
    X,
    y,
    *,
    folds,
    methods=None,
    classes=None,
    refit=True,
    keep_fold_estimators=False,
    fit_params=None,
    schedule=Schedule(),  # noqa: B008 - frozen, so a shared default is safe
):
    """Cross-fit ``members`` and return a :class:`CrossFit`.

    Parameters
    ----------
    members : list of (str, estimator)
        The members to fit (no ``"drop"``).
    X, y : array-like
        Training data.
    folds : Folds
        How the rows are split.
    methods : list of str or None
        Prediction method per member; None makes no OOF predictions (members
        are only refitted).
    classes : ndarray, list of ndarray or None
        The fuser's classes (classifiers; one array per output for a
        multi-output y): members are fitted on their indices, and their
        outputs aligned on them (see :func:`member_label_space`).
    refit : bool
        Also fit each member on all rows (in the same parallel call).
    keep_fold_estimators : bool
        Return the fitted fold models.
    fit_params : dict of {name: dict}
        Fit parameters per member (already routed).
    schedule : Schedule
        Cache, parallelism and progress bar.
    """
    if is_prefit(folds.cv):
        return _prefit_outputs(members, X, methods, classes)
    if methods is not None and all(isinstance(est, _SavedColumns) for _, est in members):
        return _saved_outputs(members, X, y, folds, methods, classes, keep_fold_estimators)
    splits, times_tested = folds.split(X, y) if methods is not None else ([], None)
    executor = _Executor(
        X, y if classes is None else label_codes(y, classes), schedule.joblib_memory()
    )
    tasks = _tasks(
        members,
        splits,
        methods,
        classes,
        fit_params or {},
        executor,
        refit=refit,
        keep=keep_fold_estimators,
        eval_param=folds.eval_param,
    )
    config = get_config()
    results = Parallel(n_jobs=schedule.n_jobs, return_as="generator")(
        delayed(executor.run)(task, config) for task in tasks
    )
    results = tqdm(
        results,
        total=len(tasks),
        disable=schedule.verbose < 1,
        desc="member x fold fits",
        leave=False,
    )
    result = CrossFit(splits=splits)
    oof_sum = _collect(
        result, zip(tasks, results), len(members), methods, _num_samples(X), executor
    )
    if oof_sum is not None:
        _set_oof(result, oof_sum, times_tested, members, methods, classes)
    return result


def _collect(result, done, n_members, methods, n_samples, executor):
    """Put each finished task's model and its cache key in ``result``; return
    the OOF outputs summed per row (None without folds).

    Log probabilities are summed as probabilities, ``log(sum(exp))``: a row
    tested more than once (repeated cv) then gets the log of its mean
    probability, as the other outputs get their mean; a mean of logs would
    be ``-inf`` wherever one repeat gave a class probability 0.
    """
    oof_sum = None
    for task, (fitted, aligned) in done:
        if isinstance(fitted, str) and fitted == IN_CACHE:
            fitted = _Deferred(executor.fit, executor.fit_args(task), task.estimator)
        if task.fold is None:
            if result.estimators is None:
                result.estimators, result.fit_keys = [None] * n_members, [None] * n_members
            result.estimators[task.member] = fitted
            result.fit_keys[task.member] = task.key
            continue
        if task.keep:
            if result.fold_estimators is None:
                n_folds = len(result.splits)
                result.fold_estimators = [FoldModels([None] * n_folds) for _ in range(n_members)]
                result.fold_fit_keys = [[None] * n_folds for _ in range(n_members)]
            list.__setitem__(result.fold_estimators[task.member], task.fold, fitted)
            result.fold_fit_keys[task.member][task.fold] = task.key
        if oof_sum is None:
            oof_sum = np.zeros((n_members, n_samples) + aligned.shape[1:])
            for m, method in enumerate(methods):
                if method == "predict_log_proba":
                    oof_sum[m] = -np.inf
        if task.method == "predict_log_proba":
            rows = oof_sum[task.member]
            rows[task.test] = np.logaddexp(rows[task.test], aligned)
        else:
            oof_sum[task.member, task.test] += aligned
    return oof_sum


def _tasks(members, splits, methods, classes, fit_params, executor, *, refit, keep, eval_param):
    """Every member x fold task, each member's fit on all rows last (with ``refit``)."""
    tasks = []
    for m, (name, est) in enumerate(members):
        params = fit_params.get(name, {})
        member_key = executor.member_key(est, params)
        common = {"member": m, "name": name, "estimator": est, "fit_params": params}
        space = member_label_space(est, classes)
        # Only members whose fit takes it get an early-stopping set (a
        # Pipeline would not transform it).
        takes_eval = eval_param is not None and all(
            has_fit_parameter(est, name) for name in eval_param_names(eval_param)
        )
        for f, (train, test) in enumerate(splits):
            tasks.append(
                _Task(
                    **common,
                    key=executor.task_key(member_key, train, test if takes_eval else None),
                    fold=f,
                    train=train,
                    test=test,
                    method=methods[m],
                    classes=space,
                    keep=keep,
                    eval_param=eval_param if takes_eval else None,
                )
            )
        if refit:
            tasks.append(_Task(**common, key=executor.task_key(member_key, None)))
    return tasks


def _saved_outputs(members, X, y, folds, methods, classes, keep):
    """The :class:`CrossFit` of saved predictions, without cross-fitting.

    A saved model's output on a row does not depend on the rows it is
    "fitted" on, so every fold model's OOF output is its output on all of X:
    computed once, not fitted and predicted per fold (on 50 models of 200 000
    rows, copying each fold's rows cost more than the rest of the fit). The
    folds still say which rows carry an OOF output and are kept for the
    fusion's cross-validated score.
    """
    fitted = [(name, clone(est).fit(X, y)) for name, est in members]
    result = _prefit_outputs(fitted, X, methods, classes)
    result.splits, times_tested = folds.split(X, y)
    untested = times_tested == 0
    if untested.any():  # hold-out: only the held-out rows have OOF outputs
        result.oof[:, untested] = np.nan
        result.oof_rows = np.flatnonzero(~untested)
    if keep:
        result.fold_estimators = [FoldModels([est] * len(result.splits)) for _, est in fitted]
    return result


def eval_param_names(eval_param):
    """The fit parameter names of ``Folds.eval_param``: one, or a pair (X, y)."""
    return (eval_param,) if isinstance(eval_param, str) else tuple(eval_param)


def _prefit_outputs(members, X, methods, classes):
    """The :class:`CrossFit` of fitted members: their outputs on X, if asked."""
    for name, est in members:
        _check_fitted(name, est)
    result = CrossFit(estimators=[est for _, est in members])
    if methods is not None:
        outputs = [
            member_output(est, X, method, classes, name=name)
            for (name, est), method in zip(members, methods)
        ]
        result.oof = np.stack(outputs)
        result.oof_rows = np.arange(_num_samples(X))
    return result


def _set_oof(result, oof_sum, times_tested, members, methods, classes):
    """Each row's OOF output: the mean over the folds that tested it (checked)."""
    result.oof_rows = np.flatnonzero(times_tested > 0)
    result.oof = mean_over_folds(oof_sum, times_tested, row_axis=1)
    for m, method in enumerate(methods):
        if method == "predict_log_proba":  # summed as probabilities (see _collect)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_times = np.log(times_tested).reshape((-1,) + (1,) * (oof_sum.ndim - 2))
                result.oof[m] = oof_sum[m] - log_times  # untested rows: -inf + inf = NaN
    for (name, est), method, m_oof in zip(members, methods, result.member_oof()):
        check_output(m_oof, name, method, est, where=" (out-of-fold)", classes=classes)
