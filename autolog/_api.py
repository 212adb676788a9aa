"""``autolog.autolog()``: configure, enable and disable autologging in one call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autolog import _session
from autolog import config as _config
from autolog.sdk.backend_base import Backend


def autolog(
    backends: Sequence[str | Backend] | str | Backend | None = None,
    *,
    disable: bool | None = None,
    exclusive: bool | None = None,
    silent: bool | None = None,
    log_models: bool | None = None,
    log_signatures: bool | None = None,
    log_input_examples: bool | None = None,
    experiment: str | None = None,
    **options: Any,
) -> None:
    """Record every supported framework's training from now on.

    ``backends`` are names (``"local"``, ``"mlflow"``, ``"wandb"``, ``"tensorboard"``, or a
    plugin's) and/or :class:`autolog.Backend` instances; default ``["local"]`` or
    ``AUTOLOG_BACKENDS``. Frameworks imported after this call are patched on import. Calling it
    again reconfigures without patching twice; ``disable=True`` reverts every patch.

    An argument left at None takes its ``AUTOLOG_*`` environment variable, else the default
    (``disable``, ``exclusive``, ``silent``: False; ``log_models``, ``log_signatures``,
    ``log_input_examples``: True; ``experiment``: "Default").

    Further keyword options: ``tracking_dir``, ``log_datasets``, ``capture_environment``,
    ``system_metrics``, ``system_metrics_interval``, ``synchronous``,
    ``flush_interval``, ``registered_model_name``, ``registered_model_alias``,
    ``backend_options={"mlflow": {...}}`` and per-integration sections such as
    ``sklearn={"max_tuning_runs": 3}`` or ``transformers={"log_checkpoints": "all"}``
    (see the README for each integration's options).
    """
    from autolog import _registry

    session = _session.current()
    if experiment is None:  # the experiment autolog.set_experiment chose, else the environment's
        experiment = session.chosen_experiment
    if session.chosen_tracking_dir is not None:  # the folder autolog.set_tracking_uri chose
        options.setdefault("tracking_dir", session.chosen_tracking_dir)
    cfg = _config.resolve(
        backends=backends,
        disable=disable,
        exclusive=exclusive,
        silent=silent,
        log_models=log_models,
        log_signatures=log_signatures,
        log_input_examples=log_input_examples,
        experiment=experiment,
        **options,
    )
    if cfg.disable:
        _registry.disable_all()
        session.set_disabled(cfg)
        return
    session.configure(cfg)
    session.enabled = True
    _registry.enable(cfg)


def flush(timeout: float | None = None) -> bool:
    """Wait until every record logged so far reached every backend that is answering.

    Returns False if ``timeout`` seconds passed first (records stay queued and keep going).
    """
    return _session.current().flush(timeout)
