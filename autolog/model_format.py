"""autolog's model format and ``load_model``.

A logged model is a directory holding ``autolog-model.json`` plus the flavor's own files::

    {"format": 1, "flavor": "sklearn", "loader": "autolog.integrations.sklearn.flavor:load",
     "files": {"model": "model.pkl"}, "signature": {...}, "input_example": {...},
     "requirements": ["scikit-learn==1.5.0"], "metadata": {...}}

``loader`` is ``"module:function"``; the function takes the model directory and returns the model.
Backends that know a native format (MLflow flavors) read the same directory.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

MODEL_META_FILE = "autolog-model.json"
FORMAT_VERSION = 1


def write_model_meta(
    directory: str,
    *,
    flavor: str,
    loader: str,
    files: Mapping[str, str],
    signature: Mapping[str, Any] | None = None,
    input_example: Mapping[str, Any] | None = None,
    requirements: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Write ``autolog-model.json`` into ``directory`` and return its path."""
    path = os.path.join(directory, MODEL_META_FILE)
    with open(path, "wb") as fh:
        fh.write(
            model_meta_json(
                flavor=flavor, loader=loader, files=files, signature=signature,
                input_example=input_example, requirements=requirements, metadata=metadata,
            )
        )
    return path


def model_meta_json(
    *,
    flavor: str,
    loader: str,
    files: Mapping[str, str],
    signature: Mapping[str, Any] | None = None,
    input_example: Mapping[str, Any] | None = None,
    requirements: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """The content of ``autolog-model.json`` (for a model whose files are held in memory)."""
    meta = {
        "format": FORMAT_VERSION,
        "flavor": flavor,
        "loader": loader,
        "files": dict(files),
        "signature": signature,
        "input_example": input_example,
        "requirements": list(requirements),
        "metadata": dict(metadata or {}),
    }
    return json.dumps(meta, default=str).encode("utf-8")


def read_model_meta(directory: str) -> dict[str, Any]:
    """Read a model directory's ``autolog-model.json``; ``FileNotFoundError`` if it has none."""
    with open(os.path.join(directory, MODEL_META_FILE), encoding="utf-8") as fh:
        return json.load(fh)


def resolve_model_uri(uri: str, tracking_dir: str | None = None) -> str:
    """Turn ``runs:/<run_id>/<path>``, a ``models:/`` URI (``models:/<name>/<version>``,
    ``models:/<name>@<alias>``, ``models:/<name>/<stage>``, ``models:/<name>/latest``; see
    :mod:`autolog.model_registry`) or a plain directory into a local model directory. A
    ``models:/`` URI naming nothing raises ``RegistryNotFound`` naming what exists."""
    if uri.startswith("models:/"):
        from autolog.client import Client

        client = Client(tracking_dir)
        try:
            return client._model_directory(uri)
        finally:
            client.close()
    if uri.startswith("runs:/"):
        rest = uri[len("runs:/") :].strip("/")
        run_id, _, path = rest.partition("/")
        if not run_id or not path:
            raise ValueError(f"model URI {uri!r} must look like 'runs:/<run_id>/<artifact path>'")
        from autolog.client import Client  # defaults to where autolog() is writing

        return Client(tracking_dir).artifact_path(run_id, path)
    if os.path.isdir(uri):
        return uri
    raise ValueError(
        f"cannot resolve model URI {uri!r}: use 'runs:/<run_id>/<path>', 'models:/<name>/<version>', "
        "'models:/<name>@<alias>' or a directory"
    )


#: Loaders of models logged before the flavor modules were renamed (``model`` -> ``flavor``).
_RENAMED_LOADERS = {
    "autolog.integrations.sklearn.model:load": "autolog.integrations.sklearn.flavor:load",
    "autolog.integrations.transformers.model:load": "autolog.integrations.transformers.flavor:load",
}


def load_model(uri: str, tracking_dir: str | None = None) -> Any:
    """Load a model logged by autolog, e.g. ``load_model("runs:/<run_id>/model")`` or
    ``load_model("models:/churn@champion")``.

    ``runs:/`` and ``models:/`` URIs are looked up in ``tracking_dir``, by default the
    configured one.

    Returns what the flavor's loader returns: the estimator for scikit-learn; for transformers a
    model, or ``(model, tokenizer)`` bundle as documented by that integration.
    """
    directory = resolve_model_uri(uri, tracking_dir)
    try:
        meta = read_model_meta(directory)
    except FileNotFoundError:
        raise ValueError(f"{uri!r} is not an autolog model (no {MODEL_META_FILE} in {directory})") from None
    return model_loader(meta)(directory)


def model_loader(meta: Mapping[str, Any]) -> Any:
    """The function a model directory's ``loader`` names (``"module:function"``), older names
    mapped to their current ones; ``ImportError``/``AttributeError`` when it cannot be found."""
    name = str(meta.get("loader", ""))
    module_name, _, func_name = _RENAMED_LOADERS.get(name, name).partition(":")
    if not module_name or not func_name:
        raise ImportError(f"model loader {name!r} is not of the form 'module:function'")
    return getattr(importlib.import_module(module_name), func_name)
