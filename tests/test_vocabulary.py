"""One vocabulary: the tables of doc/api.rst, enforced on the code.

Every parameter and fitted attribute of every fuser is in the tables and
appears exactly where they say; docstrings pass numpydoc's validation; every
public function validates its parameters as sklearn's public functions do.
"""

import inspect
import pathlib

import numpy as np
import pytest
from numpydoc.docscrape import ClassDoc
from numpydoc.validate import validate
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import Bunch

import skfusion
import skfusion.inspection
import skfusion.merge
import skfusion.metrics
import skfusion.weights

API = pathlib.Path(__file__).resolve().parents[1] / "doc" / "api.rst"
FUSERS = [
    "WeightedBlender",
    "WeightedBlenderRegressor",
    "OOFStacker",
    "OOFStackerRegressor",
    "BayesianModelAverager",
    "BayesianModelAveragerRegressor",
    "WeightSpaceFuser",
    "WeightSpaceFuserRegressor",
    "DynamicSelector",
    "DynamicSelectorRegressor",
    "GatedBlender",
    "GatedBlenderRegressor",
]
# Estimators that fuse no members but follow the same vocabulary.
DISTILLERS = ["Distiller", "DistillerRegressor"]
# Fusers of a stream: no folds, so none of the words of cv, caching or OOF scores.
ONLINE = ["OnlineBlender", "OnlineBlenderRegressor"]
ESTIMATORS = FUSERS + DISTILLERS + ONLINE
PUBLIC_FUNCTIONS = [
    ("skfusion", "blend"),
    *(("skfusion.weights", name) for name in skfusion.weights.__all__),
    *(("skfusion.merge", name) for name in skfusion.merge.__all__),
    *(("skfusion.metrics", name) for name in skfusion.metrics.__all__),
    *(("skfusion.inspection", n) for n in skfusion.inspection.__all__ if n[0].islower()),
]
DISPLAYS = [n for n in skfusion.inspection.__all__ if n.endswith("Display")]
# numpydoc checks left out, as sklearn leaves them out: extended summaries,
# See Also and Examples of methods, return names, summaries of one word.
IGNORED_CHECKS = {"ES01", "RT02", "SS05", "GL01"}
METHOD_IGNORED_CHECKS = IGNORED_CHECKS | {"SA01", "EX01"}


def _rows(title):
    """The rows of the list-table ``title`` of api.rst, header left out."""
    text = API.read_text(encoding="utf-8")
    block = text.split(f".. list-table:: {title}", 1)[1].split(".. list-table::", 1)[0]
    rows, cells = [], None
    for line in block.splitlines():
        if line.startswith("   * - "):
            cells = [line[len("   * - ") :].strip()]
            rows.append(cells)
        elif line.startswith("     - ") and cells is not None:
            cells.append(line[len("     - ") :].strip())
        elif line.startswith("       ") and cells is not None:
            cells[-1] += " " + line.strip()
        elif line.strip() and not line.startswith("   :") and cells is not None:
            break  # the text after the table
    return rows[1:]


def _where(cell):
    names = set()
    for part in cell.split(", "):
        if part == "all fusers":
            names |= set(FUSERS)
        elif part.endswith("(Regressor)"):
            names |= {part[: -len("(Regressor)")], part[: -len("(Regressor)")] + "Regressor"}
        else:
            names.add(part)
    unknown = names - set(ESTIMATORS)
    assert not unknown, f"api.rst names unknown estimators: {unknown}"
    return names


def _table(title):
    table = {}
    for name, _, where in _rows(title):
        assert name.startswith("``") and name.endswith("``"), name
        table[name.strip("`")] = _where(where)
    return table


def _expected(table, fuser):
    return {name for name, where in table.items() if fuser in where}


def test_the_tables_are_read():
    assert len(_table("Parameters")) >= 20
    assert len(_table("Fitted attributes")) >= 20


