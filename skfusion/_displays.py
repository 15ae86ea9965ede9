"""Displays of a fusion (sklearn's Display API): weights, contributions,
diversity, Caruana's selection path. matplotlib is imported on first plot."""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from .metrics import MEASURES


def _pyplot(what):
    """matplotlib.pyplot, or one ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{what} needs matplotlib, an optional dependency of skfusion: "
            "pip install matplotlib (or pip install 'skfusion[plot]')."
        ) from exc
    return plt


def _axes(ax, what):
    if ax is None:
        _, ax = _pyplot(what).subplots()
    return ax


def _is_regression(y):
    """Saved predictions' task: regression for a float y (whole numbers
    included, as a count target's), classification for other labels."""
    y = np.asarray(y)
    return y.dtype.kind == "f" or type_of_target(y).startswith("continuous")


def _fuser_of_predictions(predictions, y, names, **params):
    """A blender fitted on saved predictions (a regressor for a float y)."""
    from ._blending import WeightedBlender, WeightedBlenderRegressor

    cls = WeightedBlenderRegressor if _is_regression(y) else WeightedBlender
    return cls.from_predictions(predictions, y, names=names, **params)


def _one_metric(values, scoring, what):
    """A score, or one metric's from a dict of them (default: the first)."""
    if not isinstance(values, dict):
        return values
    if scoring is None:
        scoring = next(iter(values))
    if scoring not in values:
        raise ValueError(f"{what}: scoring={scoring!r} is not one of {sorted(values)}.")
    return values[scoring]


