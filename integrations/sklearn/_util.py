"""Small helpers shared by the integration's modules: seeing through autolog's own wrappers."""

from __future__ import annotations

import contextvars
from typing import Any

from autolog.sdk import first_outside_frame, original_attribute, unwrapped

__all__ = ["called_by_sklearn", "caller_module", "original", "original_attribute", "quiet", "unwrapped"]

#: Set while autolog's own background work runs: nothing it calls is logged.
quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("autolog_sklearn_quiet", default=False)


def original(func: Any) -> Any:
    """The original of a possibly patched function, for autolog's own calls (never logged)."""
    return unwrapped(func)


def caller_module(skip: int = 1) -> str:
    """``__name__`` of the nearest calling module outside autolog (and wrapt), or ``""``."""
    frame, _ = first_outside_frame(skip + 1)
    return "" if frame is None else frame.f_globals.get("__name__", "")


def called_by_sklearn() -> bool:
    """True when scikit-learn's own code made the call being wrapped (a helper fit, a scorer)."""
    return caller_module(2).startswith("sklearn.")
