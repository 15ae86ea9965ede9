"""Fusion that adapts under drift: exponential weights learnt row by row.

The members' weights follow the stream: each row is first predicted with
the current weights (prequential order), then every member's weight is
multiplied by ``exp(-learning_rate * loss)`` of its own prediction of that
row. Hedge keeps every row's evidence forever; fixed share spreads a small
share of the weight back over all members after each row, so a member that
was poor before a drift can take over after it.

References
----------
.. [1] N. Littlestone and M. K. Warmuth, "The weighted majority algorithm",
   Information and Computation 108(2), 212-261, 1994.
.. [2] Y. Freund and R. E. Schapire, "A decision-theoretic generalization of
   on-line learning and an application to boosting", Journal of Computer and
   System Sciences 55(1), 119-139, 1997.
.. [3] M. Herbster and M. K. Warmuth, "Tracking the best expert", Machine
   Learning 32(2), 151-178, 1998.
.. [4] N. Cesa-Bianchi and G. Lugosi, "Prediction, Learning, and Games",
   Cambridge University Press, 2006.
"""

import copy
import inspect
import math
import numbers
import warnings

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    mean_pinball_loss,
    mean_squared_error,
    zero_one_loss,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    assert_all_finite,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ._base import _BaseFusion, _is_drop, _MemberClassColumns, _MemberPredictionColumns
from ._compat import Interval, StrOptions, _fit_context, _num_samples, _safe_indexing
from ._kernels import get_kernel
from ._kernels._contract import all_finite
from ._oof import check_member_output, check_output
from ._saved import _FromPredictions, _SavedColumns, member_kind
from ._utils import check_sample_weight, row_log_losses, row_squared_errors

# Scorer names whose metric is a mean of per-row losses, and the loss of one row.
_PER_ROW_OBJECTIVES = {
    True: {"neg_log_loss": "log_loss", "neg_brier_score": "brier", "accuracy": "zero_one"},
    False: {
        "neg_mean_squared_error": "squared_error",
        "neg_mean_absolute_error": "absolute_error",
    },
}
_PER_ROW_METRICS = {
    log_loss: "log_loss",
    brier_score_loss: "brier",
    accuracy_score: "zero_one",
    zero_one_loss: "zero_one",
    mean_squared_error: "squared_error",
    mean_absolute_error: "absolute_error",
    mean_pinball_loss: "pinball",
}
# Losses whose weighted-average prediction is exp-concave for a known rate:
# their "auto" rate needs no horizon (regret at most log(M) / rate).
_EXP_CONCAVE = ("log_loss", "brier", "squared_error")
_BELOW_ONE = np.nextafter(1.0, 0.0)
# The per-row losses as the messages name them.
_LOSS_NAMES = {
    "log_loss": "log-loss",
    "brier": "Brier score",
    "zero_one": "0-1 loss",
    "squared_error": "squared error",
    "absolute_error": "absolute error",
    "pinball": "pinball loss",
}


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    except TypeError:  # not an sklearn estimator: trust it
        return True
    return True


def _is_saved(estimator):
    """Whether a member serves saved predictions (made by ``from_predictions``)."""
    return isinstance(estimator, _SavedColumns)


def _appended(buffer, count, rows, limit=None):
    """``buffer`` (holding ``count`` rows) with ``rows`` after them; grown by
    doubling, so a stream of one-row calls costs linear time, but never past
    ``limit`` rows (when ``count + len(rows)`` is within it)."""
    needed = count + len(rows)
    if needed > len(buffer):
        size = 2 * len(buffer) if limit is None else min(2 * len(buffer), limit)
        grown = np.empty((max(needed, size), *buffer.shape[1:]), buffer.dtype)
        grown[:count] = buffer[:count]
        buffer = grown
    buffer[count:needed] = rows
    return buffer


def _block(outputs):
    """One-dimensional member outputs as one ``(n, M)`` block (as they are when
    they are one already)."""
    return outputs if isinstance(outputs, np.ndarray) else np.column_stack(outputs)


def _shown(values):
    """A number or a row of numbers, as a message shows them."""
    values = np.ravel(values)
    shown = ", ".join(f"{v:.3g}" for v in values)
    return shown if len(values) == 1 else f"[{shown}]"


def _takes(method, parameter):
    return parameter in inspect.signature(method).parameters