class WeightsDisplay:
    """Member weights as bars, with error bars where their spread is known.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`, or
    from the values and call :meth:`plot`.

    Parameters
    ----------
    weights : array-like of shape (n_members,)
        The weights.
    names : list of str
        The members' names.
    weights_std : array-like of shape (n_members,), default=None
        Standard deviations of the weights (a Bayesian model averager's
        ``weights_std_``), drawn as error bars.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The bars (their heights are the weights).
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    ContributionDisplay : What each member contributes to the fused score.
    skfusion.inspection.member_report : The same numbers as a table.

    References
    ----------
    .. [1] Y. Yao, A. Vehtari, D. Simpson and A. Gelman, "Using stacking to
       average Bayesian predictive distributions", Bayesian Analysis 13(3),
       917-1007, 2018.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion.inspection import WeightsDisplay
    >>> display = WeightsDisplay([0.7, 0.3], names=["a", "b"]).plot()
    >>> [float(bar.get_height()) for bar in display.bars_]
    [0.7, 0.3]
    """

    def __init__(self, weights, *, names, weights_std=None):
        self.weights = weights
        self.names = names
        self.weights_std = weights_std

    def plot(self, ax=None, **bar_kwargs):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **bar_kwargs : dict
            Passed to ``Axes.bar``.

        Returns
        -------
        display : WeightsDisplay
            This display, with ``bars_``, ``ax_`` and ``figure_`` set.
        """
        ax = _axes(ax, "WeightsDisplay")
        weights = np.asarray(self.weights, dtype=np.float64)
        std = None if self.weights_std is None else np.asarray(self.weights_std, np.float64)
        self.bars_ = ax.bar(list(self.names), weights, yerr=std, capsize=3, **bar_kwargs)
        ax.set_ylabel("weight")
        ax.set_title("Member weights" + (" (+- std)" if std is not None else ""))
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, fuser, *, ax=None, **bar_kwargs):
        """Plot a fitted fuser's ``weights_`` (and ``weights_std_``).

        Parameters
        ----------
        fuser : fitted fuser
            A fuser with ``weights_``: a blender, an averager or a
            weight-space fuser.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **bar_kwargs : dict
            Passed to ``Axes.bar``.

        Returns
        -------
        display : WeightsDisplay
            The plotted display.
        """
        check_is_fitted(fuser)
        weights = getattr(fuser, "weights_", None)
        if weights is None:
            raise ValueError(
                f"{type(fuser).__name__} has no weights_ (a stacker's members are weighed "
                "by its meta-learner); see ContributionDisplay instead."
            )
        display = cls(
            weights,
            names=list(fuser._member_names()),
            weights_std=getattr(fuser, "weights_std_", None),
        )
        return display.plot(ax=ax, **bar_kwargs)

    @classmethod
    def from_predictions(cls, predictions, y, *, names=None, ax=None, **fuser_params):
        """Learn weights from saved predictions and plot them.

        Parameters
        ----------
        predictions : list of array-like, array-like or DataFrame
            The models' out-of-fold predictions, in any layout that
            ``WeightedBlender.from_predictions`` reads.
        y : array-like of shape (n_samples,)
            The targets (a float y makes a regressor, other labels a classifier).
        names : list of str, default=None
            The models' names.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **fuser_params : dict
            Parameters of the blender (default ``weighting="optimize"``).

        Returns
        -------
        display : WeightsDisplay
            The plotted display.
        """
        fuser_params.setdefault("weighting", "optimize")
        fuser = _fuser_of_predictions(predictions, y, names, **fuser_params)
        return cls.from_estimator(fuser, ax=ax)


class ContributionDisplay:
    """Members' contributions: Shapley bars, or one row's waterfall.

    ``kind="members"``: each member's Shapley contribution to the fused
    out-of-fold score, as horizontal bars (with standard errors when
    sampled). ``kind="sample"``: one row's fused output built up from
    ``base`` member by member (a waterfall), ending at the output.

    Parameters
    ----------
    values : array-like of shape (n_members,)
        Shapley values (``"members"``) or one row's terms (``"sample"``).
    names : list of str
        The members' names.
    values_std : array-like of shape (n_members,), default=None
        Standard errors of sampled Shapley values.
    base : float, default=0.0
        Where the waterfall starts (``"sample"``): the no-member output.
    kind : {"members", "sample"}, default="members"
        What the values are.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The bars: for ``"members"`` their widths are the values (in plotted
        order, see ``order_``); for ``"sample"`` each bar spans a member's
        step.
    order_ : ndarray of int
        The members in plotted order (bottom to top): by value.
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    skfusion.inspection.member_contributions : The Shapley values.
    skfusion.inspection.per_sample_contributions : The terms of each row.

    References
    ----------
    .. [1] L. S. Shapley, "A value for n-person games", Contributions to
       the Theory of Games II, 307-317, 1953.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion.inspection import ContributionDisplay
    >>> display = ContributionDisplay([0.2, 0.5], names=["a", "b"]).plot()
    >>> [float(bar.get_width()) for bar in display.bars_]
    [0.2, 0.5]
    """

    def __init__(self, values, *, names, values_std=None, base=0.0, kind="members"):
        self.values = values
        self.names = names
        self.values_std = values_std
        self.base = base
        self.kind = kind

    def plot(self, ax=None, **bar_kwargs):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **bar_kwargs : dict
            Passed to ``Axes.barh``.

        Returns
        -------
        display : ContributionDisplay
            This display, with ``bars_``, ``order_``, ``ax_`` and
            ``figure_`` set.
        """
        if self.kind not in ("members", "sample"):
            raise ValueError(f"kind must be 'members' or 'sample'; got {self.kind!r}.")
        ax = _axes(ax, "ContributionDisplay")
        values = np.asarray(self.values, dtype=np.float64)
        names = list(self.names)
        if self.kind == "members":
            self.order_ = np.argsort(values, kind="stable")
            std = None if self.values_std is None else np.asarray(self.values_std)[self.order_]
            self.bars_ = ax.barh(
                [names[m] for m in self.order_], values[self.order_], xerr=std, **bar_kwargs
            )
            ax.axvline(0.0, color="black", linewidth=0.8)
            ax.set_xlabel("Shapley contribution to the fused OOF score")
        else:
            self.order_ = np.argsort(np.abs(values), kind="stable")
            steps = values[self.order_]
            starts = float(self.base) + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
            colors = np.where(steps >= 0, "tab:red", "tab:blue")
            self.bars_ = ax.barh(
                [names[m] for m in self.order_],
                steps,
                left=starts,
                color=list(colors),
                **bar_kwargs,
            )
            ax.axvline(float(self.base), color="grey", linestyle=":", linewidth=0.8)
            ax.axvline(float(self.base) + steps.sum(), color="black", linewidth=0.8)
            ax.set_xlabel("fused output, built up from the base member by member")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        fuser,
        X=None,
        y=None,
        *,
        sample=None,
        column=None,
        scoring=None,
        method="auto",
        n_permutations=100,
        random_state=None,
        ax=None,
        **bar_kwargs,
    ):
        """Plot a fitted fuser's member contributions (or one row's, with ``sample``).

        Parameters
        ----------
        fuser : fitted fuser
            A fitted blender, stacker or averager with OOF predictions, or a
            weight-space fuser with X and y (contributions to its score on
            them).
        X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
            The rows of ``sample``; for a weight-space fuser, the rows its
            merged subsets are scored on.
        y : array-like of shape (n_samples,), default=None
            The targets of X (a weight-space fuser only).
        sample : int, default=None
            None plots the Shapley contributions to the fused score; an int
            the waterfall of that row of X.
        column : int, default=None
            The output column to explain when there are several (a class);
            None is the row's largest output (the predicted class).
        scoring : str or callable, default=None
            As in :func:`~skfusion.inspection.member_contributions`.
        method : {"auto", "exact", "permutation"}, default="auto"
            As in :func:`~skfusion.inspection.member_contributions`.
        n_permutations : int, default=100
            Orders sampled by ``method="permutation"``.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampled orders.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **bar_kwargs : dict
            Passed to ``Axes.barh``.

        Returns
        -------
        display : ContributionDisplay
            The plotted display.
        """
        from .inspection import member_contributions, per_sample_contributions

        options = {"method": method, "n_permutations": n_permutations}
        options["random_state"] = random_state
        if sample is None:
            result = member_contributions(fuser, X, y, scoring=scoring, **options)
            display = cls(result.shapley, names=result.names, values_std=result.shapley_std)
            display.plot(ax=ax, **bar_kwargs)
            display.ax_.set_title(f"Contributions to {result.scoring or 'the default score'}")
            return display
        if X is None:
            raise ValueError("sample= explains a row of X: pass X.")
        n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
        if not -n_rows <= sample < n_rows:
            raise IndexError(f"sample={sample} is out of range for X's {n_rows} rows.")
        sample = sample % n_rows
        if hasattr(X, "iloc"):
            rows = X.iloc[sample : sample + 1]
        elif hasattr(X, "shape"):
            rows = X[sample : sample + 1]
        else:
            rows = [X[sample]]
        parts = per_sample_contributions(fuser, rows, **options)
        terms, base, output = parts.terms[0], parts.base[0], parts.output[0]
        if terms.ndim == 2:
            column = int(np.argmax(output)) if column is None else column
            terms, base = terms[:, column], base[column]
        display = cls(terms, names=parts.names, base=float(base), kind="sample")
        display.plot(ax=ax, **bar_kwargs)
        where = "" if column is None else f", column {column}"
        display.ax_.set_title(f"Row {sample}: {parts.output_kind}{where}")
        return display

    @classmethod
    def from_predictions(
        cls,
        predictions,
        y,
        *,
        names=None,
        scoring=None,
        method="auto",
        n_permutations=100,
        random_state=None,
        ax=None,
        **params,
    ):
        """Blend saved predictions and plot the members' contributions.

        Parameters
        ----------
        predictions : list of array-like, array-like or DataFrame
            The models' out-of-fold predictions, in any layout that
            ``WeightedBlender.from_predictions`` reads.
        y : array-like of shape (n_samples,)
            The targets (a float y makes a regressor, other labels a classifier).
        names : list of str, default=None
            The models' names.
        scoring : str or callable, default=None
            The score shared out; None is accuracy or R².
        method : {"auto", "exact", "permutation"}, default="auto"
            As in :func:`~skfusion.inspection.member_contributions`.
        n_permutations : int, default=100
            Orders sampled by ``method="permutation"``.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampled orders.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **params : dict
            Parameters of the blender (default ``weighting="optimize"``).

        Returns
        -------
        display : ContributionDisplay
            The plotted display.
        """
        params.setdefault("weighting", "optimize")
        fuser = _fuser_of_predictions(predictions, y, names, scoring=scoring, **params)
        options = {"method": method, "n_permutations": n_permutations}
        return cls.from_estimator(fuser, ax=ax, random_state=random_state, **options)


