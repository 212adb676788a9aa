"""The dispatcher: records from callers, delivered in batches to every backend, each isolated.

Callers append records to one unbounded deque (an atomic ``append`` under the GIL, about a
tenth of a microsecond) and return. One dispatcher thread wakes every ``flush_interval`` seconds,
or early when ``batch_size`` records wait, drains the deque and hands the same immutable batch to
one *lane* per backend. Each lane has its own thread, so a backend that raises or hangs delays
neither training nor the other backends. Modelled on OpenTelemetry's batch span processor, with
what it lacks: only metric points may ever be dropped (params, tags, artifacts, models and run
lifecycle never are), drops are counted and reported, failing calls are retried with back-off,
and ``flush(timeout)`` waits for every lane that is still answering.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Sequence

from autolog._safety import logger, testing, warn_once
from autolog.backend import Backend, overrides_write_batch
from autolog.records import Artifact, Metric, ModelRecord, Params, Record, RunEnd, RunStart, Tags
from autolog.records import DatasetInput

#: A lane is "stalled" when one backend call has been running this long; flushes stop waiting.
STALL_SECONDS = 10.0


class _FlushToken:
    """Travels through the queue behind the records it must see delivered."""

    __slots__ = ("events",)

    def __init__(self, lanes: Sequence["_Lane"]) -> None:
        self.events = {id(lane): threading.Event() for lane in lanes}


class _Batch:
    """One drained batch, shared by every lane; staged files are removed after the last lane."""

    __slots__ = ("records", "staged", "_remaining", "_lock")

    def __init__(self, records: list[Record], lanes: int) -> None:
        self.records = records
        self.staged = [
            r.local_path
            for r in records
            if type(r) is ModelRecord or (type(r) is Artifact and r.staged)  # type: ignore[union-attr]
        ]
        self._remaining = lanes
        self._lock = threading.Lock()

    def release(self) -> None:
        if not self.staged:
            return
        with self._lock:
            self._remaining -= 1
            last = self._remaining == 0
        if last:
            remove_staged(self.staged)


def remove_staged(paths: Iterable[str]) -> None:
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.remove(path)
            except OSError:
                pass


def plan_calls(records: Sequence[Record]) -> list[tuple[str, tuple[Any, ...], int]]:
    """Group a batch into as few backend calls as possible, keeping each run's order.

    Metric points of a run are held back and sent as one ``log_metrics`` call just before that
    run's next non-metric record (or at the end), so ``end_run`` always follows its metrics.
    Returns ``(method name, args, number of records)`` triples.
    """
    calls: list[tuple[str, tuple[Any, ...], int]] = []
    pending: dict[str, list[Metric]] = {}

    def release(run_id: str) -> None:
        points = pending.pop(run_id, None)
        if points:
            calls.append(("log_metrics", (run_id, points), len(points)))

    for record in records:
        kind = type(record)
        if kind is Metric:
            pending.setdefault(record.run_id, []).append(record)  # type: ignore[union-attr]
            continue
        release(record.run_id)
        if kind is Params:
            calls.append(("log_params", (record.run_id, record.params), 1))  # type: ignore[union-attr]
        elif kind is Tags:
            calls.append(("set_tags", (record.run_id, record.tags), 1))  # type: ignore[union-attr]
        elif kind is RunStart:
            calls.append(("start_run", (record,), 1))
        elif kind is RunEnd:
            calls.append(("end_run", (record,), 1))
        elif kind is Artifact:
            calls.append(("log_artifact", (record,), 1))
        elif kind is ModelRecord:
            calls.append(("log_model", (record,), 1))
        elif kind is DatasetInput:
            calls.append(("log_dataset", (record,), 1))
    for run_id in list(pending):
        release(run_id)
    return calls


class _Lane:
    """One backend's delivery thread: a queue of batches, retries, and failure bookkeeping."""

    def __init__(self, backend: Backend, retry_seconds: float, max_backlog: int) -> None:
        self.backend = backend
        self.name = getattr(backend, "name", type(backend).__name__)
        self.retry_seconds = retry_seconds
        self.max_backlog = max_backlog
        self.whole_batches = overrides_write_batch(backend)
        self.disabled = False
        self.undelivered = 0
        self.consecutive_failures = 0
        self.busy_since: float | None = None
        #: when the backend's current run of transient failures began: the retry budget is shared
        #: by every call of an outage, so a long one costs ``retry_seconds`` once, not per call
        self.down_since: float | None = None
        self._items: deque[Any] = deque()
        self._backlog = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # -- called by the dispatcher thread -------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"autolog-{self.name}", daemon=True)
        self._thread.start()

    def submit(self, item: Any) -> None:
        with self._cond:
            if type(item) is _Batch:
                if self._backlog > self.max_backlog:
                    item = self._shed(item)
                self._backlog += len(item.records)
            self._items.append(item)
            self._cond.notify()

    def _shed(self, batch: _Batch) -> _Batch:
        """This backend is far behind: keep every record but metric points."""
        kept = [r for r in batch.records if type(r) is not Metric]
        dropped = len(batch.records) - len(kept)
        self.undelivered += dropped
        warn_once(
            f"backlog:{self.name}",
            f"autolog: backend {self.name!r} is far behind ({self._backlog} records waiting); "
            "its metric points are being dropped until it catches up. Params, artifacts and run "
            "ends are kept; other backends are not affected.",
        )
        shed = _Batch(kept, 1)
        shed.staged = []
        batch.release()
        return shed

    def waiting(self) -> int:
        """Records submitted to this lane and not yet delivered or given up."""
        with self._cond:
            return max(self._backlog, 0)

    @property
    def stalled(self) -> bool:
        busy = self.busy_since
        return busy is not None and time.monotonic() - busy > STALL_SECONDS

    # -- the lane's own thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait()
                item = self._items.popleft()
            if item is _STOP:
                self._safe(self.backend.close, (), "close")
                return
            if type(item) is _FlushToken:
                if not self.disabled:
                    self._safe(self.backend.flush, (), "flush")
                item.events[id(self)].set()
                continue
            try:
                self.deliver(item.records)
            finally:
                with self._cond:
                    self._backlog -= len(item.records)
                item.release()

    def deliver(self, records: Sequence[Record]) -> None:
        """Deliver ``records`` to the backend (also used directly in synchronous mode)."""
        if self.whole_batches:
            self._call(self.backend.write_batch, (records,), len(records), "write_batch")
        else:
            for method, args, count in plan_calls(records):
                self._call(getattr(self.backend, method), args, count, method)

    def _call(self, func: Callable[..., Any], args: tuple[Any, ...], count: int, what: str) -> None:
        delay = 0.1
        while True:
            if self.disabled:
                self.undelivered += count
                return
            self.busy_since = time.monotonic()
            try:
                func(*args)
            except Exception as exc:  # noqa: BLE001 - a backend's error must not escape its lane
                transient = self._safe(self.backend.is_transient, (exc,), "is_transient")
                now = time.monotonic()
                if transient and self.down_since is None:
                    self.down_since = now
                if transient and now + delay < self.down_since + self.retry_seconds:
                    logger.debug("autolog: %s.%s failed (%r); retrying in %.1fs", self.name, what, exc, delay)
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                self._failed(exc, count, what, transient)
                return
            else:
                self.consecutive_failures = 0
                self.down_since = None
                return
            finally:
                self.busy_since = None

    def _failed(self, exc: Exception, count: int, what: str, retried: bool) -> None:
        self.undelivered += count
        self.consecutive_failures += 1
        after = f" after retrying for {self.retry_seconds:g}s" if retried else ""
        warn_once(
            f"backend-failed:{self.name}",
            f"autolog: backend {self.name!r} failed in {what}{after} ({type(exc).__name__}: {exc}); "
            f"{count} record(s) were not delivered to it. Training continues and other backends "
            "still receive everything (the local store, when enabled, holds all records).",
        )
        if self.consecutive_failures >= 5:
            self.disabled = True
            warn_once(
                f"backend-disabled:{self.name}",
                f"autolog: backend {self.name!r} failed {self.consecutive_failures} times in a row "
                "and is put aside for the rest of this configuration.",
            )

    def _safe(self, func: Callable[..., Any], args: tuple[Any, ...], what: str) -> Any:
        try:
            return func(*args)
        except Exception as exc:  # noqa: BLE001
            warn_once(f"backend-{what}:{self.name}", f"autolog: backend {self.name!r} {what} failed: {exc!r}")
            return None


