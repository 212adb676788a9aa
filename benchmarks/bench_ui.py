"""``autolog ui`` against ``mlflow server`` on the same data: runs table and a 1,000,000-point chart.

Generates (bulk SQL inserts, a few seconds) the same data into an autolog store and into MLflow's
SQLite store (its schema created by MLflow itself): ``--runs`` runs (default 10,000) with 6 params,
4 metrics and 2 tags each, plus one run with ``--points`` points (default 1,000,000) of ``loss``.
Then starts each server on 127.0.0.1 and measures, as a client does (median of ``--repeat``):

* the runs table's first page (100 runs, newest first): autolog ``/api/runs``; MLflow
  ``runs/search`` (what its UI calls);
* the same page sorted by a metric and filtered (``metrics.m0 > 0.5``);
* the 1,000,000-point chart: autolog ``/api/runs/<id>/metric`` (min/max per pixel for 1,000
  pixels), computed afresh each time (a different width each request) and then served again
  from its cache; MLflow ``metrics/get-history-bulk-interval`` (its UI's sampled chart endpoint, 320
  points) and, once, ``metrics/get-history`` (the whole history, what the REST API offers);
* each server's resident memory (the whole process tree) after the requests.

autolog's figures include its own ``Server-Timing`` (time inside the server), which the targets
refer to: runs table first page < 300 ms, downsampled 1M-point chart < 200 ms.

    python benchmarks/bench_ui.py [--runs 10000] [--points 1000000] [--repeat 7] [--skip-full-history]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMS, METRICS = 6, 4
BIG = "b" * 32


def _runs(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = time.time() - n * 10
    return [
        {
            "id": uuid.UUID(int=rng.getrandbits(128)).hex, "name": f"run-{i}", "start": start + i * 10,
            "params": {f"p{j}": str(rng.choice([0.001, 0.01, 0.1, 1, 10])) for j in range(PARAMS)},
            "metrics": {f"m{j}": rng.random() for j in range(METRICS)},
        }
        for i in range(n)
    ]


def _big_series(points: int) -> list[tuple[float, int, float]]:
    t0 = time.time() - points * 0.01
    return [(2 * math.exp(-i / (points / 5)) + 0.1 * math.sin(i / 50), i, t0 + i * 0.01) for i in range(points)]


def fill_autolog(directory: str, runs: list[dict[str, Any]], series: list[tuple[float, int, float]]) -> None:
    from autolog.store.schema import open_connection

    conn = open_connection(os.path.join(directory, "autolog.db"))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO experiments (experiment_id, name, created_time) VALUES (1, 'bench', ?)", (time.time(),))
    all_runs = [*runs, {"id": BIG, "name": "big", "start": time.time(), "params": {"p0": "1"}, "metrics": {}}]
    conn.executemany(
        "INSERT INTO runs (run_pk, run_id, experiment_id, name, status, start_time, end_time, user_id) "
        "VALUES (?, ?, 1, ?, 'FINISHED', ?, ?, 'bench')",
        [(pk, r["id"], r["name"], r["start"], r["start"] + 5) for pk, r in enumerate(all_runs, 1)],
    )
    conn.executemany("INSERT INTO params VALUES (?, ?, ?)",
                     [(pk, k, v) for pk, r in enumerate(all_runs, 1) for k, v in r["params"].items()])
    conn.executemany("INSERT INTO tags VALUES (?, ?, ?)",
                     [(pk, k, v) for pk, r in enumerate(all_runs, 1) for k, v in (("team", "a"), ("kind", "bench"))])
    rows = [(pk, k, v, 0, r["start"] + 5) for pk, r in enumerate(all_runs, 1) for k, v in r["metrics"].items()]
    conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?)", rows)
    big_pk = len(all_runs)
    conn.executemany("INSERT INTO metrics VALUES (?, 'loss', ?, ?, ?)", ((big_pk, v, s, t) for v, s, t in series))
    last = series[-1]
    conn.execute("INSERT INTO latest_metrics VALUES (?, 'loss', ?, ?, ?)", (big_pk, last[0], last[1], last[2]))
    conn.execute("COMMIT")
    conn.close()


def fill_mlflow(directory: str, runs: list[dict[str, Any]], series: list[tuple[float, int, float]]) -> str:
    """MLflow's own store creates the schema and the experiment; rows are then bulk-inserted."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    db = os.path.join(directory, "mlflow.db")
    store = SqlAlchemyStore(f"sqlite:///{db}", os.path.join(directory, "artifacts"))
    experiment_id = store.create_experiment("bench")
    store.engine.dispose()
    conn = sqlite3.connect(db)
    all_runs = [*runs, {"id": BIG, "name": "big", "start": time.time(), "params": {"p0": "1"}, "metrics": {}}]
    conn.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, "
        "end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
        "VALUES (?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', ?, ?, '', 'active', ?, ?)",
        [(r["id"], r["name"], int(r["start"] * 1000), int(r["start"] * 1000) + 5000,
          f"{directory}/artifacts/{r['id']}", int(experiment_id)) for r in all_runs],
    )
    conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                     [(k, v, r["id"]) for r in all_runs for k, v in r["params"].items()])
    conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                     [(k, v, r["id"]) for r in all_runs
                      for k, v in (("team", "a"), ("kind", "bench"), ("mlflow.runName", r["name"]))])
    rows = [(k, v, int(r["start"] * 1000) + 5000, r["id"], 0, 0) for r in all_runs for k, v in r["metrics"].items()]
    conn.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('loss', ?, ?, ?, ?, 0)",
                     ((v, int(t * 1000), BIG, s) for v, s, t in series))
    last = series[-1]
    conn.execute("INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('loss', ?, ?, ?, ?, 0)",
                 (last[0], int(last[2] * 1000), BIG, last[1]))
    conn.commit()
    conn.close()
    return experiment_id


