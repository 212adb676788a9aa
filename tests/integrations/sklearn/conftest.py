"""Fixtures for the scikit-learn integration tests: a strict runtime over an in-memory backend."""

from __future__ import annotations

import numpy as np
import pytest
from autolog.integrations.sklearn import uninstrument

import autolog
from autolog import _background, _safety, _session
from autolog.testing import MemoryBackend, MemoryRun


@pytest.fixture
def background_errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, BaseException]]:
    """Errors raised in autolog's background tasks (they cannot reach the test otherwise)."""
    errors: list[tuple[str, BaseException]] = []
    monkeypatch.setattr(_background, "report_internal_error", lambda what, exc: errors.append((what, exc)))
    return errors


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch, background_errors: list) -> None:
    """AUTOLOG_TESTING=1, fresh warnings; afterwards autolog disabled, reset, and no hidden errors."""
    monkeypatch.setenv("AUTOLOG_TESTING", "1")
    _safety.reset_warnings()
    yield
    autolog.flush(30)
    autolog.autolog(disable=True)
    uninstrument()
    _session.current().reset()
    assert not background_errors, background_errors


class Recorder(MemoryBackend):
    """A MemoryBackend whose readers flush first."""

    def all_runs(self) -> list[MemoryRun]:
        """Every run received, oldest first."""
        autolog.flush(30)
        return sorted(self.runs.values(), key=lambda r: r.start.start_time)

    def top_runs(self) -> list[MemoryRun]:
        return [r for r in self.all_runs() if r.start.parent_run_id is None]

    def children(self, parent: MemoryRun) -> list[MemoryRun]:
        return [r for r in self.all_runs() if r.start.parent_run_id == parent.start.run_id]

    def the_run(self) -> MemoryRun:
        found = self.all_runs()
        assert len(found) == 1, [r.start.name for r in found]
        return found[0]


@pytest.fixture
def mem(strict: None) -> Recorder:
    """Autologging on, into a fresh in-memory backend."""
    backend = Recorder()
    autolog.autolog(backends=[backend])
    return backend


@pytest.fixture
def binary_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4))
    y = (x[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    return x, y


@pytest.fixture
def multiclass_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 4))
    y = np.digitize(x[:, 0] + 0.3 * rng.normal(size=150), [-0.5, 0.5])
    return x, y


@pytest.fixture
def regression_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=100)
    return x, y
