"""One trial as an ordinary autolog run: a child of the sweep's parent run.

The run gets the trial's params and the tags ``autolog.sweep_id`` and ``autolog.trial_number``;
the trial function (in this process) or the sweep's ``command`` (a child process that attaches
to the run through ``AUTOLOG_RUN_ID``) logs into it. The outcome, in the run and in Optuna:

* the metric logged: FINISHED, Optuna COMPLETE with the last (or best) value;
* pruned: KILLED with the tag ``pruned``, Optuna PRUNED;
* the function raised or the program exited non-zero: FAILED with the reason, Optuna FAIL;
* the metric never logged: FAILED, ``autolog.sweep_failure`` says so, Optuna FAIL;
* Ctrl-C: KILLED, Optuna FAIL, and the agent stops.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autolog import _runs, _session
from autolog.sweeps import _study
from autolog.sweeps._objective import Objective, Tap, TrialPruned

TAG_SWEEP_ID = "autolog.sweep_id"
TAG_TRIAL = "autolog.trial_number"
TAG_PRUNED = "pruned"
TAG_FAILURE = "autolog.sweep_failure"


@dataclass(frozen=True)
class TrialOutcome:
    """What became of one trial."""

    number: int
    state: str  # COMPLETE, PRUNED, FAIL
    value: float | None
    params: dict[str, Any]
    run_id: str
    reason: str | None = None


def suggest(trial: Any, sweep: _study.Sweep) -> dict[str, Any]:
    """Ask Optuna for every searched parameter; the raw values by dotted name."""
    import optuna.distributions as od

    raw: dict[str, Any] = {}
    for param in sweep.config.parameters:
        dist = param.distribution
        if dist is None:
            continue
        if isinstance(dist, od.CategoricalDistribution):
            raw[param.name] = trial.suggest_categorical(param.name, dist.choices)
        elif isinstance(dist, od.IntDistribution):
            raw[param.name] = trial.suggest_int(param.name, dist.low, dist.high, log=dist.log)
        else:
            raw[param.name] = trial.suggest_float(param.name, dist.low, dist.high, log=dist.log)
    return raw


class _Heartbeat:
    """Records the trial's heartbeat in the storage while it runs (other agents then know it lives)."""

    def __init__(self, sweep: _study.Sweep, trial: Any) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(sweep.study._storage, trial._trial_id),
                                        name="autolog-sweep-heartbeat", daemon=True)

    def _beat(self, storage: Any, trial_id: int) -> None:
        interval = _study.heartbeat_seconds()
        while True:
            try:
                storage.record_heartbeat(trial_id)
            except Exception:  # noqa: BLE001 - a missed beat is retried; the grace period covers it
                pass
            if self._stop.wait(interval):
                return

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5.0)


def start_run(sweep: _study.Sweep, trial: Any, flat: dict[str, Any]) -> _runs.Run:
    """The trial's run under the sweep's parent, with its params and sweep tags."""
    run = _runs.Run(
        name=f"{sweep.sweep_id}-trial-{trial.number}",
        experiment=sweep.experiment,
        tags={TAG_SWEEP_ID: sweep.sweep_id, TAG_TRIAL: trial.number},
        parent_run_id=sweep.parent_run_id,
    )
    run.log_params(flat)
    trial.set_user_attr(_study.ATTR_RUN_ID, run.run_id)
    return run


def finish(sweep: _study.Sweep, trial: Any, run: _runs.Run, objective: Objective, flat: dict[str, Any],
           error: BaseException | str | None) -> TrialOutcome:
    """End the run and tell Optuna, by what happened (see the module docstring)."""
    import optuna

    study = sweep.study
    metric = sweep.config.metric
    if isinstance(error, TrialPruned) or (error is None and objective.pruned_at is not None):
        run.set_tags({TAG_PRUNED: "true", "autolog.pruned_at_step": objective.pruned_at})
        run.end("KILLED")
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        return TrialOutcome(trial.number, "PRUNED", objective.value(sweep.config.summary), flat, run.run_id,
                            f"pruned at step {objective.pruned_at}")
    if error is not None:
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        return _fail(sweep, trial, run, flat, str(reason), "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED")
    value = objective.value(sweep.config.summary)
    if value is None:
        reason = (f"metric {metric!r} was never logged by trial {trial.number} "
                  f"(run {run.run_id} or its child runs); log it, e.g. run.log_metric({metric!r}, value)")
        return _fail(sweep, trial, run, flat, reason, "FAILED")
    run.end("FINISHED")
    study.tell(trial, value)
    return TrialOutcome(trial.number, "COMPLETE", value, flat, run.run_id)


def _fail(sweep: _study.Sweep, trial: Any, run: _runs.Run, flat: dict[str, Any], reason: str, status: str) -> TrialOutcome:
    import optuna

    run.set_tags({TAG_FAILURE: reason[:5000]})
    run.end(status)
    sweep.study._storage.set_trial_user_attr(trial._trial_id, _study.ATTR_FAILURE, reason[:5000])
    sweep.study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return TrialOutcome(trial.number, "FAIL", None, flat, run.run_id, reason)


def _call(function: Callable[..., Any], config: dict[str, Any]) -> Any:
    try:
        takes_config = bool(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        takes_config = True
    return function(config) if takes_config else function()


def run_function(sweep: _study.Sweep, trial: Any, function: Callable[..., Any]) -> TrialOutcome:
    """Run ``function(config)`` as the trial, in this thread, its run active.

    A real Ctrl-C ends the trial (KILLED, Optuna FAIL) and is raised again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna: "heartbeat ... supposed to be used with optimize"
        raw = suggest(trial, sweep)
    config = sweep.config.trial_config(raw)
    flat = sweep.config.flat_config(raw)
    session = _session.current()
    real = session.dispatcher()
    run = None
    objective = Objective(sweep.config.metric, sweep.config.goal, trial, prune=sweep.config.early_terminate is not None)
    error: BaseException | None = None
    with _Heartbeat(sweep, trial):
        tap = None
        try:
            run = start_run(sweep, trial, flat)
            tap = Tap(real, run.run_id, objective)
            run._dispatcher = tap  # type: ignore[assignment]
            session._dispatcher = tap  # type: ignore[assignment]
            run.activate()
            _call(function, config)
        except TrialPruned as exc:
            error = exc
        except KeyboardInterrupt as exc:
            if run is not None:
                finish(sweep, trial, run, objective, flat, exc)
            raise
        except Exception as exc:  # noqa: BLE001 - the trial failed; the sweep goes on
            error = exc
        finally:
            if tap is not None and session._dispatcher is tap:
                session._dispatcher = real
        if run is None:  # the run could not even start: not the trial's fault, the agent's
            raise error if error is not None else RuntimeError("the trial's run did not start")
        return finish(sweep, trial, run, objective, flat, error)
