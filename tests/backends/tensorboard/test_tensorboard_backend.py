"""The TensorBoard backend, read back through TensorBoard's own event reader and HParams plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from autolog.records import Artifact, ArtifactKind, Metric, ModelRecord, RunStatus


def test_scalars_keep_their_steps_and_values(driver: Any) -> None:
    run_id = driver.start()
    driver.metrics(run_id, [(key, step / 10, step) for step in range(100) for key in ("loss", "eval_loss")])
    driver.end(run_id)

    accumulator = driver.load(run_id)
    assert sorted(accumulator.Tags()["scalars"]) == ["eval_loss", "loss"]
    loss = [(e.step, e.value) for e in accumulator.Scalars("loss")]
    assert [step for step, _ in loss] == list(range(100))
    assert [value for _, value in loss] == pytest.approx([step / 10 for step in range(100)], rel=1e-6)


def test_points_of_one_step_share_one_event(driver: Any) -> None:
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto import event_pb2

    run_id = driver.start()
    driver.metrics(run_id, [(key, 1.0, step) for step in range(10) for key in ("a", "b", "c")])
    driver.end(run_id)

    (event_file,) = [p for p in Path(driver.run_dir(run_id)).iterdir() if "tfevents" in p.name]
    events = [event_pb2.Event.FromString(raw) for raw in RawEventFileLoader(str(event_file)).Load()]
    scalar_events = [e for e in events if e.summary.value and e.summary.value[0].HasField("simple_value")]
    assert len(scalar_events) == 10
    assert all(len(event.summary.value) == 3 for event in scalar_events)


def test_params_are_a_text_table_and_an_hparams_session(driver: Any, harness: Any) -> None:
    from autolog.backends.tensorboard import parse_markdown_table
    from tensorboard.plugins.hparams import metadata

    run_id = driver.start()
    params = {"lr": "0.001", "optimizer": "adam", "shuffle": "True", "layers": "[64, 32]", "pipe": "a|b"}
    driver.backend.log_params(run_id, params)
    driver.metrics(run_id, [("loss", 0.5, 1)])
    driver.end(run_id)

    accumulator = driver.load(run_id)
    table = harness.last_text(accumulator, "params")
    assert table.startswith("| param | value |")
    assert parse_markdown_table(table) == params
    start = harness.hparams_data(accumulator, metadata.SESSION_START_INFO_TAG).session_start_info
    assert start.hparams["lr"].number_value == 0.001
    assert start.hparams["shuffle"].bool_value is True
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["layers"].string_value == "[64, 32]"


def test_tags_are_a_text_table_rewritten_when_they_change(driver: Any, harness: Any) -> None:
    from autolog.backends.tensorboard import parse_markdown_table

    run_id = driver.start(tags={"team": "vision", "stage": "dev"})
    driver.backend.flush()
    driver.backend.set_tags(run_id, {"stage": "prod"})
    driver.end(run_id)

    accumulator = driver.load(run_id)
    tables = [e.tensor_proto.string_val[0].decode() for e in accumulator.Tensors("tags")]
    assert parse_markdown_table(tables[0]) == {"team": "vision", "stage": "dev"}
    assert parse_markdown_table(tables[-1]) == {"team": "vision", "stage": "prod"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (RunStatus.FINISHED, "STATUS_SUCCESS"),
        (RunStatus.FAILED, "STATUS_FAILURE"),
        (RunStatus.KILLED, "STATUS_FAILURE"),  # the plugin has no "aborted"
    ],
)
def test_the_run_end_is_an_hparams_session_end_with_its_status(
    driver: Any, harness: Any, status: RunStatus, expected: str
) -> None:
    from tensorboard.plugins.hparams import api_pb2, metadata

    run_id = driver.start()
    driver.end(run_id, status)

    end = harness.hparams_data(driver.load(run_id), metadata.SESSION_END_INFO_TAG).session_end_info
    assert api_pb2.Status.Name(end.status) == expected


def test_a_running_run_has_no_session_end_and_flush_makes_its_points_readable(driver: Any, harness: Any) -> None:
    from tensorboard.plugins.hparams import metadata

    run_id = driver.start()
    driver.backend.log_params(run_id, {"lr": "0.1"})
    driver.metrics(run_id, [("loss", 1.0, 0), ("loss", 0.5, 1)])
    driver.backend.flush()

    accumulator = driver.load(run_id)
    assert [(e.step, e.value) for e in accumulator.Scalars("loss")] == [(0, 1.0), (1, 0.5)]
    assert harness.hparams_data(accumulator, metadata.SESSION_START_INFO_TAG) is not None
    assert harness.hparams_data(accumulator, metadata.SESSION_END_INFO_TAG) is None


def test_one_folder_per_run_named_after_it_and_children_inside_their_parent(driver: Any, backend: Any) -> None:
    first = driver.start("same name")
    second = driver.start("same name")
    child = driver.start("trial", parent=first)
    default = driver.start(f"run-{'ab12cd34'}", run_id="ab12cd34" + "0" * 24)
    for run_id in (child, first, second, default):
        driver.end(run_id)

    top = sorted(os.listdir(backend.log_dir))
    assert top == sorted([f"same_name-{first[:8]}", f"same_name-{second[:8]}", "run-ab12cd34"])
    assert driver.run_dir(child) == os.path.join(backend.log_dir, f"same_name-{first[:8]}", f"trial-{child[:8]}")


def test_the_hparams_dashboard_compares_runs_with_their_final_metrics(driver: Any, backend: Any) -> None:
    """What the HParams dashboard serves, computed by the plugin's own request handler."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, list_session_groups

    runs = {}
    for lr, status in (("0.1", RunStatus.FINISHED), ("0.01", RunStatus.FAILED)):
        run_id = driver.start(f"lr-{lr}")
        driver.backend.log_params(run_id, {"lr": lr, "optimizer": "sgd"})
        driver.metrics(run_id, [("loss", 1.0 / (step + 1), step) for step in range(4)] + [("accuracy", 0.75, 3)])
        driver.end(run_id, status)
        runs[os.path.relpath(driver.run_dir(run_id), backend.log_dir)] = float(lr)

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(backend.log_dir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, backend.log_dir)
    plugin_context = backend_context.Context(base_plugin.TBContext(data_provider=provider, logdir=backend.log_dir))
    request = api_pb2.ListSessionGroupsRequest(
        start_index=0, slice_size=10, allowed_statuses=[api_pb2.STATUS_SUCCESS, api_pb2.STATUS_FAILURE]
    )
    response = list_session_groups.Handler(context.RequestContext(), plugin_context, "", request).run()

    assert response.total_size == 2
    for group in response.session_groups:
        (session,) = group.sessions
        assert group.hparams["lr"].number_value == runs[session.name]
        assert group.hparams["optimizer"].string_value == "sgd"
        finals = {value.name.tag: (value.training_step, value.value) for value in group.metric_values}
        assert finals["loss"] == (3, 0.25) and finals["accuracy"] == (3, 0.75)
    statuses = {s.name: api_pb2.Status.Name(s.status) for g in response.session_groups for s in g.sessions}
    assert sorted(statuses.values()) == ["STATUS_FAILURE", "STATUS_SUCCESS"]


