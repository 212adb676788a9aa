"""Small helpers shared by the integration's modules: seeing through autolog's own wrappers."""

from __future__ import annotations

import contextvars
from typing import Any

#: Set while autolog's own background work runs: nothing it calls is logged.
quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("autolog_sklearn_quiet", default=False)


def unwrapped(value: Any) -> Any:
    """``value`` without an autolog wrapper around it (the original function or descriptor)."""
    from autolog.integration import _AutologWrapper

    while isinstance(value, _AutologWrapper):
        value = value.__wrapped__
    return value


def original(func: Any) -> Any:
    """The original of a possibly patched function, for autolog's own calls (never logged)."""
    return unwrapped(func)


def original_attribute(cls: type, name: str) -> Any:
    """The original attribute ``name`` as ``cls`` resolves it through its MRO, or None."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return unwrapped(klass.__dict__[name])
    return None


def caller_module(skip: int = 1) -> str:
    """``__name__`` of the nearest calling module outside autolog (and wrapt), or ``""``."""
    import sys

    frame = sys._getframe(skip + 1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith(("autolog.", "wrapt")):
            return name
        frame = frame.f_back
    return ""


def called_by_sklearn() -> bool:
    """True when scikit-learn's own code made the call being wrapped (a helper fit, a scorer)."""
    return caller_module(2).startswith("sklearn.")
