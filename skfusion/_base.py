"""Shared base of the fusion estimators: members, data checks, routing, tags."""

import numbers
import os
from abc import abstractmethod
from typing import NamedTuple

import numpy as np
from scipy.sparse import issparse
from scipy.special import logsumexp
from sklearn import get_config as sklearn_get_config
from sklearn.base import TransformerMixin, is_classifier, is_regressor
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from ._compat import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _BaseComposition,
    _check_feature_names,
    _check_n_features,
    _num_features,
    _num_samples,
    _safe_indexing,
    _VisualBlock,
)
from ._oof import (
    Folds,
    OutputCache,
    Schedule,
    cross_fit,
    eval_param_names,
    held_out_splits,
    is_multi_output,
    is_prefit,
    label_codes,
    member_label_codes,
    member_label_space,
    resolve_cv,
    stand_in,
)
from ._saved import _FromPredictions, member_kind
from ._scoring import get_scorer, score_predictions
from ._utils import check_sample_weight
from .weights import check_weights


class MemberMethodError(AttributeError, ValueError):
    """A member lacks the output method that the fusion needs.

    An AttributeError, as a missing method is, and a ValueError, as bad
    input is (like sklearn's NotFittedError, it is both).
    """


# What a blender with given weights needs to make out-of-fold predictions
# (the others always make them), for the errors of what reads them.
NO_OOF_HINT = (
    "fit it with a cv (e.g. cv=5), a weighting or a scoring; given weights alone make "
    "no out-of-fold predictions."
)


