"""The chapter's snippets run with only the imports changed, in a real subprocess: on autolog's
local store (``import autolog as mlflow``), and through the MLflow backend to a real MLflow server
where MLflow itself loads the Trainer's model."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

pytest.importorskip("transformers")
pytest.importorskip("torch")


def _run(script: str, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, script), *args],
        capture_output=True, text=True, timeout=300, cwd=HERE, env=dict(os.environ),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_the_chapter_runs_on_the_local_store_with_only_the_import_changed(tmp_path):
    from autolog import Client

    tracking = tmp_path / "mlruns"
    lines = _run("chapter_local.py", str(tracking), str(tmp_path))
    client = Client(str(tracking))
    runs = {run.name: run for run in client.search_runs()}
    assert set(runs) == {"lora-r4", "lora-r8", "lora-r16"}
    assert lines[0] == f"registered 1 from {runs['lora-r8'].run_id[:8]}"
    assert lines[1:4] == ["stage Production", "alias 1", "loaded GPT2LMHeadModel GPT2LMHeadModel True True"]
    assert lines[4:] == [f"{runs['lora-r16'].run_id[:8]} 0.91 16", f"{runs['lora-r8'].run_id[:8]} 0.87 8"]
    r8 = runs["lora-r8"]
    assert [p.step for p in client.get_metric_history(r8.run_id, "train_loss")] == [0, 1, 2]
    assert [a.path for a in client.list_artifacts(r8.run_id, "docs")] == ["docs/notes.md"]
    assert r8.info.experiment_id == "1"
    assert client.get_model_version("gpt2-lora-qa", "1").run_id == r8.run_id


def test_the_chapter_runs_against_an_mlflow_server_through_the_mlflow_backend(mlflow_server, tmp_path):
    from mlflow import MlflowClient

    lines = _run("chapter_server.py", mlflow_server.url, str(tmp_path))
    assert [line for line in lines if line.startswith(("loaded", "champion"))] == [
        "loaded text-generation True", "champion True",
    ]
    client = MlflowClient(mlflow_server.url)
    (run,) = client.search_runs([client.get_experiment_by_name("gpt2-lora-qa").experiment_id])
    assert lines[-1] == f"{run.info.run_id[:8]} 8 ['epoch', 'eval_loss', 'eval_runtime'] True"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "warmup_loss")] == [0, 1, 2]
    assert {"lora_r", "base_model", "learning_rate"} <= set(run.data.params)  # the user's and the Trainer's
    assert [a.path for a in client.list_artifacts(run.info.run_id, "docs")] == ["docs/notes.md"]
    version = client.get_model_version("gpt2-lora-qa", "1")
    assert (version.current_stage, version.run_id, version.aliases) == ("Production", run.info.run_id, ["champion"])
