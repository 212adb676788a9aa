"""Patching primitives for integrations, with autolog's safety contract.

An :class:`Integration` names the module it waits for and how to patch it. autolog registers a
wrapt post-import hook for that module, so a framework imported after ``autolog.autolog()`` is
patched on import; the hook never lets an error reach the user's ``import`` (see
``autolog._registry``).

:class:`Patcher` installs wrapt wrappers on the class that defines a method and records each one
for exact revert. :func:`safe_wrapper` builds the wrapper every integration uses; its contract:

* the original is called exactly once, with the user's arguments untouched;
* its return value and its exceptions reach the caller unchanged;
* an error in autolog's own ``before``/``after``/``error`` code becomes one warning (raised when
  ``AUTOLOG_TESTING=1``);
* only the outermost patched call logs (a context variable guards re-entry), and nothing logs
  while the integration is disabled, in a forked child or on a non-zero rank.
"""

from __future__ import annotations

import contextvars
import copy
import importlib
import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import wrapt

from autolog import _session
from autolog._safety import report_internal_error

if TYPE_CHECKING:
    from autolog.config import Config

_MISSING = object()

#: True while a patched call runs in this context: nested patched calls do not log.
_in_patched_call: contextvars.ContextVar[bool] = contextvars.ContextVar("autolog_in_patched_call", default=False)


def in_patched_call() -> bool:
    """True inside a patched call that is logging (so inner calls must not log again)."""
    return _in_patched_call.get()


class CallHooks(Protocol):
    """What an integration does around one patched call (all in the caller's thread)."""

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Snapshot what is needed and return a state; None means: do not log this call."""

    def after(self, state: Any, result: Any) -> None:
        """The call returned ``result``: log and end what ``before`` opened."""

    def error(self, state: Any, exc: BaseException) -> None:
        """The call raised ``exc`` (re-raised unchanged afterwards)."""


class _ModuleReference:
    """Pickles as ``importlib.import_module(name)``: unpickling needs no autolog."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> Any:
        return importlib.import_module, (self.name,)


class AutologBoundWrapper(wrapt.BoundFunctionWrapper):
    """A patched method looked up on an instance or class; pickles like the plain method."""

    def __reduce_ex__(self, protocol: Any) -> Any:
        if self._self_instance is None:  # ``Class.method``: found again by name on unpickling
            return getattr, (self._self_owner, self.__name__)
        return self.__wrapped__.__reduce_ex__(protocol)  # ``obj.method``: getattr(obj, name)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:  # as ``copy`` does for bound methods
        if self._self_instance is None:
            return self
        return getattr(copy.deepcopy(self._self_instance, memo), self.__name__)


class AutologWrapper(wrapt.FunctionWrapper):
    """Marks wrappers installed by autolog, so patching twice is detectable.

    Patched functions and methods pickle and copy like their originals, by reference, so
    ``joblib.delayed(est.fit)`` or ``make_scorer(sklearn.metrics.f1_score)`` sent to worker
    processes keep working (a worker without autolog gets the original).
    """

    __bound_function_wrapper__ = AutologBoundWrapper

    def __reduce_ex__(self, protocol: Any) -> Any:
        module = getattr(self, "__module__", None)
        name = getattr(self, "__qualname__", "")
        if module and name and "." not in name:  # a module's function: by name, like the original
            return getattr, (_ModuleReference(module), name)
        return operator.itemgetter(0), ([self.__wrapped__],)

    def __copy__(self) -> Any:  # functions are atomic for ``copy``
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self


