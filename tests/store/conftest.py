"""Fixtures for the local store tests: a fresh tracking directory, a backend, a client."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from autolog.backends.local import LocalBackend

from autolog.client import Client
from autolog.records import Metric, Params, RunEnd, RunStart, RunStatus, Tags

#: The subprocess script that writes to a store (concurrency and crash tests).
WRITER_SCRIPT = str(Path(__file__).with_name("writer_process.py"))


@pytest.fixture
def tracking_dir(tmp_path: Path) -> str:
    return str(tmp_path / "autolog-runs")


@pytest.fixture
def writer_script() -> str:
    return WRITER_SCRIPT


@pytest.fixture
def backend(tracking_dir: str) -> Iterator[LocalBackend]:
    instance = LocalBackend(tracking_dir)
    yield instance
    instance.close()


@pytest.fixture
def client(tracking_dir: str) -> Iterator[Client]:
    instance = Client(tracking_dir)
    yield instance
    instance.close()


@pytest.fixture
def log_run(backend: LocalBackend) -> Callable[..., str]:
    """Write one whole run in one batch; returns its run id."""

    def log_run(
        name: str = "run",
        *,
        experiment: str = "Default",
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        status: RunStatus | None = RunStatus.FINISHED,
        start_time: float | None = None,
        parent_run_id: str | None = None,
    ) -> str:
        run_id = uuid.uuid4().hex
        start = time.time() if start_time is None else start_time
        batch: list = [RunStart(run_id, experiment, name, start, parent_run_id)]
        if params:
            batch.append(Params(run_id, dict(params)))
        if tags:
            batch.append(Tags(run_id, dict(tags)))
        batch += [Metric(run_id, key, value, 0, start) for key, value in (metrics or {}).items()]
        if status is not None:
            batch.append(RunEnd(run_id, status, start + 1))
        backend.write_batch(batch)
        return run_id

    return log_run
