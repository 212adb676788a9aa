"""``Trainer.hyperparameter_search``: one parent run for the search, one child run per trial.

transformers runs a search by calling ``train(trial=...)`` once per trial on the same Trainer
(re-initialising the model through ``model_init``). The patched ``hyperparameter_search`` opens
the parent run (params ``hp_search.backend``, ``hp_search.n_trials``, ``hp_search.direction``)
and keeps it on the Trainer; the callback makes each training's run its child, tagged with the
trial's number (``autolog.trial_number``) and, for Optuna, the study (``autolog.sweep_id``). At
the end the parent gets the best trial's objective (``best_objective``) and number.
"""

from __future__ import annotations

from typing import Any

from autolog.sdk import AutologgedRun, start_autologged_run, status_for

#: Attribute of the Trainer holding the search's parent run while the search runs.
SEARCH_ATTR = "_autolog_hp_search_run"


def parent_of(trainer: Any) -> tuple[AutologgedRun | None, dict[str, Any]]:
    """The search's parent run when ``trainer`` is in a hyperparameter search, and the trial's tags."""
    parent = getattr(trainer, SEARCH_ATTR, None) if trainer is not None else None
    if parent is None:
        return None, {}
    tags: dict[str, Any] = {}
    trial = getattr(trainer, "_trial", None)
    number = getattr(trial, "number", None)
    if number is not None:
        tags["autolog.trial_number"] = number
    study = getattr(getattr(trial, "study", None), "study_name", None)
    if study:
        tags["autolog.sweep_id"] = study
    return parent, tags


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str, default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


class SearchHooks:
    """Around ``Trainer.hyperparameter_search(hp_space, compute_objective, n_trials, direction, backend, ...)``."""

    def before(self, trainer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        backend = _argument(args, kwargs, 4, "backend", None)
        params = {
            "hp_search.backend": getattr(backend, "value", backend) or "default",
            "hp_search.n_trials": _argument(args, kwargs, 2, "n_trials", 20),
            "hp_search.direction": _argument(args, kwargs, 3, "direction", "minimize"),
        }
        run = start_autologged_run("hyperparameter_search", params=params, activate=False)
        if run is None:
            return None
        setattr(trainer, SEARCH_ATTR, run)
        return trainer, run

    def after(self, state: tuple[Any, AutologgedRun], result: Any) -> None:
        trainer, run = state
        setattr(trainer, SEARCH_ATTR, None)
        best = result[0] if isinstance(result, list) and result else result
        objective = getattr(best, "objective", None)
        if isinstance(objective, (int, float)):
            run.log_metrics({"best_objective": objective})
        if getattr(best, "run_id", None) is not None:
            run.set_tags({"autolog.best_trial": best.run_id})
        run.end()

    def error(self, state: tuple[Any, AutologgedRun], exc: BaseException) -> None:
        trainer, run = state
        setattr(trainer, SEARCH_ATTR, None)
        run.end(status_for(exc))
