"""The local store's artifact folder: ``<root>/artifacts/<run_id>/<artifact path>``.

Files are written under a temporary name and renamed into place, so a reader never sees half a
file and a retried batch simply overwrites. A staged file (autolog's own private copy) is
hard-linked instead of copied when nothing else links to it; a file that is already a link (a
hard-link farm of the user's files) or the user's own file is copied, so later edits by its owner
never reach the stored artifact.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import uuid
from collections.abc import Mapping

from autolog.sdk.policy import artifact_destination, safe_relative_path
from autolog.store.entities import ArtifactInfo

__all__ = ["destination", "list_artifacts", "run_artifact_dir", "safe_relative_path", "store_artifact", "write_files"]


def run_artifact_dir(artifacts_root: str, run_id: str) -> str:
    """The folder holding run ``run_id``'s artifacts (``ValueError`` for an unsafe id)."""
    if not run_id or run_id in (".", "..") or "/" in run_id or os.sep in run_id:
        raise ValueError(f"run id {run_id!r} cannot name an artifact folder")
    return os.path.join(artifacts_root, run_id)


def destination(run_dir: str, local_path: str, artifact_path: str | None) -> str:
    """Where an artifact lands: ``artifact_path``, or the source's base name when it is empty."""
    return os.path.join(run_dir, *artifact_destination(local_path, artifact_path).split("/"))


def _place_file(source: str, target: str, may_link: bool) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = f"{target}.autolog-tmp-{uuid.uuid4().hex[:8]}"
    try:
        linked = False
        if may_link and os.stat(source).st_nlink == 1:
            try:
                os.link(source, temporary)
                linked = True
            except OSError:
                linked = False
        if not linked:
            shutil.copy2(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def store_artifact(source: str, target: str, *, may_link: bool) -> list[str]:
    """Copy (or, when ``may_link``, hard-link) a file or directory tree to ``target``.

    Inside a directory, an entry that cannot be read (a dangling symbolic link, a file without
    read permission, one deleted meanwhile) is skipped, not fatal: the rest is stored. Returns the
    paths skipped, with the reason, for one warning."""
    skipped: list[str] = []
    if os.path.isdir(source):
        if os.path.lexists(target) and not os.path.isdir(target):
            os.unlink(target)
        for folder, _dirs, files in os.walk(source):
            relative = os.path.relpath(folder, source)
            out_folder = os.path.normpath(os.path.join(target, relative))
            os.makedirs(out_folder, exist_ok=True)
            for name in files:
                path = os.path.join(folder, name)
                if os.path.islink(path) and not os.path.exists(path):
                    skipped.append(f"{path} (a dangling symbolic link)")
                    continue
                try:
                    _place_file(path, os.path.join(out_folder, name), may_link)
                except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
                    skipped.append(f"{path} ({type(exc).__name__})")
        return skipped
    if os.path.isdir(target):
        shutil.rmtree(target)
    _place_file(source, target, may_link)
    return skipped


def write_files(target: str, files: Mapping[str, bytes]) -> None:
    """Write in-memory files (name -> bytes) into the folder ``target``, each atomically."""
    os.makedirs(target, exist_ok=True)
    for name, data in files.items():
        relative = safe_relative_path(name)
        path = os.path.join(target, *relative.split("/"))
        if "/" in relative:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.autolog-tmp-{uuid.uuid4().hex[:8]}"
        try:
            with open(temporary, "wb") as fh:
                fh.write(data)
            os.replace(temporary, path)
        except BaseException:
            if os.path.lexists(temporary):
                os.unlink(temporary)
            raise


def list_artifacts(run_dir: str, path: str | None) -> list[ArtifactInfo]:
    """The entries directly inside ``path`` (a folder of the run); empty if it is not a folder."""
    relative = safe_relative_path(path) if path else ""
    folder = os.path.join(run_dir, *relative.split("/")) if relative else run_dir
    if not os.path.isdir(folder):
        return []
    entries = []
    with os.scandir(folder) as scan:
        for entry in scan:
            if ".autolog-tmp-" in entry.name:
                continue
            is_dir = entry.is_dir()
            entries.append(
                ArtifactInfo(
                    posixpath.join(relative, entry.name) if relative else entry.name,
                    is_dir,
                    None if is_dir else entry.stat().st_size,
                )
            )
    return sorted(entries, key=lambda info: info.path)