class DiversityDisplay:
    """A pairwise diversity matrix as a heatmap, members ordered by clustering.

    Members are reordered by hierarchical clustering (average linkage) of
    their rows of the matrix, so groups of alike members sit together.

    Parameters
    ----------
    matrix : array-like of shape (n_members, n_members)
        A pairwise measure (see :func:`skfusion.metrics.pairwise_diversity`).
    names : list of str
        The members' names.
    measure : str, default="q_statistic"
        The measure's name, for the title.

    Attributes
    ----------
    image_ : matplotlib AxesImage
        The heatmap; its array is the matrix in ``order_``.
    order_ : ndarray of int
        The members' plotted order.
    colorbar_ : matplotlib Colorbar
        Its colour scale.
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    skfusion.metrics.pairwise_diversity : The matrices of classifiers.

    References
    ----------
    .. [1] L. I. Kuncheva and C. J. Whitaker, "Measures of diversity in
       classifier ensembles and their relationship with the ensemble
       accuracy", Machine Learning 51, 181-207, 2003.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion.inspection import DiversityDisplay
    >>> display = DiversityDisplay([[1.0, 0.2], [0.2, 1.0]], names=["a", "b"]).plot()
    >>> display.image_.get_array().shape
    (2, 2)
    """

    def __init__(self, matrix, *, names, measure="q_statistic"):
        self.matrix = matrix
        self.names = names
        self.measure = measure

    def plot(self, ax=None, *, cmap="viridis", cluster=True):
        """Draw the heatmap.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        cmap : str or matplotlib Colormap, default="viridis"
            The colour map.
        cluster : bool, default=True
            Order members by hierarchical clustering; False keeps their order.

        Returns
        -------
        display : DiversityDisplay
            This display, with ``image_``, ``order_``, ``colorbar_``,
            ``ax_`` and ``figure_`` set.
        """
        from scipy.cluster.hierarchy import leaves_list, linkage

        ax = _axes(ax, "DiversityDisplay")
        matrix = np.asarray(self.matrix, dtype=np.float64)
        n_members = len(matrix)
        if cluster and n_members > 2:
            # Undefined pairs (NaN) count as neutral for the ordering only.
            self.order_ = leaves_list(linkage(np.nan_to_num(matrix), method="average"))
        else:
            self.order_ = np.arange(n_members)
        shown = matrix[np.ix_(self.order_, self.order_)]
        self.image_ = ax.imshow(shown, cmap=cmap)
        labels = [list(self.names)[m] for m in self.order_]
        ax.set_xticks(range(n_members), labels, rotation=90)
        ax.set_yticks(range(n_members), labels)
        self.colorbar_ = ax.figure.colorbar(self.image_, ax=ax)
        ax.set_title(f"Pairwise {self.measure.replace('_', ' ')}")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, fuser, X=None, y=None, *, measure=None, ax=None, **plot_kwargs):
        """Plot the pairwise diversity of a fitted fuser's members (OOF).

        Parameters
        ----------
        fuser : fitted fuser
            A fitted blender, stacker or averager with OOF predictions, or a
            weight-space fuser with X and y.
        X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
            Only for a weight-space fuser: the rows its members predict.
        y : array-like of shape (n_samples,), default=None
            The targets of X.
        measure : str, default=None
            For classifiers a measure of
            :func:`~skfusion.metrics.pairwise_diversity` (None:
            ``"q_statistic"``); regressors have ``"correlation"`` of the
            OOF residuals only (the None default).
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : DiversityDisplay
            The plotted display.
        """
        from .inspection import _game, _member_diversity

        game = _game(fuser, None, X, y, None, "DiversityDisplay")
        measure = _default_measure(measure, game.classes is not None)
        matrix = _member_diversity(game, measure)
        display = cls(matrix, names=list(fuser._member_names()), measure=measure)
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_predictions(cls, predictions, y, *, names=None, measure=None, ax=None, **plot_kwargs):
        """Plot the pairwise diversity of prediction arrays.

        Parameters
        ----------
        predictions : list of ndarray or ndarray
            One array per model (labels or class scores for classifiers,
            values for regressors), or one array with models on axis 1.
        y : array-like of shape (n_samples,)
            The targets (a float y: regressors, other labels: classifiers).
        names : list of str, default=None
            The models' names; default ``model0``, ``model1``...
        measure : str, default=None
            As in :meth:`from_estimator`.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : DiversityDisplay
            The plotted display.
        """
        from ._kernels import member_list
        from .inspection import _residual_correlations
        from .metrics import pairwise_diversity

        models = member_list(predictions)
        classifier = not _is_regression(y)
        measure = _default_measure(measure, classifier)
        if classifier:
            matrix = pairwise_diversity(models, y, measure=measure)
        else:
            matrix = _residual_correlations(models, y)
        names = [f"model{m}" for m in range(len(models))] if names is None else names
        return cls(matrix, names=names, measure=measure).plot(ax=ax, **plot_kwargs)


