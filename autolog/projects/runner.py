"""Running a project entry point as a tracked run, and running a recorded one again.

Order of events, so nothing is left half done:

1. the project is fetched, its MLproject read, the entry point and every parameter checked, the
   command built and the environment prepared; any problem raises
   :class:`~autolog.projects.spec.ExecutionError` and no run exists yet;
2. the run is created with its tags (``mlflow.source.*`` as MLflow's projects set them,
   ``mlflow.project.entryPoint``, ``mlflow.project.env``, and ``autolog.project.*`` for
   ``autolog rerun``), its parameters are logged, and both reach the backends;
3. the command starts in the project folder with ``AUTOLOG_RUN_ID`` (and the tracking
   directory, experiment and backends) in its environment, so the autologged fits and Trainer
   runs of its code log into this run (see :mod:`autolog._attach`);
4. its exit code decides the status (0: FINISHED, a signal: KILLED, else FAILED; tag
   ``autolog.exit_code``); Ctrl-C while waiting, or :meth:`SubmittedRun.cancel`, stops the command
   (SIGINT, then SIGTERM, then SIGKILL) and ends the run KILLED.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from typing import Any

from autolog import _session
from autolog.projects import environments, fetch
from autolog.projects.spec import ExecutionError, load_project

#: Seconds a stopped command gets for each of SIGINT and SIGTERM before the next signal.
STOP_GRACE = 10.0
TAG_REPRODUCES = "autolog.reproduces"


class SubmittedRun:
    """A project run whose command was started: wait for it, ask its status, or cancel it."""

    def __init__(self, run: Any, process: subprocess.Popen[bytes], source: fetch.Source, command: str) -> None:
        self._run = run
        self._process = process
        self._source = source
        self.command = command
        self._lock = threading.Lock()
        self._status: str | None = None

    @property
    def run_id(self) -> str:
        return str(self._run.run_id)

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def wait(self) -> bool:
        """Wait for the command to end (Ctrl-C stops it and ends the run KILLED); True when it
        succeeded."""
        try:
            code = self._process.wait()
        except KeyboardInterrupt:
            self.cancel()
            raise
        self._finish(code)
        return self._status == "FINISHED"

    def get_status(self) -> str:
        """RUNNING while the command runs, then FINISHED, FAILED or KILLED."""
        if self._status is None:
            code = self._process.poll()
            if code is None:
                return "RUNNING"
            self._finish(code)
        return str(self._status)

    @property
    def status(self) -> str:
        return self.get_status()

    def cancel(self) -> None:
        """Stop the command (its whole process group) and end the run KILLED."""
        process = self._process
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, signum)
            except (ProcessLookupError, PermissionError):
                break
            try:
                process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                continue
        process.wait()
        self._finish(process.returncode, cancelled=True)

    def _stop_at_exit(self, outcome: Any) -> None:
        """First in the exit sequence of the process that started the command: a command still
        running is stopped, so its run is not left without an owner."""
        if self._process.poll() is None:
            self.cancel()

    def _finish(self, code: int, cancelled: bool = False) -> None:
        with self._lock:  # held throughout: a second caller returns once the run is ended
            if self._status is not None:
                return
            if code == 0 and not cancelled:
                status = "FINISHED"
            elif cancelled or code < 0:
                status = "KILLED"
            else:
                status = "FAILED"
            self._run.set_tags({"autolog.exit_code": str(code)})
            self._run.end(status)
            _session.current().flush(60.0)
            _release(self._source)
            self._status = status

    def __repr__(self) -> str:
        return f"<SubmittedRun {self.run_id} {self.get_status()}>"


def run(
    uri: str,
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    *,
    version: str | None = None,
    env_manager: str = "local",
    experiment_name: str | None = None,
    run_name: str | None = None,
    synchronous: bool = True,
    system_site_packages: bool = False,
) -> SubmittedRun:
    """Run ``entry_point`` of the project at ``uri`` as a new run (see :mod:`autolog.projects`).

    ``synchronous=True`` waits for the command and raises :class:`ExecutionError` when it failed
    (the run is recorded FAILED); otherwise the returned :class:`SubmittedRun` is still running.
    """
    source = fetch.fetch(uri, version)
    return _launch(
        source, uri, entry_point, dict(parameters or {}), env_manager, experiment_name, run_name, synchronous,
        system_site_packages, version=version,
    )


def rerun(
    run_id: str,
    *,
    tracking_dir: str | None = None,
    env_manager: str | None = None,
    experiment_name: str | None = None,
    run_name: str | None = None,
    synchronous: bool = True,
    system_site_packages: bool | None = None,
) -> SubmittedRun:
    """Run a recorded project run again: the same entry point and parameters, its git commit
    checked out in a temporary worktree, as a new run tagged ``autolog.reproduces=<run_id>``.

    ``LookupError`` for an unknown run; :class:`ExecutionError` for a run that was not a project
    run, was not made from a git commit, or ran uncommitted changes."""
    from autolog.client import Client

    stored = Client(tracking_dir).get_run(run_id)
    tags = stored.tags
    if tags.get("mlflow.source.type") != "PROJECT" or "autolog.project.uri" not in tags:
        raise ExecutionError(f"run {run_id} was not started by `autolog run`: there is no project to run again")
    commit, repository = tags.get("mlflow.source.git.commit"), tags.get("autolog.project.repository")
    if not commit or not repository:
        raise ExecutionError(f"run {run_id} was not made from a git commit; it cannot be reproduced")
    if tags.get("autolog.git.dirty") == "true":
        raise ExecutionError(
            f"run {run_id} ran uncommitted changes of {repository}: commit {commit[:12]} does not hold the "
            "code that ran, so it cannot be reproduced"
        )
    given = json.loads(tags.get("autolog.project.given", "[]"))
    parameters = {key: stored.params[key] for key in given if key in stored.params}
    source = fetch.checkout(repository, commit)
    subdirectory = tags.get("autolog.project.subdirectory", "")
    source.directory = os.path.join(source.directory, subdirectory)
    source.subdirectory = subdirectory
    source.uri = tags["autolog.project.uri"]
    if not os.path.isdir(source.directory):
        fetch.remove_worktree(source)
        raise ExecutionError(f"commit {commit[:12]} of {repository} has no folder {subdirectory!r}")
    return _launch(
        source, tags["autolog.project.uri"], tags.get("mlflow.project.entryPoint", "main"), parameters,
        env_manager or tags.get("mlflow.project.env", "local"), experiment_name or stored.experiment, run_name,
        synchronous,
        tags.get("autolog.project.system_site_packages") == "true" if system_site_packages is None else system_site_packages,
        version=commit, reproduces=run_id,
    )


def _launch(
    source: fetch.Source,
    uri: str,
    entry_point: str,
    parameters: dict[str, Any],
    env_manager: str,
    experiment_name: str | None,
    run_name: str | None,
    synchronous: bool,
    system_site_packages: bool,
    *,
    version: str | None = None,
    reproduces: str | None = None,
) -> SubmittedRun:
    try:
        project = load_project(source.directory)
        entry = project.entry_point(entry_point)
        declared, extra = entry.resolve(parameters, os.getcwd(), source.directory)
        command = entry.command_line(declared, extra)
        environment = environments.prepare(project, env_manager, system_site_packages=system_site_packages)
    except BaseException:
        _release(source)
        raise
    logged = {**declared, **extra}  # defaults included; a given path as resolved
    tags = _tags(source, uri, entry_point, env_manager, command, version, reproduces, system_site_packages, parameters)
    run = _start_run(run_name, experiment_name, tags, logged)
    try:
        process = subprocess.Popen(
            ["bash", "-c", command], cwd=source.directory, env=_child_environment(run, environment),
            start_new_session=True,
        )
    except OSError as exc:
        run.set_tags({"autolog.exit_reason": f"the command did not start: {exc}"})
        run.end("FAILED")
        _release(source)
        raise ExecutionError(f"the command of entry point {entry_point!r} did not start: {exc}") from None
    submitted = SubmittedRun(run, process, source, command)
    _session.current().on_exit(submitted._stop_at_exit)
    if not synchronous:
        _watch(submitted)
        return submitted
    if not submitted.wait():
        raise ExecutionError(
            f"run {submitted.run_id} ({entry_point!r} of {uri}) {submitted.status}: the command exited with "
            f"code {submitted.returncode}"
        )
    return submitted


def _release(source: fetch.Source) -> None:
    """Delete a temporary clone or worktree (a project run in place is left alone)."""
    if source.temporary:
        fetch.remove_worktree(source)


def _watch(submitted: SubmittedRun) -> None:
    """End the run when a command started without waiting ends."""

    def watch() -> None:
        code = submitted._process.wait()
        submitted._finish(code)

    threading.Thread(target=watch, daemon=True, name="autolog-project").start()


def _tags(
    source: fetch.Source, uri: str, entry_point: str, env_manager: str, command: str, version: str | None,
    reproduces: str | None, system_site_packages: bool, parameters: Mapping[str, Any],
) -> dict[str, str]:
    from autolog.store.sqlite import current_user

    tags = {
        "mlflow.source.name": source.repository if source.temporary and source.repository else uri,
        "mlflow.source.type": "PROJECT",
        "mlflow.project.entryPoint": entry_point,
        "mlflow.project.env": env_manager,
        "mlflow.project.backend": "local",
        "mlflow.user": current_user(),
        "autolog.project.uri": uri,
        "autolog.project.subdirectory": source.subdirectory,
        "autolog.project.command": command,
        "autolog.project.given": json.dumps(sorted(str(k) for k in parameters)),
        "autolog.project.system_site_packages": "true" if system_site_packages else "false",
    }
    if source.repository:
        tags["autolog.project.repository"] = source.repository
    if source.commit:
        tags["mlflow.source.git.commit"] = source.commit
        tags["autolog.git.dirty"] = "true" if source.dirty else "false"
    if source.branch:
        tags["mlflow.source.git.branch"] = source.branch
    if source.repository and os.path.isdir(source.repository):
        tags["mlflow.source.git.repoURL"] = fetch.git(source.repository, "config", "--get", "remote.origin.url", check=False) or ""
    elif source.repository:
        tags["mlflow.source.git.repoURL"] = source.repository
    if version:
        tags["autolog.project.version"] = version
    if reproduces:
        tags[TAG_REPRODUCES] = reproduces
    return {k: v for k, v in tags.items() if v != ""}


def _start_run(run_name: str | None, experiment_name: str | None, tags: dict[str, str], params: dict[str, str]) -> Any:
    """The project's run, created with its params and delivered before the command starts."""
    from autolog._runs import Run

    run = Run(name=run_name, experiment=experiment_name, tags=tags, _capture=False)
    run.log_params(params)
    _session.current().flush(60.0)
    return run


def _child_environment(run: Any, environment: environments.Environment) -> dict[str, str]:
    config = _session.current().config()
    env = dict(os.environ)
    env.update(environment.variables)
    env.update(AUTOLOG_RUN_ID=run.run_id, AUTOLOG_EXPERIMENT=run.experiment, AUTOLOG_DIR=config.tracking_dir)
    if all(isinstance(b, str) for b in config.backends):
        env["AUTOLOG_BACKENDS"] = ",".join(config.backends)
    return env
