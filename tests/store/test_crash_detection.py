"""A RUNNING run whose writer died is read back as KILLED; a live or remote-fresh one is not."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

from autolog.records import Metric, RunEnd, RunStart, RunStatus
from autolog.store.liveness import STALE_AFTER_SECONDS, process_start_ticks


def _set_writer(tracking_dir: str, run_id: str, **columns: object) -> None:
    conn = sqlite3.connect(os.path.join(tracking_dir, "autolog.db"))
    assignments = ", ".join(f"{name} = ?" for name in columns)
    conn.execute(f"UPDATE runs SET {assignments} WHERE run_id = ?", (*columns.values(), run_id))
    conn.commit()
    conn.close()


def test_run_of_a_sigkilled_process_is_reported_killed(tracking_dir, writer_script, client) -> None:
    writer = subprocess.Popen(
        [sys.executable, writer_script, tracking_dir, "hang"], stdout=subprocess.PIPE, text=True
    )
    try:
        run_id = writer.stdout.readline().strip()
        assert client.get_run(run_id).status == "RUNNING"  # alive: left alone
        assert client.search_runs(filter_string="attributes.status = 'KILLED'") == []
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)

    run = client.get_run(run_id)
    assert run.status == "KILLED"
    assert run.end_time is not None and run.start_time <= run.end_time <= time.time()
    assert run.metrics == {"loss": 1.0}  # what it committed before dying is kept
    assert [r.run_id for r in client.search_runs(filter_string="status = 'KILLED'")] == [run_id]


def test_a_reused_pid_is_told_apart_by_its_start_time(backend, client, tracking_dir) -> None:
    backend.write_batch([RunStart("r", "Default", "run", time.time())])
    assert client.get_run("r").status == "RUNNING"
    if process_start_ticks(os.getpid()) is None:
        return  # no /proc: the pid alone decides, and this pid is alive
    # Same host, a live pid, but a process that started at another time: the pid was reused.
    _set_writer(tracking_dir, "r", writer_started=process_start_ticks(os.getpid()) + 1)
    assert client.get_run("r").status == "KILLED"


def test_a_run_on_another_host_is_killed_only_after_a_stale_heartbeat(backend, client, tracking_dir) -> None:
    backend.write_batch([RunStart("fresh", "Default", "run", time.time())])
    backend.write_batch([RunStart("stale", "Default", "run", time.time())])
    backend.close()  # as if the writers lived elsewhere
    other = socket.gethostname() + "-elsewhere"
    _set_writer(tracking_dir, "fresh", writer_host=other, heartbeat=time.time() - 60)
    _set_writer(tracking_dir, "stale", writer_host=other, heartbeat=time.time() - STALE_AFTER_SECONDS - 60)
    assert client.get_run("fresh").status == "RUNNING"
    assert client.get_run("stale").status == "KILLED"


def test_a_silent_remote_run_comes_back_to_running_when_it_writes_again(backend, client, tracking_dir) -> None:
    backend.write_batch([RunStart("r", "Default", "run", time.time())])
    _set_writer(tracking_dir, "r", writer_host="elsewhere", heartbeat=time.time() - STALE_AFTER_SECONDS - 1)
    killed = client.get_run("r")
    assert killed.status == "KILLED" and killed.end_time is not None
    backend.write_batch([Metric("r", "loss", 0.1, 1, time.time())])
    revived = client.get_run("r")
    assert (revived.status, revived.end_time) == ("RUNNING", None)


def test_an_ended_run_is_never_marked_killed(backend, client, tracking_dir) -> None:
    backend.write_batch([RunStart("r", "Default", "run", time.time()), RunEnd("r", RunStatus.FINISHED, time.time())])
    _set_writer(tracking_dir, "r", writer_pid=2**22 + 12345)  # no such process
    assert client.get_run("r").status == "FINISHED"
