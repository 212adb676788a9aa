"""Fixtures for the W&B backend suite: an offline, key-less wandb sandbox for the session, and a
driver that calls the backend as the dispatcher does (``on_run_start`` in the caller's thread,
everything else in one worker thread), then reads runs back from their offline files."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

pytest.importorskip("wandb")

from autolog.records import Artifact, ArtifactKind, Metric, ModelRecord, RunEnd, RunStart, RunStatus  # noqa: E402


import harness_wandb  # noqa: E402 - tests/backends is on sys.path (its conftest)


@pytest.fixture(scope="session", autouse=True)
def wandb_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Offline, silent, no API key, no netrc, and every wandb folder under one session tmp dir.

    wandb reads its environment once per process (``wandb.setup``), so the sandbox tears the
    wandb session down before and after the suite.
    """
    import wandb

    home = tmp_path_factory.mktemp("wandb-home")
    with pytest.MonkeyPatch.context() as patch:
        for var in ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_PROJECT", "WANDB_ENTITY", "WANDB_BASE_URL"):
            patch.delenv(var, raising=False)
        patch.setenv("WANDB_MODE", "offline")
        patch.setenv("WANDB_SILENT", "true")
        patch.setenv("NETRC", str(home / "no-netrc"))
        patch.setenv("WANDB_DIR", str(home / "default-dir"))
        for var in ("WANDB_CONFIG_DIR", *harness_wandb.ISOLATION_ENV):
            patch.setenv(var, str(home / var.lower()))
        wandb.teardown()
        yield home
        wandb.teardown()


class Driver:
    """Feeds one backend the way the dispatcher does; reads its runs back from the offline files."""

    def __init__(self, backend: Any, wandb_dir: str, experiment: str) -> None:
        self.backend = backend
        self.wandb_dir = wandb_dir
        self.experiment = experiment
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autolog-lane")

    def call(self, method: str, *args: Any) -> Any:
        """Run ``backend.<method>(*args)`` in the worker thread; its exception is raised here."""
        return self._worker.submit(getattr(self.backend, method), *args).result(timeout=60)

    def start(
        self,
        name: str = "run",
        *,
        run_id: str | None = None,
        parent: str | None = None,
        tags: Mapping[str, str] | None = None,
        resume_step: int | None = None,
    ) -> str:
        run = RunStart(
            run_id or uuid.uuid4().hex, self.experiment, name, time.time(), parent, dict(tags or {}), resume_step
        )
        self.backend.on_run_start(run)  # the caller's thread, as autolog does
        self.call("start_run", run)
        return run.run_id

    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> None:
        self.call("end_run", RunEnd(run_id, status, time.time()))

    def metrics(self, run_id: str, points: list[tuple[str, float, int]]) -> None:
        now = time.time()
        records = [Metric(run_id, key, value, step, now + i / 1000) for i, (key, value, step) in enumerate(points)]
        self.call("log_metrics", run_id, records)

    def artifact(
        self, run_id: str, path: Any, artifact_path: str | None = None, kind: ArtifactKind = ArtifactKind.FILE,
        aliases: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self.call("log_artifact", Artifact(run_id, str(path), artifact_path, kind, aliases=aliases))

    def model(self, record: ModelRecord) -> None:
        self.call("log_model", record)

    def read(self, run_id: str) -> Any:
        """The W&B run as its offline transaction log describes it."""
        from autolog.backends.wandb import wandb_run_id

        return harness_wandb.read_offline_run(self.wandb_dir, wandb_run_id(run_id))

    def close(self) -> None:
        self.call("flush")
        self.call("close")
        self._worker.shutdown()


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
