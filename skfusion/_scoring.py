"""Scoring stored predictions: what is reported (``scoring``) and what weight
learning minimises (``objective``).

Both take sklearn scorers, replayed on predictions already made (out-of-fold
or hold-out), so scoring never refits or re-predicts a member. ``scoring``
may name several metrics (a list, tuple, set or dict, as in
``cross_validate``); an ``objective`` is one metric.
"""

import numpy as np
from sklearn import config_context as sklearn_config_context
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils.metaestimators import available_if

from ._compat import StrOptions
from ._oof import is_multi_output, labels_from_scores, split_outputs

# Parameter constraints, one definition for every estimator.
SCORING_CONSTRAINT = [None, StrOptions(set(get_scorer_names())), callable, list, tuple, set, dict]
OBJECTIVE_CONSTRAINT = [None, StrOptions(set(get_scorer_names())), callable]

# The objectives that the built-in losses compute (analytic gradient for
# SLSQP, O(n) Caruana candidates): naming them as scorers takes the same path.
BUILTIN_OBJECTIVES = {True: "neg_log_loss", False: "neg_mean_squared_error"}


def _answers(method):
    """``available_if`` check: the stored values are this method's output."""
    return lambda replay: replay.response == method


class _ReplayClassifier(ClassifierMixin, BaseEstimator):
    """Answers with stored outputs; X holds row indices.

    ``response`` says what the values are: probabilities, decision values or
    one-hot votes (``"predict"``). Only that method is offered, so a scorer
    that needs probabilities raises on decision values instead of reading
    them as probabilities.
    """

    def __init__(self, values=None, classes=None, response="predict_proba"):
        self.values = values
        self.classes = classes
        self.response = response

    def fit(self, X, y):  # pragma: no cover - never fitted, only replayed
        return self

    @property
    def classes_(self):
        return self.classes

    def _rows(self, X):
        return self.values[np.asarray(X)[:, 0].astype(np.intp)]

    def predict(self, X):
        return labels_from_scores(self._rows(X), self.classes)

    @available_if(_answers("predict_proba"))
    def predict_proba(self, X):
        # Multi-output: a list of each output's probabilities, as sklearn's forests.
        scores = self._rows(X)
        return split_outputs(scores, self.classes) if is_multi_output(self.classes) else scores

    def score(self, X, y, sample_weight=None):
        """Accuracy; with several outputs, the share of rows with every output right."""
        if not is_multi_output(self.classes):
            return super().score(X, y, sample_weight=sample_weight)
        exact = np.all(self.predict(X) == np.asarray(y), axis=1)
        return float(np.average(exact, weights=sample_weight))

    @available_if(_answers("decision_function"))
    def decision_function(self, X):
        scores = self._rows(X)
        return scores[:, 1] if scores.shape[1] == 2 else scores


class _ReplayRegressor(RegressorMixin, BaseEstimator):
    def __init__(self, values=None):
        self.values = values

    def fit(self, X, y):  # pragma: no cover
        return self

    def predict(self, X):
        return self.values[np.asarray(X)[:, 0].astype(np.intp)]


def fused_response(model, classifier):
    """What a fused model's kept predictions are: a classifier's probabilities
    where it has them, else ``predict``."""
    return "predict_proba" if classifier and hasattr(model, "predict_proba") else "predict"


def get_scorer(scoring, classifier):
    """An sklearn scorer (one metric) or multi-metric scorer (several) for replay.

    None is the estimator's default score: accuracy or R².
    """
    template = _ReplayClassifier() if classifier else _ReplayRegressor()
    return check_scoring(template, scoring=scoring)


def is_builtin_objective(objective, classifier):
    """Whether ``objective`` is the built-in loss (None, or its scorer's name)."""
    return objective is None or objective == BUILTIN_OBJECTIVES[classifier]


def objective_scorer(objective, classifier):
    """The scorer that weight learning maximises: ``objective``, or the
    built-in loss negated (log-loss, squared error) when None."""
    return get_scorer(
        BUILTIN_OBJECTIVES[classifier] if objective is None else objective, classifier
    )


def score_predictions(
    scorer, values, y, *, classes=None, sample_weight=None, response="predict_proba"
):
    """Score stored predictions ``values`` (rows aligned with ``y``).

    ``response``: what a classifier's values are (see ``_ReplayClassifier``).
    A float for a one-metric scorer, a dict metric -> float for several.
    """
    replay = (
        _ReplayClassifier(
            values, classes if is_multi_output(classes) else np.asarray(classes), response
        )
        if classes is not None
        else _ReplayRegressor(values)
    )
    return score_model(scorer, replay, np.arange(len(values))[:, None], y, sample_weight)


def score_model(scorer, model, X, y, sample_weight=None):
    """Score a fitted model on rows it has not seen (float, or dict of floats)."""
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    # Scorers route sample_weight through metadata routing when it is on; the
    # rows and weights here need no routing, so score with it off.
    with sklearn_config_context(enable_metadata_routing=False):
        score = scorer(model, X, y, **kwargs)
    if isinstance(score, dict):
        return {metric: float(value) for metric, value in score.items()}
    return float(score)


def scores_by_member(
    scorer, outputs, names, y, *, classes=None, sample_weight=None, responses=None
):
    """``{name: score}`` (or ``{name: {metric: score}}``) of members' stored outputs.

    ``responses``: each member's kind of output (default probabilities).
    """
    responses = responses or ["predict_proba"] * len(names)
    scores = {}
    for name, output, response in zip(names, outputs, responses):
        try:
            scores[name] = score_predictions(
                scorer, output, y, classes=classes, sample_weight=sample_weight, response=response
            )
        except AttributeError as exc:  # the scorer needs another kind of output
            raise ValueError(
                f"scoring cannot score member {name!r}: its outputs are {response!r} values "
                f"and the scorer needs another response ({exc})."
            ) from exc
    return scores


def report_scores(
    fuser,
    scorer,
    member_outputs,
    fused,
    y,
    *,
    classes=None,
    sample_weight=None,
    response="predict_proba",
):
    """Set ``member_scores_`` and ``fused_score_`` of ``fuser`` from stored
    outputs (members' and the fused one, rows aligned with ``y``, all of
    kind ``response``)."""
    names = fuser._member_names()
    fuser.member_scores_ = scores_by_member(
        scorer,
        member_outputs,
        names,
        y,
        classes=classes,
        sample_weight=sample_weight,
        responses=[response] * len(names),
    )
    fuser.fused_score_ = score_predictions(
        scorer, fused, y, classes=classes, sample_weight=sample_weight, response=response
    )
    if fuser.verbose >= 2:
        for name, score in fuser.member_scores_.items():
            print(f"[{type(fuser).__name__}] member {name!r}: OOF score {score}")
        print(f"[{type(fuser).__name__}] fused: OOF score {fuser.fused_score_}")
