"""Where a run came from: code version, command, interpreter, machine and packages, on every run.

Recorded on each run as tags named as MLflow names them, so the MLflow backend shows them in
MLflow's own fields, plus autolog's own for the machine:

* ``mlflow.source.name`` (the entry script, or the module run with ``-m``), ``mlflow.source.type``
  (``LOCAL``, or ``NOTEBOOK`` under IPython), ``mlflow.user``;
* ``mlflow.source.git.commit``, ``mlflow.source.git.branch``, ``mlflow.source.git.repoURL``
  (the ``origin`` remote) and ``autolog.git.dirty`` when the entry script (else the working
  directory) is inside a git work tree;
* ``autolog.command`` (the command line), ``autolog.python``, ``autolog.python.executable``,
  ``autolog.platform``, ``autolog.host``, ``autolog.cpu_count``, ``autolog.memory_gib``, and
  ``autolog.gpus`` when torch is already imported and has initialised CUDA (torch is never
  imported here);

and as artifacts on top-level runs: ``environment/requirements.txt`` (every installed
distribution, ``name==version``) and, when the work tree has uncommitted changes,
``environment/git.diff`` (``git diff HEAD``, cut at :data:`MAX_DIFF_BYTES`).

Cost: it is computed once per process and cached. The first run's caller pays for submitting one
task to the background worker (the slow parts, git and the package list, run there; the run's
end waits behind it); later runs emit the cached tags and artifact records directly. A process
that *attached* to a run another process owns (``AUTOLOG_RUN_ID``) leaves the ``mlflow.source``
tags to the owner and adds the rest. ``autolog(capture_environment=False)`` or
``AUTOLOG_CAPTURE_ENVIRONMENT=0`` turns it off.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

#: The most of ``git diff HEAD`` kept as an artifact (a longer diff is cut, with a note).
MAX_DIFF_BYTES = 1_000_000
#: The longest command line kept as a tag.
MAX_COMMAND_CHARS = 2000
#: Seconds any one git command may take.
GIT_TIMEOUT = 10.0

REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
DIFF_ARTIFACT = "environment/git.diff"
SOURCE_TAGS = ("mlflow.source.",)


@dataclass(frozen=True)
class Environment:
    """What one process records on its runs (see the module docstring)."""

    tags: dict[str, str]
    requirements: str | None
    diff: str | None


_lock = threading.RLock()  # re-entrant: a fork from inside a capture (git) does not wait on itself
_cached: Environment | None = None


def record(run: Any) -> None:
    """Record this process's environment on ``run`` (called as each run starts)."""
    environment = _cached
    if environment is not None:
        _log(run, environment)
        return
    run._defer("capturing the environment", lambda: _log(run, capture()))


def capture() -> Environment:
    """This process's environment, computed on the first call and cached (thread-safe)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = _compute()
        return _cached


def _log(run: Any, environment: Environment) -> None:
    tags = environment.tags
    if run.attached:
        tags = {k: v for k, v in tags.items() if not k.startswith(SOURCE_TAGS)}
    run.set_tags(tags)
    if run.parent_run_id is None:
        if environment.requirements:
            run._log_artifact(environment.requirements, REQUIREMENTS_ARTIFACT)
        if environment.diff:
            run._log_artifact(environment.diff, DIFF_ARTIFACT)


def _compute() -> Environment:
    import tempfile

    tags = machine_tags()
    tags.update(source_tags())
    folder = tempfile.mkdtemp(prefix="autolog-environment-")
    _remove_at_exit(folder)
    requirements = os.path.join(folder, "requirements.txt")
    with open(requirements, "w", encoding="utf-8") as fh:
        fh.write("".join(f"{line}\n" for line in installed_packages()))
    repo = git_root(_code_folder())
    diff_path = None
    if repo is not None:
        info = git_info(repo)
        tags.update(info)
        if info.get("autolog.git.dirty") == "true":
            diff = git_diff(repo)
            if diff:
                diff_path = os.path.join(folder, "git.diff")
                with open(diff_path, "wb") as fh:
                    fh.write(diff)
    return Environment(tags, requirements, diff_path)


def _remove_at_exit(folder: str) -> None:
    import atexit

    atexit.register(_remove, folder, os.getpid())


def _remove(folder: str, owner: int) -> None:
    """Delete the process's capture files, in the process that made them (not a forked child)."""
    import shutil

    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


# -- the pieces --------------------------------------------------------------------------------


