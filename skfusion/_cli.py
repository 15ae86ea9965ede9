"""The ``skfusion`` command: fuse models' saved predictions, read from files.

``skfusion blend`` and ``skfusion stack`` learn a fusion from out-of-fold
(OOF) prediction files and a target, print a table (per model, its OOF
score and weight; the fused score in-sample and cross-validated), and write
the fused test predictions. ``skfusion report`` prints the table with the
models' correlations. ``skfusion demo`` runs the demo.

Files are CSV, or Parquet (``.parquet``, ``.pq``; needs pyarrow). A file
holds one model (its columns: one per class, or one) named after the file,
or several whose columns are named ``<model>__<class>``.
"""

import argparse
import glob
import json
import re
import sys
from pathlib import Path

# Friendly metric names; any sklearn scorer name is taken as it is.
METRICS = {
    "log_loss": "neg_log_loss",
    "logloss": "neg_log_loss",
    "auc": "roc_auc",
    "rmse": "neg_root_mean_squared_error",
    "mse": "neg_mean_squared_error",
    "mae": "neg_mean_absolute_error",
}
WEIGHTINGS = ("caruana", "optimize", "score", "uniform", "rank")
FINAL_ESTIMATORS = ("logistic", "ridge", "hgb", "forest")
PARQUET = (".parquet", ".pq")
# Column names read as row ids, in any case, when --id is not given.
ID_NAMES = ("id", "index")


class CommandError(Exception):
    """A bad input, reported as one line naming the file and column."""


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line, as the command's other errors."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv=None):
    """Run the ``skfusion`` command; return its exit status."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import demo

        demo()
        return 0
    try:
        result = _fuse(args)
    except (CommandError, ValueError) as exc:
        # One line, whatever the message: some of pandas' and sklearn's span several.
        print(f"skfusion {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else _table(result))
    return 0


def _parser():
    parser = _Parser(prog="skfusion", description="Fuse models' saved out-of-fold predictions.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="every fuser on the digits data")
    for name, help_text in [
        ("blend", "learn weights for the models' predictions and blend them"),
        ("stack", "fit a meta-learner on the models' predictions"),
        ("report", "per model: OOF scores, correlations and blend weights"),
    ]:
        command = commands.add_parser(name, help=help_text, description=help_text)
        _add_inputs(command, test_required=False)
        if name == "blend":
            command.add_argument(
                "--weighting",
                choices=WEIGHTINGS,
                default="caruana",
                help="how weights are learnt; rank: equal-weight average of ranks",
            )
            command.add_argument(
                "--objective",
                help="what the weights optimise: log_loss, auc, rmse, mae or any sklearn "
                "scorer name (default: log-loss, squared error)",
            )
        if name == "stack":
            command.add_argument(
                "--final-estimator",
                choices=FINAL_ESTIMATORS,
                default=None,
                help="the meta-learner (default: logistic for classes, ridge for values)",
            )
    return parser


def _add_inputs(command, test_required):
    command.add_argument(
        "--oof", nargs="+", required=True, metavar="FILE", help="OOF prediction files (globs)"
    )
    command.add_argument(
        "--test", nargs="+", metavar="FILE", required=test_required, help="test prediction files"
    )
    command.add_argument(
        "--target", required=True, metavar="FILE:COLUMN", help="the training target"
    )
    command.add_argument("--id", metavar="COLUMN", help="row id column of every file")
    command.add_argument(
        "--groups",
        metavar="COLUMN",
        help="group column of the target file: the honest score's folds keep groups whole",
    )
    command.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="auto: classes for a binary or multiclass target whose models give one "
        "column per class (or one, for two classes)",
    )
    command.add_argument(
        "--scoring",
        help="metrics to report, comma-separated (default: log_loss, or rmse for values)",
    )
    command.add_argument("--cv", type=int, default=5, help="folds of the honest score")
    command.add_argument("--out", metavar="FILE", help="write the fused test predictions")
    command.add_argument(
        "--labels", action="store_true", help="write class labels, not probabilities"
    )
    command.add_argument("--json", action="store_true", help="print JSON, not a table")


# -- reading ------------------------------------------------------------------
def _expand(patterns):
    """Files from names or glob patterns (a shell may not have expanded them)."""
    files = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not found:
            raise CommandError(f"{pattern}: no file matches")
        files.extend(found)
    return files


def _read(path):
    """A file's DataFrame; a file that cannot be read is an error naming it."""
    import pandas as pd

    if Path(path).is_dir():
        raise CommandError(f"{path}: a folder, not a file")
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")
    try:
        if Path(path).suffix.lower() in PARQUET:
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except ImportError as exc:
        raise CommandError(f"{path}: reading Parquet needs pyarrow ({exc})") from None
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path}: the file is empty (no header)") from None
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from None
    except (ValueError, OSError) as exc:  # pandas' ParserError, pyarrow's errors
        kind = "Parquet" if Path(path).suffix.lower() in PARQUET else "CSV"
        raise CommandError(f"{path}: not a valid {kind} file ({str(exc).strip()})") from None


