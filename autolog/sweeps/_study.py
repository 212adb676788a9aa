"""A sweep as an Optuna study in Optuna's database storage: create, open, claim, reap.

The sweep id is the study's name. The study's user attributes keep what every agent needs: the
sweep config as the user wrote it, the parent run's id and experiment. Trials that must each run
exactly once (every grid point, and the ``run_cap`` trials of a capped search) are created up
front as WAITING trials; an agent *claims* one by moving it to RUNNING, atomically: a database
server locks the row, SQLite (which does not) is guarded by a lock file next to the database.
An agent that died mid-trial leaves a RUNNING trial behind; the next agent to look marks it FAIL
(its process is gone on this host, or its heartbeat stopped) and, for a claimed slot, queues the
slot again so the grid is still covered once.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from autolog.sweeps.config import SweepConfig, parse

#: Seconds between an agent's heartbeats for its running trial (``AUTOLOG_SWEEP_HEARTBEAT``).
HEARTBEAT_SECONDS = 10
ATTR_CONFIG = "autolog.config"
ATTR_PARENT = "autolog.parent_run_id"
ATTR_EXPERIMENT = "autolog.experiment"
ATTR_READY = "autolog.ready"
ATTR_RUN_ID = "autolog.run_id"
ATTR_AGENT = "autolog.agent"
ATTR_FAILURE = "autolog.failure"
ATTR_SLOT = "autolog.slot"

_THREAD_LOCK = threading.Lock()


class SweepNotFound(LookupError):
    """No sweep with that id in the storage."""


def heartbeat_seconds() -> int:
    try:
        return max(1, int(os.environ.get("AUTOLOG_SWEEP_HEARTBEAT", HEARTBEAT_SECONDS)))
    except ValueError:
        return HEARTBEAT_SECONDS


def default_storage(tracking_dir: str) -> str:
    """``sqlite:///<tracking_dir>/sweeps.db``: the local store's folder."""
    os.makedirs(tracking_dir, exist_ok=True)
    return f"sqlite:///{os.path.abspath(os.path.join(tracking_dir, 'sweeps.db'))}"


