"""Fits on joblib worker threads of a logged call do not log again.

The core's re-entrancy guard is a context variable, and joblib's worker threads do not inherit
the caller's context: a ``GridSearchCV(n_jobs=2)`` under the threading backend would otherwise
log every candidate's fit as a run of its own. ``joblib.Parallel.__call__`` is wrapped: while a
logging call (a fit, a search, ``cross_validate``) runs a ``Parallel``, that ``Parallel`` is
registered, and a fit starting on one of its pool's threads is not logged. Threads the user
starts themselves are never in such a pool, so two user threads fitting at once each log their
own run. Process-based backends (loky, the default) need nothing: autolog is not enabled in
their workers.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from autolog.sdk import in_patched_call

if TYPE_CHECKING:
    from autolog.sdk import Patcher

_active: dict[int, Any] = {}


def clear() -> None:
    _active.clear()


def parallel_call(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Wrapper of ``joblib.Parallel.__call__``: registers the Parallel of a logging call."""
    if instance is None or not in_patched_call():
        return wrapped(*args, **kwargs)
    key = id(instance)
    outer = key in _active
    _active[key] = instance
    try:
        return wrapped(*args, **kwargs)
    finally:
        if not outer:
            _active.pop(key, None)


def on_worker_of_logging_call() -> bool:
    """True on a pool thread of a ``Parallel`` run by a logging call (in another thread)."""
    if not _active:
        return False
    me = threading.current_thread()
    for parallel in list(_active.values()):
        backend = getattr(parallel, "_backend", None)
        pool = getattr(backend, "_pool", None)
        workers = getattr(pool, "_pool", None)
        if workers is not None:
            if any(worker is me for worker in list(workers)):
                return True
        elif pool is not None and _is_pool_thread(me):  # a thread backend we cannot look into
            return True
    return False


def _is_pool_thread(thread: threading.Thread) -> bool:
    from multiprocessing.dummy import DummyProcess

    return isinstance(thread, DummyProcess)


def patch(patcher: Patcher, module: Any) -> None:
    """Wrap ``joblib.parallel.Parallel.__call__`` (``module`` is ``joblib.parallel``)."""
    parallel = getattr(module, "Parallel", None)
    if parallel is not None:
        patcher.wrap(parallel, "__call__", parallel_call)
