"""The model registry methods of :class:`autolog.client.Client`, with MLflow's names and
semantics (see :mod:`autolog.model_registry` for the whole picture), and the lookup of the
version a ``models:/`` URI names.

Everything here works on the client's store through :mod:`autolog.store.registry` and
:mod:`autolog.store.registry_versions`; this module imports neither the client nor the model
format, so the client can inherit from it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autolog.store import registry, registry_versions
from autolog.store.artifacts import safe_relative_path
from autolog.store.entities import ModelVersion, PagedList, RegisteredModel, RegistryError, RegistryNotFound
from autolog.store.schema import open_connection, schema_version
from autolog.store.sqlite import current_user

if TYPE_CHECKING:
    import sqlite3

    from autolog.store.entities import ArtifactInfo
    from autolog.store.sqlite import SqliteStore

#: The file every autolog model folder holds (``autolog.model_format.MODEL_META_FILE``; a test
#: keeps the two equal, this module cannot import the model format without an import cycle).
MODEL_META_FILE = "autolog-model.json"

#: The schema version that added the registry's tables.
REGISTRY_SINCE = 4

#: MLflow's note on stages, shown (as a ``FutureWarning``) by the stage methods.
STAGES_DEPRECATION = (
    "Model registry stages are deprecated in MLflow since 2.9.0 and will be removed in a future "
    "major release; use aliases instead: set_registered_model_alias(name, alias, version) and "
    "load 'models:/<name>@<alias>'. See https://mlflow.org/docs/latest/model-registry.html"
    "#migrating-from-stages"
)


def _stages_deprecated(method: str) -> None:
    warnings.warn(f"``autolog.Client.{method}`` is deprecated. {STAGES_DEPRECATION}", FutureWarning, stacklevel=3)


class RegistryClientMixin:
    """The registry methods of :class:`autolog.client.Client` (MLflow's ``MlflowClient`` names).

    Relies on the client's ``_store`` (a :class:`~autolog.store.sqlite.SqliteStore`),
    ``_connection``, ``list_artifacts`` and ``artifact_path``."""

    _store: SqliteStore

    if TYPE_CHECKING:  # what the client provides

        def _connection(self) -> sqlite3.Connection | None: ...

        def list_artifacts(self, run_id: str, path: str | None = None) -> list[ArtifactInfo]: ...

        def artifact_path(self, run_id: str, path: str) -> str: ...

    def _registry(self, write: bool = True) -> sqlite3.Connection:
        """This thread's store connection after this process's pending records are written. A
        store that does not exist yet is created for a write; a read gets an empty registry."""
        conn = self._connection()  # flushes
        if conn is not None and (write or schema_version(conn) >= REGISTRY_SINCE):
            return conn  # (an older store that cannot be written, hence not migrated, has none)
        if write:
            return self._store.connection()
        return open_connection(":memory:")

    # -- registered models -----------------------------------------------------------------

    def create_registered_model(
        self, name: str, tags: Mapping[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Create an empty registered model; ``RegistryError`` if the name exists."""
        return registry.create_registered_model(self._registry(), name, tags, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return registry.get_registered_model(self._registry(write=False), name)

    def search_registered_models(
        self, filter_string: str | None = None, max_results: int = 100,
        order_by: Sequence[str] | None = None, page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Registered models matching ``filter_string`` (``name = 'x'``, ``name LIKE 'x%'``,
        ``tags.k = 'v'``; see :mod:`autolog.store.registry_filter`), ordered by name unless
        ``order_by`` says otherwise (``"last_updated_timestamp DESC"``). One page; its ``token``
        is the next page's ``page_token``."""
        return registry.search_registered_models(self._registry(write=False), filter_string, order_by, max_results, page_token)

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        return registry.update_registered_model(self._registry(), name, description)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return registry.rename_registered_model(self._registry(), name, new_name)

    def delete_registered_model(self, name: str) -> None:
        """Delete the model, its versions, tags and aliases (the runs' files stay)."""
        registry.delete_registered_model(self._registry(), name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        registry.set_registered_model_tag(self._registry(), name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        registry.delete_registered_model_tag(self._registry(), name, key)

    # -- versions --------------------------------------------------------------------------

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None, tags: Mapping[str, Any] | None = None,
        run_link: str | None = None, description: str | None = None, await_creation_for: int = 0,
    ) -> ModelVersion:
        """Add the next version of the existing model ``name`` from ``source``: a ``runs:/``
        URI (checked to hold a model), or any URI or folder (stored as given).
        ``await_creation_for`` is accepted for MLflow's signature: a version is READY at once."""
        run_id, model_path, source = self._resolve_source(source, run_id)
        return registry_versions.create_model_version(
            self._registry(), name, source, run_id, model_path=model_path, tags=tags,
            description=description, run_link=run_link, user_id=_user(),
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return registry_versions.get_model_version(self._registry(write=False), name, version)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files are (its ``source``)."""
        return self.get_model_version(name, version).source

    def search_model_versions(
        self, filter_string: str | None = None, max_results: int = 10_000,
        order_by: Sequence[str] | None = None, page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Versions matching ``filter_string`` (``name = 'x'``, ``run_id IN ('a', 'b')``,
        ``version_number > 2``, ``source_path LIKE '...'``, ``tags.k = 'v'``); newest update
        first unless ``order_by`` says otherwise."""
        return registry_versions.search_model_versions(self._registry(write=False), filter_string, max_results, order_by, page_token)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when None). Deprecated with
        stages, as in MLflow."""
        _stages_deprecated("get_latest_versions")
        return registry_versions.get_latest_versions(self._registry(write=False), name, stages)

    def update_model_version(self, name: str, version: int | str, description: str | None = None) -> ModelVersion:
        return registry_versions.update_model_version(self._registry(), name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete the version and the aliases pointing at it; its number is never reused."""
        registry_versions.delete_model_version(self._registry(), name, version)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        registry_versions.set_model_version_tag(self._registry(), name, version, key, value)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        registry_versions.delete_model_version_tag(self._registry(), name, version, key)

    def transition_model_version_stage(
        self, name: str, version: int | str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to ``stage`` (None, Staging, Production or Archived, any case). With
        ``archive_existing_versions`` the model's other versions in that stage move to Archived.
        Emits MLflow's ``FutureWarning``: stages are deprecated in favour of aliases."""
        _stages_deprecated("transition_model_version_stage")
        return registry_versions.transition_stage(self._registry(), name, version, stage, archive_existing_versions)

    # -- aliases ---------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` at ``version``, moving it off the version it named before."""
        registry_versions.set_alias(self._registry(), name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        registry_versions.delete_alias(self._registry(), name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return registry_versions.get_version_by_alias(self._registry(write=False), name, alias)

    def _resolve_source(self, source: str, run_id: str | None) -> tuple[str | None, str | None, str]:
        """``(run_id, model_path, source)`` for a new version: a ``runs:/`` URI must name a
        logged model and becomes the ``file://`` URI of its folder; anything else is kept."""
        if not isinstance(source, str) or not source.startswith("runs:/"):
            return run_id, None, source
        owner, _, path = source[len("runs:/") :].strip("/").partition("/")
        if not owner or not path:
            raise RegistryError(f"model URI {source!r} must look like 'runs:/<run_id>/<artifact path>'")
        try:
            path = safe_relative_path(path)
        except ValueError as exc:
            raise RegistryError(f"model URI {source!r}: {exc}") from None
        entries = {info.path for info in self.list_artifacts(owner, path)}  # RunNotFound if unknown
        if f"{path}/{MODEL_META_FILE}" not in entries:
            found = ", ".join(sorted(info.path for info in self.list_artifacts(owner))) or "none"
            raise RegistryError(
                f"{source!r} holds no model: run {owner} has no {MODEL_META_FILE} under {path!r} "
                f"(its artifacts: {found})"
            )
        return run_id or owner, path, f"{self._store.artifacts_uri}/{owner}/{path}"

    def _model_directory(self, uri: str) -> str:
        """The local folder of the version a ``models:/`` URI names (files kept in the store
        written out when first read)."""
        version = self._version_for_uri(uri)
        if version.run_id and version.model_path:
            return self.artifact_path(version.run_id, version.model_path)
        source = version.source
        if source.startswith("file://"):
            import urllib.parse
            import urllib.request

            source = urllib.request.url2pathname(urllib.parse.urlparse(source).path)
        if os.path.isdir(source):
            return source
        raise RegistryError(
            f"{uri!r} is version {version.version} of {version.name!r}, whose source "
            f"{version.source!r} is not a local model folder"
        )

    def _version_for_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/`` URI names; one :class:`RegistryNotFound` naming what exists."""
        rest = uri[len("models:/") :].strip("/")
        if "@" in rest and "/" not in rest:
            name, _, alias = rest.partition("@")
            selector = ("alias", alias)
        else:
            name, _, tail = rest.partition("/")
            if not tail or "/" in tail:
                raise RegistryError(
                    f"model URI {uri!r} must look like 'models:/<name>/<version>', 'models:/<name>@<alias>', "
                    "'models:/<name>/<stage>' or 'models:/<name>/latest'"
                )
            selector = ("version", tail) if tail.isdigit() else ("latest", "") if tail.lower() == "latest" else ("stage", tail)
        if not name:
            raise RegistryError(f"model URI {uri!r} names no registered model")
        conn = self._registry(write=False)
        try:
            registry.get_registered_model(conn, name)
            kind, value = selector
            if kind == "alias":
                return registry_versions.get_version_by_alias(conn, name, value)
            if kind == "version":
                return registry_versions.get_model_version(conn, name, value)
            stages = [registry.canonical_stage(value)] if kind == "stage" else None
            found = registry_versions.get_latest_versions(conn, name, stages)
            if found:
                return max(found, key=lambda v: v.version)
            raise RegistryNotFound(f"no version of {name!r} is in stage {stages[0] if stages else '(any)'}")
        except (RegistryNotFound, RegistryError) as exc:
            reason = str(exc).split(" (")[0]
            if reason.startswith("registered model"):  # its message names the registered models
                raise type(exc)(f"{uri!r} names no model version: {exc}") from None
            raise type(exc)(f"{uri!r} names no model version: {reason}. {_what_exists(conn, name)}") from None


def _user() -> str:
    return current_user()


def _what_exists(conn: sqlite3.Connection, name: str) -> str:
    """One sentence naming the model's versions, aliases and stages (or the registered models)."""
    try:
        model = registry.get_registered_model(conn, name)
    except (RegistryNotFound, RegistryError):
        names = [m.name for m in registry.search_registered_models(conn, max_results=20)]
        return f"Registered models: {', '.join(names)}." if names else "No model is registered in this store."
    versions = [str(v) for (v,) in conn.execute("SELECT version FROM model_versions WHERE name = ? ORDER BY version", (name,))]
    aliases = [f"@{alias} -> {version}" for alias, version in sorted(model.aliases.items())]
    stages = [f"{v.current_stage} -> {v.version}" for v in model.latest_versions if v.current_stage != "None"]
    return (
        f"Model {name!r} has versions: {', '.join(versions) or 'none'}; aliases: {', '.join(aliases) or 'none'}; "
        f"stages: {', '.join(stages) or 'none'}."
    )


