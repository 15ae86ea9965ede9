"""Fusing saved predictions: ``from_predictions`` and the members it builds.

A model known only by its saved predictions becomes a member that serves
its columns of a 2-D matrix (every model's columns side by side, in model
order) as its output. The fuser then fits as usual: since a member's output
on a row does not depend on the rows it was "fitted" on, its out-of-fold
predictions are exactly the saved ones, and no model is refit.
"""

import inspect

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._compat import validate_arguments
from ._utils import is_frame, off_simplex_rows

# Rows of saved probabilities must sum to 1 within this: files round them (to
# 2 decimals, 3 classes are off by up to 0.015). They are then rescaled.
PROBABILITY_SUM_TOLERANCE = 0.02


class _SavedColumns(BaseEstimator):
    """A saved model: columns ``columns[0]:columns[1]`` of X are its outputs."""

    def __init__(self, columns=(0, 1)):
        self.columns = columns

    def fit(self, X, y=None, sample_weight=None):
        """Nothing to learn: check X is wide enough and remember its width."""
        self.n_features_in_ = _width(X)
        if self.columns[1] > self.n_features_in_:
            raise ValueError(
                f"X has {self.n_features_in_} columns; this model's are "
                f"{self.columns[0]}:{self.columns[1]}."
            )
        return self

    def _values(self, X):
        check_is_fitted(self)
        values = np.asarray(X)[:, self.columns[0] : self.columns[1]]
        return values[:, 0] if values.shape[1] == 1 else values


def member_kind(estimator):
    """What a member is, as messages name it: its class, or "saved predictions"
    for the members that ``from_predictions`` makes."""
    if isinstance(estimator, _SavedColumns):
        return "saved predictions"
    return type(estimator).__name__


class _SavedPredictionsRegressor(RegressorMixin, _SavedColumns):
    """A saved regressor: its columns are its predictions (one per output)."""

    def predict(self, X):
        """The saved predictions."""
        return self._values(X)


def _is_probability(estimator):
    return estimator.response_method == "predict_proba"


def _is_score(estimator):
    return estimator.response_method == "decision_function"


class _SavedPredictionsClassifier(ClassifierMixin, _SavedColumns):
    """A saved classifier: its columns hold class probabilities or scores.

    One column with two classes is the positive class's probability (or
    score); otherwise one column per class of ``classes``, in that order.
    ``classes`` are fixed labels: a fold that misses a class still has its
    column, and the engine aligns the outputs on them (not on class indices).
    """

    def __init__(self, columns=(0, 1), classes=(0, 1), response_method="predict_proba"):
        self.columns = columns
        self.classes = classes
        self.response_method = response_method

    def fit(self, X, y=None, sample_weight=None):
        """Nothing to learn: the classes are given."""
        self.classes_ = np.asarray(self.classes)
        return super().fit(X, y)

    @available_if(_is_probability)
    def predict_proba(self, X):
        """The saved probabilities, one column per class."""
        values = self._values(X)
        return np.column_stack([1.0 - values, values]) if values.ndim == 1 else values

    @available_if(_is_score)
    def decision_function(self, X):
        """The saved scores (1-D for two classes, as sklearn's)."""
        return self._values(X)

    def predict(self, X):
        """The class of highest probability or score."""
        values = self._values(X)
        if values.ndim == 1:
            threshold = 0.5 if _is_probability(self) else 0.0
            return self.classes_[(values > threshold).astype(int)]
        return self.classes_[np.argmax(values, axis=1)]

    def why_missing(self, methods):
        """Why the methods the fuser asks for are missing, for its error message."""
        if "predict_proba" in methods:
            return (
                "its saved values are not probabilities (outside [0, 1] or rows not summing to 1)"
            )
        return ""


def _width(X):
    shape = np.shape(X)
    if len(shape) != 2:
        raise ValueError(f"Saved predictions are read from a 2-D matrix; got shape {shape}.")
    return shape[1]


