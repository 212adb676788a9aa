"""Explicit instrumentation, without turning autologging on globally.

``instrument(estimator)`` records the fits of that one instance; ``with instrument():`` records
every fit made inside the block (in this thread or task). Both install the class patches on first
use if ``autolog.autolog()`` has not (they stay inert for everything else), and both log with the
current configuration (``autolog.autolog(...)``'s settings, or the ``AUTOLOG_*`` environment).

Nothing is stored on the estimator: an instrumented instance pickles and clones exactly as
before (a clone or an unpickled copy is a new, uninstrumented object).
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from typing import Any, TypeVar, overload

E = TypeVar("E")

_instrumented: dict[int, weakref.ref[Any]] = {}
_lock = threading.Lock()
_in_block: contextvars.ContextVar[bool] = contextvars.ContextVar("autolog_sklearn_instrument", default=False)


class InstrumentBlock:
    """The context manager returned by ``instrument()``: fits inside it are recorded."""

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> InstrumentBlock:
        self._tokens.append(_in_block.set(True))
        return self

    def __exit__(self, *exc: Any) -> None:
        _in_block.reset(self._tokens.pop())


@overload
def instrument() -> InstrumentBlock: ...
@overload
def instrument(estimator: E) -> E: ...


def instrument(estimator: Any = None) -> Any:
    """Record the fits of ``estimator`` (returned as is), or of a ``with instrument():`` block."""
    from autolog.integrations.sklearn import _patch

    _patch.ensure_installed()
    if estimator is None:
        return InstrumentBlock()
    try:
        ref = weakref.ref(estimator)  # no callback: it would run inside the user's code at GC
    except TypeError:
        raise TypeError(f"cannot instrument {type(estimator).__name__}: it does not support weak references") from None
    with _lock:
        for key in [key for key, entry in _instrumented.items() if entry() is None]:
            del _instrumented[key]
        _instrumented[id(estimator)] = ref
    return estimator


def uninstrument(estimator: Any = None) -> None:
    """Stop recording ``estimator``'s fits; without an argument, every instance's, and remove the
    class patches that ``instrument`` installed (never those of ``autolog.autolog()``)."""
    from autolog.integrations.sklearn import _patch

    with _lock:
        if estimator is not None:
            ref = _instrumented.get(id(estimator))
            if ref is not None and ref() is estimator:
                del _instrumented[id(estimator)]
            return
        _instrumented.clear()
    _patch.remove_private()


def is_instrumented(instance: Any) -> bool:
    ref = _instrumented.get(id(instance))
    return ref is not None and ref() is instance


def wants(instance: Any) -> bool:
    """Whether explicit instrumentation asks for this call to be logged."""
    return _in_block.get() or (bool(_instrumented) and is_instrumented(instance))