def _column(frame, name, option, path):
    """Column ``name`` of a file (its ``option`` column: target, id, groups),
    checked: present, with rows, no value missing or infinite."""
    import numpy as np

    if name not in frame:
        raise CommandError(f"{path}: no {option} column {name!r} (columns: {list(frame.columns)})")
    column = frame[name].reset_index(drop=True)
    if not len(column):
        raise CommandError(f"{path}: {option} column {name!r} has no rows")
    bad = column.isna().to_numpy()
    if column.dtype.kind in "fc":
        bad = bad | np.isinf(column.to_numpy())
    if bad.any():
        raise CommandError(
            f"{path}: {option} column {name!r} holds NaN or inf in {bad.sum()} row(s), "
            f"first row {np.argmax(bad)}"
        )
    return column


def _unique(ids, path, column):
    """Row ids, each given once."""
    repeated = ids[ids.duplicated()]
    if len(repeated):
        first = repeated.iloc[:1].tolist()[0]
        raise CommandError(f"{path}: id {first!r} appears more than once in column {column!r}")
    return ids


def _model_name(text):
    """A model name (a valid identifier) from a file name or a column prefix."""
    name = re.sub(r"\W", "_", str(text).strip())
    return name if name.isidentifier() else f"m_{name}"


class _Frame:
    """One file's predictions (columns named ``<model>`` or ``<model>__<class>``)
    and row ids, with what names the file's columns in messages."""

    def __init__(self, path, id_column):
        frame = _read(path)
        if not len(frame):
            raise CommandError(f"{path}: no rows (a header only)")
        self.path = path
        self.ids = None
        if id_column is not None:
            self.ids = _unique(_column(frame, id_column, "id", path), path, id_column)
            frame = frame.drop(columns=id_column)
        for column in frame.columns:
            if str(column).startswith("Unnamed:"):
                raise CommandError(
                    f"{path}: column {column!r} has no name: a saved DataFrame index? "
                    "(save with index=False, or name it and give --id)"
                )
            if frame[column].dtype.kind not in "biuf":
                raise CommandError(
                    f"{path}: column {column!r} is not numbers (an id column? give --id {column})"
                )
        if id_column is None:
            _refuse_row_ids(frame, path)
        original = [str(c) for c in frame.columns]
        if not original:
            raise CommandError(f"{path}: no prediction column")
        stripped = [c.strip() for c in original]
        if all("__" in c for c in stripped):  # <model>__<class>: several models
            columns = [
                f"{_model_name(model)}__{label.strip()}"
                for model, _, label in (c.partition("__") for c in stripped)
            ]
        else:  # one model, named after the file
            name = _model_name(Path(path).stem)
            columns = [name] if len(stripped) == 1 else [f"{name}__{c}" for c in stripped]
        frame.columns = columns
        self.frame = frame
        # Where each column came from, for messages.
        self.source = {c: (path, o) for c, o in zip(columns, original)}

    def align(self, ids, n_rows, what):
        """Rows in the order of ``ids`` (or checked to number ``n_rows``)."""
        import pandas as pd

        if ids is None:
            if len(self.frame) != n_rows:
                raise CommandError(f"{self.path}: {len(self.frame)} rows, but {what} has {n_rows}")
            return self.frame.reset_index(drop=True)
        position = pd.Index(self.ids).get_indexer(ids)
        n_missing = int((position < 0).sum())
        n_extra = len(self.ids) - (len(ids) - n_missing)
        if n_missing or n_extra:
            example = (
                (ids[position < 0] if n_missing else self.ids[~self.ids.isin(ids)])
                .iloc[:1]
                .tolist()[0]
            )
            raise CommandError(
                f"{self.path}: ids differ from those of {what} ({n_missing} missing, "
                f"{n_extra} extra; e.g. {example!r})"
            )
        return self.frame.iloc[position].reset_index(drop=True)


