"""``BackendDriver``: calls one backend exactly as autolog's dispatcher does, for backend tests.

``on_run_start`` runs in the test's own thread (the caller's thread in autolog); every other
method runs in one worker thread of the driver's (the backend's lane), unless ``threaded=False``.
Each backend's test folder subclasses it with the reader of its real system.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping

from autolog.records import Artifact, ArtifactKind, Metric, ModelRecord, RunEnd, RunStart, RunStatus


class BackendDriver:
    def __init__(self, backend: Any, experiment: str = "exp", *, threaded: bool = True, timeout: float = 120) -> None:
        self.backend = backend
        self.experiment = experiment
        self.timeout = timeout
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autolog-lane") if threaded else None

    def call(self, method: str, *args: Any) -> Any:
        """``backend.<method>(*args)`` in the lane thread; its exception is raised here."""
        func = getattr(self.backend, method)
        if self._worker is None:
            return func(*args)
        return self._worker.submit(func, *args).result(timeout=self.timeout)

    def start(
        self,
        name: str = "run",
        *,
        run_id: str | None = None,
        parent: str | None = None,
        tags: Mapping[str, str] | None = None,
        resume_step: int | None = None,
        experiment: str | None = None,
    ) -> str:
        run = RunStart(
            run_id or uuid.uuid4().hex, experiment or self.experiment, name, time.time(), parent,
            dict(tags or {}), resume_step,
        )  # fmt: skip
        self.backend.on_run_start(run)
        self.call("start_run", run)
        return run.run_id

    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> None:
        self.call("end_run", RunEnd(run_id, status, time.time()))

    def params(self, run_id: str, params: Mapping[str, str]) -> None:
        self.call("log_params", run_id, dict(params))

    def tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self.call("set_tags", run_id, dict(tags))

    def metrics(self, run_id: str, points: list[tuple[str, float, int]]) -> list[Metric]:
        """Log ``(key, value, step)`` points as one batch, a millisecond apart; return the records."""
        now = time.time()
        records = [Metric(run_id, key, value, step, now + i / 1000) for i, (key, value, step) in enumerate(points)]
        self.call("log_metrics", run_id, records)
        return records

    def artifact(
        self, run_id: str, path: Any, artifact_path: str | None = None,
        kind: ArtifactKind = ArtifactKind.FILE, aliases: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self.call("log_artifact", Artifact(run_id, str(path), artifact_path, kind, aliases=aliases))

    def model(self, record: ModelRecord) -> None:
        self.call("log_model", record)

    def close(self) -> None:
        self.call("flush")
        self.call("close")
        if self._worker is not None:
            self._worker.shutdown()
