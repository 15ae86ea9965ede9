import os
import subprocess
import sys
import threading

import pytest

import skfusion


def test_default_and_context():
    assert skfusion.get_config()["engine"] == "auto"
    with skfusion.config_context(engine="numba"):
        assert skfusion.get_config()["engine"] == "numba"
        with skfusion.config_context(engine="numpy"):
            assert skfusion.get_config()["engine"] == "numpy"
        assert skfusion.get_config()["engine"] == "numba"
    assert skfusion.get_config()["engine"] == "auto"


def test_context_restores_after_error():
    with pytest.raises(RuntimeError), skfusion.config_context(engine="numpy"):
        raise RuntimeError
    assert skfusion.get_config()["engine"] == "auto"


def test_invalid_engine():
    with pytest.raises(ValueError, match="engine must be one of"):
        skfusion.set_config(engine="torch")


@pytest.fixture
def restore_engine():
    yield
    skfusion.set_config(engine="auto")


def _in_a_thread(function):
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(result=function()))
    thread.start()
    thread.join()
    return seen["result"]


def test_context_is_thread_local():
    def worker():
        before = skfusion.get_config()["engine"]
        with skfusion.config_context(engine="numpy"):
            inside = skfusion.get_config()["engine"]
        return before, inside

    with skfusion.config_context(engine="numba"):
        assert _in_a_thread(worker) == ("auto", "numpy")
        assert skfusion.get_config()["engine"] == "numba"


def test_set_config_is_process_wide(restore_engine):
    _in_a_thread(lambda: skfusion.set_config(engine="numpy"))
    assert skfusion.get_config()["engine"] == "numpy"
    assert _in_a_thread(lambda: skfusion.get_config()["engine"]) == "numpy"
    with skfusion.config_context(engine="numba"):
        assert skfusion.get_config()["engine"] == "numba"
        # Inside a context set_config takes effect at once...
        skfusion.set_config(engine="auto")
        assert skfusion.get_config()["engine"] == "auto"
        with skfusion.config_context(engine="numba"):
            pass
    # ... and the process-wide value survives the context.
    assert skfusion.get_config()["engine"] == "auto"


def _run_python(code, **environment):
    env = {**os.environ, **environment}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip(), out.stderr


def test_engine_from_the_environment():
    code = "import skfusion; print(skfusion.get_config()['engine'])"
    assert _run_python(code, SKFUSION_ENGINE="numpy")[0] == "numpy"
    stdout, stderr = _run_python(code, SKFUSION_ENGINE="torch")
    assert stdout == "auto"
    assert "SKFUSION_ENGINE='torch' is not one of" in stderr


# The grid search's scorer runs in sklearn's worker, next to the fuser's fit:
# it reports the engine that worker sees.
_GRID_SEARCH = """
import joblib, skfusion
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from skfusion import WeightedBlender

def engine_is_numpy(estimator, X, y):
    return float(skfusion.get_config()["engine"] == "numpy")

{setting}
X, y = make_classification(n_samples=120, random_state=0)
blender = WeightedBlender([("lr", LogisticRegression())], cv=2)
search = GridSearchCV(blender, {{"weighting": ["score", "optimize"]}}, cv=2,
                      scoring=engine_is_numpy, n_jobs=2)
with joblib.parallel_config(backend="{backend}"):
    search.fit(X, y)
print(search.cv_results_["mean_test_score"].tolist())
"""


@pytest.mark.parametrize("backend", ["threading", "loky"])
@pytest.mark.parametrize("how", ["set_config", "environment"])
def test_engine_reaches_grid_search_workers(backend, how):
    setting = 'skfusion.set_config(engine="numpy")' if how == "set_config" else ""
    environment = {"SKFUSION_ENGINE": "numpy"} if how == "environment" else {}
    code = _GRID_SEARCH.format(setting=setting, backend=backend)
    assert _run_python(code, **environment)[0] == "[1.0, 1.0]"


def test_import_loads_neither_numba_nor_cupy_nor_sklearn():
    code = (
        "import sys, skfusion; "
        "print(sorted(m for m in ('numba', 'cupy', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_public_names():
    assert set(skfusion.__all__) <= set(dir(skfusion))
    for name in skfusion.__all__:
        assert getattr(skfusion, name) is not None
    with pytest.raises(AttributeError):
        skfusion.NotAThing  # noqa: B018
