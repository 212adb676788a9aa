"""``autolog.log_model``: MLflow's ``log_model`` for scikit-learn estimators and transformers models.

The model is written with the same flavor code the integrations use
(:mod:`autolog.integrations.sklearn.flavor`, :mod:`autolog.integrations.transformers.flavor`), so
``autolog.load_model`` and every backend (the MLflow backend's native flavors included) treat it
as an autologged model. A transformers model may be given alone, as a pipeline, or as MLflow's
``{"model": model, "tokenizer": tokenizer}`` dict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autolog import fluent


@dataclass(frozen=True)
class ModelInfo:
    """What :func:`log_model` logged, in the shape of MLflow's ``ModelInfo``."""

    model_uri: str
    run_id: str
    artifact_path: str
    flavor: str
    registered_model_version: str | None = None


def log_model(
    model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
) -> ModelInfo:
    """Log ``model`` to the active run (one is started if none is) at ``name`` (MLflow 3's word)
    or ``artifact_path`` (MLflow 2's), default ``"model"``; with ``registered_model_name`` it is
    also registered as a new version: on the local store (:func:`autolog.register_model`; its
    version is in the returned ``registered_model_version``) and by the MLflow backend.

    ``signature`` is autolog's portable dict or an ``mlflow.models.ModelSignature``; for an sklearn
    model without one it is inferred from ``input_example``. ``TypeError`` for a model that is
    neither an sklearn estimator nor a transformers model.
    """
    from autolog.sdk.runs import AutologgedRun

    path = (name or artifact_path or "model").strip("/")
    run = fluent._run_for_logging()
    handle = AutologgedRun(run, owned=False)
    portable = _portable_signature(signature)
    extra = {"registered_model_name": registered_model_name} if registered_model_name else {}
    if _is_transformers(model):
        flavor = _log_transformers(handle, model, path, input_example, portable, extra)
    elif _is_sklearn(model):
        flavor = _log_sklearn(handle, model, path, input_example, portable, extra)
    else:
        raise TypeError(
            f"log_model takes a scikit-learn estimator or a transformers model (alone, as a pipeline or "
            f'as {{"model": ..., "tokenizer": ...}}), not {type(model).__name__}'
        )
    uri = f"runs:/{run.run_id}/{path}"
    version = None
    if registered_model_name and _logs_locally():
        import autolog

        version = str(autolog.register_model(uri, registered_model_name).version)
    return ModelInfo(uri, run.run_id, path, flavor, version)


def _logs_locally() -> bool:
    """Whether the local store is among the configured backends (else registration is left to
    the backends that read ``registered_model_name`` from the model's metadata: MLflow's)."""
    from autolog import _session

    return any(b == "local" or getattr(b, "name", None) == "local" for b in _session.current().config().backends)


def _is_sklearn(model: Any) -> bool:
    return type(model).__module__.split(".")[0] == "sklearn" or (
        hasattr(model, "fit") and hasattr(model, "get_params")
    )


def _is_transformers(model: Any) -> bool:
    if isinstance(model, Mapping):
        return "model" in model
    return hasattr(model, "save_pretrained") or (hasattr(model, "model") and hasattr(model.model, "save_pretrained"))


def _portable_signature(signature: Any) -> dict[str, Any] | None:
    """autolog's portable signature from a dict or an MLflow ``ModelSignature``."""
    if signature is None or isinstance(signature, Mapping):
        return None if signature is None else dict(signature)
    if hasattr(signature, "to_dict"):
        raw = signature.to_dict()
        return {k: json.loads(v) if isinstance(v, str) else v for k, v in raw.items() if k in ("inputs", "outputs") and v}
    raise TypeError(f"signature must be a dict or an mlflow ModelSignature, not {type(signature).__name__}")


def _log_sklearn(
    handle: Any, model: Any, path: str, example: Any, signature: dict[str, Any] | None, extra: dict[str, Any]
) -> str:
    from autolog.integrations.sklearn import flavor
    from autolog.signature import infer_signature, input_example

    blob = flavor.snapshot(model)
    if blob is None:
        raise ValueError(f"the {type(model).__name__} cannot be pickled, so it cannot be logged")
    portable_example = input_example(example) if example is not None else None
    if signature is None and example is not None:
        try:
            signature = infer_signature(example, model.predict(example))
        except Exception:  # noqa: BLE001 - a model that cannot predict on its example: inputs only
            signature = infer_signature(example)
    flavor.log(
        handle, blob, path, signature=signature, input_example=portable_example,
        metadata={"model_class": type(model).__name__, "logged_by": "log_model", **extra},
    )
    return flavor.FLAVOR


def _log_transformers(
    handle: Any, model: Any, path: str, example: Any, signature: dict[str, Any] | None, extra: dict[str, Any]
) -> str:
    import tempfile

    from autolog.integrations.transformers import flavor
    from autolog.records import ModelRecord
    from autolog.sdk import write_model_meta

    if isinstance(model, Mapping):
        network, processor = model["model"], model.get("tokenizer") or model.get("processor")
    elif hasattr(model, "save_pretrained"):
        network, processor = model, None
    else:  # a pipeline
        network, processor = model.model, getattr(model, "tokenizer", None)
    directory = tempfile.mkdtemp(prefix="autolog-model-")
    flavor.stage_model(network, processor, directory)
    portable_example = None if example is None else {"inputs": json.loads(json.dumps(example, default=str))}
    requirements = flavor.requirements(network)
    metadata = {
        "model_class": type(network).__name__,
        "processor_class": type(processor).__name__ if processor is not None else None,
        "logged_by": "log_model",
        **extra,
    }
    write_model_meta(
        directory, flavor=flavor.FLAVOR, loader=flavor.LOADER, files=flavor.model_files(directory),
        signature=signature, input_example=portable_example, requirements=requirements, metadata=metadata,
    )
    handle.log_model(
        ModelRecord(
            run_id=handle.run_id, local_path=directory, artifact_path=path, flavor=flavor.FLAVOR,
            signature=signature, input_example=portable_example, requirements=tuple(requirements),
            metadata=metadata,
        )
    )
    return flavor.FLAVOR
