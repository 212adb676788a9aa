"""Contract harness for the local store: reads runs back through ``autolog.client.Client``."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any


def _sibling(name: str) -> Any:
    """Import ``tests/backends/<name>.py`` by path (the tests folder is not a package)."""
    module = sys.modules.get(name)
    if module is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


_harness = _sibling("harness")
Harness, ReadBack = _harness.Harness, _harness.ReadBack


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
