"""The environment a project's command runs in.

* ``local``: this process's own environment; its interpreter's folder goes first on ``PATH``, so
  ``python`` in a command is the interpreter running autolog. A declared environment is ignored
  (as ``mlflow run --env-manager local`` does).
* ``virtualenv`` / ``uv``: the project's ``python_env.yaml`` (``python``, ``build_dependencies``,
  ``dependencies``) built into a virtual environment with ``venv`` and ``pip``, or with ``uv``
  when chosen and installed, and cached under ``$AUTOLOG_ENV_CACHE`` (default
  ``~/.cache/autolog/environments``) by the hash of the spec: a second run reuses it. The
  interpreter is this one when its version matches the spec's ``python`` (else ``pythonX.Y``
  from ``PATH``). ``system_site_packages=True`` lets the environment see the packages of the
  environment autolog runs in, so nothing already installed is downloaded.
* a ``conda_env`` or ``docker_env`` project is refused with a clear message (conda and docker
  are not run by autolog); ``local`` runs a conda project in this environment.

A failed build raises :class:`~autolog.projects.spec.ExecutionError` with the tool's output and
leaves no half-built environment in the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from autolog.projects.spec import ExecutionError, Project, read_yaml

MANAGERS = ("local", "virtualenv", "uv")
BUILD_TIMEOUT = 1800.0
_READY = ".autolog-ready"


@dataclass(frozen=True)
class Environment:
    """How to run a command: variables to set, and the manager's name for the run's tags."""

    manager: str
    variables: dict[str, str] = field(default_factory=dict)
    location: str | None = None


def cache_root() -> str:
    return os.path.abspath(os.path.expanduser(os.environ.get("AUTOLOG_ENV_CACHE") or "~/.cache/autolog/environments"))


def prepare(project: Project, manager: str, *, system_site_packages: bool = False) -> Environment:
    """The environment to run ``project``'s command in, built when needed (see the module doc)."""
    if manager not in MANAGERS:
        raise ExecutionError(f"unknown environment manager {manager!r}; choose one of {', '.join(MANAGERS)}")
    if project.env_type == "docker":
        missing = "" if shutil.which("docker") else " docker is not installed, and"
        raise ExecutionError(
            f"project {project.directory} declares a docker_env:{missing} autolog does not run docker "
            "projects; run its command in a docker container yourself"
        )
    if manager == "local":
        return Environment("local", {"PATH": _path_with(os.path.dirname(sys.executable))})
    if project.env_type == "conda":
        missing = "conda is not installed" if shutil.which("conda") is None else "autolog does not build conda environments"
        raise ExecutionError(
            f"project {project.directory} declares a conda environment ({os.path.basename(project.env_file or '')}) "
            f"and {missing}; run it with --env-manager local in an environment you prepared"
        )
    if manager == "uv" and uv_program() is None:
        raise ExecutionError("--env-manager uv needs uv, which is not installed (or use virtualenv)")
    spec = _python_env(project)
    location = build(spec, manager, system_site_packages)
    bin_dir = os.path.join(location, "Scripts" if os.name == "nt" else "bin")
    return Environment(manager, {"PATH": _path_with(bin_dir), "VIRTUAL_ENV": location}, location)


def uv_program() -> str | None:
    """uv on ``PATH``, or installed beside this interpreter (``pip install uv``), or None."""
    beside = os.path.join(os.path.dirname(sys.executable), "uv")
    return shutil.which("uv") or (beside if os.path.isfile(beside) and os.access(beside, os.X_OK) else None)


def _path_with(folder: str) -> str:
    return os.pathsep.join([folder, *[p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != folder]])


def _python_env(project: Project) -> dict:
    """The python_env spec: the project's file, or this interpreter with no dependencies."""
    if project.env_file is None:
        return {"python": _version(), "build_dependencies": [], "dependencies": []}
    spec = read_yaml(project.env_file) or {}
    if not isinstance(spec, dict):
        raise ExecutionError(f"{project.env_file}: expected a mapping")
    for key in ("build_dependencies", "dependencies"):
        value = spec.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ExecutionError(f"{project.env_file}: {key} must be a list of requirement strings")
        spec[key] = value
    spec["python"] = str(spec.get("python") or _version())
    return spec


