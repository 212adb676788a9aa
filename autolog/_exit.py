"""How the process ends, seen by autolog: hooks that let the session finish its work first and
tell each open run how the process ended.

* **Normal end of the main thread** (the script ends, ``sys.exit``, an uncaught exception):
  ``threading._shutdown`` is wrapped, so the session's exit sequence runs before every
  ``threading`` exit hook (``concurrent.futures`` and joblib stop their executors there, whichever
  registered last) and before every ``atexit`` hook (wandb stops its service there). An
  ``atexit`` hook is kept as a backstop for interpreters that do not call ``_shutdown``.
* **multiprocessing children** end with ``os._exit`` after multiprocessing's own finalizers, so
  a child that configured autolog itself registers the exit sequence as one of them.
* **How it ended**: a ``sys.excepthook`` wrapper records an uncaught exception (FAILED, or KILLED
  for Ctrl-C), a ``sys.exit`` wrapper records the exit code (0 FINISHED, other FAILED).
* **SIGTERM and SIGHUP** (when their handler is the default, which would end the process without
  any cleanup): the handler runs the exit sequence (open runs end KILLED, everything is flushed,
  at most ``exit_flush_timeout``), then restores the default and sends the signal again, so the
  process ends exactly as it would have without autolog (exit status ``-SIGTERM``). A handler
  the user installed first is chained: autolog only notes the signal and calls it. A second signal
  during the flush ends the process at once. SIGINT keeps Python's own handler: its
  ``KeyboardInterrupt`` already unwinds through autolog's wrappers (runs end KILLED).

Everything here is installed once per process and never raises into the user's code.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autolog._safety import logger

#: Signals whose default action ends the process with no cleanup; handled when left at default.
HANDLED_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)

#: Tags an open run gets when the process ends it.
TAG_EXIT_REASON = "autolog.exit_reason"
TAG_EXCEPTION_TYPE = "autolog.exception_type"
TAG_EXCEPTION_MESSAGE = "autolog.exception_message"
TAG_EXIT_CODE = "autolog.exit_code"
TAG_SIGNAL = "autolog.signal"
_MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    """How the process is ending: the status for runs still open, and tags saying why."""

    status: str = "FINISHED"
    reason: str = "normal exit"
    tags: Mapping[str, str] = field(default_factory=dict)


def outcome_of_exception(exc: BaseException) -> Outcome:
    """The outcome for an exception that ends the process (or a run)."""
    if isinstance(exc, SystemExit):
        return outcome_of_exit_code(exc.code)
    if isinstance(exc, KeyboardInterrupt):
        return Outcome("KILLED", "KeyboardInterrupt", {TAG_EXIT_REASON: "KeyboardInterrupt"})
    message = _safe_str(exc)[:_MESSAGE_LIMIT]
    return Outcome(
        "FAILED",
        f"uncaught {type(exc).__name__}",
        {TAG_EXIT_REASON: "exception", TAG_EXCEPTION_TYPE: type(exc).__name__, TAG_EXCEPTION_MESSAGE: message},
    )


def outcome_of_exit_code(code: Any) -> Outcome:
    """``sys.exit(code)``: None and 0 are success, as for the shell."""
    if code is None or code == 0:
        return Outcome("FINISHED", "sys.exit(0)", {TAG_EXIT_REASON: "exit", TAG_EXIT_CODE: "0"})
    text = _safe_str(code)[:_MESSAGE_LIMIT]
    return Outcome("FAILED", f"sys.exit({text})", {TAG_EXIT_REASON: "exit", TAG_EXIT_CODE: text})


def outcome_of_signal(signum: int) -> Outcome:
    name = _signal_name(signum)
    return Outcome("KILLED", name, {TAG_EXIT_REASON: "signal", TAG_SIGNAL: name})


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return f"<unprintable {type(value).__name__}>"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class ProcessHooks:
    """The process-wide hooks; ``on_exit(outcome)`` is the session's exit sequence."""

    def __init__(self, on_exit: Callable[[Outcome], None], exit_timeout: Callable[[], float]) -> None:
        self._on_exit = on_exit
        self._exit_timeout = exit_timeout
        self._lock = threading.Lock()
        self._installed = False
        self._signals_installed = False
        self._previous_handlers: dict[int, Any] = {}
        self._uncaught: BaseException | None = None
        self._exit_code: Any = None
        self._exit_called = False
        self._signal: int | None = None
        self._exit_started = threading.Event()
        self._exit_done = threading.Event()
        self._in_child_finalizer = False

    # -- what happened ---------------------------------------------------------------------------
    def outcome(self) -> Outcome:
        """How the process is ending, from what the hooks saw (a signal wins, then an exception)."""
        if self._signal is not None:
            return outcome_of_signal(self._signal)
        if self._uncaught is not None:
            return outcome_of_exception(self._uncaught)
        if self._exit_called:
            return outcome_of_exit_code(self._exit_code)
        return Outcome()

    # -- installation ------------------------------------------------------------------------------
    def install(self) -> None:
        """Hook the end of the process (idempotent); signals need :meth:`install_signals`."""
        with self._lock:
            if self._installed:
                return
            self._installed = True
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            threading._shutdown = _chained(self._at_shutdown, shutdown)  # type: ignore[attr-defined]
        atexit.register(self._at_shutdown)  # backstop; the exit sequence runs once
        sys.excepthook = _excepthook(self, sys.excepthook)
        sys.exit = _exit_wrapper(self, sys.exit)

    def install_signals(self) -> None:
        """Take SIGTERM/SIGHUP where they are at their default (main thread only; else no-op)."""
        if self._signals_installed or threading.current_thread() is not threading.main_thread():
            return
        self._signals_installed = True
        for signum in HANDLED_SIGNALS:
            try:
                current = signal.getsignal(signum)
                if current is None or current is signal.SIG_IGN or getattr(current, "__self__", None) is self:
                    continue  # set outside Python, or ignored on purpose: leave it
                self._previous_handlers[signum] = current
                signal.signal(signum, self._on_signal)
            except (ValueError, OSError, RuntimeError) as exc:
                logger.debug("autolog: cannot handle signal %s: %r", signum, exc)

    def in_multiprocessing_child(self) -> None:
        """Called when a multiprocessing child configures autolog: it ends through os._exit."""
        multiprocessing_util = sys.modules.get("multiprocessing.util")
        mp = sys.modules.get("multiprocessing")
        if mp is None or multiprocessing_util is None or mp.parent_process() is None:
            return
        if not self._in_child_finalizer:
            self._in_child_finalizer = True
            multiprocessing_util.Finalize(None, self._at_child_finalizer, exitpriority=100)

    def after_fork_in_child(self) -> None:
        """A forked child starts with none of the parent's outcome and its signal handlers back."""
        self._uncaught = None
        self._exit_code = None
        self._exit_called = False
        self._signal = None
        self._exit_started = threading.Event()
        self._exit_done = threading.Event()
        self._lock = threading.Lock()
        self._in_child_finalizer = False
        if self._signals_installed:
            for signum, previous in self._previous_handlers.items():
                try:
                    signal.signal(signum, previous)
                except (ValueError, OSError, RuntimeError):
                    pass
            self._previous_handlers.clear()
            self._signals_installed = False

    # -- the exit sequence -------------------------------------------------------------------------
    def run_exit(self, outcome: Outcome | None = None) -> None:
        """Run the session's exit sequence once; a second caller waits for the first."""
        with self._lock:
            first = not self._exit_started.is_set()
            self._exit_started.set()
        if not first:
            self._exit_done.wait(self._exit_timeout() + 5.0)
            return
        try:
            self._on_exit(outcome or self.outcome())
        except BaseException as exc:  # noqa: BLE001 - never let exit fail because of autolog
            logger.warning("autolog: the exit sequence failed: %r", exc)
        finally:
            if isinstance(self._uncaught, KeyboardInterrupt):
                _remember_keyboard_interrupt()
            self._exit_done.set()

    def _at_shutdown(self) -> None:
        self.run_exit()

    def _at_child_finalizer(self) -> None:
        exc = sys.exc_info()[1]  # multiprocessing runs its finalizers in a ``finally`` clause
        if exc is not None and not isinstance(exc, SystemExit):
            self._uncaught = exc
        self.run_exit()

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signal = signum
        previous = self._previous_handlers.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)  # the user's own handler decides what happens
            return
        try:
            signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once
        except (ValueError, OSError, RuntimeError):
            pass
        if not self._exit_started.is_set():
            # Not in this thread: the interrupted code may hold locks the sequence needs.
            worker = threading.Thread(target=self.run_exit, name="autolog-exit", daemon=True)
            worker.start()
            worker.join(self._exit_timeout() + 5.0)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # only reached if the signal is blocked in this thread


