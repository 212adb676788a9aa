"""The user's run handle: ``autolog.run()`` and :class:`Run`.

The active run lives in a context variable, so threads and asyncio tasks never share one by
accident. A run opened by a patched call ends FINISHED when the call returns and FAILED (KILLED on
Ctrl-C) when it raises; a run opened by the user is never ended by autolog. Integrations reach a
run through :class:`autolog.sdk.AutologgedRun`, which adds what only they need (models, deferred
work, late records) to the methods here.
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from autolog import _attach, _session
from autolog._safety import exception_safe, report_internal_error, warn_once
from autolog.records import Artifact, ArtifactKind, Metric, Params, Plot, RunEnd, RunStart, RunStatus, Tags
from autolog.sdk.policy import default_run_name, metric_step, metric_value, new_run_id, param_string

_active: contextvars.ContextVar[Run | None] = contextvars.ContextVar("autolog_active_run", default=None)


def active_run() -> Run | None:
    """The run that records go to in this thread or task, or None.

    With no run active, that is the run ``AUTOLOG_RUN_ID`` names, when set (see
    :mod:`autolog._attach`)."""
    current = _active.get()
    return _process_run() if current is None else current


def status_for(exc: BaseException | None) -> RunStatus:
    """FINISHED without an exception or for ``sys.exit(0)``, KILLED for Ctrl-C, else FAILED."""
    if exc is None:
        return RunStatus.FINISHED
    if isinstance(exc, KeyboardInterrupt):
        return RunStatus.KILLED
    if isinstance(exc, SystemExit) and exc.code in (None, 0):
        return RunStatus.FINISHED
    return RunStatus.FAILED


def interrupted_status(exc: BaseException) -> RunStatus:
    """The status of a run whose *logging* (not the user's call) ``exc`` interrupted: KILLED for
    Ctrl-C, else the outcome of ``sys.exit`` or FAILED for other process-ending exceptions; an
    autolog error (an ``Exception``, already reported) leaves the user's successful call FINISHED."""
    if isinstance(exc, Exception):
        return RunStatus.FINISHED
    return status_for(exc)


class Run:
    """A run that records can be logged to. Use as ``with autolog.run() as run:``.

    Every method is safe to call from the user's code: bad values warn once and are skipped, and
    nothing here raises into training. Calls after the run ended warn once and are ignored.
    """

    __slots__ = (
        "__weakref__",
        "_attached",
        "_autologged",
        "_autologged_into",
        "_deferred",
        "_dispatcher",
        "_ended",
        "_ending",
        "_params",
        "_session",
        "_token",
        "experiment",
        "name",
        "parent_run_id",
        "run_id",
        "start_time",
    )

    def __init__(
        self,
        *,
        name: str | None = None,
        experiment: str | None = None,
        tags: Mapping[str, Any] | None = None,
        parent_run_id: str | None = None,
        _run_id: str | None = None,
        _autologged: bool = False,
        _resume_step: int | None = None,
        _attach: bool = False,
        _capture: bool = True,
    ) -> None:
        session = self._session = _session.current()
        config = session.config()
        self.run_id = _run_id or new_run_id()
        self.experiment = experiment or config.experiment
        self.name = name or default_run_name(self.run_id)
        self.parent_run_id = parent_run_id
        self.start_time = time.time()
        self._dispatcher = session.dispatcher()
        self._params: dict[str, str] = {}
        self._ended = False
        self._ending: RunStatus | None = None
        self._token: contextvars.Token[Run | None] | None = None
        self._autologged = _autologged
        #: True when another process owns this run: ending it here only detaches
        self._attached = _attach
        self._deferred = False
        #: params an autologged call logged into this (user's) run: a second call with other
        #: values becomes a child run, so a run's params and its model never disagree
        self._autologged_into: dict[str, str] | None = None
        start = RunStart(
            run_id=self.run_id,
            experiment=self.experiment,
            name=self.name,
            start_time=self.start_time,
            parent_run_id=parent_run_id,
            tags={str(k): param_string(v) for k, v in (tags or {}).items()},
            resume_step=_resume_step,
            attach=_attach,
        )
        session.run_started(start, self)
        self._dispatcher.emit(start)
        if not session.forked:
            if _capture and config.capture_environment:
                _record_environment(self)
            if _capture and config.system_metrics and parent_run_id is None:
                _watch_system(session, config.system_metrics_interval)

    # -- logging -------------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        """Log one hyperparameter. A key keeps its first value (a second one warns once)."""
        self.log_params({key: value})

    @exception_safe("Run.log_params")
    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log hyperparameters; values of any type are stored as strings, whole."""
        if self._closed("log_params"):
            return
        fresh: dict[str, str] = {}
        known = self._params
        for key, value in params.items():
            key = str(key)
            text = param_string(value)
            old = known.get(key)
            if old is None:
                known[key] = fresh[key] = text
            elif old != text:
                warn_once(
                    f"param-changed:{self.run_id}:{key}",
                    f"autolog: param {key!r} of run {self.run_id} was already logged as {old[:80]!r}; "
                    f"keeping it and ignoring the new value {text[:80]!r} (params are immutable "
                    "within a run; log a metric or tag for values that change).",
                )
        if fresh:
            self._dispatcher.emit(Params(self.run_id, fresh))

    def log_metric(self, key: str, value: Any, step: int | None = None, timestamp: float | None = None) -> None:
        """Log one metric point. ``value`` may be an int, float, bool, numpy or 0-d tensor
        scalar; ``step`` a whole number. Anything else is skipped with one warning."""
        if self._ended or type(key) is not str:
            self._reject(key, value, "the key is not a string")
            return
        number = value if type(value) is float else metric_value(value)
        if number is None:
            self._reject(key, value, "not a number a float can hold")
            return
        point_step = step if type(step) is int else metric_step(step)
        if point_step is None:
            self._reject(key, step, "its step is not a whole number")
            return
        self._dispatcher.emit(Metric(self.run_id, key, number, point_step, timestamp or time.time()))

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None, timestamp: float | None = None) -> None:
        """Log several metric points at one step; non-numeric values are skipped with a warning."""
        ts = timestamp or time.time()
        for key, value in metrics.items():
            self.log_metric(key, value, step, ts)

    @exception_safe("Run.set_tags")
    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags (a later value for a key replaces the earlier one)."""
        if self._closed("set_tags") or not tags:
            return
        self._dispatcher.emit(Tags(self.run_id, {str(k): param_string(v) for k, v in tags.items()}))

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    @exception_safe("Run.log_artifact")
    def log_artifact(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Copy a file or a whole directory into the run's artifacts under ``artifact_path``.

        The file is read when the record is delivered (within ``flush_interval``), not now.
        """
        self._log_artifact(local_path, artifact_path)

    def _log_artifact(
        self,
        local_path: str | os.PathLike[str],
        artifact_path: str | None = None,
        kind: ArtifactKind | str = ArtifactKind.FILE,
        staged: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> None:
        if self._closed("log_artifact"):
            return
        path = os.path.abspath(os.fspath(local_path))
        if not os.path.exists(path):
            warn_once(f"artifact-missing:{path}", f"autolog: artifact {path!r} does not exist; not logged.")
            return
        self._dispatcher.emit(Artifact(self.run_id, path, artifact_path, ArtifactKind(kind), staged, tuple(aliases)))

    @exception_safe("Run.log_plot")
    def log_plot(self, artifact_path: str, spec: Mapping[str, Any]) -> None:
        """Log a plot as its data (a spec from :mod:`autolog.plots`), stored as
        ``<artifact_path>.json`` and rendered to ``<artifact_path>.png`` when first viewed."""
        if not self._closed("log_plot"):
            self._dispatcher.emit(Plot(self.run_id, str(artifact_path), spec))

    # -- for integrations (through autolog.sdk.AutologgedRun) ----------------------------------
    def _queue(self, record: Any) -> None:
        if not self._closed(type(record).__name__):
            self._dispatcher.emit(record)

    def _emit_late(self, record: Any) -> None:
        dispatcher = self._dispatcher
        if getattr(dispatcher, "_closed", False):
            dispatcher = self._session.dispatcher()
        dispatcher.emit(record)

    def _defer(self, what: str, task: Callable[[], None]) -> None:
        self._deferred = True
        self._session.background.submit(what, task)

    # -- lifecycle -----------------------------------------------------------------------------
    def end(self, status: RunStatus | str = RunStatus.FINISHED) -> None:
        """End the run (idempotent) and make it inactive in this context.

        A run this process attached to (``autolog.run(run_id=...)``, ``AUTOLOG_RUN_ID``) is only
        detached: this process stops logging to it; its status is left to the process owning it."""
        if self._ended or self._ending is not None:
            return
        self._ending = RunStatus(status)
        end = RunEnd(self.run_id, self._ending, time.time(), detach=self._attached)
        self._deactivate()
        if self._deferred:  # behind this run's background work, so its records land first
            self._session.background.submit("ending a run", lambda: self._emit_end(end))
        else:
            self._emit_end(end)

    def _emit_end(self, end: RunEnd) -> None:
        self._ended = True
        self._dispatcher.emit(end)  # delivered with the next batch: a loop of fits is one batch
        self._session.run_ended(end, self)

    def activate(self) -> Run:
        """Make this the active run of the current context (done by ``autolog.run()``)."""
        self._token = _active.set(self)
        return self

    def _deactivate(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        try:
            _active.reset(token)
        except ValueError:  # ended from another context: fall back to the parent run, if any
            if _active.get() is self:
                _active.set(token.old_value if token.old_value is not contextvars.Token.MISSING else None)

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def ending(self) -> bool:
        """True once ``end`` was called (the end may still wait behind background work)."""
        return self._ending is not None

    @property
    def attached(self) -> bool:
        """True for a run another process owns (this one logs into it and never ends it)."""
        return self._attached

    @property
    def autologged(self) -> bool:
        """True for a run a patched call opened (autolog ends it), False for the user's own."""
        return self._autologged

    @property
    def info(self) -> Any:
        """The run's attributes in MLflow's shape: ``run.info.run_id``, ``status``, times in ms
        (see :func:`autolog._run_views.live_run_info`)."""
        from autolog._run_views import live_run_info

        return live_run_info(self)

    @property
    def data(self) -> Any:
        """What the local store holds for this run so far, in MLflow's shape: ``run.data.params``,
        ``metrics`` (latest values), ``tags``."""
        from autolog._run_views import live_run_data

        return live_run_data(self)

    @property
    def params(self) -> Mapping[str, str]:
        """The params logged to this run by this process, as stored."""
        return dict(self._params)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.end(status_for(exc))

    def __repr__(self) -> str:
        return f"<autolog.Run {self.run_id} name={self.name!r} experiment={self.experiment!r}>"

    # -- helpers -------------------------------------------------------------------------------
    def _closed(self, what: str) -> bool:
        if self._ended:
            warn_once(f"ended:{self.run_id}:{what}", f"autolog: {what} on run {self.run_id} after it ended; ignored.")
        return self._ended

    def _reject(self, key: Any, value: Any, why: str) -> None:
        if self._ended:
            self._closed("log_metric")
            return
        warn_once(
            f"bad-metric:{key!r}:{type(value).__name__}",
            f"autolog: metric {key!r} = {_short(value)} skipped: {why}.",
        )


def _record_environment(run: Run) -> None:
    try:
        from autolog import environment

        environment.record(run)
    except Exception as exc:  # noqa: BLE001
        report_internal_error("capturing the environment", exc)


def _watch_system(session: Any, interval: float) -> None:
    try:
        from autolog import system_metrics

        system_metrics.watch(session, interval)
    except Exception as exc:  # noqa: BLE001
        report_internal_error("sampling system metrics", exc)


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        text = f"<unprintable {type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def run(
    name: str | None = None,
    experiment: str | None = None,
    tags: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> Run:
    """Start an explicit run and make it active: ``with autolog.run(name="x") as run: ...``.

    Inside another active run it becomes that run's child. Autologged calls inside it log into it.
    ``run_id`` attaches to an existing run instead: records go into it and leaving the block
    only detaches (the run's status stays with the process that owns it); a run id the local
    store does not hold raises ``LookupError``.
    """
    if run_id is not None:
        return _attach_to(str(run_id), name=name, experiment=experiment, tags=tags).activate()
    parent = active_run()
    new = Run(
        name=name,
        experiment=experiment or (parent.experiment if parent else None),
        tags=tags,
        parent_run_id=parent.run_id if parent else None,
    )
    return new.activate()


def _attach_to(
    run_id: str,
    *,
    name: str | None = None,
    experiment: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> Run:
    """A handle on the existing run ``run_id`` that another process owns (not made active);
    ``LookupError`` when the configured local store does not hold it. See :mod:`autolog._attach`."""
    stored_experiment, stored_name = _attach.target(run_id, _session.current().config())
    return Run(
        name=name or stored_name or run_id,
        experiment=experiment or stored_experiment,
        tags=tags,
        _run_id=run_id,
        _attach=True,
    )


def _process_run() -> Run | None:
    """The run ``AUTOLOG_RUN_ID`` names, attached once per process on first use; None when the
    variable is unset, the run cannot be attached, or it was detached already."""
    session = _session.current()
    state = session.attached
    if state is None:
        if not _attach.requested_run_id() or session.forked or not _session.is_rank_zero():
            return None
        with session.lock:
            if session.attached is None:
                session.attached = _attach_from_environment()
            state = session.attached
    if state is False or state.ending:
        return None
    return state


def _attach_from_environment() -> Run | bool:
    run_id = _attach.requested_run_id()
    try:
        return _attach_to(run_id)
    except LookupError as exc:
        warn_once(
            f"attach:{run_id}",
            f"autolog: {_attach.ENV_RUN_ID}={run_id!r} is ignored: {exc}; autologged calls open their own runs.",
        )
    except Exception as exc:  # noqa: BLE001
        report_internal_error(f"attaching to the run {_attach.ENV_RUN_ID} names", exc)
    return False