class _BaseOnlineBlender(_FromPredictions, _BaseFusion):
    """Members weighed by exponential weights learnt one row after the other."""

    _parameter_constraints: dict = {
        "estimators": [list],
        "weighting": [StrOptions({"hedge", "fixed_share"}), None],
        "objective": [None, str, callable],
        "learning_rate": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="left")],
        "share": [Interval(numbers.Real, 0, 1, closed="left")],
        "horizon": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "update_members": ["boolean"],
        "batch_size": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "record_every": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_history": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimators,
        *,
        weighting="fixed_share",
        objective=None,
        learning_rate="auto",
        share=0.001,
        horizon=None,
        update_members=False,
        batch_size=1000,
        record_every=1,
        max_history=10_000,
    ):
        self.estimators = estimators
        self.weighting = weighting
        self.objective = objective
        self.learning_rate = learning_rate
        self.share = share
        self.horizon = horizon
        self.update_members = update_members
        self.batch_size = batch_size
        self.record_every = record_every
        self.max_history = max_history

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        The online blenders consume ``sample_weight`` themselves (and pass it
        to members that learn); they route nothing else, and have no
        splitter.

        Returns
        -------
        routing : MetadataRequest
            The request of this object.
        """
        return super(_BaseFusion, self).get_metadata_routing()

    # -- the stream --------------------------------------------------------------
    def _stream(self, X, y, sample_weight, classes, *, reset):
        """fit (``reset``) or partial_fit: check, start if new, then process the rows
        ``batch_size`` at a time."""
        first = reset or not hasattr(self, "weights_")
        X, y = self._check_X(X, reset=first, y=y)
        check_consistent_length(X, y)
        if first:
            self._start(X, y, classes, from_fit=reset)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} is not the stream's classes_ "
                f"{self.classes_.tolist()} (set on the first call to partial_fit)."
            )
        y = self._check_stream_y(y)
        n = _num_samples(X)
        self._sample_weight_given = sample_weight is not None
        sample_weight = check_sample_weight(sample_weight, n, all_zero=not reset)
        step = n if self.batch_size is None else self.batch_size
        for start in range(0, n, step):
            rows = slice(start, start + step)  # views, not copies
            batch = X if step >= n else _safe_indexing(X, rows)
            self._process(batch, y[rows], sample_weight[rows])
        if reset and not len(self.history_rows_):
            warnings.warn(
                f"All {n} rows trained the unfitted members (their first batch of "
                f"batch_size={self.batch_size} rows) before any weight was learnt: give a "
                "longer stream or a smaller batch_size.",
                UserWarning,
                stacklevel=3,
            )
        return self

    def _start(self, X, y, classes, from_fit):
        """Members, the loss, the classes and a fresh state (uniform weights)."""
        names, members = self._validate_members()
        # Saved predictions learn nothing: reading X fits them (a clone of a
        # blender made by from_predictions holds unfitted ones).
        members = [
            (name, clone(est).fit(X) if _is_saved(est) and not _is_fitted(est) else est)
            for name, est in members
        ]
        self._loss, self._quantile = self._per_row_loss()
        fitted = [_is_fitted(est) for _, est in members]
        for (name, est), is_fitted in zip(members, fitted):
            if is_fitted or (self.update_members and hasattr(est, "partial_fit")):
                continue
            how = (
                "has no partial_fit to learn from the stream"
                if self.update_members
                else "is not fitted; with update_members=False the members must be fitted"
            )
            raise ValueError(f"Member {name!r} ({member_kind(est)}) {how}.")
        # Fixed for the stream: a later set_params must not make the caller's
        # own members learn.
        self._updating = self.update_members
        if self._updating:  # the caller's members are left as they are
            estimators = [
                copy.deepcopy(e) if f else clone(e) for (_, e), f in zip(members, fitted)
            ]
        else:
            estimators = [est for _, est in members]
        self._set_fitted_members(estimators)
        self._start_targets(y, classes, members, fitted, from_fit)
        for name, est in members:
            self._check_member_methods(name, est)
        self._warm_up = not all(fitted)
        n_members = len(estimators)
        self._log_weights = np.full(n_members, -math.log(n_members))
        self.weights_ = np.exp(self._log_weights)
        self._set_named_weights(self.weights_)
        self.cumulative_losses_ = np.zeros(n_members)
        self.fused_cumulative_loss_ = 0.0
        self.regret_ = 0.0
        self.n_samples_seen_ = 0
        # Of the rows in the cumulative losses; the doubling trick's horizon.
        self._scored_weight = 0.0
        self._history = np.empty((0, n_members))
        self._history_rows = np.empty(0, dtype=np.int64)
        self._history_doublings = 0  # of record_every, to keep within max_history
        self.weights_history_ = self._history
        self.history_rows_ = self._history_rows

    def _per_row_loss(self):
        """(loss, quantile): the per-row loss that ``objective`` averages."""
        classifier = isinstance(self, ClassifierMixin)
        names = _PER_ROW_OBJECTIVES[classifier]
        if self.objective is None:
            return ("log_loss" if classifier else "squared_error"), None
        if isinstance(self.objective, str) and self.objective in names:
            return names[self.objective], None
        metric = getattr(self.objective, "_score_func", None)
        kwargs = dict(getattr(self.objective, "_kwargs", {}))
        loss = _PER_ROW_METRICS.get(metric) if metric is not None else None
        if loss is not None and (loss in names.values() or loss == "pinball" and not classifier):
            quantile = kwargs.pop("alpha", 0.5) if loss == "pinball" else None
            # A loss is maximised negated, accuracy as it is.
            sign = 1 if metric is accuracy_score else -1
            if kwargs or getattr(self.objective, "_sign", sign) != sign:
                raise ValueError(
                    f"objective: the scorer of {metric.__name__} must be made with "
                    f"greater_is_better={sign > 0} and no arguments but a pinball loss's "
                    f"alpha; got {self.objective!r}."
                )
            if quantile is not None and not 0 < quantile < 1:
                raise ValueError(
                    f"objective: the pinball loss's alpha must be in (0, 1); got {quantile}."
                )
            return loss, quantile
        also = "" if classifier else ", or make_scorer(mean_pinball_loss, alpha=...)"
        raise ValueError(
            f"{type(self).__name__} learns its weights row by row, so its objective must be a "
            f"mean of per-row losses: None, {sorted(names)}{also}; got {self.objective!r}."
        )

    def _process(self, X, y, sample_weight):
        """One batch: predict, weigh row by row, account, then let members learn."""
        if self._warm_up:  # unfitted members learn the first batch before they predict
            self._learn(X, y, sample_weight)
            self._warm_up = False
            self.n_samples_seen_ += len(y)
            return
        # The state changes only once the whole batch is computed: a batch
        # that fails (a member's NaN, a bad row, an overflow) leaves the
        # weights as they were.
        self._pending = {}
        outputs = [self._member_output(est, name, X) for name, est in self._named_members()]
        if outputs[0].ndim == 1:
            outputs = _block(outputs)  # stacked once for the losses and the blend
        with np.errstate(over="ignore"):  # an overflow is refused with its cause instead
            row_weights = self._weigh(outputs, y, sample_weight)
        # The batch is through: commit.
        for name, value in self._pending.items():
            setattr(self, name, value)
        self.regret_ = self.fused_cumulative_loss_ - float(self.cumulative_losses_.min())
        self._set_named_weights(self.weights_)
        self._record(row_weights)
        self.n_samples_seen_ += len(y)
        self._learn(X, y, sample_weight)

    def _weigh(self, outputs, y, sample_weight):
        """The weights that predict each row of the batch; the state after it
        goes to ``_pending``. A batch whose losses or sums overflow is refused."""
        losses = self._row_losses(outputs, y)
        seen = self._scored_weight + np.cumsum(sample_weight)
        rates = self._rates(outputs, y, seen) * sample_weight
        cumulative = self.cumulative_losses_ + sample_weight @ losses
        # One finite sum says all is (a loss of inf or NaN makes its member's
        # cumulative loss so); the kernel would not name the cause.
        if not math.isfinite(cumulative.sum() + rates.sum() + seen[-1]):
            self._refuse(
                outputs, y, losses, sample_weight,
                {"the cumulative losses overflow": cumulative,
                 "the learning rates times sample_weight overflow": rates,
                 "the sample weight seen overflows": seen[-1:]},
            )  # fmt: skip
        # A row of weight s shares as s rows without losses would: a row of
        # weight 0 changes nothing, a heavy row (0.999^s is 0 from s = 7e5)
        # all but everything (the kernel takes a share below 1).
        share = 0.0
        if self.weighting == "fixed_share":
            share = np.minimum(1.0 - (1.0 - self.share) ** sample_weight, _BELOW_ONE)
        kernel = get_kernel("online_weights", losses)
        row_weights, log_weights = kernel(losses, self._log_weights, rates, share)
        fused = self._combine(row_weights, outputs)
        fused_losses = self._row_losses(fused[:, None] if fused.ndim == 1 else [fused], y)[:, 0]
        fused_cumulative = self.fused_cumulative_loss_ + float(sample_weight @ fused_losses)
        weights = np.exp(log_weights)  # NaN where every member's rate times loss overflows
        if not math.isfinite(fused_cumulative + weights.sum()):
            self._refuse(
                outputs, y, losses, sample_weight,
                {"the fused cumulative loss overflows": np.array([fused_cumulative]),
                 "the learning rates times the losses overflow": weights},
            )  # fmt: skip
        self._pending.update(
            _scored_weight=float(seen[-1]),
            cumulative_losses_=cumulative,
            fused_cumulative_loss_=fused_cumulative,
            _log_weights=log_weights,
            weights_=weights,
        )
        return row_weights

    def _refuse(self, outputs, y, losses, sample_weight, sums):
        """Raise the ValueError of an overflow in the batch, if one of its
        ``sums`` (keyed by what the message says of them) did: naming the
        cause, a loss too large (y or a member, see ``_blame``) or sample
        weights too large."""
        if not all_finite(losses, np):
            row, m = np.argwhere(~np.isfinite(losses))[0]
            raise self._overflow(outputs, y, row, m, f"the {_LOSS_NAMES[self._loss]} overflows")
        for what, values in sums.items():
            if all_finite(values, np):
                continue
            if sample_weight.max() <= 1:  # the losses are too large on their own
                row, m = np.unravel_index(np.argmax(losses), losses.shape)
                raise self._overflow(outputs, y, row, m, what)
            first = self.n_samples_seen_
            raise ValueError(
                f"sample_weight is too large: {what} float64 (inf) in stream rows {first} to "
                f"{first + len(losses) - 1}, where the largest sample weight is "
                f"{sample_weight.max():.3g} and the largest {_LOSS_NAMES[self._loss]} "
                f"{losses.max():.3g}. Give smaller sample weights."
            )

    def _blame(self, name, output, target, row):
        """(culprit, advice) of a loss too large: the regressor names y or the
        member; a classifier's losses are bounded (its probabilities checked)."""
        return f"Member {name!r}'s loss at stream row {row} is too large", ""

    def _overflow(self, outputs, y, row, m, what):
        """The ValueError of member ``m``'s loss of ``row`` (of this batch) grown
        past the largest float, naming who made it so large (``_blame``: a
        regressor's; a classifier's losses are bounded, its probabilities checked)."""
        name = list(self._member_names())[m]
        output = outputs[:, m] if isinstance(outputs, np.ndarray) else outputs[m]
        culprit, advice = self._blame(name, output[row], y[row], self.n_samples_seen_ + row)
        return ValueError(f"{culprit}, and {what} float64 (inf). {advice}")

    def _record(self, row_weights):
        """Keep the weights of the stream's rows at multiples of a stride:
        ``record_every``, doubled (every other kept row dropped) whenever more
        than ``max_history`` rows would be kept, so they span the whole stream."""
        start, stop = self.n_samples_seen_, self.n_samples_seen_ + len(row_weights)
        stride = self.record_every << self._history_doublings
        count = len(self.history_rows_)
        if self.max_history is not None:  # once a batch (a few integers), not a row
            while count + len(range(start + -start % stride, stop, stride)) > self.max_history:
                stride *= 2
                self._history_doublings += 1
                count = self._thin(stride)
        first = -start % stride  # the batch's first kept row
        kept = row_weights[first::stride]
        positions = np.arange(start + first, stop, stride)
        self._history = _appended(self._history, count, kept, self.max_history)
        self._history_rows = _appended(self._history_rows, count, positions, self.max_history)
        count += len(kept)
        self.weights_history_ = self._history[:count]
        self.history_rows_ = self._history_rows[:count]

    def _thin(self, stride):
        """Keep only the history's rows at multiples of ``stride``; their count."""
        keep = self.history_rows_ % stride == 0
        count = int(np.count_nonzero(keep))
        self._history[:count] = self.weights_history_[keep]
        self._history_rows[:count] = self.history_rows_[keep]
        self.weights_history_ = self._history[:count]
        self.history_rows_ = self._history_rows[:count]
        return count

    def _learn(self, X, y, sample_weight):
        if not self._updating:
            return
        for name, est in self._named_members():
            if not hasattr(est, "partial_fit"):
                continue  # a fitted member without partial_fit stays as it is
            kwargs = self._partial_fit_kwargs(est)
            if self._sample_weight_given:
                if not _takes(est.partial_fit, "sample_weight"):
                    raise TypeError(
                        f"Member {name!r} ({member_kind(est)}) does not take sample_weight "
                        "in partial_fit."
                    )
                kwargs["sample_weight"] = sample_weight
            est.partial_fit(X, y, **kwargs)

    def _named_members(self):
        return zip(self._member_names(), self.estimators_)

    # -- learning rates -----------------------------------------------------------
    def _rates(self, outputs, y, seen):
        """Each row's learning rate (before its sample weight); ``seen`` is the
        sample weight seen up to each row, that row included.

        ``"auto"``: for losses whose weighted-average prediction is
        exp-concave (log-loss, Brier, squared error), the largest rate for
        which that holds, which bounds the regret by ``log(M) / rate`` at any
        horizon; for the others (0-1, absolute, pinball), Hedge's
        ``sqrt(8 log(M) / T) / B`` with ``B`` the loss's range and ``T`` the
        ``horizon``, or, when it is None, the doubling trick: ``T`` is the
        largest power of two not above the (weighted) rows seen so far.
        """
        n = len(y)
        if self.weighting is None:
            return np.zeros(n)
        if self.learning_rate != "auto":
            return np.full(n, float(self.learning_rate))
        span = self._loss_range(outputs, y)
        if self._loss == "log_loss":
            return np.ones(n)
        if self._loss == "brier":
            # The half-scaled binary Brier is a squared error on [0, 1].
            return np.full(n, 0.5 if len(self.classes_) == 2 else 0.25)
        if self._loss == "squared_error":
            return 1.0 / (2.0 * span**2)
        if self.horizon is not None:
            horizon = np.full(n, float(self.horizon))
        else:
            horizon = 2.0 ** np.floor(np.log2(np.maximum(seen, 1.0)))
        return np.sqrt(8.0 * math.log(len(self.estimators_)) / horizon) / span

    def _loss_range(self, outputs, y):
        """Each row's bound on the loss (1 for the classifiers' bounded losses)."""
        return np.ones(len(y))

    # -- the prediction -------------------------------------------------------------
    def _combine(self, weights, outputs):
        """Each row's weighted average of the member outputs (``weights`` is (n, M))."""
        if isinstance(outputs, np.ndarray) or outputs[0].ndim == 1:
            return np.einsum("nm,nm->n", weights, _block(outputs))
        fused = np.zeros(outputs[0].shape)
        for m, output in enumerate(outputs):
            fused += weights[:, m, None] * output
        return fused

    def _fused(self, X):
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        outputs = [self._member_output(est, name, X) for name, est in self._named_members()]
        return self._combine(
            np.broadcast_to(self.weights_, (len(outputs[0]), len(outputs))), outputs
        )


