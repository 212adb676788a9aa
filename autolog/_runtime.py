"""Process-wide state: the current config, its backends and dispatcher, and their lifecycle.

Everything else reads the state through the small functions here. ``configure`` swaps in a new
configuration (flushing and closing the old dispatcher when the backends change); the first use
without any ``autolog()`` call configures from the environment. Forked children and non-zero
ranks get a dispatcher that drops everything: only the main process logs.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from typing import TYPE_CHECKING, Any, Sequence

from autolog import config as _config
from autolog._dispatch import Dispatcher
from autolog._safety import report_internal_error, warn_once
from autolog.backend import Backend

if TYPE_CHECKING:
    from autolog._runs import Run
    from autolog.config import Config
    from autolog.records import RunEnd, RunStart

#: Built-in backends and the library each needs (checked before building one).
_BACKEND_LIBRARIES = {"mlflow": "mlflow", "wandb": "wandb", "tensorboard": "tensorboard"}


class _NullDispatcher:
    """Used where this process must not log (forked child, non-zero rank)."""

    backends: list[Backend] = []

    def emit(self, record: Any) -> None:
        pass

    def wake(self) -> None:
        pass

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> bool:
        return True


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config: Config | None = None
        self.dispatcher: Dispatcher | _NullDispatcher | None = None
        self.backend_key: tuple[Any, ...] | None = None
        self.enabled = False
        self.forked = False


STATE = _State()


def is_rank_zero() -> bool:
    """False in a distributed worker other than rank 0 (``RANK`` set by torchrun and friends)."""
    return os.environ.get("RANK", "0") in ("0", "")


def config() -> "Config":
    cfg = STATE.config
    if cfg is None:
        with STATE.lock:
            if STATE.config is None:
                STATE.config = _config.resolve()
            cfg = STATE.config
    return cfg


def is_silent() -> bool:
    cfg = STATE.config
    return bool(cfg and cfg.silent)


def dispatcher() -> "Dispatcher | _NullDispatcher":
    current = STATE.dispatcher
    if current is None:
        with STATE.lock:
            if STATE.dispatcher is None:
                _install_dispatcher(config())
            current = STATE.dispatcher
    return current  # type: ignore[return-value]


def configure(cfg: "Config") -> None:
    """Make ``cfg`` current; rebuild backends only when their description changed."""
    with STATE.lock:
        STATE.config = cfg
        key = _backend_key(cfg)
        if STATE.dispatcher is None or key != STATE.backend_key:
            old = STATE.dispatcher
            _install_dispatcher(cfg)
            if old is not None:
                _retire(old)


#: Dispatchers replaced by a reconfiguration: each is closed (in the background, never making
#: ``autolog()`` wait for a slow backend) once no open run still logs through it.
_RETIRING: dict[int, tuple[Any, "threading.Thread | None"]] = {}


def _retire(old: Any) -> None:
    _RETIRING[id(old)] = (old, None)
    _close_if_unused(old)


def _close_if_unused(old: Any) -> None:
    entry = _RETIRING.get(id(old))
    if entry is None or entry[1] is not None:
        return
    if any(run._dispatcher is old for run in list(OPEN_RUNS.values())):
        return  # closed when the last of its runs ends
    timeout = config().exit_flush_timeout
    closer = threading.Thread(target=old.close, args=(timeout,), name="autolog-retire", daemon=True)
    _RETIRING[id(old)] = (old, closer)
    closer.start()


def _backend_key(cfg: "Config") -> tuple[Any, ...]:
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


def _install_dispatcher(cfg: "Config") -> None:
    if STATE.forked or not is_rank_zero():
        STATE.dispatcher = _NullDispatcher()
    else:
        STATE.dispatcher = Dispatcher(
            build_backends(cfg.backends, cfg),
            synchronous=cfg.synchronous,
            flush_interval=cfg.flush_interval,
            batch_size=cfg.batch_size,
            max_queue_size=cfg.max_queue_size,
            retry_seconds=cfg.retry_seconds,
        )
    STATE.backend_key = _backend_key(cfg)


def build_backends(specs: Sequence[Any], cfg: "Config") -> list[Backend]:
    """Backends from names and instances. Unknown names raise; unavailable ones warn and skip."""
    from autolog import _plugins

    backends: list[Backend] = []
    for spec in specs:
        if isinstance(spec, Backend):
            backends.append(spec)
            continue
        if not isinstance(spec, str):
            raise TypeError(f"autolog(backends=...) takes backend names or Backend instances, got {spec!r}")
        library = _BACKEND_LIBRARIES.get(spec)
        if library and importlib.util.find_spec(library) is None:
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
        backends.append(backend)
    return backends


#: Runs started and not yet ended, so that exit can end them (explicit runs FINISHED, as MLflow
#: does; autologged ones FAILED: their patched call never returned).
OPEN_RUNS: dict[str, "Run"] = {}


def run_starting(start: "RunStart", run: "Run") -> None:
    """In the caller's thread, before a run's first record: backends' and plugins' hooks."""
    OPEN_RUNS[start.run_id] = run
    for backend in getattr(dispatcher(), "backends", ()):
        try:
            backend.on_run_start(start)
        except Exception as exc:  # noqa: BLE001
            report_internal_error(f"backend {backend.name!r} on_run_start", exc)
    _call_plugins("autolog_run_started", run=start)


def run_ended(end: "RunEnd", run: "Run") -> None:
    OPEN_RUNS.pop(end.run_id, None)
    if _RETIRING:
        _close_if_unused(run._dispatcher)
    _call_plugins("autolog_run_ended", run=end)


def _call_plugins(hook: str, **kwargs: Any) -> None:
    from autolog import _plugins

    manager = _plugins.loaded_manager()
    if manager is None:
        return
    try:
        getattr(manager.hook, hook)(**kwargs)
    except Exception as exc:  # noqa: BLE001
        report_internal_error(f"plugin hook {hook}", exc)


def flush(timeout: float | None = None) -> bool:
    """Wait for background tasks, then until queued records reached the backends."""
    import time

    from autolog import _background

    start = time.monotonic()
    done = _background.wait(timeout)
    current = STATE.dispatcher
    if current is None:
        return done
    remaining = None if timeout is None else max(0.0, timeout - (time.monotonic() - start))
    return current.flush(remaining) and done


def flush_for_read(timeout: float = 30.0) -> None:
    """Called by readers (``Client``) so a process always reads its own writes."""
    if STATE.dispatcher is not None:
        flush(timeout)


def end_open_runs() -> None:
    """End every run still open: explicit ones FINISHED, autologged ones FAILED."""
    from autolog.records import RunStatus

    for run in list(OPEN_RUNS.values()):
        try:
            run.end(RunStatus.FAILED if run._autologged else RunStatus.FINISHED)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("ending open runs at exit", exc)
    OPEN_RUNS.clear()


def shutdown() -> None:
    """Flush and close the dispatcher (at exit, and in tests)."""
    with STATE.lock:
        current, STATE.dispatcher = STATE.dispatcher, None
        STATE.backend_key = None
    timeout = STATE.config.exit_flush_timeout if STATE.config else 30.0
    if current is not None:
        current.close(timeout)
    for old, closer in list(_RETIRING.values()):
        if closer is None:
            old.close(timeout)
        else:
            closer.join(timeout)
    _RETIRING.clear()


def reset() -> None:
    """Forget all configuration (tests): shut down and clear the config."""
    shutdown()
    STATE.config = None


def _after_fork_in_child() -> None:
    from autolog import _background

    _background.after_fork_in_child()
    OPEN_RUNS.clear()
    STATE.forked = True
    inherited = STATE.dispatcher
    if isinstance(inherited, Dispatcher):  # runs opened before the fork still point at it
        inherited.emit = _NullDispatcher.emit.__get__(inherited)  # type: ignore[method-assign]
        inherited.flush = _NullDispatcher.flush.__get__(inherited)  # type: ignore[method-assign]
        inherited.close = _NullDispatcher.close.__get__(inherited)  # type: ignore[method-assign]
    STATE.dispatcher = _NullDispatcher()
    STATE.lock = threading.RLock()


def _at_exit() -> None:
    if STATE.forked:
        return
    end_open_runs()
    shutdown()


# Before every ``atexit`` hook when the interpreter allows it: SDKs such as wandb stop their
# services in ``atexit`` hooks, and autolog must deliver to them first.
_register_early = getattr(threading, "_register_atexit", None)
if _register_early is not None:
    _register_early(_at_exit)
else:  # pragma: no cover - other interpreters
    atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
