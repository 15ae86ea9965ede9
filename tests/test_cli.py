"""The skfusion command, end to end in a subprocess on files written here."""

import importlib.util
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB

from skfusion import WeightedBlender
from skfusion._cli import main

HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None


def run(*args, ok=True):
    done = subprocess.run(
        [sys.executable, "-m", "skfusion", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode == 0) == ok, done.stderr
    return done


def _write(frame, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """OOF and test probability files of three models, ids shuffled in one."""
    root = tmp_path_factory.mktemp("classes")
    X, y = make_classification(
        n_samples=400, n_classes=3, n_informative=6, random_state=0, class_sep=0.8
    )
    X_tr, y_tr, X_te = X[:300], np.array(["ant", "bee", "cat"])[y[:300]], X[300:]
    ids, test_ids = np.arange(1000, 1300), np.arange(5000, 5100)
    models = {
        "forest": RandomForestClassifier(n_estimators=30, random_state=0),
        "logreg": LogisticRegression(max_iter=1000),
        "bayes": GaussianNB(),
    }
    oof, test = {}, {}
    for name, model in models.items():
        oof[name] = cross_val_predict(
            model, X_tr, y_tr, cv=StratifiedKFold(5), method="predict_proba"
        )
        test[name] = model.fit(X_tr, y_tr).predict_proba(X_te)
    _write(pd.DataFrame({"id": ids, "target": y_tr}), root / "train.csv")
    for name in models:
        order = np.random.default_rng(1).permutation(300) if name == "logreg" else np.arange(300)
        frame = pd.DataFrame(oof[name][order], columns=["ant", "bee", "cat"])
        frame.insert(0, "id", ids[order])
        _write(frame, root / "oof" / f"{name}.csv")
        frame = pd.DataFrame(test[name], columns=["ant", "bee", "cat"])
        frame.insert(0, "id", test_ids)
        _write(frame, root / "test" / f"{name}.csv")
    return root, oof, test, y_tr, test_ids


def _inputs(root, suffix="csv"):
    return [
        "--oof", *sorted((root / "oof").glob(f"*.{suffix}")),
        "--test", *sorted((root / "test").glob(f"*.{suffix}")),
        "--target", f"{root / 'train.csv'}:target",
    ]  # fmt: skip


def test_blend_writes_what_from_predictions_gives(classes, tmp_path):
    root, oof, test, y, test_ids = classes
    out = tmp_path / "submission.csv"
    done = run(
        "blend", *_inputs(root), "--id", "id", "--weighting", "optimize", "--out", out, "--json"
    )
    result = json.loads(done.stdout)
    names = ["bayes", "forest", "logreg"]  # the files, sorted
    expected = WeightedBlender.from_predictions(
        [oof[n] for n in names], y, names=names, weighting="optimize", scoring="neg_log_loss"
    )
    assert [m["name"] for m in result["models"]] == names
    weights = [m["weight"] for m in result["models"]]
    np.testing.assert_allclose(weights, expected.weights_, atol=1e-8)
    assert result["fused"]["in_sample"]["log_loss"] == pytest.approx(-expected.fused_score_)
    assert (
        result["fused"]["cross_validated"]["log_loss"]
        >= result["fused"]["in_sample"]["log_loss"] - 0.05
    )
    written = pd.read_csv(out)
    assert list(written.columns) == ["id", "ant", "bee", "cat"]
    np.testing.assert_array_equal(written["id"], test_ids)
    np.testing.assert_allclose(
        written[["ant", "bee", "cat"]],
        expected.predict_proba([test[n] for n in names]),
        atol=1e-12,
    )


def test_stack_and_report_print_tables(classes, tmp_path):
    root, *_ = classes
    out = tmp_path / "labels.csv"
    done = run(
        "stack",
        *_inputs(root),
        "--id",
        "id",
        "--final-estimator",
        "logistic",
        "--labels",
        "--out",
        out,
    )
    for text in [
        "OOFStacker on 300 rows",
        "log_loss",
        "fused, in-sample",
        "fused, cross-validated",
        "forest",
    ]:
        assert text in done.stdout
    assert set(pd.read_csv(out)["target"]) <= {"ant", "bee", "cat"}
    oof_only = ["--oof", *sorted((root / "oof").glob("*.csv")), "--id", "id"]
    target = ["--target", f"{root / 'train.csv'}:target"]
    scoring = ["--scoring", "log_loss,accuracy"]
    report = json.loads(run("report", *oof_only, *target, *scoring, "--json").stdout)
    corr = report["correlations"]
    assert corr["forest"]["forest"] == pytest.approx(1.0)
    assert (
        -1 <= corr["forest"]["bayes"] <= 1 and corr["forest"]["bayes"] == corr["bayes"]["forest"]
    )
    assert set(report["models"][0]["scores"]) == {"log_loss", "accuracy"}
    text = run("report", "--oof", *sorted((root / "oof").glob("*.csv")), "--target",
               f"{root / 'train.csv'}:target", "--id", "id").stdout  # fmt: skip
    assert "correlation of OOF predictions" in text


def test_binary_one_column_files_and_regression(tmp_path):
    X, y = make_classification(n_samples=200, random_state=2)
    for name, model in [("logreg", LogisticRegression()), ("bayes", GaussianNB())]:
        p = cross_val_predict(model, X, y, cv=5, method="predict_proba")[:, 1]
        _write(pd.DataFrame({"score": p}), tmp_path / "oof" / f"{name}.csv")
        _write(pd.DataFrame({"score": p[:50]}), tmp_path / "test" / f"{name}.csv")
    _write(pd.DataFrame({"y": y}), tmp_path / "train.csv")
    out = tmp_path / "sub.csv"
    # Quoted glob patterns are expanded by the command itself.
    files = ["--oof", tmp_path / "oof" / "*.csv", "--test", tmp_path / "test" / "*.csv"]
    target = ["--target", f"{tmp_path / 'train.csv'}:y"]
    result = json.loads(run("blend", *files, *target, "--out", out, "--json").stdout)
    assert result["task"] == "classification"  # 1-D P(class 1), not a regression target
    assert list(pd.read_csv(out).columns) == ["y"] and pd.read_csv(out)["y"].between(0, 1).all()

    X, y = make_regression(n_samples=200, noise=5.0, random_state=0)
    for name, model in [("ridge", Ridge()), ("forest", RandomForestRegressor(20, random_state=0))]:
        _write(
            pd.DataFrame({name: cross_val_predict(model, X, y, cv=5)}),
            tmp_path / "r" / f"{name}.csv",
        )
    _write(pd.DataFrame({"value": y}), tmp_path / "rtrain.csv")
    files = ["--oof", *sorted((tmp_path / "r").glob("*.csv"))]
    target = ["--target", f"{tmp_path / 'rtrain.csv'}:value"]
    result = json.loads(run("blend", *files, *target, "--weighting", "optimize", "--json").stdout)
    assert result["task"] == "regression" and "rmse" in result["fused"]["in_sample"]
    assert sum(m["weight"] for m in result["models"]) == pytest.approx(1.0)


@pytest.mark.skipif(not HAS_PYARROW, reason="pyarrow is not installed")
def test_parquet_in_and_out(classes, tmp_path):
    root, *_ = classes
    for split in ("oof", "test"):
        for path in (root / split).glob("*.csv"):
            _write(pd.read_csv(path), tmp_path / split / f"{path.stem}.parquet")
    (tmp_path / "train.csv").write_text((root / "train.csv").read_text())
    out = tmp_path / "sub.parquet"
    csv_out = tmp_path / "sub.csv"
    run("blend", *_inputs(tmp_path, "parquet"), "--id", "id", "--out", out)
    run("blend", *_inputs(root), "--id", "id", "--out", csv_out)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_csv(csv_out), check_exact=False)


def _broken(root, tmp_path, change, ids=True):
    """A copy of the class files with one changed by ``change(frame) -> frame``
    (and the others without their id column unless ``ids``)."""
    for split in ("oof", "test"):
        for path in (root / split).glob("*.csv"):
            frame = pd.read_csv(path)
            if split == "oof" and path.stem == "forest":
                frame = change(frame)
            elif not ids:
                frame = frame.drop(columns="id")
            _write(frame, tmp_path / split / path.name)
    (tmp_path / "train.csv").write_text((root / "train.csv").read_text())
    return tmp_path


def _with_nan(frame):
    frame.loc[7, "bee"] = np.nan
    return frame


def _not_probabilities(frame):
    frame["cat"] = frame["cat"] * 3
    return frame


@pytest.mark.parametrize(
    "change, use_id, message",
    [
        (
            lambda f: f.drop(columns="id").iloc[:250],
            False,
            r"forest.csv: 250 rows, but the target file has 300",
        ),
        (
            lambda f: f.assign(id=f["id"] + 1),
            True,
            r"forest.csv: ids differ from those of the target file \(1 missing, 1 extra",
        ),
        (
            _with_nan,
            True,
            r"forest.csv: column 'bee' holds NaN or inf in 1 row\(s\), first row 7 \(id 1007\)",
        ),
        (
            _not_probabilities,
            True,
            r"forest.csv: column 'cat' has values outside \[0, 1\]; blending class scores needs",
        ),
        (
            lambda f: f.assign(id=f["id"].astype(str) + "x"),
            False,
            r"forest.csv: column 'id' is not numbers \(an id column\? give --id id\)",
        ),
    ],
)
def test_bad_files_are_named(classes, tmp_path, change, use_id, message):
    root, *_ = classes
    broken = _broken(root, tmp_path, change, ids=use_id)
    done = run("blend", *_inputs(broken), *(["--id", "id"] if use_id else []), ok=False)
    assert done.returncode == 2
    assert re.search(message, done.stderr), done.stderr


def test_missing_inputs_are_named(classes, tmp_path):
    root, *_ = classes
    done = run(
        "blend",
        "--oof",
        tmp_path / "nope.csv",
        "--target",
        f"{root / 'train.csv'}:target",
        ok=False,
    )
    assert "nope.csv: no such file" in done.stderr
    done = run(
        "blend",
        "--oof",
        root / "oof" / "forest.csv",
        "--target",
        f"{root / 'train.csv'}:label",
        ok=False,
    )
    assert "train.csv: no target column 'label'" in done.stderr
    done = run("blend", "--oof", root / "oof" / "*.csv", "--test", root / "test" / "forest.csv",
               "--target", f"{root / 'train.csv'}:target", "--id", "id", ok=False)  # fmt: skip
    assert "model 'bayes'" in done.stderr and "has no test predictions" in done.stderr
    done = run("stack", *_inputs(root), "--id", "id", "--final-estimator", "ridge", ok=False)
    assert "ridge fits values" in done.stderr


def test_help_and_the_console_script():
    assert "blend" in run("--help").stdout
    assert "--weighting" in run("blend", "--help").stdout
    script = shutil.which("skfusion")
    if script is None:
        pytest.skip("the console script is not on PATH (package not installed)")
    done = subprocess.run([script, "stack", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--final-estimator" in done.stdout


def test_groups_rounding_and_what_is_written(classes, tmp_path):
    root, oof, test, y, _ = classes
    groups = np.arange(300) // 30
    ids = np.arange(1000, 1300)
    _write(pd.DataFrame({"id": ids, "target": y, "site": groups}), tmp_path / "train.csv")
    for name in oof:  # rounded as files often are: rows off by up to 0.0015
        frame = pd.DataFrame(np.round(oof[name], 3), columns=["ant", "bee", "cat"])
        frame.insert(0, "id", ids)
        _write(frame, tmp_path / "oof" / f"{name}.csv")
    (tmp_path / "test").mkdir()
    for path in (root / "test").glob("*.csv"):
        (tmp_path / "test" / path.name).write_text(path.read_text())
    out = tmp_path / "sub.csv"
    files = _inputs(tmp_path)
    done = run("blend", *files, "--id", "id", "--groups", "site", "--out", out, "--json")
    result = json.loads(done.stdout)
    assert result["weighting"] == "caruana" and result["written"]["rows"] == 100
    assert result["written"]["holds"] == "one column of probabilities per class"
    assert np.isfinite(result["fused"]["cross_validated"]["log_loss"])


def test_more_bad_inputs_are_named(classes, tmp_path):
    root, oof, _, y, _ = classes
    target = ["--target", f"{root / 'train.csv'}:target", "--id", "id"]
    index = pd.DataFrame(oof["forest"], columns=["ant", "bee", "cat"])
    index.insert(0, "id", np.arange(1000, 1300))
    index.to_csv(tmp_path / "indexed.csv")  # a saved pandas index: "Unnamed: 0"
    done = run("blend", "--oof", tmp_path / "indexed.csv", *target, ok=False)
    assert "indexed.csv: column 'Unnamed: 0' has no name: a saved DataFrame index?" in done.stderr
    oof_files = ["--oof", *sorted((root / "oof").glob("*.csv"))]
    done = run("blend", *oof_files, *target, "--objective", "logloss2", ok=False)
    assert "unknown metric 'logloss2'" in done.stderr
    two = pd.DataFrame(oof["forest"][:, :2], columns=["ant", "bee"])
    two.insert(0, "id", np.arange(1000, 1300))
    _write(two, tmp_path / "two" / "short.csv")
    done = run("blend", "--oof", tmp_path / "two" / "short.csv", *target, ok=False)
    assert "short.csv: model 'short' has 2 columns but the target has 3 classes" in done.stderr
    values = pd.DataFrame({"id": np.arange(1000, 1300), "v": np.linspace(0, 5, 300)})
    _write(values, tmp_path / "v" / "model.csv")
    _write(pd.DataFrame({"id": values["id"], "value": np.arange(300.0)}), tmp_path / "v.csv")
    done = run("blend", "--oof", tmp_path / "v" / "model.csv", "--target",
               f"{tmp_path / 'v.csv'}:value", "--id", "id", "--labels", ok=False)  # fmt: skip
    assert "--labels writes class labels" in done.stderr


def fails(capsys, *args):
    """Run the command in this process: exit status 2 and one line on stderr
    (no traceback, no usage block); return that line."""
    try:
        status = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1, err
    return lines[0]


@pytest.fixture
def small(tmp_path):
    """Two files of three-class probabilities with ids, a target file, a test file."""
    rng = np.random.default_rng(0)
    y = np.array(["ant", "bee", "cat"])[np.arange(30) % 3]
    _write(pd.DataFrame({"id": np.arange(30), "target": y}), tmp_path / "train.csv")
    for name in ("a", "b"):
        frame = pd.DataFrame(rng.dirichlet(np.ones(3), 30), columns=["ant", "bee", "cat"])
        frame.insert(0, "id", np.arange(30))
        _write(frame, tmp_path / f"{name}.csv")
        _write(frame.iloc[:10], tmp_path / "test" / f"{name}.csv")
    return tmp_path, ["--target", f"{tmp_path / 'train.csv'}:target", "--id", "id"]


def _text(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", r"empty.csv: the file is empty"),
        ("broken.csv", b'a,b\n0.1,0.9\n"0.2,0.8\n', r"broken.csv: not a valid CSV file \(.*EOF"),
        ("latin.csv", "caf\xe9,b\n0.1,0.9\n".encode("latin-1"), r"latin.csv: not UTF-8 text"),
        ("ragged.csv", b"a,b\n0.1,0.9\n0.2,0.3,0.5\n", r"ragged.csv: not a valid CSV file"),
    ],
)
def test_unreadable_files_are_named(small, capsys, name, data, message):
    root, target = small
    for flags in (["--oof", _text(root / name, data), *target],
                  ["--oof", root / "a.csv", "--target", f"{root / name}:target"]):  # fmt: skip
        assert re.search(message, fails(capsys, "blend", *flags))


def test_a_missing_out_folder_is_refused_before_reading(small, capsys):
    root, target = small
    out = root / "no" / "such" / "sub.csv"
    # The OOF file is missing too: --out is checked first, before any reading.
    line = fails(capsys, "blend", "--oof", root / "nope.csv", "--test", root / "test" / "a.csv",
                 *target, "--out", out)  # fmt: skip
    assert line.startswith(f"skfusion blend: error: --out {out}: no folder ")
    line = fails(capsys, "blend", "--oof", root / "a.csv", "--test", root / "test" / "a.csv",
                 *target, "--out", root)  # fmt: skip
    assert f"--out {root}: a folder" in line


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--scoring", "r2"], r"--scoring r2: r2 is a regression scorer and the target "
         r"'target' of .*train.csv holds class labels"),
        (["--scoring", "log_loss,rmse"], r"--scoring rmse: rmse is a regression scorer"),
        (["--objective", "r2"], r"--objective r2: r2 is a regression scorer"),
        (["--scoring", "roc_auc"], r"--scoring roc_auc: cannot score the target 'target' "
         r"of .*train.csv \(multi_class must be"),
        # scikit-learn's reason differs by version (average=, pos_label=).
        (["--scoring", "f1"], r"--scoring f1: cannot score the target 'target' of .*train.csv \("),
        (["--cv", "1"], r"--cv 1: give 2 folds or more"),
        (["--cv", "11"], r"--cv 11: more folds than the target's 10 rows of its largest class"),
        (["--cv", "x"], r"argument --cv: invalid int value: 'x'"),
        (["--weighting", "best"], r"argument --weighting: invalid choice: 'best'"),
        (["--task", "regression"], r"--task regression: the target 'target' of .*train.csv "
         r"holds labels \('ant'\), not numbers"),
    ],
)  # fmt: skip
def test_bad_flags_are_named(small, capsys, flags, message):
    root, target = small
    line = fails(capsys, "blend", "--oof", root / "a.csv", root / "b.csv", *target, *flags)
    assert re.search(message, line), line