class _BaseFusion(TransformerMixin, _BaseComposition):
    """Members as a list of (name, estimator), cross-fitted by the shared engine."""

    _parameter_constraints: dict = {
        "estimators": [list],
        "cv": [
            "cv_object",
            Interval(RealNotInt, 0, 1, closed="neither"),
            StrOptions({"prefit"}),
        ],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    @abstractmethod
    def __init__(self, estimators, *, cv, memory, n_jobs, verbose, random_state):
        self.estimators = estimators
        self.cv = cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    # -- parameters of named members -------------------------------------
    def get_params(self, deep=True):
        """Get parameters, including those of the members (``<name>__<param>``).

        Parameters
        ----------
        deep : bool, default=True
            Also return the members and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, of the fuser or of a member (``rf__max_depth=3``).

        A member can be replaced, or removed by setting it to ``"drop"``.

        Parameters
        ----------
        **params : keyword arguments
            Parameter names and values.

        Returns
        -------
        self : object
            This estimator.
        """
        own = self.get_params(deep=False)
        for key in params:
            head, nested, _ = key.partition("__")
            if nested and head in own and params.get(head, own[head]) is None:
                # BaseEstimator would call None.set_params: an AttributeError.
                raise ValueError(
                    f"Cannot set {key!r}: {head} is None, whose default estimator is "
                    f"made at fit. Give {head} an estimator to set its parameters: "
                    f"{type(self).__name__}(..., {head}=<estimator>)."
                )
        self._set_params("estimators", **params)
        return self

    # -- members ------------------------------------------------------------
    def _validate_members(self):
        """Check ``estimators``; return all names and the non-dropped (name, est)."""
        if len(self.estimators) == 0:
            raise ValueError(
                "estimators is empty; give a non-empty list of (name, estimator) tuples."
            )
        for item in self.estimators:
            if not (
                isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)
            ):
                raise ValueError(
                    f"estimators must be a list of (name, estimator) tuples; got {item!r}."
                )
        names = [name for name, _ in self.estimators]
        for name in names:
            if not name.isidentifier():
                raise ValueError(
                    f"Member name {name!r} is not a valid Python identifier; names are "
                    "used as parameter prefixes (name__param)."
                )
        self._validate_names(names)  # duplicates, '__', clash with parameters
        members = [(name, est) for name, est in self.estimators if not _is_drop(est)]
        if not members:
            raise ValueError("All members are 'drop'; at least one member is required.")
        self._member_tag_cache = None
        self._member_tag_cache = (self.estimators, self._member_tag_flags())
        classifier = is_classifier(self)
        for name, est in members:
            if not hasattr(est, "fit"):
                raise TypeError(f"Member {name!r} is not an estimator: {est!r}.")
            if classifier and not is_classifier(est):
                raise ValueError(
                    f"Member {name!r} ({member_kind(est)}) is not a classifier; "
                    f"{type(self).__name__} fuses classifiers."
                )
            if not classifier and not is_regressor(est):
                raise ValueError(
                    f"Member {name!r} ({member_kind(est)}) is not a regressor; "
                    f"{type(self).__name__} fuses regressors."
                )
        return names, members

    def _member_names(self):
        """Names of the non-dropped members, in order."""
        return [name for name, est in self.estimators if not _is_drop(est)]

    def _aligned_member_outputs(self, X):
        """Each fitted member's aligned output (``self._methods``), a list."""
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        cache = self._output_cache(X)
        return [self._test_output(cache, m, method) for m, method in enumerate(self._methods)]

    def _test_output(self, cache, member, method, fold=None):
        """A fitted member's ``method`` output on the cache's X, aligned on
        ``classes_``: the refit member's, or its fold models' mean
        (``test_predictions="fold_average"``), or with ``fold`` that fold
        model's alone."""
        if fold is not None:
            return self._fold_output(cache, member, fold, method)
        name = self._member_names()[member]
        folds = getattr(self, "fold_estimators_", None)
        if folds is None:
            est = self.estimators_[member]
            return cache.output(est, self._fit_key(member), method, self._label_space(est), name)
        outputs = [self._fold_output(cache, member, f, method) for f in range(len(folds[member]))]
        if method == "predict_log_proba":  # the log of the mean probability, as the OOF's
            return logsumexp(np.stack(outputs), axis=0) - np.log(len(outputs))
        return sum(outputs) / len(outputs)

    def _fold_output(self, cache, member, fold, method):
        """One kept fold model's ``method`` output on the cache's X, aligned."""
        # Read raw: a fold model whose output is cached is never loaded.
        model = self.fold_estimators_[member].raw(fold)
        name = self._member_names()[member]
        key = self._fit_key(member, fold)
        return cache.output(model, key, method, self._label_space(stand_in(model)), name)

    def _test_label_codes(self, cache, member):
        """A fitted member's ``predict`` on the cache's X as indices into its label
        space; fold models vote (their mean one-hot vote, ties to the lower class)."""
        if getattr(self, "fold_estimators_", None) is not None:
            return np.argmax(self._test_output(cache, member, "predict"), axis=1)
        est = self.estimators_[member]
        name = self._member_names()[member]
        return member_label_codes(est, cache.X, self._label_space(est), name)

    def _fitted_member(self, member):
        """One fitted model of a member (its first fold model under
        ``fold_average``), to ask what it can do."""
        folds = getattr(self, "fold_estimators_", None)
        return self.estimators_[member] if folds is None else folds[member][0]

    def _member_outputs_side_by_side(self, X):
        """Each fitted member's aligned output (``self._methods``), as columns."""
        return np.hstack(self._aligned_member_outputs(X))

    def _member_predictions_side_by_side(self, X):
        """Each fitted member's ``predict``, one column per member."""
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        cache = self._output_cache(X)
        members = range(len(self._member_names()))
        if not is_classifier(self):
            return np.column_stack([self._test_output(cache, m, "predict") for m in members])
        return np.column_stack([self.classes_[self._test_label_codes(cache, m)] for m in members])

    def _label_space(self, estimator):
        """The labels a fitted member's outputs align on (see ``member_label_space``)."""
        # The cv of the fit, not of a later set_params.
        return member_label_space(
            estimator, getattr(self, "classes_", None), prefit=self._members_prefit_
        )

    def _class_feature_names(self):
        """``<member>__<class>`` for every member and class (``<member>__<output>__<class>``
        for a multi-output y)."""
        if is_multi_output(self.classes_):
            columns = [f"{t}__{c}" for t, classes in enumerate(self.classes_) for c in classes]
        else:
            columns = list(self.classes_)
        return np.asarray(
            [f"{n}__{c}" for n in self._member_names() for c in columns], dtype=object
        )

    def _check_member_method(self, name, estimator, methods, purpose):
        """Return the first of ``methods`` that the member has, or raise naming it."""
        for method in methods:
            if hasattr(estimator, method):
                return method
        why = getattr(estimator, "why_missing", lambda methods: "")(methods)
        raise MemberMethodError(
            f"{purpose} needs {' or '.join(methods)}, which member {name!r} "
            f"({member_kind(estimator)}) does not have{': ' + why if why else ''}."
        )

    # -- data ---------------------------------------------------------------
    def _reset_fitted_state(self):
        """Forget every fitted attribute (a name ending in ``_``, public or private).

        Each fit then sets the ones that apply afresh, and None for
        documented ones that do not. Private helpers without the trailing
        ``_`` (``_methods``, ``_vote_weights``...) are set by every fit.
        """
        for key in [k for k in vars(self) if k.endswith("_") and not k.endswith("__")]:
            delattr(self, key)

    def _check_X(self, X, *, reset, y=None):
        """Feature bookkeeping only: members validate X's contents themselves.

        X is 2-D, or a 1-D sequence of documents (strings) for text members
        (no ``n_features_in_`` then, as in sklearn's ensembles).

        With ``reset`` (fit), the fitted state of an earlier fit is dropped first.
        """
        if reset:
            self._reset_fitted_state()
        elif getattr(self, "_prediction_layout_", None) is not None:
            X = self._prediction_layout_.matrix(X)  # fitted by from_predictions
        if issparse(X) and X.format not in ("csr", "csc"):
            X = X.tocsr()  # rows must be selectable to make folds
        elif not hasattr(X, "__getitem__") and hasattr(X, "__array__"):
            X = np.asarray(X)
        shape = getattr(X, "shape", None)
        if shape is not None:
            ndim = len(shape)
        elif isinstance(X, (list, tuple)):
            ndim = 2 if X and hasattr(X[0], "__len__") and not isinstance(X[0], str) else 1
        else:
            ndim = 2  # other containers: the members judge them
        documents = ndim == 1 and _holds_documents(X)  # for members that vectorise text
        if ndim != 2 and not documents:
            raise ValueError(
                f"Expected a 2D X of shape (n_samples, n_features), got {ndim}D. Reshape "
                "your data either using X.reshape(-1, 1) if your data has a single "
                "feature or X.reshape(1, -1) if it contains a single sample."
            )
        if y is not None or reset:
            X, y = validate_data(self, X, y, reset=reset, skip_check_array=True)
        else:
            # What validate_data checks of a prediction's X, without its tags
            # (computing them asks every member for its own: costly with many).
            _check_feature_names(self, X, reset=False)
            _check_n_features(self, X, reset=False)
        n_samples = _num_samples(X)
        if n_samples == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 is required."
            )
        if reset and not documents and _num_features(X) == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={shape}) while a minimum of 1 is required."
            )
        return X, y

    def _check_classification_y(self, y, multi_output=False):
        """Return (y, classes_): one label per row, or with ``multi_output``
        one per output (classes_ then holds one array of classes per output)."""
        if issparse(y):
            y = y.toarray()
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y")
        multi = target_type in ("multilabel-indicator", "multiclass-multioutput")
        if target_type not in ("binary", "multiclass") and not (multi and multi_output):
            supported = (
                "binary, multiclass, multilabel and multi-output"
                if multi_output
                else "binary and multiclass"
            )
            raise ValueError(
                f"{type(self).__name__} supports {supported} targets; got {target_type!r} y "
                f"of shape {np.shape(y)}{self._multi_output_hint() if multi else ''}."
            )
        if target_type == "multilabel-indicator":
            # Every label is 0 or 1, even one that never occurs (as sklearn's forests).
            y = np.asarray(y)
            classes = [np.array([0, 1]).astype(y.dtype) for _ in range(y.shape[1])]
        elif multi:
            y = np.asarray(y)
            classes = [np.unique(column) for column in y.T]
        else:
            y = column_or_1d(y, warn=True)
            classes = [np.unique(y)]
        for t, output_classes in enumerate(classes):
            if len(output_classes) < 2:
                where = f" in output {t}" if multi else ""
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in y{where}; "
                    f"got 1 class ({output_classes[0]!r})."
                )
        return y, classes if multi else classes[0]

    def _multi_output_hint(self):
        """What to change for a multilabel / multi-output y (classifiers that refuse it)."""
        return ""

    def _check_prefit_classes(self):
        """With cv="prefit", every member must know exactly the classes of y."""
        if not is_prefit(self.cv):
            return
        expected = self.classes_ if is_multi_output(self.classes_) else [self.classes_]
        for name, est in self._validate_members()[1]:
            member_classes = getattr(est, "classes_", None)
            if member_classes is None:
                continue
            if not isinstance(member_classes, list):
                if len(expected) > 1:
                    # One (n, n_outputs) array of binary outputs (MLP) has no
                    # classes per output to compare, but it has n_outputs_.
                    if getattr(est, "n_outputs_", 1) != len(expected):
                        raise ValueError(
                            f"Member {name!r} was fitted on one output but y has "
                            f"{len(expected)}; a prefit member must be fitted on every output."
                        )
                    continue
                member_classes = [member_classes]
            if len(member_classes) != len(expected) or not all(
                np.array_equal(m, c) for m, c in zip(member_classes, expected)
            ):
                raise ValueError(
                    f"Member {name!r} was fitted on classes {_listed(member_classes)} but y "
                    f"has classes {_listed(expected)}."
                )

    def _check_regression_y(self, y):
        """Targets as numbers: 1-D, or 2-D for several outputs (every regressor takes them)."""
        y = np.asarray(y)
        if y.ndim != 2 or y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not np.issubdtype(y.dtype, np.number):
            y = y.astype(np.float64)
        return y

    # -- routing and fitting ---------------------------------------------------
    def _splitter_for_routing(self):
        """The splitter that receives split metadata, or None.

        Only splitter objects and ints (sklearn's k-fold) take metadata; an
        iterable of (train, test) pairs takes none, and must not be consumed
        here before fit reads it.
        """
        cv = self.cv
        if (
            cv is None
            or isinstance(cv, numbers.Integral)
            or (hasattr(cv, "split") and not isinstance(cv, str))
        ):
            return resolve_cv(self.cv, None, classifier=is_classifier(self), random_state=0)
        return None

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Members receive ``fit`` metadata they request; the cv splitter receives
        ``groups``. See sklearn's metadata routing user guide.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=self)
        for name, est in self.estimators:
            if not _is_drop(est):
                router.add(
                    **{name: est}, method_mapping=MethodMapping().add(caller="fit", callee="fit")
                )
        splitter = self._splitter_for_routing()
        if splitter is not None:
            router.add(
                splitter=splitter, method_mapping=MethodMapping().add(caller="fit", callee="split")
            )
        return router

    def _fit_inputs(self, members, y, sample_weight, groups, params):
        """(checked sample_weight or None, fit params per member name, split params)."""
        if sample_weight is not None:
            labels = y if is_classifier(self) else None
            sample_weight = check_sample_weight(sample_weight, len(y), labels=labels)
        return (sample_weight, *self._route_params(members, sample_weight, groups, params))

    def _route_params(self, members, sample_weight, groups, params):
        """Return (fit params per member name, split params)."""
        if sklearn_get_config().get("enable_metadata_routing", False):
            # `groups` is an argument of fit: it always reaches skfusion's own
            # splitter, and goes through routing only where something asks for it.
            router = self.get_metadata_routing()
            routed_groups = groups is not None and "groups" in router.consumes("fit", {"groups"})
            metadata = {
                "sample_weight": sample_weight,
                "groups": groups if routed_groups else None,
            }
            routed = process_routing(
                self, "fit", **{k: v for k, v in metadata.items() if v is not None}, **params
            )
            fit_params = {name: dict(routed[name].fit) for name, _ in members}
            has_splitter = self._splitter_for_routing() is not None
            split_params = dict(routed["splitter"].split) if has_splitter else {}
            if groups is not None:
                split_params.setdefault("groups", groups)
            return fit_params, split_params
        if params:
            raise ValueError(
                f"Passing extra fit parameters ({sorted(params)}) requires metadata "
                "routing: call sklearn.set_config(enable_metadata_routing=True) and set "
                "the members' fit requests."
            )
        fit_params = {name: {} for name, _ in members}
        if sample_weight is not None:
            for name, est in members:
                key = sample_weight_key(est)
                if key is None:
                    raise TypeError(
                        f"Member {name!r} ({member_kind(est)}) does not support "
                        "sample_weight; drop it, or fit without sample_weight."
                    )
                fit_params[name][key] = sample_weight
        return fit_params, {"groups": groups}

    def _cross_fit(
        self,
        members,
        X,
        y,
        *,
        methods,
        fit_params,
        split_params,
        classes=None,
        refit=True,
        keep_fold_estimators=False,
        eval_param=None,
    ):
        self._members_prefit_ = is_prefit(self.cv)
        result = cross_fit(
            members,
            X,
            y,
            folds=Folds(self.cv, split_params, is_classifier(self), self.random_state, eval_param),
            methods=methods,
            classes=classes,
            refit=refit,
            keep_fold_estimators=keep_fold_estimators,
            fit_params=fit_params,
            schedule=Schedule(self.memory, self.n_jobs, self.verbose),
        )
        if result.estimators is not None:
            self._set_fitted_members(result.estimators)
        # Where the members' fits are cached, their predictions are too.
        self._fit_keys_, self._fold_fit_keys_ = result.fit_keys, result.fold_fit_keys
        return result

    def _output_cache(self, X):
        """The members' outputs on X, cached with their fits (see ``OutputCache``)."""
        return OutputCache(Schedule(self.memory).joblib_memory(), X)

    def _fit_key(self, member, fold=None):
        """The cache key of a fitted member (refit, or of ``fold``), or None."""
        keys = self._fit_keys_ if fold is None else self._fold_fit_keys_
        if keys is None:
            return None
        return keys[member] if fold is None else keys[member][fold]

    def _set_fitted_members(self, estimators):
        """``estimators_`` and ``named_estimators_`` (``"drop"`` kept by name)."""
        self.estimators_ = estimators
        fitted = iter(estimators)
        self.named_estimators_ = Bunch(
            **{name: "drop" if _is_drop(est) else next(fitted) for name, est in self.estimators}
        )

    def _given_weights(self):
        """The given ``weights`` of the non-dropped members (raw), or None.

        ``weights`` has one entry per entry of ``estimators``, as sklearn's
        voting ensembles; a dropped member's entry is ignored.
        """
        if self.weights is None:
            return None
        if self.weighting is not None:
            raise ValueError(
                f"weights gives fixed member weights and weighting={self.weighting!r} "
                "learns them; set one of the two."
            )
        names = [name for name, _ in self.estimators]
        given = check_weights(self.weights, len(names), names, normalize=False)
        kept = [i for i, (_, est) in enumerate(self.estimators) if not _is_drop(est)]
        return check_weights(given[kept], len(kept), self._member_names(), normalize=False)

    def _set_named_weights(self, weights):
        """``named_weights_``: each entry of ``estimators`` by name, ``"drop"`` as 0."""
        kept = iter(np.asarray(weights, dtype=np.float64).tolist())
        self.named_weights_ = Bunch(
            **{name: 0.0 if _is_drop(est) else next(kept) for name, est in self.estimators}
        )

    # -- display and tags -----------------------------------------------------
    def _sk_visual_block_(self):
        names, estimators = zip(*self.estimators)
        return _VisualBlock("parallel", estimators, names=names)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        flags = self._member_tag_flags()
        if flags is not None:
            tags.input_tags.allow_nan, tags.input_tags.sparse, multi_output = flags
            tags.target_tags.multi_output = self._multi_output and multi_output
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []
        return tags

    def _member_tag_flags(self):
        """Whether every member allows NaN, takes sparse X, takes a 2-D y;
        None while ``estimators`` is invalid (fit reports it).

        Kept from the last fit while ``estimators`` is the same list: every
        ``check_is_fitted`` asks for the fuser's tags, and each member's
        costs a copy (10 ms a call with 10 members)."""
        kept = getattr(self, "_member_tag_cache", None)
        if kept is not None and kept[0] is self.estimators:
            return kept[1]
        try:
            members = [est for _, est in self.estimators if not _is_drop(est)]
            member_tags = [get_tags(est) for est in members]
        except Exception:  # noqa: BLE001 - invalid estimators are reported by fit
            return None
        return (
            all(t.input_tags.allow_nan for t in member_tags),
            all(t.input_tags.sparse for t in member_tags),
            all(t.target_tags.multi_output for t in member_tags),
        )

    # Whether fit takes a 2-D y (the multi_output tag then follows the members').
    _multi_output = False


