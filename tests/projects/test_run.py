"""``autolog.projects.run`` and ``autolog run``: real projects, real processes, read back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gittree import git
from projecttree import commit_all, write_project

import autolog
from autolog import cli, projects


def _client() -> autolog.Client:
    return autolog.Client()


def test_a_local_folder_runs_in_place_and_the_childs_fit_lands_in_the_project_run(project: Path):
    submitted = projects.run(str(project), parameters={"C": "0.25", "note": "first try"}, experiment_name="proj")
    assert submitted.status == "FINISHED" and submitted.returncode == 0
    assert (project / "trained.txt").read_text().startswith("0.25 ")  # it ran in the folder itself
    client = _client()
    (run,) = client.search_runs()  # the child's fit did not open a run of its own
    assert run.run_id == submitted.run_id and run.experiment == "proj" and run.status == "FINISHED"
    assert run.params["C"] == "0.25" and run.params["max_iter"] == "50" and run.params["note"] == "first try"
    assert run.params["solver"] == "lbfgs"  # the child's LogisticRegression params
    assert run.tags["mlflow.source.type"] == "PROJECT" and run.tags["mlflow.project.entryPoint"] == "main"
    assert run.tags["autolog.project.command"] == "python train.py --C 0.25 --max-iter 50 --note 'first try'"
    assert run.tags["autolog.exit_code"] == "0"
    assert "mlflow.source.git.commit" not in run.tags  # not a git repository
    assert autolog.load_model(f"runs:/{run.run_id}/model").C == 0.25
    assert run.tags["autolog.python.executable"]  # the child recorded its environment in the run


def test_a_git_repository_runs_a_version_and_a_sub_folder_from_a_clone(repo: Path, tmp_path: Path):
    first = git(repo, "rev-parse", "HEAD")
    write_project(repo / "proj", mlproject=(repo / "proj" / "MLproject").read_text().replace("0.5", "0.75"))
    second = commit_all(repo, "second")
    data = tmp_path / "input.csv"
    data.write_text("x\n")
    os.chdir(tmp_path)  # a relative path is the caller's
    old = projects.run(f"file://{repo}#proj", "validate", {"data": "input.csv"}, version=first)
    new = projects.run(f"{repo}#proj", "validate", {"data": str(data)}, version="trunk")
    client = _client()
    old_run, new_run = client.get_run(old.run_id), client.get_run(new.run_id)
    assert (old_run.params["C"], new_run.params["C"]) == ("0.5", "0.75")
    assert old_run.params["data"] == str(data) and new_run.params["data"] == str(data)
    assert old_run.tags["mlflow.source.git.commit"] == first and new_run.tags["mlflow.source.git.commit"] == second
    assert new_run.tags["mlflow.source.git.branch"] == "trunk" and "mlflow.source.git.branch" not in old_run.tags
    assert old_run.tags["autolog.project.subdirectory"] == "proj"
    assert not (repo / "proj" / "trained.txt").exists()  # the clone ran, not the work tree
    assert not [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("autolog-project-*") if (p / "proj" / "trained.txt").exists()]


def test_an_undeclared_python_file_runs_directly_with_its_params(tmp_path: Path):
    folder = write_project(tmp_path / "bare", mlproject=None)
    submitted = projects.run(str(folder), "train.py", {"C": "2.0"})
    run = _client().get_run(submitted.run_id)
    assert run.params["C"] == "2.0" and run.tags["autolog.project.command"] == "python train.py --C 2.0"


def test_a_python_env_is_built_with_venv_cached_by_its_spec_and_used(tmp_path: Path):
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    folder = write_project(tmp_path / "envproject", python_env__yaml=f"""
        python: "{version}"
        build_dependencies: []
        dependencies: ["scikit-learn"]
    """)
    first = projects.run(str(folder), env_manager="virtualenv", system_site_packages=True)
    prefix = (folder / "trained.txt").read_text().split()[1]
    cache = Path(os.environ["AUTOLOG_ENV_CACHE"])
    (built,) = [p for p in cache.iterdir() if p.is_dir()]
    assert prefix == str(built) and built.name.startswith("virtualenv-")
    ready = (built / ".autolog-ready").stat().st_mtime_ns
    second = projects.run(str(folder), env_manager="virtualenv", system_site_packages=True, parameters={"C": "3"})
    assert (built / ".autolog-ready").stat().st_mtime_ns == ready  # reused, not rebuilt
    assert (folder / "trained.txt").read_text().split()[1] == str(built)
    client = _client()
    for submitted in (first, second):
        run = client.get_run(submitted.run_id)
        assert run.status == "FINISHED" and run.tags["mlflow.project.env"] == "virtualenv" and "solver" in run.params


def test_a_failing_command_ends_the_run_failed_with_its_exit_code(project: Path, monkeypatch):
    monkeypatch.setenv("FAIL_WITH", "3")
    with pytest.raises(projects.ExecutionError, match="code 3"):
        projects.run(str(project))
    (run,) = _client().search_runs()
    assert run.status == "FAILED" and run.tags["autolog.exit_code"] == "3" and "solver" in run.params


def test_cancel_stops_the_command_and_ends_the_run_killed(tmp_path: Path):
    folder = write_project(tmp_path / "slow", slow__py="""
        import time, autolog
        from sklearn.linear_model import LinearRegression
        autolog.autolog()
        LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
        autolog.flush()
        open("started", "w").close()
        time.sleep(600)
    """)
    submitted = projects.run(str(folder), "slow.py", synchronous=False)
    deadline = time.monotonic() + 120
    while not (folder / "started").exists():
        assert time.monotonic() < deadline and submitted.get_status() == "RUNNING"
        time.sleep(0.1)
    submitted.cancel()
    assert submitted.status == "KILLED"
    run = _client().get_run(submitted.run_id)
    assert run.status == "KILLED" and "fit_intercept" in run.params


def test_ctrl_c_on_autolog_run_stops_the_child_and_ends_the_run_killed(tmp_path: Path):
    folder = write_project(tmp_path / "slow", slow__py="""
        import os, time
        open("pid", "w").write(str(os.getpid()))
        time.sleep(600)
    """)
    runner = subprocess.Popen(
        [sys.executable, "-c", "import sys; from autolog.cli import main; sys.exit(main())", "run", str(folder), "-e", "slow.py"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (folder / "pid").exists() or not (folder / "pid").read_text():
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.1)
        child = int((folder / "pid").read_text())
        runner.send_signal(signal.SIGINT)
        runner.communicate(timeout=120)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode != 0
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    (run,) = _client().search_runs()
    assert run.status == "KILLED"


def test_the_cli_runs_a_project_and_exits_with_the_commands_status(project: Path, capsys, monkeypatch):
    assert cli.main(["run", str(project), "-P", "C=0.3", "--run-name", "from-cli", "--experiment-name", "cli"]) == 0
    out = capsys.readouterr().out
    run_id = out.split()[1]
    run = _client().get_run(run_id)
    assert run.name == "from-cli" and run.experiment == "cli" and run.params["C"] == "0.3"
    assert f"run {run_id} FINISHED" in out
    monkeypatch.setenv("FAIL_WITH", "4")
    assert cli.main(["run", str(project)]) == 4
    assert cli.main(["run", str(project), "-P", "C"]) == 2
    assert "-P takes NAME=VALUE" in capsys.readouterr().err


def test_a_runner_that_exits_without_waiting_stops_its_command_and_ends_the_run_killed(tmp_path: Path):
    folder = write_project(tmp_path / "slow", slow__py="""
        import os, time
        open("pid", "w").write(str(os.getpid()))
        time.sleep(600)
    """)
    code = (
        "import os, sys, time\n"
        "from autolog import projects\n"
        f"submitted = projects.run({str(folder)!r}, 'slow.py', synchronous=False)\n"
        f"while not os.path.exists({str(folder / 'pid')!r}): time.sleep(0.1)\n"
        "print(submitted.run_id, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    child = int((folder / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    run = _client().get_run(done.stdout.split()[0])
    assert run.status == "KILLED"


def test_the_uv_manager_builds_the_python_env_with_uv(tmp_path: Path):
    from autolog.projects import environments

    if environments.uv_program() is None:
        pytest.skip("uv is not installed")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    folder = write_project(tmp_path / "uvproject", python_env__yaml=f"python: '{version}'\ndependencies: []\n")
    submitted = projects.run(str(folder), env_manager="uv", system_site_packages=True)
    cache = Path(os.environ["AUTOLOG_ENV_CACHE"])
    (built,) = [p for p in cache.iterdir() if p.is_dir()]
    assert built.name.startswith("uv-") and (folder / "trained.txt").read_text().split()[1] == str(built)
    run = _client().get_run(submitted.run_id)
    assert run.status == "FINISHED" and run.tags["mlflow.project.env"] == "uv" and "solver" in run.params