def test_flags_that_do_not_fit_a_regression_target_are_named(tmp_path, capsys):
    X, y = make_regression(n_samples=40, noise=5.0, random_state=0)
    _write(pd.DataFrame({"value": y, "site": np.arange(40) // 20}), tmp_path / "train.csv")
    _write(pd.DataFrame({"pred": y + 1.0}), tmp_path / "ridge.csv")
    files = ["--oof", tmp_path / "ridge.csv", "--target", f"{tmp_path / 'train.csv'}:value"]
    line = fails(capsys, "blend", *files, "--scoring", "accuracy")
    assert "--scoring accuracy: accuracy is a classification scorer and the target" in line
    assert "holds values" in line
    line = fails(capsys, "blend", *files, "--task", "classification")
    assert re.search(r"--task classification: the target 'value' of .*train.csv holds "
                     r"continuous values, not classes", line)  # fmt: skip
    line = fails(capsys, "blend", *files, "--groups", "site", "--cv", "3")
    assert re.search(r"--cv 3: more folds than the 2 groups of --groups site", line)
    bad = pd.DataFrame({"value": np.where(np.arange(40) == 4, np.inf, y)})
    _write(bad, tmp_path / "inf.csv")
    line = fails(capsys, "blend", "--oof", tmp_path / "ridge.csv", "--target",
                 f"{tmp_path / 'inf.csv'}:value")  # fmt: skip
    assert re.search(r"inf.csv: target column 'value' holds NaN or inf in 1 row\(s\), "
                     r"first row 4", line)  # fmt: skip


def _changed(root, name, change):
    """``b.csv`` of ``small`` changed by ``change(frame)``, written to ``root/name/b.csv``."""
    _write(change(pd.read_csv(root / "b.csv")), root / name / "b.csv")
    return root / name / "b.csv"


def _folder(root):
    (root / "folder.csv").mkdir()
    return root / "folder.csv"


def _repeat_id(frame):
    return frame.assign(id=frame["id"].where(frame.index != 5, 4))


def _drop_id(frame):
    return frame.assign(id=frame["id"].where(frame.index != 7))


def _paired_ids(frame):
    return frame.assign(target=np.arange(30) % 3, id=np.arange(30) // 2)


def _no_rows(frame):
    return frame.iloc[:0]


# (flags from the root of ``small``, what the one line says): each bad input
# ends in one line that names its file, column or flag.
BAD_COLUMNS = {
    "target column": (
        lambda r: ["--target", f"{r / 'train.csv'}:label"],
        r"train.csv: no target column 'label' \(columns: \['id', 'target'\]\)",
    ),
    "id column": (lambda r: ["--id", "key"], r"train.csv: no id column 'key'"),
    "groups column": (lambda r: ["--groups", "site"], r"train.csv: no groups column 'site'"),
    "repeated id": (
        lambda r: ["--oof", _changed(r, "twice", _repeat_id)],
        r"twice.b.csv: id 4 appears more than once in column 'id'",
    ),
    "repeated target id": (
        lambda r: ["--target", f"{_changed(r, 'pairs', _paired_ids)}:target"],
        r"pairs.b.csv: id 0 appears more than once in column 'id'",
    ),
    "missing id": (
        lambda r: ["--oof", _changed(r, "gap", _drop_id)],
        r"gap.b.csv: id column 'id' holds NaN or inf in 1 row\(s\), first row 7",
    ),
    "folder": (lambda r: ["--oof", _folder(r)], r"folder.csv: a folder, not a file"),
    "target without rows": (
        lambda r: ["--target", f"{_changed(r, 'none', _no_rows)}:ant"],
        r"none.b.csv: target column 'ant' has no rows",
    ),
    "test file without rows": (
        lambda r: ["--oof", r / "b.csv", "--test", _changed(r, "none", _no_rows)],
        r"none.b.csv: no rows",
    ),
    "one class": (
        lambda r: ["--target", f"{_changed(r, 'same', lambda f: f.assign(y='ant'))}:y"],
        r"the target 'y' of .*same.b.csv holds one class only \('ant'\)",
    ),
    "one column, three labels": (
        lambda r: ["--oof", _changed(r, "one", lambda f: f[["id", "ant"]])],
        r"one.b.csv: model 'b' has 1 columns but the target has 3 classes",
    ),
}


@pytest.mark.parametrize("case", BAD_COLUMNS)
def test_bad_columns_and_ids_are_named(small, capsys, case):
    root, _ = small
    flags, message = BAD_COLUMNS[case]
    flags = flags(root)
    defaults = {
        "--oof": [root / "a.csv", root / "b.csv"],
        "--target": [f"{root / 'train.csv'}:target"],
        "--id": ["id"],
    }
    for flag, values in defaults.items():
        if flag not in flags:
            flags += [flag, *values]
    assert re.search(message, fails(capsys, "blend", *flags))


@pytest.mark.parametrize("column", ["id", "ID", "Id", "index"])
def test_an_id_column_without_id_suggests_it(tmp_path, capsys, column):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    _write(pd.DataFrame({"y": y}), tmp_path / "train.csv")
    _write(pd.DataFrame({column: np.arange(40), "p": rng.random(40)}), tmp_path / "m.csv")
    line = fails(capsys, "blend", "--oof", tmp_path / "m.csv", "--target",
                 f"{tmp_path / 'train.csv'}:y")  # fmt: skip
    assert f"m.csv: column {column!r} looks like a row id" in line
    assert f"give --id {column}" in line


def test_distinct_integers_beside_probabilities_suggest_id(classes, tmp_path, capsys):
    root, oof, _, y, _ = classes
    frame = pd.DataFrame(oof["forest"], columns=["ant", "bee", "cat"])
    frame.insert(0, "row", np.random.default_rng(0).permutation(300) + 7)
    _write(frame, tmp_path / "forest.csv")
    _write(pd.DataFrame({"target": y}), tmp_path / "train.csv")
    line = fails(capsys, "stack", "--oof", tmp_path / "forest.csv", "--target",
                 f"{tmp_path / 'train.csv'}:target", "--scoring", "accuracy")  # fmt: skip
    assert "forest.csv: column 'row' looks like a row id (distinct integers beside" in line
    assert "give --id row" in line
    # Integer predictions of a value (one column) are no id.
    _write(pd.DataFrame({"count": np.arange(300)}), tmp_path / "counts" / "m.csv")
    _write(pd.DataFrame({"n": np.arange(300) + 0.5}), tmp_path / "n.csv")
    assert main(["blend", "--oof", str(tmp_path / "counts" / "m.csv"), "--target",
                 f"{tmp_path / 'n.csv'}:n", "--json"]) == 0  # fmt: skip


def test_one_and_two_column_binary_files_are_fused_together(tmp_path, capsys):
    X, y = make_classification(n_samples=200, random_state=2)
    labels = np.array(["no", "yes"])[y]
    oof, test = {}, {}
    for name, model in [("logreg", LogisticRegression()), ("bayes", GaussianNB())]:
        oof[name] = cross_val_predict(model, X, labels, cv=5, method="predict_proba")
        test[name] = model.fit(X, labels).predict_proba(X[:20])
    # logreg: P(yes) alone; bayes: a column per class.
    _write(pd.DataFrame({"p": oof["logreg"][:, 1]}), tmp_path / "oof" / "logreg.csv")
    _write(pd.DataFrame({"p": test["logreg"][:, 1]}), tmp_path / "test" / "logreg.csv")
    _write(pd.DataFrame(oof["bayes"], columns=["no", "yes"]), tmp_path / "oof" / "bayes.csv")
    _write(pd.DataFrame(test["bayes"], columns=["no", "yes"]), tmp_path / "test" / "bayes.csv")
    _write(pd.DataFrame({"y": labels}), tmp_path / "train.csv")
    out = tmp_path / "sub.csv"
    files = ["--oof", *sorted((tmp_path / "oof").glob("*.csv")),
             "--test", *sorted((tmp_path / "test").glob("*.csv"))]  # fmt: skip
    target = ["--target", f"{tmp_path / 'train.csv'}:y"]
    flags = ["--weighting", "optimize", "--out", out, "--json"]
    assert main([*map(str, ["blend", *files, *target, *flags])]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "classification"
    names = ["bayes", "logreg"]  # the files, sorted
    expected = WeightedBlender.from_predictions(
        [oof[n] for n in names], labels, names=names, weighting="optimize"
    )
    weights = {m["name"]: m["weight"] for m in result["models"]}
    np.testing.assert_allclose([weights[n] for n in names], expected.weights_, atol=1e-8)
    # The written P(yes): the weighted average of each model's P(yes), by hand.
    by_hand = sum(weights[n] * test[n][:, 1] for n in names)
    np.testing.assert_allclose(pd.read_csv(out)["y"], by_hand, atol=1e-8)
    assert main(["report", *map(str, files + target), "--json"]) == 0
    correlations = json.loads(capsys.readouterr().out)["correlations"]
    assert correlations["bayes"]["logreg"] == pytest.approx(
        np.corrcoef(oof["bayes"][:, 1], oof["logreg"][:, 1])[0, 1]
    )


def test_report_of_one_model(small, capsys):
    root, target = small
    assert main(["report", "--oof", str(root / "a.csv"), *target, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["correlations"] == {"a": {"a": 1.0}}
