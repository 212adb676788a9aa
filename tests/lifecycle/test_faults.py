"""Bad input and faults a careful user hits, each as a real script: one clear warning, never an
exception in the user's code, nothing lost that could be kept, and no hang at exit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lifecycle import autolog_warnings  # this folder is on sys.path (conftest.py)


def test_a_dangling_symlink_in_a_logged_folder_is_skipped_and_everything_else_stored(script):
    user = script("""
        os.makedirs("report/figures")
        open("report/summary.txt", "w").write("fine")
        open("report/figures/a.csv", "w").write("1,2")
        os.symlink("/nonexistent/target.bin", "report/figures/broken.bin")
        with autolog.run(name="with a broken link") as run:
            run.log_param("lr", 0.1)
            run.log_metric("loss", 0.5)
            run.log_artifact("report")
    """)
    done = user.run(timeout=120)  # no retrying an unreadable file until exit
    assert done.returncode == 0, done.stderr
    warnings = autolog_warnings(done.stderr) + [line for line in done.stderr.splitlines() if "dangling" in line]
    assert any("dangling symbolic link" in line for line in warnings), done.stderr
    client = user.client()
    (run,) = client.search_runs()
    assert (run.status, run.params, run.metrics) == ("FINISHED", {"lr": "0.1"}, {"loss": 0.5})
    stored = {a.path for a in client.list_artifacts(run.run_id, "report/figures")}
    assert stored == {"report/figures/a.csv"}
    assert Path(client.artifact_path(run.run_id, "report/summary.txt")).read_text() == "fine"


@pytest.fixture
def immutable():
    """``immutable(path)``: make a file or folder unwritable even for root (``chattr +i``), undone
    after the test."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: no way to make a folder read-only for root")
    made: list[Path] = []

    def make(path: Path) -> None:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"this filesystem cannot make files immutable: {done.stderr.strip()}")
        made.append(path)

    yield make
    for path in reversed(made):
        subprocess.run(["chattr", "-i", str(path)], check=False)


FIT_WITH_TWO_BACKENDS = """
    from autolog.testing import MemoryBackend
    memory = MemoryBackend()
    autolog.autolog(backends=["local", memory])
    LogisticRegression().fit(X, y)
    with autolog.run(name="manual") as run:
        run.log_metric("loss", 0.5)
    autolog.flush(30)
    print("memory got", sorted(r.status for r in memory.runs.values()), flush=True)
"""


def test_a_read_only_new_tracking_dir_warns_once_naming_it_and_other_backends_get_everything(script, immutable, tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    user = script(FIT_WITH_TWO_BACKENDS, AUTOLOG_DIR=str(parent / "autolog-runs"))
    immutable(parent)
    done = user.run(timeout=120)  # no retries against a folder that will never be writable
    assert done.returncode == 0, done.stderr
    assert "memory got ['FINISHED', 'FINISHED']" in done.stdout
    unavailable = [line for line in autolog_warnings(done.stderr) if "cannot be used" in line]
    assert len(unavailable) == 1 and str(parent / "autolog-runs") in unavailable[0], done.stderr
    assert not (parent / "autolog-runs").exists()


def test_a_read_only_existing_store_warns_once_and_never_hangs_exit(script, immutable):
    user = script(FIT_WITH_TWO_BACKENDS)
    first = user.run(timeout=120)  # a store with one run in it
    assert first.returncode == 0, first.stderr
    store = Path(user.tracking_dir)
    for path in sorted(store.rglob("*"), reverse=True):
        immutable(path)
    immutable(store)
    done = user.run(timeout=120)
    assert done.returncode == 0, done.stderr
    assert "memory got ['FINISHED', 'FINISHED']" in done.stdout
    unavailable = [line for line in autolog_warnings(done.stderr) if "cannot be used" in line]
    assert len(unavailable) == 1 and str(store) in unavailable[0], done.stderr
    assert len(user.client().search_runs()) == 2  # the earlier runs are intact and readable


def test_a_second_model_fitted_inside_one_user_run_gets_a_child_run(script):
    user = script("""
        autolog.autolog()
        with autolog.run(name="experiment") as run:
            LogisticRegression(C=1.0).fit(X, y)
            LogisticRegression(C=2.0).fit(X, y)     # another model: its own child run
            LogisticRegression(C=1.0).fit(X, y)     # the same params again: into the user's run
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr
    assert not autolog_warnings(done.stderr), done.stderr
    client = user.client()
    runs = {r.name: r for r in client.search_runs()}
    parent = runs["experiment"]
    (child,) = [r for r in client.search_runs() if r.parent_run_id == parent.run_id]
    assert parent.params["C"] == "1.0" and child.params["C"] == "2.0"
    import autolog

    parent_model = autolog.load_model(f"runs:/{parent.run_id}/model", tracking_dir=user.tracking_dir)
    child_model = autolog.load_model(f"runs:/{child.run_id}/model", tracking_dir=user.tracking_dir)
    assert parent_model.C == 1.0 and child_model.C == 2.0  # params and model never disagree
