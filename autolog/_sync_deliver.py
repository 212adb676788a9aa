"""Delivering ``autolog sync`` batches to a backend and recording what arrived.

A :class:`Courier` collects records into batches (up to :data:`BATCH_POINTS` metric points,
:data:`BATCH_BYTES` of files, :data:`BATCH_RECORDS` records), hands each to the backend through
:meth:`Backend.plan_delivery` (the same grouping the live dispatcher uses: one ``log_metrics``
call for a run's consecutive points, MLflow then sending 1,000 a request), and after every batch
records in the store's watermarks exactly what the calls that succeeded carried.

Failures: network trouble (``Backend.is_transient``) is retried with back-off within
``retry_seconds`` shared by the whole outage, as the live lanes do; past it the sync stops with a
:class:`SyncError` and the next sync resumes at the last recorded batch. Unlike a live lane, a
sync never puts a backend aside to probe it later: nobody is training, the user is waiting. A
call the target refuses (not transient) fails that run only: its remaining records are skipped
and the run is reported; the other runs go on.

:class:`Progress` is the progress line (runs, points, bytes) the CLI writes to stderr.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from autolog._dispatch import materialize_models, remove_staged
from autolog.records import Metric, ModelRecord, Record, RunEnd, RunStart
from autolog.sdk.backend_base import Backend, BackendUnavailable
from autolog.store.sync_state import Delivered, SyncState

#: A batch is delivered once it holds this many metric points, bytes of files, or records.
BATCH_POINTS = 20_000
BATCH_BYTES = 64 * 1024 * 1024
BATCH_RECORDS = 2_000


class SyncError(RuntimeError):
    """The sync stopped before the end (the target stopped answering, or cannot be used, or its
    backend is not installed). What was delivered is recorded: running it again continues."""


class BackendNotInstalled(SyncError):
    """The backend's library is not installed: nothing was sent."""


#: What delivering a record means for the watermark: (run_pk, items, metric row id, size).
_Origin = tuple[int, list[tuple[str, str, str]], int, int]