_STOP = object()


class Dispatcher:
    """Queues records from any thread and delivers them to ``backends`` in batches."""

    def __init__(
        self,
        backends: Sequence[Backend],
        *,
        synchronous: bool = False,
        flush_interval: float = 1.0,
        batch_size: int = 5000,
        max_queue_size: int = 2_000_000,
        retry_seconds: float = 30.0,
    ) -> None:
        self.backends = list(backends)
        self.synchronous = synchronous
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.max_queue_size = max_queue_size
        self.dropped = 0
        self._lanes = [_Lane(b, retry_seconds, max_queue_size) for b in self.backends]
        self._queue: deque[Any] = deque()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        if not synchronous:
            for lane in self._lanes:
                lane.start()
            self._thread = threading.Thread(target=self._run, name="autolog-dispatcher", daemon=True)
            self._thread.start()

    # -- caller side ---------------------------------------------------------------------------
    def emit(self, record: Record) -> None:
        """Queue one record. Cheap: never blocks, never raises for a full queue."""
        queue = self._queue
        if len(queue) >= self.max_queue_size and type(record) is Metric:
            self._drop(1)
            return
        queue.append(record)
        if self.synchronous:
            self._deliver_now()
        elif len(queue) >= self.batch_size:
            self._wake.set()

    def wake(self) -> None:
        """Deliver soon (a run ended) without waiting for the interval."""
        self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued before this call reached every answering backend.

        Returns False when the timeout passed first or a backend was skipped as stalled.
        """
        if self._closed:
            return True
        if self.synchronous:
            self._deliver_now()
            for lane in self._lanes:
                if not lane.disabled:
                    lane._safe(lane.backend.flush, (), "flush")
            return True
        token = _FlushToken(self._lanes)
        self._queue.append(token)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        complete = True
        for lane in self._lanes:
            event = token.events[id(lane)]
            while not event.is_set():
                if lane.disabled:
                    break
                if lane.stalled:
                    complete = False
                    warn_once(
                        f"stalled:{lane.name}",
                        f"autolog: backend {lane.name!r} has not answered for over "
                        f"{STALL_SECONDS:g}s; not waiting for it (its records stay queued for it).",
                    )
                    break
                remaining = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
                if remaining <= 0:
                    complete = False
                    break
                event.wait(remaining)
        return complete

    def close(self, timeout: float | None = None) -> bool:
        """Flush, then stop the threads and close every backend."""
        done = self.flush(timeout)
        self._closed = True
        if self.synchronous:
            for lane in self._lanes:
                lane._safe(lane.backend.close, (), "close")
        else:
            self._queue.append(_STOP)
            self._wake.set()
            if self._thread is not None:
                self._thread.join(timeout=1.0)
        self._report_losses()
        return done

    def undelivered(self) -> dict[str, int]:
        """Records each backend did not receive (failed, shed, dropped, or still waiting for it
        when the dispatcher closed), by backend name."""
        waiting = len([r for r in self._queue if type(r) not in (_FlushToken,) and r is not _STOP])
        return {
            lane.name: lane.undelivered + lane.waiting() + self.dropped + waiting
            for lane in self._lanes
        }

    # -- internals -----------------------------------------------------------------------------
    def _drop(self, count: int) -> None:
        self.dropped += count
        warn_once(
            "queue-full",
            f"autolog: more than {self.max_queue_size} records are waiting for delivery; new "
            "metric points are being dropped (counted, and reported at exit). Raise "
            "max_queue_size or log less often.",
        )

    def _drain(self) -> list[Any]:
        queue = self._queue
        popleft = queue.popleft
        items: list[Any] = []
        append = items.append
        try:
            for _ in range(len(queue)):
                append(popleft())
        except IndexError:
            pass
        return items

    def _deliver_now(self) -> None:
        records = [r for r in self._drain() if type(r) is not _FlushToken]
        if not records:
            return
        batch = _Batch(records, len(self._lanes) or 1)
        for lane in self._lanes:
            try:
                lane.deliver(records)
            finally:
                batch.release()
        if not self._lanes:
            batch.release()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                stop = self._dispatch(self._drain())
            except Exception as exc:  # noqa: BLE001
                if testing():
                    logger.exception("autolog dispatcher failed")
                warn_once("dispatcher", f"autolog: the dispatcher hit an internal error: {exc!r}")
                stop = False
            if stop:
                return

    def _dispatch(self, items: list[Any]) -> bool:
        records: list[Record] = []
        for item in items:
            if type(item) is _FlushToken or item is _STOP:
                self._submit(records)
                records = []
                for lane in self._lanes:
                    lane.submit(item)
                if item is _STOP:
                    return True
            else:
                records.append(item)
        self._submit(records)
        return False

    def _submit(self, records: list[Record]) -> None:
        if not records:
            return
        if not self._lanes:
            _Batch(records, 1).release()
            return
        batch = _Batch(records, len(self._lanes))
        for lane in self._lanes:
            lane.submit(batch)

    def _report_losses(self) -> None:
        lost = {name: n for name, n in self.undelivered().items() if n}
        if lost:
            detail = ", ".join(f"{n} to {name!r}" for name, n in lost.items())
            warn_once(
                f"losses:{id(self)}",
                f"autolog: records not delivered when autolog closed: {detail} (failed, dropped, "
                "or still waiting for a backend that did not answer in time). Every other backend "
                "has its records; the local store, when enabled, holds everything it received.",
            )
