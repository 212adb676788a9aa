"""Configuration: one frozen dataclass.

Precedence: defaults < ``AUTOLOG_*`` environment variables < keyword arguments of
``autolog.autolog()``. A bad environment value warns and falls back to the default; a bad keyword
argument raises ``TypeError``/``ValueError`` at the call (the user's own mistake, told at once).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Integration names that accept a per-integration option section, e.g. ``sklearn={...}``.
INTEGRATION_SECTIONS = ("sklearn", "transformers")


@dataclass(frozen=True)
class Config:
    """Everything autolog's behaviour depends on. Build with :func:`resolve`."""

    backends: tuple[Any, ...] = ("local",)
    disable: bool = False
    exclusive: bool = False
    silent: bool = False
    log_models: bool = True
    log_signatures: bool = True
    log_input_examples: bool = True
    log_datasets: bool = True
    experiment: str = "Default"
    tracking_dir: str = "./autolog-runs"
    #: Deliver in the caller's thread (debugging); default is the background dispatcher.
    synchronous: bool = False
    #: Seconds between background deliveries (also the most a SIGKILL can lose).
    flush_interval: float = 1.0
    #: Records queued before the worker is woken early.
    batch_size: int = 5000
    #: Metric points held at most; past it new points are dropped (and counted, and reported).
    max_queue_size: int = 2_000_000
    #: Seconds a backend outage is retried with back-off before its records are given up.
    retry_seconds: float = 30.0
    #: Seconds ``flush`` waits at exit.
    exit_flush_timeout: float = 30.0
    #: Record each run's code version, command, machine and packages (``autolog.environment``).
    capture_environment: bool = True
    #: Sample CPU, memory and GPU use as ``system/...`` metrics of open runs (``autolog.system_metrics``).
    system_metrics: bool = False
    #: Seconds between two system metric samples.
    system_metrics_interval: float = 10.0
    #: MLflow model registry: register each logged model under this name / set this alias.
    registered_model_name: str | None = None
    registered_model_alias: str | None = None
    #: Per-integration option sections, e.g. ``{"sklearn": {"max_tuning_runs": 3}}``.
    integrations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Per-backend constructor options, e.g. ``{"mlflow": {"tracking_uri": "http://..."}}``.
    backend_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def integration_option(self, integration: str, key: str, default: Any = None) -> Any:
        """An integration's option: its own section first, then a top-level field, then default."""
        section = self.integrations.get(integration, {})
        if key in section:
            return section[key]
        if key in _FIELD_NAMES:
            return getattr(self, key)
        return default

    def integration_enabled(self, integration: str) -> bool:
        return not self.disable and not self.integrations.get(integration, {}).get("disable", False)


_FIELD_NAMES = {f.name for f in dataclasses.fields(Config)}

_ENV: dict[str, tuple[str, type]] = {
    "AUTOLOG_BACKENDS": ("backends", tuple),
    "AUTOLOG_DISABLE": ("disable", bool),
    "AUTOLOG_EXCLUSIVE": ("exclusive", bool),
    "AUTOLOG_SILENT": ("silent", bool),
    "AUTOLOG_LOG_MODELS": ("log_models", bool),
    "AUTOLOG_LOG_SIGNATURES": ("log_signatures", bool),
    "AUTOLOG_LOG_INPUT_EXAMPLES": ("log_input_examples", bool),
    "AUTOLOG_LOG_DATASETS": ("log_datasets", bool),
    "AUTOLOG_EXPERIMENT": ("experiment", str),
    "AUTOLOG_DIR": ("tracking_dir", str),
    "AUTOLOG_SYNCHRONOUS": ("synchronous", bool),
    "AUTOLOG_FLUSH_INTERVAL": ("flush_interval", float),
    "AUTOLOG_BATCH_SIZE": ("batch_size", int),
    "AUTOLOG_MAX_QUEUE_SIZE": ("max_queue_size", int),
    "AUTOLOG_RETRY_SECONDS": ("retry_seconds", float),
    "AUTOLOG_EXIT_FLUSH_TIMEOUT": ("exit_flush_timeout", float),
    "AUTOLOG_CAPTURE_ENVIRONMENT": ("capture_environment", bool),
    "AUTOLOG_SYSTEM_METRICS": ("system_metrics", bool),
    "AUTOLOG_SYSTEM_METRICS_INTERVAL": ("system_metrics_interval", float),
    "AUTOLOG_REGISTERED_MODEL_NAME": ("registered_model_name", str),
    "AUTOLOG_REGISTERED_MODEL_ALIAS": ("registered_model_alias", str),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(raw: str, kind: type) -> Any:
    if kind is bool:
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"expected one of {sorted(_TRUE | _FALSE - {''})}")
    if kind is tuple:
        names = tuple(part.strip() for part in raw.split(",") if part.strip())
        if not names:
            raise ValueError("expected a comma-separated list of backend names")
        return names
    if kind in (int, float):
        value = kind(raw)
        if value <= 0:
            raise ValueError("expected a positive number")
        return value
    return raw


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings that ``AUTOLOG_*`` variables give; bad values warn and are ignored."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for var, (name, kind) in _ENV.items():
        raw = environ.get(var)
        if raw is None:
            continue
        try:
            values[name] = _parse(raw, kind)
        except ValueError as exc:
            warnings.warn(
                f"autolog: ignoring {var}={raw!r} ({exc}); using the default "
                f"{getattr(Config, name, None)!r}",
                stacklevel=3,
            )
    return values


_POSITIVE = (
    "flush_interval", "batch_size", "max_queue_size", "retry_seconds", "exit_flush_timeout",
    "system_metrics_interval",
)


def resolve(environ: Mapping[str, str] | None = None, **kwargs: Any) -> Config:
    """Build the Config: defaults, then environment, then ``kwargs``.

    Unknown keywords that name an integration section (``sklearn={...}``) go to ``integrations``;
    any other unknown keyword raises ``TypeError``.
    """
    values = from_environment(environ)
    sections = {k: dict(v) for k, v in values.pop("integrations", {}).items()}
    for key, value in kwargs.items():
        if key in INTEGRATION_SECTIONS:
            if not isinstance(value, Mapping):
                raise TypeError(f"autolog({key}=...) takes a dict of options, got {value!r}")
            sections.setdefault(key, {}).update(value)
        elif key == "integrations":
            for name, section in dict(value).items():
                sections.setdefault(name, {}).update(section)
        elif key in _FIELD_NAMES:
            if value is not None or key in ("registered_model_name", "registered_model_alias"):
                values[key] = value
        else:
            raise TypeError(f"autolog() got an unexpected keyword argument {key!r}")
    if "backends" in values:
        backends = values["backends"]
        if isinstance(backends, str) or not isinstance(backends, (list, tuple)):
            backends = (backends,)
        values["backends"] = tuple(backends)
    for name in _POSITIVE:
        if name in values and not values[name] > 0:
            raise ValueError(f"autolog({name}=...) must be positive, got {values[name]!r}")
    values["integrations"] = sections
    values["tracking_dir"] = os.path.abspath(os.path.expanduser(values.get("tracking_dir", Config.tracking_dir)))
    return Config(**values)
