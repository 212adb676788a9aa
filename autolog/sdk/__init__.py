"""``autolog.sdk``: everything a plugin (an integration or a backend) imports, and nothing else.

A third-party integration or backend needs no private import. The names, by concern:

* **hooks**: :data:`hookimpl` and the documented specifications in :mod:`autolog.sdk.hookspecs`;
* **records** (the portable schema): :class:`RunStart`, :class:`RunEnd`, :class:`RunStatus`,
  :class:`Params`, :class:`Tags`, :class:`Metric`, :class:`Artifact`, :class:`ArtifactKind`,
  :class:`ModelRecord`, :class:`Plot`, :class:`DatasetInput`, ``Record``;
* **backends**: :class:`Backend` (implement ``write_batch``) or :class:`RecordBackend` (implement
  ``start_run``, ``log_metrics``, ... and let the adapter group each batch), :func:`plan_calls`;
  :class:`ModelRegistry` and :data:`SOURCE_VERSION_TAG` for a system with a model registry that
  ``autolog sync`` sends registered versions to;
* **patching**: :class:`Integration`, :class:`Patcher`, :func:`safe_wrapper`, :class:`CallHooks`,
  :func:`is_active`, :func:`in_patched_call`, :func:`is_patched`, :func:`unwrapped`,
  :func:`original_attribute`;
* **runs**: :func:`start_autologged_run` and its :class:`AutologgedRun`, :func:`active_run`,
  :func:`status_for`;
* **the process**: :func:`current_config` (a :class:`Config`), :func:`logging_here` (False in a
  forked child or on a non-zero rank), :func:`on_exit` and its :class:`Outcome`,
  :func:`plugin_params` and :func:`plugin_tags` (the plugins' answers for an object);
* **safety**: :func:`warn_once`, :func:`report_internal_error`, :func:`exception_safe`,
  :class:`AutologWarning`;
* **shared policies** (:mod:`autolog.sdk.policy`): :func:`param_string`, :func:`truncate`,
  :func:`metric_value`, :func:`metric_step`, :func:`link_or_copy`, :func:`link_tree`,
  :func:`artifact_destination`, :func:`new_run_id`, :data:`DEFAULT_EXPERIMENT`;
* **models, signatures, plots**: :func:`write_model_meta`, :func:`model_meta_json`,
  :func:`read_model_meta`, :data:`MODEL_META_FILE`, :func:`infer_signature`,
  :func:`input_example`, and the :mod:`plots <autolog.plots>` spec builders.

Names load on first use, so ``import autolog.sdk`` stays cheap and imports no framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog import plots
    from autolog._exit import Outcome
    from autolog._runs import active_run, interrupted_status, status_for
    from autolog._safety import AutologWarning, exception_safe, report_internal_error, warn_once
    from autolog.config import Config
    from autolog.model_format import MODEL_META_FILE, model_loader, model_meta_json, read_model_meta, write_model_meta
    from autolog.records import (
        Artifact,
        ArtifactKind,
        DatasetInput,
        Metric,
        ModelRecord,
        Params,
        Plot,
        Record,
        RunEnd,
        RunStart,
        RunStatus,
        Tags,
    )
    from autolog.sdk import hookspecs
    from autolog.sdk._process import current_config, logging_here, on_exit, plugin_params, plugin_tags
    from autolog.sdk.backend_base import Backend, BackendUnavailable, RecordBackend, plan_calls
    from autolog.sdk.hookspecs import hookimpl
    from autolog.sdk.patching import (
        CallHooks,
        Integration,
        Patcher,
        in_patched_call,
        is_active,
        is_autolog_wrapper,
        is_patched,
        original_attribute,
        safe_wrapper,
        unwrapped,
    )
    from autolog.sdk.policy import (
        DEFAULT_EXPERIMENT,
        artifact_destination,
        first_outside_frame,
        link_or_copy,
        link_tree,
        metric_step,
        metric_value,
        new_run_id,
        param_string,
        safe_relative_path,
        truncate,
    )
    from autolog.sdk.registry import SOURCE_VERSION_TAG, ModelRegistry
    from autolog.sdk.runs import AutologgedRun, start_autologged_run
    from autolog.signature import infer_signature, input_example

_WHERE = {
    "AutologWarning": "autolog._safety", "exception_safe": "autolog._safety",
    "report_internal_error": "autolog._safety", "warn_once": "autolog._safety",
    "Outcome": "autolog._exit", "Config": "autolog.config",
    "MODEL_META_FILE": "autolog.model_format", "model_meta_json": "autolog.model_format",
    "read_model_meta": "autolog.model_format", "write_model_meta": "autolog.model_format",
    "model_loader": "autolog.model_format",
    "current_config": "autolog.sdk._process", "logging_here": "autolog.sdk._process",
    "on_exit": "autolog.sdk._process", "plugin_params": "autolog.sdk._process",
    "plugin_tags": "autolog.sdk._process",
    "Backend": "autolog.sdk.backend_base", "RecordBackend": "autolog.sdk.backend_base",
    "BackendUnavailable": "autolog.sdk.backend_base",
    "plan_calls": "autolog.sdk.backend_base",
    "ModelRegistry": "autolog.sdk.registry", "SOURCE_VERSION_TAG": "autolog.sdk.registry",
    "hookimpl": "autolog.sdk.hookspecs",
    "AutologgedRun": "autolog.sdk.runs", "start_autologged_run": "autolog.sdk.runs",
    "active_run": "autolog._runs", "status_for": "autolog._runs", "interrupted_status": "autolog._runs",
    "infer_signature": "autolog.signature", "input_example": "autolog.signature",
}
for _name in ("Artifact", "ArtifactKind", "DatasetInput", "Metric", "ModelRecord", "Params", "Plot",
              "Record", "RunEnd", "RunStart", "RunStatus", "Tags"):
    _WHERE[_name] = "autolog.records"
for _name in ("CallHooks", "Integration", "Patcher", "in_patched_call", "is_active", "is_autolog_wrapper",
              "is_patched", "original_attribute", "safe_wrapper", "unwrapped"):
    _WHERE[_name] = "autolog.sdk.patching"
for _name in ("DEFAULT_EXPERIMENT", "artifact_destination", "first_outside_frame", "link_or_copy", "link_tree",
              "metric_step", "metric_value", "new_run_id", "param_string", "safe_relative_path", "truncate"):
    _WHERE[_name] = "autolog.sdk.policy"
_MODULES = {"hookspecs": "autolog.sdk.hookspecs", "policy": "autolog.sdk.policy", "plots": "autolog.plots"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'autolog.sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_EXPERIMENT",
    "MODEL_META_FILE",
    "SOURCE_VERSION_TAG",
    "Artifact",
    "ArtifactKind",
    "AutologWarning",
    "AutologgedRun",
    "Backend",
    "BackendUnavailable",
    "CallHooks",
    "Config",
    "DatasetInput",
    "Integration",
    "Metric",
    "ModelRecord",
    "ModelRegistry",
    "Outcome",
    "Params",
    "Patcher",
    "Plot",
    "Record",
    "RecordBackend",
    "RunEnd",
    "RunStart",
    "RunStatus",
    "Tags",
    "active_run",
    "artifact_destination",
    "current_config",
    "exception_safe",
    "first_outside_frame",
    "hookimpl",
    "hookspecs",
    "in_patched_call",
    "infer_signature",
    "input_example",
    "interrupted_status",
    "is_active",
    "is_autolog_wrapper",
    "is_patched",
    "link_or_copy",
    "link_tree",
    "logging_here",
    "metric_step",
    "metric_value",
    "model_loader",
    "model_meta_json",
    "new_run_id",
    "on_exit",
    "original_attribute",
    "param_string",
    "plan_calls",
    "plots",
    "plugin_params",
    "plugin_tags",
    "policy",
    "read_model_meta",
    "report_internal_error",
    "safe_relative_path",
    "safe_wrapper",
    "start_autologged_run",
    "status_for",
    "truncate",
    "unwrapped",
    "warn_once",
    "write_model_meta",
]
