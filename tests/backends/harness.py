"""The backend contract harness: how the contract suite drives and reads back each backend.

Each backend's tests provide one ``Harness`` subclass in ``tests/backends/harness_<name>.py``
(a module-level ``HARNESS_CLASS``) whose ``read_run`` reads what the *real* system stored (the
SQLite file, the MLflow server through ``MlflowClient``, the W&B offline files, the TensorBoard
event files) - never the backend object's own memory. ``test_contract.py`` parametrises over
every harness whose library is installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReadBack:
    """What a tracking system holds for one run, normalised for comparison."""

    params: dict[str, str] = field(default_factory=dict)
    #: key -> list of (step, value) in step order
    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: "RUNNING" / "FINISHED" / "FAILED" / "KILLED", or None where the system has no status
    status: str | None = None
    #: relative artifact paths (files), e.g. "notes/readme.txt"
    artifacts: set[str] = field(default_factory=set)
    name: str | None = None


class Harness:
    """Builds a backend on a fresh real store under ``tmp_path`` and reads runs back."""

    #: the backend name, as in ``autolog(backends=[...])``
    name: str = ""
    #: module that must import for this harness to run (pytest.importorskip)
    requires: str = ""
    #: what the system can express: tests skip checks a system cannot represent
    supports_status: bool = True
    supports_artifacts: bool = True
    supports_tags: bool = True

    def __init__(self, tmp_path: Any) -> None:
        self.tmp_path = tmp_path

    def make_backend(self) -> Any:
        """Return a new Backend writing to a fresh real store under ``self.tmp_path``."""
        raise NotImplementedError

    def read_run(self, run_id: str, backend: Any) -> ReadBack:
        """Read back run ``run_id`` from the real store, after ``backend.flush()``/``close()``."""
        raise NotImplementedError

    def teardown(self) -> None:
        """Stop whatever ``make_backend`` started."""
