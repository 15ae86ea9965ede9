"""Fusing saved predictions: ``from_predictions`` and the members it builds.

A model known only by its saved predictions becomes a member that serves
its columns of a 2-D matrix (every model's columns side by side, in model
order) as its output. The fuser then fits as usual: since a member's output
on a row does not depend on the rows it was "fitted" on, its out-of-fold
predictions are exactly the saved ones, and no model is refit.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._compat import validate_params

# Rows of saved probabilities must sum to 1 within this (files round them).
PROBABILITY_SUM_TOLERANCE = 1e-3


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

    def why_missing(self, method):
        """Why a method the fuser asks for is missing, for its error message."""
        if method == "predict_proba":
            return (
                "its saved values are not probabilities (outside [0, 1] or rows not summing to 1)"
            )
        return ""


def _width(X):
    shape = np.shape(X)
    if len(shape) != 2:
        raise ValueError(f"Saved predictions are read from a 2-D matrix; got shape {shape}.")
    return shape[1]


def _model_arrays(predictions, names):
    """(names, [per-model arrays], DataFrame column names per model or None)."""
    if hasattr(predictions, "columns") and hasattr(predictions, "iloc"):
        groups = {}
        for column in predictions.columns:
            model = str(column).split("__", 1)[0]
            groups.setdefault(model, []).append(column)
        if names is not None:
            raise ValueError("names must be None for a DataFrame: its columns name the models.")
        arrays = [predictions[columns].to_numpy() for columns in groups.values()]
        return list(groups), arrays, list(groups.values())
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
    if names is None:
        names = [f"model{m}" for m in range(len(arrays))]
    names = [str(name) for name in names]
    if len(names) != len(arrays):
        raise ValueError(f"names has {len(names)} entries for {len(arrays)} models.")
    return names, arrays, None


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
    if values.min() < 0 or values.max() > 1:
        return False
    return values.shape[1] == 1 or np.all(
        np.abs(values.sum(axis=1) - 1.0) <= PROBABILITY_SUM_TOLERANCE
    )


class _Model:
    """How one saved model is read: its name, DataFrame columns, width and response."""

    def __init__(self, name, frame_columns, width, response_method):
        self.name = name
        self.frame_columns = frame_columns
        self.width = width
        self.response_method = response_method


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
        names, arrays, frame_columns = _model_arrays(predictions, names)
        classes = np.unique(y) if classifier else None
        n_outputs = 1 if classifier or np.ndim(y) == 1 else np.shape(y)[1]
        models, blocks = [], []
        for m, (name, values) in enumerate(zip(names, arrays)):
            values = _as_2d(values, name)
            columns = None if frame_columns is None else frame_columns[m]
            if classifier:
                values, columns = _class_columns(values, columns, name, classes)
                response = "predict_proba" if _is_probabilities(values) else "decision_function"
            else:
                if values.shape[1] != n_outputs:
                    raise ValueError(
                        f"Model {name!r} has {values.shape[1]} column(s) but y has {n_outputs} "
                        "output(s)."
                    )
                response = "predict"
            models.append(_Model(name, columns, values.shape[1], response))
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
        if hasattr(predictions, "columns") and hasattr(predictions, "iloc"):
            missing = [
                c for m in self.models for c in (m.frame_columns or []) if c not in predictions
            ]
            if missing or any(m.frame_columns is None for m in self.models):
                raise ValueError(
                    f"The DataFrame lacks column(s) {missing} of the predictions at fit."
                )
            blocks = [predictions[m.frame_columns].to_numpy() for m in self.models]
        else:
            names, blocks, _ = _model_arrays(predictions, None)
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


def _class_columns(values, columns, name, classes):
    """A classifier model's columns in ``classes`` order (DataFrame columns sorted by the
    class they name); one column is the positive class's, with two classes only."""
    width = values.shape[1]
    if width == 1:
        if len(classes) != 2:
            raise ValueError(
                f"Model {name!r} has one column but y has {len(classes)} classes; give one "
                "column per class (a single column is the positive class's, for two classes)."
            )
        return values, columns
    if width != len(classes):
        raise ValueError(
            f"Model {name!r} has {width} columns but y has {len(classes)} classes "
            f"({classes.tolist()}); give one column per class."
        )
    if columns is None:
        return values, columns
    suffixes = [str(c).split("__", 1)[1] if "__" in str(c) else "" for c in columns]
    for labels in ([str(c) for c in classes], [str(k) for k in range(len(classes))]):
        if sorted(suffixes) == sorted(labels):
            order = [suffixes.index(label) for label in labels]
            return values[:, order], [columns[i] for i in order]
    raise ValueError(
        f"The columns of model {name!r} ({list(columns)}) must be named <model>__<class> for "
        f"the classes of y ({classes.tolist()}), or <model>__<index> from 0."
    )


def _probabilities(values, name):
    if not _is_probabilities(values):
        raise ValueError(
            f"Predictions of model {name!r} are not probabilities (outside [0, 1] or rows "
            "not summing to 1), as they were at fit."
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


class _FromPredictions:
    """``from_predictions`` for the fusers that fuse member outputs."""

    @classmethod
    @validate_params(
        {
            "predictions": ["array-like"],
            "y": ["array-like"],
            "names": [list, tuple, None],
            "sample_weight": ["array-like", None],
        },
        prefer_skip_nested_validation=False,
    )
    def from_predictions(cls, predictions, y, *, names=None, sample_weight=None, **params):
        """Fit the fuser on saved out-of-fold predictions of models.

        Each model becomes a member that serves its saved predictions, so no
        model is refit and nothing leaks: the fuser learns exactly what it
        would learn from the same models' out-of-fold predictions made in
        ``fit`` (its weights, meta-learner or model-averaging weights).

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
              before the first ``"__"``.

            A classifier's model gives one column per class of ``y`` (in
            sorted class order), or one column with two classes: the
            positive class's. Values in [0, 1] whose rows sum to 1 (within
            1e-3, then renormalised; a single column: in [0, 1]) are
            probabilities; any others are scores, which a stacker takes
            (as ``decision_function``) and soft voting and model averaging
            refuse. A regressor's model gives one column per output of ``y``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (a 2-D y for regressors only).
        names : list of str, default=None
            The models' names (valid identifiers); None is ``model0``,
            ``model1``... for arrays. A DataFrame's columns name its models.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, as in ``fit``.
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
        if "estimators" in params:
            raise TypeError("from_predictions makes the members from the predictions.")
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
        fuser = cls(layout.members(classifier), **params)
        fuser.fit(matrix, y, sample_weight=sample_weight)
        fuser._prediction_layout_ = layout
        return fuser
