"""The never-break-the-user contract: autolog's own errors become one warning.

``AUTOLOG_TESTING=1`` turns those warnings back into exceptions, so tests see every internal
error. Warnings are de-duplicated by a key so a failure that repeats at every training step is
reported once.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("autolog")

F = TypeVar("F", bound=Callable[..., Any])

_warned: set[str] = set()
_warned_lock = threading.Lock()
_silent = False


def set_silent(silent: bool) -> None:
    """``autolog(silent=True)``: warnings go to the ``autolog`` logger at debug level instead."""
    global _silent
    _silent = bool(silent)


class AutologWarning(UserWarning):
    """Everything autolog tells the user about its own trouble."""


def testing() -> bool:
    """True when ``AUTOLOG_TESTING=1``: internal errors are raised instead of warned."""
    return os.environ.get("AUTOLOG_TESTING", "") in ("1", "true", "True")


def warn_once(key: str, message: str) -> None:
    """Warn with ``message`` the first time ``key`` is seen in this process."""
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    if _silent:
        logger.debug(message)
        return
    warnings.warn(message, AutologWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside autolog (and wrapt)."""
    from autolog.sdk.policy import first_outside_frame

    _frame, level = first_outside_frame(2)
    return level - 1


def reset_warnings() -> None:
    """Forget which warnings were given (tests)."""
    with _warned_lock:
        _warned.clear()


def report_internal_error(where: str, exc: BaseException) -> None:
    """Handle an exception raised by autolog's own code at ``where``."""
    if testing():
        raise exc
    warn_once(
        f"internal:{where}:{type(exc).__name__}",
        f"autolog: {where} failed and was skipped ({type(exc).__name__}: {exc}); "
        "your code continues unaffected. Set AUTOLOG_TESTING=1 to raise instead.",
    )


def exception_safe(where: str) -> Callable[[F], F]:
    """Decorate autolog code so that its exceptions become :func:`report_internal_error`.

    The wrapped function then returns None on error. ``KeyboardInterrupt`` and ``SystemExit`` are
    never swallowed.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the contract: autolog's errors become a warning
                report_internal_error(where, exc)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate
