"""The chapter's flow against a real MLflow server through autolog's MLflow backend: a manual run
(params, stepped metrics, an artifact) around a Trainer that autolog records into it, the model
registered; then MLflow's own client moves the version to Production, gives it an alias, loads it
with ``mlflow.transformers.load_model`` and queries the runs. Run as
``python chapter_server.py <server URL> <scratch folder>``."""

import os
import sys

import autolog

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backends"))
import tiny_transformers

uri, scratch = sys.argv[1], sys.argv[2]
autolog.autolog(
    backends=["mlflow"], backend_options={"mlflow": {"tracking_uri": uri}},
    experiment="gpt2-lora-qa", registered_model_name="gpt2-lora-qa",
)
notes = os.path.join(scratch, "notes.md")
with open(notes, "w") as fh:
    fh.write("LoRA r=8 on the QA set\n")
trainer = tiny_transformers.trainer(os.path.join(scratch, "out"))
with autolog.start_run(run_name="lora-r8") as run:
    autolog.log_params({"lora_r": 8, "base_model": "gpt2"})
    for step in range(3):
        autolog.log_metric("warmup_loss", 1.0 / (step + 1), step=step)
    autolog.log_artifact(notes, artifact_path="docs")
    trainer.train()
assert autolog.flush(120)

import mlflow  # noqa: E402

mlflow.set_tracking_uri(uri)
client = mlflow.MlflowClient()
experiment = client.get_experiment_by_name("gpt2-lora-qa")
client.transition_model_version_stage(name="gpt2-lora-qa", version=1, stage="Production")
client.set_registered_model_alias("gpt2-lora-qa", "champion", 1)
pipeline = mlflow.transformers.load_model("models:/gpt2-lora-qa/Production")
print("loaded", pipeline.task, pipeline("the good movie")[0]["generated_text"].startswith("the good movie"))
champion = mlflow.pyfunc.load_model("models:/gpt2-lora-qa@champion")
print("champion", champion.predict(["the good"])[0].startswith("the good"))
runs = client.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="params.lora_r = '8'",
    order_by=["metrics.eval_loss ASC"],
)
for found in runs:
    print(found.info.run_id[:8], found.data.params["lora_r"], sorted(found.data.metrics)[:3],
          found.data.tags["autolog.run_id"] == run.run_id)
