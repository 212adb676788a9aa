"""What a plugin may ask of the process: the configuration, whether it logs here, the end of the
process, and the other plugins' answers for an object (the ``autolog_extract_params`` and
``autolog_collect_tags`` hooks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from autolog import _session
from autolog._safety import report_internal_error

if TYPE_CHECKING:
    from autolog._exit import Outcome
    from autolog.config import Config


def current_config() -> Config:
    """The configuration in force (read it at each call: ``autolog()`` may be called again)."""
    return _session.current().config()


def logging_here() -> bool:
    """False in a forked child that did not call ``autolog()`` itself, and on a non-zero rank
    (``RANK``): an integration then records nothing."""
    return not _session.current().forked and _session.is_rank_zero()


def on_exit(participant: Callable[[Outcome], None]) -> None:
    """Call ``participant(outcome)`` first in the exit sequence, before open runs are ended and
    everything is flushed (a callback with a staged checkpoint logs it there). ``outcome.status``
    is the status open runs get (FINISHED, FAILED, KILLED); ``outcome.tags`` say why. Registering
    the same callable twice calls it once."""
    _session.current().on_exit(participant)


def plugin_params(obj: Any, integration: str) -> Mapping[str, Any] | None:
    """The first plugin's ``autolog_extract_params`` answer for ``obj``, or None (also when a
    plugin raised: one warning, as if none had answered)."""
    from autolog import _plugins

    try:
        return _plugins.plugin_manager().hook.autolog_extract_params(obj=obj, integration=integration)
    except Exception as exc:  # noqa: BLE001 - a plugin's error never reaches the user
        report_internal_error(f"plugin hook autolog_extract_params ({integration})", exc)
        return None


def plugin_tags(obj: Any, integration: str) -> dict[str, str]:
    """Every plugin's ``autolog_collect_tags`` answer for ``obj``, merged (later ones win)."""
    from autolog import _plugins
    from autolog.sdk.policy import param_string

    tags: dict[str, str] = {}
    try:
        answers = _plugins.plugin_manager().hook.autolog_collect_tags(obj=obj, integration=integration)
    except Exception as exc:  # noqa: BLE001 - a plugin's error never reaches the user
        report_internal_error(f"plugin hook autolog_collect_tags ({integration})", exc)
        return tags
    for extra in answers:
        for key, value in (extra or {}).items():
            tags[str(key)] = param_string(value)
    return tags
