"""``autolog.sync``: send runs from the local store to any backend, later, as often as wanted.

    summary = autolog.sync("mlflow", options={"tracking_uri": "http://mlflow:5000"})
    print(summary)          # 12 runs sent, 48,000 metric points, 3.1 MB ...

The local store is the journal: every run is replayed through the same backend plugin autolog
uses live (built by the plugin manager's ``autolog_make_backend`` hook, ``options`` as in
``backend_options``), with its original start time, params, tags, every metric point with its
step and timestamp, datasets, plots, models, artifacts, its final status, and child runs under
their parent. What each target received is kept in the store (see
:mod:`autolog.store.sync_state`), so a second sync sends only what is new, a run still training
can be synced again and again and ends as one complete run on the target, and a sync that was
interrupted (killed, the server gone) continues where it stopped. Runs the target already holds
from a live run (a backend put aside during training, whose missed records were lost at exit)
are found by their ``autolog.run_id`` tag on MLflow and completed: MLflow keeps a metric point
once however often it is sent. Then, to a backend with a model registry, the local registry's
versions of runs the target holds, and their aliases (:mod:`autolog._sync_registry`).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from autolog._sync_deliver import BackendNotInstalled, Courier, Progress, SyncError, size_text
from autolog._sync_plan import RunWork, plan_run
from autolog._sync_registry import plan_registry_into, sync_registry
from autolog.records import Metric, RunEnd, RunStatus
from autolog.sdk.backend_base import Backend

__all__ = ["BackendNotInstalled", "SyncError", "SyncSummary", "sync"]


@dataclass
class SyncSummary:
    """What a sync sent (or, with ``dry_run``, would send) to one target."""

    backend: str
    target: Mapping[str, Any]
    dry_run: bool = False
    #: runs selected (with the ancestors of child runs)
    runs: int = 0
    #: runs that had something new
    runs_sent: int = 0
    points: int = 0
    bytes: int = 0
    #: what was or would be sent, one line per run with something new
    plan: list[str] = field(default_factory=list)
    #: run id -> why the target refused it
    failed: dict[str, str] = field(default_factory=dict)
    #: registry versions and aliases sent (or that would be)
    versions: int = 0
    aliases: int = 0
    #: "<name>/<version>", "<name>@<alias>" or a model name -> why the target's registry refused it
    registry_failed: dict[str, str] = field(default_factory=dict)
    #: local registry versions not sent: their run or model is not on the target, or the
    #: target has no registry (``no_registry``)
    versions_unsent: int = 0
    no_registry: bool = False
    seconds: float = 0.0

    @property
    def up_to_date(self) -> int:
        return self.runs - self.runs_sent

    def __str__(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        where = ", ".join(f"{k}={v}" for k, v in self.target.items() if k != "name")
        text = (
            f"{self.backend}{f' ({where})' if where else ''}: {verb} {self.runs_sent} of {self.runs} runs "
            f"({self.up_to_date} up to date), {self.points:,} metric points, {size_text(self.bytes)}"
        )
        if self.versions or self.aliases:
            text += f", {self.versions} registry versions, {self.aliases} aliases"
        if not self.dry_run:
            text += f" in {self.seconds:.1f}s"
        if self.failed:
            text += f"; {len(self.failed)} run(s) refused: " + "; ".join(f"{k}: {v}" for k, v in self.failed.items())
        if self.registry_failed:
            text += f"; the registry refused {len(self.registry_failed)}: " + "; ".join(
                f"{k}: {v}" for k, v in self.registry_failed.items())
        if self.no_registry and self.versions_unsent:
            text += f"\nmodel registry: {self.versions_unsent} versions not sent ({self.backend} has no model registry)"
        elif self.versions_unsent:
            text += (f"\nmodel registry: {self.versions_unsent} versions not sent (their run or model is not on "
                     f"{self.backend}: sync the run, or it was registered from a folder)")
        return text


def sync(
    to: str | Backend = "mlflow",
    *,
    tracking_dir: str | None = None,
    experiment: str | Sequence[str] | None = None,
    run_ids: Sequence[str] | None = None,
    filter_string: str = "",
    options: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    retry_seconds: float = 30.0,
    progress: IO[str] | None = None,
) -> SyncSummary:
    """Send the runs of the local store in ``tracking_dir`` to the backend ``to``.

    ``to`` is a backend name (``"mlflow"``, ``"wandb"``, ``"tensorboard"``, or one a plugin
    provides) built with ``options`` (as ``backend_options`` would give it), or a ``Backend``.
    Runs are chosen by ``experiment`` (a name or names), ``run_ids`` and ``filter_string``
    (the ``search_runs`` grammar); a child run brings its parent. ``dry_run`` sends nothing and
    lists what would be sent. Network errors are retried for ``retry_seconds``; ``progress`` is
    a stream for a progress line (stderr in the CLI). When the backend has a model registry
    (``Backend.model_registry()``, MLflow's), the registered versions whose runs the target
    holds, after this sync or an earlier one, are sent with their models' descriptions and tags,
    and the aliases follow (``summary.versions``, ``summary.aliases``).

    Raises ``LookupError`` for a run id the store lacks, ``ValueError`` for an unknown backend,
    a bad option or a malformed filter (nothing is sent then), :class:`SyncError` when the
    target stops answering or its library is not installed (what was delivered is recorded: run
    it again to continue).
    """
    from autolog.client import _flush_own_writes
    from autolog.store import default_tracking_dir
    from autolog.store.sqlite import SqliteStore
    from autolog.store.sync_state import SyncState, target_key

    started = time.monotonic()
    backend = build_backend(to, options or {})
    summary = SyncSummary(backend.name, backend.describe(), dry_run)
    directory = default_tracking_dir(tracking_dir)
    _flush_own_writes()
    store = SqliteStore(directory)
    lock: IO[bytes] | None = None
    try:
        if not store.exists():
            if run_ids:
                raise LookupError(f"no run with id {run_ids[0]!r} in {directory} (it holds no runs)")
            return summary
        conn = store.connection()
        store.reap_dead_runs(conn)
        runs = select_runs(conn, store, experiment, filter_string, run_ids)
        pks = dict(conn.execute(
            "SELECT run_id, run_pk FROM runs WHERE run_id IN (SELECT value FROM json_each(?))",
            (json.dumps([r.run_id for r in runs]),),
        ).fetchall())
        state = SyncState(conn, backend.name, target_key(summary.target))
        if not dry_run:  # before the watermarks are read: a sync running meanwhile would move them
            lock = _target_lock(directory, state.target, backend.name)
        marks = state.marks(list(pks.values()))
        works = [plan_run(conn, run, pks[run.run_id], marks[pks[run.run_id]], store.run_artifact_dir(run.run_id))
                 for run in runs]
        todo = _with_ancestors(works)
        summary.runs = len(works)
        summary.runs_sent = sum(1 for work in works if work.has_news)
        summary.plan = [work.describe() for work in works if work.has_news]
        registry = backend.model_registry()
        if dry_run:
            summary.points = sum(w.points for w in works if w.has_news)
            summary.bytes = sum(w.bytes for w in works if w.has_news)
            plan_registry_into(conn, state, registry, summary, works)
            return summary
        meter = Progress(progress, backend.name, len(todo), sum(w.points for w in todo), sum(w.bytes for w in todo))
        courier = Courier(backend, state, retry_seconds, meter.delivered)
        try:
            _replay(courier, store, todo, meter)
            courier.call(backend.flush)
            sync_registry(conn, state, registry, summary, courier)
        finally:
            summary.points, summary.bytes, summary.failed = courier.points, courier.bytes, courier.failed
            summary.seconds = time.monotonic() - started
            meter.close()
            _close(backend)
        return summary
    finally:
        if lock is not None:
            lock.close()
        store.close()


def build_backend(to: str | Backend, options: Mapping[str, Any]) -> Backend:
    """The backend ``to`` names, built by the plugin that provides it with ``options``."""
    if isinstance(to, Backend):
        return to
    from autolog import _plugins
    from autolog._session import _BACKEND_LIBRARIES, _missing
    from autolog.config import resolve

    library = _BACKEND_LIBRARIES.get(to)
    if library and _missing(library):
        raise BackendNotInstalled(f"the {to} backend needs the {library!r} package: pip install 'autolog-suite[{to}]'")
    # the registry goes as the store holds it (versions and aliases), never as live registration
    # would make it: AUTOLOG_REGISTERED_MODEL_NAME in the environment does not apply to a sync
    config = resolve(backend_options={to: _with_defaults(to, options)}, registered_model_name=None,
                     registered_model_alias=None)
    try:
        backend = _plugins.plugin_manager().hook.autolog_make_backend(name=to, config=config)
    except TypeError as exc:
        raise ValueError(f"bad option for the {to} backend: {exc}") from exc
    if backend is None:
        known = ", ".join(sorted(_plugins.known_backend_names() - {"local"}))
        raise ValueError(f"unknown backend {to!r} (installed: {known})")
    return backend


def _with_defaults(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with the defaults a built-in backend would read from its environment made
    explicit, so that the target (and its watermarks) names where the data really goes: the
    same store synced after ``MLFLOW_TRACKING_URI`` changed goes to the new server whole."""
    import os

    chosen = dict(options)
    if name == "mlflow" and not chosen.get("tracking_uri"):
        import mlflow

        chosen["tracking_uri"] = mlflow.get_tracking_uri()
    elif name == "wandb":
        for key, variable in (("project", "WANDB_PROJECT"), ("entity", "WANDB_ENTITY")):
            if not chosen.get(key) and os.environ.get(variable):
                chosen[key] = os.environ[variable]
    return chosen


def select_runs(conn: Any, store: Any, experiment: str | Sequence[str] | None, filter_string: str,
                run_ids: Sequence[str] | None) -> list[Any]:
    """The runs to sync, parents before children (a child run brings its ancestors)."""
    from autolog.store import queries
    from autolog.store.entities import RunNotFound

    uri = store.artifacts_uri
    matching: dict[str, Any] = {}
    if not run_ids or experiment or filter_string:
        token = None
        while True:
            page = queries.search_runs(conn, experiment, filter_string, None, 50_000, token, artifacts_uri=uri)
            matching.update((run.run_id, run) for run in page)
            token = page.token
            if not token:
                break
    runs: dict[str, Any] = {}
    for run_id in run_ids or ():
        try:
            run = queries.get_run(conn, run_id, artifacts_uri=uri)
        except RunNotFound:
            raise RunNotFound(f"no run with id {run_id!r} in {store.root}") from None
        if not (experiment or filter_string) or run_id in matching:
            runs[run_id] = run
    if not run_ids:
        runs = matching
    pending = [run.parent_run_id for run in runs.values() if run.parent_run_id]
    while pending:
        parent = pending.pop()
        if parent in runs:
            continue
        try:
            runs[parent] = queries.get_run(conn, parent, artifacts_uri=uri)
        except RunNotFound:
            continue
        if runs[parent].parent_run_id:
            pending.append(runs[parent].parent_run_id)

    children: dict[str | None, list[Any]] = {}
    for run in sorted(runs.values(), key=lambda r: (r.start_time, r.run_id)):
        parent = run.parent_run_id if run.parent_run_id in runs and run.parent_run_id != run.run_id else None
        children.setdefault(parent, []).append(run)
    ordered: list[Any] = []
    stack = list(reversed(children.get(None, [])))
    while stack:  # depth first: a parent, then its children, as they ran
        run = stack.pop()
        ordered.append(run)
        stack.extend(reversed(children.get(run.run_id, [])))
    return ordered


def _with_ancestors(works: list[RunWork]) -> list[RunWork]:
    """The runs to replay: those with news, and the ancestors they must be created under. A
    run replayed that has ended is ended again (a reopened W&B run would otherwise finish as
    successful), with its own status and end time."""
    by_id = {work.run.run_id: work for work in works}
    chosen = {work.run.run_id for work in works if work.has_news}
    for run_id in list(chosen):
        parent = by_id[run_id].run.parent_run_id
        while parent in by_id and parent not in chosen:
            chosen.add(parent)
            parent = by_id[parent].run.parent_run_id
    todo = [work for work in works if work.run.run_id in chosen]
    for work in todo:
        run = work.run
        if work.end is None and run.status in ("FINISHED", "FAILED", "KILLED"):
            work.end = RunEnd(run.run_id, RunStatus(run.status), run.end_time or run.start_time)
    return todo


def _replay(courier: Courier, store: Any, todo: list[RunWork], meter: Progress) -> None:
    """Feed every run's records to the courier: start, head, points by row id, files, end."""
    from autolog.store.schema import open_connection

    reader = open_connection(store.db_path)  # streams points while the writer records watermarks
    open_runs: list[RunWork] = []  # a run ends after its children, as it did live
    by_id = {work.run.run_id: work for work in todo}
    try:
        for work in todo:
            run_id = work.run.run_id
            while open_runs and not _is_ancestor(open_runs[-1].run.run_id, work, by_id):
                _end(courier, open_runs.pop())
            try:
                courier.call(courier.backend.reattach_run, run_id, work.mark.target_run_id)
            except SyncError:
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. the run was deleted on the target
                courier.refused(run_id, exc)
                continue
            for record, items in work.head:
                courier.add(record, work.run_pk, [*items])
            if work.points:
                _stream_points(courier, reader, work)
            for unit in work.units:
                courier.add(unit.record, work.run_pk, [unit.item], size=unit.size)
            open_runs.append(work)
            meter.run_done()
        while open_runs:
            _end(courier, open_runs.pop())
        courier.deliver()
    finally:
        reader.close()


def _end(courier: Courier, work: RunWork) -> None:
    if work.end is not None:
        courier.add(work.end, work.run_pk)


def _is_ancestor(candidate: str, work: RunWork, by_id: Mapping[str, RunWork]) -> bool:
    parent = work.run.parent_run_id
    seen: set[str] = set()
    while parent is not None and parent not in seen:
        if parent == candidate:
            return True
        seen.add(parent)
        parent = by_id[parent].run.parent_run_id if parent in by_id else None
    return False


def _stream_points(courier: Courier, reader: Any, work: RunWork) -> None:
    run_id, run_pk = work.run.run_id, work.run_pk
    cursor = reader.execute(
        "SELECT rowid, key, value, step, timestamp FROM metrics WHERE run_pk = ? AND rowid > ? ORDER BY rowid",
        (run_pk, work.mark.metric_rowid),
    )
    while True:
        rows = cursor.fetchmany(5_000)
        if not rows:
            break
        for rowid, key, value, step, timestamp in rows:
            point = Metric(run_id, key, math.nan if value is None else value, step, timestamp)
            courier.add(point, run_pk, rowid=rowid)


def _target_lock(directory: str, target: str, name: str) -> IO[bytes]:
    """Hold the lock of one target while syncing to it: two syncs at once would both create the
    runs neither has recorded yet. Released when the file closes, or the process dies."""
    import hashlib
    import os

    path = os.path.join(directory, f".sync-{hashlib.sha1(target.encode()).hexdigest()[:16]}.lock")
    handle = open(path, "ab")  # noqa: SIM115 - held until the sync ends
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SyncError(f"another autolog sync to {name} from {directory} is running; nothing was sent") from None
    return handle


def _close(backend: Backend) -> None:
    try:
        backend.close()
    except Exception as exc:  # noqa: BLE001 - everything was delivered; closing is housekeeping
        print(f"autolog: closing the {backend.name} backend failed: {exc}", file=sys.stderr)