def _in_unit_interval(frame):
    """Whether every value of ``frame`` is in [0, 1], as probabilities are."""
    return bool(((frame >= 0) & (frame <= 1)).all(axis=None))


def _refuse_row_ids(frame, path):
    """Without --id, a column of row ids would be read as a model's
    predictions: one named like ids, or of distinct integers beside columns
    of probabilities, is an error suggesting --id."""
    for column in frame.columns:
        values = frame[column]
        if str(column).lower() in ID_NAMES:
            why = "its name"
        elif (
            values.dtype.kind in "iu"
            and values.is_unique
            and not values.between(0, 1).all()
            and len(frame.columns) > 1
            and _in_unit_interval(frame.drop(columns=column))
        ):
            why = "distinct integers beside probabilities"
        else:
            continue
        raise CommandError(
            f"{path}: column {column!r} looks like a row id ({why}); give --id {column} "
            "(without --id every column is read as predictions)"
        )


def _read_predictions(files, id_column, ids, n_rows, what, progress):
    """One DataFrame of every file's model columns, rows aligned, NaN refused."""
    import pandas as pd

    frames, source = [], {}
    for path in files:
        progress.set_postfix_str(Path(path).name)
        frame = _Frame(path, id_column)
        if ids is None and id_column is not None and not frames:
            ids = frame.ids  # the test rows: in the first file's order
        if n_rows is None:
            n_rows = len(frame.frame)
        for column in frame.frame.columns:
            if column in source:
                raise CommandError(
                    f"{path}: column {column!r} is also in {source[column][0]}; give the "
                    "models different names"
                )
        source.update(frame.source)
        frames.append(frame.align(ids, n_rows, what))
        progress.update()
    table = pd.concat(frames, axis=1)
    _check_finite(table, source, ids)
    return table, source, ids


def _check_finite(table, source, ids):
    import numpy as np

    values = table.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        path, column = source[table.columns[col]]
        where = f"row {row}" + (
            "" if ids is None else f" (id {ids.iloc[row : row + 1].tolist()[0]!r})"
        )
        raise CommandError(
            f"{path}: column {column!r} holds NaN or inf in {bad[:, col].sum()} row(s), "
            f"first {where}"
        )


def _read_target(spec, id_column, groups_column):
    """(y, ids or None, groups or None, target column name, target described
    for messages) from FILE:COLUMN."""
    path, sep, column = spec.rpartition(":")
    if not sep or not path:
        raise CommandError(f"--target {spec!r}: give FILE:COLUMN")
    frame = _read(path)
    found = {
        option: _column(frame, name, option, path)
        for option, name in [("target", column), ("id", id_column), ("groups", groups_column)]
        if name is not None
    }
    ids, groups = found.get("id"), found.get("groups")
    if ids is not None:
        _unique(ids, path, id_column)
    groups = None if groups is None else groups.to_numpy()
    return found["target"].to_numpy(), ids, groups, column, f"{column!r} of {path}"


# -- fusing -------------------------------------------------------------------
def _fuse(args):
    from tqdm.auto import tqdm

    if args.out and not args.test:
        raise CommandError("--out needs --test: the files of test predictions to fuse")
    if args.out:
        _check_out(args.out)
    if args.cv < 2:
        raise CommandError(f"--cv {args.cv}: give 2 folds or more")
    oof_files, test_files = _expand(args.oof), _expand(args.test or [])
    # One bar over the files and the steps, shown on a terminal past a second.
    with tqdm(
        total=len(oof_files) + len(test_files) + 2,
        desc=f"skfusion {args.command}",
        delay=1.0,
        leave=False,
        disable=None,
    ) as progress:
        return _fuse_files(args, oof_files, test_files, progress)


