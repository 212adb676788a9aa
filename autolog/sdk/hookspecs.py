"""Hook specifications: the contract between autolog and its plugins, and its documentation.

Every integration and backend, built-in or third-party, is a pluggy plugin implementing some of
the hooks below. Built-in plugins are the modules ``autolog.integrations.<name>`` and
``autolog.backends.<name>``; third-party plugins are found through the ``autolog`` entry-point
group::

    [project.entry-points.autolog]
    myplugin = "mypkg.autolog_plugin"

Hooks decide *which* integrations and backends exist and let plugins extend runs. The hot data
path (metric points, artifacts) is deliberately not a hook broadcast: pluggy calls every
implementation in turn and stops at the first that raises, and a broadcast per record would cost
a call per plugin per point. Records go through the dispatcher to :class:`autolog.sdk.Backend`
objects instead, each on its own thread and isolated.

Every hook name starts with ``autolog_``; implementations are marked with
:data:`autolog.sdk.hookimpl` and may accept any subset of a hook's arguments, by name::

    from autolog.sdk import hookimpl

    @hookimpl
    def autolog_make_backend(name, config):
        if name == "mine":
            return MyBackend(**config.backend_options.get("mine", {}))

**Errors.** A plugin that fails to import or to validate (a misspelt hook, an unknown argument)
is skipped with one warning; autolog keeps working with the rest. An exception raised by an
implementation becomes one warning at the call site (raised under ``AUTOLOG_TESTING=1``), and the
hook's result is then as if no plugin had answered: the user's code is never affected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from autolog.config import Config
    from autolog.records import RunEnd, RunStart
    from autolog.sdk.backend_base import Backend
    from autolog.sdk.patching import Integration

PROJECT = "autolog"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def autolog_register_integrations() -> list[Integration]:
    """Return the integrations this plugin provides.

    Called once per process, in the thread that first calls ``autolog.autolog()``, when plugins
    are loaded. Results of all plugins are merged; for two integrations of the same name the
    first plugin registered wins (built-ins first).

    Each :class:`autolog.sdk.Integration` names the module it waits for (``"sklearn"``), the
    distribution and version range it was tested with, and its ``patch(patcher, config)`` /
    ``unpatch()`` functions. autolog installs a post-import hook for the module, so a framework
    imported after ``autolog.autolog()`` is patched when it is imported; autolog never imports the
    framework itself. ``patch`` runs in whichever thread imports the framework (or in
    ``autolog()``'s, when it is imported already); if it raises, everything it patched is reverted
    and one warning says so.
    """


@hookspec(firstresult=True)
def autolog_make_backend(name: str, config: Config) -> Backend | None:
    """Build the backend called ``name`` (from ``autolog(backends=[...])``), or return None.

    :param name: the backend name the user gave, e.g. ``"jsonl"``.
    :param config: the user's settings; ``config.backend_options.get(name, {})`` holds this
        backend's keyword options.

    firstresult: the first non-None answer wins; when no plugin answers, ``autolog()`` raises
    ``ValueError`` naming the installed backends. Called in the caller's thread of
    ``autolog.autolog()`` (each time the backends change). Build cheaply: import the tracking SDK
    inside this function or in the backend's methods, never at module top, and connect lazily
    (on the first batch, in the backend's own thread). Raising here is the user's configuration
    error and propagates from ``autolog()``.
    """


@hookspec(firstresult=True)
def autolog_extract_params(obj: Any, integration: str) -> Mapping[str, Any] | None:
    """Return the hyperparameters of ``obj`` (an estimator, a model, training arguments), or None.

    :param obj: the object an integration is about to log (``LogisticRegression``,
        ``TrainingArguments``, a ``PreTrainedModel``).
    :param integration: the integration's name (``"sklearn"``, ``"transformers"``).

    firstresult: the first non-None answer replaces the integration's own extraction. Called in
    the caller's thread at the start of a logged call, so keep it fast. Values may be of any type:
    autolog stringifies them (:func:`autolog.sdk.param_string`). Lets a plugin teach autolog a
    custom estimator.
    """


@hookspec
def autolog_collect_tags(obj: Any, integration: str) -> Mapping[str, str] | None:
    """Return extra tags for the run that ``obj`` is being logged to.

    :param obj: as for :func:`autolog_extract_params`.
    :param integration: the integration's name.

    Every plugin's answer is merged into the run's tags (later plugins win on a key). Called in
    the caller's thread at the start of a logged call.
    """


@hookspec
def autolog_run_started(run: RunStart) -> None:
    """Observe a run that just opened (autologged or explicit).

    :param run: the run's :class:`autolog.sdk.RunStart` record (id, experiment, name, tags).

    Called in the caller's thread, right after the run is created and before its first record is
    queued; the return value is ignored. Keep it to microseconds: it is on the training thread.
    """


@hookspec
def autolog_run_ended(run: RunEnd) -> None:
    """Observe a run that just ended, with its final status.

    :param run: the run's :class:`autolog.sdk.RunEnd` record (id, status, end time).

    Called in the thread that ended the run (the caller's, or autolog's background thread when the
    run's end waited for deferred work, or the exit sequence), after the end was queued; the return
    value is ignored.
    """
