"""The model registry on the local store, with MLflow's names and semantics.

    import autolog
    from autolog import Client

    version = autolog.register_model(f"runs:/{run_id}/model", "churn")     # version 1, 2, ...
    client = Client()
    client.set_registered_model_alias("churn", "champion", version.version)
    model = autolog.load_model("models:/churn@champion")

A registered model has versions (numbered 1, 2, ... and never reused), tags, a description and
aliases (``champion`` -> 3). The legacy stages (``None``, ``Staging``, ``Production``,
``Archived``) work as in MLflow, including the ``FutureWarning`` that points at aliases.
``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/<stage>`` and
``models:/<name>/latest`` load with :func:`autolog.load_model` (a URI naming nothing raises one
error naming the model's versions, aliases and stages). The client's registry methods
are :class:`RegistryClientMixin`'s; the store side is :mod:`autolog.store.registry`.

Bad input (a malformed name, alias, stage or filter, a URI with no model) raises
:class:`RegistryError` (a ``ValueError``); a model, version or alias that does not exist raises
:class:`RegistryNotFound` (a ``LookupError``). Nothing is half-written: each change is one
transaction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from autolog._model_registry_client import STAGES_DEPRECATION, RegistryClientMixin
from autolog.store.entities import ModelVersion, RegisteredModel, RegistryError, RegistryNotFound

__all__ = [
    "STAGES_DEPRECATION",
    "ModelVersion",
    "RegisteredModel",
    "RegistryClientMixin",
    "RegistryError",
    "RegistryNotFound",
    "register_model",
]


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 0,
    *,
    tags: Mapping[str, Any] | None = None,
    tracking_dir: str | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name`` (created if new) and
    return that version, as ``mlflow.register_model`` does.

    ``model_uri`` is ``runs:/<run_id>/<path>`` (a model autolog logged), ``models:/...`` (an
    existing version, registered again under ``name``) or a local model folder. The store is
    ``tracking_dir``, by default the one ``autolog()`` writes to. ``await_registration_for`` is
    accepted for MLflow's signature; registration here is immediate.
    """
    from autolog.client import Client
    from autolog.model_format import MODEL_META_FILE
    from autolog.store import registry_versions
    from autolog.store.sqlite import current_user

    client = Client(tracking_dir)
    try:
        if not isinstance(model_uri, str):
            raise RegistryError(f"model_uri must be a string, got {model_uri!r}")
        if model_uri.startswith("models:/"):
            found = client._version_for_uri(model_uri)
            run_id, model_path, source = found.run_id, found.model_path, found.source
        elif model_uri.startswith("runs:/"):
            run_id, model_path, source = client._resolve_source(model_uri, None)
        elif os.path.isdir(model_uri):
            import pathlib

            if not os.path.isfile(os.path.join(model_uri, MODEL_META_FILE)):
                raise RegistryError(f"{model_uri!r} holds no model (no {MODEL_META_FILE})")
            run_id, model_path, source = None, None, pathlib.Path(model_uri).absolute().as_uri()
        else:
            raise RegistryError(
                f"cannot register {model_uri!r}: use 'runs:/<run_id>/<path>', 'models:/<name>/<version>' "
                "or a local model folder"
            )
        return registry_versions.create_model_version(
            client._registry(), name, source, run_id, model_path=model_path, tags=tags,
            user_id=current_user(), create_model=True,
        )
    finally:
        client.close()

