"""Fixtures shared by every test: strict mode, an isolated store, and a clean autolog afterwards."""

from __future__ import annotations

import pytest

import autolog
from autolog import _plugins, _safety, _session
from autolog.testing import MemoryBackend


@pytest.fixture(scope="session", autouse=True)
def _mlflow_default_store_outside_the_checkout(tmp_path_factory):
    """MLflow's default store is ``./mlflow.db``: any use of it in a test lands in a temp dir."""
    import os

    if "MLFLOW_TRACKING_URI" in os.environ:
        yield
        return
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path_factory.mktemp('mlflow-default')}/mlflow.db"
    yield
    os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture(autouse=True)
def _mlflow_global_uri_restored():
    """A test that sets MLflow's global tracking URI (``mlflow.set_tracking_uri``, which also writes
    ``MLFLOW_TRACKING_URI``) leaves both as they were, so later tests resolve MLflow's URI afresh."""
    import os
    import sys

    uri_before = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    utils = sys.modules.get("mlflow.tracking._tracking_service.utils")
    if utils is not None and getattr(utils, "_tracking_uri", None) is not None:
        utils.set_tracking_uri(None)
    if uri_before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = uri_before


@pytest.fixture(autouse=True)
def _isolated_autolog(tmp_path, monkeypatch):
    """Each test: internal errors raise, the default store lives in tmp_path, no environment
    capture (tests count records), state is reset."""
    monkeypatch.setenv("AUTOLOG_TESTING", "1")
    monkeypatch.setenv("AUTOLOG_DIR", str(tmp_path / "autolog-runs"))
    monkeypatch.setenv("AUTOLOG_CAPTURE_ENVIRONMENT", "0")  # on in tests/environment and in subprocesses
    for var in ("AUTOLOG_BACKENDS", "AUTOLOG_EXPERIMENT", "AUTOLOG_RUN_ID"):
        monkeypatch.delenv(var, raising=False)
    _safety.reset_warnings()
    yield
    autolog.autolog(disable=True)
    _session.current().reset()
    _safety.reset_warnings()


@pytest.fixture
def memory() -> MemoryBackend:
    """autolog enabled with only an in-memory backend; call ``autolog.flush()`` before asserting."""
    backend = MemoryBackend()
    autolog.autolog(backends=[backend])
    return backend


@pytest.fixture
def fresh_plugins():
    """A plugin manager rebuilt for the test and forgotten afterwards."""
    _plugins.reset()
    yield
    _plugins.reset()