def open_storage(url: str) -> Any:
    """Optuna's RDB storage for ``url`` with heartbeats on (stale trials are detected)."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    interval = heartbeat_seconds()
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 60}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs=kwargs, heartbeat_interval=interval, grace_period=3 * interval
        )
    if url.startswith("sqlite"):
        _fast_sqlite(storage.engine)
    return storage


def _fast_sqlite(engine: Any) -> None:
    """WAL and ``synchronous=NORMAL`` on every connection, as autolog's own store: a commit is
    a write to the log, not an fsync, and readers never wait for writers (crash-safe still)."""
    import sqlalchemy

    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sqlalchemy.event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened while creating the tables get the pragmas too


def _sqlite_path(url: str) -> str | None:
    prefix = "sqlite:///"
    return url[len(prefix):] if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:") else None


@contextlib.contextmanager
def claim_lock(url: str) -> Iterator[None]:
    """Held while claiming or reaping trials: a lock file beside a SQLite database (SQLite reads
    and then writes a row without locking it); a server database locks the row itself."""
    path = _sqlite_path(url)
    with _THREAD_LOCK:
        if path is None:
            yield
            return
        import fcntl

        with open(path + ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class Sweep:
    """An open sweep: its config, its study, and the storage URL."""

    def __init__(self, sweep_id: str, storage_url: str, study: Any, config: SweepConfig, parent_run_id: str | None,
                 experiment: str | None) -> None:
        self.sweep_id = sweep_id
        self.storage_url = storage_url
        self.study = study
        self.config = config
        self.parent_run_id = parent_run_id
        self.experiment = experiment
        #: the parent run, while ``autolog.sweep()`` keeps it open
        self.parent_run: Any = None
        #: when this process last looked for trials whose agent died (see :func:`reap_dead_trials`)
        self.reaped_at: float | None = None

    def trials(self) -> list[Any]:
        return self.study.get_trials(deepcopy=False)

    def best_trial(self) -> Any | None:
        """The best COMPLETE trial, or None."""
        import optuna

        done = [t for t in self.trials() if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
        if not done:
            return None
        pick = min if self.config.goal == "minimize" else max
        return pick(done, key=lambda t: t.value)


def create(config: SweepConfig, storage_url: str, *, name: str | None = None, parent_run_id: str | None = None,
           experiment: str | None = None) -> Sweep:
    """A new study for ``config`` with its fixed trials queued; the sweep id is ``name`` or a new id."""
    import optuna

    sweep_id = name or f"sweep-{uuid.uuid4().hex[:8]}"
    storage = open_storage(storage_url)
    try:
        study = optuna.create_study(study_name=sweep_id, storage=storage, direction=config.direction,
                                    sampler=config.make_sampler(), pruner=config.make_pruner())
    except optuna.exceptions.DuplicatedStudyError:
        raise ValueError(f"a sweep named {sweep_id!r} already exists in {storage_url}") from None
    study.set_user_attr(ATTR_CONFIG, json.dumps(config.raw, default=str))
    study.set_user_attr(ATTR_PARENT, parent_run_id)
    study.set_user_attr(ATTR_EXPERIMENT, experiment)
    slots: list[dict[str, Any]] = []
    if config.method == "grid":
        slots = config.grid_points()[: config.run_cap]
    elif config.run_cap:
        slots = [{}] * config.run_cap
    for index, params in enumerate(slots):
        study.enqueue_trial(params, user_attrs={ATTR_SLOT: index}, skip_if_exists=False)
    study.set_user_attr(ATTR_READY, True)
    return Sweep(sweep_id, storage_url, study, config, parent_run_id, experiment)


def load(sweep_id: str, storage_url: str) -> Sweep:
    """The sweep ``sweep_id``; :class:`SweepNotFound` if the storage has none by that name."""
    import optuna

    path = _sqlite_path(storage_url)
    if path is not None and not os.path.exists(path):  # a read creates no database
        raise SweepNotFound(f"no sweep {sweep_id!r} in {storage_url} (no such database)")
    storage = open_storage(storage_url)
    try:
        summary = {s.study_name: s for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    except Exception as exc:  # noqa: BLE001 - an empty or foreign database
        raise SweepNotFound(f"no sweep {sweep_id!r} in {storage_url} ({exc})") from None
    if sweep_id not in summary:
        known = ", ".join(sorted(summary)) or "none"
        raise SweepNotFound(f"no sweep {sweep_id!r} in {storage_url} (sweeps there: {known})")
    attrs = summary[sweep_id].user_attrs
    if not attrs.get(ATTR_READY) or ATTR_CONFIG not in attrs:
        raise SweepNotFound(f"study {sweep_id!r} in {storage_url} is not an autolog sweep (or its creation did not finish)")
    config = parse(json.loads(attrs[ATTR_CONFIG]))
    study = optuna.load_study(study_name=sweep_id, storage=storage, sampler=config.make_sampler(),
                              pruner=config.make_pruner())
    return Sweep(sweep_id, storage_url, study, config, attrs.get(ATTR_PARENT), attrs.get(ATTR_EXPERIMENT))


def agent_identity() -> dict[str, Any]:
    from autolog.store.liveness import current_writer

    me = current_writer()
    return {"pid": me.pid, "host": me.host, "started": me.started}


def _agent_dead(trial: Any, now: float) -> bool:
    from autolog.store.liveness import writer_is_dead

    agent = trial.user_attrs.get(ATTR_AGENT)
    if not isinstance(agent, dict) or agent.get("host") != socket.gethostname():
        return False  # another host: its heartbeat decides
    return writer_is_dead(agent.get("pid"), agent.get("host"), agent.get("started"), None, now)


def reap_dead_trials(sweep: Sweep) -> list[int]:
    """Mark FAIL the RUNNING trials whose agent died (gone on this host, or silent past the
    grace period), queue their slots again, and return their numbers."""
    import optuna

    if sweep.reaped_at is not None and time.monotonic() - sweep.reaped_at < heartbeat_seconds():
        return []  # at most once a heartbeat interval: a dead agent is found within the grace period anyway
    sweep.reaped_at = time.monotonic()
    storage = sweep.study._storage
    failed: list[Any] = []
    with claim_lock(sweep.storage_url):
        now = time.time()
        stale = set(storage._get_stale_trial_ids(sweep.study._study_id)) if hasattr(storage, "_get_stale_trial_ids") else set()
        for trial in sweep.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            if trial._trial_id in stale or _agent_dead(trial, now):
                try:  # the reason first: a finished trial takes no attributes
                    storage.set_trial_user_attr(trial._trial_id, ATTR_FAILURE, "its agent died during the trial")
                    if storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL):
                        failed.append(trial)
                except optuna.exceptions.UpdateFinishedTrialError:
                    pass
        for trial in failed:
            if ATTR_SLOT in trial.user_attrs:
                sweep.study.enqueue_trial(trial.system_attrs.get("fixed_params", {}),
                                          user_attrs={ATTR_SLOT: trial.user_attrs[ATTR_SLOT]}, skip_if_exists=False)
    return [t.number for t in failed]


def claim(sweep: Sweep) -> Any | None:
    """A new ``optuna.Trial`` this agent now runs, or None when the sweep has nothing left."""
    import optuna

    study = sweep.study
    storage = study._storage
    fixed = sweep.config.method == "grid" or sweep.config.run_cap is not None
    with claim_lock(sweep.storage_url):
        waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)) if fixed else []
        for frozen in sorted(waiting, key=lambda t: t.number):
            if storage.set_trial_state_values(frozen._trial_id, optuna.trial.TrialState.RUNNING):
                trial = optuna.trial.Trial(study, frozen._trial_id)
                break
        else:
            if fixed:
                return None
            import warnings

            with warnings.catch_warnings():  # "heartbeat ... supposed to be used with Study.optimize"
                warnings.simplefilter("ignore", UserWarning)
                trial = study.ask()
        storage.set_trial_user_attr(trial._trial_id, ATTR_AGENT, agent_identity())
    return trial
