"""Query speed of the local store against MLflow's SQLite store, side by side on the same data.

* ``search_runs`` with a filter and an order over N runs (default 100,000), one page of 100:
  ``metrics.acc > 0.9 and params.model = 'gpt2'`` ordered by ``metrics.acc DESC``, and a
  params-only filter in the default order (newest first).
* ``get_metric_history`` of one metric of M points (default 1,000,000).

Both stores hold the same runs, params, metric values and times. autolog's is written through its
own writer (``SqliteStore.write_batch``, the path the dispatcher takes). MLflow's is written
with MLflow's own SQLAlchemy models in bulk through its store's session (``--mlflow-writes
client`` uses ``MlflowClient.create_run``/``log_batch`` instead, which takes about 10 ms a run
here, so it writes only ``--client-runs`` runs and says so). Each search is timed 5 times after
one warm-up, each history read twice; the median is printed with the ratio MLflow / autolog (above 1: autolog is faster).

    python benchmarks/bench_queries.py [--runs 100000] [--points 1000000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

MODELS = ("gpt2", "bert", "t5", "llama")
FILTER = "metrics.acc > 0.9 and params.model = 'gpt2'"
ORDER = ["metrics.acc DESC"]
PARAMS_ONLY = "params.model = 'bert'"


def dataset(runs: int) -> list[dict[str, Any]]:
    rng = random.Random(0)
    start = 1_700_000_000.0
    return [
        {
            "run_id": uuid.UUID(int=rng.getrandbits(128)).hex, "name": f"run-{i}",
            "start": start + i, "model": MODELS[i % len(MODELS)], "lr": f"{rng.choice((1e-4, 3e-4, 1e-3))}",
            "acc": rng.random(), "loss": rng.random() * 3,
        }
        for i in range(runs)
    ]


def timed(action: Callable[[], Any], repeats: int = 5, warm_up: bool = True) -> tuple[float, Any]:
    result = action() if warm_up else None
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), result


# -- autolog ---------------------------------------------------------------------------------------
def fill_autolog(directory: str, rows: list[dict[str, Any]], points: int) -> tuple[float, str]:
    from autolog.records import Metric, Params, RunEnd, RunStart, RunStatus
    from autolog.store.sqlite import SqliteStore

    store = SqliteStore(directory)
    begin = time.perf_counter()
    for first in range(0, len(rows), 5000):
        batch: list[Any] = []
        for row in rows[first : first + 5000]:
            rid, at = row["run_id"], row["start"]
            batch += [
                RunStart(rid, "bench", row["name"], at),
                Params(rid, {"model": row["model"], "lr": row["lr"]}),
                Metric(rid, "acc", row["acc"], 0, at + 1),
                Metric(rid, "loss", row["loss"], 0, at + 1),
                RunEnd(rid, RunStatus.FINISHED, at + 2),
            ]
        store.write_batch(batch)
    history_run = uuid.uuid4().hex
    store.write_batch([RunStart(history_run, "history", "long", 1_800_000_000.0)])
    for first in range(0, points, 100_000):
        store.write_batch(
            [Metric(history_run, "loss", 1.0 / (s + 1), s, 1_800_000_000.0 + s / 1000) for s in range(first, min(points, first + 100_000))]
        )
    store.write_batch([RunEnd(history_run, RunStatus.FINISHED, 1_800_001_000.0)])
    store.close()
    return time.perf_counter() - begin, history_run


def query_autolog(directory: str, history_run: str) -> dict[str, tuple[float, Any]]:
    from autolog import Client

    client = Client(directory)
    return {
        "filter+order": timed(lambda: [r.run_id for r in client.search_runs("bench", FILTER, ORDER, max_results=100)]),
        "params filter": timed(lambda: [r.run_id for r in client.search_runs("bench", PARAMS_ONLY, max_results=100)]),
        "metric history": timed(lambda: [p.value for p in client.get_metric_history(history_run, "loss")], repeats=2, warm_up=False),
    }


# -- MLflow ----------------------------------------------------------------------------------------
def fill_mlflow(directory: str, rows: list[dict[str, Any]], points: int, writes: str, client_runs: int) -> tuple[float, str, str, int]:
    from mlflow import MlflowClient

    uri = f"sqlite:///{directory}/mlflow.db"
    client = MlflowClient(uri)
    begin = time.perf_counter()
    experiment = client.create_experiment("bench", artifact_location=f"{directory}/artifacts")
    history = client.create_experiment("history", artifact_location=f"{directory}/artifacts")
    if writes == "client":
        rows = rows[:client_runs]
        _fill_with_client(client, experiment, rows)
    else:
        _bulk(client, experiment, rows)
    history_run = client.create_run(history, start_time=1_800_000_000_000, run_name="long").info.run_id
    _bulk_history(client, history_run, points)
    return time.perf_counter() - begin, uri, history_run, len(rows)


def _fill_with_client(client: Any, experiment: str, rows: list[dict[str, Any]]) -> None:
    from mlflow.entities import Metric, Param

    for row in rows:
        ms = int(row["start"] * 1000)
        run = client.create_run(experiment, start_time=ms, run_name=row["name"]).info.run_id
        client.log_batch(
            run, metrics=[Metric("acc", row["acc"], ms + 1000, 0), Metric("loss", row["loss"], ms + 1000, 0)],
            params=[Param("model", row["model"]), Param("lr", row["lr"])],
        )
        client.set_terminated(run, end_time=ms + 2000)


def _session(client: Any) -> Any:
    return client._tracking_client.store.ManagedSessionMaker()


def _bulk(client: Any, experiment: str, rows: list[dict[str, Any]]) -> None:
    from mlflow.store.tracking.dbmodels import models as m

    with _session(client) as session:
        for first in range(0, len(rows), 20_000):
            chunk = rows[first : first + 20_000]
            session.bulk_insert_mappings(m.SqlRun, [
                {"run_uuid": r["run_id"], "name": r["name"], "source_type": "LOCAL", "source_name": "", "entry_point_name": "",
                 "user_id": "bench", "status": "FINISHED", "start_time": int(r["start"] * 1000),
                 "end_time": int(r["start"] * 1000) + 2000, "source_version": "", "lifecycle_stage": "active",
                 "artifact_uri": f"/tmp/{r['run_id']}", "experiment_id": int(experiment)}
                for r in chunk
            ])
            session.bulk_insert_mappings(m.SqlTag, [{"key": "mlflow.runName", "value": r["name"], "run_uuid": r["run_id"]} for r in chunk])
            session.bulk_insert_mappings(m.SqlParam, [
                {"key": k, "value": r[k], "run_uuid": r["run_id"]} for r in chunk for k in ("model", "lr")
            ])
            metrics = [
                {"key": k, "value": r[k], "timestamp": int(r["start"] * 1000) + 1000, "step": 0, "is_nan": False, "run_uuid": r["run_id"]}
                for r in chunk for k in ("acc", "loss")
            ]
            session.bulk_insert_mappings(m.SqlMetric, metrics)
            session.bulk_insert_mappings(m.SqlLatestMetric, metrics)
            session.commit()


def _bulk_history(client: Any, run_id: str, points: int) -> None:
    from mlflow.store.tracking.dbmodels import models as m

    with _session(client) as session:
        for first in range(0, points, 100_000):
            session.bulk_insert_mappings(m.SqlMetric, [
                {"key": "loss", "value": 1.0 / (s + 1), "timestamp": 1_800_000_000_000 + s, "step": s, "is_nan": False, "run_uuid": run_id}
                for s in range(first, min(points, first + 100_000))
            ])
            session.commit()
        last = points - 1
        session.bulk_insert_mappings(m.SqlLatestMetric, [
            {"key": "loss", "value": 1.0 / (last + 1), "timestamp": 1_800_000_000_000 + last, "step": last, "is_nan": False, "run_uuid": run_id}
        ])
        session.commit()


def query_mlflow(uri: str, history_run: str) -> dict[str, tuple[float, Any]]:
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("bench").experiment_id
    return {
        "filter+order": timed(lambda: [r.info.run_id for r in client.search_runs([experiment], FILTER, order_by=ORDER, max_results=100)]),
        "params filter": timed(lambda: [r.info.run_id for r in client.search_runs([experiment], PARAMS_ONLY, max_results=100)]),
        "metric history": timed(lambda: [p.value for p in client.get_metric_history(history_run, "loss")], repeats=2, warm_up=False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--mlflow-writes", choices=("bulk", "client"), default="bulk")
    parser.add_argument("--client-runs", type=int, default=2_000)
    args = parser.parse_args()
    rows = dataset(args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as tmp:
        seconds, autolog_history = fill_autolog(f"{tmp}/autolog", rows, args.points)
        print(f"autolog: wrote {len(rows):,} runs and a {args.points:,}-point metric in {seconds:.1f} s (its writer)")
        mine = query_autolog(f"{tmp}/autolog", autolog_history)
        try:
            import mlflow
        except ImportError:
            print("mlflow is not installed: autolog's figures only")
            for name, (median, _) in mine.items():
                print(f"  {name:15s} autolog {median * 1000:9.1f} ms")
            return
        seconds, uri, mlflow_history, written = fill_mlflow(f"{tmp}/mlflow", rows, args.points, args.mlflow_writes, args.client_runs)
        how = "MLflow's SQLAlchemy models, in bulk" if args.mlflow_writes == "bulk" else "MlflowClient.log_batch"
        print(f"mlflow {mlflow.__version__}: wrote {written:,} runs and a {args.points:,}-point metric in {seconds:.1f} s ({how})")
        if written != len(rows):
            print(f"  NOTE: MLflow holds {written:,} runs, autolog {len(rows):,}: the search ratio flatters MLflow")
        theirs = query_mlflow(uri, mlflow_history)
    print(f"\nmedian of 5 (metric history: of 2), one page of 100 runs; filter: {FILTER!r}, order {ORDER}")
    for name in mine:
        ours, their = mine[name][0], theirs[name][0]
        print(f"  {name:15s} autolog {ours * 1000:9.1f} ms   mlflow {their * 1000:9.1f} ms   ratio {their / ours:6.1f}x")
        if written == len(rows):
            assert len(mine[name][1]) == len(theirs[name][1]), name
    same = mine["filter+order"][1] == theirs["filter+order"][1]
    print(f"  same runs in the same order for filter+order: {same}")


if __name__ == "__main__":
    main()