def _default_measure(measure, classifier):
    if classifier:
        measure = "q_statistic" if measure is None else measure
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}; got {measure!r}.")
        return measure
    if measure not in (None, "correlation"):
        raise ValueError(
            f"Regressors' diversity is the correlation of their residuals; got "
            f"measure={measure!r}."
        )
    return "correlation"


class SelectionPathDisplay:
    """Caruana's ensemble selection: the fused OOF score after each pick.

    Parameters
    ----------
    scores : array-like of shape (n_picks,)
        The fused score of the first t picks, for each t (a blender's
        ``pick_scores_``).
    picks : list of str
        The member added by each pick.
    scoring : str, default=None
        The score's name, for the axis label.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The path; its y data are the scores.
    annotations_ : list of matplotlib Annotation
        The name of each member where it is first picked.
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    skfusion.weights.caruana_weights : The selection.
    WeightsDisplay : The resulting weights.

    References
    ----------
    .. [1] R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble
       selection from libraries of models", ICML 2004.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion.inspection import SelectionPathDisplay
    >>> display = SelectionPathDisplay([0.8, 0.85, 0.86], picks=["a", "b", "a"]).plot()
    >>> display.line_.get_ydata().tolist()
    [0.8, 0.85, 0.86]
    """

    def __init__(self, scores, *, picks, scoring=None):
        self.scores = scores
        self.picks = picks
        self.scoring = scoring

    def plot(self, ax=None, **line_kwargs):
        """Draw the path.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **line_kwargs : dict
            Passed to ``Axes.plot``.

        Returns
        -------
        display : SelectionPathDisplay
            This display, with ``line_``, ``annotations_``, ``ax_`` and
            ``figure_`` set.
        """
        ax = _axes(ax, "SelectionPathDisplay")
        scores = np.asarray(self.scores, dtype=np.float64)
        steps = np.arange(1, len(scores) + 1)
        line_kwargs.setdefault("marker", "o")
        (self.line_,) = ax.plot(steps, scores, **line_kwargs)
        self.annotations_, seen = [], set()
        for step, score, name in zip(steps, scores, self.picks):
            if name not in seen:
                seen.add(name)
                self.annotations_.append(
                    ax.annotate(name, (step, score), textcoords="offset points", xytext=(4, -10))
                )
        ax.set_xlabel("pick")
        ax.set_ylabel(f"fused OOF {self.scoring or 'score'}")
        ax.set_title("Ensemble selection path")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, fuser, *, scoring=None, ax=None, **line_kwargs):
        """Plot a fitted Caruana blender's ``pick_scores_``.

        Parameters
        ----------
        fuser : fitted WeightedBlender or WeightedBlenderRegressor
            Fitted with ``weighting="caruana"``.
        scoring : str, default=None
            With several ``scoring`` metrics in the fuser, the name of the
            one to plot (default the first).
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **line_kwargs : dict
            Passed to ``Axes.plot``.

        Returns
        -------
        display : SelectionPathDisplay
            The plotted display.
        """
        check_is_fitted(fuser)
        scores = getattr(fuser, "pick_scores_", None)
        if scores is None:
            raise ValueError(
                "SelectionPathDisplay needs a blender fitted with weighting='caruana' "
                f"(pick_scores_); got {type(fuser).__name__} without picks."
            )
        path = [_one_metric(s, scoring, "SelectionPathDisplay") for s in scores]
        if isinstance(scores[0], dict):
            name = scoring or next(iter(scores[0]))
        else:
            name = fuser.scoring if isinstance(fuser.scoring, str) else None
        display = cls(path, picks=list(fuser.picks_), scoring=name)
        return display.plot(ax=ax, **line_kwargs)

    @classmethod
    def from_predictions(cls, predictions, y, *, names=None, ax=None, **fuser_params):
        """Run Caruana's selection on saved predictions and plot its path.

        Parameters
        ----------
        predictions : list of array-like, array-like or DataFrame
            The models' out-of-fold predictions, in any layout that
            ``WeightedBlender.from_predictions`` reads.
        y : array-like of shape (n_samples,)
            The targets (a float y makes a regressor, other labels a classifier).
        names : list of str, default=None
            The models' names.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **fuser_params : dict
            Parameters of the blender (``n_iter``, ``scoring``...);
            ``weighting`` is ``"caruana"``.

        Returns
        -------
        display : SelectionPathDisplay
            The plotted display.
        """
        fuser = _fuser_of_predictions(
            predictions, y, names, **{**fuser_params, "weighting": "caruana"}
        )
        return cls.from_estimator(fuser, ax=ax)