def _check_out(out):
    """``--out`` names a file in a folder that exists: checked before any work."""
    if Path(out).is_dir():
        raise CommandError(f"--out {out}: a folder; give a file name")
    if not Path(out).parent.is_dir():
        raise CommandError(f"--out {out}: no folder {Path(out).parent}")


def _fuse_files(args, oof_files, test_files, progress):
    import numpy as np

    y, ids, groups, target, described = _read_target(args.target, args.id, args.groups)
    oof, source, _ = _read_predictions(
        oof_files, args.id, ids, len(y), "the target file", progress
    )
    classifier = _is_classification(args.task, y, oof, source, described)
    if args.labels and not classifier:
        raise CommandError("--labels writes class labels; the target here is values")
    scoring = _scoring(args, classifier, y, described)
    _check_probabilities(args, oof, source, classifier, scoring)
    progress.set_postfix_str("learning the fusion")
    fuser = _fuser(args, classifier, scoring, oof, y, groups, source)
    progress.update()
    progress.set_postfix_str("cross-validating it")
    result = _summary(args, fuser, scoring, classifier, target)
    progress.update()
    if args.command == "report":
        result["correlations"] = _correlations(oof, fuser)
    if test_files:
        test, test_source, test_ids = _read_predictions(
            test_files, args.id, None, None, "the first test file", progress
        )
        _check_test_models(oof, test, source)
        _check_probabilities(args, test, test_source, classifier, scoring)
        if args.out:
            result["written"] = _write(args, fuser, test[list(oof.columns)], test_ids, target)
    result["n_rows"] = int(np.shape(y)[0])
    return result


def _check_task(task, y, kind, target):
    """A --task the target cannot take is an error: values to regress must be
    numbers, classes to classify binary or multiclass."""
    if task == "regression" and y.dtype.kind not in "biuf":
        raise CommandError(
            f"--task regression: the target {target} holds labels ({y[:1].tolist()[0]!r}), "
            "not numbers"
        )
    if task == "classification" and kind not in ("binary", "multiclass"):
        raise CommandError(
            f"--task classification: the target {target} holds {kind} values, not classes"
        )


def _is_classification(task, y, oof, source, target):
    """Classes for a binary or multiclass target whose models give one column
    per class (or one, for two classes: each model its own way); values when
    every model gives one column and the target has more than two numbers."""
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    _check_task(task, y, kind, target)
    if task == "regression" or kind not in ("binary", "multiclass"):
        return False
    classes = sorted(set(y.tolist()))
    if len(classes) < 2:
        raise CommandError(f"the target {target} holds one class only ({classes[0]!r})")
    if task == "classification":
        return True
    widths = {model: len(columns) for model, columns in _models(oof).items()}
    if y.dtype.kind in "biuf" and len(classes) > 2 and all(w == 1 for w in widths.values()):
        return False  # one number per row, of many values: a regression
    for model, width in widths.items():
        if width != len(classes) and not (width == 1 and len(classes) == 2):
            path = source[_models(oof)[model][0]][0]
            raise CommandError(
                f"{path}: model {model!r} has {width} columns but the target has "
                f"{len(classes)} classes ({classes[:10]}); give one column per class, or "
                "one for two classes (an id column? give --id; values? --task regression)"
            )
    return True


def _metric(name, flag):
    """A scorer name from a friendly or sklearn name; an unknown one is an error."""
    from sklearn.metrics import get_scorer_names

    metric = METRICS.get(name.strip(), name.strip())
    if metric not in get_scorer_names():
        raise CommandError(
            f"{flag}: unknown metric {name.strip()!r}: use {', '.join(METRICS)} or an sklearn "
            "scorer name (sklearn.metrics.get_scorer_names())"
        )
    return metric


def _objective(args):
    objective = getattr(args, "objective", None)
    return None if objective is None else _metric(objective, "--objective")


def _named_metrics(args):
    """(flag, name) of every metric named by --scoring and --objective."""
    named = [("--scoring", n.strip()) for n in (args.scoring or "").split(",") if n.strip()]
    objective = getattr(args, "objective", None)
    return named + ([("--objective", objective.strip())] if objective else [])