class FusionData(NamedTuple):
    """What an output fuser's fit kept of its OOF rows (``_fusion_data_``).

    Read by name: the fusers keep different things in ``learn`` and
    ``fuse`` (a blender its members' outputs, a stacker its meta-features,
    a per-row fuser the region features before the outputs), so a reader
    that needs the members' outputs takes ``members``.
    """

    learn: object  # what the fusion step learns from
    fuse: object  # what it fuses (the fused values are fusion(learn)(fuse))
    y: object
    sample_weight: object
    splits: list  # folds of the OOF rows, for the cross-validated fusion
    response: str  # what the fused values are (see score_predictions)
    members: list | None  # each member's OOF output, as member_scores_ scores it
    member_responses: list  # what each member's output is


class _OutputFusion(_FromPredictions, _BaseFusion):
    """The fusers that fuse member outputs (blenders, stackers, averagers).

    Besides ``from_predictions``, they report an honest score of their
    fusion step, ``fused_cv_score_``: what it learns from the OOF rows is
    learnt again on all folds but one and applied to the left-out fold (no
    member is refit). It is computed on first access, from what ``fit`` kept
    (``_keep_fusion_data``), so fits that never read it pay nothing.
    """

    _parameter_constraints: dict = {
        **_BaseFusion._parameter_constraints,
        "test_predictions": [StrOptions({"refit", "fold_average"})],
        "fold_eval_set": [None, str, tuple],
    }

    def _cross_fit(self, members, X, y, *, methods, fit_params, split_params, classes=None):
        """Cross-fit the members; with ``test_predictions="fold_average"`` keep
        the fold models (``fold_estimators_``; ``named_estimators_`` maps each
        name to its list) and refit none on all rows (``estimators_`` is None)."""
        fold_average = self.test_predictions == "fold_average"
        if fold_average and is_prefit(self.cv):
            raise ValueError("test_predictions='fold_average' needs folds; cv='prefit' has none.")
        self._check_fold_eval_set(members)
        result = super()._cross_fit(
            members,
            X,
            y,
            methods=methods,
            fit_params=fit_params,
            split_params=split_params,
            classes=classes,
            refit=not fold_average,
            keep_fold_estimators=fold_average,
            eval_param=self.fold_eval_set,
        )
        self.fold_estimators_ = result.fold_estimators  # None unless kept
        if fold_average:
            self._set_fitted_members(result.fold_estimators)
            self.estimators_ = None
        return result

    def _check_fold_eval_set(self, members):
        """``fold_eval_set`` must name a fit parameter of some member, with folds."""
        given = self.fold_eval_set
        if given is None:
            return
        names = eval_param_names(given)
        if not (len(names) in (1, 2) and all(isinstance(n, str) for n in names)):
            raise ValueError(
                f"fold_eval_set must be a fit parameter name or a pair of them; got {given!r}."
            )
        if is_prefit(self.cv):
            raise ValueError(f"fold_eval_set={given!r} needs folds; cv='prefit' has none.")
        if not any(all(has_fit_parameter(est, n) for n in names) for _, est in members):
            raise ValueError(
                f"fold_eval_set={given!r}: no member's fit takes {' and '.join(names)} (a "
                "Pipeline's does not: its steps would not transform the held-out rows)."
            )

    def _keep_fusion_data(
        self, result, learn, fuse, y, sample_weight, response, members=None, responses=None
    ):
        """Keep what the fusion step learns from and fuses, per OOF row, for
        ``fused_cv_score_``, calibration, intervals and inspection (see
        :class:`FusionData`). ``members``: each member's OOF output as
        ``member_scores_`` scores it, of kind ``responses`` (default:
        ``response`` for every member); None: ``oof_predictions_`` on the OOF
        rows, read when asked (not kept twice)."""
        n_members = len(self._member_names())
        members = None if members is None else list(members)
        self._fusion_data_ = FusionData(
            learn=learn,
            fuse=fuse,
            y=y,
            sample_weight=sample_weight,
            splits=self._oof_row_splits(result, y),
            response=response,
            members=members,
            member_responses=[response] * n_members if responses is None else list(responses),
        )
        self._oof_rows = result.holdout_rows  # None: every row

    def _oof_row_splits(self, result, y):
        """Folds of the OOF rows: the members' own folds when every row has an
        OOF prediction, else (hold-out, prefit) ``held_out_splits``."""
        if result.splits and len(result.splits) > 1 and result.holdout_rows is None:
            return [(np.asarray(train), np.asarray(test)) for train, test in result.splits]
        return held_out_splits(y, classifier=is_classifier(self))

    @property
    def fused_cv_score_(self):
        """The fused output's score with its fusion step cross-validated."""
        check_is_fitted(self)
        if getattr(self, "_fusion_data_", None) is None:
            return None  # no OOF predictions were made
        if getattr(self, "_fused_cv_score_", None) is None:
            self._fused_cv_score_ = self._cross_validated_fused_score()
        return self._fused_cv_score_

    def _cross_validated_fused_score(self):
        values = self._cross_validated_fused_values()
        if values is None:
            return None
        fused, tested = values
        data = self._fusion_data_
        classes = getattr(self, "classes_", None)
        return score_predictions(
            get_scorer(self.scoring, classifier=classes is not None),
            fused,
            _rows(data.y, tested),
            classes=classes,
            sample_weight=_rows(data.sample_weight, tested),
            response=data.response,
        )

    def _cross_validated_fused_values(self):
        """The fused values of the OOF rows with the fusion step learnt
        without each row's fold (and calibrated without it, where the
        classifier calibrates), and which OOF rows have them (a mask); None
        when no fold tests a row."""
        values = self._uncalibrated_cv_values()
        calibrated = getattr(self, "_calibrated_rows_", None)
        return values if values is None or calibrated is None else (calibrated, values[1])

    def _uncalibrated_cv_values(self):
        """``_cross_validated_fused_values`` before calibration. Computed once."""
        if getattr(self, "_cv_fused_values_", None) is None:
            self._cv_fused_values_ = (self._fold_fused_values(),)
        return self._cv_fused_values_[0]

    def _fold_fused_values(self, fusion=None, fuse=None):
        """Pooled ``fusion(learn, y, sample_weight, fuse)`` (default: the
        fusion step, ``_fold_fusion``, on the members' OOF outputs) of each
        split's test rows, learnt on its training rows; see
        ``_cross_validated_fused_values``."""
        data = self._fusion_data_
        learn, y, sample_weight, splits = data.learn, data.y, data.sample_weight, data.splits
        fusion = self._fold_fusion if fusion is None else fusion
        fuse = data.fuse if fuse is None else fuse
        pooled, times = None, np.zeros(len(y))
        for train, test in splits:
            part = fusion(
                _rows(learn, train),
                _rows(y, train),
                _rows(sample_weight, train),
                _rows(fuse, test),
            )
            if pooled is None:
                pooled = np.zeros((len(y),) + part.shape[1:])
            pooled[test] += part
            times[test] += 1
        tested = times > 0
        if pooled is None or not tested.any():
            return None
        return pooled[tested] / times[tested].reshape((-1,) + (1,) * (pooled.ndim - 1)), tested

    @abstractmethod
    def _fold_fusion(self, learn, y, sample_weight, fuse):
        """Learn the fusion step from ``learn`` (rows of one fold's training
        part) and return it applied to ``fuse`` (the left-out rows), as the
        fused values ``fused_score_`` scores."""

    def _probability_rows(self):
        """Fused OOF class probabilities with the fusion step cross-validated,
        the rows' label codes, row weights and the OOF splits over these rows:
        what ``calibration`` and ``predict_set`` learn from."""
        data = getattr(self, "_fusion_data_", None)
        values = None if data is None else self._uncalibrated_cv_values()
        if values is None or data.response != "predict_proba":
            raise ValueError(
                "calibration and predict_set learn from the fused out-of-fold probabilities, "
                f"which this {type(self).__name__} did not make: {NO_OOF_HINT}"
            )
        fused, tested = values
        position = np.cumsum(tested) - 1  # an OOF row's index among the tested rows
        splits = [
            (position[train[tested[train]]], position[test[tested[test]]])
            for train, test in data.splits
        ]
        return (
            fused,
            label_codes(_rows(data.y, tested), self.classes_),
            _rows(data.sample_weight, tested),
            splits,
        )

    # -- what predict_interval reads ----------------------------------------
    def _interval_methods(self):
        """Each member's output method, as fused."""
        return self._methods

    def _member_prediction(self, output):
        """A member's prediction from its output (``_interval_methods``)."""
        return output

    def _fusion_values(self, predictions, X):
        """The members' predictions on X as the fusion step reads them."""
        return predictions

    def _has_fold_models(self):
        """Whether CV+ can run: fold models kept, every row tested by one fold."""
        data = getattr(self, "_fusion_data_", None)
        if getattr(self, "fold_estimators_", None) is None or data is None:
            return False
        tests = [test for _, test in data.splits]
        tests = np.concatenate(tests) if tests else np.array([])
        return self._oof_rows is None and len(tests) == len(data.y) == len(np.unique(tests))

    def _calibration_folds(self):
        """Each OOF row's fold (``_has_fold_models``: every row in one test fold)."""
        data = self._fusion_data_
        fold_of = np.empty(len(data.y), dtype=np.intp)
        for f, (_, test) in enumerate(data.splits):
            fold_of[test] = f
        return fold_of

    def _interval_calibration(self, normalized):
        """The OOF rows' targets, fused predictions (fusion cross-validated),
        folds (when CV+ can run) and members' spread (when ``normalized``)."""
        data = getattr(self, "_fusion_data_", None)
        values = None if data is None else self._cross_validated_fused_values()
        if values is None:
            raise ValueError(
                "predict_interval calibrates on the fused out-of-fold predictions, which this "
                f"{type(self).__name__} did not make: {NO_OOF_HINT}"
            )
        fused, tested = values
        fold_of = self._calibration_folds() if self._has_fold_models() else None
        spread = None
        if normalized:
            outputs, _ = self._scored_member_outputs()
            spread = np.std(np.stack([np.asarray(o, np.float64) for o in outputs]), axis=0)
            spread = spread[tested]
        return {"y": _rows(data.y, tested), "fused": fused, "fold_of": fold_of, "spread": spread}

    def _fold_fused_predictions(self, X):
        """``(n, n_folds[, n_outputs])``: on each fold, its members' fold models
        fused by the fusion step learnt without that fold."""
        data = self._fusion_data_
        learn, y, sample_weight = data.learn, data.y, data.sample_weight
        cache = self._output_cache(X)
        methods = self._interval_methods()
        columns = []
        for f, (train, _) in enumerate(data.splits):
            predictions = [
                self._member_prediction(self._fold_output(cache, m, f, method))
                for m, method in enumerate(methods)
            ]
            fuse = self._fusion_values(predictions, X)
            columns.append(
                self._fold_fusion(
                    _rows(learn, train), _rows(y, train), _rows(sample_weight, train), fuse
                )
            )
        return np.stack(columns, axis=1)

    def _member_spread(self, X):
        """Standard deviation of the fitted members' predictions on X (checked)."""
        cache = self._output_cache(X)
        predictions = [
            np.asarray(self._member_prediction(self._test_output(cache, m, method)), np.float64)
            for m, method in enumerate(self._interval_methods())
        ]
        return np.std(np.stack(predictions), axis=0)

    # -- what skfusion.inspection reads ------------------------------------
    @abstractmethod
    def _subset_fusion(self, members_in):
        """The fused values on the OOF rows (as ``fused_score_`` scores them)
        of the members where ``members_in`` (bool, one per member) is True,
        fused by this fuser's rule; None where they fuse nothing."""

    def _linear_pool_weights(self):
        """The raw member weights when a subset's fusion is its members'
        fusion inputs averaged with these weights renormalised; else None."""
        return None

    def _score_fused_rows(self, fused, tested):
        """``fused_score_`` of fused probabilities of every row (``tested``:
        the OOF rows), as the fit scores its fused output."""
        data = self._fusion_data_
        return score_predictions(
            get_scorer(self.scoring, classifier=True),
            fused[tested],
            data.y,
            classes=self.classes_,
            sample_weight=data.sample_weight,
            response="predict_proba",
        )

    def _scored_member_outputs(self):
        """Each member's OOF output as ``member_scores_`` scores it (OOF rows),
        and what kind of output each is."""
        data = self._fusion_data_
        members = data.members
        if members is None:
            rows = self._oof_rows
            oof = self.oof_predictions_ if rows is None else self.oof_predictions_[rows]
            members = [oof[:, m] for m in range(oof.shape[1])]
        return members, data.member_responses


