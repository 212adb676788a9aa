"""What ``autolog sync`` has to send of one run: the local store read back as records.

For each run, :func:`plan_run` compares the store with the target's watermark
(:class:`autolog.store.sync_state.RunMark`) and returns a :class:`RunWork`: the records that are
new (a ``RunStart`` with the original start time, params, tags, datasets, plots, models and
artifacts, the final ``RunEnd``) and how many metric points wait above the metric watermark
(streamed later, by row id, in batches). Every record carries the *item* it delivers, so what
reached the target is recorded exactly.

How stored artifacts become records:

* a folder holding ``autolog-model.json`` is a model (``ModelRecord`` with the flavor, signature,
  input example and requirements read from it), so MLflow re-saves a scikit-learn model in its
  native flavor; small models the store keeps in its database become models whose files are in
  memory;
* ``checkpoints/<name>`` folders are checkpoints (``ArtifactKind.CHECKPOINT``);
* any other top-level folder is one directory artifact, any other file one file artifact
  (``plots/...`` files are plots); files written out by a reader (a model kept in the database,
  a plot rendered from its data) are not sent twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from autolog.model_format import MODEL_META_FILE
from autolog.records import (
    Artifact,
    ArtifactKind,
    DatasetInput,
    ModelRecord,
    Params,
    Plot,
    Record,
    RunEnd,
    RunStart,
    RunStatus,
)
from autolog.store.entities import StoredRun
from autolog.store.sync_state import RunMark

#: Tags not replayed: the parent relation goes through ``RunStart.parent_run_id`` (the target
#: has its own ids for runs).
_NOT_REPLAYED = frozenset({"mlflow.parentRunId"})
_TMP = ".autolog-tmp-"
_ENDED = {"FINISHED", "FAILED", "KILLED"}

#: (kind, key, digest): what delivering a record puts on the target.
Item = tuple[str, str, str]


def digest(*parts: Any) -> str:
    """A short digest of what was sent (sha1 of the parts' JSON)."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass
class Unit:
    """One model or artifact to send: the record, its item, and its size in bytes."""

    record: Record
    item: Item
    size: int


@dataclass
class RunWork:
    """What to send of one run to one target."""

    run: StoredRun
    run_pk: int
    mark: RunMark
    #: records before the metric points, each with the items it delivers
    head: list[tuple[Record, list[Item]]] = field(default_factory=list)
    points: int = 0
    units: list[Unit] = field(default_factory=list)
    end: RunEnd | None = None

    @property
    def bytes(self) -> int:
        return sum(unit.size for unit in self.units)

    @property
    def has_news(self) -> bool:
        """Whether anything is to be sent: the run itself (new to the target), changed tags,
        params, points, files or its end."""
        if not self.mark.known or self.start().tags or len(self.head) > 1:
            return True
        return bool(self.points or self.units or self.end)

    def start(self) -> RunStart:
        return self.head[0][0]  # type: ignore[return-value]

    def describe(self) -> str:
        """One line for ``--dry-run``."""
        parts = []
        params = sum(len(r.params) for r, _ in self.head if type(r) is Params)
        if params:
            parts.append(f"{params} params")
        if self.start().tags:
            parts.append(f"{len(self.start().tags)} tags")
        others = {DatasetInput: "datasets", Plot: "plots"}
        for kind, label in others.items():
            count = sum(1 for r, _ in self.head if type(r) is kind)
            if count:
                parts.append(f"{count} {label}")
        if self.points:
            parts.append(f"{self.points:,} metric points")
        models = sum(1 for u in self.units if type(u.record) is ModelRecord)
        if models:
            parts.append(f"{models} models")
        if len(self.units) - models:
            parts.append(f"{len(self.units) - models} artifacts")
        if self.units:
            parts.append(f"{self.bytes:,} bytes")
        if self.end is not None:
            parts.append(f"end {self.end.status.value}")
        state = "update" if self.mark.known else "new"
        name = self.run.name or "-"
        return f"{self.run.run_id}  {name}  {state}: {', '.join(parts) or 'nothing new'}"


def plan_run(
    conn: sqlite3.Connection, run: StoredRun, run_pk: int, mark: RunMark, run_dir: str, *, resend_end: bool = False
) -> RunWork:
    """What the target still lacks of ``run``. ``resend_end`` sends the run's end again even if
    the target had it (a run reopened to receive late records is closed again)."""
    work = RunWork(run, run_pk, mark)
    items = mark.items
    tags = {k: v for k, v in run.tags.items() if k not in _NOT_REPLAYED}
    tags_digest = digest(tags)
    send_tags = tags if tags and items.get(("tags", "")) != tags_digest else {}
    start = RunStart(run.run_id, run.experiment, run.name, run.start_time, run.parent_run_id, send_tags)
    work.head.append((start, [("tags", "", tags_digest)] if send_tags else []))
    param_items = [("param", k, digest(v)) for k, v in run.params.items()]
    if any(items.get((kind, key)) != value for kind, key, value in param_items):
        work.head.append((Params(run.run_id, dict(run.params)), param_items))
    for data in run.datasets:
        key = f"{data.name}@{data.digest}"
        if ("dataset", key) not in items:
            record = DatasetInput(run.run_id, data.name, data.digest, data.context or "", data.source_type,
                                  data.schema, data.profile)
            work.head.append((record, [("dataset", key, "1")]))
    plots = dict(conn.execute("SELECT path, spec FROM plots WHERE run_pk = ? ORDER BY path", (run_pk,)).fetchall())
    for path, spec in plots.items():
        spec_digest = digest(spec)
        if items.get(("plot", path)) != spec_digest:
            work.head.append((Plot(run.run_id, path, json.loads(spec)), [("plot", path, spec_digest)]))
    row = conn.execute(
        "SELECT count(*) FROM metrics WHERE run_pk = ? AND rowid > ?", (run_pk, mark.metric_rowid)
    ).fetchone()
    work.points = row[0]
    kept = _kept_models(conn, run, run_pk)
    skip = {f"{folder}/{name}" for folder, unit in kept.items() for name in unit.record.files}  # type: ignore[union-attr]
    skip |= {f"{path}{suffix}" for path in plots for suffix in (".png", ".json")}
    units = list(kept.values()) + list(_disk_units(run, run_dir, skip))
    work.units = [unit for unit in units if items.get(unit.item[:2]) != unit.item[2]]
    if run.status in _ENDED and (mark.status != run.status or resend_end):
        work.end = RunEnd(run.run_id, RunStatus(run.status), run.end_time or run.start_time)
    return work


def _kept_models(conn: sqlite3.Connection, run: StoredRun, run_pk: int) -> dict[str, Unit]:
    """Models whose files the store keeps in its database, by folder."""
    rows = conn.execute("SELECT path, data FROM files WHERE run_pk = ? ORDER BY path", (run_pk,)).fetchall()
    folders: dict[str, dict[str, bytes]] = {}
    for path, data in rows:
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder, {})[name] = bytes(data)
    units = {}
    for folder, files in folders.items():
        if MODEL_META_FILE not in files:
            continue
        meta = json.loads(files[MODEL_META_FILE])
        record = _model_record(run.run_id, "", folder, meta, files)
        size = sum(len(data) for data in files.values())
        units[folder] = Unit(record, ("model", folder, digest(sorted((n, hashlib.sha1(d).hexdigest()) for n, d in files.items()))), size)
    return units


