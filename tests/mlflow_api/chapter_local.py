"""The chapter's tracking, registry and query snippets with only the imports changed, on autolog's
local store. Run as ``python chapter_local.py <tracking folder> <scratch folder>``; it prints what a
reader would look at, and the test checks those lines."""

import os
import sys

import autolog as mlflow
from autolog import Client as MlflowClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backends"))
import tiny_transformers

tracking, scratch = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(tracking)
mlflow.set_experiment("gpt2-lora-qa")

# -- tracking: a manual run with params, stepped metrics and artifacts ------------------------
notes = os.path.join(scratch, "notes.md")
with open(notes, "w") as fh:
    fh.write("LoRA r=8 on the QA set\n")
tokenizer = tiny_transformers.tokenizer()
model = tiny_transformers.gpt2(tokenizer)
for lora_r, accuracy in ((4, 0.82), (8, 0.87), (16, 0.91)):
    with mlflow.start_run(run_name=f"lora-r{lora_r}") as run:
        mlflow.log_params({"lora_r": lora_r, "learning_rate": 2e-4, "base_model": "gpt2"})
        for step in range(3):
            mlflow.log_metric("train_loss", 2.0 / (step + 1) / lora_r, step=step)
        mlflow.log_metric("val_accuracy", accuracy)
        mlflow.log_artifact(notes, artifact_path="docs")
        if lora_r == 8:
            info = mlflow.log_model(
                {"model": model, "tokenizer": tokenizer}, name="model",
                registered_model_name="gpt2-lora-qa", input_example="the good movie",
            )
            print("registered", info.registered_model_version, "from", run.info.run_id[:8])

# -- registry: stages (legacy) and aliases ------------------------------------------------------
client = MlflowClient()
client.transition_model_version_stage(name="gpt2-lora-qa", version=1, stage="Production")
client.set_registered_model_alias("gpt2-lora-qa", "champion", 1)
print("stage", client.get_model_version("gpt2-lora-qa", "1").current_stage)
print("alias", client.get_model_version_by_alias("gpt2-lora-qa", "champion").version)
production, production_tokenizer = mlflow.load_model("models:/gpt2-lora-qa/Production")
champion, _ = mlflow.load_model("models:/gpt2-lora-qa@champion")
same = all((v == production.state_dict()[k]).all() for k, v in model.state_dict().items())
print("loaded", type(production).__name__, type(champion).__name__, same, production_tokenizer.get_vocab() == tokenizer.get_vocab())

# -- query: the best runs of experiment "1" ---------------------------------------------------
runs = client.search_runs(
    experiment_ids=["1"],
    filter_string="metrics.val_accuracy > 0.85",
    order_by=["metrics.val_accuracy DESC"],
)
for run in runs:
    print(run.info.run_id[:8], run.data.metrics["val_accuracy"], run.data.params["lora_r"])