def safe_wrapper(
    integration: str,
    hooks: CallHooks,
    should_log: Callable[[Any], bool] | None = None,
) -> Callable[..., Any]:
    """A wrapt wrapper applying ``hooks`` around the original under the safety contract.

    ``should_log(instance)`` replaces the default check (the integration is enabled) when given,
    e.g. to log only explicitly instrumented instances.
    """

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _in_patched_call.get() or _session.current().forked:
            return wrapped(*args, **kwargs)
        try:
            log = should_log(instance) if should_log is not None else is_active(integration)
        except Exception:  # noqa: BLE001
            log = False
        if not log:
            return wrapped(*args, **kwargs)
        token = _in_patched_call.set(True)
        try:
            state = None
            try:
                state = hooks.before(instance, args, kwargs)
            except Exception as exc:  # noqa: BLE001
                _reraise_interruption(exc)
                report_internal_error(f"{integration} autologging (before the call)", exc)
            try:
                result = wrapped(*args, **kwargs)
            except BaseException as exc:
                if state is not None:
                    try:
                        hooks.error(state, exc)
                    except Exception as inner:  # noqa: BLE001
                        _reraise_interruption(inner)
                        report_internal_error(f"{integration} autologging (after an error)", inner)
                raise
            if state is not None:
                try:
                    hooks.after(state, result)
                except Exception as exc:  # noqa: BLE001
                    _reraise_interruption(exc)
                    report_internal_error(f"{integration} autologging (after the call)", exc)
            return result
        finally:
            _in_patched_call.reset(token)

    return wrapper


def _reraise_interruption(exc: BaseException) -> None:
    """If autolog's error happened while handling a Ctrl-C or ``sys.exit`` (its context), raise
    that instead: an autolog bug must never swallow the user's interruption."""
    seen: set[int] = set()
    cause: BaseException | None = exc.__context__
    while cause is not None and id(cause) not in seen:
        if not isinstance(cause, Exception):
            raise cause
        seen.add(id(cause))
        cause = cause.__context__


class Patcher:
    """Installs wrappers for one integration and reverts them exactly."""

    def __init__(self, integration: str) -> None:
        self.integration = integration
        self._patches: list[tuple[type, str, Any]] = []
        self._lock = threading.Lock()

    def wrap(self, owner: type, name: str, wrapper: Callable[..., Any]) -> bool:
        """Wrap ``owner.<name>`` where ``owner`` itself defines it; False if it doesn't or if done."""
        original = owner.__dict__.get(name, _MISSING)
        if original is _MISSING or isinstance(original, AutologWrapper):
            return False
        with self._lock:
            setattr(owner, name, AutologWrapper(original, wrapper))
            self._patches.append((owner, name, original))
        return True

    def revert(self) -> None:
        """Put back every original, newest first; leaves classes exactly as they were."""
        with self._lock:
            patches, self._patches = self._patches, []
        for owner, name, original in reversed(patches):
            current = owner.__dict__.get(name, _MISSING)
            if isinstance(current, AutologWrapper):
                setattr(owner, name, original)

    @property
    def patched(self) -> list[tuple[type, str]]:
        return [(owner, name) for owner, name, _ in self._patches]


def is_patched(owner: type, name: str) -> bool:
    """True when ``owner`` itself holds an autolog wrapper for ``name``."""
    return isinstance(owner.__dict__.get(name), AutologWrapper)


@dataclass(frozen=True)
class Integration:
    """A framework integration, returned by a plugin's ``autolog_register_integrations`` hook.

    ``patch(patcher, config)`` runs once the framework's ``module`` has been imported; it installs
    wrappers through ``patcher``, which autolog reverts on disable. ``distribution`` with
    ``min_version``/``max_version`` (exclusive) gives the versions tested; others warn once.
    """

    name: str
    module: str
    patch: Callable[[Patcher, Config], None]
    distribution: str | None = None
    min_version: str | None = None
    max_version: str | None = None
    #: optional extra cleanup after the patches were reverted
    unpatch: Callable[[], None] | None = None


def is_active(integration: str) -> bool:
    """Whether ``integration`` should log right now (enabled, and not in a forked child)."""
    session = _session.current()
    return integration in session.active_integrations and not session.forked


def unwrapped(value: Any) -> Any:
    """``value`` without autolog's wrappers around it (the original function or descriptor)."""
    while isinstance(value, AutologWrapper):
        value = value.__wrapped__
    return value


def original_attribute(cls: type, name: str) -> Any:
    """The original attribute ``name`` as ``cls`` resolves it through its MRO, or None."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return unwrapped(klass.__dict__[name])
    return None


def is_autolog_wrapper(value: Any) -> bool:
    """True for a function or descriptor that autolog wrapped (its original is ``unwrapped``)."""
    return isinstance(value, AutologWrapper)
