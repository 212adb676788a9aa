"""A run's artifacts for the UI: the tree, file contents for previews, and model cards.

Three places hold a run's artifacts: files under ``artifacts/<run_id>/``, small files the store
keeps in its ``files`` table until first read (a scikit-learn model), and plots stored as data
(shown as ``<path>.json``). They are read here without writing anything: a database-kept file is
served from its row, not written out as :meth:`autolog.Client.artifact_path` would.

Every path is checked before any file is touched: a path with a ``..`` component, an absolute
path or a backslash is refused (``ValueError``), and the resolved file (symbolic links followed)
must lie inside the run's artifact folder, itself inside the store's.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

from autolog.model_format import MODEL_META_FILE
from autolog.store import queries
from autolog.store.entities import RunNotFound

#: Largest file the UI sends for a preview (bigger ones are cut, with ``truncated`` set).
PREVIEW_BYTES = 2_000_000


def checked_path(path: str) -> str:
    """``path`` as a clean relative ``a/b`` path; ``ValueError`` if it could leave the run."""
    if not path:
        return ""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or "\x00" in path or ".." in parts or (len(path) > 1 and path[1] == ":"):
        raise ValueError(f"artifact path {path!r} is not allowed: paths are relative and never contain '..'")
    return "/".join(part for part in parts if part not in ("", "."))


def _inside(root: str, full: str) -> bool:
    real_root, real = os.path.realpath(root), os.path.realpath(full)
    return real == real_root or real.startswith(real_root + os.sep)


def _require_run(conn: sqlite3.Connection, run_id: str) -> None:
    if not queries.run_exists(conn, run_id):
        raise RunNotFound(f"no run with id {run_id!r} in this tracking directory")


def tree(conn: sqlite3.Connection, run_id: str, run_dir: str, artifacts_root: str) -> list[dict[str, Any]]:
    """Every artifact file of the run, flat and sorted: ``{"path", "size", "source"}`` where
    ``source`` is ``disk``, ``db`` (kept in the database) or ``plot`` (plot data)."""
    _require_run(conn, run_id)
    found: dict[str, dict[str, Any]] = {}
    if os.path.isdir(run_dir) and _inside(artifacts_root, run_dir):
        for folder, dirs, files in os.walk(run_dir):
            dirs[:] = sorted(d for d in dirs if _inside(run_dir, os.path.join(folder, d)))
            for name in files:
                full = os.path.join(folder, name)
                if ".autolog-tmp-" in name or not _inside(run_dir, full):
                    continue
                relative = os.path.relpath(full, run_dir).replace(os.sep, "/")
                try:
                    size = os.path.getsize(full)
                except OSError:
                    continue
                found[relative] = {"path": relative, "size": size, "source": "disk"}
    for path, size in queries.stored_files(conn, run_id).items():
        found.setdefault(path, {"path": path, "size": size, "source": "db"})
    for path, spec in queries.get_plots(conn, run_id).items():
        found.setdefault(f"{path}.json", {"path": f"{path}.json", "size": len(spec.encode()), "source": "plot"})
    return sorted(found.values(), key=lambda item: item["path"])


def read(conn: sqlite3.Connection, run_id: str, path: str, run_dir: str, artifacts_root: str,
         limit: int = PREVIEW_BYTES) -> tuple[bytes, bool]:
    """The bytes of one artifact file (at most ``limit``) and whether they were cut.

    ``ValueError`` for an unsafe path, ``FileNotFoundError`` when the run has no such file."""
    relative = checked_path(path)
    _require_run(conn, run_id)
    if not relative:
        raise FileNotFoundError(f"run {run_id!r}: give the path of an artifact file")
    kept = queries.read_files(conn, run_id, relative).get(relative)
    if kept is not None:
        return kept[:limit], len(kept) > limit
    if relative.endswith(".json"):
        spec = queries.get_plots(conn, run_id).get(relative[: -len(".json")])
        if spec is not None:
            data = spec.encode()
            return data[:limit], len(data) > limit
    full = os.path.join(run_dir, *relative.split("/"))
    if not (_inside(artifacts_root, run_dir) and _inside(run_dir, full)):
        raise ValueError(f"artifact path {path!r} resolves outside the run's artifact folder")
    if not os.path.isfile(full):
        raise FileNotFoundError(f"run {run_id!r} has no artifact {relative!r}")
    with open(full, "rb") as fh:
        data = fh.read(limit + 1)
    return data[:limit], len(data) > limit


def model_cards(conn: sqlite3.Connection, run_id: str, run_dir: str, artifacts_root: str) -> list[dict[str, Any]]:
    """Each logged model of the run: its folder, flavor, signature, input example, requirements,
    metadata (read from ``autolog-model.json``) and, when the store has a model registry, the
    versions registered from it."""
    cards = []
    for item in tree(conn, run_id, run_dir, artifacts_root):
        if item["path"].split("/")[-1] != MODEL_META_FILE:
            continue
        try:
            meta = json.loads(read(conn, run_id, item["path"], run_dir, artifacts_root)[0])
        except (ValueError, OSError):
            continue
        folder = item["path"][: -len(MODEL_META_FILE)].rstrip("/")
        cards.append({
            "path": folder, "flavor": meta.get("flavor"), "signature": meta.get("signature"),
            "input_example": meta.get("input_example"), "requirements": meta.get("requirements", []),
            "metadata": meta.get("metadata", {}), "versions": _registry_versions(conn, run_id, folder),
        })
    return cards


def _registry_versions(conn: sqlite3.Connection, run_id: str, folder: str) -> list[dict[str, Any]]:
    """The registry's versions of this model (schema version 4 and later: ``model_versions``,
    ``registered_model_aliases``), each with its stage and aliases; none in an older store."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "model_versions" not in tables:
        return []
    rows = conn.execute(
        "SELECT name, version, current_stage, creation_time FROM model_versions "
        "WHERE run_id = ? AND model_path = ? ORDER BY name, version",
        (run_id, folder),
    ).fetchall()
    versions = []
    for name, version, stage, created in rows:
        aliases = [a for (a,) in conn.execute(
            "SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias",
            (name, version),
        )] if "registered_model_aliases" in tables else []
        versions.append({"name": name, "version": version, "stage": stage, "creation_time": created,
                         "aliases": ", ".join(aliases)})
    return versions
