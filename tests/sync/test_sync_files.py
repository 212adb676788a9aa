"""``autolog sync`` to W&B offline files and TensorBoard event files, read back with the
backends' harness readers; a third-party backend through the plugin hook; syncing twice adds no
file and no row."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import pytest
from views import local_runs

import autolog
from autolog import _plugins
from autolog.sdk import hookimpl
from autolog.testing import MemoryBackend


def test_wandb_offline_runs_read_back_equal_to_the_local_store(store: str, tmp_path: Path, wandb_sandbox: Any) -> None:
    import harness_wandb
    from autolog.backends.wandb import STEP_KEY, TAGS_CONFIG_KEY, wandb_run_id

    options = {"dir": str(tmp_path / "wb"), "mode": "offline", "settings": harness_wandb.QUIET_SETTINGS,
               "prefix_metrics": False}
    summary = autolog.sync("wandb", tracking_dir=store, options=options)
    local = local_runs(store)
    assert summary.runs_sent == len(local) and summary.failed == {}
    for run_id, mine in local.items():
        theirs = harness_wandb.read_offline_run(options["dir"], wandb_run_id(run_id))
        run = mine.run
        params = {k: v if isinstance(v, str) else str(v) for k, v in theirs.config.items()
                  if k not in ("_wandb", TAGS_CONFIG_KEY)}
        assert params == run.params
        assert theirs.config.get(TAGS_CONFIG_KEY, {}) == {k: v for k, v in run.tags.items() if k != "mlflow.parentRunId"}
        assert harness_wandb.status_of(theirs) == run.status
        for key, points in mine.history.items():
            series = theirs.series(key, STEP_KEY)
            assert [s for s, _ in series] == [s for s, _, _ in points], key
            assert [v for _, v in series] == pytest.approx([v for _, v, _ in points], nan_ok=True), key
        if run.parent_run_id:
            assert theirs.group is not None
        stored = {p for p in mine.files if not p.startswith("plots/")}
        assert stored <= harness_wandb.artifact_paths(theirs) | {p for p in stored if p.startswith("model/")}
    files = glob.glob(os.path.join(options["dir"], "wandb", "*-run-*"))
    again = autolog.sync("wandb", tracking_dir=store, options=options)
    assert (again.runs_sent, again.points) == (0, 0)
    assert glob.glob(os.path.join(options["dir"], "wandb", "*-run-*")) == files


def test_tensorboard_event_files_read_back_equal_to_the_local_store(store: str, tmp_path: Path) -> None:
    import harness_tensorboard
    from autolog.backends.tensorboard import PARAMS_TAG, TAGS_TAG, parse_markdown_table

    log_dir = str(tmp_path / "tb")
    summary = autolog.sync("tensorboard", tracking_dir=store, options={"log_dir": log_dir})
    local = local_runs(store)
    assert summary.runs_sent == len(local)
    for run_id, mine in local.items():
        folder = harness_tensorboard.find_run_dir(log_dir, run_id)
        if mine.run.parent_run_id:  # a child's folder sits in its parent's
            assert os.path.dirname(folder) == harness_tensorboard.find_run_dir(log_dir, mine.run.parent_run_id)
        events = harness_tensorboard.load(folder)
        for key, points in mine.history.items():
            scalars = events.Scalars(key)
            assert [e.step for e in scalars] == [s for s, _, _ in points]
            assert [e.value for e in scalars] == pytest.approx([v for _, v, _ in points], rel=1e-6, nan_ok=True)
            assert [e.wall_time for e in scalars] == pytest.approx([t for _, _, t in points])
        params = harness_tensorboard.last_text(events, PARAMS_TAG)
        assert (parse_markdown_table(params) if params else {}) == mine.run.params
        tags = parse_markdown_table(harness_tensorboard.last_text(events, TAGS_TAG) or "")
        assert tags == {k: v for k, v in mine.run.tags.items() if k != "mlflow.parentRunId"}
    event_files = sorted(glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True))
    again = autolog.sync("tensorboard", tracking_dir=store, options={"log_dir": log_dir})
    assert (again.runs_sent, again.points) == (0, 0)
    assert sorted(glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True)) == event_files


class _Plugin:
    """A third-party plugin providing the backend ``memo``."""

    BACKEND_NAMES = ("memo",)

    def __init__(self) -> None:
        self.built: list[MemoryBackend] = []

    @hookimpl
    def autolog_make_backend(self, name: str, config: Any) -> MemoryBackend | None:
        if name != "memo":
            return None
        self.built.append(MemoryBackend(**config.backend_options.get("memo", {})))
        return self.built[-1]


def test_a_plugin_backend_receives_every_record_once(store: str, fresh_plugins: Any) -> None:
    plugin = _Plugin()
    _plugins.register(plugin, "memo-plugin")
    autolog.sync("memo", tracking_dir=store)
    (backend,) = plugin.built
    local = local_runs(store)
    assert set(backend.runs) == set(local)
    for run_id, mine in local.items():
        got = backend.runs[run_id]
        assert got.params == mine.run.params
        assert got.status == mine.run.status
        for key, points in mine.history.items():
            assert [(p.step, p.timestamp) for p in got.metrics[key]] == [(s, t) for s, _, t in points]
    assert autolog.sync("memo", tracking_dir=store).runs_sent == 0
    assert len(plugin.built) == 2 and plugin.built[1].runs == {}


def test_the_offline_then_sync_example_trains_then_syncs_once(tmp_path: Path, mlflow_uri: str) -> None:
    import subprocess
    import sys

    from mlflow import MlflowClient
    from views import mlflow_runs_by_autolog_id

    example = Path(__file__).parents[2] / "examples" / "offline_then_sync.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env["AUTOLOG_DIR"] = str(tmp_path / "autolog-runs")
    offline = subprocess.run([sys.executable, str(example)], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300)
    assert offline.returncode == 0, offline.stderr[-2000:]
    assert "trained: 5 runs in the local store" in offline.stdout
    done = subprocess.run([sys.executable, str(example), mlflow_uri], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = [line for line in done.stdout.splitlines() if line.startswith("mlflow")]
    assert "sent 10 of 10 runs" in first and "sent 0 of 10 runs (10 up to date)" in second
    assert "sync to mlflow: runs 10/10" in done.stderr
    local = local_runs(env["AUTOLOG_DIR"])
    remote = mlflow_runs_by_autolog_id(MlflowClient(mlflow_uri))
    assert all(len(remote[run_id]) == 1 for run_id in local)


def test_points_rewritten_after_a_checkpoint_resume_are_sent(tmp_path: Path) -> None:
    from autolog.backends.local import LocalBackend

    from autolog.records import Metric, RunEnd, RunStart, RunStatus

    store = str(tmp_path / "store")
    writer = LocalBackend(store)
    writer.write_batch([RunStart("r1", "e", "resumed", 100.0)] + [Metric("r1", "loss", 1.0, s, 100.0 + s) for s in range(10)])
    first = MemoryBackend()
    assert autolog.sync(first, tracking_dir=store).points == 10
    # the run resumes from its checkpoint at step 5: the store drops steps 6-9 (the table's last
    # rows, whose row ids SQLite hands out again) and the new attempt logs them anew
    writer.write_batch([RunStart("r1", "e", "resumed", 100.0, resume_step=5)]
                       + [Metric("r1", "loss", 2.0, s, 200.0 + s) for s in range(6, 10)]
                       + [RunEnd("r1", RunStatus.FINISHED, 300.0)])
    writer.close()
    second = MemoryBackend()
    summary = autolog.sync(second, tracking_dir=store)
    assert summary.points == 4
    assert second.runs["r1"].history("loss") == [(s, 2.0) for s in range(6, 10)]
    assert second.runs["r1"].status == "FINISHED"


def test_the_cli_dry_run_lists_runs_and_writes_nothing(store: str, tmp_path: Path, capsys: Any) -> None:
    from autolog.cli import main

    log_dir = tmp_path / "tb"
    assert main(["sync", "--to", "tensorboard", "--dir", store, "--option", f"log_dir={log_dir}", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(local_runs(store)) + 1 and err == ""
    manual = next(line for line in lines if "  manual  " in line)
    assert "new: 2 params, " in manual and ", 601 metric points, " in manual and manual.endswith("end FINISHED")
    assert lines[-1].startswith(f"tensorboard (log_dir={log_dir}): would send 7 of 7 runs (0 up to date), ")
    assert not log_dir.exists()
    assert main(["sync", "--to", "tensorboard", "--dir", store, "--option", f"log_dir={log_dir}"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"tensorboard (log_dir={log_dir}): sent 7 of 7 runs")
    assert "sync to tensorboard: runs 7/7, points " in err


@pytest.mark.parametrize("target", ["wandb", "tensorboard"])
def test_a_run_synced_while_running_then_ended_is_one_complete_run(target: str, tmp_path: Path, request: Any) -> None:
    from autolog.backends.local import LocalBackend

    from autolog.records import Metric, RunEnd, RunStart, RunStatus

    store = str(tmp_path / "store")
    writer = LocalBackend(store)
    writer.write_batch([RunStart("growing1", "e", "growing", 1000.0)]
                       + [Metric("growing1", "loss", 1.0 / (s + 1), s, 1000.0 + s) for s in range(100)])
    if target == "wandb":
        import harness_wandb

        request.getfixturevalue("wandb_sandbox")
        options: dict[str, Any] = {"dir": str(tmp_path / "wb"), "mode": "offline", "prefix_metrics": False,
                                   "settings": harness_wandb.QUIET_SETTINGS}
    else:
        options = {"log_dir": str(tmp_path / "tb")}
    assert autolog.sync(target, tracking_dir=store, options=options).points == 100
    writer.write_batch([Metric("growing1", "loss", 1.0 / (s + 1), s, 1000.0 + s) for s in range(100, 200)]
                       + [RunEnd("growing1", RunStatus.FINISHED, 1300.0)])
    writer.close()
    assert autolog.sync(target, tracking_dir=store, options=options).points == 100
    expected = [(s, pytest.approx(1.0 / (s + 1))) for s in range(200)]
    if target == "wandb":
        from autolog.backends.wandb import STEP_KEY

        run = harness_wandb.read_offline_run(options["dir"], "growing1")
        assert run.series("loss", STEP_KEY) == expected
        assert harness_wandb.status_of(run) == "FINISHED"
    else:
        import harness_tensorboard
        from tensorboard.plugins.hparams import api_pb2, metadata

        events = harness_tensorboard.load(harness_tensorboard.find_run_dir(options["log_dir"], "growing1"))
        assert [(e.step, e.value) for e in events.Scalars("loss")] == expected
        end = harness_tensorboard.hparams_data(events, metadata.SESSION_END_INFO_TAG)
        assert api_pb2.Status.Name(end.session_end_info.status) == "STATUS_SUCCESS"
