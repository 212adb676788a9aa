"""Sweep overhead per trial: autolog's sweep machinery vs plain Optuna vs Optuna + MLflowCallback.

The same objective in every case, a LogisticRegression fit on 500x10 rows scored on held-out
rows, and the same random search over C (log-uniform) and fit_intercept, in one process:

* ``optuna (memory)``: ``study.optimize(objective)`` with Optuna's in-memory storage;
* ``optuna (sqlite)``: the same with a ``sqlite:///`` storage (what several agents need);
* ``optuna (sqlite, WAL)``: the same storage with the SQLite settings autolog's sweeps use (WAL,
  ``synchronous=NORMAL``), which isolates the machinery from the commit cost;
* ``optuna + MLflowCallback``: sqlite storage plus ``optuna_integration.MLflowCallback`` logging
  each trial to an MLflow ``sqlite:///`` store (skipped when optuna-integration is missing);
* ``autolog.sweep``: each trial an autolog run (params, tags, the metric, child of the sweep's
  run) in autolog's local store, the study in ``sweeps.db`` beside it (heartbeats, atomic claims);
* ``autolog.sweep + autolog()``: the same with sklearn autologging on (the fit is recorded too).

Printed: wall time per trial (median of ``--reps`` sweeps), the time added per trial over
``optuna (memory)``, and each case's time as a ratio of ``optuna (sqlite)`` and of ``optuna (sqlite, WAL)``.

    python benchmarks/bench_sweeps.py [--trials 30] [--reps 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any


def _data() -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=700, n_features=10, random_state=0)
    return X[:500], y[:500], X[500:], y[500:]


def _score(C: float, fit_intercept: bool, data: tuple[Any, Any, Any, Any]) -> float:
    from sklearn.linear_model import LogisticRegression

    X, y, Xv, yv = data
    return float(LogisticRegression(C=C, fit_intercept=fit_intercept, max_iter=200).fit(X, y).score(Xv, yv))


def _optuna_objective(data: Any) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        C = trial.suggest_float("C", 1e-3, 10.0, log=True)
        fit_intercept = trial.suggest_categorical("fit_intercept", [True, False])
        return _score(C, fit_intercept, data)

    return objective


def plain(trials: int, folder: str, storage: Any, mlflow: bool, wal: bool = False) -> float:
    import optuna

    if wal:  # the same SQLite settings autolog's sweeps use
        from autolog.sweeps._study import _fast_sqlite

        storage = optuna.storages.RDBStorage(storage)
        _fast_sqlite(storage.engine)

    callbacks = []
    if mlflow:
        from optuna_integration.mlflow import MLflowCallback

        callbacks.append(MLflowCallback(tracking_uri=f"sqlite:///{folder}/mlflow.db", metric_name="accuracy"))
    study = optuna.create_study(direction="maximize", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    objective = _optuna_objective(_data())
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, callbacks=callbacks)
    return (time.perf_counter() - start) / trials


def with_autolog(trials: int, folder: str, autologging: bool) -> float:
    import autolog
    from autolog import _session

    os.environ["AUTOLOG_DIR"] = os.path.join(folder, "autolog-runs")
    _session.current().reset()
    if autologging:
        autolog.autolog()
    data = _data()
    config = {"method": "random", "metric": {"name": "accuracy", "goal": "maximize"},
              "parameters": {"C": {"distribution": "log_uniform_values", "min": 1e-3, "max": 10.0},
                             "fit_intercept": {"values": [True, False]}}}

    def train(params: dict[str, Any]) -> None:
        autolog.active_run().log_metric("accuracy", _score(params["C"], params["fit_intercept"], data))

    start = time.perf_counter()
    autolog.sweep(config, train, count=trials, verbose=False)
    autolog.flush()
    elapsed = (time.perf_counter() - start) / trials
    autolog.autolog(disable=True)
    _session.current().reset()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--reps", type=int, default=3)
    options = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        import optuna_integration.mlflow  # noqa: F401

        have_mlflow_callback = True
    except ImportError:
        have_mlflow_callback = False
        print("optuna-integration is not installed: the MLflowCallback case is skipped")

    cases: dict[str, Callable[[str], float]] = {
        "optuna (memory)": lambda folder: plain(options.trials, folder, None, False),
        "optuna (sqlite)": lambda folder: plain(options.trials, folder, f"sqlite:///{folder}/optuna.db", False),
        "optuna (sqlite, WAL)": lambda folder: plain(options.trials, folder, f"sqlite:///{folder}/optuna.db", False, True),
        "autolog.sweep": lambda folder: with_autolog(options.trials, folder, False),
        "autolog.sweep + autolog()": lambda folder: with_autolog(options.trials, folder, True),
    }
    if have_mlflow_callback:
        cases["optuna + MLflowCallback"] = lambda folder: plain(options.trials, folder, f"sqlite:///{folder}/optuna.db", True)
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(options.reps):
        for name, case in cases.items():  # interleaved, so drifts of the machine hit every case
            with tempfile.TemporaryDirectory() as folder:
                results[name].append(case(folder))
    medians = {name: statistics.median(times) for name, times in results.items()}
    base, sqlite, wal = medians["optuna (memory)"], medians["optuna (sqlite)"], medians["optuna (sqlite, WAL)"]
    print(f"{options.trials} trials x {options.reps} sweeps, LogisticRegression 500x10 per trial")
    print(f"{'case':<28} {'ms/trial':>9} {'added ms/trial':>15} {'vs optuna (sqlite)':>19} {'vs (sqlite, WAL)':>17}")
    for name, value in medians.items():
        print(f"{name:<28} {value * 1e3:>9.1f} {(value - base) * 1e3:>15.1f} {value / sqlite:>18.2f}x {value / wal:>16.2f}x")
    ours = medians["autolog.sweep"] - wal
    print(f"autolog.sweep adds {ours * 1e3:.1f} ms per trial over optuna (sqlite, WAL), the same storage settings")
    if have_mlflow_callback:
        theirs = medians["optuna + MLflowCallback"] - sqlite
        print(f"MLflowCallback adds {theirs * 1e3:.1f} ms per trial over optuna (sqlite); "
              f"autolog.sweep / optuna + MLflowCallback: {medians['autolog.sweep'] / medians['optuna + MLflowCallback']:.2f}x")

if __name__ == "__main__":
    main()
