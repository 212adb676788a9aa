"""Hook specifications: the contract between autolog and its plugins.

Every integration and backend, built-in or third-party, is a pluggy plugin implementing some of
the hooks below. Built-in plugins are the modules ``autolog.integrations.<name>`` and
``autolog.backends.<name>``; third-party plugins are found through the ``autolog`` entry-point
group (``[project.entry-points.autolog] myplugin = "mypkg.autolog_plugin"``).

Hooks decide *which* integrations and backends exist and let plugins extend runs. The hot data
path (metric points, artifacts) is deliberately not a hook broadcast: it goes through the
dispatcher to ``Backend`` objects (see ``autolog.backend``), where each backend is isolated.

Implementations are marked with ``autolog.hookimpl``::

    from autolog import hookimpl

    @hookimpl
    def autolog_make_backend(name, config):
        if name == "mine":
            return MyBackend(**config.backend_options.get("mine", {}))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:
    from autolog.backend import Backend
    from autolog.config import Config
    from autolog.integration import Integration
    from autolog.records import RunEnd, RunStart

PROJECT = "autolog"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def autolog_register_integrations() -> "list[Integration]":
    """Return the integrations this plugin provides (called once, when plugins are loaded).

    An :class:`autolog.integration.Integration` names the module it waits for (``"sklearn"``), the
    version range it supports and its ``patch``/``unpatch`` functions. autolog installs a
    post-import hook for that module, so frameworks imported after ``autolog.autolog()`` are
    patched too, and never imports the framework itself.
    """


@hookspec(firstresult=True)
def autolog_make_backend(name: str, config: "Config") -> "Backend | None":
    """Build the backend called ``name`` (from ``autolog(backends=[...])``), or return None.

    Called in the caller's thread when ``autolog()`` configures backends. ``config`` carries the
    user's settings; ``config.backend_options.get(name, {})`` holds this backend's keyword options.
    The first non-None result wins. Import the tracking SDK inside this function or in the
    backend's methods, never at module top.
    """


@hookspec(firstresult=True)
def autolog_extract_params(obj: Any, integration: str) -> "Mapping[str, Any] | None":
    """Return the hyperparameters of ``obj`` (an estimator, a model, training arguments), or None.

    Called in the caller's thread by an integration before its own extraction; the first non-None
    result replaces it. Lets a plugin teach autolog a custom estimator. Values may be of any type:
    autolog stringifies and truncates them.
    """


@hookspec
def autolog_collect_tags(obj: Any, integration: str) -> "Mapping[str, str] | None":
    """Return extra tags for the run that ``obj`` is being logged to (results are merged)."""


@hookspec
def autolog_run_started(run: "RunStart") -> None:
    """Called in the caller's thread after a run was opened (autologged or explicit)."""


@hookspec
def autolog_run_ended(run: "RunEnd") -> None:
    """Called in the caller's thread after a run ended, with its final status."""
