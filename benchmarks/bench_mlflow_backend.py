"""The MLflow backend against a real ``mlflow server``: metric throughput and what logging costs.

Measures, on one server (started here on a free port over a temporary SQLite store, or the one
given with ``--uri``):

* MLflow's own ``MlflowClient.log_batch`` with 1,000 points a call: the ceiling;
* ``MlflowBackend.log_metrics`` driven directly with batches as the dispatcher hands them;
* end to end: ``autolog.autolog(backends=["mlflow"])`` + ``run.log_metric`` + ``autolog.flush``,
  with the caller's cost per point (time until ``log_metric`` returns);
* one scikit-learn model logged as a native MLflow model (save + upload);
* side by side on the same server: a LogisticRegression fit (1,000 x 20) with no logging, through
  ``autolog.autolog(backends=["mlflow"])`` and through ``mlflow.sklearn.autolog()``; and a tiny
  GPT-2 ``Trainer`` run (``logging_steps=1``) with ``report_to="none"``, through autolog and with
  ``report_to="mlflow"``: the caller's added time and the ratio autolog / MLflow.

    python benchmarks/bench_mlflow_backend.py [--points 100000] [--uri http://127.0.0.1:5000]
"""

from __future__ import annotations

import argparse
import logging
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
    sys.path.insert(0, os.path.join(HERE, os.pardir, "tests", "backends"))
    import harness_mlflow

    return harness_mlflow.MlflowServer(directory).start()


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

    from autolog.model_format import write_model_meta
    from autolog.records import ModelRecord, RunStart

    X = np.random.default_rng(0).random((2000, 20))
    estimator = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, X[:, 0] > 0.5)
    staged = tempfile.mkdtemp(dir=directory)
    with open(os.path.join(staged, "model.pkl"), "wb") as fh:
        pickle.dump(estimator, fh, protocol=5)
    write_model_meta(staged, flavor="sklearn", loader="autolog.integrations.sklearn.flavor:load",
                     files={"model": "model.pkl"})
    backend = MlflowBackend(tracking_uri=uri)
    run = RunStart(uuid.uuid4().hex, "bench-model", "model", time.time())
    backend.start_run(run)
    start = time.perf_counter()
    backend.log_model(ModelRecord(run.run_id, staged, "model", "sklearn"))
    return time.perf_counter() - start


def _median_seconds(func: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bench_sklearn_fit(uri: str, directory: str, repeats: int = 5) -> dict[str, float] | None:
    """Median seconds of one LogisticRegression fit: plain, autolog -> MLflow, mlflow.sklearn.autolog."""
    try:
        import mlflow
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    import autolog

    X, y = make_classification(n_samples=1000, n_features=20, random_state=0)
    fit = lambda: LogisticRegression(max_iter=500).fit(X, y)  # noqa: E731
    fit()
    result = {"plain": _median_seconds(fit, repeats)}
    autolog.autolog(backends=["mlflow"], backend_options={"mlflow": {"tracking_uri": uri}},
                    experiment="bench-sklearn-autolog", tracking_dir=directory)
    fit()
    result["autolog"] = _median_seconds(fit, repeats)
    start = time.perf_counter()
    autolog.flush(600)
    result["autolog_stored"] = time.perf_counter() - start
    autolog.autolog(disable=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench-sklearn-mlflow")
    mlflow.sklearn.autolog(silent=True)
    fit()
    result["mlflow"] = _median_seconds(fit, repeats)
    mlflow.sklearn.autolog(disable=True)
    return result


def bench_trainer(uri: str, directory: str, steps: int = 100) -> dict[str, float] | None:
    """Seconds per training step of a tiny GPT-2: none, autolog -> MLflow, report_to="mlflow"."""
    try:
        import torch
        import transformers
    except ImportError:
        return None
    import autolog

    os.environ.update(MLFLOW_TRACKING_URI=uri, MLFLOW_EXPERIMENT_NAME="bench-trainer-mlflow",
                      HF_HUB_OFFLINE="1", DISABLE_MLFLOW_INTEGRATION="FALSE")
    torch.set_num_threads(1)
    transformers.utils.logging.set_verbosity_error()
    rows = [{"input_ids": ids, "labels": ids} for ids in torch.randint(0, 64, (steps * 4, 16))]

    def train(report_to: str) -> float:
        torch.manual_seed(0)
        config = transformers.GPT2Config(vocab_size=64, n_positions=16, n_embd=32, n_layer=2, n_head=2)
        args = transformers.TrainingArguments(
            output_dir=tempfile.mkdtemp(dir=directory), max_steps=steps, per_device_train_batch_size=4,
            logging_steps=1, save_strategy="no", report_to=report_to, use_cpu=True, disable_tqdm=True,
        )
        trainer = transformers.Trainer(model=transformers.GPT2LMHeadModel(config), args=args, train_dataset=rows)
        trainer.remove_callback(transformers.PrinterCallback)
        start = time.perf_counter()
        trainer.train()
        return (time.perf_counter() - start) / steps

    train("none")  # warm-up
    result = {"none": train("none")}
    autolog.autolog(backends=["mlflow"], backend_options={"mlflow": {"tracking_uri": uri}},
                    experiment="bench-trainer-autolog", tracking_dir=directory)
    result["autolog"] = train("none")
    autolog.flush(600)
    autolog.autolog(disable=True)
    result["mlflow"] = train("mlflow")
    result["none_again"] = train("none")
    return result


def _print_side_by_side(title: str, unit: float, unit_name: str, base: float, mine: float, peer: float) -> None:
    mine_added, peer_added = (mine - base) * unit, (peer - base) * unit
    print(f"  {title}: baseline {base * unit:.2f} {unit_name}; added by autolog {mine_added:.2f}, "
          f"by MLflow {peer_added:.2f} {unit_name}; autolog/MLflow = {mine_added / peer_added:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--uri", help="an mlflow server already running (default: start one)")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    logging.getLogger("mlflow").setLevel(logging.ERROR)

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
            fits = bench_sklearn_fit(uri, os.path.join(directory, "sk"))
            if fits is not None:
                _print_side_by_side("LogisticRegression 1,000x20 fit (median of 5)", 1e3, "ms",
                                    fits["plain"], fits["autolog"], fits["mlflow"])
                print(f"    autolog's records reached the server {fits['autolog_stored'] * 1e3:.0f} ms after the fits returned")
            steps = bench_trainer(uri, directory)
            if steps is not None:
                base = (steps["none"] + steps["none_again"]) / 2
                _print_side_by_side("tiny GPT-2 Trainer, 100 steps, logging_steps=1, per step", 1e3, "ms",
                                    base, steps["autolog"], steps["mlflow"])
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
