"""The MLflow model registry as ``autolog sync`` writes to it (see :mod:`autolog.sdk.registry`).

A version points where live registration (``registered_model_name``) points it: at the
LoggedModel the backend made for the model (``models:/<model_id>``, Trainer models), else at
``runs:/<MLflow run>/<model path>``, the folder the backend logged the model in. A version is
found before one is made: first the one tagged ``autolog.source_version`` with the local
``"<name>/<version>"``, then one of the same run and source without that tag (made live, by
``registered_model_name``), which is tagged and adopted; so neither an interrupted sync nor a
model registered live and synced later gives two versions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from autolog.sdk import SOURCE_VERSION_TAG, ModelRegistry

from ._limits import clean_artifact_path

if TYPE_CHECKING:
    from mlflow import MlflowClient


class MlflowRegistry(ModelRegistry):
    """Registered models, versions and aliases through one ``MlflowClient``."""

    def __init__(self, client: Callable[[], MlflowClient]) -> None:
        self._get_client = client

    @property
    def _client(self) -> MlflowClient:
        return self._get_client()

    def put_model(self, name: str, description: str | None, tags: Mapping[str, str]) -> None:
        from mlflow.exceptions import MlflowException

        client = self._client
        try:
            model = client.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            model = None
        if model is None:
            try:
                client.create_registered_model(name, tags=dict(tags), description=description)
                return
            except MlflowException as exc:  # made meanwhile (a reply that was lost)
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            model = client.get_registered_model(name)
        if description is not None and (model.description or "") != description:
            client.update_registered_model(name, description=description)
        for key, value in tags.items():
            if model.tags.get(key) != value:
                client.set_registered_model_tag(name, key, value)

    def put_version(
        self,
        name: str,
        source_version: str,
        target_run_id: str,
        model_path: str,
        description: str | None,
        tags: Mapping[str, str],
        stage: str,
    ) -> str:
        client = self._client
        path = clean_artifact_path(model_path) or "model"
        model_id = self._logged_model_id(target_run_id, path)
        source = f"models:/{model_id}" if model_id else f"runs:/{target_run_id}/{path}"
        found = self._find(name, source_version, target_run_id, source)
        wanted = {**tags, SOURCE_VERSION_TAG: source_version}
        if found is None:
            extra = {"model_id": model_id} if model_id else {}
            found = client.create_model_version(
                name, source, run_id=target_run_id, tags=wanted, description=description, await_creation_for=0,
                **extra,
            )
        version = str(found.version)
        for key, value in wanted.items():
            if found.tags.get(key) != value:
                client.set_model_version_tag(name, version, key, value)
        if description is not None and (found.description or "") != description:
            client.update_model_version(name, version, description=description)
        if stage and (found.current_stage or "None") != stage:
            with warnings.catch_warnings():  # stages are deprecated in MLflow; they are synced all the same
                warnings.simplefilter("ignore", FutureWarning)
                client.transition_model_version_stage(name, version, stage)
        return version

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._client.set_registered_model_alias(name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self._client.delete_registered_model_alias(name, alias)
        except MlflowException as exc:
            if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise

    def _logged_model_id(self, target_run_id: str, path: str) -> str | None:
        """The MLflow 3 LoggedModel the backend made for the run's model at ``path`` (Trainer
        models are logged that way), else None (the model is among the run's artifacts)."""
        run = self._client.get_run(target_run_id)
        search = getattr(self._client, "search_logged_models", None)
        if search is None:  # MLflow 2
            return None
        found = search(experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{target_run_id}'")
        ids = [model.model_id for model in found if model.name == path.rsplit("/", 1)[-1]]
        return ids[0] if ids else None

    def _find(self, name: str, source_version: str, target_run_id: str, source: str) -> Any:
        """The version made from ``source_version`` before, else an untagged one of the same
        run and source (registered live), else None."""
        if "'" in name:
            return None
        versions = self._client.search_model_versions(f"name='{name}' and run_id='{target_run_id}'")
        tagged = [v for v in versions if v.tags.get(SOURCE_VERSION_TAG) == source_version]
        if tagged:
            return min(tagged, key=lambda v: int(v.version))
        untagged = [v for v in versions if SOURCE_VERSION_TAG not in v.tags and v.source == source]
        return min(untagged, key=lambda v: int(v.version)) if untagged else None