def _rows(values, rows):
    """``values`` at ``rows``: an array (dense or sparse), a list of them, or
    None. Anything else (a DataFrame, a list of rows: X as a gate reads it)
    by ``_safe_indexing``."""
    if values is None:
        return None
    if isinstance(values, list):
        return [_rows(v, rows) for v in values]
    if isinstance(values, np.ndarray) or issparse(values):
        return values[rows]
    return _safe_indexing(values, rows)


class _MultiLabelTags:
    """Classifier tags of the fusers that take multilabel y (put before ClassifierMixin,
    which resets the classifier tags)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = tags.target_tags.multi_output
        return tags


class _MemberClassColumns:
    """``get_feature_names_out`` of the classifiers whose ``transform`` puts each
    member's class columns side by side."""

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``<member>__<class>``.

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
        return self._class_feature_names()


class _MemberPredictionColumns:
    """``transform`` of the regressors that fuse member predictions: one column a member."""

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
        return self._member_predictions_side_by_side(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``<member>`` (``<member>__<j>`` per output).

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
        n_outputs = getattr(self, "_n_outputs", 1)
        if n_outputs == 1:
            return np.asarray(self._member_names(), dtype=object)
        return np.asarray(
            [f"{name}__{j}" for name in self._member_names() for j in range(n_outputs)],
            dtype=object,
        )


def sample_weight_key(estimator):
    """The fit parameter that carries ``sample_weight`` to ``estimator``, or None.

    ``"sample_weight"`` for an estimator that takes it; for a Pipeline (at
    any depth) whose final step takes it, ``"<step>__sample_weight"``, which
    Pipeline routes to that step without metadata routing.
    """
    if has_fit_parameter(estimator, "sample_weight"):
        return "sample_weight"
    if isinstance(estimator, Pipeline):
        step, final = estimator.steps[-1]
        inner = None if final is None or final == "passthrough" else sample_weight_key(final)
        return None if inner is None else f"{step}__{inner}"
    return None


def _holds_documents(X):
    """Whether a 1-D X holds strings: documents, which text members (a Pipeline
    starting with a vectoriser) take as sklearn's ensembles let them."""
    try:
        first = X.iloc[0] if hasattr(X, "iloc") else X[0]
    except (IndexError, KeyError, TypeError):
        return False
    return isinstance(first, (str, bytes))


def _listed(classes):
    """Classes for a message: one list, or a list per output."""
    lists = [np.asarray(c).tolist() for c in classes]
    return lists[0] if len(lists) == 1 else lists


def _is_drop(estimator):
    return isinstance(estimator, str) and estimator == "drop"