class CoverageDisplay:
    """Empirical against nominal coverage of prediction sets or intervals.

    Their mean size (sets) or width (intervals) per level is drawn on a
    second axis.

    Parameters
    ----------
    levels : array-like of shape (n_levels,)
        The nominal coverages asked for.
    coverages : array-like of shape (n_levels,)
        The shares of held-out rows covered at each level.
    sizes : array-like of shape (n_levels,)
        Mean set size or interval width at each level.
    size_name : str, default="mean set size"
        What ``sizes`` are, for the axis label.

    Attributes
    ----------
    line_ : matplotlib Line2D
        Empirical coverage by level (its y data are ``coverages``).
    diagonal_ : matplotlib Line2D
        The nominal line.
    size_line_ : matplotlib Line2D
        Size or width by level, on a second y axis (``size_ax_``).
    ax_ : matplotlib Axes
        The coverage axes.
    size_ax_ : matplotlib Axes
        The axes of the sizes (sharing x).
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    skfusion.metrics.coverage_score : The coverage of one level.

    References
    ----------
    .. [1] V. Vovk, A. Gammerman and G. Shafer, "Algorithmic Learning in a
       Random World", Springer, 2005.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion.inspection import CoverageDisplay
    >>> display = CoverageDisplay([0.8, 0.9], [0.81, 0.9], [1.2, 1.6]).plot()
    >>> display.line_.get_ydata().tolist()
    [0.81, 0.9]
    """

    def __init__(self, levels, coverages, sizes, *, size_name="mean set size"):
        self.levels = levels
        self.coverages = coverages
        self.sizes = sizes
        self.size_name = size_name

    def plot(self, ax=None):
        """Draw coverage against level, and size on a second axis.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : CoverageDisplay
            This display, with its artists and axes set.
        """
        ax = _axes(ax, "CoverageDisplay")
        levels = np.asarray(self.levels, dtype=np.float64)
        (self.diagonal_,) = ax.plot(levels, levels, "k:", label="nominal")
        (self.line_,) = ax.plot(levels, np.asarray(self.coverages, float), "o-", label="held out")
        ax.set_xlabel("nominal coverage")
        ax.set_ylabel("empirical coverage")
        ax.legend(loc="upper left")
        self.size_ax_ = ax.twinx()
        (self.size_line_,) = self.size_ax_.plot(
            levels, np.asarray(self.sizes, float), "s--", color="tab:orange"
        )
        self.size_ax_.set_ylabel(self.size_name)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, fuser, X, y, *, levels=(0.5, 0.7, 0.8, 0.9, 0.95), ax=None, **kwargs):
        """Plot a fitted fuser's held-out coverage, level by level.

        ``predict_set`` for classifiers, ``predict_interval`` for regressors.

        Parameters
        ----------
        fuser : fitted fuser
            A classifier with ``predict_set`` or a regressor with
            ``predict_interval``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels or values.
        levels : sequence of float, default=(0.5, 0.7, 0.8, 0.9, 0.95)
            The coverages asked for.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **kwargs : dict
            Passed to ``predict_set`` / ``predict_interval`` (``method``...).

        Returns
        -------
        display : CoverageDisplay
            The plotted display.
        """
        from .metrics import coverage_score, interval_width, set_size

        check_is_fitted(fuser)
        coverages, sizes = [], []
        for level in levels:
            if hasattr(fuser, "predict_set"):
                sets = fuser.predict_set(X, coverage=level, **kwargs)
                coverages.append(coverage_score(y, sets, labels=fuser.classes_))
                sizes.append(set_size(sets))
                size_name = "mean set size"
            elif hasattr(fuser, "predict_interval"):
                bounds = fuser.predict_interval(X, coverage=level, **kwargs)
                coverages.append(coverage_score(y, bounds))
                sizes.append(interval_width(bounds))
                size_name = "mean interval width"
            else:
                raise ValueError(
                    f"{type(fuser).__name__} has neither predict_set nor predict_interval."
                )
        display = cls(levels, coverages, sizes, size_name=size_name)
        return display.plot(ax=ax)

    @classmethod
    def from_predictions(cls, y, predictions, *, levels, labels=None, ax=None):
        """Plot coverage from sets or intervals already made, one per level.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            True labels or values.
        predictions : list of array-like
            One ``predict_set`` or ``predict_interval`` result per level.
        levels : sequence of float
            The coverage each was made for.
        labels : array-like, default=None
            The sets' column labels (a fuser's ``classes_``).
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : CoverageDisplay
            The plotted display.
        """
        from .metrics import coverage_score, interval_width, set_size

        sets = np.asarray(predictions[0]).dtype == bool
        coverages = [coverage_score(y, p, labels=labels) for p in predictions]
        sizes = [set_size(p) if sets else interval_width(p) for p in predictions]
        name = "mean set size" if sets else "mean interval width"
        return cls(levels, coverages, sizes, size_name=name).plot(ax=ax)


