"""Explicit runs: logging, lifecycle, statuses, threads, bad values."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

import autolog


def test_run_logs_params_metrics_tags_and_ends_finished(memory):
    with autolog.run(name="baseline", experiment="exp", tags={"team": "nlp"}) as run:
        assert autolog.active_run() is run
        run.log_params({"lr": 0.01, "layers": [1, 2]})
        run.log_metrics({"loss": 0.5, "acc": 0.9}, step=1)
        run.log_metric("loss", 0.25, step=2)
        run.set_tag("stage", "dev")
    assert autolog.active_run() is None
    autolog.flush(10)
    got = memory.runs[run.run_id]
    assert got.start.name == "baseline" and got.start.experiment == "exp"
    assert got.params == {"lr": "0.01", "layers": "[1, 2]"}
    assert got.history("loss") == [(1, 0.5), (2, 0.25)]
    assert got.tags == {"team": "nlp", "stage": "dev"}
    assert got.status == "FINISHED"


def test_user_exception_marks_run_failed_and_passes_through_unchanged(memory):
    error = ValueError("bad batch")
    with pytest.raises(ValueError) as caught, autolog.run() as run:
        raise error
    assert caught.value is error
    autolog.flush(10)
    assert memory.runs[run.run_id].status == "FAILED"


def test_keyboard_interrupt_marks_run_killed(memory):
    with pytest.raises(KeyboardInterrupt), autolog.run() as run:
        raise KeyboardInterrupt
    autolog.flush(10)
    assert memory.runs[run.run_id].status == "KILLED"


def test_nested_run_becomes_child_and_parent_is_restored(memory):
    with autolog.run(name="parent") as parent:
        with autolog.run(name="child") as child:
            assert autolog.active_run() is child
        assert autolog.active_run() is parent
    autolog.flush(10)
    assert memory.runs[child.run_id].start.parent_run_id == parent.run_id
    assert memory.runs[parent.run_id].start.parent_run_id is None


def test_param_keeps_first_value_and_warns_once(memory):
    with autolog.run() as run:
        run.log_param("lr", 0.1)
        with pytest.warns(autolog.AutologWarning, match="immutable"):
            run.log_param("lr", 0.2)
        run.log_param("lr", 0.3)  # same key again: already warned, still no exception
        run.log_param("lr", 0.1)
    autolog.flush(10)
    assert memory.runs[run.run_id].params == {"lr": "0.1"}


def test_odd_metric_values_are_skipped_with_a_warning_not_an_exception(memory):
    np = pytest.importorskip("numpy")
    with autolog.run() as run:
        run.log_metric("np", np.float32(0.5))
        run.log_metric("int", 3)
        with pytest.warns(autolog.AutologWarning, match="not a number"):
            run.log_metric("text", "high")
        run.log_metric("nan", float("nan"))
    autolog.flush(10)
    got = memory.runs[run.run_id].latest()
    assert got["np"] == 0.5 and got["int"] == 3.0 and "text" not in got
    assert got["nan"] != got["nan"]


def test_values_and_steps_no_float_can_hold_are_skipped_with_one_warning_each(memory, monkeypatch):
    monkeypatch.delenv("AUTOLOG_TESTING")
    with autolog.run() as run:
        with pytest.warns(autolog.AutologWarning, match="not a number a float can hold"):
            run.log_metric("huge", 10**400)
        with pytest.warns(autolog.AutologWarning, match="step is not a whole number"):
            run.log_metric("loss", 0.5, step="abc")
        with pytest.warns(autolog.AutologWarning, match="step is not a whole number"):
            run.log_metric("loss", 0.5, step=float("nan"))
        run.log_metric("loss", 0.25, step=2.0)  # a whole float step is fine
        run.log_metric("flag", True)  # a bool is 1.0, as in MLflow
    autolog.flush(10)
    got = memory.runs[run.run_id]
    assert got.history("loss") == [(2, 0.25)] and "huge" not in got.metrics
    assert got.latest()["flag"] == 1.0 and got.status == "FINISHED"


def test_huge_param_value_is_kept_whole(memory):
    value = "x" * 100_000
    with autolog.run() as run:
        run.log_param("prompt", value)
    autolog.flush(10)
    assert memory.runs[run.run_id].params["prompt"] == value


def test_logging_after_end_is_ignored_with_a_warning(memory):
    run = autolog.run()
    run.end()
    with pytest.warns(autolog.AutologWarning, match="after it ended"):
        run.log_params({"late": 1})
    autolog.flush(10)
    assert memory.runs[run.run_id].params == {}


def test_threads_log_to_separate_runs_at_once(memory):
    barrier = threading.Barrier(4)
    ids: dict[int, str] = {}

    def work(index: int) -> None:
        with autolog.run(name=f"t{index}") as run:
            ids[index] = run.run_id
            barrier.wait()
            assert autolog.active_run() is run
            for step in range(200):
                run.log_metric("value", float(index), step=step)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    autolog.flush(10)
    for index, run_id in ids.items():
        history = memory.runs[run_id].history("value")
        assert len(history) == 200 and {v for _, v in history} == {float(index)}


def test_runs_left_open_at_exit_are_ended(tmp_path):
    """An explicit run still open at exit ends FINISHED (as MLflow does), in the local store."""
    pytest.importorskip("autolog.client")
    script = textwrap.dedent(
        f"""
        import autolog
        autolog.autolog(tracking_dir={str(tmp_path)!r})
        run = autolog.run(name="left-open")
        run.log_metric("m", 1.0)
        print(run.run_id)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    run_id = out.stdout.strip()
    got = autolog.Client(str(tmp_path)).get_run(run_id)
    assert got.status == "FINISHED" and got.metrics == {"m": 1.0}
