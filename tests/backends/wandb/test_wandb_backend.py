"""The W&B backend against real offline wandb runs, read back from their ``.wandb`` files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from autolog.records import ArtifactKind, Metric, ModelRecord, RunStatus


def harness() -> Any:
    """``tests/backends/harness_wandb.py`` (loaded by this folder's conftest): the offline-file reader."""
    return sys.modules["harness_wandb"]


def test_run_id_name_and_project_come_from_the_autolog_run(driver: Any) -> None:
    run_id = driver.start("first-run")
    driver.end(run_id)

    run = driver.read(run_id)
    assert run.run_id == run_id
    assert run.name == "first-run"
    assert run.project == driver.experiment
    assert run.exit_code == 0


def test_params_land_in_config_typed_only_when_lossless(driver: Any) -> None:
    run_id = driver.start()
    params = {"lr": "0.001", "epochs": "3", "shuffle": "True", "opt": "adam", "sci": "1e-3", "zip": "007"}
    driver.call("log_params", run_id, params)
    driver.end(run_id)

    config = driver.read(run_id).config
    assert (config["lr"], config["epochs"], config["shuffle"], config["opt"]) == (0.001, 3, True, "adam")
    assert (config["sci"], config["zip"]) == ("1e-3", "007")  # str() would not give them back


def test_a_changed_param_is_refused_with_a_warning(driver: Any) -> None:
    run_id = driver.start()
    driver.call("log_params", run_id, {"lr": "0.1"})
    with pytest.warns(UserWarning, match="already has different values"):
        driver.call("log_params", run_id, {"lr": "0.2", "batch": "8"})
    driver.end(run_id)

    config = driver.read(run_id).config
    assert (config["lr"], config["batch"]) == (0.1, 8)


def test_metrics_are_named_like_transformers_and_plotted_against_the_global_step(driver: Any) -> None:
    run_id = driver.start()
    driver.metrics(
        run_id,
        [
            ("loss", 0.9, 10), ("learning_rate", 1e-3, 10), ("epoch", 0.5, 10),
            ("loss", 0.7, 20), ("learning_rate", 9e-4, 20), ("epoch", 1.0, 20),
            ("eval_loss", 0.8, 20), ("eval_accuracy", 0.6, 20),
            ("test_f1", 0.5, 20), ("train_runtime", 12.5, 20), ("custom/acc", 0.4, 20),
        ],
    )
    driver.end(run_id)

    run = driver.read(run_id)
    assert run.series("train/loss") == [(10, 0.9), (20, 0.7)]
    assert run.series("train/learning_rate") == [(10, 1e-3), (20, 9e-4)]
    assert run.series("train/epoch") == [(10, 0.5), (20, 1.0)]
    assert run.series("eval/loss") == [(20, 0.8)] and run.series("eval/accuracy") == [(20, 0.6)]
    assert run.series("test/f1") == [(20, 0.5)] and run.series("train/runtime") == [(20, 12.5)]
    assert run.series("custom/acc") == [(20, 0.4)]
    assert ("train/global_step", "") in run.metric_axes
    assert ("*", "train/global_step") in run.metric_axes


def test_points_of_one_step_become_one_history_row(driver: Any) -> None:
    run_id = driver.start()
    points = [(key, float(step), step) for step in range(50) for key in ("loss", "accuracy", "lr")]
    driver.metrics(run_id, points)
    driver.end(run_id)

    history = driver.read(run_id).history
    assert len(history) == 50
    assert all({"train/loss", "train/accuracy", "train/lr", "train/global_step"} <= set(row) for row in history)
    assert [row["train/global_step"] for row in history] == list(range(50))


def test_a_key_repeated_within_one_step_starts_a_new_row(driver: Any) -> None:
    run_id = driver.start()
    driver.metrics(run_id, [("loss", 1.0, 5), ("loss", 2.0, 5)])
    driver.end(run_id)

    assert driver.read(run_id).series("train/loss") == [(5, 1.0), (5, 2.0)]


def test_prefixing_can_be_turned_off(make_driver: Any) -> None:
    driver = make_driver(prefix_metrics=False)
    run_id = driver.start()
    driver.metrics(run_id, [("loss", 0.5, 1), ("eval_loss", 0.6, 1)])
    driver.end(run_id)

    run = driver.read(run_id)
    assert run.series("loss") == [(1, 0.5)] and run.series("eval_loss") == [(1, 0.6)]


def test_summary_holds_final_values_and_the_run_status(driver: Any) -> None:
    ok = driver.start("ok")
    driver.metrics(ok, [("loss", 0.9, 1), ("loss", 0.3, 2)])
    driver.end(ok)
    failed = driver.start("failed")
    driver.end(failed, RunStatus.FAILED)
    killed = driver.start("killed")
    driver.end(killed, RunStatus.KILLED)

    run = driver.read(ok)
    assert run.summary["train/loss"] == 0.3 and run.summary["train/global_step"] == 2
    assert (run.summary["status"], run.exit_code) == ("FINISHED", 0)
    assert (driver.read(failed).summary["status"], driver.read(failed).exit_code) == ("FAILED", 1)
    assert (driver.read(killed).summary["status"], driver.read(killed).exit_code) == ("KILLED", 1)


def test_tags_go_to_config_and_short_ones_to_run_tags(driver: Any) -> None:
    long_value = "x" * 100
    run_id = driver.start(tags={"team": "vision", "stage": "dev"})
    driver.call("set_tags", run_id, {"stage": "prod", "notes": long_value})
    driver.end(run_id)

    run = driver.read(run_id)
    assert run.config["autolog_tags"] == {"team": "vision", "stage": "prod", "notes": long_value}
    assert sorted(run.tags) == ["stage:prod", "team:vision"]  # W&B tags hold 64 characters at most


def test_artifacts_become_wandb_artifacts_typed_by_kind(driver: Any, tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    checkpoint = tmp_path / "checkpoint-500"
    checkpoint.mkdir()
    (checkpoint / "weights.bin").write_bytes(b"\0" * 16)
    run_id = driver.start()
    driver.artifact(run_id, tmp_path / "readme.txt", "notes/readme.txt")
    driver.artifact(run_id, tmp_path / "data.csv", None, ArtifactKind.FILE)
    driver.artifact(run_id, checkpoint, "checkpoints/checkpoint-500", ArtifactKind.CHECKPOINT, aliases=("best",))
    driver.end(run_id)

    run = driver.read(run_id)
    arts = {art["name"]: art for art in run.artifacts}
    readme, data = arts[f"run-{run_id}-notes-readme.txt"], arts[f"run-{run_id}-data.csv"]
    ckpt = arts[f"checkpoint-{run_id}"]
    assert (readme["type"], readme["files"]) == ("file", ["readme.txt"])
    assert readme["metadata"]["artifact_path"] == "notes/readme.txt"
    assert (data["type"], data["files"]) == ("file", ["data.csv"])
    assert (ckpt["type"], ckpt["files"]) == ("model", ["weights.bin"])
    assert {"latest", "best", "checkpoint-500"} <= set(ckpt["aliases"])
    assert harness().artifact_paths(run) >= {"notes/readme.txt", "data.csv", "checkpoints/checkpoint-500/weights.bin"}


def test_a_model_is_a_model_artifact_with_its_description_as_metadata(driver: Any, tmp_path: Path) -> None:
    model_dir = tmp_path / "staged-model"
    model_dir.mkdir()
    (model_dir / "model.pkl").write_bytes(b"pickle")
    (model_dir / "autolog-model.json").write_text(json.dumps({"format": 1, "flavor": "sklearn"}))
    run_id = driver.start()
    signature = {"inputs": [{"name": "x", "type": "double"}], "outputs": []}
    driver.model(ModelRecord(run_id, str(model_dir), "model", "sklearn", signature, None, ("scikit-learn==1.5",)))
    driver.end(run_id)

    (art,) = driver.read(run_id).artifacts
    assert (art["name"], art["type"]) == (f"model-{run_id}", "model")
    assert sorted(art["files"]) == ["autolog-model.json", "model.pkl"]
    assert art["metadata"]["flavor"] == "sklearn"
    assert art["metadata"]["signature"] == signature
    assert art["metadata"]["requirements"] == ["scikit-learn==1.5"]


def test_a_vanished_artifact_file_warns_and_does_not_fail_the_call(driver: Any, tmp_path: Path) -> None:
    run_id = driver.start()
    with pytest.warns(UserWarning, match="no longer exists"):
        driver.artifact(run_id, tmp_path / "gone.txt")
    driver.end(run_id)

    assert driver.read(run_id).artifacts == []


def test_a_child_run_is_grouped_under_its_parent(driver: Any) -> None:
    parent = driver.start("search")
    child = driver.start("trial-1", parent=parent)
    driver.end(child)
    driver.end(parent)

    assert driver.read(child).group == "search"


def test_several_runs_can_be_open_at_once(driver: Any) -> None:
    a, b = driver.start("a"), driver.start("b")
    driver.metrics(a, [("loss", 1.0, 0)])
    driver.metrics(b, [("loss", 2.0, 0)])
    driver.end(a)
    driver.metrics(b, [("loss", 3.0, 1)])
    driver.end(b)

    assert driver.read(a).series("train/loss") == [(0, 1.0)]
    assert driver.read(b).series("train/loss") == [(0, 2.0), (1, 3.0)]


def test_a_resumed_run_continues_the_same_wandb_run(driver: Any) -> None:
    run_id = driver.start("resumable")
    driver.metrics(run_id, [("loss", 1.0, 1)])
    driver.end(run_id, RunStatus.KILLED)
    driver.start("resumable", run_id=run_id, resume_step=1)
    driver.metrics(run_id, [("loss", 0.5, 2)])
    driver.end(run_id)

    run = driver.read(run_id)
    assert len(harness().run_files(driver.wandb_dir, run_id)) == 2
    assert run.series("train/loss") == [(1, 1.0), (2, 0.5)]
    assert run.summary["status"] == "FINISHED"


def test_a_run_the_user_opened_receives_the_records_and_stays_open(driver: Any) -> None:
    import wandb

    reader = harness()
    user_run = wandb.init(
        project="mine", id="user-run-1", dir=driver.wandb_dir, mode="offline", settings=reader.QUIET_SETTINGS
    )
    try:
        run_id = driver.start("autologged", tags={"source": "autolog"})
        driver.call("log_params", run_id, {"lr": "0.01"})
        driver.metrics(run_id, [("loss", 0.4, 3)])
        driver.end(run_id)
        assert not user_run._is_finished
        user_run.log({"my_metric": 1.0})
    finally:
        user_run.finish()

    run = reader.read_offline_run(driver.wandb_dir, "user-run-1")
    assert run.config["lr"] == 0.01 and run.config["autolog_tags"] == {"source": "autolog"}
    assert run.series("train/loss") == [(3, 0.4)]
    assert ("train/loss", "train/global_step") in run.metric_axes
    assert not any(glob_name == "*" for glob_name, _ in run.metric_axes)  # the user's own axes untouched
    assert "status" not in run.summary and run.summary["my_metric"] == 1.0
    assert reader.run_files(driver.wandb_dir, run_id) == []  # no second W&B run


def test_without_credentials_or_mode_runs_go_offline_with_one_warning(
    make_driver: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import wandb

    monkeypatch.delenv("WANDB_MODE")
    wandb.teardown()  # wandb re-reads its environment: no mode, no key, no netrc
    try:
        driver = make_driver(mode=None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first, second = driver.start("one"), driver.start("two")
            driver.end(first)
            driver.end(second)
        ours = [w for w in caught if "no W&B credentials" in str(w.message)]
        assert len(ours) == 1
        assert driver.read(first).exit_code == 0 and driver.read(second).exit_code == 0
        assert all("offline-run-" in path for path in harness().run_files(driver.wandb_dir, first))
    finally:
        wandb.teardown()


def test_with_netrc_credentials_the_mode_is_left_to_wandb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import wandb
    from autolog.backends.wandb import WandbBackend

    monkeypatch.delenv("WANDB_MODE")
    wandb.teardown()
    try:
        host = wandb.setup().settings.base_url.split("://", 1)[-1].split("/")[0]
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine {host}\n  login user\n  password {'k' * 40}\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert WandbBackend()._mode() is None  # wandb.init decides: online, with that key
    finally:
        wandb.teardown()


def test_the_step_metric_itself_is_not_logged_twice(driver: Any) -> None:
    run_id = driver.start()
    driver.metrics(run_id, [("global_step", 7.0, 7), ("loss", 0.1, 7)])
    driver.end(run_id)

    (row,) = driver.read(run_id).history
    assert row["train/global_step"] == 7 and row["train/loss"] == 0.1


def test_per_point_cost_is_bounded(driver: Any, record_property: Any) -> None:
    """wandb pays ~0.1-0.5 ms per ``run.log`` call (a socket hop to its service), so grouping a
    step's keys into one row is what keeps the per-point cost down."""
    run_id = driver.start()
    now = time.time()
    rows, keys = 200, 10
    points = [Metric(run_id, f"k{k}", 0.5, step, now) for step in range(rows) for k in range(keys)]
    started = time.perf_counter()
    driver.call("log_metrics", run_id, points)
    per_point = (time.perf_counter() - started) / len(points)
    record_property("wandb_us_per_point_10_keys_per_step", round(per_point * 1e6, 1))
    driver.end(run_id)

    assert len(driver.read(run_id).history) == rows
    assert per_point < 1e-3


def test_importing_the_backend_imports_no_sdk() -> None:
    code = (
        "import sys, autolog, autolog.backends.wandb as b; b.WandbBackend(project='p');"
        "print(sorted(m for m in ('wandb', 'tensorboard', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "[]"


def test_the_hook_builds_the_backend_from_backend_options() -> None:
    from autolog.backends import wandb as module

    from autolog.config import resolve

    config = resolve(backend_options={"wandb": {"project": "p", "mode": "offline", "prefix_metrics": False}})
    backend = module.autolog_make_backend(name="wandb", config=config)
    assert isinstance(backend, module.WandbBackend)
    assert (backend.project, backend.mode, backend.prefix_metrics) == ("p", "offline", False)
    assert module.autolog_make_backend(name="tensorboard", config=config) is None


def test_end_to_end_through_autolog(tmp_path: Path) -> None:
    import autolog

    reader = harness()
    wandb_dir = tmp_path / "e2e"
    wandb_dir.mkdir()
    options = {"dir": str(wandb_dir), "mode": "offline", "project": "e2e", "settings": reader.QUIET_SETTINGS}
    autolog.autolog(backends=["wandb"], backend_options={"wandb": options})
    with autolog.run(name="e2e-run", tags={"who": "test"}) as run:
        run.log_params({"lr": 0.1})
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metric("eval_loss", 0.5, step=2)
    assert autolog.flush(timeout=30)

    stored = reader.read_offline_run(str(wandb_dir), run.run_id)
    assert stored.name == "e2e-run" and stored.project == "e2e"
    assert stored.config["lr"] == 0.1 and stored.config["autolog_tags"]["who"] == "test"
    assert stored.series("train/loss") == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert stored.series("eval/loss") == [(2, 0.5)]
    assert stored.summary["status"] == "FINISHED" and stored.exit_code == 0


def test_a_run_left_open_at_exit_is_ended_before_wandb_shuts_down(tmp_path: Path) -> None:
    """wandb's exit hook stops its service; autolog's exit work must come first, completely."""
    reader = harness()
    wandb_dir = tmp_path / "exit"
    script = f"""
import autolog
options = {{"dir": {str(wandb_dir)!r}, "mode": "offline", "settings": {reader.QUIET_SETTINGS!r}}}
autolog.autolog(backends=["wandb"], backend_options={{"wandb": options}})
run = autolog.run(name="left-open")
run.log_metric("loss", 1.0, step=0)
autolog.flush(timeout=30)  # the W&B run exists now
run.log_metric("loss", 0.5, step=1)  # still queued when the script ends
print(run.run_id)
"""
    # no retrying against a stopped service: a script that waited on it would run into the timeout
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)

    stored = reader.read_offline_run(str(wandb_dir), out.stdout.split()[-1])
    assert stored.series("train/loss") == [(0, 1.0), (1, 0.5)]
    assert stored.summary["status"] == "FINISHED" and stored.exit_code == 0
