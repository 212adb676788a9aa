"""The session: the one engine object that holds everything autolog keeps for this process.

It owns the configuration, the dispatcher and its backends, the dispatchers retiring after a
reconfiguration, the runs still open, the background worker, and the process hooks (exit,
signals, fork). Everything else reaches process state through :func:`current` and the methods
here, and tests start from a clean slate with :meth:`Session.reset`.

The exit sequence (:meth:`Session.close_for_exit`) is the one place that decides what a process
leaves behind when it ends, however it ends (see :mod:`autolog._exit`):

1. integrations' exit participants run first (a Trainer callback logs its staged checkpoint and
   ends its run);
2. runs still open end: explicit ones with the process's outcome (FINISHED, FAILED with the
   exception as tags, KILLED on a signal), autologged ones KILLED (their call was interrupted);
   runs whose end is queued behind background work keep their own status;
3. background work (models, metrics, run ends behind them) finishes;
4. every dispatcher flushes and closes;
5. what could not be delivered within ``exit_flush_timeout`` is reported, precisely.

Forked children (DataLoader workers, multiprocessing) log nothing, unless the child calls
``autolog.autolog()`` itself: then it gets a fresh dispatcher and its own runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from autolog import _safety
from autolog import config as _config
from autolog._background import Worker
from autolog._dispatch import Dispatcher, NullDispatcher
from autolog._exit import Outcome, ProcessHooks
from autolog._safety import report_internal_error, warn_once
from autolog.sdk.backend_base import Backend

if TYPE_CHECKING:
    from autolog.config import Config
    from autolog.records import RunEnd, RunStart

#: Built-in backends and the library each needs (checked before building one).
_BACKEND_LIBRARIES = {"mlflow": "mlflow", "wandb": "wandb", "tensorboard": "tensorboard"}

#: Status of a run an autologged call had open when the process ended.
INTERRUPTED = "KILLED"


class IntegrationState:
    """Which integrations log now, their installed patchers, and the modules already hooked
    (wrapt's post-import hooks cannot be removed, so each is registered once per process)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.enabled: set[str] = set()
        self.patchers: dict[str, tuple[Any, Any]] = {}
        self.hooked: set[tuple[str, str]] = set()


def is_rank_zero() -> bool:
    """False in a distributed worker other than rank 0 (``RANK`` set by torchrun and friends)."""
    return os.environ.get("RANK", "0") in ("0", "")


class Session:
    """Process state and lifecycle. One instance per process: :func:`current`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._config: Config | None = None
        self.enabled = False
        self._dispatcher: Dispatcher | NullDispatcher | None = None
        self._backend_key: tuple[Any, ...] | None = None
        #: dispatchers replaced by a reconfiguration, closed once their last open run ends
        self._retiring: dict[int, tuple[Any, threading.Thread | None]] = {}
        #: runs started and not yet ended (by id)
        self.open_runs: dict[str, Any] = {}
        #: the run ``AUTOLOG_RUN_ID`` names: None until looked for, False when there is none
        self.attached: Any = None
        #: the run this process ended last (``autolog.last_active_run``)
        self.last_ended_run: Any = None
        #: the experiment ``autolog.set_experiment`` and the folder ``autolog.set_tracking_uri``
        #: chose: a later ``autolog()`` keeps them unless it names its own
        self.chosen_experiment: str | None = None
        self.chosen_tracking_dir: str | None = None
        self.background = Worker()
        #: True in a forked child until it calls ``autolog()`` itself
        self.forked = False
        #: set once the exit sequence ran: later records are delivered synchronously
        self.exited = False
        self._exit_participants: list[Callable[[Outcome], None]] = []
        self.integrations = IntegrationState()
        self.hooks = ProcessHooks(self.close_for_exit, lambda: self.config().exit_flush_timeout)
        self.hooks.install()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    # -- configuration -----------------------------------------------------------------------------
    def config(self) -> Config:
        """The current configuration (from the environment until ``autolog()`` is called)."""
        cfg = self._config
        if cfg is None:
            with self.lock:
                if self._config is None:
                    self._set_config(_config.resolve())
                cfg = self._config
        return cfg  # type: ignore[return-value]

    def _set_config(self, cfg: Config) -> None:
        self._config = cfg
        _safety.set_silent(cfg.silent)

    def configure(self, cfg: Config) -> None:
        """Make ``cfg`` current; rebuild backends only when their description changed.

        In a forked child this is the child's own ``autolog()`` call: it logs from now on.
        """
        with self.lock:
            if self.forked:
                self.forked = False
                self._dispatcher = None
            self._set_config(cfg)
            key = _backend_key(cfg)
            if self._dispatcher is None or key != self._backend_key:
                old = self._dispatcher
                self._install_dispatcher(cfg)
                if old is not None:
                    self._retire(old)
        self.hooks.install_signals()
        self.hooks.in_multiprocessing_child()

    def set_disabled(self, cfg: Config) -> None:
        with self.lock:
            self._set_config(cfg)
            self.enabled = False

    @property
    def active_integrations(self) -> set[str]:
        """Names of the integrations enabled now."""
        return self.integrations.enabled

    # -- the dispatcher ----------------------------------------------------------------------------
    def dispatcher(self) -> Dispatcher | NullDispatcher:
        current = self._dispatcher
        if current is None:
            with self.lock:
                if self._dispatcher is None:
                    self._install_dispatcher(self.config())
                current = self._dispatcher
        return current  # type: ignore[return-value]

    def _install_dispatcher(self, cfg: Config) -> None:
        if self.forked or not is_rank_zero():
            self._dispatcher = NullDispatcher()
        else:
            self._dispatcher = Dispatcher(
                build_backends(cfg.backends, cfg),
                synchronous=cfg.synchronous or self.exited,
                flush_interval=cfg.flush_interval,
                batch_size=cfg.batch_size,
                max_queue_size=cfg.max_queue_size,
                retry_seconds=cfg.retry_seconds,
            )
        self._backend_key = _backend_key(cfg)

    def _retire(self, old: Any) -> None:
        self._retiring[id(old)] = (old, None)
        self._close_if_unused(old)

    def _close_if_unused(self, old: Any) -> None:
        entry = self._retiring.get(id(old))
        if entry is None or entry[1] is not None:
            return
        if any(getattr(run, "_dispatcher", None) is old for run in list(self.open_runs.values())):
            return  # closed when the last of its runs ends
        timeout = self.config().exit_flush_timeout
        closer = threading.Thread(target=old.close, args=(timeout,), name="autolog-retire", daemon=True)
        self._retiring[id(old)] = (old, closer)
        closer.start()

    def retiring_closers(self) -> list[threading.Thread]:
        """Threads closing dispatchers that a reconfiguration replaced (tests wait on them)."""
        return [closer for _, closer in self._retiring.values() if closer is not None]

    # -- runs ----------------------------------------------------------------------------------------
    def run_started(self, start: RunStart, run: Any) -> None:
        """In the caller's thread, before a run's first record: backends' and plugins' hooks."""
        self.open_runs[start.run_id] = run
        self.hooks.install_signals()
        for backend in getattr(run._dispatcher, "backends", ()):
            try:
                backend.on_run_start(start)
            except Exception as exc:  # noqa: BLE001
                report_internal_error(f"backend {backend.name!r} on_run_start", exc)
        _call_plugins("autolog_run_started", run=start)

    def run_ended(self, end: RunEnd, run: Any) -> None:
        self.open_runs.pop(end.run_id, None)
        self.last_ended_run = run
        if self._retiring:
            self._close_if_unused(run._dispatcher)
        _call_plugins("autolog_run_ended", run=end)

    def on_exit(self, participant: Callable[[Outcome], None]) -> None:
        """Call ``participant(outcome)`` first in the exit sequence (integrations' open work)."""
        if participant not in self._exit_participants:
            self._exit_participants.append(participant)

    def end_open_runs(self, outcome: Outcome | None = None) -> None:
        """End every run still open: explicit ones with ``outcome``, autologged ones KILLED."""
        outcome = outcome or Outcome()
        for run in list(self.open_runs.values()):
            if run.ending:
                continue  # its end is queued behind its background work
            try:
                if run.attached:  # another process owns it: only detach
                    run.end(outcome.status)
                elif run.autologged:
                    run.set_tags({"autolog.exit_reason": "interrupted by the end of the process"})
                    run.end(INTERRUPTED)
                else:
                    if outcome.tags:
                        run.set_tags(dict(outcome.tags))
                    run.end(outcome.status)
            except Exception as exc:  # noqa: BLE001
                report_internal_error("ending open runs", exc)

    # -- flushing and closing --------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Wait for background tasks, then until queued records reached the backends."""
        start = time.monotonic()
        done = self.background.wait(timeout)
        current = self._dispatcher
        if current is None:
            return done
        remaining = None if timeout is None else max(0.0, timeout - (time.monotonic() - start))
        return current.flush(remaining) and done

    def flush_for_read(self, timeout: float = 30.0) -> None:
        """Called by readers (``Client``) so a process always reads its own writes."""
        if self._dispatcher is not None:
            self.flush(timeout)

    def close_for_exit(self, outcome: Outcome) -> None:
        """The exit sequence (see the module docstring); runs once, bounded by
        ``exit_flush_timeout``."""
        if self.forked or (self._config is None and self._dispatcher is None and not self.open_runs):
            return  # autolog was never used here, or this is a child that does not log
        timeout = self.config().exit_flush_timeout
        deadline = time.monotonic() + timeout
        for participant in list(self._exit_participants):
            try:
                participant(outcome)
            except Exception as exc:  # noqa: BLE001
                report_internal_error("an integration's exit work", exc)
        self.end_open_runs(outcome)
        background_done = self.background.wait(max(0.0, deadline - time.monotonic()))
        unfinished = [] if background_done else self.background.pending_names()
        self.exited = True
        self.background.stop()
        self.shutdown(max(0.0, deadline - time.monotonic()))
        if unfinished:
            warn_once(
                "exit-background",
                f"autolog: exit_flush_timeout ({timeout:g}s) passed with {len(unfinished)} background "
                f"task(s) not run ({', '.join(sorted(set(unfinished)))}); the records they would have "
                "made (models, metrics, run ends) are missing.",
            )

    def shutdown(self, timeout: float | None = None) -> None:
        """Flush and close the current and the retiring dispatchers within ``timeout``."""
        with self.lock:
            current, self._dispatcher = self._dispatcher, None
            self._backend_key = None
            retiring, self._retiring = list(self._retiring.values()), {}
        if timeout is None:
            timeout = self._config.exit_flush_timeout if self._config else 30.0
        deadline = time.monotonic() + timeout
        if current is not None:
            current.close(timeout)
        for old, closer in retiring:
            remaining = max(0.0, deadline - time.monotonic())
            if closer is None:
                old.close(remaining)
            else:
                closer.join(remaining)

    def reset(self) -> None:
        """Forget everything (tests): end open runs, shut down, clear the configuration."""
        self.background.wait(30.0)
        self.end_open_runs()
        self.background.wait(30.0)
        self.shutdown()
        self.open_runs.clear()
        self.attached = None
        self.last_ended_run = None
        self.chosen_experiment = None
        self.chosen_tracking_dir = None
        self._exit_participants.clear()
        self._config = None
        self.enabled = False
        self.exited = False
        _safety.set_silent(False)

    def _after_fork_in_child(self) -> None:
        self.lock = threading.RLock()
        self.background = Worker()
        self.open_runs = {}
        self.attached = None
        self._retiring = {}
        self._exit_participants = []
        self.forked = True
        inherited = self._dispatcher
        if isinstance(inherited, Dispatcher):
            inherited.detach_after_fork()  # runs opened before the fork still point at it
        self._dispatcher = NullDispatcher()
        self.hooks.after_fork_in_child()


def _backend_key(cfg: Config) -> tuple[Any, ...]:
    return (
        tuple(b if isinstance(b, str) else id(b) for b in cfg.backends),
        cfg.tracking_dir,
        repr(sorted((k, sorted(v.items())) for k, v in cfg.backend_options.items())),
        cfg.registered_model_name,
        cfg.registered_model_alias,
        cfg.synchronous,
        cfg.flush_interval,
        cfg.batch_size,
        cfg.max_queue_size,
        cfg.retry_seconds,
    )


def build_backends(specs: Sequence[Any], cfg: Config) -> list[Backend]:
    """Backends from names and instances. Unknown names raise; unavailable ones warn and skip."""
    from autolog import _plugins

    backends: list[Backend] = []
    for spec in specs:
        if isinstance(spec, Backend):
            backends.append(_checked(spec))
            continue
        if not isinstance(spec, str):
            raise TypeError(f"autolog(backends=...) takes backend names or Backend instances, got {spec!r}")
        library = _BACKEND_LIBRARIES.get(spec)
        if library and _missing(library):
            warn_once(
                f"backend-missing:{spec}",
                f"autolog: backend {spec!r} needs the {library!r} package "
                f"(pip install 'autolog-suite[{spec}]'); it is skipped.",
            )
            continue
        backend = _plugins.plugin_manager().hook.autolog_make_backend(name=spec, config=cfg)
        if backend is None:
            known = ", ".join(sorted(_plugins.known_backend_names())) or "none"
            raise ValueError(f"autolog: unknown backend {spec!r} (installed backends: {known})")
        backends.append(_checked(backend))
    return backends


def _missing(library: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(library) is None


def _checked(backend: Backend) -> Backend:
    from autolog.sdk.backend_base import implements_write_batch

    if not implements_write_batch(backend):
        raise TypeError(
            f"autolog: backend {type(backend).__name__} implements neither write_batch() nor the "
            "per-record methods of autolog.sdk.RecordBackend (subclass that for start_run, "
            "log_metrics, ...)"
        )
    return backend


def _call_plugins(hook: str, **kwargs: Any) -> None:
    from autolog import _plugins

    manager = _plugins.loaded_manager()
    if manager is None:
        return
    try:
        getattr(manager.hook, hook)(**kwargs)
    except Exception as exc:  # noqa: BLE001
        report_internal_error(f"plugin hook {hook}", exc)


_SESSION: Session | None = None
_SESSION_LOCK = threading.Lock()


def current() -> Session:
    """This process's session, created on first use."""
    session = _SESSION
    if session is None:
        with _SESSION_LOCK:
            if _SESSION is None:
                globals()["_SESSION"] = Session()
            session = _SESSION
    return session  # type: ignore[return-value]
