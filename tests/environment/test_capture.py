"""Every run records where it came from: git, command, interpreter, machine, packages."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

from gittree import git
from lifecycle import PRELUDE, autolog_warnings

import autolog
from autolog import environment


def _run_script(folder: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = folder / "train.py"
    script.write_text(textwrap.dedent(PRELUDE) + textwrap.dedent(code))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    environ.update(AUTOLOG_DIR=str(folder.parent / "autolog-runs"), PYTHONWARNINGS="default", **env)
    return subprocess.run(
        [sys.executable, str(script), "--lr", "0.1"], cwd=folder, env=environ, capture_output=True, text=True,
        timeout=240,
    )


def test_a_run_in_a_dirty_git_tree_records_commit_branch_remote_diff_command_and_packages(repo: Path):
    (repo / "notes.txt").write_text("first\nchanged, not committed\n")
    done = _run_script(repo, """
        autolog.autolog()
        LogisticRegression().fit(X, y)
        LogisticRegression(C=2.0).fit(X, y)
        assert "torch" not in sys.modules
    """)
    assert done.returncode == 0, done.stderr
    assert not autolog_warnings(done.stderr), done.stderr
    client = autolog.Client(str(repo.parent / "autolog-runs"))
    runs = client.search_runs()
    assert len(runs) == 2
    for run in runs:
        tags = run.tags
        assert tags["mlflow.source.git.commit"] == git(repo, "rev-parse", "HEAD")
        assert tags["mlflow.source.git.branch"] == "trunk"
        assert tags["mlflow.source.git.repoURL"] == "https://example.com/team/repo.git"
        assert tags["autolog.git.dirty"] == "true"
        assert tags["mlflow.source.name"] == str(repo / "train.py")
        assert tags["mlflow.source.type"] == "LOCAL"
        assert tags["mlflow.user"] == run.user_id
        assert tags["autolog.command"].endswith("train.py --lr 0.1")
        assert tags["autolog.python"].startswith(platform.python_version())
        assert tags["autolog.cpu_count"] == str(os.cpu_count())
        assert float(tags["autolog.memory_gib"]) > 0
        assert "autolog.gpus" not in tags  # torch was never imported
        requirements = Path(client.artifact_path(run.run_id, "environment/requirements.txt")).read_text()
        assert f"scikit-learn=={metadata.version('scikit-learn')}" in requirements.splitlines()
        diff = Path(client.artifact_path(run.run_id, "environment/git.diff")).read_text()
        assert "+changed, not committed" in diff


def test_a_clean_tree_has_no_diff_and_a_folder_outside_git_no_git_tags(repo: Path, tmp_path: Path):
    done = _run_script(repo, "autolog.autolog()\nLogisticRegression().fit(X, y)\n")
    assert done.returncode == 0, done.stderr
    client = autolog.Client(str(repo.parent / "autolog-runs"))
    (run,) = client.search_runs()
    assert run.tags["autolog.git.dirty"] == "false"
    assert {a.path for a in client.list_artifacts(run.run_id, "environment")} == {"environment/requirements.txt"}

    plain = tmp_path / "plain"
    plain.mkdir()
    done = _run_script(plain, "autolog.autolog()\nLogisticRegression().fit(X, y)\n")
    assert done.returncode == 0, done.stderr
    (other,) = [r for r in client.search_runs() if r.run_id != run.run_id]
    assert not [k for k in other.tags if "git" in k]
    assert other.tags["mlflow.source.name"] == str(plain / "train.py")


def test_capture_is_turned_off_by_the_option_and_the_variable(repo: Path):
    done = _run_script(repo, """
        autolog.autolog(capture_environment=False)
        LogisticRegression().fit(X, y)
    """)
    assert done.returncode == 0, done.stderr
    done = _run_script(repo, "autolog.autolog()\nLogisticRegression().fit(X, y)\n", AUTOLOG_CAPTURE_ENVIRONMENT="0")
    assert done.returncode == 0, done.stderr
    client = autolog.Client(str(repo.parent / "autolog-runs"))
    runs = client.search_runs()
    assert len(runs) == 2
    for run in runs:
        assert not [k for k in run.tags if k.startswith(("mlflow.source", "autolog.python", "autolog.git"))]
        assert client.list_artifacts(run.run_id, "environment") == []


def test_gpu_names_come_only_from_a_torch_that_initialised_cuda():
    code = textwrap.dedent("""
        import sys
        from autolog import environment
        assert environment.gpu_names() == [] and "torch" not in sys.modules
        import torch
        names = environment.gpu_names()
        if torch.cuda.is_available():
            torch.zeros(1, device="cuda")
            names = environment.gpu_names()
            assert names and names[0] == torch.cuda.get_device_name(0), names
        else:
            assert names == []
        print("ok", names)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_a_long_diff_is_cut_with_a_note(repo: Path):
    (repo / "notes.txt").write_text("".join(f"line {i}\n" for i in range(5000)))
    diff = environment.git_diff(str(repo), limit=1000)
    assert diff is not None and len(diff) < 1100
    assert diff.endswith(b"# autolog: diff cut at 1000 bytes\n")
    assert environment.git_diff(str(repo)).count(b"\n+line ") == 5000


