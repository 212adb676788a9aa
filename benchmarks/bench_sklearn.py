"""scikit-learn autologging overhead: plain fit vs autolog vs ``mlflow.sklearn.autolog()``.

Side by side in one run, on the same data, with the same records asked of both: params, tags,
training metrics, the model with signature and input example, classifier plots. autolog writes
to its local store (SQLite) in a temporary folder; MLflow to a local ``sqlite:///`` store with
artifacts in the same temporary folder. For every case and mode:

* ``caller``: median time until ``fit`` returns (what training code waits);
* ``stored``: median time until the records are in the store (autolog: until ``autolog.flush()``
  returns; MLflow logs before ``fit`` returns, so it equals ``caller``);
* ``peak``: the peak of memory allocated during one more fit (tracemalloc), in MB;
* ``ratio``: autolog's added caller time over MLflow's.

    python benchmarks/bench_sklearn.py [--reps 5] [--quick]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    name: str
    make_model: Callable[[], Any]
    rows: int
    features: int
    reps: int
    results: dict[str, dict[str, float]] = field(default_factory=dict)


def cases(reps: int, quick: bool) -> list[Case]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scale = 10 if quick else 1
    grid = {  # 2 x 2 x 3 = 12 candidates
        "logisticregression__C": [0.1, 1.0],
        "logisticregression__fit_intercept": [True, False],
        "logisticregression__class_weight": [None, "balanced", {0: 1.0, 1: 2.0}],
    }
    return [
        Case("LogisticRegression 1,000x20", lambda: LogisticRegression(max_iter=500), 1_000, 20, reps * 3),
        Case("LogisticRegression 100,000x50", lambda: LogisticRegression(max_iter=500), 100_000 // scale, 50, reps),
        Case("RandomForest(100) 10,000x20", lambda: RandomForestClassifier(100, random_state=0), 10_000 // scale, 20, 3),
        Case("Pipeline(Scaler+LR) 10,000x20", lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), 10_000, 20, reps),
        Case("GridSearchCV 12 cand. cv=3 1,000x20", lambda: GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), grid, cv=3), 1_000, 20, max(3, reps // 2)),
    ]


def data(rows: int, features: int) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    return make_classification(n_samples=rows, n_features=features, n_informative=min(10, features - 2), n_redundant=min(2, features - min(10, features - 2)), random_state=0)


class Modes:
    """Turns plain / autolog / mlflow on, one at a time."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.mlflow_ready = False

    def plain(self) -> None:
        import autolog

        autolog.autolog(disable=True)
        self._mlflow_off()

    def autolog(self) -> None:
        import autolog

        self._mlflow_off()
        autolog.autolog(tracking_dir=os.path.join(self.directory, "autolog"))

    def mlflow(self) -> bool:
        import autolog

        autolog.autolog(disable=True)
        try:
            import mlflow
            import mlflow.sklearn
        except ImportError:
            return False
        if not self.mlflow_ready:
            mlflow.set_tracking_uri(f"sqlite:///{self.directory}/mlflow.db")
            mlflow.create_experiment("bench", artifact_location=f"file://{self.directory}/mlartifacts")
            mlflow.set_experiment("bench")
            self.mlflow_ready = True
        mlflow.sklearn.autolog(log_input_examples=True, log_model_signatures=True, log_models=True, silent=True)
        return True

    def has_mlflow(self) -> bool:
        try:
            import mlflow.sklearn  # noqa: F401
        except ImportError:
            return False
        return True

    def turn_on(self, mode: str) -> None:
        getattr(self, mode)()

    def _mlflow_off(self) -> None:
        if self.mlflow_ready:
            import mlflow.sklearn

            mlflow.sklearn.autolog(disable=True)


def settle(mode: str) -> None:
    """Wait until what was logged is stored (autolog: flush; MLflow: its async queue, if any)."""
    if mode == "autolog":
        import autolog

        autolog.flush()
    elif mode == "mlflow":
        import mlflow

        flush = getattr(mlflow, "flush_async_logging", None)
        if flush is not None:
            flush()


def fit_once(case: Case, mode: str, x: Any, y: Any) -> tuple[float, float]:
    """``(caller, stored)`` seconds of one fit in ``mode`` (already turned on)."""
    model = case.make_model()
    start = time.perf_counter()
    model.fit(x, y)
    returned = time.perf_counter()
    settle(mode)
    return returned - start, time.perf_counter() - start


def peak_mb(case: Case, mode: str, x: Any, y: Any) -> float:
    tracemalloc.start()
    model = case.make_model()
    model.fit(x, y)
    settle(mode)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def measure(case: Case, modes: Modes, x: Any, y: Any) -> None:
    """Interleaved repetitions (plain, autolog, mlflow; rotated each time) so that drift in the
    machine's speed hits every mode alike; 'added' is the median of per-repetition differences."""
    names = ["plain", "autolog"] + (["mlflow"] if modes.has_mlflow() else [])
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for rep in range(case.reps):
        order = names[rep % len(names):] + names[: rep % len(names)]
        for name in order:
            modes.turn_on(name)
            times[name].append(fit_once(case, name, x, y))
    for name in names:
        modes.turn_on(name)
        callers = [c for c, _ in times[name]]
        added = [c - p for (c, _), (p, _) in zip(times[name], times["plain"])]
        case.results[name] = {
            "caller": statistics.median(callers),
            "stored": statistics.median(s for _, s in times[name]),
            "added": statistics.median(added),
            "peak": peak_mb(case, name, x, y),
        }
    modes.turn_on("plain")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the small cases (median)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows for the big cases")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

    with tempfile.TemporaryDirectory(prefix="bench-sklearn-") as directory:
        modes = Modes(directory)
        all_cases = cases(args.reps, args.quick)
        x0, y0 = data(200, 5)
        for turn_on in (modes.autolog, modes.mlflow):  # warm-up: imports, database creation
            if turn_on() is not False:
                all_cases[0].make_model().fit(x0, y0)
                settle("autolog")
        for case in all_cases:
            x, y = data(case.rows, case.features)
            measure(case, modes, x, y)
            print(f"  done: {case.name}", flush=True)
        report(all_cases)


def report(all_cases: list[Case]) -> None:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.1f}"

    header = (
        f"{'case':<38}{'plain':>9}{'autolog':>10}{'added':>9}{'stored':>9}"
        f"{'mlflow':>10}{'added':>10}{'ratio':>8}   peak MB plain/autolog/mlflow"
    )
    print("\ntimes in ms (median); 'added' = median over repetitions of (caller time - plain time);")
    print("ratio = autolog added / mlflow added; 'stored' = until autolog.flush() returned")
    print(header)
    print("-" * len(header))
    for case in all_cases:
        plain, auto, flow = case.results["plain"], case.results["autolog"], case.results.get("mlflow")
        added = auto["added"]
        row = f"{case.name:<38}{ms(plain['caller']):>9}{ms(auto['caller']):>10}{ms(added):>9}{ms(auto['stored']):>9}"
        if flow:
            flow_added = flow["added"]
            ratio = f"{added / flow_added:.1%}" if flow_added > 0 else "n/a"
            row += f"{ms(flow['caller']):>10}{ms(flow_added):>10}{ratio:>8}"
            peaks = f"{plain['peak']:.1f}/{auto['peak']:.1f}/{flow['peak']:.1f}"
        else:
            row += f"{'-':>10}{'-':>10}{'-':>8}"
            peaks = f"{plain['peak']:.1f}/{auto['peak']:.1f}/-"
        print(f"{row}   {peaks}")


if __name__ == "__main__":
    main()
