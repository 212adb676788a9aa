"""What the local store gives back when read: runs, metric points, artifact entries.

These are the public read-side types (re-exported by :mod:`autolog.client`), frozen and built
from SQLite rows; nothing in them refers back to the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class RunNotFound(LookupError):
    """No run with this id exists in the tracking directory."""


class PagedList(list, Generic[T]):
    """One page of search results (a plain list) and ``token``, the page token of the next page
    (None on the last page), in the shape of MLflow's ``PagedList``."""

    def __init__(self, items: Iterable[T] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token


@dataclass(frozen=True)
class Dataset:
    """A dataset a run used (``context`` is what for, e.g. ``training``; None when not given)."""

    name: str
    digest: str
    context: str | None = None
    source_type: str = ""
    schema: str = ""
    profile: str = ""


@dataclass(frozen=True)
class StoredRun:
    """One run as stored: its attributes, params, latest metric values and tags.

    Times are seconds since the epoch (filters compare milliseconds, as MLflow does). ``metrics``
    maps each key to its latest value: the point with the highest step, ties broken by the latest
    timestamp (MLflow's rule). ``user_id`` is who started the run (None for runs stored before
    autolog recorded it); ``artifact_uri`` is the run's artifact folder as a ``file://`` URI.
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
    user_id: str | None = None
    artifact_uri: str = ""
    datasets: tuple[Dataset, ...] = ()


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


class RegistryError(ValueError):
    """Bad input to the model registry (a malformed name, alias, stage, version or filter), or a
    name that already exists. ``error_code`` is MLflow's code for the same refusal
    (``INVALID_PARAMETER_VALUE``, ``RESOURCE_ALREADY_EXISTS``)."""

    def __init__(self, message: str, error_code: str = "INVALID_PARAMETER_VALUE") -> None:
        super().__init__(message)
        self.error_code = error_code


class RegistryNotFound(LookupError):
    """A registered model, version or alias that does not exist (``RESOURCE_DOES_NOT_EXIST``)."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model, with MLflow's attribute names.

    ``version`` is an int; timestamps are milliseconds since the epoch. ``source`` is where the
    model lives (for a ``runs:/`` registration, the ``file://`` URI of the run's model folder);
    ``model_path`` is that folder's path inside run ``run_id`` (None when registered from a
    plain directory). ``current_stage`` is one of ``None``, ``Staging``, ``Production``,
    ``Archived``; ``aliases`` are the aliases pointing at this version.
    """

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None
    user_id: str | None
    current_stage: str
    source: str
    run_id: str | None
    status: str = "READY"
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    model_path: str | None = None


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model, with MLflow's attribute names: ``latest_versions`` holds the newest
    version in each stage, ``aliases`` maps each alias to its version."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