_PARAMETERS = """
    Parameters
    ----------
    estimators : list of (str, estimator)
        The members. A member is fitted (used as given; a
        ``FrozenEstimator`` works) or, with ``update_members=True``, may be
        unfitted if it has ``partial_fit``. A member may be ``"drop"``.

    weighting : {{"fixed_share", "hedge"}} or None, default="fixed_share"
        How the weights follow the stream. ``"hedge"``: exponential weights,
        every row's evidence kept forever (the weights are the softmax of
        minus the rate-weighted cumulative losses). ``"fixed_share"``: after
        each row, ``share`` of the weight is spread equally over the
        members, so a member that was poor can take over after a drift.
        None: equal weights throughout (a baseline: only the losses are
        accounted).

    objective : str or callable, default=None
        What the weights minimise, row by row: a scorer whose metric is a
        mean of per-row losses. {objectives}

    learning_rate : "auto" or float, default="auto"
        How fast a loss lowers a member's weight (``w *= exp(-rate *
        loss)``). ``"auto"``: where the weighted-average prediction is
        exp-concave in the loss (log-loss, Brier, squared error), the
        largest rate for which it is: 1 for the log-loss, 1/2 (binary) or
        1/4 for Brier (Hedge's regret to the best member is then at most
        ``log(M) / rate`` at any horizon), ``1 / (2 R^2)`` for the squared
        error with ``R`` the range of targets and member predictions seen
        so far. For the other losses Hedge's ``sqrt(8 log(M) / T) / B``,
        ``B`` the loss's range, ``T`` the ``horizon`` or, when it is None,
        the doubling trick (``T`` the largest power of two not above the
        rows seen so far, so the rate is set anew at rows 1, 2, 4, 8, ...;
        the weights carry over instead of restarting). Where the rate falls
        along the stream (the squared error's ``R`` grows, the doubling
        trick) each row keeps the rate it was learnt with, so the textbook
        bounds, proved for one rate, hold only as a guide.

    share : float in [0, 1), default=0.001
        Fixed share's share of the weight spread equally over the members
        after each row: about the expected number of switches of the best
        member per row. It costs about ``share / rate`` of loss a row, so
        with a small rate (a squared error on a wide range of targets)
        keep it small, or use ``"hedge"``. Used with
        ``weighting="fixed_share"``.

    horizon : int, default=None
        The stream's expected number of rows, for ``learning_rate="auto"``
        with a bounded loss that is not exp-concave (0-1, absolute,
        pinball). None: the doubling trick.

    update_members : bool, default=False
        Whether members with ``partial_fit`` learn from the stream: each
        batch is first predicted (and weighed) and then learnt, so no row is
        scored by a member that has seen it. Members are copied first, the
        given ones are left unchanged. Unfitted members learn the first
        batch before they predict; that batch is then only learnt.

    batch_size : int, default=1000
        Rows per call of the members (predict, then ``partial_fit``) within
        one call of ``fit`` or ``partial_fit`` (calls are never merged: a
        one-row ``partial_fit`` is a batch of one row). The weights are
        updated row by row whatever it is; with ``update_members=True`` it
        sets how often members learn. None: each call is one batch.

    record_every : int, default=1
        Keep the weights of every ``record_every``-th row of the stream
        (rows ``0, record_every, 2 * record_every, ...``) in
        ``weights_history_``, within ``max_history``.

    max_history : int or None, default=10_000
        The most rows kept in ``weights_history_`` (``n_members + 1``
        numbers a row), so that memory stays flat over any stream: when one
        more row would exceed it, the stride between kept rows doubles and
        every other kept row is dropped. The history then holds the
        stream's rows at the multiples of ``record_every * 2**k``, ``k`` the
        smallest for which they are at most ``max_history``: spread evenly
        over the whole stream, at least about half of ``max_history`` once
        thinned, each with exactly the weights that predicted it
        (``history_rows_`` says which rows). None: every
        ``record_every``-th row is kept (memory grows with the stream).
"""

