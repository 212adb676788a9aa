"""The ``MLproject`` file, read by MLflow's rules.

* The file is found case-insensitively in the project folder (``MLproject``, ``mlproject``, ...);
  a folder without one is a project with no declared entry points.
* ``name``, ``entry_points`` and at most one of ``python_env``, ``conda_env``, ``docker_env``;
  without any, a ``python_env.yaml`` (then a ``conda.yaml``) in the folder is used.
* An entry point has a ``command`` and ``parameters``; a parameter is a bare type
  (``alpha: float``) or ``{type, default}``; one without a default is required. Types:
  ``string``, ``float`` and ``int`` (validated), ``path`` (resolved against the caller's working
  directory, made absolute, and checked to exist), ``uri``.
* The command is ``command.format(**values)`` with every value shell-quoted (:func:`shlex.quote`);
  parameters the entry point does not declare are appended as ``--key value``.
* An entry point that is not declared but names a ``.py`` or ``.sh`` file runs that file directly
  (``python file`` / ``$SHELL file``) with every parameter appended.

Every problem raises :class:`ExecutionError` (a ``ValueError``) naming the file and the field.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The environment fields of an MLproject file (at most one may be present).
ENV_FIELDS = ("python_env", "conda_env", "docker_env")
PARAMETER_TYPES = ("string", "float", "int", "path", "uri")
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_FILE = "conda.yaml"


class ExecutionError(ValueError):
    """A project cannot be run as asked (bad MLproject, entry point, parameter, version,
    environment); raised before anything is started or logged."""


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of an entry point."""

    name: str
    type: str = "string"
    default: str | None = None

    def value(self, raw: Any, base_dir: str) -> str:
        """The parameter's value as a string, validated for its type (``ExecutionError``)."""
        text = str(raw)
        if self.type == "float":
            try:
                float(text)
            except ValueError:
                raise ExecutionError(f"parameter {self.name!r} must be a float, got {text!r}") from None
        elif self.type == "int":
            try:
                int(text)
            except ValueError:
                raise ExecutionError(f"parameter {self.name!r} must be an int, got {text!r}") from None
        elif self.type == "path":
            path = text[len("file://"):] if text.startswith("file://") else text
            path = os.path.abspath(os.path.join(base_dir, os.path.expanduser(path)))
            if not os.path.exists(path):
                raise ExecutionError(f"parameter {self.name!r}: no such file or directory {text!r}")
            return path
        elif self.type == "uri" and "://" not in text and not os.path.isabs(text):
            raise ExecutionError(f"parameter {self.name!r} must be a URI, got {text!r}")
        return text


