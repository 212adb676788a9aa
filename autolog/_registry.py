"""The registry of integrations: which exist (plugins' ``autolog_register_integrations``), the
post-import hooks that patch a framework when it is imported, enabling and exact reverting.

Its state (enabled names, installed patchers, hooked modules) lives in the session.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import wrapt

from autolog import _session
from autolog._safety import report_internal_error, warn_once
from autolog.sdk.patching import Integration, Patcher

if TYPE_CHECKING:
    from autolog.config import Config


def integrations() -> dict[str, Integration]:
    """Every integration the loaded plugins provide, by name."""
    from autolog import _plugins

    found: dict[str, Integration] = {}
    for batch in _plugins.plugin_manager().hook.autolog_register_integrations():
        for integration in batch or ():
            found.setdefault(integration.name, integration)
    return found


def enable(cfg: Config) -> None:
    """Patch every integration the config enables (now, or when its framework is imported)."""
    state = _session.current().integrations
    with state.lock:
        for name, integration in integrations().items():
            if cfg.integration_enabled(name):
                state.enabled.add(name)
                key = (name, integration.module)
                if key in state.hooked:
                    _patch_if_imported(integration)
                else:
                    state.hooked.add(key)  # post-import hooks cannot be removed: registered once
                    wrapt.register_post_import_hook(_on_import_hook(integration), integration.module)
            else:
                _disable_one(name)


def disable_all() -> None:
    """Revert every patch; frameworks behave as if autolog had never been imported."""
    state = _session.current().integrations
    with state.lock:
        for name in list(state.patchers):
            _disable_one(name)
        state.enabled.clear()


def _disable_one(name: str) -> None:
    state = _session.current().integrations
    state.enabled.discard(name)
    entry = state.patchers.pop(name, None)
    if entry is not None:
        patcher, integration = entry
        patcher.revert()
        if integration.unpatch is not None:
            try:
                integration.unpatch()
            except Exception as exc:  # noqa: BLE001
                report_internal_error(f"{name} unpatch", exc)


def _patch_if_imported(integration: Integration) -> None:
    module = sys.modules.get(integration.module)
    if module is not None:
        _apply(integration)


def _on_import_hook(integration: Integration) -> Callable[[Any], None]:
    def hook(module: Any) -> None:
        try:
            state = _session.current().integrations
            with state.lock:
                if integration.name in state.enabled:
                    _apply(integration)
        except Exception as exc:  # noqa: BLE001 - never break the user's import
            try:
                report_internal_error(f"{integration.name} patching on import", exc)
            except Exception:  # noqa: BLE001 - not even under AUTOLOG_TESTING
                pass

    return hook


def _apply(integration: Integration) -> None:
    state = _session.current().integrations
    if integration.name in state.patchers:
        return
    _check_version(integration)
    patcher = Patcher(integration.name)
    try:
        integration.patch(patcher, _session.current().config())
    except Exception as exc:  # noqa: BLE001
        patcher.revert()
        report_internal_error(f"{integration.name} patching", exc)
        return
    state.patchers[integration.name] = (patcher, integration)


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
