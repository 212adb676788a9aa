"""The portable record schema: everything integrations emit and backends receive.

Records are frozen, slotted dataclasses holding only immutable, plain Python values (str, float,
int, tuples, dicts built in the caller thread and never mutated afterwards). Integrations convert
tensors, numpy scalars and framework objects *before* building a record, so nothing mutable or on
a GPU ever crosses into the dispatcher's worker thread.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class RunStatus(str, enum.Enum):
    """Lifecycle state of a run, with MLflow's names."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class ArtifactKind(str, enum.Enum):
    """What an artifact is, so backends can route it (W&B artifact types, MLflow folders)."""

    FILE = "file"
    CHECKPOINT = "checkpoint"
    MODEL = "model"
    PLOT = "plot"


@dataclass(frozen=True, slots=True)
class RunStart:
    """A run begins (or resumes). ``tags`` are the run's initial tags.

    ``resume_step`` is set when an existing run continues from a checkpoint saved at that step
    (``Trainer.train(resume_from_checkpoint=...)``): the run keeps its id, params and history up
    to that step; points the interrupted attempt logged *after* it are superseded (the local store
    removes them, so the history has no duplicated steps).

    ``attach`` is set when this process logs into a run that another process owns and will end
    (``AUTOLOG_RUN_ID``, ``autolog.run(run_id=...)``): backends find the existing run and must not
    take it over (no new writer identity, no status change); ``tags`` are added to it.
    """

    run_id: str
    experiment: str
    name: str
    start_time: float
    parent_run_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    resume_step: int | None = None
    attach: bool = False


@dataclass(frozen=True, slots=True)
class RunEnd:
    """A run ends with ``status`` at ``end_time`` (seconds since the epoch).

    ``detach`` is set when a process that *attached* to the run (see :class:`RunStart`) stops
    logging to it: the run goes on and its owner ends it. Backends release what they hold for the
    run and leave its status alone; ``status`` is then the attaching process's own outcome.
    """

    run_id: str
    status: RunStatus
    end_time: float
    detach: bool = False


@dataclass(frozen=True, slots=True)
class Params:
    """A batch of hyperparameters. Values are already strings; keys are unique within a run."""

    run_id: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Tags:
    """A batch of tags (mutable metadata: a later value for a key replaces the earlier one)."""

    run_id: str
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric point. ``timestamp`` is seconds since the epoch; ``step`` defaults to 0."""

    run_id: str
    key: str
    value: float
    step: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file or directory to copy into the run's artifact store under ``artifact_path``.

    ``local_path`` belongs to autolog once the record is emitted when ``staged`` is true (a private
    copy or hard-link farm that the backend may read at leisure and the dispatcher deletes after
    every backend has received it); otherwise it is the user's file, read as it is at delivery.
    """

    run_id: str
    local_path: str
    artifact_path: str | None = None
    kind: ArtifactKind = ArtifactKind.FILE
    staged: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A logged model: a directory written in autolog's model format (see ``autolog.model_format``).

    ``local_path`` is a staged directory holding ``autolog-model.json`` plus the flavor's files;
    it belongs to autolog and is deleted once every backend has received it.
    ``signature`` is ``{"inputs": [...], "outputs": [...]}`` in autolog's portable form
    (see ``autolog.signature``); ``input_example`` is a JSON-ready dict ``{"columns": [...],
    "data": [[...], ...]}`` or ``{"inputs": {...}}`` for tensors.
    """

    run_id: str
    local_path: str
    artifact_path: str
    flavor: str
    signature: Mapping[str, Any] | None = None
    input_example: Mapping[str, Any] | None = None
    requirements: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: a small model's files held in memory (name -> bytes) instead of a directory: then
    #: ``local_path`` is ``""``. The dispatcher writes them to a staged directory for every backend
    #: that does not take them as they are (``Backend.accepts_model_files``).
    files: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plot:
    """A plot as its data: a JSON-ready spec (see :mod:`autolog.plots`), not an image.

    ``artifact_path`` has no extension: the local store keeps ``<artifact_path>.json`` and
    renders ``<artifact_path>.png`` when it is first read; image-only backends render the PNG
    when they deliver it.
    """

    run_id: str
    artifact_path: str
    spec: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset the run used: ``name`` and ``digest`` identify it (logging the same pair again
    changes nothing); ``context`` says what for (``training``, ``eval``; empty for none)."""

    run_id: str
    name: str
    digest: str
    context: str = "training"
    source_type: str = ""
    schema: str = ""
    profile: str = ""


Record = RunStart | RunEnd | Params | Tags | Metric | Artifact | ModelRecord | Plot | DatasetInput

__all__ = [
    "Artifact",
    "ArtifactKind",
    "DatasetInput",
    "Metric",
    "ModelRecord",
    "Params",
    "Plot",
    "Record",
    "RunEnd",
    "RunStart",
    "RunStatus",
    "Tags",
]
