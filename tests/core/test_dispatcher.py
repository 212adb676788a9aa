"""The dispatcher: batching, isolation of failing and hanging backends, flush, cleanup."""

from __future__ import annotations

import threading
import time

import pytest

import autolog
from autolog._dispatch import Dispatcher
from autolog.records import Artifact, Metric, Params, RunEnd, RunStart, RunStatus
from autolog.sdk import RecordBackend, plan_calls
from autolog.testing import MemoryBackend


def _start(run_id="r1"):
    return RunStart(run_id, "exp", "name", time.time())


class RaisingBackend(RecordBackend):
    name = "raising"

    def __init__(self):
        self.calls = 0

    def start_run(self, *args):
        self.calls += 1
        raise RuntimeError("tracking server says no")

    log_params = log_metrics = end_run = start_run


class HangingBackend(RecordBackend):
    name = "hanging"

    def __init__(self):
        self.release = threading.Event()

    def start_run(self, *args):
        self.release.wait()

    log_metrics = end_run = log_params = start_run


class FlakyBackend(MemoryBackend):
    """Fails with a connection error twice, then works: retries must deliver everything once."""

    name = "flaky"

    def __init__(self):
        super().__init__()
        self.failures = 2

    def log_metrics(self, run_id, metrics):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("server restarting")
        super().log_metrics(run_id, metrics)


def test_plan_calls_groups_metrics_per_run_and_keeps_end_after_them():
    now = time.time()
    records = [
        _start("a"),
        _start("b"),
        Metric("a", "loss", 1.0, 0, now),
        Metric("b", "loss", 2.0, 0, now),
        Metric("a", "loss", 0.5, 1, now),
        Params("a", {"lr": "0.1"}),
        Metric("a", "acc", 0.9, 1, now),
        RunEnd("a", RunStatus.FINISHED, now),
    ]
    calls = [(name, args[0] if name in ("log_metrics", "log_params") else args[0].run_id, len(part)) for name, args, part in plan_calls(records)]
    assert calls == [
        ("start_run", "a", 1),
        ("start_run", "b", 1),
        ("log_metrics", "a", 2),
        ("log_params", "a", 1),
        ("log_metrics", "a", 1),
        ("end_run", "a", 1),
        ("log_metrics", "b", 1),
    ]


def test_failing_backend_does_not_affect_training_or_other_backends():
    good, bad = MemoryBackend(), RaisingBackend()
    autolog.autolog(backends=[good, bad], retry_seconds=0.5)
    with pytest.warns(autolog.AutologWarning, match="raising"):
        with autolog.run(name="r") as run:
            run.log_params({"lr": 0.1})
            for step in range(100):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
        assert autolog.flush(10)
    received = good.runs[run.run_id]
    assert received.status == "FINISHED"
    assert len(received.history("loss")) == 100
    assert received.params == {"lr": "0.1"}
    assert bad.calls >= 1


def test_backend_failing_repeatedly_is_put_aside_and_reported_once(recwarn):
    bad = RaisingBackend()
    autolog.autolog(backends=[bad, MemoryBackend()])
    for _ in range(8):
        with autolog.run() as run:
            run.log_param("x", 1)
    autolog.flush(10)
    messages = [str(w.message) for w in recwarn.list if "raising" in str(w.message)]
    assert sum("failed in" in m for m in messages) == 1
    assert sum("put aside" in m for m in messages) == 1
    calls_when_disabled = bad.calls
    with autolog.run():
        pass
    autolog.flush(10)
    assert bad.calls == calls_when_disabled


def test_hanging_backend_neither_blocks_training_nor_other_backends(monkeypatch):
    monkeypatch.setattr("autolog._dispatch.STALL_SECONDS", 0.5)
    good, hung = MemoryBackend(), HangingBackend()
    autolog.autolog(backends=[hung, good], exit_flush_timeout=0.5)
    with autolog.run() as run:  # the hung backend never returns: logging that waited would hang
        for step in range(1000):
            run.log_metric("loss", float(step), step=step)
    with pytest.warns(autolog.AutologWarning, match="hanging"):
        complete = autolog.flush()  # no timeout: it returns because the stalled lane is skipped
    assert not complete
    assert len(good.runs[run.run_id].history("loss")) == 1000
    hung.release.set()


def test_transient_errors_are_retried_and_nothing_is_lost_or_duplicated():
    flaky = FlakyBackend()
    autolog.autolog(backends=[flaky])
    with autolog.run() as run:
        for step in range(10):
            run.log_metric("loss", float(step), step=step)
    assert autolog.flush(10)
    assert flaky.runs[run.run_id].history("loss") == [(s, float(s)) for s in range(10)]


def test_flush_waits_for_delivery_and_backend_flush():
    memory = MemoryBackend()
    autolog.autolog(backends=[memory], flush_interval=60)
    run = autolog.run()
    run.log_metric("m", 1.0)
    assert autolog.flush(10)
    assert memory.runs[run.run_id].history("m") == [(0, 1.0)]
    assert memory.flushes >= 1
    run.end()


def test_full_queue_drops_only_metric_points_and_reports_it():
    memory = MemoryBackend()
    dispatcher = Dispatcher([memory], flush_interval=60, max_queue_size=10, batch_size=10**9)
    start = _start()
    dispatcher.emit(start)
    with pytest.warns(autolog.AutologWarning, match="dropped"):
        for step in range(50):
            dispatcher.emit(Metric("r1", "m", 1.0, step, 0.0))
    dispatcher.emit(Params("r1", {"kept": "yes"}))
    dispatcher.emit(RunEnd("r1", RunStatus.FINISHED, 0.0))
    assert dispatcher.dropped > 0
    with pytest.warns(autolog.AutologWarning, match="not delivered"):
        dispatcher.close(10)
    run = memory.runs["r1"]
    assert run.params == {"kept": "yes"} and run.status == "FINISHED"
    assert len(run.history("m")) == 50 - dispatcher.dropped


