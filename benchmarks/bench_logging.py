"""Metric points per second into a local store: autolog vs MLflow, side by side in one run.

autolog: ``run.log_metric`` into the embedded local store (SQLite), timed end to end (logged and
flushed), and the caller's cost per point (time until ``log_metric`` returns). MLflow: its
``log_metric`` and ``log_batch`` (1,000 points a call) into a local ``sqlite:///`` store.
Also prints the time ``import autolog`` takes, in a fresh interpreter.

    python benchmarks/bench_logging.py [--points 200000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def import_time_ms() -> float:
    code = "import time; t = time.perf_counter(); import autolog; print((time.perf_counter() - t) * 1000)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return sorted(runs)[len(runs) // 2]


def bench_autolog(points: int, directory: str) -> tuple[float, float]:
    import autolog

    autolog.autolog(tracking_dir=directory)
    with autolog.run(name="bench") as run:
        run.log_metric("warmup", 0.0)
    autolog.flush()
    start = time.perf_counter()
    with autolog.run(name="bench") as run:
        log = run.log_metric
        for step in range(points):
            log("loss", 1.0 / (step + 1), step)
    logged = time.perf_counter()
    autolog.flush()
    done = time.perf_counter()
    stored = autolog.Client(directory).get_metric_history(run.run_id, "loss")
    assert len(stored) == points, (len(stored), points)
    return points / (done - start), (logged - start) / points * 1e6


def burst_cost_us(points: int, directory: str) -> float:
    """The caller's cost per point for a burst the local store keeps up with (below its
    back-pressure mark): the price of ``log_metric`` itself."""
    import autolog

    autolog.autolog(tracking_dir=directory)
    costs = []
    for _ in range(5):
        with autolog.run(name="burst") as run:
            log = run.log_metric
            start = time.perf_counter()
            for step in range(points):
                log("loss", 1.0 / (step + 1), step)
            costs.append((time.perf_counter() - start) / points * 1e6)
        autolog.flush()
    return sorted(costs)[len(costs) // 2]


def bench_mlflow(points_single: int, points_batch: int, directory: str) -> tuple[float, float] | None:
    try:
        import mlflow
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient
    except ImportError:
        return None
    uri = f"sqlite:///{directory}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment = client.create_experiment("bench", artifact_location=f"{directory}/artifacts")
    run = client.create_run(experiment)
    start = time.perf_counter()
    for step in range(points_single):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    single = points_single / (time.perf_counter() - start)
    now = int(time.time() * 1000)
    start = time.perf_counter()
    for offset in range(0, points_batch, 1000):
        batch = [Metric("loss2", 1.0, now, s) for s in range(offset, min(offset + 1000, points_batch))]
        client.log_batch(run.info.run_id, metrics=batch)
    batched = points_batch / (time.perf_counter() - start)
    return single, batched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--mlflow-single", type=int, default=300)
    parser.add_argument("--mlflow-batch", type=int, default=20_000)
    args = parser.parse_args()
    print(f"import autolog: {import_time_ms():.1f} ms (median of 5 fresh interpreters)")
    with tempfile.TemporaryDirectory() as tmp:
        rate, caller_us = bench_autolog(args.points, os.path.join(tmp, "autolog"))
        burst_us = burst_cost_us(10_000, os.path.join(tmp, "autolog-burst"))
        os.makedirs(os.path.join(tmp, "mlflow"))
        peer = bench_mlflow(args.mlflow_single, args.mlflow_batch, os.path.join(tmp, "mlflow"))
    print(f"{'what':<40}{'points/s':>14}{'autolog is':>14}")
    print(f"{'autolog run.log_metric (end to end)':<40}{rate:>14,.0f}{'':>14}")
    if peer:
        single, batched = peer
        print(f"{'mlflow log_metric':<40}{single:>14,.0f}{rate / single:>13,.0f}x")
        print(f"{'mlflow log_batch (1,000 a call)':<40}{batched:>14,.0f}{rate / batched:>13,.1f}x")
    print(f"autolog caller cost, {args.points:,} points as fast as possible: {caller_us:.2f} us per point "
          "(the logger waits for the local store, so a SIGKILL loses at most flush_interval)")
    print(f"autolog caller cost, bursts of 10,000 points: {burst_us:.2f} us per point (log_metric itself)")


if __name__ == "__main__":
    main()
