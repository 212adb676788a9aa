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


class ExperimentNotFound(LookupError):
    """No experiment with this id (or name) exists in the tracking directory."""


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage (MLflow's ``ViewType``)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @staticmethod
    def stages(view_type: int) -> tuple[str, ...]:
        """The lifecycle stages ``view_type`` selects; ``ValueError`` for an unknown one."""
        found = {1: ("active",), 2: ("deleted",), 3: ("active", "deleted")}.get(view_type)
        if found is None:
            raise ValueError(f"run_view_type must be ViewType.ACTIVE_ONLY, DELETED_ONLY or ALL, got {view_type!r}")
        return found


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
class RunInfo:
    """A run's attributes as MLflow's ``run.info`` has them: times in **milliseconds** since the
    epoch (ints), ``experiment_id`` a string."""

    run_id: str
    run_name: str
    experiment_id: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        """MLflow's older name of ``run_id``."""
        return self.run_id


@dataclass(frozen=True)
class RunData:
    """A run's params, latest metric values and tags, as MLflow's ``run.data`` has them (the
    tags include MLflow's system tags ``mlflow.runName``, ``mlflow.user``, ``mlflow.parentRunId``)."""

    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


@dataclass(frozen=True)
class Experiment:
    """An experiment as MLflow's client gives it: ``experiment_id`` a string, times in
    milliseconds since the epoch."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


def epoch_ms(seconds: float | None) -> int | None:
    """Seconds since the epoch as MLflow's integer milliseconds (truncated, as filters compare)."""
    return None if seconds is None else int(seconds * 1000)


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
    experiment_id: str = ""
    lifecycle_stage: str = "active"

    @property
    def info(self) -> RunInfo:
        """The run's attributes in MLflow's shape (``run.info.run_id``, times in ms)."""
        return RunInfo(
            run_id=self.run_id, run_name=self.name, experiment_id=self.experiment_id,
            user_id=self.user_id or "", status=self.status, start_time=epoch_ms(self.start_time) or 0,
            end_time=epoch_ms(self.end_time), artifact_uri=self.artifact_uri,
            lifecycle_stage=self.lifecycle_stage,
        )

    @property
    def data(self) -> RunData:
        """The run's params, metrics and tags in MLflow's shape (``run.data.metrics["acc"]``)."""
        system = {"mlflow.runName": self.name, "mlflow.user": self.user_id, "mlflow.parentRunId": self.parent_run_id}
        tags = {key: value for key, value in system.items() if value}
        tags.update(self.tags)
        return RunData(dict(self.params), dict(self.metrics), tags)


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
