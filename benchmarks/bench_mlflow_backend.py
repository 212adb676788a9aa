"""The MLflow backend against a real ``mlflow server``: metric throughput and what logging costs.

Measures, on one server (started here on a free port over a temporary SQLite store, or the one
given with ``--uri``):

* MLflow's own ``MlflowClient.log_batch`` with 1,000 points a call: the ceiling;
* ``MlflowBackend.log_metrics`` driven directly with batches as the dispatcher hands them;
* end to end: ``autolog.autolog(backends=["mlflow"])`` + ``run.log_metric`` + ``autolog.flush``,
  with the caller's cost per point (time until ``log_metric`` returns);
* one scikit-learn model logged as a native MLflow model (save + upload).

    python benchmarks/bench_mlflow_backend.py [--points 100000] [--uri http://127.0.0.1:5000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import sys
import tempfile
import time
import uuid
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def start_server(directory: str) -> Any:
    """The test suite's ``MlflowServer`` (tests/backends/harness_mlflow.py), started."""
    path = os.path.join(HERE, os.pardir, "tests", "backends", "harness_mlflow.py")
    spec = importlib.util.spec_from_file_location("harness_mlflow", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.MlflowServer(directory).start()


def bench_mlflow_client(uri: str, points: int) -> float:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(uri)
    experiment = client.create_experiment(f"bench-client-{uuid.uuid4().hex[:6]}")
    run_id = client.create_run(experiment).info.run_id
    now = int(time.time() * 1000)
    start = time.perf_counter()
    for offset in range(0, points, 1000):
        batch = [Metric("loss", 1.0 / (s + 1), now, s) for s in range(offset, min(points, offset + 1000))]
        client.log_batch(run_id, metrics=batch)
    return points / (time.perf_counter() - start)


def bench_backend(uri: str, points: int, batch_size: int = 5000) -> float:
    from autolog.backends.mlflow import MlflowBackend
    from autolog.records import Metric, RunEnd, RunStart, RunStatus

    backend = MlflowBackend(tracking_uri=uri)
    run = RunStart(uuid.uuid4().hex, "bench-backend", "bench", time.time())
    backend.start_run(run)
    now = time.time()
    records = [Metric(run.run_id, "loss", 1.0 / (s + 1), s, now) for s in range(points)]
    start = time.perf_counter()
    for offset in range(0, points, batch_size):
        backend.log_metrics(run.run_id, records[offset : offset + batch_size])
    elapsed = time.perf_counter() - start
    backend.end_run(RunEnd(run.run_id, RunStatus.FINISHED, time.time()))
    backend.close()
    return points / elapsed


def bench_end_to_end(uri: str, points: int, directory: str) -> tuple[float, float] | None:
    import autolog

    if not all(hasattr(autolog, name) for name in ("autolog", "run", "flush")):
        return None
    autolog.autolog(
        backends=["mlflow"],
        backend_options={"mlflow": {"tracking_uri": uri}},
        experiment="bench-end-to-end",
        tracking_dir=directory,
    )
    try:
        with autolog.run(name="warmup") as run:
            run.log_metric("warmup", 0.0)
        autolog.flush(120)
        start = time.perf_counter()
        with autolog.run(name="bench") as run:
            log = run.log_metric
            for step in range(points):
                log("loss", 1.0 / (step + 1), step)
        logged = time.perf_counter()
        autolog.flush(600)
        done = time.perf_counter()
    finally:
        autolog.autolog(disable=True)
    return points / (done - start), (logged - start) / points * 1e6


def bench_sklearn_model(uri: str, directory: str) -> float | None:
    try:
        import numpy as np
        from sklearn.ensemble import RandomForestClassifier
    except ImportError:
        return None
    from autolog.backends.mlflow import MlflowBackend
    from autolog.models import write_model_meta
    from autolog.records import ModelRecord, RunStart

    X = np.random.default_rng(0).random((2000, 20))
    estimator = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, X[:, 0] > 0.5)
    staged = tempfile.mkdtemp(dir=directory)
    with open(os.path.join(staged, "model.pkl"), "wb") as fh:
        pickle.dump(estimator, fh, protocol=5)
    write_model_meta(staged, flavor="sklearn", loader="autolog.integrations.sklearn.model:load",
                     files={"model": "model.pkl"})  # fmt: skip
    backend = MlflowBackend(tracking_uri=uri)
    run = RunStart(uuid.uuid4().hex, "bench-model", "model", time.time())
    backend.start_run(run)
    start = time.perf_counter()
    backend.log_model(ModelRecord(run.run_id, staged, "model", "sklearn"))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--uri", help="an mlflow server already running (default: start one)")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    with tempfile.TemporaryDirectory(prefix="autolog-bench-mlflow-") as directory:
        server = None if args.uri else start_server(os.path.join(directory, "server"))
        uri = args.uri or server.url
        try:
            print(f"mlflow server: {uri}, {args.points:,} points")
            print(f"  MlflowClient.log_batch (1,000/call) {bench_mlflow_client(uri, args.points):>12,.0f} points/s")
            print(f"  MlflowBackend.log_metrics (direct)  {bench_backend(uri, args.points):>12,.0f} points/s")
            end_to_end = bench_end_to_end(uri, args.points, os.path.join(directory, "autolog-runs"))
            if end_to_end is None:
                print("  end to end: autolog.autolog/run/flush not available")
            else:
                rate, caller_us = end_to_end
                print(f"  autolog end to end (logged+flushed) {rate:>12,.0f} points/s")
                print(f"  caller cost per log_metric          {caller_us:>12.2f} us")
            model_seconds = bench_sklearn_model(uri, directory)
            if model_seconds is not None:
                print(f"  sklearn model (50 trees) logged in  {model_seconds:>12.2f} s")
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
