"""Fixtures for the W&B backend suite: an offline, key-less wandb sandbox for the session, and a
driver that calls the backend as the dispatcher does (``on_run_start`` in the caller's thread,
everything else in one worker thread), then reads runs back from their offline files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("wandb")



import harness_wandb
from driver import BackendDriver


@pytest.fixture(scope="session", autouse=True)
def wandb_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Offline, silent, no API key, no netrc, and every wandb folder under one session tmp dir.

    wandb reads its environment once per process (``wandb.setup``), so the sandbox tears the
    wandb session down before and after the suite.
    """
    home = tmp_path_factory.mktemp("wandb-home")
    with harness_wandb.offline_sandbox(home):
        yield home


class Driver(BackendDriver):
    """Feeds one backend the way the dispatcher does; reads its runs back from the offline files."""

    def __init__(self, backend: Any, wandb_dir: str, experiment: str) -> None:
        super().__init__(backend, experiment, timeout=60)
        self.wandb_dir = wandb_dir

    def read(self, run_id: str) -> Any:
        """The W&B run as its offline transaction log describes it."""
        from autolog.backends.wandb import wandb_run_id

        return harness_wandb.read_offline_run(self.wandb_dir, wandb_run_id(run_id))


@pytest.fixture
def make_driver(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``make_driver(**backend_options)``: a Driver over a new offline WandbBackend in tmp_path."""
    from autolog.backends.wandb import WandbBackend

    drivers: list[Driver] = []
    wandb_dir = tmp_path / "wandb-runs"
    wandb_dir.mkdir()

    def make(**options: Any) -> Driver:
        options.setdefault("dir", str(wandb_dir))
        options.setdefault("mode", "offline")
        options.setdefault("settings", harness_wandb.QUIET_SETTINGS)
        driver = Driver(WandbBackend(**options), options["dir"], f"exp-{request.node.name[:40]}")
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


@pytest.fixture
def driver(make_driver: Any) -> Any:
    return make_driver()
