"""The run handle integrations log through: :class:`AutologgedRun`, from :func:`start_autologged_run`.

A patched call (or a framework callback) asks for the run it should record into. That is the
user's active run when there is one (the handle does not *own* it: ``end`` then does nothing), a
child of it when an earlier autologged call already logged other params into it (so a run's
params and its model never disagree), or a new run the handle owns and must end.

Beyond what the user's :class:`autolog.Run` offers, the handle can queue a model record, log a
staged artifact (a private copy the dispatcher deletes after delivery), defer work to the
background thread (the run's end then waits behind it), emit records straight to the run's own
dispatcher on a hot path, and deliver *late* records after the run ended (post-training
metrics), which every backend must accept (see :mod:`autolog.sdk.backend_base`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from autolog import _runs, _session
from autolog.records import ArtifactKind, ModelRecord, Record, RunStatus
from autolog.sdk.policy import param_string

if TYPE_CHECKING:
    import os


class AutologgedRun:
    """An integration's view of the run it records into (see the module docstring)."""

    __slots__ = ("owned", "run")

    def __init__(self, run: _runs.Run, owned: bool) -> None:
        self.run = run
        #: True when this handle opened the run: the integration must :meth:`end` it
        self.owned = owned

    # -- what the run is -------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def experiment(self) -> str:
        return self.run.experiment

    @property
    def ended(self) -> bool:
        """True once the run's end was emitted (records after that are *late*)."""
        return self.run.ended

    # -- logging ---------------------------------------------------------------------------------
    def log_params(self, params: Mapping[str, Any]) -> None:
        self.run.log_params(params)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.run.set_tags(tags)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None, timestamp: float | None = None) -> None:
        self.run.log_metrics(metrics, step, timestamp)

    def log_plot(self, artifact_path: str, spec: Mapping[str, Any]) -> None:
        self.run.log_plot(artifact_path, spec)

    def log_artifact(
        self,
        local_path: str | os.PathLike[str],
        artifact_path: str | None = None,
        *,
        kind: ArtifactKind | str = ArtifactKind.FILE,
        staged: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> None:
        """Log a file or folder; ``staged=True`` hands over a private copy the dispatcher deletes
        once every backend has it; ``aliases`` (``latest``, ``best``) are for checkpoints."""
        self.run._log_artifact(local_path, artifact_path, kind, staged, aliases)

    def log_model(self, record: ModelRecord) -> None:
        """Queue a model record (see :mod:`autolog.model_format`)."""
        self.run._queue(record)

    def emitter(self) -> Callable[[Record], None]:
        """The run's dispatcher's ``emit``: for a hot path that builds records itself (a callback
        logging every step). Records for the run only."""
        return self.run._dispatcher.emit

    def emit_late(self, record: Record) -> None:
        """Deliver a record for this run after it ended (a post-training metric): through the
        run's own dispatcher while it is open, else the current one."""
        self.run._emit_late(record)

    def defer(self, what: str, task: Callable[[AutologgedRun], None]) -> None:
        """Run ``task(handle)`` on autolog's background thread; the run's end waits behind it."""
        self.run._defer(what, lambda: task(self))

    # -- lifecycle -------------------------------------------------------------------------------
    def end(self, status: RunStatus | str = RunStatus.FINISHED) -> None:
        """End the run if this handle owns it (a user's run is never ended by autolog)."""
        if self.owned:
            self.run.end(status)

    def __repr__(self) -> str:
        return f"<AutologgedRun {self.run_id} owned={self.owned}>"


def start_autologged_run(
    name: str,
    *,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    parent: AutologgedRun | None = None,
    run_id: str | None = None,
    resume_step: int | None = None,
    activate: bool = True,
) -> AutologgedRun | None:
    """The run a patched call logs to, with ``tags`` set and ``params`` logged; None: do not log.

    * inside a user's run (``autolog.run()``, or the run ``AUTOLOG_RUN_ID`` attaches to): that
      run, not owned; None when the config is ``exclusive`` (not for an attached run); a child run (owned) when an autologged call already logged into it params
      that ``params`` contradicts;
    * else a new run, owned and, unless ``activate=False``, active in this context (a callback
      that never hears of an exception must not leave a stale active run behind);
    * ``parent``: a new child of that run (search candidates); ``run_id``/``resume_step``:
      continue an existing run from a checkpoint.
    """
    current = _runs.active_run()
    strings = {str(k): param_string(v) for k, v in (params or {}).items()}
    if parent is None and current is not None:
        if _session.current().config().exclusive and not (current.autologged or current.attached):
            return None
        if current.autologged or _agrees(current, strings):
            handle = AutologgedRun(current, owned=False)
            if not current.autologged:
                current._autologged_into = {**(current._autologged_into or {}), **strings}
            if tags:
                current.set_tags(tags)
            if strings:
                current.log_params(strings)
            return handle
        parent = AutologgedRun(current, owned=False)  # another model in the user's run: a child
    new = _runs.Run(
        name=name,
        experiment=parent.experiment if parent else None,
        tags=tags,
        parent_run_id=parent.run_id if parent else None,
        _autologged=True,
        _run_id=run_id,
        _resume_step=resume_step,
    )
    if strings:
        new.log_params(strings)
    return AutologgedRun(new.activate() if activate else new, owned=True)


def _agrees(run: _runs.Run, params: Mapping[str, str]) -> bool:
    """Whether ``params`` can join what autologged calls already logged into the user's ``run``."""
    earlier = run._autologged_into
    if earlier is None:
        return True
    return all(earlier.get(key, value) == value for key, value in params.items())
