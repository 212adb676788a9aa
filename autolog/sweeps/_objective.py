"""The objective of a trial: the sweep's metric as the trial's runs log it, step by step.

In-process, :class:`Tap` stands in for the session's dispatcher while a trial runs: it passes
every record on unchanged and watches the trial's family (the trial run and every run started
under it, such as an autologged fit's child run) for the objective metric. Each point is
reported to Optuna, so hyperband can prune; a pruned trial stops at the logging call that made
it hopeless, with :class:`TrialPruned`.
"""

from __future__ import annotations

import threading
from typing import Any

from autolog.records import Metric, RunStart


class TrialPruned(KeyboardInterrupt):
    """Raised in the trial's thread when the pruner stops the trial. A ``KeyboardInterrupt``:
    training code and integrations stop as on Ctrl-C (their runs end KILLED), and a broad
    ``except Exception`` in the trial function cannot swallow it."""


class Objective:
    """The objective metric's points for one trial, reported to Optuna as they come."""

    def __init__(self, key: str, goal: str, trial: Any | None = None, prune: bool = False) -> None:
        self.key = key
        self.goal = goal
        self.trial = trial
        self.prune = prune
        self.points: list[tuple[int, float]] = []
        self.pruned_at: int | None = None
        self._last_step = -1
        self._lock = threading.Lock()

    def add(self, step: int, value: float) -> bool:
        """Record a point and report it; True when the trial should now be pruned."""
        with self._lock:
            step = step if step > self._last_step else self._last_step + 1
            self._last_step = step
            self.points.append((step, value))
            if self.trial is None or not self.prune or value != value:
                return False  # intermediate values cost a commit each: only for a pruner
            self.trial.report(value, step)
            if self.prune and self.pruned_at is None and self.trial.should_prune():
                self.pruned_at = step
                return True
        return False

    def value(self, summary: str) -> float | None:
        """The last point's value, or the best one by goal (``summary: best``); None if none."""
        values = [v for _, v in self.points if v == v]
        if not values:
            return None
        if summary == "best":
            return min(values) if self.goal == "minimize" else max(values)
        return values[-1]


class Tap:
    """Delegates to the real dispatcher; watches the family of ``root_run_id`` for the metric."""

    def __init__(self, inner: Any, root_run_id: str, objective: Objective) -> None:
        self._inner = inner
        self._family = {root_run_id}
        self._objective = objective
        self._thread = threading.get_ident()

    def emit(self, record: Any) -> None:
        self._inner.emit(record)
        kind = type(record)
        if kind is Metric:
            if record.key == self._objective.key and record.run_id in self._family:
                self._objective.add(record.step, record.value)
                if self._objective.pruned_at is not None and threading.get_ident() == self._thread:
                    raise TrialPruned(f"pruned at step {self._objective.pruned_at}")
        elif kind is RunStart and record.parent_run_id in self._family:
            self._family.add(record.run_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def inner(self) -> Any:
        return self._inner
