"""Sweeps: W&B-format sweep configs run locally on Optuna, each trial an autolog run.

    import autolog

    def train(config):                      # config: {"lr": 0.01, "optimizer": {"momentum": 0.9}}
        run = autolog.active_run()          # the trial's run
        for epoch in range(10):
            run.log_metric("val_loss", evaluate(...), step=epoch)

    best = autolog.sweep("sweep.yaml", train, count=10)
    best.params, best.value, best.run_id

Or from a shell, with any number of agents sharing one sweep (processes or machines)::

    autolog sweep create sweep.yaml         # prints the sweep id
    autolog sweep agent SWEEP_ID --count 5  # runs the config's program, or --function module:func
    autolog sweep show SWEEP_ID             # the trial table and the best config

The sweep lives in Optuna's database storage: ``sqlite:///<tracking_dir>/sweeps.db`` by default, or
any database URL Optuna accepts (``storage=``, ``--storage``) for agents on several machines.
Optuna is an optional dependency (``pip install 'autolog-suite[sweeps]'``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from autolog.sweeps.config import SweepConfig, SweepConfigError, load, parse

__all__ = ["BestTrial", "SweepConfig", "SweepConfigError", "agent", "create_sweep", "load", "parse", "show", "sweep"]


@dataclass(frozen=True)
class BestTrial:
    """The best completed trial of a sweep: its number, config (nested, as the trial got it),
    objective value and autolog run id."""

    number: int
    params: dict[str, Any]
    value: float
    run_id: str | None


def _tracking_dir(tracking_dir: str | None) -> str:
    from autolog import _session

    return os.path.abspath(tracking_dir or _session.current().config().tracking_dir)


def _storage(storage: str | None, tracking_dir: str) -> str:
    from autolog.sweeps import _study

    return storage or _study.default_storage(tracking_dir)


def create_sweep(
    config: str | os.PathLike[str] | Mapping[str, Any] | SweepConfig,
    *,
    name: str | None = None,
    storage: str | None = None,
    experiment: str | None = None,
    keep_parent_open: bool = False,
) -> Any:
    """Create a sweep: its Optuna study and its parent run. Returns the open sweep (``sweep_id``).

    Runs go where autolog is configured to log (``AUTOLOG_DIR``, ``autolog.autolog(tracking_dir=)``);
    the study to ``storage``, by default ``sqlite:///<tracking_dir>/sweeps.db``.

    The parent run (tags ``autolog.sweep_id``, ``autolog.sweep_method``) ends at once unless
    ``keep_parent_open`` (then it is ``sweep.parent_run``, active, for the caller to end)."""
    from autolog import _runs
    from autolog.sdk.policy import new_run_id
    from autolog.sweeps import _study

    checked = config if isinstance(config, SweepConfig) else load(config)
    directory = _tracking_dir(None)
    experiment = experiment or checked.raw.get("project")
    parent_id = new_run_id()
    opened = _study.create(checked, _storage(storage, directory), name=name, parent_run_id=parent_id,
                           experiment=experiment)
    parent = _runs.Run(
        name=str(checked.raw.get("name") or opened.sweep_id),
        experiment=experiment,
        tags={"autolog.sweep_id": opened.sweep_id, "autolog.sweep_method": checked.method,
              "autolog.sweep_config": json.dumps(checked.raw, default=str)},
        _run_id=parent_id,
    )
    parent.log_params({"sweep.method": checked.method, "sweep.metric": checked.metric, "sweep.goal": checked.goal})
    if opened.experiment is None:
        opened.experiment = parent.experiment
        opened.study.set_user_attr(_study.ATTR_EXPERIMENT, parent.experiment)
    if keep_parent_open:
        opened.parent_run = parent.activate()
    else:
        parent.end("FINISHED")
    return opened


def agent(
    sweep_id: str,
    function: Callable[..., Any] | None = None,
    *,
    count: int | None = None,
    storage: str | None = None,
    verbose: bool = True,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> list[Any]:
    """Run trials of the sweep ``sweep_id`` until it has none left, or ``count`` were run here.

    Each trial calls ``function(config)`` in this process, or (without a function) runs the
    sweep's ``program``/``command`` (its runs attach to the trial's run in autolog's configured
    store). Returns this agent's trial outcomes."""
    from autolog.sweeps import _study

    directory = _tracking_dir(None)
    opened = _study.load(sweep_id, _storage(storage, directory))
    return _run_agent(opened, function, count, directory, verbose, out, err)


