"""Every code block of the user guide and the README runs.

A page's Python blocks run in order in one namespace, after the page's
setup below (the data and members its text speaks of), in a temporary
folder. Its ``skfusion`` command lines run too, on prediction files the
setup writes. Literal blocks (``::``) are Python; a block in another
language says so (``.. code-block:: bash``, ``text``...). What is not run:
installation and benchmark commands (``pip``, ``python``, ``asv``: CI runs
the README's, ``.ci/run``) and ``skfusion demo`` (``tests/test_demo.py``).
"""

import ast
import glob
import re
import shlex
import textwrap
from pathlib import Path

import pytest

import skfusion
from skfusion._cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
# The pages written by hand (the doc build writes others: the gallery's, the
# API stubs, sphinx-gallery's timings).
PAGES = [
    *sorted((ROOT / "doc").glob("*.rst")),
    *sorted((ROOT / "doc" / "user_guide").glob("*.rst")),
    ROOT / "README.md",
]
PAGES = [p for p in PAGES if p.name != "sg_execution_times.rst"]
# Languages of blocks that are not run, and why.
NOT_RUN = {"bash", "console", "shell", "text", "none", "rst", "ini", "toml", "json"}

COMMON = """
import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, Ridge
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeRegressor
from skfusion import *

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
X_new = X_test
members = [
    ("lr", LogisticRegression(max_iter=1000)),
    ("nb", GaussianNB()),
    ("forest", RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0)),
]
regression_X, regression_y = load_diabetes(return_X_y=True)
regressors = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]
"""

# Prediction files for the command lines: oof/<model>.csv, test/<model>.csv
# (an id column and one probability column per class) and train.csv.
PREDICTION_FILES = """
import os
import pandas as pd
from sklearn.model_selection import cross_val_predict

os.makedirs("oof", exist_ok=True)
os.makedirs("test", exist_ok=True)
ids_train, ids_test = np.arange(len(y_train)), 1000 + np.arange(len(y_test))
pd.DataFrame({"id": ids_train, "target": y_train}).to_csv("train.csv", index=False)
for name, model in members:
    oof_proba = cross_val_predict(model, X_train, y_train, method="predict_proba")
    test_proba = model.fit(X_train, y_train).predict_proba(X_test)
    for folder, ids, proba in (("oof", ids_train, oof_proba), ("test", ids_test, test_proba)):
        frame = pd.DataFrame(proba, columns=[str(k) for k in range(proba.shape[1])])
        frame.insert(0, "id", ids)
        frame.to_csv(f"{folder}/{name}.csv", index=False)
"""

SAVED = """
from sklearn.model_selection import cross_val_predict

fitted = [est.fit(X_train, y_train) for _, est in members]
oof = [cross_val_predict(est, X_train, y_train, method="predict_proba") for _, est in members]
oof_a, oof_b, oof_c = oof
test = [est.predict_proba(X_test) for est in fitted]
test_a, test_b, test_c = test
"""

SETUPS = {
    "blending.rst": SAVED,
    "saved_predictions.rst": SAVED + "y = y_train\n" + PREDICTION_FILES,
    "README.md": PREDICTION_FILES,
    "odd_data.rst": 'grid = {"weighting": ["optimize", "caruana"]}',
    "online.rst": """
from sklearn.frozen import FrozenEstimator

order = np.random.default_rng(0).permutation(len(y))
stream_X, stream_y = X[order], y[order]
members = [(name, FrozenEstimator(est.fit(X_train, y_train))) for name, est in members]
X_first, y_first = stream_X[:50], stream_y[:50]
X_next, y_next = stream_X[50:], stream_y[50:]
""",
    "weight_space.rst": """
rng = np.random.default_rng(0)
state_base = {"coef": rng.normal(size=(3, 4)), "intercept": rng.normal(size=3)}
state_a, state_b, state_c = (
    {k: v + rng.normal(scale=0.1, size=v.shape) for k, v in state_base.items()}
    for _ in range(3)
)
""",
}


def _blocks(path):
    """(line, language, code) of each code block of a page."""
    text = path.read_text()
    if path.suffix == ".md":
        return [
            (text[: m.start()].count("\n") + 1, m.group(1) or "text", m.group(2))
            for m in re.finditer(r"```(\w*)\n(.*?)```", text, flags=re.S)
        ]
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\s*\.\. code-block::\s*(\S*)", line)
        literal = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if not (directive or literal):
            i += 1
            continue
        indent = len(line) - len(line.lstrip())
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith(":")):
            j += 1
        body = []
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            body.append(lines[j])
            j += 1
        language = (directive.group(1) or "python") if directive else "python"
        blocks.append((i + 1, language, textwrap.dedent("\n".join(body)).strip("\n")))
        i = j
    return blocks


def _commands(code):
    """The ``skfusion`` command lines of a shell block (continuations joined)."""
    joined = code.replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.startswith("skfusion ")]


def _run_command(words):
    args = [a for word in words[1:] for a in (sorted(glob.glob(word)) or [word])]
    if args[0] == "demo":  # tests/test_demo.py
        return
    try:
        code = cli_main(args)
    except SystemExit as exc:
        code = exc.code
    assert code in (0, None), f"{' '.join(words)} exited with {code}"


def _pages_with_code():
    return [p for p in PAGES if _blocks(p)]


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: p.name)
def test_every_code_block_runs(page, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(tmp_path)
    config = skfusion.get_config()
    namespace = {}
    exec(COMMON + SETUPS.get(page.name, ""), namespace)
    try:
        for line, language, code in _blocks(page):
            where = f"{page.relative_to(ROOT)}:{line}"
            if language in NOT_RUN:
                for words in _commands(code):
                    _run_command(words)
                continue
            assert language == "python", f"{where}: a block of unknown language {language!r}"
            try:
                tree = ast.parse(code)
            except SyntaxError as exc:
                pytest.fail(f"{where}: not Python; mark it (.. code-block:: text): {exc}")
            exec(compile(tree, where, "exec"), namespace)
    finally:
        skfusion.set_config(**config)


def test_the_pages_name_no_undefined_setup():
    # Every setup belongs to a page that has code.
    names = {p.name for p in _pages_with_code()}
    assert set(SETUPS) <= names
