"""Integrations and the patching machinery with autolog's safety contract.

An :class:`Integration` names the module it waits for and how to patch it. autolog registers a
wrapt post-import hook for that module, so a framework imported after ``autolog.autolog()`` is
patched on import; the hook never lets an error reach the user's ``import``.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

import wrapt

from autolog import _session
from autolog._safety import report_internal_error, warn_once

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


class _AutologBoundWrapper(wrapt.BoundFunctionWrapper):
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


class _AutologWrapper(wrapt.FunctionWrapper):
    """Marks wrappers installed by autolog, so patching twice is detectable.

    Patched functions and methods pickle and copy like their originals, by reference, so
    ``joblib.delayed(est.fit)`` or ``make_scorer(sklearn.metrics.f1_score)`` sent to worker
    processes keep working (a worker without autolog gets the original).
    """

    __bound_function_wrapper__ = _AutologBoundWrapper

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
                report_internal_error(f"{integration} autologging (before the call)", exc)
            try:
                result = wrapped(*args, **kwargs)
            except BaseException as exc:
                if state is not None:
                    try:
                        hooks.error(state, exc)
                    except Exception as inner:  # noqa: BLE001
                        report_internal_error(f"{integration} autologging (after an error)", inner)
                raise
            if state is not None:
                try:
                    hooks.after(state, result)
                except Exception as exc:  # noqa: BLE001
                    report_internal_error(f"{integration} autologging (after the call)", exc)
            return result
        finally:
            _in_patched_call.reset(token)

    return wrapper


class Patcher:
    """Installs wrappers for one integration and reverts them exactly."""

    def __init__(self, integration: str) -> None:
        self.integration = integration
        self._patches: list[tuple[type, str, Any]] = []
        self._lock = threading.Lock()

    def wrap(self, owner: type, name: str, wrapper: Callable[..., Any]) -> bool:
        """Wrap ``owner.<name>`` where ``owner`` itself defines it; False if it doesn't or if done."""
        original = owner.__dict__.get(name, _MISSING)
        if original is _MISSING or isinstance(original, _AutologWrapper):
            return False
        with self._lock:
            setattr(owner, name, _AutologWrapper(original, wrapper))
            self._patches.append((owner, name, original))
        return True

    def revert(self) -> None:
        """Put back every original, newest first; leaves classes exactly as they were."""
        with self._lock:
            patches, self._patches = self._patches, []
        for owner, name, original in reversed(patches):
            current = owner.__dict__.get(name, _MISSING)
            if isinstance(current, _AutologWrapper):
                setattr(owner, name, original)

    @property
    def patched(self) -> list[tuple[type, str]]:
        return [(owner, name) for owner, name, _ in self._patches]


def is_patched(owner: type, name: str) -> bool:
    """True when ``owner`` itself holds an autolog wrapper for ``name``."""
    return isinstance(owner.__dict__.get(name), _AutologWrapper)


@dataclass(frozen=True)
class Integration:
    """A framework integration, returned by a plugin's ``autolog_register_integrations`` hook.

    ``patch(patcher, config)`` runs once the framework's ``module`` has been imported; it installs
    wrappers through ``patcher``, which autolog reverts on disable. ``distribution`` with
    ``min_version``/``max_version`` (exclusive) gives the versions tested; others warn once.
    """

    name: str
    module: str
    patch: Callable[[Patcher, "Config"], None]
    distribution: str | None = None
    min_version: str | None = None
    max_version: str | None = None
    #: optional extra cleanup after the patches were reverted
    unpatch: Callable[[], None] | None = None


# -- the registry of integrations and their lifecycle ----------------------------------------------
_lock = threading.RLock()
_hooked: set[tuple[str, str]] = set()
_patchers: dict[str, tuple[Patcher, Integration]] = {}
_enabled: set[str] = set()


def is_active(integration: str) -> bool:
    """Whether ``integration`` should log right now."""
    return integration in _enabled and not _session.current().forked


def integrations() -> dict[str, Integration]:
    """Every integration the loaded plugins provide, by name."""
    from autolog import _plugins

    found: dict[str, Integration] = {}
    for batch in _plugins.plugin_manager().hook.autolog_register_integrations():
        for integration in batch or ():
            found.setdefault(integration.name, integration)
    return found


def enable(cfg: "Config") -> None:
    """Patch every integration the config enables (now, or when its framework is imported)."""
    with _lock:
        for name, integration in integrations().items():
            if cfg.integration_enabled(name):
                _enabled.add(name)
                key = (name, integration.module)
                if key in _hooked:
                    _patch_if_imported(integration)
                else:
                    _hooked.add(key)
                    wrapt.register_post_import_hook(_on_import_hook(integration), integration.module)
            else:
                _disable_one(name)


def disable_all() -> None:
    """Revert every patch; frameworks behave as if autolog had never been imported."""
    with _lock:
        for name in list(_patchers):
            _disable_one(name)
        _enabled.clear()


def _disable_one(name: str) -> None:
    _enabled.discard(name)
    entry = _patchers.pop(name, None)
    if entry is not None:
        patcher, integration = entry
        patcher.revert()
        if integration.unpatch is not None:
            try:
                integration.unpatch()
            except Exception as exc:  # noqa: BLE001
                report_internal_error(f"{name} unpatch", exc)


def _patch_if_imported(integration: Integration) -> None:
    import sys

    module = sys.modules.get(integration.module)
    if module is not None:
        _apply(integration)


def _on_import_hook(integration: Integration) -> Callable[[Any], None]:
    def hook(module: Any) -> None:
        try:
            with _lock:
                if integration.name in _enabled:
                    _apply(integration)
        except Exception as exc:  # noqa: BLE001 - never break the user's import
            try:
                report_internal_error(f"{integration.name} patching on import", exc)
            except Exception:  # noqa: BLE001 - not even under AUTOLOG_TESTING
                pass

    return hook


def _apply(integration: Integration) -> None:
    if integration.name in _patchers:
        return
    _check_version(integration)
    patcher = Patcher(integration.name)
    try:
        integration.patch(patcher, _session.current().config())
    except Exception as exc:  # noqa: BLE001
        patcher.revert()
        report_internal_error(f"{integration.name} patching", exc)
        return
    _patchers[integration.name] = (patcher, integration)


def _check_version(integration: Integration) -> None:
    if not integration.distribution:
        return
    from importlib import metadata

    from packaging.version import InvalidVersion, Version

    try:
        installed = Version(metadata.version(integration.distribution))
    except (metadata.PackageNotFoundError, InvalidVersion):
        return
    low = Version(integration.min_version) if integration.min_version else None
    high = Version(integration.max_version) if integration.max_version else None
    if (low and installed < low) or (high and installed >= high):
        warn_once(
            f"version:{integration.name}",
            f"autolog: {integration.distribution} {installed} is outside the tested range "
            f"[{integration.min_version or '*'}, {integration.max_version or '*'}); "
            f"autologging for {integration.name} is enabled but may miss records.",
        )
