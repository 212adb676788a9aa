"""The example project under ``examples/project`` runs as documented."""

from __future__ import annotations

import os

import autolog
from autolog import projects

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples", "project")


def test_the_example_project_trains_into_its_run():
    submitted = projects.run(EXAMPLE, "train", {"C": "0.5"}, run_name="example")
    run = autolog.Client().get_run(submitted.run_id)
    assert run.status == "FINISHED" and run.name == "example"
    assert run.params["C"] == "0.5" and run.params["max_iter"] == "200" and run.params["test_size"] == "0.25"
    assert run.metrics["test_accuracy"] > 0.8
    assert run.tags["mlflow.project.entryPoint"] == "train"
    assert autolog.load_model(f"runs:/{run.run_id}/model").C == 0.5