_ATTRIBUTES = """
    Attributes
    ----------
    estimators_ : list of estimators
        The members, non-dropped, in ``estimators`` order (copies that
        learn, with ``update_members=True``).

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The members by name (``"drop"`` kept).

    weights_ : ndarray of shape (n_members,)
        The weights now, summing to 1 (dropped members left out).

    named_weights_ : :class:`~sklearn.utils.Bunch`
        ``weights_`` by member name, ``"drop"`` as 0.

    weights_history_ : ndarray of shape (n_records, n_members)
        The weights that predicted the stream's rows ``history_rows_``:
        every ``record_every``-th row, thinned to at most ``max_history``
        rows over the whole stream.

    history_rows_ : ndarray of shape (n_records,)
        The positions in the stream (counted from 0 over every row given to
        ``fit`` and ``partial_fit``) of the rows of ``weights_history_``.

    cumulative_losses_ : ndarray of shape (n_members,)
        Each member's loss summed over the rows it predicted before learning
        them (weighted by ``sample_weight``).

    fused_cumulative_loss_ : float
        The same sum for the fused prediction, each row predicted with the
        weights of before it.

    regret_ : float
        ``fused_cumulative_loss_`` minus the best member's cumulative loss.

    n_samples_seen_ : int
        Rows seen since the stream started (``fit`` starts it anew).
{classes}
    n_features_in_ : int
        Number of features seen in the first ``fit`` or ``partial_fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen then, when X had string column names.
"""

