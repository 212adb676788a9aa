"""What the local store gives back when read: runs, metric points, artifact entries.

These are the public read-side types (re-exported by :mod:`autolog.client`), frozen and built
from SQLite rows; nothing in them refers back to the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class RunNotFound(LookupError):
    """No run with this id exists in the tracking directory."""


@dataclass(frozen=True)
class Run:
    """One run as stored: its attributes, params, latest metric values and tags.

    Times are seconds since the epoch. ``metrics`` maps each key to its latest value: the point
    with the highest step, ties broken by the latest timestamp (MLflow's rule).
    """

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: float
    end_time: float | None
    parent_run_id: str | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricPoint:
    """One point of a metric's history."""

    step: int
    value: float
    timestamp: float


@dataclass(frozen=True)
class ArtifactInfo:
    """An entry of a run's artifact folder. ``path`` is relative to the run root, with ``/``."""

    path: str
    is_dir: bool
    file_size: int | None
