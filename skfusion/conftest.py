"""pytest hooks for the doctests of the package's modules."""

import importlib.util

import pytest


def pytest_collection_modifyitems(config, items):
    # The Displays' examples draw with matplotlib, an optional dependency.
    if importlib.util.find_spec("matplotlib") is not None:
        return
    skip = pytest.mark.skip(reason="the Display examples need matplotlib")
    for item in items:
        if item.name.startswith("skfusion._displays."):
            item.add_marker(skip)
