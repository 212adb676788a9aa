"""Fixtures for the TensorBoard backend suite: a backend writing under tmp_path, a small driver,
and the contract harness's readers (``EventAccumulator`` over a run's folder)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Mapping

import pytest

pytest.importorskip("tensorboard")

from autolog.records import Metric, RunEnd, RunStart, RunStatus  # noqa: E402


import harness_tensorboard  # noqa: E402 - tests/backends is on sys.path (its conftest)


class Driver:
    """Calls one backend as the dispatcher does and reads its runs back with TensorBoard's reader."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def start(
        self,
        name: str = "run",
        *,
        run_id: str | None = None,
        parent: str | None = None,
        tags: Mapping[str, str] | None = None,
        resume_step: int | None = None,
    ) -> str:
        run = RunStart(run_id or uuid.uuid4().hex, "exp", name, time.time(), parent, dict(tags or {}), resume_step)
        self.backend.on_run_start(run)
        self.backend.start_run(run)
        return run.run_id

    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> None:
        self.backend.end_run(RunEnd(run_id, status, time.time()))

    def metrics(self, run_id: str, points: list[tuple[str, float, int]]) -> None:
        now = time.time()
        records = [Metric(run_id, key, value, step, now + i / 1000) for i, (key, value, step) in enumerate(points)]
        self.backend.log_metrics(run_id, records)

    def run_dir(self, run_id: str) -> str:
        return harness_tensorboard.find_run_dir(self.backend.log_dir, run_id)

    def load(self, run_id: str) -> Any:
        """An ``EventAccumulator`` holding every event of the run's folder."""
        return harness_tensorboard.load(self.run_dir(run_id))


@pytest.fixture
def backend(tmp_path: Path) -> Any:
    from autolog.backends.tensorboard import TensorBoardBackend

    backend = TensorBoardBackend(str(tmp_path / "tb"))
    yield backend
    backend.close()


@pytest.fixture
def driver(backend: Any) -> Driver:
    return Driver(backend)


@pytest.fixture
def harness() -> Any:
    return harness_tensorboard