def _score_error(metric, y, classifier):
    """Why ``metric`` cannot score a constant model of the target ``y`` (its
    class shares, or its mean); None if it can."""
    import warnings

    import numpy as np
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.metrics import get_scorer

    X = np.zeros((len(y), 1))
    model = DummyClassifier(strategy="prior") if classifier else DummyRegressor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ill-defined scores of a constant model
        try:
            get_scorer(metric)(model.fit(X, y), X, y)
        except Exception as exc:  # whatever stops this scorer would stop the fusion's
            return str(exc)
    return None


def _check_metric(flag, name, metric, classifier, y, target):
    """A metric that cannot score the target is an error naming its flag.

    sklearn does not say what a scorer takes, so it is tried: on tiny
    targets of labels and of values, to tell a regression scorer from a
    classification one, then on this target.
    """
    import numpy as np

    takes_labels = _score_error(metric, np.array(["a", "b", "a", "b"]), True) is None
    takes_values = _score_error(metric, np.array([0.5, 1.5, 2.5, 4.0]), False) is None
    if classifier and takes_values and not takes_labels:
        raise CommandError(
            f"{flag} {name}: {name} is a regression scorer and the target {target} holds "
            "class labels"
        )
    if not classifier and not takes_values:
        raise CommandError(
            f"{flag} {name}: {name} is a classification scorer and the target {target} holds "
            "values"
        )
    error = _score_error(metric, y, classifier)
    if error is not None:
        raise CommandError(f"{flag} {name}: cannot score the target {target} ({error})")


def _scoring(args, classifier, y, target):
    """What is reported: ``--scoring``, else the objective, else log-loss (AUC
    for rank averages, which are not probabilities) or RMSE. Every metric
    named must fit the target."""
    named = [(flag, name, _metric(name, flag)) for flag, name in _named_metrics(args)]
    for flag, name, metric in named:
        _check_metric(flag, name, metric, classifier, y, target)
    scoring = [metric for flag, _, metric in named if flag == "--scoring"]
    if scoring:
        return scoring
    objective = _objective(args)
    if objective is not None:
        return [objective]
    if not classifier:
        return ["neg_root_mean_squared_error"]
    return ["roc_auc_ovr"] if getattr(args, "weighting", None) == "rank" else ["neg_log_loss"]


def _needs_probabilities(args, metrics):
    """Soft voting and log-losses read probabilities; a stack and ranks take scores."""
    blends = args.command != "stack" and getattr(args, "weighting", None) != "rank"
    return blends or any(m in ("neg_log_loss", "neg_brier_score") for m in metrics)


def _check_probabilities(args, table, source, classifier, scoring):
    """Where probabilities are needed, every model's columns must hold them."""
    import numpy as np

    from ._saved import PROBABILITY_SUM_TOLERANCE

    if not classifier or not _needs_probabilities(args, scoring + [_objective(args)]):
        return
    why = "log-loss" if args.command == "stack" else "blending class scores"
    for model, columns in _models(table).items():
        values = table[columns].to_numpy(dtype=float)
        outside = (values < 0) | (values > 1)
        if outside.any():
            path, column = source[columns[np.argwhere(outside)[0][1]]]
            raise CommandError(
                f"{path}: column {column!r} has values outside [0, 1]; {why} needs "
                "probabilities (values to regress? give --task regression)"
            )
        if values.shape[1] > 1:
            error = np.abs(values.sum(axis=1) - 1)
            off = error > PROBABILITY_SUM_TOLERANCE
            if off.any():
                raise CommandError(
                    f"{source[columns[0]][0]}: the columns of model {model!r} do not sum to 1 "
                    f"within {PROBABILITY_SUM_TOLERANCE} in {off.sum()} row(s) (first: row "
                    f"{np.argmax(off)}, off by {error.max():.3g}); {why} needs probabilities"
                )


def _check_test_models(oof, test, source):
    """Every model of the OOF files has test predictions, with the same columns."""
    for model, columns in _models(oof).items():
        missing = [c for c in columns if c not in test.columns]
        if missing:
            raise CommandError(
                f"model {model!r} ({source[columns[0]][0]}) has no test predictions "
                f"{'' if len(missing) == len(columns) else f'for columns {missing} '}"
                "in the test files"
            )


