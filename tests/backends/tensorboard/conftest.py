"""Fixtures for the TensorBoard backend suite: a backend writing under tmp_path, a small driver,
and the contract harness's readers (``EventAccumulator`` over a run's folder)."""

from __future__ import annotations

import importlib.util
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

import pytest

pytest.importorskip("tensorboard")

from autolog.records import Metric, RunEnd, RunStart, RunStatus  # noqa: E402


def _load_harness_module() -> Any:
    """``tests/backends/harness_tensorboard.py``, under the name the contract suite also gives it."""
    path = Path(__file__).resolve().parents[1] / "harness_tensorboard.py"
    module = sys.modules.get("harness_tensorboard")
    if module is None or Path(getattr(module, "__file__", "")).resolve() != path:
        spec = importlib.util.spec_from_file_location("harness_tensorboard", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["harness_tensorboard"] = module
        spec.loader.exec_module(module)
    return module


harness_tensorboard = _load_harness_module()


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
