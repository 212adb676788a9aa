"""``autolog models``: the registry from the real ``autolog`` command, run as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import autolog
from autolog.client import Client

AUTOLOG = Path(sys.executable).with_name("autolog")


def _autolog(*args: str) -> subprocess.CompletedProcess[str]:
    assert AUTOLOG.exists(), f"the autolog command is not installed next to {sys.executable}"
    return subprocess.run([str(AUTOLOG), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def two_versions(fit_model, client: Client) -> str:
    """Model ``churn`` with versions 1 and 2 of real autologged estimators; returns run 2's id."""
    run_1, _ = fit_model(0.5)
    run_2, _ = fit_model(2.0)
    autolog.register_model(f"runs:/{run_1}/model", "churn", tags={"team": "red"})
    autolog.register_model(f"runs:/{run_2}/model", "churn")
    client.create_registered_model("other")
    return run_2


def test_models_list_and_show_print_the_registry(two_versions: str, tracking_dir: str) -> None:
    client = Client(tracking_dir)
    client.set_registered_model_alias("churn", "champion", 2)

    listed = _autolog("models", "list", "--dir", tracking_dir)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "LATEST", "ALIASES", "STAGES", "UPDATED"]
    assert lines[2].split()[:4] == ["churn", "2", "@champion=2", "-"]
    assert lines[3].split()[:4] == ["other", "-", "-", "-"]

    filtered = _autolog("models", "list", "--dir", tracking_dir, "--filter", "name LIKE 'oth%'")
    assert [line.split()[0] for line in filtered.stdout.splitlines()[2:]] == ["other"]

    shown = _autolog("models", "show", "churn", "--dir", tracking_dir)
    assert shown.returncode == 0, shown.stderr
    assert "aliases      @champion=2" in shown.stdout
    rows = [line.split() for line in shown.stdout.split("versions:")[1].splitlines()[3:]]
    assert [row[:4] for row in rows] == [["2", "None", "@champion", two_versions], ["1", "None", "-", rows[1][3]]]
    assert rows[1][-1] == "team=red"


def test_models_alias_moves_an_alias_and_models_stage_moves_a_version(two_versions: str, tracking_dir: str) -> None:
    first = _autolog("models", "alias", "churn", "1", "champion", "--dir", tracking_dir)
    moved = _autolog("models", "alias", "churn", "2", "champion", "--dir", tracking_dir)
    assert (first.returncode, moved.returncode) == (0, 0), moved.stderr
    assert moved.stdout.strip() == "churn@champion -> version 2"
    assert Client(tracking_dir).get_model_version_by_alias("churn", "champion").version == 2

    staged = _autolog("models", "stage", "churn", "1", "production", "--dir", tracking_dir)
    assert staged.returncode == 0, staged.stderr
    assert staged.stdout.strip() == "churn version 1 -> stage Production"
    assert "deprecated" in staged.stderr and "alias" in staged.stderr
    again = _autolog("models", "stage", "churn", "2", "Production", "--archive-existing", "--dir", tracking_dir)
    assert again.returncode == 0, again.stderr
    stages = {v.version: v.current_stage for v in Client(tracking_dir).search_model_versions("name = 'churn'")}
    assert stages == {1: "Archived", 2: "Production"}
    loaded = autolog.load_model("models:/churn/Production", tracking_dir=tracking_dir)
    assert loaded.get_params()["C"] == 2.0

    removed = _autolog("models", "alias", "churn", "2", "champion", "--delete", "--dir", tracking_dir)
    assert removed.returncode == 0, removed.stderr
    assert Client(tracking_dir).get_registered_model("churn").aliases == {}


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("models", "show", "nope"), 1, "registered model 'nope' not found; registered models: churn, other"),
        (("models", "alias", "churn", "7", "x"), 1, "model 'churn' has no version 7 (versions: 1, 2)"),
        (("models", "alias", "churn", "1", "bad alias"), 2, "invalid alias 'bad alias'"),
        (("models", "alias", "churn", "1", "latest"), 2, "'latest' (in any case) is reserved"),
        (("models", "stage", "churn", "1", "Prod"), 2, "expected one of None, Staging, Production, Archived"),
        (("models", "stage", "churn", "one", "Staging"), 2, "model version must be an integer"),
        (("models", "list", "--filter", "name = x"), 2, "at position 7"),
    ],
)
def test_bad_input_exits_with_the_message_and_changes_nothing(two_versions: str, tracking_dir: str, args, status, message) -> None:
    before = Client(tracking_dir).search_model_versions()
    done = _autolog(*args, "--dir", tracking_dir)
    assert (done.returncode, done.stdout) == (status, "")
    assert message in done.stderr
    assert Client(tracking_dir).search_model_versions() == before


def test_an_empty_store_lists_no_models(tracking_dir: str) -> None:
    done = _autolog("models", "list", "--dir", tracking_dir)
    assert (done.returncode, done.stdout.strip()) == (0, f"no registered models in {tracking_dir}")


BOTH_QUOTES = "it's \"odd\""


def test_models_show_finds_the_versions_of_a_name_holding_both_quotes(tracking_dir: str, tmp_path: Path) -> None:
    client = Client(tracking_dir)
    for name in ["it's", 'say "hi"', BOTH_QUOTES]:
        client.create_registered_model(name)
        client.create_model_version(name, (tmp_path / "somewhere").as_uri())
    client.create_model_version("it's", (tmp_path / "elsewhere").as_uri())
    for name, count in [("it's", 2), ('say "hi"', 1), (BOTH_QUOTES, 1)]:
        shown = _autolog("models", "show", name, "--dir", tracking_dir)
        assert shown.returncode == 0, shown.stderr
        rows = shown.stdout.split("versions:")[1].splitlines()[3:]
        assert [row.split()[0] for row in rows] == [str(n) for n in range(count, 0, -1)]