def _run_agent(opened: Any, function: Callable[..., Any] | None, count: int | None, directory: str, verbose: bool,
               out: IO[str] | None, err: IO[str] | None) -> list[Any]:
    import optuna

    from autolog.sweeps import _command, _report, _study, _trial

    config = opened.config
    if function is None and config.program is None and config.command is None:
        raise ValueError(f"sweep {opened.sweep_id!r} has no program or command: pass a function to run as each trial")
    if count is not None and count < 1:
        raise ValueError(f"count: {count!r} is not a positive number of trials")
    out = out if out is not None else sys.stdout
    fixed = config.method == "grid" or config.run_cap is not None
    left = len(opened.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))) if fixed else None
    total = min(x for x in (count, left) if x is not None) if (count or left is not None) else None
    progress = _report.Progress(total, err) if verbose else None
    outcomes: list[Any] = []
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        while count is None or len(outcomes) < count:
            _study.reap_dead_trials(opened)
            if _target_reached(opened):
                break
            trial = _study.claim(opened)
            if trial is None:
                break
            if progress:
                progress.draw(running=trial.number)
            if function is not None:
                outcome = _trial.run_function(opened, trial, function)
            else:
                outcome = _command.run_command(opened, trial, directory)
            outcomes.append(outcome)
            if progress:
                progress.clear()
                progress.done += 1
            if verbose:
                print(_report.trial_line(outcome, config.metric), file=out, flush=True)
            if progress:
                progress.draw()
    finally:
        if progress:
            progress.finish()
    if verbose:
        best = best_trial(opened)
        print(_report.best_text(best and _flat_best(opened, best), config.metric), file=out, flush=True)
    return outcomes


def _target_reached(opened: Any) -> bool:
    target = opened.config.target
    if target is None:
        return False
    best = opened.best_trial()
    if best is None:
        return False
    return best.value <= target if opened.config.goal == "minimize" else best.value >= target


def best_trial(opened: Any) -> BestTrial | None:
    """The sweep's best completed trial, as a :class:`BestTrial`."""
    from autolog.sweeps import _study

    best = opened.best_trial()
    if best is None:
        return None
    return BestTrial(best.number, opened.config.trial_config(best.params), float(best.value),
                     best.user_attrs.get(_study.ATTR_RUN_ID))


def sweep(
    config: str | os.PathLike[str] | Mapping[str, Any],
    function: Callable[..., Any],
    *,
    count: int | None = None,
    name: str | None = None,
    storage: str | None = None,
    experiment: str | None = None,
    verbose: bool = True,
) -> BestTrial | None:
    """Create a sweep and run ``count`` trials of ``function(config)`` here; the best trial.

    The sweep's parent run stays open meanwhile (trials are its children) and ends with the best
    value as the metric ``best_<metric>``. Without ``count`` the sweep runs until its grid or
    ``run_cap`` is exhausted (a random or bayes sweep needs one of them)."""
    from autolog import _runs

    checked = load(config)
    if count is None and checked.method != "grid" and checked.run_cap is None:
        raise ValueError("count: a random or bayes sweep without run_cap needs count=")
    opened = create_sweep(checked, name=name, storage=storage, experiment=experiment, keep_parent_open=True)
    parent = opened.parent_run
    try:
        _run_agent(opened, function, count, _tracking_dir(None), verbose, None, None)
    except BaseException as exc:
        parent.end(_runs.status_for(exc))
        raise
    best = best_trial(opened)
    if best is not None:
        parent.log_metric(f"best_{checked.metric}", best.value)
        parent.set_tags({"autolog.best_run_id": best.run_id, "autolog.best_trial": best.number})
    parent.end("FINISHED")
    return best


def show(sweep_id: str, *, storage: str | None = None, tracking_dir: str | None = None, out: IO[str] | None = None) -> BestTrial | None:
    """Print the sweep's trial table and its best config; return the best trial."""
    from autolog.sweeps import _report, _study

    opened = _study.load(sweep_id, _storage(storage, _tracking_dir(tracking_dir)))
    out = out if out is not None else sys.stdout
    rows = []
    for trial in opened.trials():
        raw = trial.params or trial.system_attrs.get("fixed_params") or {}
        params = {p.name: p.value(raw[p.name]) for p in opened.config.parameters if p.constant or p.name in raw}
        rows.append({"number": trial.number, "state": trial.state.name, "value": trial.value, "params": params,
                     "run_id": trial.user_attrs.get(_study.ATTR_RUN_ID)})
    config = opened.config
    print(f"sweep {sweep_id}: {config.method}, {config.goal} {config.metric}, {len(rows)} trials", file=out)
    print(_report.table(rows, config.metric), file=out)
    best = best_trial(opened)
    print(_report.best_text(best and _flat_best(opened, best), config.metric), file=out)
    return best


def _flat_best(opened: Any, best: BestTrial) -> Any:
    """The best trial with its params flat (dotted names), for printing."""
    for trial in opened.trials():
        if trial.number == best.number:
            return BestTrial(best.number, opened.config.flat_config(trial.params), best.value, best.run_id)
    return best
