"""Saving and loading scikit-learn models in autolog's model format.

A logged model is a directory with ``model.pkl`` (the fitted estimator, pickled with protocol 5)
and ``autolog-model.json`` (flavor ``sklearn``, loader, signature, input example, requirements).
``autolog.load_model("runs:/<run_id>/model")`` calls :func:`load` on it.

The estimator is pickled once, in the caller's thread, right after its fit (it is mutable: a
later ``fit`` or ``set_params`` must not leak into the logged model); the bytes are written to
disk on autolog's background thread.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog.sdk import MODEL_META_FILE, ModelRecord, model_meta_json, read_model_meta, warn_once, write_model_meta

if TYPE_CHECKING:
    from autolog.sdk import AutologgedRun as Run

FLAVOR = "sklearn"
LOADER = "autolog.integrations.sklearn.flavor:load"
MODEL_FILE = "model.pkl"
PICKLE_PROTOCOL = 5
#: Pickles up to this size travel in memory (no staging directory); larger ones are staged.
IN_MEMORY_LIMIT = 64 * 1024 * 1024

__all__ = ["FLAVOR", "LOADER", "load", "save", "snapshot"]


def snapshot(estimator: Any) -> bytes | None:
    """The pickled estimator, or None (with one warning per class) when it cannot be pickled."""
    try:
        return pickle.dumps(estimator, protocol=PICKLE_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - a lambda or an open file inside the model
        name = type(estimator).__name__
        warn_once(
            f"sklearn-pickle:{type(estimator).__module__}.{type(estimator).__qualname__}",
            f"autolog: the fitted {name} cannot be pickled ({type(exc).__name__}: {exc}); its model "
            "is not logged. Params, metrics and plots are logged as usual.",
        )
        return None


def requirements() -> list[str]:
    import sklearn

    return [f"scikit-learn=={sklearn.__version__}"]


def save(
    directory: str,
    blob: bytes,
    *,
    signature: Mapping[str, Any] | None = None,
    input_example: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Write a pickled estimator as a model directory; returns ``directory``."""
    with open(os.path.join(directory, MODEL_FILE), "wb") as fh:
        fh.write(blob)
    write_model_meta(
        directory,
        flavor=FLAVOR,
        loader=LOADER,
        files={"model": MODEL_FILE},
        signature=signature,
        input_example=input_example,
        requirements=requirements(),
        metadata=dict(metadata or {}, pickle_protocol=PICKLE_PROTOCOL),
    )
    return directory


def log(
    run: Run,
    blob: bytes,
    artifact_path: str,
    *,
    signature: Mapping[str, Any] | None = None,
    input_example: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Queue the model for ``run`` (background thread): its files held in memory when small, so
    the local store writes them straight into the run's folder; else a staged directory."""
    if len(blob) > IN_MEMORY_LIMIT:
        directory = tempfile.mkdtemp(prefix="autolog-model-")
        try:
            save(directory, blob, signature=signature, input_example=input_example, metadata=metadata)
        except BaseException:
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
            raise
        files: dict[str, bytes] = {}
    else:
        directory = ""
        meta = model_meta_json(
            flavor=FLAVOR, loader=LOADER, files={"model": MODEL_FILE}, signature=signature,
            input_example=input_example, requirements=requirements(),
            metadata=dict(metadata or {}, pickle_protocol=PICKLE_PROTOCOL),
        )
        files = {MODEL_FILE: blob, MODEL_META_FILE: meta}
    run.log_model(
        ModelRecord(
            run.run_id,
            directory,
            artifact_path,
            FLAVOR,
            signature,
            input_example,
            tuple(requirements()),
            dict(metadata or {}),
            files,
        )
    )


def load(directory: str) -> Any:
    """Load the estimator of a model directory written by :func:`save`.

    Unpickling runs code from the file: load only models you trust (as with any pickle).
    """
    meta = read_model_meta(directory)
    if meta.get("flavor") != FLAVOR:
        raise ValueError(f"{directory} holds a {meta.get('flavor')!r} model, not a scikit-learn one")
    with open(os.path.join(directory, meta["files"]["model"]), "rb") as fh:
        return pickle.load(fh)