_SEE_ALSO = """
    See Also
    --------
    WeightedBlender : Weights learnt once, on out-of-fold predictions.
    DynamicSelector : Weights that change from row to row with X.
    BayesianModelAverager : Weights from each member's evidence.

    References
    ----------
    .. [1] N. Littlestone and M. K. Warmuth, "The weighted majority
       algorithm", Information and Computation 108(2), 212-261, 1994.
    .. [2] Y. Freund and R. E. Schapire, "A decision-theoretic generalization
       of on-line learning and an application to boosting", JCSS 55(1),
       119-139, 1997.
    .. [3] M. Herbster and M. K. Warmuth, "Tracking the best expert",
       Machine Learning 32(2), 151-178, 1998.
    .. [4] N. Cesa-Bianchi and G. Lugosi, "Prediction, Learning, and Games",
       Cambridge University Press, 2006.
"""


class OnlineBlender(ClassifierMixin, _MemberClassColumns, _BaseOnlineBlender):
    __doc__ = (
        """Class probabilities blended by weights that follow a stream.

    Each row of ``fit`` or ``partial_fit`` is first predicted with the
    current weights, then each member's weight is multiplied by
    ``exp(-learning_rate * loss)`` of its own prediction of that row (row
    by row, in a compiled loop), so weights track which member is best now.
    The fused prediction is the weighted average of the members' class
    probabilities.

    Read more in the :ref:`User Guide <online>`.
"""
        + _PARAMETERS.format(
            objectives='None (or ``"neg_log_loss"``): the log-loss, the members\' '
            'probabilities of the true class floored at 1e-15; ``"neg_brier_score"``: '
            "the Brier score (half the squared distance to the one-hot label for two "
            'classes, as sklearn); ``"accuracy"``: the 0-1 loss (members without '
            "``predict_proba`` then vote with ``predict``). The scorers made by "
            "``make_scorer`` from ``log_loss``, ``brier_score_loss``, ``accuracy_score`` "
            "or ``zero_one_loss`` are read the same way."
        )
        + _ATTRIBUTES.format(
            classes="""
    classes_ : ndarray of shape (n_classes,)
        The class labels.
"""
        )
        + _SEE_ALSO
        + """
    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfusion import OnlineBlender
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> members = [
    ...     ("lr", FrozenEstimator(LogisticRegression().fit(X[:200], y[:200]))),
    ...     ("nb", FrozenEstimator(GaussianNB().fit(X[:200], y[:200]))),
    ... ]
    >>> blender = OnlineBlender(members).fit(X[200:400], y[200:400])
    >>> blender = blender.partial_fit(X[400:], y[400:])
    >>> blender.n_samples_seen_, blender.weights_history_.shape
    (400, (400, 2))
    >>> bool(abs(blender.weights_.sum() - 1) < 1e-12)
    True
    """
    )

    def _start_targets(self, y, classes, members, fitted, from_fit):
        member_classes = [
            (name, np.asarray(est.classes_))
            for (name, est), is_fitted in zip(members, fitted)
            if is_fitted and hasattr(est, "classes_")
        ]
        if classes is not None:
            self.classes_ = np.unique(classes)
        elif member_classes:
            self.classes_ = member_classes[0][1]
        elif from_fit:
            self.classes_ = np.unique(self._checked_labels(y))
        else:
            raise ValueError(
                "classes must be passed on the first call to partial_fit when no member is fitted."
            )
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes; got 1 class "
                f"({self.classes_[0].item()!r})."
            )
        for name, known in member_classes:
            if not np.array_equal(known, self.classes_):
                raise ValueError(
                    f"Member {name!r} was fitted on classes {known.tolist()} but the stream "
                    f"has classes {self.classes_.tolist()}."
                )

    def _checked_labels(self, y):
        target = type_of_target(y, input_name="y")
        if target in ("multilabel-indicator", "multiclass-multioutput"):
            raise ValueError(
                f"{type(self).__name__} supports binary and multiclass targets; got {target!r} "
                f"y of shape {np.shape(y)}."
            )
        check_classification_targets(y)
        return column_or_1d(y, warn=True)

    def _check_stream_y(self, y):
        # The full target checks once, when the stream starts; later batches
        # only need their labels among classes_ (a few microseconds, not a ms).
        if self.n_samples_seen_ == 0:
            y = self._checked_labels(y)
        elif not (isinstance(y, np.ndarray) and y.ndim == 1):
            y = column_or_1d(y, warn=True)
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y has labels {np.unique(y[unknown]).tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}; give every class in classes on the first call "
                "to partial_fit."
            )
        return y

    def _check_member_methods(self, name, est):
        methods = ("predict_proba",) if self._loss != "zero_one" else ("predict_proba", "predict")
        purpose = f"objective={self.objective!r} (the {_LOSS_NAMES[self._loss]})"
        self._check_member_method(name, est, methods, purpose)

    def _member_output(self, est, name, X):
        """A member's class probabilities (one-hot ``predict`` without them)."""
        if hasattr(est, "predict_proba"):
            proba = np.asarray(est.predict_proba(X), dtype=np.float64)
            # Finite, and distributions.
            check_output(proba, name, "predict_proba", advice="Fix its predict_proba.")
            return proba
        labels = np.asarray(est.predict(X))
        codes = np.searchsorted(self.classes_, labels).clip(0, len(self.classes_) - 1)
        if not np.array_equal(self.classes_[codes], labels):
            raise ValueError(f"Member {name!r} predicted labels that are not in classes_.")
        return np.eye(len(self.classes_))[codes]

    def _row_losses(self, outputs, y):
        codes = np.searchsorted(self.classes_, y)
        if self._loss == "log_loss":
            return row_log_losses(outputs, codes)
        if self._loss == "zero_one":
            return np.column_stack([np.argmax(p, axis=1) != codes for p in outputs]).astype(float)
        onehot = np.eye(len(self.classes_))[codes]
        scale = 0.5 if len(self.classes_) == 2 else 1.0
        return np.column_stack([scale * ((p - onehot) ** 2).sum(axis=1) for p in outputs])

    def _partial_fit_kwargs(self, est):
        return {"classes": self.classes_} if _takes(est.partial_fit, "classes") else {}

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Start a new stream and learn from its rows, in order.

        Equivalent to forgetting everything learnt and calling
        ``partial_fit(X, y)``; the classes are those of the fitted members,
        else those of ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The stream's rows, in order.
        y : array-like of shape (n_samples,)
            Their labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: a row's loss counts this many times in the weight
            update and the cumulative losses; members that learn get them
            too.

        Returns
        -------
        self : object
            The fitted blender.
        """
        return self._stream(X, y, sample_weight, None, reset=True)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Learn from the next rows of the stream, in order.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The next rows.
        y : array-like of shape (n_samples,)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the stream. Needed on the first call when no
            member is fitted (as sklearn's ``partial_fit``); ignored after.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (see ``fit``).

        Returns
        -------
        self : object
            The blender.
        """
        return self._stream(X, y, sample_weight, classes, reset=False)

    def predict(self, X):
        """The class of highest blended probability, with the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        fused = self._fused(X)
        return self.classes_[np.argmax(fused, axis=1)]

    def _proba_available(self):
        return all(
            hasattr(est, "predict_proba")
            for est in getattr(self, "estimators_", [e for _, e in self.estimators])
            if not _is_drop(est)
        )

    @available_if(_proba_available)
    def predict_proba(self, X):
        """The weighted average of the members' class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns in ``classes_`` order.
        """
        return self._fused(X)

    def transform(self, X):
        """Each member's class probabilities (one-hot ``predict`` without them).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        outputs : ndarray of shape (n_samples, n_members * n_classes)
            The members' outputs side by side.
        """
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        return np.hstack([self._member_output(est, n, X) for n, est in self._named_members()])


class OnlineBlenderRegressor(RegressorMixin, _MemberPredictionColumns, _BaseOnlineBlender):
    __doc__ = (
        """Member predictions averaged with weights that follow a stream.

    Each row of ``fit`` or ``partial_fit`` is first predicted with the
    current weights, then each member's weight is multiplied by
    ``exp(-learning_rate * loss)`` of its own prediction of that row (row
    by row, in a compiled loop), so weights track which member is best now.
    A 2-D ``y`` (several outputs) shares one weight per member; a row's loss
    is the mean over the outputs.

    Read more in the :ref:`User Guide <online>`.