def _version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"


def spec_hash(spec: dict, manager: str, system_site_packages: bool) -> str:
    """What identifies a built environment: the spec, the manager, the inherited packages."""
    inherited = _site_packages() if system_site_packages else []
    key = json.dumps([spec, manager, inherited, sys.executable if system_site_packages else None], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def build(spec: dict, manager: str, system_site_packages: bool) -> str:
    """The environment's folder in the cache, built now unless a finished one is there."""
    location = os.path.join(cache_root(), f"{manager}-{spec_hash(spec, manager, system_site_packages)}")
    if os.path.exists(os.path.join(location, _READY)):
        return location
    os.makedirs(cache_root(), exist_ok=True)
    with _Lock(location + ".lock"):
        if os.path.exists(os.path.join(location, _READY)):
            return location
        shutil.rmtree(location, ignore_errors=True)
        try:
            _create(location, spec, manager, system_site_packages)
        except BaseException:
            shutil.rmtree(location, ignore_errors=True)
            raise
        with open(os.path.join(location, _READY), "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
    return location


def _interpreter(version: str) -> str:
    wanted = version.split(".")
    current = [str(sys.version_info.major), str(sys.version_info.minor), str(sys.version_info.micro)]
    if current[: len(wanted)] == wanted or current[:2] == wanted[:2]:
        return getattr(sys, "_base_executable", None) or sys.executable
    found = shutil.which(f"python{'.'.join(wanted[:2])}")
    if found is None:
        raise ExecutionError(f"python_env asks for Python {version}, and no python{'.'.join(wanted[:2])} is on PATH")
    return found


def _create(location: str, spec: dict, manager: str, system_site_packages: bool) -> None:
    python = os.path.join(location, "Scripts" if os.name == "nt" else "bin", "python")
    if manager == "uv":
        command = [str(uv_program()), "venv", "--quiet", "--python", _interpreter(spec["python"]), location]
        if system_site_packages:
            command.insert(2, "--system-site-packages")
        _step(command, "creating the environment")
    else:
        command = [_interpreter(spec["python"]), "-m", "venv", location]
        if system_site_packages:  # pip comes from the inherited packages
            command[3:3] = ["--system-site-packages", "--without-pip"]
        _step(command, "creating the environment")
    if system_site_packages:
        _inherit(python)
    for what in ("build_dependencies", "dependencies"):
        requirements = spec.get(what) or []
        if not requirements:
            continue
        if manager == "uv":
            _step([str(uv_program()), "pip", "install", "--quiet", "--python", python, *requirements], f"installing {what}")
        else:
            _step([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements], f"installing {what}")


def _site_packages() -> list[str]:
    import site

    return [p for p in site.getsitepackages() if os.path.isdir(p)]


def _inherit(python: str) -> None:
    """Let the new environment see this environment's packages (a ``.pth`` file)."""
    done = subprocess.run(
        [python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise ExecutionError(f"the new environment's python does not start: {done.stderr.strip()[-500:]}")
    with open(os.path.join(done.stdout.strip(), "_autolog_inherited.pth"), "w", encoding="utf-8") as fh:
        # ``addsitedir`` also reads the .pth files there (editable installs live in them)
        fh.write("".join(f"import site; site.addsitedir({path!r})\n" for path in _site_packages()))


def _step(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExecutionError(f"the project environment failed while {what}: {exc}") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()[-2000:]
        raise ExecutionError(f"the project environment failed while {what} ({' '.join(command[:4])} ...):\n{output}")


class _Lock:
    """An exclusive file lock (``fcntl``; without it, none): one build per environment at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fh: object | None = None

    def __enter__(self) -> _Lock:
        self._fh = fh = open(self.path, "w")
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except ImportError:
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()  # type: ignore[attr-defined]
