"""``autolog sync`` to a real MLflow server against MLflow's own ``log_batch`` loop, same points.

One local store holds one run of ``--points`` metric points (two keys, as a training loop logs
loss and learning rate). On one ``mlflow server`` (started here on a free port over a temporary
SQLite store, or the one given with ``--uri``) this measures, side by side:

* MLflow's ``MlflowClient.log_batch`` loop with 1,000 points a call (its maximum) over the same
  points, read from the same store: the peer, what a hand-written export would do;
* ``autolog.sync("mlflow")`` of that store: reading the store, creating the run, sending every
  point, recording the watermarks, ending the run;
* a second ``autolog.sync`` with nothing new (what a periodic sync costs when idle).

Prints points/s and the ratio sync / ``log_batch``.

    python benchmarks/bench_sync.py [--points 200000] [--uri http://127.0.0.1:5000]
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def make_store(directory: str, points: int) -> str:
    """A local store with one finished run of ``points`` metric points."""
    from autolog.backends.local import LocalBackend

    from autolog.records import Metric, RunEnd, RunStart, RunStatus

    run_id = uuid.uuid4().hex
    backend = LocalBackend(directory)
    now = time.time()
    backend.write_batch([RunStart(run_id, f"bench-sync-{run_id[:6]}", "bench", now)])
    keys = ("loss", "learning_rate")
    for offset in range(0, points, 50_000):
        backend.write_batch([
            Metric(run_id, keys[i % 2], 1.0 / (i + 1), i // 2, now + i / 1000)
            for i in range(offset, min(points, offset + 50_000))
        ])
    backend.write_batch([RunEnd(run_id, RunStatus.FINISHED, now + points / 1000)])
    backend.close()
    return run_id


def bench_log_batch(uri: str, directory: str) -> float:
    """MLflow's own loop: read the points, ``log_batch`` 1,000 at a time. Points per second."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    start = time.perf_counter()
    client = MlflowClient(uri)
    experiment = client.create_experiment(f"bench-log-batch-{uuid.uuid4().hex[:6]}")
    run_id = client.create_run(experiment).info.run_id
    conn = sqlite3.connect(os.path.join(directory, "autolog.db"))
    cursor = conn.execute("SELECT key, value, step, timestamp FROM metrics ORDER BY rowid")
    count = 0
    while True:
        rows = cursor.fetchmany(1000)
        if not rows:
            break
        client.log_batch(run_id, metrics=[Metric(k, v, int(t * 1000), s) for k, v, s, t in rows])
        count += len(rows)
    client.set_terminated(run_id)
    conn.close()
    return count / (time.perf_counter() - start)


def bench_sync(uri: str, directory: str) -> tuple[float, float]:
    """``autolog.sync`` of the whole store, then again with nothing new: (points/s, idle seconds)."""
    import autolog

    start = time.perf_counter()
    summary = autolog.sync("mlflow", tracking_dir=directory, options={"tracking_uri": uri})
    rate = summary.points / (time.perf_counter() - start)
    start = time.perf_counter()
    again = autolog.sync("mlflow", tracking_dir=directory, options={"tracking_uri": uri})
    assert again.points == 0
    return rate, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--uri", help="an MLflow server to use instead of starting one")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        server = None
        if args.uri is None:
            sys.path.insert(0, os.path.join(HERE, os.pardir, "tests", "backends"))
            import harness_mlflow

            server = harness_mlflow.MlflowServer(os.path.join(tmp, "server")).start()
        uri = args.uri or server.url
        try:
            directory = os.path.join(tmp, "store")
            make_store(directory, args.points)
            import mlflow  # noqa: F401 - both sides pay the import before the clock starts

            peer = bench_log_batch(uri, directory)
            ours, idle = bench_sync(uri, directory)
        finally:
            if server is not None:
                server.stop()
    print(f"points: {args.points:,} (one run, two keys)")
    print(f"MLflow log_batch loop (1,000 a call): {peer:,.0f} points/s")
    print(f"autolog sync:                         {ours:,.0f} points/s")
    print(f"ratio sync / log_batch: {ours / peer:.2f}x")
    print(f"second sync, nothing new: {idle * 1000:.0f} ms")


if __name__ == "__main__":
    main()
