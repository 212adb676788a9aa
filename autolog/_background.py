"""One lazily started background thread for work an integration must not do on the caller's
thread but that produces records (rendering plots, serialising a large model).

Tasks run in submission order. ``wait`` returns when everything submitted so far has run; the
dispatcher's ``flush`` calls it first, so records produced by background tasks are flushed too.
Errors in a task become one warning.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from autolog._safety import report_internal_error


class _Worker:
    def __init__(self) -> None:
        self._tasks: deque[tuple[str, Callable[[], None]]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="autolog-background", daemon=True)
        self._thread.start()

    def submit(self, what: str, task: Callable[[], None]) -> None:
        with self._cond:
            self._tasks.append((what, task))
            self._cond.notify_all()

    def wait(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._tasks or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._tasks:
                    self._cond.wait()
                what, task = self._tasks.popleft()
                self._busy = True
            try:
                task()
            except Exception as exc:  # noqa: BLE001
                try:
                    report_internal_error(what, exc)
                except Exception:  # noqa: BLE001 - under AUTOLOG_TESTING the thread must live on
                    import traceback

                    traceback.print_exc()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


_worker: _Worker | None = None
_lock = threading.Lock()


def submit(what: str, task: Callable[[], None]) -> None:
    """Run ``task`` on the background thread; ``what`` names it in warnings."""
    global _worker
    if _worker is None:
        with _lock:
            if _worker is None:
                _worker = _Worker()
    _worker.submit(what, task)


def wait(timeout: float | None = None) -> bool:
    """Wait for every task submitted so far; False if ``timeout`` passed first."""
    worker = _worker
    return True if worker is None else worker.wait(timeout)


def after_fork_in_child() -> None:
    global _worker
    _worker = None