@dataclass(frozen=True)
class EntryPoint:
    """A command with its declared parameters."""

    name: str
    command: str
    parameters: Mapping[str, Parameter] = field(default_factory=dict)

    def resolve(
        self, given: Mapping[str, Any], base_dir: str, project_dir: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        """(declared values with defaults, undeclared extras), validated; ``ExecutionError`` for
        a missing required parameter or a value of the wrong type. A relative ``path`` given by
        the caller is taken from ``base_dir`` (their working directory), a default one from the
        project folder."""
        missing = [name for name, p in self.parameters.items() if name not in given and p.default is None]
        if missing:
            raise ExecutionError(
                f"entry point {self.name!r}: no value given for required parameter(s) "
                + ", ".join(repr(m) for m in missing)
            )
        declared = {
            name: p.value(given[name], base_dir) if name in given else p.value(p.default, project_dir)
            for name, p in self.parameters.items()
        }
        extra = {str(k): str(v) for k, v in given.items() if k not in self.parameters}
        return declared, extra

    def command_line(self, declared: Mapping[str, str], extra: Mapping[str, str]) -> str:
        """The shell command: declared values substituted (quoted), extras appended."""
        try:
            command = self.command.format(**{k: shlex.quote(v) for k, v in declared.items()})
        except (KeyError, IndexError) as exc:
            raise ExecutionError(f"entry point {self.name!r}: its command uses {{{exc.args[0]}}}, which is not a declared parameter") from None
        parts = [command, *(f"--{shlex.quote(k)} {shlex.quote(v)}" for k, v in extra.items())]
        return " ".join(parts)


@dataclass(frozen=True)
class Project:
    """A project folder and what its MLproject file declares."""

    directory: str
    name: str | None
    entry_points: Mapping[str, EntryPoint]
    env_type: str | None = None
    env_file: str | None = None
    docker_env: Mapping[str, Any] | None = None
    #: the MLproject file, None for a folder without one
    file: str | None = None

    def entry_point(self, name: str) -> EntryPoint:
        """A declared entry point, or a ``.py``/``.sh`` file of the project run directly."""
        if name in self.entry_points:
            return self.entry_points[name]
        extension = os.path.splitext(name)[1]
        runners = {".py": "python", ".sh": os.environ.get("SHELL", "bash")}
        if extension in runners:
            if not os.path.isfile(os.path.join(self.directory, name)):
                raise ExecutionError(f"entry point {name!r}: no such file in {self.directory}")
            return EntryPoint(name, f"{runners[extension]} {shlex.quote(name)}")
        if self.file is None:
            raise ExecutionError(
                f"no MLproject file in {self.directory}, and {name!r} is not a .py or .sh file of it"
            )
        known = ", ".join(repr(n) for n in self.entry_points) or "none"
        raise ExecutionError(
            f"no entry point {name!r} in project {self.directory} (declared: {known}); a .py or .sh "
            "file of the project can also be run by its name"
        )


def find_mlproject(directory: str) -> str | None:
    """The MLproject file of ``directory`` (any case), or None."""
    try:
        names = os.listdir(directory)
    except OSError as exc:
        raise ExecutionError(f"cannot read the project folder {directory}: {exc}") from None
    for name in sorted(names):
        if name.lower() == "mlproject" and os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


def read_yaml(path: str) -> Any:
    """A YAML file's content (PyYAML, from the ``projects`` extra)."""
    try:
        import yaml
    except ImportError:
        raise ExecutionError(
            f"reading {path} needs PyYAML: pip install 'autolog-suite[projects]'"
        ) from None
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ExecutionError(f"cannot read {path}: {exc}") from None


def load_project(directory: str, *, require_file: bool = False) -> Project:
    """Read the project in ``directory`` (see the module docstring)."""
    directory = os.path.abspath(directory)
    if not os.path.isdir(directory):
        raise ExecutionError(f"no project folder {directory}")
    path = find_mlproject(directory)
    if path is None:
        if require_file:
            raise ExecutionError(f"no MLproject file in {directory}")
        return Project(directory, None, {}, *_default_env(directory))
    spec = read_yaml(path) or {}
    if not isinstance(spec, dict):
        raise ExecutionError(f"{path}: expected a mapping at the top level")
    envs = [key for key in ENV_FIELDS if key in spec]
    if len(envs) > 1:
        raise ExecutionError(f"{path}: at most one of python_env, conda_env, docker_env, found {', '.join(envs)}")
    entry_points = {
        str(name): _entry_point(path, str(name), body) for name, body in (spec.get("entry_points") or {}).items()
    }
    name = spec.get("name")
    if envs == ["docker_env"]:
        docker = spec["docker_env"]
        if not isinstance(docker, dict) or not docker.get("image"):
            raise ExecutionError(f"{path}: docker_env needs an image")
        return Project(directory, name, entry_points, "docker", None, docker, path)
    if envs:
        env_file = os.path.join(directory, str(spec[envs[0]]))
        if not os.path.isfile(env_file):
            raise ExecutionError(f"{path}: {envs[0]} names {spec[envs[0]]!r}, which is not a file of the project")
        return Project(directory, name, entry_points, envs[0].split("_")[0], env_file, file=path)
    return Project(directory, name, entry_points, *_default_env(directory), file=path)


def _default_env(directory: str) -> tuple[str | None, str | None]:
    for env_type, file_name in (("python", PYTHON_ENV_FILE), ("conda", CONDA_FILE)):
        candidate = os.path.join(directory, file_name)
        if os.path.isfile(candidate):
            return env_type, candidate
    return None, None


def _entry_point(path: str, name: str, body: Any) -> EntryPoint:
    if not isinstance(body, dict) or not isinstance(body.get("command"), str):
        raise ExecutionError(f"{path}: entry point {name!r} needs a command")
    parameters: dict[str, Parameter] = {}
    for key, declared in (body.get("parameters") or {}).items():
        if isinstance(declared, str):
            kind, default = declared, None
        elif isinstance(declared, dict):
            kind, default = declared.get("type", "string"), declared.get("default")
        else:
            raise ExecutionError(f"{path}: parameter {key!r} of {name!r} must be a type or {{type, default}}")
        if kind not in PARAMETER_TYPES:
            raise ExecutionError(
                f"{path}: parameter {key!r} of {name!r} has type {kind!r}; known: {', '.join(PARAMETER_TYPES)}"
            )
        parameters[str(key)] = Parameter(str(key), kind, None if default is None else str(default))
    return EntryPoint(name, body["command"], parameters)
