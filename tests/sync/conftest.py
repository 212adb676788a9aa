"""Fixtures for ``autolog sync``: a real store trained once per session (scikit-learn runs with a
search's child runs, a tiny Trainer with checkpoints), copied for each test so every test starts
with no watermarks; a real ``mlflow server``; a W&B offline sandbox; readers for each target.

The backend harnesses in ``tests/backends`` and the script helpers in ``tests/lifecycle`` are put
on ``sys.path`` and reused as they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in (HERE, os.path.join(HERE, "..", "backends"), os.path.join(HERE, "..", "lifecycle")):
    folder = os.path.normpath(folder)
    if folder not in sys.path:
        sys.path.insert(0, folder)

import harness_mlflow  # noqa: E402
import harness_wandb  # noqa: E402
from lifecycle import PRELUDE, TRAINER  # noqa: E402
from views import rekey  # noqa: E402

#: The session's training script: runs of every shape sync must replay.
TRAIN = PRELUDE + TRAINER + """
from sklearn.model_selection import GridSearchCV
autolog.autolog(experiment="sync-sk", sklearn={"max_tuning_runs": 2})
LogisticRegression(C=0.5).fit(X, y)
GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
with autolog.run(name="manual", experiment="sync-manual", tags={"team": "ds"}) as run:
    run.log_params({"lr": "0.01", "layers": "3"})
    for step in range(300):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metric("acc", step / 300.0, step=step)
    run.log_metric("nan_metric", float("nan"), step=1)
    with open("notes.txt", "w") as fh:
        fh.write("hello")
    run.log_artifact("notes.txt")
    os.makedirs("data", exist_ok=True)
    with open("data/a.csv", "w") as fh:
        fh.write("x,y\\n1,2\\n")
    run.log_artifact("data", "data")
    run.set_tags({"stage": "dev"})
autolog.autolog(experiment="sync-hf")
trainer(max_steps=8).train()
with autolog.run(name="failed", experiment="sync-manual") as run:
    run.log_metric("x", 1.0)
    sys.exit(3)
"""


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tracking directory written by a real training script (sklearn, search, manual, Trainer)."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env["AUTOLOG_DIR"] = str(folder / "autolog-runs")
    done = subprocess.run([sys.executable, "train.py"], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr[-3000:]
    return env["AUTOLOG_DIR"]


@pytest.fixture
def store(trained_store: str, tmp_path: Path) -> str:
    """A private copy of the trained store: no watermarks yet, and new run ids, so that runs of
    different tests never meet on the session's MLflow server."""
    copy = str(tmp_path / "store")
    shutil.copytree(trained_store, copy)
    rekey(copy)
    return copy


@pytest.fixture(scope="session", autouse=True)
def _quiet_mlflow() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        patch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
        yield


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real ``mlflow server`` on 127.0.0.1 for the session."""
    server = harness_mlflow.MlflowServer(str(tmp_path_factory.mktemp("mlflow-server"))).start()
    yield server
    server.stop()


@pytest.fixture
def mlflow_uri(mlflow_server: Any) -> str:
    return mlflow_server.url


@pytest.fixture(scope="session")
def wandb_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Offline, silent, key-less wandb with every folder under one session tmp dir."""
    pytest.importorskip("wandb")
    home = tmp_path_factory.mktemp("wandb-home")
    with harness_wandb.offline_sandbox(home):
        yield home
