"""Doctest collection: modules of an optional extra are skipped where it is missing."""

import importlib.util

# nn/sklearn.py subclasses scikit-learn's estimators, so importing it needs the extra.
collect_ignore = [] if importlib.util.find_spec("sklearn") else ["nn/sklearn.py"]
