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


def test_config_is_thread_local():
    seen = {}

    def worker():
        seen["before"] = skfusion.get_config()["engine"]
        skfusion.set_config(engine="numpy")
        seen["after"] = skfusion.get_config()["engine"]

    with skfusion.config_context(engine="numba"):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert skfusion.get_config()["engine"] == "numba"
    assert seen == {"before": "auto", "after": "numpy"}


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
