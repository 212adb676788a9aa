"""Where a project's code comes from: a local folder (run in place) or a git repository.

URIs, as MLflow reads them:

* ``path/to/project`` or ``file:///path/to/project``: an existing local folder, run in place;
* the same with ``--version REF``: the folder must be in a git repository, which is cloned to a
  temporary folder with ``REF`` (a commit, branch or tag) checked out;
* any other URI (``https://...``, ``git@...``): cloned with git (the default branch, or
  ``--version``);
* ``URI#sub/dir``: the project is that sub-folder of the folder or repository.

:class:`Source` also records what a later ``autolog rerun`` needs: the repository, the commit,
the sub-folder, and whether the work tree had uncommitted changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass

from autolog.projects.spec import ExecutionError

GIT_TIMEOUT = 300.0


@dataclass
class Source:
    """A fetched project: the folder to run in, and where it came from."""

    uri: str
    directory: str
    repository: str | None = None
    subdirectory: str = ""
    commit: str | None = None
    dirty: bool = False
    branch: str | None = None
    #: a temporary clone or worktree to delete after the run
    temporary: str | None = None

    def cleanup(self) -> None:
        if self.temporary:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None


def split_uri(uri: str) -> tuple[str, str]:
    """(location, sub-folder) of ``URI#sub/dir``; ``..`` may not leave the project."""
    location, _, subdirectory = uri.partition("#")
    subdirectory = subdirectory.strip("/")
    if subdirectory and ".." in subdirectory.split("/"):
        raise ExecutionError(f"the sub-folder {subdirectory!r} of {uri!r} may not contain '..'")
    return location, subdirectory


def local_path(location: str) -> str | None:
    """The local folder a location names (a path or ``file://``), or None."""
    if location.startswith("file://"):
        parsed = urllib.parse.urlparse(location)
        location = urllib.parse.unquote(parsed.netloc + parsed.path)
    path = os.path.abspath(os.path.expanduser(location))
    return path if os.path.isdir(path) else None


def git(folder: str, *args: str, check: bool = True) -> str | None:
    """Run git in ``folder``; its stripped output, or None when it failed and ``check`` is off."""
    try:
        done = subprocess.run(
            ["git", "-C", folder, *args], capture_output=True, text=True, timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ExecutionError("git is needed for this project and is not installed") from None
    except subprocess.TimeoutExpired:
        raise ExecutionError(f"git {' '.join(args)} did not finish in {GIT_TIMEOUT:g}s") from None
    if done.returncode != 0:
        if check:
            raise ExecutionError(f"git {' '.join(args)} failed in {folder}: {done.stderr.strip()[-500:]}")
        return None
    return done.stdout.strip()


def work_tree(folder: str) -> str | None:
    """The top of the git work tree holding ``folder``, or None."""
    if shutil.which("git") is None:
        return None
    return git(folder, "rev-parse", "--show-toplevel", check=False) or None


def fetch(uri: str, version: str | None = None) -> Source:
    """Make the project at ``uri`` available locally (``ExecutionError`` when it cannot be)."""
    location, subdirectory = split_uri(uri)
    folder = local_path(location)
    if folder is None and (location.startswith(("file://", "/", ".", "~")) or ("://" not in location and ":" not in location)):
        raise ExecutionError(f"no project folder {location!r}")
    if folder is not None and version is None:
        source = _describe(Source(uri, os.path.join(folder, subdirectory)), folder)
    else:
        if folder is not None and work_tree(folder) is None:
            raise ExecutionError(f"--version needs a git repository; {folder} is not in one")
        source = clone(folder or location, version, uri)
        source.directory = os.path.join(source.directory, subdirectory)
    source.subdirectory = _relative(source.directory, source)
    if not os.path.isdir(source.directory):
        source.cleanup()
        raise ExecutionError(f"no sub-folder {subdirectory!r} in project {location}")
    return source


def clone(repository: str, version: str | None, uri: str) -> Source:
    """Clone ``repository`` into a temporary folder at ``version`` (default branch if None)."""
    target = tempfile.mkdtemp(prefix="autolog-project-")
    try:
        done = subprocess.run(
            ["git", "clone", "--quiet", repository, target], capture_output=True, text=True,
            timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise ExecutionError(f"cannot clone {repository}: {done.stderr.strip()[-500:]}")
        if version is not None:
            if git(target, "rev-parse", "--verify", "--quiet", f"{version}^{{commit}}", check=False) is None:
                raise ExecutionError(f"version {version!r} is not a commit, branch or tag of {repository}")
            git(target, "checkout", "--quiet", "--detach", version)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    source = Source(uri, target, temporary=target)
    _describe(source, target)
    source.repository = os.path.abspath(repository) if os.path.isdir(repository) else repository
    if version is not None and git(target, "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{version}", check=False):
        source.branch = version
    return source


def _describe(source: Source, folder: str) -> Source:
    top = work_tree(folder)
    if top is None:
        return source
    source.repository = top
    source.commit = git(top, "rev-parse", "HEAD", check=False)
    status = git(top, "status", "--porcelain", "--untracked-files=no", check=False)
    source.dirty = bool(status)
    branch = git(top, "rev-parse", "--abbrev-ref", "HEAD", check=False)
    source.branch = branch if branch and branch != "HEAD" else None
    return source


def _relative(directory: str, source: Source) -> str:
    root = source.temporary or source.repository
    if not root:
        return ""
    relative = os.path.relpath(os.path.realpath(directory), os.path.realpath(root))
    return "" if relative == "." else relative


def checkout(repository: str, commit: str) -> Source:
    """``commit`` of ``repository`` checked out in a temporary folder: a detached ``git
    worktree`` of a local repository (deleted by :func:`remove_worktree`), else a clone."""
    if not os.path.isdir(repository):
        return clone(repository, commit, repository)
    if git(repository, "cat-file", "-e", f"{commit}^{{commit}}", check=False) is None:
        raise ExecutionError(f"commit {commit} is not in the repository {repository}")
    target = os.path.join(tempfile.mkdtemp(prefix="autolog-rerun-"), "tree")
    git(repository, "worktree", "add", "--quiet", "--detach", target, commit)
    source = Source(repository, target, repository=repository, commit=commit, temporary=os.path.dirname(target))
    return source


def remove_worktree(source: Source) -> None:
    """Delete a temporary worktree made by :func:`checkout` and forget it in its repository."""
    repository = source.repository
    source.cleanup()
    if repository and os.path.isdir(repository):
        git(repository, "worktree", "prune", check=False)