def _model_arrays(predictions, names, classes=None):
    """Per model: (name, array, DataFrame columns or None, the class each column
    names or None)."""
    if is_frame(predictions):
        return _frame_models(predictions, names, classes)
    if isinstance(predictions, (list, tuple)):
        arrays = [np.asarray(p) for p in predictions]
    else:
        block = np.asarray(predictions)
        if block.ndim not in (2, 3):
            raise ValueError(
                "predictions must be a list of per-model arrays, one (n_samples, n_models"
                f"[, n_columns]) array or a DataFrame; got an array of shape {block.shape}."
            )
        arrays = [block[:, m] for m in range(block.shape[1])]
    if not arrays:
        raise ValueError("predictions hold no model.")
    names = [f"model{m}" for m in range(len(arrays))] if names is None else list(names)
    if len(names) != len(arrays):
        raise ValueError(f"names has {len(names)} entries for {len(arrays)} models.")
    return [(str(name), a, None, None) for name, a in zip(names, arrays)]


def _frame_models(frame, names, classes):
    """A DataFrame's models: columns grouped by the name before ``"__"`` (the
    class after it), or, when no column has ``"__"`` and the columns name
    exactly the classes of y (or their indices), one model's class columns."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        raise ValueError("predictions hold no model: the DataFrame has no column.")
    if classes is not None and not any("__" in c for c in columns) and len(columns) > 1:
        for labels in _class_names(classes):
            if sorted(columns) == sorted(labels):
                name = "model0" if names is None else str(list(names)[0])
                return [(name, frame.to_numpy(), list(frame.columns), columns)]
    if names is not None:
        raise ValueError(
            "names must be None for a DataFrame whose columns name the models "
            "(<model>__<class>, or <model>)."
        )
    groups = {}
    for column, text in zip(frame.columns, columns):
        model, _, label = text.partition("__")
        groups.setdefault(model, ([], []))
        groups[model][0].append(column)
        groups[model][1].append(label if "__" in text else None)
    return [
        (model, frame[cols].to_numpy(), cols, labels) for model, (cols, labels) in groups.items()
    ]


def _class_names(classes):
    """The ways a column may name each class: its label, or its index from 0."""
    return [[str(c) for c in classes], [str(k) for k in range(len(classes))]]


def _as_2d(values, name):
    """A model's predictions as a float (n, k) array; NaN / inf is an error naming it."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Predictions of model {name!r} are not numbers: {exc}") from None
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(
            f"Predictions of model {name!r} must be 1-D or 2-D; got shape {values.shape}."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise ValueError(
            f"Predictions of model {name!r} hold NaN or inf in {len(rows)} row(s) "
            f"(first: row {rows[0]})."
        )
    return values


def _is_probabilities(values):
    """Whether saved values are probabilities: the members' rule (see
    ``off_simplex_rows``) with room for the rounding of files."""
    return values.max() <= 1 and off_simplex_rows(values, PROBABILITY_SUM_TOLERANCE) is None


class _Model:
    """How one saved model is read: its name, DataFrame columns, width, response,
    and whether its one column is the negative class's (read as 1 - p, or -score)."""

    def __init__(self, name, frame_columns, width, response_method, negative=False):
        self.name = name
        self.frame_columns = frame_columns
        self.width = width
        self.response_method = response_method
        self.negative = negative


class PredictionLayout:
    """The layout of the saved predictions a fuser was fitted on.

    It turns predictions given the same way (a list of per-model arrays, one
    ``(n, n_models[, k])`` array, a DataFrame with the same columns in any
    order, or the 2-D matrix itself) into the matrix the members read.
    """

    def __init__(self, models, classes):
        self.models = models
        self.classes = classes

    @property
    def n_columns(self):
        return sum(model.width for model in self.models)

    @classmethod
    def learn(cls, predictions, y, names, classifier):
        """(layout, matrix) from the predictions fit is given."""
        classes = np.unique(y) if classifier else None
        n_outputs = 1 if classifier or np.ndim(y) == 1 else np.shape(y)[1]
        models, blocks = [], []
        for name, values, columns, labels in _model_arrays(predictions, names, classes):
            values = _as_2d(values, name)
            negative = False
            if classifier:
                values, columns, negative = _class_columns(values, columns, labels, name, classes)
                response = "predict_proba" if _is_probabilities(values) else "decision_function"
            else:
                if values.shape[1] != n_outputs:
                    raise ValueError(
                        f"Model {name!r} has {values.shape[1]} column(s) but y has {n_outputs} "
                        "output(s)."
                    )
                response = "predict"
            models.append(_Model(name, columns, values.shape[1], response, negative))
            blocks.append(values)
        layout = cls(models, classes)
        return layout, layout._checked(blocks, len(y))

    def matrix(self, predictions):
        """The members' 2-D matrix from predictions laid out as at fit."""
        if isinstance(predictions, np.ndarray) and predictions.ndim == 2:
            if predictions.shape[1] == self.n_columns:
                return self._checked(
                    np.split(predictions, np.cumsum([m.width for m in self.models])[:-1], axis=1),
                    None,
                )
        if is_frame(predictions):
            missing = [
                c for m in self.models for c in (m.frame_columns or []) if c not in predictions
            ]
            if missing or any(m.frame_columns is None for m in self.models):
                raise ValueError(
                    f"The DataFrame lacks column(s) {missing} of the predictions at fit."
                )
            blocks = [predictions[m.frame_columns].to_numpy() for m in self.models]
        else:
            blocks = [values for _, values, _, _ in _model_arrays(predictions, None)]
            if len(blocks) != len(self.models):
                raise ValueError(
                    f"Got predictions of {len(blocks)} models; the fuser was fitted on "
                    f"{len(self.models)} ({', '.join(m.name for m in self.models)})."
                )
        return self._checked(blocks, None)

    def _checked(self, blocks, n_samples):
        """Checked per-model blocks side by side; probabilities renormalised."""
        lengths = {len(np.asarray(b)) for b in blocks}
        if n_samples is not None:
            lengths.add(n_samples)
        if len(lengths) > 1:
            counts = ", ".join(f"{m.name}: {len(b)}" for m, b in zip(self.models, blocks))
            where = f"y: {n_samples}, " if n_samples is not None else ""
            raise ValueError(f"Every model needs one row per sample; got {where}{counts}.")
        columns = []
        for model, values in zip(self.models, blocks):
            values = _as_2d(values, model.name)
            if values.shape[1] != model.width:
                raise ValueError(
                    f"Model {model.name!r} has {values.shape[1]} column(s); it had "
                    f"{model.width} at fit."
                )
            if model.negative:
                probabilities = model.response_method == "predict_proba"
                values = 1.0 - values if probabilities else -values
            if model.response_method == "predict_proba":
                values = _probabilities(values, model.name)
            columns.append(values)
        return np.hstack(columns)

    def members(self, classifier):
        """The (name, member) list that reads this layout's matrix."""
        ends = np.cumsum([m.width for m in self.models])
        members = []
        for model, end in zip(self.models, ends.tolist()):
            columns = (end - model.width, end)
            if classifier:
                member = _SavedPredictionsClassifier(
                    columns, tuple(self.classes.tolist()), model.response_method
                )
            else:
                member = _SavedPredictionsRegressor(columns)
            members.append((model.name, member))
        return members


def _class_columns(values, columns, labels, name, classes):
    """(values, DataFrame columns, negative): a classifier model's columns in
    ``classes`` order, sorted by the class each names (``labels``, from
    DataFrame column names) when named. One column is the positive class's,
    with two classes only; named for the negative class, it is read as such
    (``negative``)."""
    width = values.shape[1]
    named = labels is not None and all(label is not None for label in labels)
    if width == 1:
        if len(classes) != 2:
            raise ValueError(
                f"Model {name!r} has one column but y has {len(classes)} classes; give one "
                "column per class (a single column is the positive class's, for two classes)."
            )
        negative = named and any(labels[0] == names[0] for names in _class_names(classes))
        return values, columns, bool(negative)
    if width != len(classes):
        raise ValueError(
            f"Model {name!r} has {width} columns but y has {len(classes)} classes "
            f"({classes.tolist()}); give one column per class."
        )
    if not named:
        return values, columns, False
    for names in _class_names(classes):
        if sorted(labels) == sorted(names):
            order = [labels.index(label) for label in names]
            return values[:, order], [columns[i] for i in order], False
    raise ValueError(
        f"The columns of model {name!r} ({[str(c) for c in columns]}) must name the "
        f"classes of y ({classes.tolist()}) or their indices from 0: "
        "<model>__<class>, or <class> for a DataFrame of one model."
    )


def _probabilities(values, name):
    if not _is_probabilities(values):
        raise ValueError(
            f"Predictions of model {name!r} are not probabilities (outside [0, 1] or rows "
            f"not summing to 1 within {PROBABILITY_SUM_TOLERANCE}), as they were at fit."
        )
    if values.shape[1] > 1:
        # Rows rounded in a file are rescaled (sklearn's log-loss warns past
        # ~1e-8); exact ones are kept as they are, bit for bit.
        total = values.sum(axis=1, keepdims=True)
        off = np.abs(total[:, 0] - 1.0) > 1e-9
        if off.any():
            values = values.copy()
            values[off] /= total[off]
    return values


def _index(values):
    """The row ids of a pandas Series or DataFrame; None for anything else."""
    return values.index if hasattr(values, "iloc") and hasattr(values, "index") else None


def _few(ids):
    """The first three ids, for a message."""
    return ", ".join(repr(i) for i in list(ids)[:3])


def _on_y_rows(values, y_index, what):
    """``values`` with its rows in the order of ``y_index`` (y's row ids).

    Only pandas objects are moved: the same ids in another order are
    reordered; other ids, or an id given twice, are an error, as pairing
    them by position would silently pair rows of different ids. Arrays,
    and indexes equal to y's, are paired by position.
    """
    index = _index(values)
    if index is None or y_index is None or index.equals(y_index):
        return values
    for name, ids in (("y", y_index), (what, index)):
        if ids.has_duplicates:
            repeated = ids[ids.duplicated()].unique()
            raise ValueError(
                f"The index of {name} repeats {len(repeated)} id(s) (e.g. {_few(repeated)}): "
                f"the rows of {what} cannot be paired with y's by id. Give each id once, or "
                "arrays (.to_numpy()) to pair rows by position."
            )
    missing, extra = y_index.difference(index, sort=False), index.difference(y_index, sort=False)
    sides = [(missing, f"in y, not in {what}"), (extra, f"in {what}, not in y")]
    differ = "; ".join(
        f"{len(ids)} {where} (e.g. {_few(ids)})" for ids, where in sides if len(ids)
    )
    if differ:
        raise ValueError(
            f"The indexes of {what} and y differ in {len(missing) + len(extra)} id(s): {differ}. "
            "Give the same ids, or arrays (.to_numpy()) to pair rows by position."
        )
    return values.iloc[index.get_indexer(y_index)]


def _paired_with_y(predictions, y, sample_weight, groups):
    """The predictions, row weights and groups with their rows in y's order
    where both they and y are pandas objects (see ``_on_y_rows``)."""
    y_index = _index(y)
    if isinstance(predictions, (list, tuple)):
        predictions = [
            _on_y_rows(p, y_index, f"predictions[{m}]") for m, p in enumerate(predictions)
        ]
    else:
        predictions = _on_y_rows(predictions, y_index, "predictions")
    sample_weight = _on_y_rows(sample_weight, y_index, "sample_weight")
    return predictions, sample_weight, _on_y_rows(groups, y_index, "groups")


_ARGUMENTS = {
    "predictions": ["array-like"],
    "y": ["array-like"],
    "names": ["array-like", None],
    "sample_weight": ["array-like", None],
    "groups": ["array-like", None],
}


class _FromPredictions:
    """``from_predictions`` for the fusers that fuse member outputs."""

    @classmethod
    def from_predictions(
        cls, predictions, y, *, names=None, sample_weight=None, groups=None, **params
    ):
        """Fit the fuser on saved predictions of models.

        Each model becomes a member that serves its saved predictions, so no
        model is refit and nothing leaks: the fuser learns exactly what it
        would learn from the same models' out-of-fold predictions made in
        ``fit`` (its weights, meta-learner or model-averaging weights). An
        online blender takes the models' predictions of a stream's rows, in
        order, and follows them as its ``fit`` would.

        Parameters
        ----------
        predictions : list of array-like, ndarray or DataFrame
            Each model's out-of-fold predictions on the rows of ``y``:

            - a list of per-model arrays, ``(n_samples,)`` or
              ``(n_samples, n_columns)``;
            - one array ``(n_samples, n_models)`` or
              ``(n_samples, n_models, n_columns)``;
            - a DataFrame whose columns are grouped into models by name:
              ``<model>__<class>`` (or ``<model>__<index>``, from 0), or
              ``<model>`` for a one-column model; the model name is the part
              before the first ``"__"``. A DataFrame whose columns are
              exactly the classes of y (or 0, 1, ...) is one model's.

            A classifier's model gives one column per class of ``y`` (in
            sorted class order), or one column with two classes: the
            positive class's (the negative class's where a DataFrame column
            names it). Values in [0, 1] whose rows sum to 1 (within 0.02,
            then rescaled; a single column: in [0, 1]) are probabilities;
            any others are scores, which a stacker takes (as
            ``decision_function``) and soft voting and model averaging
            refuse. A regressor's model gives one column per output of ``y``.
            With a binary ``y``, some models may give one column and others
            two, each read by its own layout.

            Rows pair with ``y``'s by position, unless both carry an index
            (``y`` a Series or DataFrame, and a DataFrame, or Series and
            DataFrames in the list): then by id, each one's rows put in the
            order of ``y``'s index. Ids found in one index but not the other,
            or an id given twice (where the indexes are not equal), are a
            ValueError; pass arrays (``.to_numpy()``) to pair by position.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (a 2-D y for regressors only). A Series' or DataFrame's
            index gives the rows' ids (see ``predictions``).
        names : list of str, default=None
            The models' names (valid identifiers); None is ``model0``,
            ``model1``... for arrays. A DataFrame's columns name its models
            (a DataFrame of one model's class columns takes one name).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, as in ``fit``. A Series follows ``y``'s index as
            the predictions do.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter ``cv``, as in ``fit``: the folds
            of ``fused_cv_score_`` then keep each group whole (not for the
            online blenders, which have no folds). A Series follows ``y``'s
            index as the predictions do.
        **params : dict
            Parameters of the fuser (all but ``estimators``), e.g.
            ``weighting="caruana"`` or ``final_estimator=...``.

        Returns
        -------
        fuser : object
            The fitted fuser. Its ``predict`` (and ``predict_proba``,
            ``predict_interval``... where it has them) take the models' test
            predictions laid out as at fit (a DataFrame: the same columns,
            in any order), or the 2-D matrix the members read: every model's
            columns side by side, in model order (``block.reshape(n, -1)``
            for a 3-D block). A clone refits on that matrix.

        See Also
        --------
        skfusion.blend : Blend prediction arrays with given weights.

        Examples
        --------
        >>> import numpy as np
        >>> from skfusion import WeightedBlender
        >>> y = np.array([0, 1, 1, 0, 1, 0])
        >>> good = np.array([0.2, 0.8, 0.7, 0.3, 0.9, 0.1])
        >>> noisy = np.array([0.6, 0.4, 0.5, 0.5, 0.7, 0.4])
        >>> blender = WeightedBlender.from_predictions(
        ...     [good, noisy], y, names=["good", "noisy"], weighting="optimize", cv=2
        ... )
        >>> blender.named_weights_["good"] > blender.named_weights_["noisy"]
        True
        >>> blender.predict([np.array([0.9, 0.2]), np.array([0.5, 0.5])])
        array([1, 0])
        """
        validate_arguments(
            _ARGUMENTS,
            {
                "predictions": predictions,
                "y": y,
                "names": names,
                "sample_weight": sample_weight,
                "groups": groups,
            },
            f"{cls.__name__}.from_predictions",
        )
        if "estimators" in params:
            raise TypeError("from_predictions makes the members from the predictions.")
        predictions, sample_weight, groups = _paired_with_y(predictions, y, sample_weight, groups)
        if groups is not None and "groups" not in inspect.signature(cls.fit).parameters:
            raise ValueError(f"{cls.__name__} has no folds to group: groups is not used.")
        classifier = issubclass(cls, ClassifierMixin)
        if classifier:
            target = type_of_target(y, input_name="y")
            if target not in ("binary", "multiclass"):
                raise ValueError(
                    f"{cls.__name__}.from_predictions takes a binary or multiclass y; "
                    f"got {target!r}."
                )
            y = np.asarray(y).ravel()
        layout, matrix = PredictionLayout.learn(predictions, y, names, classifier)
        # Fitted already (fitting learns nothing), so cv="prefit" takes them too.
        members = [(name, member.fit(matrix)) for name, member in layout.members(classifier)]
        fuser = cls(members, **params)
        # groups only where given: the online blenders' fit has no folds to group.
        fit_params = {} if groups is None else {"groups": groups}
        fuser.fit(matrix, y, sample_weight=sample_weight, **fit_params)
        fuser._prediction_layout_ = layout
        return fuser