class Courier:
    """Batches records for one backend, delivers them, and records what arrived."""

    def __init__(
        self,
        backend: Backend,
        state: SyncState,
        retry_seconds: float,
        on_delivered: Callable[[int, int], None] | None = None,
    ) -> None:
        self.backend = backend
        self.state = state
        self.retry_seconds = retry_seconds
        self.on_delivered = on_delivered
        #: run id -> the error that made the target refuse it
        self.failed: dict[str, str] = {}
        self.points = 0
        self.bytes = 0
        self.records = 0
        self._batch: list[Record] = []
        self._origins: dict[int, _Origin] = {}
        self._staged: list[str] = []
        self._batch_points = 0
        self._batch_bytes = 0
        self._run_pks: dict[str, int] = {}
        self._down_since: float | None = None
        self._files_ok = bool(getattr(backend, "accepts_model_files", False))

    # -- building batches ------------------------------------------------------------------
    def add(self, record: Record, run_pk: int, items: Sequence[tuple[str, str, str]] = (), rowid: int = 0,
            size: int = 0) -> None:
        """Queue ``record``; deliver the batch when it is full."""
        if record.run_id in self.failed:
            return
        if type(record) is ModelRecord and record.files and not record.local_path and not self._files_ok:
            record = materialize_models([record])[0]
            self._staged.append(record.local_path)  # type: ignore[union-attr]
        self._run_pks[record.run_id] = run_pk
        self._batch.append(record)
        self._origins[id(record)] = (run_pk, list(items), rowid, size)
        if type(record) is Metric:
            self._batch_points += 1
        self._batch_bytes += size
        if (self._batch_points >= BATCH_POINTS or self._batch_bytes >= BATCH_BYTES
                or len(self._batch) >= BATCH_RECORDS):
            self.deliver()

    def call(self, method: Callable[..., Any], *args: Any) -> Any:
        """Call the backend, retrying network trouble within the retry budget."""
        delay = 0.25
        while True:
            try:
                result = method(*args)
            except BackendUnavailable as exc:
                raise SyncError(f"{self.backend.name} cannot be used: {exc}") from exc
            except Exception as exc:
                if not self._transient(exc):
                    raise
                now = time.monotonic()
                if self._down_since is None:
                    self._down_since = now
                if now + delay - self._down_since > self.retry_seconds:
                    raise SyncError(
                        f"{_where(self.backend)} did not answer for {self.retry_seconds:g}s "
                        f"({type(exc).__name__}: {_first_line(exc)})"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._down_since = None
            return result

    def refused(self, run_id: str, exc: BaseException) -> None:
        """The target refused a call for ``run_id``: skip the rest of that run."""
        self.failed.setdefault(run_id, f"{type(exc).__name__}: {_first_line(exc)}")

    # -- delivering ------------------------------------------------------------------------
    def deliver(self) -> None:
        """Deliver the batch, then record what arrived (also when the sync stops half-way)."""
        batch, origins, staged = self._batch, self._origins, self._staged
        self._batch, self._origins, self._staged = [], {}, []
        self._batch_points = self._batch_bytes = 0
        if not batch:
            return
        arrived: list[Record] = []
        try:
            calls = self.backend.plan_delivery(batch)
            for _what, method, args, part in calls:
                runs = {record.run_id for record in part}
                if runs & self.failed.keys():
                    continue
                try:
                    self.call(method, *args)
                except SyncError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the target refused: that run only
                    for run_id in runs:
                        self.refused(run_id, exc)
                    continue
                arrived.extend(part)
        finally:
            try:
                self._record(arrived, origins)
            finally:
                remove_staged(staged)

    def _record(self, arrived: list[Record], origins: dict[int, _Origin]) -> None:
        delivered: dict[int, Delivered] = {}
        points = size = 0
        for record in arrived:
            run_pk, items, rowid, record_size = origins[id(record)]
            entry = delivered.get(run_pk)
            if entry is None:
                entry = delivered[run_pk] = Delivered(run_pk)
            kind = type(record)
            if kind is Metric:
                entry.metric_rowid = max(entry.metric_rowid, rowid)
                entry.metric_points += 1
                points += 1
            elif kind is RunEnd:
                entry.status = record.status.value  # type: ignore[union-attr]
            elif kind is RunStart:
                entry.target_run_id = self.backend.delivered_run_id(record.run_id)
            entry.items.update({(k, key): value for k, key, value in items})
            size += record_size
        self.state.record(delivered.values())
        self.points += points
        self.bytes += size
        self.records += len(arrived)
        if self.on_delivered is not None:
            self.on_delivered(points, size)

    def _transient(self, exc: BaseException) -> bool:
        try:
            return bool(self.backend.is_transient(exc))
        except Exception:  # noqa: BLE001 - a broken is_transient means "not worth retrying"
            return False


def _where(backend: Backend) -> str:
    info = backend.describe()
    place = next((str(v) for k, v in info.items() if k != "name"), "")
    return f"{backend.name} ({place})" if place else backend.name


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


class Progress:
    """A one-line progress report (runs, points, bytes) on a stream: rewritten in place on a
    terminal, a line every few seconds elsewhere."""

    def __init__(self, stream: IO[str] | None, name: str, runs: int, points: int, size: int) -> None:
        self.stream, self.name = stream, name
        self.totals = (runs, points, size)
        self.done = [0, 0, 0]
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.last = 0.0

    def delivered(self, points: int, size: int) -> None:
        self.done[1] += points
        self.done[2] += size
        self._show()

    def run_done(self) -> None:
        self.done[0] += 1
        self._show()

    def _line(self) -> str:
        (runs, points, size), (r, p, b) = self.totals, self.done
        return (f"sync to {self.name}: runs {r}/{runs}, points {p:,}/{max(points, p):,}, "
                f"{size_text(b)}/{size_text(max(size, b))}")

    def _show(self, final: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not final and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        end = "\n" if final or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + self._line() + end)
        self.stream.flush()

    def close(self) -> None:
        if self.totals[0]:
            self._show(final=True)


def size_text(count: int) -> str:
    """``count`` bytes for people: ``512 bytes``, ``3.1 MB``."""
    if count < 1024:
        return f"{count:,} bytes"
    value = float(count)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
