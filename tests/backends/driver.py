"""``BackendDriver``: calls one backend exactly as autolog's dispatcher does, for backend tests.

``on_run_start`` runs in the test's own thread (the caller's thread in autolog); every other
method runs in one worker thread of the driver's (the backend's lane), unless ``threaded=False``.
Each backend's test folder subclasses it with the reader of its real system.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from autolog.records import Artifact, ArtifactKind, Metric, ModelRecord, Params, RunEnd, RunStart, RunStatus, Tags


class BackendDriver:
    def __init__(self, backend: Any, experiment: str = "exp", *, threaded: bool = True, timeout: float = 120) -> None:
        self.backend = backend
        self.experiment = experiment
        self.timeout = timeout
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autolog-lane") if threaded else None

    def call(self, method: str, *args: Any) -> Any:
        """``backend.<method>(*args)`` in the lane thread; its exception is raised here (for tests
        of one call and its retry, as a lane makes it)."""
        func = getattr(self.backend, method)
        if self._worker is None:
            return func(*args)
        return self._worker.submit(func, *args).result(timeout=self.timeout)

    def deliver(self, records: list[Any]) -> None:
        """Deliver a batch in the lane thread through ``backend.plan_delivery``, as the dispatcher
        does (the RecordBackend adapter's grouped calls, or one ``write_batch``)."""

        def run() -> None:
            for _name, method, args, _records in self.backend.plan_delivery(records):
                method(*args)

        if self._worker is None:
            run()
        else:
            self._worker.submit(run).result(timeout=self.timeout)

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
        )
        self.backend.on_run_start(run)
        self.deliver([run])
        return run.run_id

    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> None:
        self.deliver([RunEnd(run_id, status, time.time())])

    def params(self, run_id: str, params: Mapping[str, str]) -> None:
        self.deliver([Params(run_id, dict(params))])

    def tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self.deliver([Tags(run_id, dict(tags))])

    def metrics(self, run_id: str, points: list[tuple[str, float, int]]) -> list[Metric]:
        """Log ``(key, value, step)`` points as one batch, a millisecond apart; return the records."""
        now = time.time()
        records = [Metric(run_id, key, value, step, now + i / 1000) for i, (key, value, step) in enumerate(points)]
        self.deliver(list(records))
        return records

    def artifact(
        self, run_id: str, path: Any, artifact_path: str | None = None,
        kind: ArtifactKind = ArtifactKind.FILE, aliases: tuple[str, ...] = (),
    ) -> None:
        self.deliver([Artifact(run_id, str(path), artifact_path, kind, aliases=aliases)])

    def model(self, record: ModelRecord) -> None:
        self.deliver([record])

    def close(self) -> None:
        self.call("flush")
        self.call("close")
        if self._worker is not None:
            self._worker.shutdown()
