"""autolog: one line autologging for scikit-learn and Hugging Face Trainer.

    import autolog
    autolog.autolog()          # every sklearn fit and Trainer run is now recorded

Nothing here imports a machine-learning framework or a tracking SDK.
"""

from autolog._api import autolog, flush
from autolog._runs import Run, active_run, run
from autolog._safety import AutologWarning
from autolog.model_format import load_model
from autolog.records import ArtifactKind, RunStatus
from autolog.sdk.backend_base import Backend, RecordBackend

__version__ = "0.1.0"

_FLUENT = (
    "end_run", "get_experiment_by_name", "get_tracking_uri", "last_active_run", "log_artifact",
    "log_artifacts", "log_dict", "log_metric", "log_metrics", "log_param", "log_params", "log_text",
    "search_runs", "set_experiment", "set_tag", "set_tags", "set_tracking_uri", "start_run",
)


_LAZY = {
    "Client": "autolog.client",
    "Integration": "autolog.sdk.patching",
    "RegistryError": "autolog.model_registry",
    "RegistryNotFound": "autolog.model_registry",
    "register_model": "autolog.model_registry",
    "hookimpl": "autolog.sdk.hookspecs",
    "log_model": "autolog._fluent_models",
    "sweep": "autolog.sweeps",
    "sync": "autolog._sync",
}
_LAZY.update(dict.fromkeys(_FLUENT, "autolog.fluent"))  # MLflow's fluent API (autolog/fluent.py)


def __getattr__(name: str):  # SQLite, wrapt and pluggy load on first use, keeping import fast
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autolog' has no attribute {name!r}")


__all__ = [
    "ArtifactKind",
    "AutologWarning",
    "Backend",
    "Client",
    "Integration",
    "RecordBackend",
    "RegistryError",
    "RegistryNotFound",
    "Run",
    "RunStatus",
    "__version__",
    "active_run",
    "autolog",
    "flush",
    "hookimpl",
    "load_model",
    "log_model",
    "register_model",
    "run",
    "sweep",
    "sync",
    *_FLUENT,
]
