"""The model-registry side of a backend: where ``autolog sync`` sends the local store's
registered models, versions and aliases.

A backend whose tracking system has a model registry returns a :class:`ModelRegistry` from
:meth:`Backend.model_registry <autolog.sdk.backend_base.Backend.model_registry>` (MLflow does);
the default is None, and sync then sends nothing registry-related to it. Every method is called
by the sync alone, after the runs were replayed, and must be safe to repeat: a sync killed
half-way calls the same methods again. A version made from a local one carries the tag
:data:`SOURCE_VERSION_TAG` (``"<name>/<version>"``), by which a repeated call finds it.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Tag on a target version made by ``autolog sync``: ``"<name>/<local version>"``.
SOURCE_VERSION_TAG = "autolog.source_version"


class ModelRegistry:
    """A tracking system's model registry, as ``autolog sync`` writes to it."""

    def put_model(self, name: str, description: str | None, tags: Mapping[str, str]) -> None:
        """Create the registered model ``name`` if it does not exist, then set its description
        (when not None) and ``tags``."""
        raise NotImplementedError

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
        """Make (or find, when a previous call made it) the version of ``name`` tagged
        ``source_version`` that points at the model ``model_path`` of the target's run
        ``target_run_id``; set its description, ``tags`` and ``stage``; return its version."""
        raise NotImplementedError

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` of ``name`` at ``version`` (moving it when it points elsewhere)."""
        raise NotImplementedError

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` of ``name`` (nothing when it does not exist)."""
        raise NotImplementedError
