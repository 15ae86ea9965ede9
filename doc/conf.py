"""Sphinx configuration of the skfusion documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
import skfusion

project = "skfusion"
author = "The skfusion developers"
copyright = "2026, The skfusion developers"
version = release = skfusion.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # sklearn generates these; their docstrings link into sklearn's own site.
    "exclude-members": "set_fit_request,set_score_request,set_predict_request,"
    "set_transform_request,set_predict_proba_request,set_partial_fit_request",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Sklearn's own inherited docstrings (set_output, metadata requests...) use
# cross-references to sklearn's site; do not fail the build on those.
nitpicky = False
suppress_warnings = ["autosummary.import_cycle"]

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_theme_options = {"navigation_with_keys": False}

intersphinx_mapping = {}  # no network at build time

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": "True",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
}