def _models(table):
    """Model name -> its columns, in order (the part of a column name before ``__``)."""
    models = {}
    for column in table.columns:
        models.setdefault(column.split("__", 1)[0], []).append(column)
    return models


def _folds(args, classifier, y, groups):
    """The honest score's folds: ``--cv`` of them, no more than there are
    groups, rows, or (stratified) rows of the largest class to split."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    if groups is not None:
        most = len(np.unique(groups))
        what = f"the {most} groups of --groups {args.groups}"
    elif classifier:
        most = int(np.unique(y, return_counts=True)[1].max())
        what = f"the target's {most} rows of its largest class"
    else:
        most, what = len(y), f"the target's {len(y)} rows"
    if args.cv > most:
        raise CommandError(f"--cv {args.cv}: more folds than {what}")
    # An int is (stratified) k-fold, as the fusers read it; groups need a group splitter.
    return args.cv if groups is None else GroupKFold(args.cv)


def _fuser(args, classifier, scoring, oof, y, groups, source):
    from . import OOFStacker, OOFStackerRegressor, WeightedBlender, WeightedBlenderRegressor

    cv = _folds(args, classifier, y, groups)
    common = {"cv": cv, "scoring": scoring, "groups": groups}
    if args.command == "stack":
        cls = OOFStacker if classifier else OOFStackerRegressor
        params = {"final_estimator": _final_estimator(args.final_estimator, classifier)}
    else:
        cls = WeightedBlender if classifier else WeightedBlenderRegressor
        weighting = _weighting(args)
        params = {"objective": _objective(args)}
        if weighting == "rank":
            if not classifier:
                raise CommandError("--weighting rank averages class-score ranks: classes only")
            params["voting"] = "rank"
        params["weighting"] = {"uniform": None, "rank": None}.get(weighting, weighting)
    try:
        return cls.from_predictions(oof, y, **params, **common)
    except ValueError as exc:
        raise CommandError(_with_files(str(exc), oof, source)) from None


def _weighting(args):
    """The blend's weighting (``report`` shows the optimised one)."""
    return getattr(args, "weighting", "optimize")


def _with_files(message, oof, source):
    """``message`` with the file of each model it names."""
    named = [
        f"{model!r}: {source[columns[0]][0]}"
        for model, columns in _models(oof).items()
        if repr(model) in message
    ]
    return message + (f" [{'; '.join(named)}]" if named else "")


def _final_estimator(name, classifier):
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression, RidgeCV

    if name is None:
        return None
    if name == "ridge" and classifier:
        raise CommandError("--final-estimator ridge fits values; use logistic for classes")
    if name == "logistic" and not classifier:
        raise CommandError("--final-estimator logistic fits classes; use ridge for values")
    return {
        "logistic": lambda: LogisticRegression(max_iter=1000),
        "ridge": RidgeCV,
        "hgb": lambda: (
            HistGradientBoostingClassifier if classifier else HistGradientBoostingRegressor
        )(random_state=0),
        "forest": lambda: (RandomForestClassifier if classifier else RandomForestRegressor)(
            random_state=0
        ),
    }[name]()


# -- reporting ----------------------------------------------------------------
def _summary(args, fuser, scoring, classifier, target):
    """What the table and the JSON show."""
    weights = getattr(fuser, "named_weights_", None)
    models = [
        {
            "name": name,
            "scores": _shown(fuser.member_scores_[name], scoring),
            "weight": None if weights is None else float(weights[name]),
        }
        for name in fuser.member_scores_
    ]
    return {
        "command": args.command,
        "task": "classification" if classifier else "regression",
        "target": target,
        "fuser": type(fuser).__name__,
        "weighting": None if args.command == "stack" else _weighting(args),
        "models": models,
        "fused": {
            "in_sample": _shown(fuser.fused_score_, scoring),
            "cross_validated": _shown(fuser.fused_cv_score_, scoring),
        },
    }


