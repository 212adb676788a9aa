"""``autolog sync`` across real processes: a run still training synced repeatedly ends as one
complete MLflow run; a sync SIGKILLed midway and run again leaves no duplicate."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mlflow")

from views import local_history_ms, local_runs, mlflow_history, mlflow_runs_by_autolog_id, same_history

import autolog

LIVE = """
import sys, time
import autolog
autolog.autolog(experiment="sync-live")
with autolog.run(name="live") as run:
    run.log_params({"lr": "0.1"})
    for step in range(2000):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
        if step == 200:
            autolog.flush()
            print("logging", flush=True)
        time.sleep(0.005)
"""

BIG = """
import autolog
autolog.autolog(experiment="sync-big")
for name in ("big-a", "big-b"):
    with autolog.run(name=name) as run:
        run.log_params({"n": "30000"})
        for step in range(30000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
"""


def _env(store: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env.update(AUTOLOG_DIR=store, MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false")
    return env


def _cli(store: str, uri: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "autolog.cli", "sync", "--to", "mlflow", "--dir", store,
            "--option", f"tracking_uri={uri}", *args]


def _assert_one_complete_run(store: str, uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    remote = mlflow_runs_by_autolog_id(client)
    for run_id, mine in local_runs(store).items():
        (theirs,) = remote[run_id]
        assert theirs.info.status == mine.run.status == "FINISHED"
        for key in mine.run.metrics:
            assert same_history(mlflow_history(client, theirs.info.run_id, key), local_history_ms(mine, key)), key


def test_a_run_synced_while_training_ends_as_one_complete_run(tmp_path: Path, mlflow_uri: str) -> None:
    store = str(tmp_path / "autolog-runs")
    (tmp_path / "live.py").write_text(textwrap.dedent(LIVE))
    live = subprocess.Popen([sys.executable, "live.py"], cwd=tmp_path, env=_env(store),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert live.stdout is not None and live.stdout.readline().strip() == "logging"
        sent = []
        for _ in range(2):  # while the process still logs
            summary = autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": mlflow_uri})
            assert summary.runs == 1 and summary.failed == {}
            sent.append(summary.points)
        assert live.poll() is None, "the run ended before the syncs: nothing was tested live"
        from mlflow import MlflowClient

        (mid,) = mlflow_runs_by_autolog_id(MlflowClient(mlflow_uri))[next(iter(local_runs(store)))]
        assert mid.info.status == "RUNNING"
    finally:
        _, err = live.communicate(timeout=120)
    assert live.returncode == 0, err[-2000:]
    last = autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": mlflow_uri})
    assert sent[0] >= 200 and sum(sent) + last.points == 2000
    _assert_one_complete_run(store, mlflow_uri)


def test_a_sync_killed_midway_and_run_again_leaves_no_duplicates(tmp_path: Path, mlflow_uri: str) -> None:
    store = str(tmp_path / "autolog-runs")
    (tmp_path / "big.py").write_text(textwrap.dedent(BIG))
    done = subprocess.run([sys.executable, "big.py"], cwd=tmp_path, env=_env(store), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    syncing = subprocess.Popen(_cli(store, mlflow_uri), env=_env(store), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    killed_at = _wait_for_progress(store, syncing)
    os.kill(syncing.pid, signal.SIGKILL)
    syncing.wait(timeout=30)
    assert syncing.returncode == -signal.SIGKILL
    assert 0 < killed_at < 60_000

    again = subprocess.run(_cli(store, mlflow_uri), env=_env(store), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "sent 2 of 2 runs" in again.stdout or "sent 1 of 2 runs" in again.stdout
    _assert_one_complete_run(store, mlflow_uri)
    final = autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": mlflow_uri})
    assert (final.runs_sent, final.points) == (0, 0)


def _wait_for_progress(store: str, process: subprocess.Popen[Any]) -> int:
    """Wait until the sync recorded some delivered points (and has not finished); return them."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        try:
            conn = sqlite3.connect(os.path.join(store, "autolog.db"), timeout=5)
            (points,) = conn.execute("SELECT COALESCE(SUM(metric_points), 0) FROM sync_runs").fetchone()
            conn.close()
        except sqlite3.OperationalError:
            points = 0
        if points:
            return points
        time.sleep(0.02)
    raise AssertionError("the sync recorded no progress in time")


ASIDE = """
import sys
import autolog
autolog.autolog(experiment="sync-aside", backends=["local", "mlflow"], retry_seconds=1, exit_flush_timeout=3,
                backend_options={"mlflow": {"tracking_uri": sys.argv[1]}})
with autolog.run(name="aside") as run:
    run.log_params({"lr": "0.1"})
    for step in range(200):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    autolog.flush()
    print("half", flush=True)
    sys.stdin.readline()  # the server is stopped meanwhile
    for step in range(200, 400):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
"""


def test_a_backend_put_aside_during_a_live_run_is_caught_up_by_sync(tmp_path: Path) -> None:
    import harness_mlflow
    from mlflow import MlflowClient

    store = str(tmp_path / "autolog-runs")
    server = harness_mlflow.MlflowServer(str(tmp_path / "server")).start()
    try:
        (tmp_path / "aside.py").write_text(textwrap.dedent(ASIDE))
        live = subprocess.Popen([sys.executable, "aside.py", server.url], cwd=tmp_path, env=_env(store),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert live.stdout is not None and live.stdout.readline().strip() == "half"
        server.stop()
        _, err = live.communicate("go\n", timeout=120)
        assert live.returncode == 0, err[-2000:]
        assert "'mlflow': " in err  # the exit report names what MLflow did not get
        server.start()
        client = MlflowClient(server.url)
        (run_id,) = local_runs(store)
        (partial,) = mlflow_runs_by_autolog_id(client)[run_id]
        assert partial.info.status == "RUNNING" and len(client.get_metric_history(partial.info.run_id, "loss")) == 200

        summary = autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": server.url})
        assert summary.runs_sent == 1 and summary.points == 400  # all sent; MLflow keeps each once
        (whole,) = mlflow_runs_by_autolog_id(client)[run_id]
        assert whole.info.run_id == partial.info.run_id
        _assert_one_complete_run(store, server.url)
    finally:
        server.stop()
