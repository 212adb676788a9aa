"""Fixtures for the chapter snippet tests: ``tests/backends`` on ``sys.path`` (the tiny Trainer and
the real MLflow server harness), offline Hugging Face, and a real ``mlflow server`` for the module."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

BACKENDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backends")
if BACKENDS not in sys.path:
    sys.path.insert(0, BACKENDS)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("mlflow")
    import harness_mlflow

    server = harness_mlflow.MlflowServer(str(tmp_path_factory.mktemp("mlflow-server"))).start()
    yield server
    server.stop()
