"""Fixtures for the TensorBoard backend suite: a backend writing under tmp_path, a small driver,
and the contract harness's readers (``EventAccumulator`` over a run's folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorboard")



import harness_tensorboard
from driver import BackendDriver


class Driver(BackendDriver):
    """Calls one backend as the dispatcher does and reads its runs back with TensorBoard's reader."""

    def __init__(self, backend: Any) -> None:
        super().__init__(backend, threaded=False)

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
