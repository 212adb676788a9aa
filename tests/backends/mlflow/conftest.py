"""Fixtures for the MLflow backend suite: a real ``mlflow server`` for the session, and a driver that
calls the backend as the dispatcher does (``on_run_start`` in the caller's thread, everything else
in one worker thread)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("mlflow")



import harness_mlflow
from driver import BackendDriver


@pytest.fixture(scope="session", autouse=True)
def _quiet_mlflow() -> Iterator[None]:
    saved = os.environ.get("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    yield
    if saved is None:
        os.environ.pop("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", None)
    else:
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = saved


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real ``mlflow server`` (SQLite store, proxied artifacts) shared by the whole session."""
    server = harness_mlflow.MlflowServer(str(tmp_path_factory.mktemp("mlflow-server"))).start()
    previous = os.environ.get(harness_mlflow.URI_VARIABLE)
    os.environ[harness_mlflow.URI_VARIABLE] = server.url  # the contract harness reuses it
    yield server
    if previous is None:
        os.environ.pop(harness_mlflow.URI_VARIABLE, None)
    else:
        os.environ[harness_mlflow.URI_VARIABLE] = previous
    server.stop()


@pytest.fixture
def tracking_uri(mlflow_server: Any) -> str:
    return mlflow_server.url


@pytest.fixture
def client(tracking_uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri)


class Driver(BackendDriver):
    """Feeds one backend the way the dispatcher does and finds its runs back in MLflow."""

    def __init__(self, backend: Any, experiment: str, client: Any) -> None:
        super().__init__(backend, experiment)
        self.client = client

    def mlflow_run(self, run_id: str) -> Any:
        """The MLflow run holding autolog run ``run_id``, read from the server."""
        run = harness_mlflow.find_run(self.client, run_id)
        assert run is not None, f"no MLflow run tagged autolog.run_id={run_id}"
        return run

    def artifacts(self, mlflow_run_id: str) -> set[str]:
        return harness_mlflow.list_files(self.client, mlflow_run_id)


@pytest.fixture
def make_driver(tracking_uri: str, client: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``make_driver(**backend_options)``: a Driver over a new MlflowBackend on the session server,
    logging to an experiment named after the test."""
    from autolog.backends.mlflow import MlflowBackend

    drivers: list[Driver] = []
    experiment = f"autolog-{request.node.name}-{uuid.uuid4().hex[:6]}"

    def make(**options: Any) -> Driver:
        options.setdefault("tracking_uri", tracking_uri)
        driver = Driver(MlflowBackend(**options), experiment, client)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


@pytest.fixture
def driver(make_driver: Any) -> Any:
    return make_driver()


@pytest.fixture
def harness_module() -> Any:
    return harness_mlflow
