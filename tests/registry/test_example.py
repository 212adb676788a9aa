"""``examples/model_registry.py`` runs as a user would run it, on the local store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import autolog
from autolog.client import Client

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "model_registry.py"


def test_the_registry_example_registers_aliases_stages_and_loads(tmp_path: Path) -> None:
    tracking_dir = str(tmp_path / "runs")
    env = {**os.environ, "AUTOLOG_DIR": tracking_dir}
    env.pop("AUTOLOG_TESTING", None)
    done = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("registered version 1 from run ") and lines[1].startswith("registered version 2 from run ")
    assert "deprecated" in done.stdout

    client = Client(tracking_dir)
    model = client.get_registered_model("breast-cancer")
    champion = client.get_model_version_by_alias("breast-cancer", "champion")
    assert model.aliases == {"champion": champion.version}
    assert champion.current_stage == "Production" and champion.description == "best test accuracy"
    other = client.get_model_version("breast-cancer", 3 - champion.version)
    assert other.current_stage == "None" and other.tags == {"C": "0.001" if champion.version == 2 else "1.0"}
    assert f"models:/breast-cancer@champion is version {champion.version}" in done.stdout
    loaded = autolog.load_model("models:/breast-cancer@champion", tracking_dir=tracking_dir)
    assert loaded.get_params()["logisticregression__C"] in (0.001, 1.0)