def test_staged_artifacts_are_removed_after_every_backend_received_them(tmp_path):
    first, second = MemoryBackend(), MemoryBackend()
    staged = tmp_path / "staged.txt"
    staged.write_text("weights")
    dispatcher = Dispatcher([first, second], flush_interval=60)
    dispatcher.emit(_start())
    dispatcher.emit(Artifact("r1", str(staged), "ckpt/staged.txt", staged=True))
    assert dispatcher.flush(10)
    assert not staged.exists()
    for backend in (first, second):
        assert open(backend.runs["r1"].files["ckpt/staged.txt"]).read() == "weights"
    dispatcher.close(1)


def test_user_files_are_never_removed(tmp_path):
    memory = MemoryBackend()
    path = tmp_path / "notes.txt"
    path.write_text("mine")
    autolog.autolog(backends=[memory])
    with autolog.run() as run:
        run.log_artifact(path)
    autolog.flush(10)
    assert path.read_text() == "mine"
    assert open(memory.runs[run.run_id].files["notes.txt"]).read() == "mine"


def test_synchronous_mode_delivers_in_the_callers_thread():
    memory = MemoryBackend()
    autolog.autolog(backends=[memory], synchronous=True)
    with autolog.run() as run:
        run.log_metric("m", 2.0, step=3)
        assert memory.runs[run.run_id].history("m") == [(3, 2.0)]
    assert memory.runs[run.run_id].status == "FINISHED"
    assert threading.active_count() >= 1


def test_records_still_waiting_for_a_hung_backend_at_close_are_reported(monkeypatch):
    monkeypatch.setattr("autolog._dispatch.STALL_SECONDS", 0.2)
    hung = HangingBackend()
    dispatcher = Dispatcher([hung, MemoryBackend()], flush_interval=0.05)
    dispatcher.emit(_start())
    for step in range(10):
        dispatcher.emit(Metric("r1", "m", 1.0, step, 0.0))
    with pytest.warns(autolog.AutologWarning, match=r"'hanging': 10 metric points, 1 run starts"):
        dispatcher.close(timeout=1)
    hung.release.set()


def test_reconfiguring_inside_a_run_keeps_its_records_and_never_waits_for_old_backends(monkeypatch):
    monkeypatch.setattr("autolog._dispatch.STALL_SECONDS", 0.2)
    first, second, hung = MemoryBackend(), MemoryBackend(), HangingBackend()
    autolog.autolog(backends=[first, hung], exit_flush_timeout=1)
    run = autolog.run(name="spans a reconfiguration")
    run.log_metric("before", 1.0)
    autolog.autolog(backends=[second])  # would hang if it waited for the hung backend's lane
    run.log_metric("after", 2.0)
    run.end()
    with autolog.run() as later:
        later.log_metric("new", 3.0)
    autolog.flush(10)
    from autolog import _session

    for closer in _session.current().retiring_closers():
        closer.join(5)
    assert first.runs[run.run_id].history("after") == [(0, 2.0)]
    assert first.runs[run.run_id].status == "FINISHED"
    assert list(second.runs) == [later.run_id]
    hung.release.set()


class OutageBackend(MemoryBackend):
    """A server that is down until ``down`` is cleared: every call fails with a connection error."""

    name = "down"

    def __init__(self):
        super().__init__()
        self.down = True
        self.attempts = 0

    def _gate(self):
        self.attempts += 1
        if self.down:
            raise ConnectionError("connection refused")

    def start_run(self, run):
        self._gate()
        super().start_run(run)

    def log_metrics(self, run_id, metrics):
        self._gate()
        super().log_metrics(run_id, metrics)

    def end_run(self, end):
        self._gate()
        super().end_run(end)


def test_an_outage_spends_the_retry_budget_once_then_probes_and_delivers_everything(recwarn, monkeypatch):
    monkeypatch.setattr("autolog._dispatch.PROBE_FIRST_SECONDS", 0.2)
    down = OutageBackend()
    dispatcher = Dispatcher([down], flush_interval=0.05, retry_seconds=0.5)
    for index in range(6):
        dispatcher.emit(RunStart(f"r{index}", "exp", "n", time.time()))
        for step in range(50):
            dispatcher.emit(Metric(f"r{index}", "loss", float(step), step, time.time()))
        dispatcher.emit(RunEnd(f"r{index}", RunStatus.FINISHED, time.time()))
    assert not dispatcher.flush(5)  # the backend is aside: a flush does not wait for it
    assert any("has not answered for 0.5s" in str(w.message) for w in recwarn.list)
    # the budget was spent once (about 3 attempts), then probes at growing intervals: a budget per
    # call, or a busy loop, would have made many more attempts
    attempts = down.attempts
    time.sleep(1.0)
    assert down.attempts - attempts <= 4
    assert down.runs == {}
    down.down = False
    deadline = time.monotonic() + 30
    while not dispatcher.flush(1) and time.monotonic() < deadline:
        pass
    assert sorted(down.runs) == [f"r{index}" for index in range(6)]
    for run in down.runs.values():
        assert run.history("loss") == [(step, float(step)) for step in range(50)]
        assert run.status == "FINISHED"
    assert any("answers again" in str(w.message) for w in recwarn.list)
    assert dispatcher.close(1)