def test_a_run_resumed_from_a_checkpoint_drops_the_points_logged_after_it(driver: Any, backend: Any) -> None:
    run_id = driver.start("resumable")
    driver.metrics(run_id, [("loss", float(step), step) for step in range(10)])
    driver.backend.close()  # the process died at step 9; the checkpoint is from step 5
    driver.start("resumable", run_id=run_id, resume_step=5)
    driver.metrics(run_id, [("loss", 100.0 + step, step) for step in range(6, 9)])
    driver.end(run_id)

    points = [(e.step, e.value) for e in driver.load(run_id).Scalars("loss")]
    assert points == [(s, float(s)) for s in range(6)] + [(s, 100.0 + s) for s in range(6, 9)]


def test_artifacts_are_not_copied_but_listed_as_text(driver: Any, harness: Any, tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(b"\0" * 32)
    run_id = driver.start()
    driver.backend.log_artifact(Artifact(run_id, str(source), "checkpoints/weights.bin", ArtifactKind.CHECKPOINT))
    driver.backend.log_model(ModelRecord(run_id, str(tmp_path), "model", "sklearn"))
    driver.end(run_id)

    assert [p for p in os.listdir(driver.run_dir(run_id)) if "tfevents" not in p] == []
    listing = harness.last_text(driver.load(run_id), "artifacts")
    assert listing == "* `checkpoints/weights.bin` (checkpoint)\n* `model` (model, flavor sklearn)"


def test_log_dir_comes_from_the_argument_the_environment_or_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autolog.backends.tensorboard import TensorBoardBackend

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOLOG_TENSORBOARD_DIR", raising=False)
    assert TensorBoardBackend().log_dir == str(tmp_path / "runs")
    monkeypatch.setenv("AUTOLOG_TENSORBOARD_DIR", str(tmp_path / "from-env"))
    assert TensorBoardBackend().log_dir == str(tmp_path / "from-env")
    assert TensorBoardBackend(str(tmp_path / "arg")).log_dir == str(tmp_path / "arg")


def test_per_point_cost_is_small(driver: Any, record_property: Any) -> None:
    run_id = driver.start()
    now = time.time()
    costs = {}
    for keys in (1, 10):
        points = [Metric(run_id, f"k{k}-{keys}", 0.5, step, now) for step in range(5000 // keys) for k in range(keys)]
        started = time.perf_counter()
        for index in range(0, len(points), 500):
            driver.backend.log_metrics(run_id, points[index : index + 500])
        driver.backend.flush()
        costs[keys] = (time.perf_counter() - started) / len(points)
        record_property(f"tensorboard_us_per_point_{keys}_keys_per_step", round(costs[keys] * 1e6, 1))
    driver.end(run_id)

    assert costs[1] < 100e-6 and costs[10] < 50e-6


def test_writing_needs_neither_tensorflow_nor_torch(tmp_path: Path) -> None:
    code = f"""
import sys, time, autolog.backends.tensorboard as tb
from autolog.records import Metric, RunEnd, RunStart, RunStatus
assert not any(m in sys.modules for m in ("tensorboard", "tensorflow", "torch"))
backend = tb.TensorBoardBackend({str(tmp_path)!r})
backend.start_run(RunStart("r" * 32, "e", "n", time.time()))
backend.log_params("r" * 32, {{"lr": "0.1"}})
backend.log_metrics("r" * 32, [Metric("r" * 32, "loss", 0.5, 1, time.time())])
backend.end_run(RunEnd("r" * 32, RunStatus.FINISHED, time.time()))
backend.close()
print(sorted(m for m in ("tensorflow", "torch") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert os.listdir(tmp_path) == ["n-rrrrrrrr"]


def test_the_hook_builds_the_backend_from_backend_options(tmp_path: Path) -> None:
    from autolog.backends import tensorboard as module

    from autolog.config import resolve

    config = resolve(backend_options={"tensorboard": {"log_dir": str(tmp_path)}})
    backend = module.autolog_make_backend(name="tensorboard", config=config)
    assert isinstance(backend, module.TensorBoardBackend) and backend.log_dir == str(tmp_path)
    assert module.autolog_make_backend(name="wandb", config=config) is None


def test_end_to_end_through_autolog(tmp_path: Path, harness: Any) -> None:
    from autolog.backends.tensorboard import parse_markdown_table

    import autolog

    log_dir = tmp_path / "tb-e2e"
    autolog.autolog(backends=["tensorboard"], backend_options={"tensorboard": {"log_dir": str(log_dir)}})
    with autolog.run(name="e2e-run", tags={"who": "test"}) as run:
        run.log_params({"lr": 0.1})
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    assert autolog.flush(timeout=30)

    run_dir = harness.find_run_dir(str(log_dir), run.run_id)
    assert os.path.basename(run_dir) == f"e2e-run-{run.run_id[:8]}"
    accumulator = harness.load(run_dir)
    assert [(e.step, e.value) for e in accumulator.Scalars("loss")] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert parse_markdown_table(harness.last_text(accumulator, "params")) == {"lr": "0.1"}
    assert parse_markdown_table(harness.last_text(accumulator, "tags"))["who"] == "test"


def test_a_detaching_process_writes_its_points_but_no_session_end(driver: Any, harness: Any) -> None:
    from tensorboard.plugins.hparams import metadata

    from autolog.records import RunEnd, RunStart

    run_id = "owned-elsewhere"
    attached = RunStart(run_id, driver.experiment, "project", time.time(), attach=True)
    driver.backend.on_run_start(attached)
    driver.call("start_run", attached)
    driver.metrics(run_id, [("loss", 1.0, 0)])
    driver.call("end_run", RunEnd(run_id, RunStatus.FAILED, time.time(), detach=True))

    accumulator = driver.load(run_id)
    assert [(e.step, e.value) for e in accumulator.Scalars("loss")] == [(0, 1.0)]
    assert harness.hparams_data(accumulator, metadata.SESSION_END_INFO_TAG) is None  # the owner ends it