@pytest.mark.parametrize("fuser", ESTIMATORS)
def test_parameters_follow_the_table(fuser):
    signature = inspect.signature(getattr(skfusion, fuser))
    assert set(signature.parameters) == _expected(_table("Parameters"), fuser)


@pytest.mark.parametrize("fuser", ESTIMATORS)
def test_documented_attributes_follow_the_table(fuser):
    documented = {item.name for item in ClassDoc(getattr(skfusion, fuser))["Attributes"]}
    assert documented == _expected(_table("Fitted attributes"), fuser)


def _fitted(fuser):
    classifier = "Regressor" not in fuser
    X, y = load_iris(return_X_y=True) if classifier else load_diabetes(return_X_y=True)
    member = LogisticRegression(max_iter=1000) if classifier else Ridge()
    other = LogisticRegression(C=0.1, max_iter=1000) if classifier else Ridge(alpha=10.0)
    if fuser in ONLINE:  # fitted members, a stream of shuffled rows
        order = np.random.default_rng(0).permutation(len(y))
        X, y = X[order], y[order]
        members = [("a", member.fit(X, y)), ("b", other.fit(X, y)), ("c", "drop")]
        return getattr(skfusion, fuser)(members).fit(X, y)
    members = [("a", member), ("b", other), ("c", "drop")]
    return getattr(skfusion, fuser)(members, cv=3).fit(X, y)


@pytest.mark.parametrize("fuser", FUSERS + ONLINE)
def test_every_documented_attribute_is_set_by_fit(fuser):
    fitted = _fitted(fuser)
    for name in _expected(_table("Fitted attributes"), fuser) - {"feature_names_in_"}:
        assert hasattr(fitted, name), name
    assert isinstance(fitted.named_estimators_, Bunch)
    assert list(fitted.named_estimators_) == ["a", "b", "c"]
    assert fitted.named_estimators_.c == "drop"
    if hasattr(fitted, "named_weights_"):
        assert list(fitted.named_weights_) == ["a", "b", "c"]
        assert fitted.named_weights_.c == 0.0
        np.testing.assert_allclose(
            [fitted.named_weights_.a, fitted.named_weights_.b], fitted.weights_
        )


def _public_methods(cls):
    return [
        name
        for name in dir(cls)
        if not name.startswith("_")
        and callable(getattr(cls, name, None))
        and any(name in vars(c) for c in cls.__mro__ if c.__module__.startswith("skfusion"))
    ]


def _errors(name, ignored):
    return [(code, message) for code, message in validate(name)["errors"] if code not in ignored]


@pytest.mark.parametrize(
    "name",
    [f"skfusion.{fuser}" for fuser in ESTIMATORS]
    + [f"{module}.{function}" for module, function in PUBLIC_FUNCTIONS]
    + [f"skfusion.inspection.{display}" for display in DISPLAYS]
    + ["skfusion.config_context", "skfusion.get_config", "skfusion.set_config"],
)
def test_docstrings_pass_numpydoc_validation(name):
    assert _errors(name, IGNORED_CHECKS) == []


@pytest.mark.parametrize("display", DISPLAYS)
def test_display_method_docstrings_pass_numpydoc_validation(display):
    for method in ("plot", "from_estimator", "from_predictions"):
        name = f"skfusion.inspection.{display}.{method}"
        assert _errors(name, METHOD_IGNORED_CHECKS) == [], name


@pytest.mark.parametrize("fuser", ESTIMATORS)
def test_method_docstrings_pass_numpydoc_validation(fuser):
    for method in _public_methods(getattr(skfusion, fuser)):
        name = f"skfusion.{fuser}.{method}"
        assert _errors(name, METHOD_IGNORED_CHECKS) == [], name


@pytest.mark.parametrize("module, function", PUBLIC_FUNCTIONS)
def test_public_functions_validate_their_parameters(module, function):
    func = getattr(__import__(module, fromlist=[function]), function)
    constraints = getattr(func, "_skl_parameter_constraints", None)
    assert constraints is not None, f"{module}.{function} has no validate_params"
    assert set(constraints) == set(inspect.signature(func).parameters)
