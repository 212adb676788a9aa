"""A Trainer's model through the MLflow backend: MLflow's native ``transformers`` flavor, stored as
an MLflow 3 LoggedModel (with one per checkpoint, at its step), loadable by MLflow from
``runs:/`` and from ``models:/name@alias``, and still by ``autolog.load_model``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import harness_mlflow
import pytest
import tiny_transformers

import autolog

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def mlflow_here(tracking_uri: str) -> Iterator[Any]:
    """mlflow with its global tracking URI on the test server: MLflow resolves ``models:/`` and
    a LoggedModel's artifacts through it."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    yield mlflow
    mlflow.set_tracking_uri(previous)


def _train(tracking_uri: str, tmp_path: Any, **options: Any) -> tuple[Any, Any, Any]:
    """Train the tiny GPT-2 with autolog sending to the server; (trainer, autolog run, MLflow run)."""
    from mlflow import MlflowClient

    autolog.autolog(
        backends=["mlflow"], backend_options={"mlflow": {"tracking_uri": tracking_uri}},
        experiment=f"transformers-{uuid.uuid4().hex[:8]}", **options,
    )
    trainer = tiny_transformers.trainer(str(tmp_path / "out"))
    with autolog.run(name="tiny-lm") as run:
        trainer.train()
    assert autolog.flush(120)
    found = harness_mlflow.find_run(MlflowClient(tracking_uri), run.run_id)
    assert found is not None
    return trainer, run, found


def _same_weights(a: Any, b: Any) -> bool:
    theirs = b.state_dict()
    return all(torch.equal(value, theirs[key]) for key, value in a.state_dict().items())


def test_trainer_model_loads_with_mlflow_transformers_pyfunc_and_by_alias(tracking_uri, mlflow_here, tmp_path):
    mlflow = mlflow_here
    name = f"tiny-lm-{uuid.uuid4().hex[:6]}"
    trainer, _, mlflow_run = _train(
        tracking_uri, tmp_path, registered_model_name=name, registered_model_alias="champion",
        transformers={"log_checkpoints": "last"},
    )
    uri = f"runs:/{mlflow_run.info.run_id}/model"

    pipeline = mlflow.transformers.load_model(uri)
    assert pipeline.task == "text-generation"
    assert _same_weights(trainer.model, pipeline.model)
    assert pipeline.tokenizer.get_vocab() == trainer.processing_class.get_vocab()
    generated = pipeline("the good movie")[0]["generated_text"]
    assert generated.startswith("the good movie")

    by_alias = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    (prediction,) = by_alias.predict(["the good"])
    assert isinstance(prediction, str) and prediction.startswith("the good")
    version = mlflow.MlflowClient(tracking_uri).get_model_version_by_alias(name, "champion")
    assert version.run_id == mlflow_run.info.run_id and version.source.startswith("models:/m-")

    local = mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "download"))
    model, tokenizer = autolog.load_model(local)  # autolog's loader reads MLflow's folders
    assert _same_weights(trainer.model, model)
    assert tokenizer.get_vocab() == trainer.processing_class.get_vocab()
    weights = [f for _, _, files in os.walk(local) for f in files if f.endswith(".safetensors")]
    assert weights == ["model.safetensors"]  # stored once, shared by both formats


def test_checkpoints_and_the_final_model_are_logged_models_ranked_by_their_step_metrics(
    tracking_uri, mlflow_here, tmp_path
):
    mlflow = mlflow_here
    _, _, mlflow_run = _train(tracking_uri, tmp_path, transformers={"log_checkpoints": "all"})
    experiment_id = mlflow_run.info.experiment_id
    ranked = mlflow.search_logged_models(
        experiment_ids=[experiment_id], output_format="list",
        order_by=[{"field_name": "metrics.eval_loss", "ascending": True}],
    )
    by_name = {model.name: model for model in ranked}
    assert set(by_name) == {"model", "checkpoint-4", "checkpoint-8"}
    assert all(model.source_run_id == mlflow_run.info.run_id for model in ranked)
    assert all(str(model.status) in ("READY", "LoggedModelStatus.READY") for model in ranked)
    history = {p.step: p.value for p in mlflow.MlflowClient(tracking_uri).get_metric_history(
        mlflow_run.info.run_id, "eval_loss")}
    assert sorted(history) == [4, 8]
    for model_name, step in (("checkpoint-4", 4), ("checkpoint-8", 8), ("model", 8)):
        linked = {m.key: (m.step, m.value) for m in by_name[model_name].metrics}
        assert linked["eval_loss"] == (step, history[step]), model_name
    losses = [{m.key: m.value for m in model.metrics}["eval_loss"] for model in ranked]
    assert losses == sorted(losses)
    checkpoint = by_name["checkpoint-4"]
    assert checkpoint.model_type == "checkpoint" and checkpoint.tags["autolog.step"] == "4"
    files = harness_mlflow.list_files(mlflow.MlflowClient(tracking_uri), mlflow_run.info.run_id, "checkpoints")
    assert checkpoint.tags["autolog.checkpoint_uri"] == f"runs:/{mlflow_run.info.run_id}/checkpoints/checkpoint-4"
    assert "checkpoints/checkpoint-4/model.safetensors" in files


def test_log_model_through_the_mlflow_backend_registers_a_transformers_flavor_version(tracking_uri, mlflow_here):
    mlflow = mlflow_here
    name = f"logged-{uuid.uuid4().hex[:6]}"
    autolog.autolog(backends=["mlflow"], backend_options={"mlflow": {"tracking_uri": tracking_uri}})
    tokenizer = tiny_transformers.tokenizer()
    model = tiny_transformers.gpt2(tokenizer)
    with autolog.start_run(run_name="by-hand") as run:
        info = autolog.log_model({"model": model, "tokenizer": tokenizer}, name="lm", registered_model_name=name)
    assert autolog.flush(120)
    assert info.registered_model_version is None  # no local store here: MLflow registered it
    pipeline = mlflow.transformers.load_model(f"models:/{name}/1")
    assert pipeline.task == "text-generation" and _same_weights(model, pipeline.model)
    version = mlflow.MlflowClient(tracking_uri).get_model_version(name, "1")
    assert version.run_id == harness_mlflow.find_run(mlflow.MlflowClient(tracking_uri), run.run_id).info.run_id