def _model_record(run_id: str, local_path: str, artifact_path: str, meta: dict[str, Any], files: dict[str, bytes]) -> ModelRecord:
    return ModelRecord(
        run_id, local_path, artifact_path, str(meta.get("flavor", "")), meta.get("signature"),
        meta.get("input_example"), tuple(meta.get("requirements") or ()), dict(meta.get("metadata") or {}), files,
    )


def _disk_units(run: StoredRun, run_dir: str, skip: set[str]) -> Iterator[Unit]:
    """The run's artifact folder as models and artifacts (see the module docstring)."""
    if not os.path.isdir(run_dir):
        return

    def visit(folder: str, path: str, in_checkpoints: bool) -> Iterator[Unit]:
        with os.scandir(path) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        for entry in entries:
            if _TMP in entry.name:
                continue
            rel = f"{folder}/{entry.name}" if folder else entry.name
            if entry.is_dir(follow_symlinks=False):
                if os.path.isfile(os.path.join(entry.path, MODEL_META_FILE)):
                    if any(name.startswith(rel + "/") for name in skip):
                        continue  # a database-kept model written out by a reader
                    with open(os.path.join(entry.path, MODEL_META_FILE), encoding="utf-8") as fh:
                        meta = json.load(fh)
                    size, signature = _folder_signature(entry.path)
                    yield Unit(_model_record(run.run_id, entry.path, rel, meta, {}), ("model", rel, signature), size)
                elif not folder and entry.name == "checkpoints":
                    yield from visit(rel, entry.path, True)
                elif in_checkpoints:
                    size, signature = _folder_signature(entry.path)
                    record = Artifact(run.run_id, entry.path, rel, ArtifactKind.CHECKPOINT)
                    yield Unit(record, ("artifact", rel, signature), size)
                elif _holds_model(entry.path) or any(name.startswith(rel + "/") for name in skip):
                    yield from visit(rel, entry.path, False)
                else:
                    size, signature = _folder_signature(entry.path)
                    yield Unit(Artifact(run.run_id, entry.path, rel), ("artifact", rel, signature), size)
            elif entry.is_file() and rel not in skip:
                stat = entry.stat()
                kind = ArtifactKind.PLOT if rel.startswith("plots/") else ArtifactKind.FILE
                record = Artifact(run.run_id, entry.path, rel, kind)
                yield Unit(record, ("artifact", rel, digest(stat.st_size, stat.st_mtime_ns)), stat.st_size)

    yield from visit("", run_dir, False)


def _holds_model(path: str) -> bool:
    return any(MODEL_META_FILE in files for _root, _dirs, files in os.walk(path))


def _folder_signature(path: str) -> tuple[int, str]:
    """Total size and a digest of every file's path, size and modification time."""
    entries = []
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            if _TMP in name:
                continue
            full = os.path.join(root, name)
            try:
                stat = os.stat(full)
            except OSError:
                continue
            total += stat.st_size
            entries.append((os.path.relpath(full, path), stat.st_size, stat.st_mtime_ns))
    return total, digest(sorted(entries))
