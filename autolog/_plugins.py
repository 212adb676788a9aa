"""The plugin manager: built-in plugins by module name, third parties by entry point.

A plugin that fails to import or validate warns and is skipped; autolog keeps working with the
rest. Importing a built-in plugin module never imports its framework or SDK.
"""

from __future__ import annotations

import importlib
import threading
from importlib import metadata
from typing import Any

import pluggy

import autolog.sdk.hookspecs as hookspecs
from autolog._safety import warn_once

ENTRY_POINT_GROUP = "autolog"

BUILTIN_PLUGINS = (
    "autolog.backends.local",
    "autolog.backends.mlflow",
    "autolog.backends.wandb",
    "autolog.backends.tensorboard",
    "autolog.integrations.sklearn",
    "autolog.integrations.transformers",
)

_manager: pluggy.PluginManager | None = None
_lock = threading.Lock()


def loaded_manager() -> pluggy.PluginManager | None:
    """The plugin manager if it was built already (hot paths must not trigger loading)."""
    return _manager


def plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, built and loaded on first use."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                _manager = _build()
    return _manager


def _build() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # this built-in is not part of this installation
                continue
            _skip(name, exc)
            continue
        except Exception as exc:  # noqa: BLE001
            _skip(name, exc)
            continue
        _register(manager, module, name)
    for entry_point in _entry_points():
        try:
            plugin = entry_point.load()
        except Exception as exc:  # noqa: BLE001
            _skip(f"{entry_point.name} ({entry_point.value})", exc)
            continue
        _register(manager, plugin, entry_point.name)
    return manager


def _entry_points() -> list[Any]:
    try:
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception:  # noqa: BLE001 - broken metadata of an unrelated package
        return []


def _register(manager: pluggy.PluginManager, plugin: Any, name: str) -> None:
    if manager.is_registered(plugin) or manager.has_plugin(name):
        return
    try:
        manager.register(plugin, name=name)
    except Exception as exc:  # noqa: BLE001
        _skip(name, exc)
        return
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        manager.unregister(plugin)
        _skip(name, exc)


def _skip(name: str, exc: BaseException) -> None:
    warn_once(
        f"plugin:{name}",
        f"autolog: plugin {name!r} could not be loaded and is skipped ({type(exc).__name__}: {exc}).",
    )


def known_backend_names() -> set[str]:
    """Names of backends from built-in modules and plugins that declare ``BACKEND_NAMES``."""
    names = {"local", "mlflow", "wandb", "tensorboard"}
    for plugin in plugin_manager().get_plugins():
        names.update(getattr(plugin, "BACKEND_NAMES", ()))
    return names


def register(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object at run time (tests, notebooks)."""
    _register(plugin_manager(), plugin, name or str(getattr(plugin, "__name__", None) or repr(plugin)))


def reset() -> None:
    """Forget the manager (tests)."""
    global _manager
    with _lock:
        _manager = None