class WeightsHistoryDisplay:
    """Member weights over a stream: one line per member, drift at a glance.

    Parameters
    ----------
    weights : array-like of shape (n_records, n_members)
        The weights at each recorded row (an online blender's
        ``weights_history_``).
    rows : array-like of shape (n_records,)
        The rows' positions in the stream (``history_rows_``), where each
        line's points are drawn: a history thinned to ``max_history`` rows
        still spans the whole stream.
    names : list of str
        The members' names.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per member; its y data are the member's weights.
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    skfusion.OnlineBlender : Weights that follow a stream.
    WeightsDisplay : One set of weights as bars.

    References
    ----------
    .. [1] M. Herbster and M. K. Warmuth, "Tracking the best expert",
       Machine Learning 32(2), 151-178, 1998.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion.inspection import WeightsHistoryDisplay
    >>> weights = [[0.5, 0.5], [0.8, 0.2], [0.3, 0.7]]
    >>> display = WeightsHistoryDisplay(weights, rows=[0, 1, 2], names=["a", "b"]).plot()
    >>> display.lines_[1].get_ydata().tolist()
    [0.5, 0.2, 0.7]
    """

    def __init__(self, weights, *, rows, names):
        self.weights = weights
        self.rows = rows
        self.names = names

    def plot(self, ax=None, **line_kwargs):
        """Draw the lines.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **line_kwargs : dict
            Passed to ``Axes.plot``.

        Returns
        -------
        display : WeightsHistoryDisplay
            This display, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        ax = _axes(ax, "WeightsHistoryDisplay")
        weights = np.asarray(self.weights, dtype=np.float64)
        rows = np.asarray(self.rows)
        if weights.ndim != 2 or weights.shape != (len(rows), len(self.names)):
            raise ValueError(
                f"WeightsHistoryDisplay: weights must be (n_records, n_members) = "
                f"({len(rows)}, {len(self.names)}); got {weights.shape}."
            )
        self.lines_ = [
            ax.plot(rows, weights[:, m], label=name, **line_kwargs)[0]
            for m, name in enumerate(self.names)
        ]
        ax.set_xlabel("row of the stream")
        ax.set_ylabel("weight")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("Member weights over the stream")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, fuser, *, ax=None, **line_kwargs):
        """Plot a fitted online blender's ``weights_history_``.

        Each point is drawn at its row of the stream (``history_rows_``):
        every ``record_every``-th row, fewer on a stream longer than
        ``max_history`` of them (the blender's parameters).

        Parameters
        ----------
        fuser : fitted OnlineBlender or OnlineBlenderRegressor
            The blender.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **line_kwargs : dict
            Passed to ``Axes.plot``.

        Returns
        -------
        display : WeightsHistoryDisplay
            The plotted display.
        """
        check_is_fitted(fuser)
        history = getattr(fuser, "weights_history_", None)
        if history is None:
            raise ValueError(
                "WeightsHistoryDisplay needs an online blender (weights_history_); got "
                f"{type(fuser).__name__}, whose weights do not change along a stream."
            )
        display = cls(history, rows=fuser.history_rows_, names=list(fuser._member_names()))
        return display.plot(ax=ax, **line_kwargs)

    @classmethod
    def from_predictions(cls, predictions, y, *, names=None, ax=None, **fuser_params):
        """Follow saved predictions of a stream with online weights and plot them.

        Parameters
        ----------
        predictions : list of array-like, array-like or DataFrame
            The models' predictions of the stream's rows, in order, in any
            layout that ``OnlineBlender.from_predictions`` reads.
        y : array-like of shape (n_samples,)
            The targets (a float y makes a regressor, other labels a
            classifier).
        names : list of str, default=None
            The models' names.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        **fuser_params : dict
            Parameters of the online blender (``weighting``, ``share``,
            ``record_every``, ``max_history``...).

        Returns
        -------
        display : WeightsHistoryDisplay
            The plotted display.
        """
        from ._online import OnlineBlender, OnlineBlenderRegressor

        cls_ = OnlineBlenderRegressor if _is_regression(y) else OnlineBlender
        fuser = cls_.from_predictions(predictions, y, names=names, **fuser_params)
        return cls.from_estimator(fuser, ax=ax)
