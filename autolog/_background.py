"""The background worker: one lazily started thread for work an integration must not do on the
caller's thread but that produces records (writing a model directory, computing metrics).

Tasks run in submission order. ``wait`` returns when everything submitted so far has run; the
session's ``flush`` and its exit sequence call it before flushing the dispatcher, so records made
by background tasks are delivered too. Errors in a task become one warning.

The worker never builds an unbounded backlog that the user pays for later: past
:data:`MAX_PENDING` waiting tasks, ``submit`` waits for room (each waiting task holds private
copies of predictions or a pickled model, so the bound is a memory bound too). Tasks submitted by
a task itself, and tasks after the exit sequence stopped the worker, never wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from autolog._safety import report_internal_error

#: Tasks waiting at most; past it ``submit`` waits for room.
MAX_PENDING = 64

_STOP = object()


class Worker:
    """One daemon thread draining a FIFO of tasks; started on the first ``submit``."""

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self.max_pending = max_pending
        self._tasks: deque[tuple[str, Callable[[], None]]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._stopped = False

    def submit(self, what: str, task: Callable[[], None]) -> None:
        """Run ``task`` on the worker thread; ``what`` names it in warnings."""
        with self._cond:
            if not self._stopped:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="autolog-background", daemon=True)
                    self._thread.start()
                elif threading.current_thread() is not self._thread:
                    while len(self._tasks) >= self.max_pending and not self._stopped:
                        self._cond.wait(0.5)  # back-pressure, keeping the order of tasks
                self._tasks.append((what, task))
                self._cond.notify_all()
                return
        _run_task(what, task)  # after exit: in the caller's thread

    def pending(self) -> int:
        """Tasks submitted and not finished yet (the one running included)."""
        with self._cond:
            return len(self._tasks) + (1 if self._busy else 0)

    def pending_names(self) -> list[str]:
        """What the waiting tasks are (for the report of what exit could not finish)."""
        with self._cond:
            return [what for what, _ in self._tasks]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every task submitted so far; False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._tasks or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def stop(self) -> None:
        """Stop the thread once the queue is empty; later tasks run in the caller's thread."""
        with self._cond:
            self._stopped = True
            if self._thread is not None:
                self._tasks.append(("stop", _STOP))  # type: ignore[arg-type]
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._tasks:
                    self._cond.wait()
                what, task = self._tasks.popleft()
                if task is _STOP:
                    self._thread = None
                    self._cond.notify_all()
                    return
                self._busy = True
            try:
                _run_task(what, task)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def _run_task(what: str, task: Callable[[], None]) -> None:
    try:
        task()
    except Exception as exc:  # noqa: BLE001
        try:
            report_internal_error(what, exc)
        except Exception:  # noqa: BLE001 - under AUTOLOG_TESTING the worker must live on
            import traceback

            traceback.print_exc()