def _remember_keyboard_interrupt() -> None:
    """Tell CPython again that the program ended with an uncaught KeyboardInterrupt.

    CPython exits by SIGINT after an uncaught KeyboardInterrupt only while a runtime flag says so,
    and every ``exec`` of source text clears that flag: a module importing during shutdown (one
    defining a dataclass or a namedtuple, as the exit sequence may import) would turn the exit
    status into 1. An ``exec`` that raises KeyboardInterrupt sets the flag again; the exception is
    caught here, so the process ends exactly as it would have without autolog.
    """
    try:
        exec("raise KeyboardInterrupt")
    except KeyboardInterrupt:
        pass


def _chained(first: Callable[[], None], then: Callable[[], None]) -> Callable[[], None]:
    def _shutdown() -> None:
        try:
            first()
        finally:
            then()

    _shutdown.__wrapped__ = then  # type: ignore[attr-defined]
    return _shutdown


def _excepthook(hooks: ProcessHooks, previous: Callable[..., Any]) -> Callable[..., Any]:
    def excepthook(exc_type: Any, exc: Any, tb: Any) -> Any:
        if not hasattr(sys, "ps1") and threading.current_thread() is threading.main_thread():
            hooks._uncaught = exc  # an interactive session goes on after an error: not an outcome
        return previous(exc_type, exc, tb)

    excepthook.__wrapped__ = previous  # type: ignore[attr-defined]
    return excepthook


def _exit_wrapper(hooks: ProcessHooks, previous: Callable[..., Any]) -> Callable[..., Any]:
    def exit(status: Any = None) -> Any:
        if threading.current_thread() is threading.main_thread():
            hooks._exit_called, hooks._exit_code = True, status
        return previous(status)

    exit.__wrapped__ = previous  # type: ignore[attr-defined]
    exit.__doc__ = previous.__doc__
    return exit
