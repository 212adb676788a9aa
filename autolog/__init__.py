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


_LAZY = {
    "Client": "autolog.client",
    "Integration": "autolog.sdk.patching",
    "RegistryError": "autolog.model_registry",
    "RegistryNotFound": "autolog.model_registry",
    "register_model": "autolog.model_registry",
    "hookimpl": "autolog.sdk.hookspecs",
    "sweep": "autolog.sweeps",
    "sync": "autolog._sync",
}


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
    "register_model",
    "run",
    "sweep",
    "sync",
]