def _shown(score, scoring):
    """Scores by metric, losses as losses (``neg_log_loss`` -> ``log_loss``)."""
    scores = score if isinstance(score, dict) else {scoring[0]: score}
    shown = {}
    friendly = {scorer: name for name, scorer in reversed(METRICS.items())}
    for metric, value in scores.items():
        if metric.startswith("neg_"):
            value = -value
        shown[friendly.get(metric, metric.removeprefix("neg_"))] = float(value)
    return shown


def _correlations(oof, fuser):
    """Pearson correlation of the models' OOF columns (class columns side by side)."""
    import numpy as np

    names = list(fuser.member_scores_)
    block = fuser.oof_predictions_.reshape(len(oof), len(names), -1)
    if block.shape[2] == 2:
        block = block[:, :, 1:]  # binary: the positive class's score
    flat = block.transpose(1, 0, 2).reshape(len(names), -1)
    matrix = np.atleast_2d(np.corrcoef(flat))  # one model: corrcoef gives a scalar
    return {a: {b: float(matrix[i, j]) for j, b in enumerate(names)} for i, a in enumerate(names)}


def _table(result):
    metrics = list(result["fused"]["in_sample"])
    width = max([len(m["name"]) for m in result["models"]] + [22])
    head = f"{'model':<{width}}" + "".join(f"{m:>14}" for m in metrics) + f"{'weight':>10}"
    how = "" if result["weighting"] is None else f", weighting {result['weighting']}"
    lines = [
        f"{result['fuser']} on {result['n_rows']} rows ({result['task']}, target "
        f"{result['target']!r}{how})",
        head,
        "-" * len(head),
    ]
    for model in result["models"]:
        weight = "" if model["weight"] is None else f"{model['weight']:.4f}"
        scores = "".join(f"{model['scores'][m]:>14.5f}" for m in metrics)
        lines.append(f"{model['name']:<{width}}{scores}{weight:>10}")
    lines.append("-" * len(head))
    for label, key in [
        ("fused, in-sample", "in_sample"),
        ("fused, cross-validated", "cross_validated"),
    ]:
        scores = "".join(f"{result['fused'][key][m]:>14.5f}" for m in metrics)
        lines.append(f"{label:<{width}}{scores}")
    if "correlations" in result:
        names = list(result["correlations"])
        lines += [
            "",
            "correlation of OOF predictions",
            " " * width + "".join(f"{n[:9]:>10}" for n in names),
        ]
        for a in names:
            row = "".join(f"{result['correlations'][a][b]:>10.3f}" for b in names)
            lines.append(f"{a:<{width}}{row}")
    if "written" in result:
        written = result["written"]
        lines += ["", f"fused test predictions written to {written['file']} ({written['holds']})"]
    elif result["command"] != "report":
        lines += ["", "nothing written: give --test and --out to write fused test predictions"]
    return "\n".join(lines)


def _write(args, fuser, test, ids, target):
    """Write the fused test predictions; return what the file holds."""
    import pandas as pd

    if hasattr(fuser, "classes_") and not args.labels and hasattr(fuser, "predict_proba"):
        proba = fuser.predict_proba(test)
        kind = "rank averages" if getattr(args, "weighting", None) == "rank" else "probabilities"
        if proba.shape[1] == 2:
            # Binary: one column, the positive (second sorted) class's.
            columns = {target: proba[:, 1]}
            holds = f"column {target!r}: {kind} of class {fuser.classes_[1:].tolist()[0]!r}"
        else:
            columns = {str(c): proba[:, k] for k, c in enumerate(fuser.classes_)}
            holds = f"one column of {kind} per class"
    else:
        columns = {target: fuser.predict(test)}
        holds = f"column {target!r}: " + ("labels" if hasattr(fuser, "classes_") else "values")
    frame = pd.DataFrame(columns)
    if ids is not None:
        frame.insert(0, args.id, ids.to_numpy())
    try:
        if Path(args.out).suffix.lower() in PARQUET:
            frame.to_parquet(args.out, index=False)
        else:
            frame.to_csv(args.out, index=False)
    except (OSError, ImportError) as exc:  # no write permission, no Parquet engine
        raise CommandError(f"--out {args.out}: cannot write it ({exc})") from None
    return {"file": args.out, "holds": holds, "rows": len(frame)}
