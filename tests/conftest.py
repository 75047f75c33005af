"""Shared test setup: hypothesis profiles and the Graphviz requirement."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

# CI: bounded and derandomized, no deadline (timing on a loaded 2-core box is noise).
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def dot() -> str:
    """Path of Graphviz's ``dot``: skipped locally without it, a failure in CI."""
    path = shutil.which("dot")
    if path is None:
        message = "Graphviz's dot is not installed (apt-get install graphviz)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must render")
        pytest.skip(message)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """In CI a skipped test is a failure: every check there must really run.

    Locally, tests that need an optional tool (Graphviz, Chromium, torch, micrograd)
    skip when it is missing; ``.ci/run`` installs all of them and sets ``CI``.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every check must run: {report.longrepr}"
