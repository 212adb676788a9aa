"""Contract harness for the local store: reads runs back through ``autolog.client.Client``."""

from __future__ import annotations

from typing import Any

from harness import Harness, ReadBack


class LocalHarness(Harness):
    name = "local"
    requires = "sqlite3"

    def make_backend(self) -> Any:
        from autolog.backends.local import LocalBackend

        self.tracking_dir = str(self.tmp_path / "autolog-runs")
        return LocalBackend(self.tracking_dir)

    def read_run(self, run_id: str, backend: Any) -> Any:
        from autolog.client import Client

        client = Client(self.tracking_dir)
        try:
            run = client.get_run(run_id)
            metrics = {
                key: [(p.step, p.value) for p in client.get_metric_history(run_id, key)]
                for key in run.metrics
            }
            artifacts = set()
            pending = [None]
            while pending:
                for info in client.list_artifacts(run_id, pending.pop()):
                    (pending.append if info.is_dir else artifacts.add)(info.path)
        finally:
            client.close()
        return ReadBack(
            params=dict(run.params),
            metrics=metrics,
            tags=dict(run.tags),
            status=run.status,
            artifacts=artifacts,
            name=run.name,
        )


HARNESS_CLASS = LocalHarness