def rss_tree(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    import psutil

    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def request(url: str, body: dict | None = None, timeout: float = 600) -> tuple[float, float | None, bytes]:
    """(client wall ms, server ms from Server-Timing or None, body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as response:
        payload = response.read()
        timing = response.headers.get("Server-Timing", "")
    wall = (time.perf_counter() - started) * 1000
    server = float(timing.split("dur=")[1]) if "dur=" in timing else None
    return wall, server, payload


def measure(url: str, body: dict | None, repeat: int) -> dict[str, Any]:
    request(url, body)  # warm-up: connections, caches, lazy imports
    samples = [request(url, body) for _ in range(repeat)]
    servers = [s[1] for s in samples if s[1] is not None]
    return {"wall": statistics.median(s[0] for s in samples), "server": statistics.median(servers) if servers else None,
            "bytes": len(samples[-1][2]), "body": samples[-1][2]}


def start_autolog(directory: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "autolog.cli", "ui", "--dir", directory, "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    return process, line.split(" at ", 1)[1].split()[0].rstrip("/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-full-history", action="store_true", help="skip MLflow's whole-history request")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="autolog-bench-ui-")
    runs, series = _runs(args.runs), _big_series(args.points)
    t = time.perf_counter()
    os.makedirs(os.path.join(work, "autolog"))
    fill_autolog(os.path.join(work, "autolog"), runs, series)
    print(f"autolog store: {args.runs:,} runs + one of {args.points:,} points in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    os.makedirs(os.path.join(work, "mlflow"))
    experiment_id = fill_mlflow(os.path.join(work, "mlflow"), runs, series)
    print(f"MLflow store (same rows): {time.perf_counter() - t:.1f} s")

    results: dict[str, dict[str, Any]] = {}
    process, url = start_autolog(os.path.join(work, "autolog"))
    try:
        cols = "params=p0,p1,p2&metrics=m0,m1,m2,m3"
        results["table", "autolog"] = measure(f"{url}/api/runs?experiment=bench&{cols}&limit=100", None, args.repeat)
        results["sorted", "autolog"] = measure(
            f"{url}/api/runs?experiment=bench&{cols}&limit=100&filter=metrics.m0%20%3E%200.5&order_by=metrics.m1%20DESC",
            None, args.repeat)
        cold = [request(f"{url}/api/runs/{BIG}/metric?key=loss&points={1000 + i}") for i in range(args.repeat)]
        results["chart", "autolog"] = {"wall": statistics.median(c[0] for c in cold), "server": statistics.median(c[1] for c in cold),
                                       "bytes": len(cold[-1][2]), "body": cold[-1][2]}
        results["cached", "autolog"] = measure(f"{url}/api/runs/{BIG}/metric?key=loss&points=1000", None, args.repeat)
        autolog_rss = rss_tree(process.pid)
        assert len(json.loads(results["table", "autolog"]["body"])["runs"]) == 100
        chart = json.loads(results["chart", "autolog"]["body"])
        assert chart["downsampled"] and min(chart["value"]) == min(v for v, _, _ in series)
    finally:
        process.terminate()
        process.wait(10)

    sys.path.insert(0, os.path.join(HERE, os.pardir, "tests", "backends"))
    import harness_mlflow

    server = harness_mlflow.MlflowServer(os.path.join(work, "mlflow")).start(timeout=180)
    try:
        api = f"{server.url}/api/2.0/mlflow"
        search = {"experiment_ids": [experiment_id], "max_results": 100, "order_by": ["attributes.start_time DESC"]}
        results["table", "mlflow"] = measure(f"{api}/runs/search", search, args.repeat)
        assert len(json.loads(results["table", "mlflow"]["body"])["runs"]) == 100
        results["sorted", "mlflow"] = measure(
            f"{api}/runs/search", {**search, "filter": "metrics.m0 > 0.5", "order_by": ["metrics.m1 DESC"]}, args.repeat)
        interval = f"{server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={BIG}&metric_key=loss&max_results=320"
        results["chart", "mlflow"] = measure(interval, None, args.repeat)
        if not args.skip_full_history:
            wall, _, body = request(f"{api}/metrics/get-history?run_id={BIG}&metric_key=loss")
            results["full", "mlflow"] = {"wall": wall, "server": None, "bytes": len(body)}
        mlflow_rss = rss_tree(server.process.pid) if server.process else 0
    finally:
        server.stop()

    print(f"\n{'page':<52}{'autolog ms':>12}{'(server)':>10}{'MLflow ms':>12}{'ratio':>9}")
    names = {"table": "runs table, first page of 100", "sorted": "runs table, filtered + sorted by a metric",
             "chart": f"{args.points:,}-point chart, downsampled (first time)"}
    for key, label in names.items():
        a, m = results[key, "autolog"], results[key, "mlflow"]
        print(f"{label:<52}{a['wall']:>12.1f}{a['server']:>10.1f}{m['wall']:>12.1f}{m['wall'] / a['wall']:>8.1f}x")
    a, m = results["cached", "autolog"], results["chart", "mlflow"]
    print(f"{'  the same chart again (autolog: cached)':<52}{a['wall']:>12.1f}{a['server']:>10.1f}"
          f"{m['wall']:>12.1f}{m['wall'] / a['wall']:>8.1f}x")
    if ("full", "mlflow") in results:
        full = results["full", "mlflow"]
        a = results["chart", "autolog"]
        print(f"{'  MLflow get-history (whole series, ' + format(full['bytes'] // 1_000_000) + ' MB)':<52}{a['wall']:>12.1f}"
              f"{a['server']:>10.1f}{full['wall']:>12.1f}{full['wall'] / a['wall']:>8.1f}x")
    print(f"{'server memory (RSS, process tree), MB':<52}{autolog_rss / 2**20:>12.0f}{'':>10}{mlflow_rss / 2**20:>12.0f}"
          f"{mlflow_rss / max(autolog_rss, 1):>8.1f}x")
    print("\nratio = MLflow / autolog (higher: autolog faster or smaller). MLflow's chart endpoint is its UI's "
          "get-history-bulk-interval (320 sampled points); autolog sends min and max per pixel for 1,000 pixels.")
    shutil.rmtree(work, ignore_errors=True)
    print(f"targets (autolog server time): table < 300 ms: {results['table', 'autolog']['server']:.0f} ms; "
          f"chart < 200 ms: {results['chart', 'autolog']['server']:.0f} ms first time, "
          f"{results['cached', 'autolog']['server']:.1f} ms cached")


if __name__ == "__main__":
    main()