def test_an_explicit_run_in_process_gets_the_tags_and_the_requirements(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("AUTOLOG_CAPTURE_ENVIRONMENT", "1")
    environment.reset()
    autolog.autolog()
    with autolog.run(name="first") as first:
        pass
    with autolog.run(name="second") as second, autolog.run(name="nested") as nested:
        pass
    autolog.flush()
    client = autolog.Client()
    for run_id in (first.run_id, second.run_id, nested.run_id):
        tags = client.get_run(run_id).tags
        assert tags["mlflow.source.type"] == "LOCAL" and "autolog.python" in tags
    assert "environment/requirements.txt" in {a.path for a in client.list_artifacts(second.run_id, "environment")}
    assert client.list_artifacts(nested.run_id, "environment") == []  # a child shares its parent's


def test_a_child_forked_while_the_capture_imports_a_module_gets_its_runs(tmp_path: Path):
    """The capture imports modules on the background thread; a fork while one of those imports
    holds its module lock would leave the child's own capture hung on that lock (its runs lost
    after ``exit_flush_timeout``). Here the import is made slow on purpose, and the fork lands
    inside it."""
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "slow_module.py").write_text("import time\ntime.sleep(1.0)\n")
    done = _run_script(folder, """
        import multiprocessing as mp
        import time
        from autolog import environment

        real = environment.installed_packages

        def slow_packages():
            import slow_module  # noqa: F401  (held for a second by the background thread)
            return real()

        environment.installed_packages = slow_packages

        def child():
            started = time.monotonic()
            autolog.autolog(exit_flush_timeout=20)
            LogisticRegression(C=2.0).fit(X, y)
            print(f"child fitted in {time.monotonic() - started:.1f}s", flush=True)

        if __name__ == "__main__":
            autolog.autolog()
            LogisticRegression(C=0.5).fit(X, y)   # the capture starts on the background thread
            time.sleep(0.3)                        # it is inside the slow import now
            process = mp.get_context("fork").Process(target=child)
            started = time.monotonic()
            process.start()
            process.join(60)
            print(f"child exit {process.exitcode} after {time.monotonic() - started:.1f}s", flush=True)
    """, PYTHONPATH=str(folder))
    assert done.returncode == 0, done.stderr
    assert "child exit 0" in done.stdout, done.stdout + done.stderr
    assert not autolog_warnings(done.stderr), done.stderr
    client = autolog.Client(str(folder.parent / "autolog-runs"))
    runs = client.search_runs()
    assert sorted(r.params["C"] for r in runs) == ["0.5", "2.0"]
    assert {r.status for r in runs} == {"FINISHED"}
    for run in runs:
        assert "autolog.command" in run.tags
        assert "environment/requirements.txt" in {a.path for a in client.list_artifacts(run.run_id, "environment")}