def source_tags() -> dict[str, str]:
    """``mlflow.source.name``/``type``, ``mlflow.user`` and ``autolog.command``."""
    import shlex

    from autolog.store.sqlite import current_user

    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    command = shlex.join(str(a) for a in argv)
    if len(command) > MAX_COMMAND_CHARS:
        command = command[: MAX_COMMAND_CHARS - 3] + "..."
    notebook = "ipykernel" in sys.modules
    entry = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c") else ""
    if entry and os.path.exists(entry):
        entry = os.path.abspath(entry)
    return {
        "mlflow.source.name": entry or ("<notebook>" if notebook else "<interactive>"),
        "mlflow.source.type": "NOTEBOOK" if notebook else "LOCAL",
        "mlflow.user": current_user(),
        "autolog.command": command,
    }


def machine_tags() -> dict[str, str]:
    """Interpreter, platform, host, CPUs, memory, and GPUs (only from an already-imported torch
    that initialised CUDA)."""
    import platform
    import socket

    tags = {
        "autolog.python": f"{platform.python_version()} ({platform.python_implementation()})",
        "autolog.python.executable": sys.executable,
        "autolog.platform": platform.platform(),
        "autolog.host": socket.gethostname(),
        "autolog.cpu_count": str(os.cpu_count() or 0),
    }
    memory = total_memory()
    if memory:
        tags["autolog.memory_gib"] = f"{memory / 2**30:.1f}"
    gpus = gpu_names()
    if gpus:
        tags["autolog.gpus"] = ", ".join(gpus)
    return tags


def total_memory() -> int | None:
    """Physical memory in bytes, where the OS says."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def gpu_names() -> list[str]:
    """Names of the CUDA devices, when torch is imported and CUDA already initialised (asking
    earlier would initialise CUDA in this process, which forked workers cannot inherit)."""
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    try:
        if cuda is None or not cuda.is_initialized():
            return []
        return [str(cuda.get_device_name(i)) for i in range(cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken driver is not the run's problem
        return []


def installed_packages() -> list[str]:
    """Every installed distribution as ``name==version``, sorted, one per name."""
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
            version = dist.version
        except Exception:  # noqa: BLE001 - a broken dist-info folder
            continue
        if name and name.lower() not in found:
            found[name.lower()] = f"{name}=={version}"
    return [found[key] for key in sorted(found)]


def _code_folder() -> str:
    """Where the code runs from: the entry script's folder, else the working directory."""
    entry = sys.argv[0] if sys.argv else ""
    if entry and entry not in ("-c", "-m") and os.path.isfile(entry):
        return os.path.dirname(os.path.abspath(entry))
    return os.getcwd()


def git_root(folder: str) -> str | None:
    """The work tree holding ``folder`` (found by its ``.git``, without running git), or None."""
    current = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _git(repo: str, *args: str) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", repo, *args], capture_output=True, text=True, timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(repo: str) -> dict[str, str]:
    """Commit, branch, ``origin`` URL and whether tracked files changed, as tags."""
    tags: dict[str, str] = {}
    commit = _git(repo, "rev-parse", "HEAD")
    if not commit:
        return tags
    tags["mlflow.source.git.commit"] = commit
    branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    if branch and branch != "HEAD":
        tags["mlflow.source.git.branch"] = branch
    remote = _git(repo, "config", "--get", "remote.origin.url")
    if remote:
        tags["mlflow.source.git.repoURL"] = remote
    status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    if status is not None:
        tags["autolog.git.dirty"] = "true" if status else "false"
    return tags


def git_diff(repo: str, limit: int = MAX_DIFF_BYTES) -> bytes | None:
    """``git diff HEAD`` of the work tree, at most ``limit`` bytes (a cut diff ends with a note)."""
    import subprocess

    try:
        with subprocess.Popen(
            ["git", "-C", repo, "diff", "HEAD", "--no-color", "--no-ext-diff"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        ) as process:
            assert process.stdout is not None
            data = process.stdout.read(limit + 1)
            process.kill()
    except OSError:
        return None
    if len(data) > limit:
        data = data[:limit] + f"\n# autolog: diff cut at {limit} bytes\n".encode()
    return data or None


def reset() -> None:
    """Forget the cached environment (tests)."""
    global _cached
    with _lock:
        _cached = None


def _before_fork() -> None:
    """A fork waits for a capture in flight (at most once per process, about a tenth of a
    second): that capture imports modules on the background thread, and a child forked while
    one of those imports holds its module lock would hang at its own first capture."""
    _lock.acquire()


def _after_fork_in_parent() -> None:
    _lock.release()


def _after_fork_in_child() -> None:
    """A forked child captures its own environment (the parent's files go away when it exits);
    the modules the capture needs are imported whole by then."""
    global _cached, _lock
    _lock = threading.RLock()
    _cached = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)
