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
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autolog._safety import logger, testing, warn_once
from autolog.records import Artifact, DatasetInput, Metric, ModelRecord, Params, Plot, Record, RunEnd, RunStart, Tags
from autolog.sdk.backend_base import Backend, BackendUnavailable

#: A lane is "stalled" when one backend call has been running this long; flushes stop waiting.
STALL_SECONDS = 10.0
#: Records waiting for a journal backend (the local store) past which loggers are slowed down to
#: its writing speed, so a hard kill never loses more than about ``flush_interval`` of records
#: at any logging rate. About a tenth of a second of the local store's writing.
JOURNAL_HIGH_WATER = 20_000
#: The longest one ``emit`` waits for room (a stuck journal never stops training).
THROTTLE_MAX_WAIT = 1.0


class _FlushToken:
    """Travels through the queue behind the records it must see delivered."""

    __slots__ = ("events",)

    def __init__(self, lanes: Sequence[_Lane]) -> None:
        self.events = {id(lane): threading.Event() for lane in lanes}


class _Batch:
    """One drained batch, shared by every lane; staged files are removed after the last lane."""

    __slots__ = ("_lock", "_remaining", "records", "staged")

    def __init__(self, records: list[Record], lanes: int) -> None:
        self.records = records
        self.staged = [
            r.local_path
            for r in records
            if (type(r) is ModelRecord and r.local_path) or (type(r) is Artifact and r.staged)
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


def materialize_models(records: list[Record]) -> list[Record]:
    """Write the in-memory files of model records to staged directories (for backends that read
    models from a directory); other records are returned as they are."""
    import dataclasses
    import tempfile

    out: list[Record] = []
    for record in records:
        if type(record) is ModelRecord and record.files and not record.local_path:
            directory = tempfile.mkdtemp(prefix="autolog-model-")
            for name, data in record.files.items():
                with open(os.path.join(directory, name), "wb") as fh:
                    fh.write(data)
            record = dataclasses.replace(record, local_path=directory, files={})
        out.append(record)
    return out


def remove_staged(paths: Iterable[str]) -> None:
    import shutil

    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.remove(path)
            except OSError:
                pass


#: Seconds between probes of a backend put aside after an outage: doubling up to this.
PROBE_MAX_SECONDS = 60.0
PROBE_FIRST_SECONDS = 1.0

_KIND_NAMES = {
    Metric: "metric points", Params: "params", Tags: "tags", RunStart: "run starts",
    RunEnd: "run ends", Artifact: "artifacts", ModelRecord: "models", Plot: "plots", DatasetInput: "datasets",
}


def count_kinds(records: Iterable[Any], into: Counter[str] | None = None) -> Counter[str]:
    """How many records of each kind (for precise loss reports)."""
    counts: Counter[str] = Counter() if into is None else into
    for record in records:
        name = _KIND_NAMES.get(type(record))
        if name is not None:
            counts[name] += 1
    return counts


class _Lane:
    """One backend's delivery thread: a queue of batches, retries, and failure bookkeeping.

    A transient failure (``Backend.is_transient``: network trouble, a busy server) is retried
    with back-off for ``retry_seconds``; past that the backend is *aside*: its records wait in
    this lane (metric points are shed past ``max_backlog``, counted) while it is probed with the
    same call at growing intervals (1 s doubling to 60 s); once it answers, everything it missed
    is delivered in order. A backend whose calls fail five times in a row for other reasons is
    *disabled* for the rest of the configuration: those errors do not heal by waiting.
    """

    def __init__(
        self, backend: Backend, retry_seconds: float, max_backlog: int, on_progress: Callable[[], None] | None = None
    ) -> None:
        self.backend = backend
        self.name = getattr(backend, "name", type(backend).__name__)
        #: the local store: loggers wait for it rather than let unwritten records pile up
        self.journal = bool(getattr(backend, "journal", False))
        self._on_progress = on_progress
        self.retry_seconds = retry_seconds
        self.max_backlog = max_backlog
        self.disabled = False
        #: in an outage past the retry budget: records wait here, the backend is probed
        self.aside = False
        self.undelivered = 0
        self.lost_kinds: Counter[str] = Counter()
        self.consecutive_failures = 0
        self.busy_since: float | None = None
        #: when the backend's current run of transient failures began: the retry budget is shared
        #: by every call of an outage, so a long one costs ``retry_seconds`` once, not per call
        self.down_since: float | None = None
        #: seconds the last delivery took (the dispatcher wakes that much earlier)
        self.last_duration = 0.0
        self._items: deque[Any] = deque()
        self._current: _Batch | None = None
        self._backlog = 0
        self._cond = threading.Condition()
        self._abandon = threading.Event()
        #: cuts a probe's wait short (set by ``probe_now`` and ``abandon``)
        self._probe_wake = threading.Event()
        #: probes made so far (``probe_now`` callers wait for the next one)
        self.probes = 0
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
        self.lost_kinds["metric points"] += dropped
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

    def waiting_kinds(self) -> Counter[str]:
        """The kinds of the records still waiting in this lane."""
        counts: Counter[str] = Counter()
        with self._cond:
            items = list(self._items)
            if self._current is not None:
                items.append(self._current)
        for item in items:
            if type(item) is _Batch:
                count_kinds(item.records, counts)
        return counts

    def abandon(self) -> None:
        """Stop retrying and probing (closing): what is left is counted as undelivered."""
        self._abandon.set()
        self._probe_wake.set()
        with self._cond:
            self._cond.notify()

    def probe_now(self, timeout: float) -> bool:
        """An aside backend is probed at once (at exit); True if it answered within ``timeout``."""
        if not self.aside:
            return True
        seen = self.probes
        self._probe_wake.set()
        deadline = time.monotonic() + timeout
        while self.aside and self.probes == seen and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.aside

    @property
    def answering(self) -> bool:
        """Worth waiting for in a flush: neither disabled nor aside."""
        return not (self.disabled or self.aside)

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
                if type(item) is _Batch:
                    self._current = item
            if item is _STOP:
                if not self._abandon.is_set():  # an abandoned backend may hang in close too
                    self._safe(self.backend.close, (), "close")
                return
            if type(item) is _FlushToken:
                if self.answering:
                    self._safe(self.backend.flush, (), "flush")
                item.events[id(self)].set()
                continue
            started = time.monotonic()
            try:
                self.deliver(item.records)
            finally:
                with self._cond:
                    self._backlog -= len(item.records)
                    self._current = None
                item.release()
                self.last_duration = time.monotonic() - started
                if self._on_progress is not None:
                    self._on_progress()

    def deliver(self, records: Sequence[Record]) -> None:
        """Deliver ``records`` to the backend through its :meth:`Backend.plan_delivery` (each call retried on
        its own; also used directly in synchronous mode)."""
        try:
            calls = self.backend.plan_delivery(records)
        except Exception as exc:  # noqa: BLE001 - a backend's own planning error
            self._failed(exc, records, "plan_delivery")
            return
        for what, method, args, part in calls:
            self._call(method, args, part, what)

    def _call(self, func: Callable[..., Any], args: tuple[Any, ...], records: Sequence[Record], what: str) -> None:
        delay = 0.1
        probe = PROBE_FIRST_SECONDS
        while True:
            if self.disabled or self._abandon.is_set():
                self._give_up(records)
                return
            self.busy_since = time.monotonic()
            try:
                func(*args)
            except BackendUnavailable as exc:
                self.busy_since = None
                self._unavailable(exc, records)
                return
            except Exception as exc:  # noqa: BLE001 - a backend's error must not escape its lane
                self.busy_since = None
                transient = self._safe(self.backend.is_transient, (exc,), "is_transient")
                if not transient:
                    self._failed(exc, records, what)
                    return
                now = time.monotonic()
                if self.down_since is None:
                    self.down_since = now
                if not self.aside and now + delay < self.down_since + self.retry_seconds:
                    logger.debug("autolog: %s.%s failed (%r); retrying in %.1fs", self.name, what, exc, delay)
                    self._abandon.wait(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                if not self.aside:
                    self._put_aside(exc, what)
                else:
                    self.probes += 1
                self._probe_wake.wait(probe)  # probe again with the same call: nothing is skipped
                self._probe_wake.clear()
                probe = min(probe * 2, PROBE_MAX_SECONDS)
                continue
            else:
                self.busy_since = None
                self.consecutive_failures = 0
                if self.aside:
                    self.probes += 1
                    self._back()
                self.down_since = None
                return

    def _put_aside(self, exc: Exception, what: str) -> None:
        self.aside = True
        warn_once(
            f"backend-aside:{self.name}",
            f"autolog: backend {self.name!r} has not answered for {self.retry_seconds:g}s "
            f"(last error in {what}: {type(exc).__name__}: {exc}). Training continues; its records "
            "are kept and it is probed with growing intervals (up to 60s) until it answers, then "
            "they are delivered. Other backends are not affected.",
        )

    def _back(self) -> None:
        down = time.monotonic() - (self.down_since or time.monotonic())
        self.aside = False
        warn_once(
            f"backend-back:{self.name}:{int(time.time())}",
            f"autolog: backend {self.name!r} answers again after {down:.0f}s; delivering the "
            f"{self.waiting()} record(s) it missed.",
        )

    def _unavailable(self, exc: Exception, records: Sequence[Record]) -> None:
        self.disabled = True
        self._give_up(records)
        warn_once(
            f"backend-unavailable:{self.name}",
            f"autolog: backend {self.name!r} cannot be used: {exc}. Training continues; other "
            "backends are not affected.",
        )

    def _give_up(self, records: Sequence[Record]) -> None:
        self.undelivered += len(records)
        count_kinds(records, self.lost_kinds)

    def _failed(self, exc: Exception, records: Sequence[Record], what: str) -> None:
        self._give_up(records)
        self.consecutive_failures += 1
        warn_once(
            f"backend-failed:{self.name}",
            f"autolog: backend {self.name!r} failed in {what} ({type(exc).__name__}: {exc}); "
            f"{len(records)} record(s) were not delivered to it. Training continues and other "
            "backends still receive everything (the local store, when enabled, holds all records).",
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


class NullDispatcher:
    """Used where this process must not log (forked child, non-zero rank): drops everything."""

    backends: tuple[Backend, ...] = ()

    def emit(self, record: Any) -> None:
        pass

    def wake(self) -> None:
        pass

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> bool:
        return True


class Dispatcher:
    """Queues records from any thread and delivers them to ``backends`` in batches.

    The dispatcher thread wakes every ``flush_interval`` seconds (earlier by the time the
    slowest backend's last delivery took, so a record is stored within about ``flush_interval``
    of being logged), or as soon as ``batch_size`` records wait.
    """

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
        #: records of runs never started through this dispatcher, by run id (not delivered)
        self.unknown_runs: dict[str, int] = {}
        self._started: set[str] = set()
        self._lanes = [_Lane(b, retry_seconds, max_queue_size, self._journal_progress) for b in self.backends]
        self._journals = [lane for lane in self._lanes if lane.journal]
        self._needs_model_dirs = any(not getattr(b, "accepts_model_files", False) for b in self.backends)
        self._queue: deque[Any] = deque()
        self._wake = threading.Event()
        #: set while a journal is too far behind: ``emit`` then waits for ``_room``
        self._throttle = False
        self._room = threading.Event()
        self._room.set()
        self._closed = False
        self._detached = False
        self._thread: threading.Thread | None = None
        if not synchronous:
            for lane in self._lanes:
                lane.start()
            self._thread = threading.Thread(target=self._run, name="autolog-dispatcher", daemon=True)
            self._thread.start()

    # -- caller side ---------------------------------------------------------------------------
    def emit(self, record: Record) -> None:
        """Queue one record. Cheap: never raises, and waits only while the local store is more
        than :data:`JOURNAL_HIGH_WATER` records behind (at most :data:`THROTTLE_MAX_WAIT` s)."""
        queue = self._queue
        if len(queue) >= self.max_queue_size and type(record) is Metric:
            self._drop(1)
            return
        if self._detached:
            return
        queue.append(record)
        if self.synchronous:
            self._deliver_now()
        elif len(queue) >= self.batch_size:
            self._wake.set()
            if self._journals and len(queue) >= JOURNAL_HIGH_WATER:
                self._hold_back()
        if self._throttle:
            self._room.wait(THROTTLE_MAX_WAIT)

    def wake(self) -> None:
        """Deliver soon (a run ended) without waiting for the interval."""
        self._wake.set()

    def _hold_back(self) -> None:
        """Slow loggers down: the journal (or this queue) is too far behind to be written in time."""
        if not any(lane.stalled or not lane.answering for lane in self._journals):
            self._room.clear()
            self._throttle = True

    def _journal_progress(self) -> None:
        """A journal delivered a batch: let loggers go on once it has caught up."""
        low = JOURNAL_HIGH_WATER // 2
        if self._throttle and len(self._queue) < low and all(lane.waiting() < low for lane in self._journals):
            self._throttle = False
            self._room.set()

    def detach_after_fork(self) -> None:
        """In a forked child: this copy's threads do not exist; it accepts and delivers nothing."""
        self._detached = True
        self._closed = True
        self._queue.clear()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued before this call reached every answering backend.

        Returns False when the timeout passed first or a backend was skipped as stalled.
        """
        if self._closed:
            return True
        if self.synchronous:
            self._deliver_now()
            for lane in self._lanes:
                if lane.answering:
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
                if not lane.answering:
                    complete = False
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
        """Flush (at most ``timeout``), then stop the threads and close every backend.

        A backend that is still busy, aside or disabled then is abandoned: what it did not get
        is reported by kind in one warning.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for lane in self._lanes:  # a last chance for backends put aside: one probe now
            if lane.aside and not self.synchronous:
                lane.probe_now(5.0 if deadline is None else max(0.0, min(5.0, deadline - time.monotonic())))
        done = self.flush(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._closed = True
        if self.synchronous:
            for lane in self._lanes:
                lane._safe(lane.backend.close, (), "close")
        else:
            if not done:
                for lane in self._lanes:
                    if lane.waiting() or not lane.answering or lane.stalled:
                        lane.abandon()
            self._queue.append(_STOP)
            self._wake.set()
            if self._thread is not None:
                self._thread.join(timeout=1.0)
        self._report_losses()
        return done

    def undelivered(self) -> dict[str, int]:
        """Records each backend did not receive (failed, shed, dropped, or still waiting for it
        when the dispatcher closed), by backend name."""
        waiting = len([r for r in self._queue if type(r) is not _FlushToken and r is not _STOP])
        return {
            lane.name: lane.undelivered + lane.waiting() + self.dropped + waiting
            for lane in self._lanes
        }

    def undelivered_kinds(self) -> dict[str, Counter[str]]:
        """:meth:`undelivered`, broken down by record kind (``{"mlflow": {"metric points": 3}}``)."""
        queued = count_kinds(r for r in list(self._queue) if type(r) is not _FlushToken and r is not _STOP)
        out: dict[str, Counter[str]] = {}
        for lane in self._lanes:
            counts = lane.lost_kinds + lane.waiting_kinds() + queued
            if self.dropped:
                counts["metric points"] += self.dropped
            out[lane.name] = counts
        return out

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
        records = self._known([r for r in self._drain() if type(r) is not _FlushToken])
        if not records:
            return
        if self._needs_model_dirs:
            records = materialize_models(records)
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
            slowest = max((lane.last_duration for lane in self._lanes), default=0.0)
            self._wake.wait(max(0.02, self.flush_interval - slowest))
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

    def _known(self, records: list[Record]) -> list[Record]:
        """``records`` without those of runs this dispatcher never saw start (counted, reported)."""
        started = self._started
        kept: list[Record] = []
        for record in records:
            run_id = record.run_id
            if type(record) is RunStart:
                started.add(run_id)
            elif run_id not in started:
                self.unknown_runs[run_id] = self.unknown_runs.get(run_id, 0) + 1
                warn_once(
                    f"unknown-run:{id(self)}",
                    f"autolog: records for run {run_id} reached a configuration whose backends never "
                    "saw it start (autolog() was called again in between); they are not delivered "
                    "and are counted in the report at exit.",
                )
                continue
            kept.append(record)
        return kept

    def _submit(self, records: list[Record]) -> None:
        records = self._known(records)
        if not records:
            return
        if not self._lanes:
            _Batch(records, 1).release()
            return
        if self._needs_model_dirs:
            records = materialize_models(records)
        batch = _Batch(records, len(self._lanes))
        for lane in self._lanes:
            lane.submit(batch)
        if any(lane.waiting() >= JOURNAL_HIGH_WATER for lane in self._journals):
            self._hold_back()

    def _report_losses(self) -> None:
        if self.unknown_runs:
            warn_once(
                f"unknown-runs:{id(self)}",
                f"autolog: {sum(self.unknown_runs.values())} record(s) of {len(self.unknown_runs)} run(s) "
                "started under an earlier configuration were not delivered to this one's backends.",
            )
        lost = {name: counts for name, counts in self.undelivered_kinds().items() if sum(counts.values())}
        if lost:
            detail = "; ".join(
                f"{name!r}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
                for name, counts in lost.items()
            )
            warn_once(
                f"losses:{id(self)}",
                f"autolog: records not delivered when autolog closed ({detail}): failed, dropped, "
                "or still waiting for a backend that did not answer in time. Every other backend "
                "has its records; the local store, when enabled, holds everything it received.",
            )
