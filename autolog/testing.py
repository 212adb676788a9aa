"""Test helpers: an in-memory backend that keeps every record it receives.

``MemoryBackend`` is a real backend (it goes through the dispatcher like any other), so tests
of integrations see exactly what backends see, without any store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autolog.records import Artifact, Metric, ModelRecord, Plot, RunEnd, RunStart
from autolog.sdk.backend_base import RecordBackend


@dataclass
class MemoryRun:
    """Everything one run received."""

    start: RunStart
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[Metric]] = field(default_factory=lambda: defaultdict(list))
    artifacts: list[Artifact] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    end: RunEnd | None = None
    #: where copies of artifacts and models were kept (staged files are deleted after delivery)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        return None if self.end is None else self.end.status.value

    def history(self, key: str) -> list[tuple[int, float]]:
        return [(m.step, m.value) for m in self.metrics.get(key, [])]

    def latest(self) -> dict[str, float]:
        return {k: max(v, key=lambda m: (m.step, m.timestamp)).value for k, v in self.metrics.items() if v}


class MemoryBackend(RecordBackend):
    """Keeps every record in memory; copies artifacts into ``keep_dir`` when given one."""

    name = "memory"

    def __init__(self, keep_files: bool = True) -> None:
        self.runs: dict[str, MemoryRun] = {}
        self.calls: list[str] = []
        self.flushes = 0
        self.closed = False
        self._keep = tempfile.mkdtemp(prefix="autolog-memory-") if keep_files else None

    def start_run(self, run: RunStart) -> None:
        self.calls.append("start_run")
        self.runs[run.run_id] = MemoryRun(start=run, tags=dict(run.tags))

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        self.calls.append("log_params")
        for key, value in params.items():
            self.runs[run_id].params.setdefault(key, value)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self.calls.append("set_tags")
        self.runs[run_id].tags.update(tags)

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        self.calls.append("log_metrics")
        run = self.runs[run_id]
        for point in metrics:
            run.metrics[point.key].append(point)

    def log_artifact(self, artifact: Artifact) -> None:
        self.calls.append("log_artifact")
        run = self.runs[artifact.run_id]
        run.artifacts.append(artifact)
        self._keep_copy(run, artifact.local_path, artifact.artifact_path)

    def log_model(self, model: ModelRecord) -> None:
        self.calls.append("log_model")
        run = self.runs[model.run_id]
        run.models.append(model)
        self._keep_copy(run, model.local_path, model.artifact_path)

    def log_plot(self, plot: Plot) -> None:
        self.calls.append("log_plot")
        self.runs[plot.run_id].plots.append(plot)

    def end_run(self, end: RunEnd) -> None:
        self.calls.append("end_run")
        self.runs[end.run_id].end = end

    def flush(self) -> None:
        self.flushes += 1

    def close(self) -> None:
        self.closed = True

    def _keep_copy(self, run: MemoryRun, source: str, artifact_path: str | None) -> None:
        if self._keep is None:
            return
        rel = artifact_path or os.path.basename(source)
        target = os.path.join(self._keep, run.start.run_id, rel)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
        run.files[rel] = target

    # -- conveniences for tests -----------------------------------------------------------------
    def only_run(self) -> MemoryRun:
        """The single run received (asserts there is exactly one)."""
        assert len(self.runs) == 1, f"expected one run, got {len(self.runs)}"
        return next(iter(self.runs.values()))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "runs": len(self.runs)}