"""
        + _PARAMETERS.format(
            objectives='None (or ``"neg_mean_squared_error"``): the squared error; '
            '``"neg_mean_absolute_error"``: the absolute error; a scorer made by '
            "``make_scorer(mean_pinball_loss, alpha=q, greater_is_better=False)``: the "
            "pinball loss of quantile ``q``."
        )
        + _ATTRIBUTES.format(classes="")
        + _SEE_ALSO.replace("WeightedBlender :", "WeightedBlenderRegressor :")
        .replace("DynamicSelector :", "DynamicSelectorRegressor :")
        .replace("BayesianModelAverager :", "BayesianModelAveragerRegressor :")
        + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import SGDRegressor
    >>> from skfusion import OnlineBlenderRegressor
    >>> X, y = make_regression(n_samples=600, n_features=5, noise=5.0, random_state=0)
    >>> members = [
    ...     ("sgd", SGDRegressor(random_state=0)),
    ...     ("slow", SGDRegressor(eta0=1e-4, random_state=0)),
    ... ]
    >>> blender = OnlineBlenderRegressor(members, update_members=True, batch_size=50)
    >>> blender = blender.fit(X, y)
    >>> bool(blender.named_weights_.sgd > blender.named_weights_.slow)
    True
    """
    )

    _multi_output = True

    def _start_targets(self, y, classes, members, fitted, from_fit):
        y = self._check_regression_y(y)
        self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        self._low, self._high = np.inf, -np.inf

    def _check_stream_y(self, y):
        if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind == "f"):
            y = self._check_regression_y(y)  # a float vector needs nothing of it
        if not np.isfinite(y).all():
            assert_all_finite(y, input_name="y")  # its message
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if n_outputs != self._n_outputs:
            raise ValueError(
                f"y has {n_outputs} output(s) but the stream started with {self._n_outputs}."
            )
        return y.astype(np.float64)

    def _check_member_methods(self, name, est):
        self._check_member_method(name, est, ("predict",), "Blending predictions")

    def _member_output(self, est, name, X):
        values = np.asarray(est.predict(X), dtype=np.float64)
        check_member_output(values, name, "predict")
        shape = (len(values),) if self._n_outputs == 1 else (len(values), self._n_outputs)
        if values.size != math.prod(shape):
            raise ValueError(f"Member {name!r} predicted shape {values.shape}; expected {shape}.")
        return values.reshape(shape)

    def _row_losses(self, outputs, y):
        if y.ndim == 1:  # one (n, M) block: each loss in one pass
            errors = y[:, None] - _block(outputs)
            if self._loss == "squared_error":
                return errors * errors
            if self._loss == "absolute_error":
                return np.abs(errors)
            q = self._quantile
            return np.maximum(q * errors, (q - 1) * errors)
        if self._loss == "squared_error":
            return row_squared_errors(outputs, y)
        errors = [(y - o).reshape(len(y), -1) for o in outputs]
        if self._loss == "absolute_error":
            return np.column_stack([np.abs(e).mean(axis=1) for e in errors])
        q = self._quantile
        return np.column_stack([np.maximum(q * e, (q - 1) * e).mean(axis=1) for e in errors])

    def _blame(self, name, predicted, target, row):
        """Who made a loss too large: the larger of y and the member's prediction."""
        if np.abs(target).max() >= np.abs(predicted).max():
            return (
                f"y is too large: at stream row {row} y is {_shown(target)} and member "
                f"{name!r} predicted {_shown(predicted)}",
                "Rescale y (and the members' predictions with it).",
            )
        return (
            f"Member {name!r} predicted {_shown(predicted)} at stream row {row}, where y is "
            f"{_shown(target)}",
            "Check the member's predictions.",
        )

    def _loss_range(self, outputs, y):
        """Each row's bound on the loss's slope: the range of the targets and
        member predictions seen so far (times the pinball's larger slope); 1
        while that range is 0."""
        if y.ndim == 1:
            values = np.column_stack([y, _block(outputs)])
        else:
            values = np.column_stack([y, *(o.reshape(len(y), -1) for o in outputs)])
        low = np.minimum.accumulate(np.minimum(values.min(axis=1), self._low))
        high = np.maximum.accumulate(np.maximum(values.max(axis=1), self._high))
        self._pending.update(_low=float(low[-1]), _high=float(high[-1]))
        span = high - low
        if self._loss == "pinball":
            span = span * max(self._quantile, 1 - self._quantile)
        return np.where(span > 0, span, 1.0)

    def _partial_fit_kwargs(self, est):
        return {}

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Start a new stream and learn from its rows, in order.

        Equivalent to forgetting everything learnt and calling
        ``partial_fit(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The stream's rows, in order.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: a row's loss counts this many times in the weight
            update and the cumulative losses; members that learn get them
            too.

        Returns
        -------
        self : object
            The fitted blender.
        """
        return self._stream(X, y, sample_weight, None, reset=True)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, sample_weight=None):
        """Learn from the next rows of the stream, in order.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The next rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (see ``fit``).

        Returns
        -------
        self : object
            The blender.
        """
        return self._stream(X, y, sample_weight, None, reset=False)

    def predict(self, X):
        """The weighted average of the member predictions, with the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets.
        """
        return self._fused(X)

    def transform(self, X):
        """Each member's predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        predictions : ndarray of shape (n_samples, n_members) or \
                (n_samples, n_members * n_outputs)
            One column per member (per member and output for a 2-D y).
        """
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        outputs = [self._member_output(est, n, X) for n, est in self._named_members()]
        return np.column_stack([o.reshape(len(o), -1) for o in outputs])
