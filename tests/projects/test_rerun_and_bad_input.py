"""``autolog rerun`` reproduces a project run; every bad input is one clear error, no run left RUNNING."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gittree import git
from projecttree import commit_all, write_project

import autolog
from autolog import cli, projects
from autolog.projects import ExecutionError


def _runs() -> list:
    return autolog.Client().search_runs()


def test_rerun_checks_out_the_recorded_commit_and_reproduces_entry_point_and_params(repo: Path, capsys):
    first_commit = git(repo, "rev-parse", "HEAD")
    original = projects.run(f"{repo}#proj", "validate", {"data": str(repo / "proj" / "data.csv"), "note": "x y"})
    mlproject = repo / "proj" / "MLproject"
    mlproject.write_text(mlproject.read_text().replace("0.5", "0.9"))  # the default changes later
    commit_all(repo, "new default")

    assert cli.main(["rerun", original.run_id]) == 0
    out = capsys.readouterr().out
    again = autolog.Client().get_run(out.split()[1])
    before = autolog.Client().get_run(original.run_id)
    assert again.run_id != before.run_id and again.tags["autolog.reproduces"] == before.run_id
    assert again.tags["mlflow.source.git.commit"] == first_commit == before.tags["mlflow.source.git.commit"]
    assert again.tags["mlflow.project.entryPoint"] == "validate"
    assert {k: again.params[k] for k in ("C", "data", "note")} == {"C": "0.5", "data": before.params["data"], "note": "x y"}
    assert again.params == before.params
    assert again.status == "FINISHED"
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # the temporary worktree is gone


def test_rerun_refuses_a_run_made_from_uncommitted_changes_or_not_from_a_project(repo: Path, project: Path):
    (repo / "proj" / "train.py").write_text((repo / "proj" / "train.py").read_text() + "\n# local edit\n")
    dirty = projects.run(f"{repo}#proj")
    assert autolog.Client().get_run(dirty.run_id).tags["autolog.git.dirty"] == "true"
    with pytest.raises(ExecutionError, match="uncommitted changes"):
        projects.rerun(dirty.run_id)
    plain = projects.run(str(project))
    with pytest.raises(ExecutionError, match="not made from a git commit"):
        projects.rerun(plain.run_id)
    with autolog.run() as own:
        pass
    with pytest.raises(ExecutionError, match="not started by `autolog run`"):
        projects.rerun(own.run_id)
    assert cli.main(["rerun", "no-such-run"]) == 1
    assert len(_runs()) == 3


def _fails(match: str, uri: str, entry_point: str = "main", parameters: dict | None = None, **options) -> None:
    with pytest.raises(ExecutionError, match=match):
        projects.run(uri, entry_point, parameters or {}, **options)


def test_bad_projects_entry_points_and_parameters_are_refused_before_any_run(tmp_path: Path, project: Path, repo: Path):
    _fails("no MLproject file", str(write_project(tmp_path / "bare", mlproject=None)))
    _fails("no project folder", str(tmp_path / "missing"))
    _fails(r"no entry point 'train' .*declared: 'main', 'validate'", str(project), "train")
    _fails("required parameter.*'data'", str(project), "validate")
    _fails("'C' must be a float, got 'high'", str(project), parameters={"C": "high"})
    _fails("'max_iter' must be an int, got '1.5'", str(project), parameters={"max_iter": "1.5"})
    _fails("'data': no such file", str(project), "validate", {"data": str(tmp_path / "nope.csv")})
    _fails("version 'no-such-ref' is not a commit, branch or tag", f"{repo}#proj", version="no-such-ref")
    _fails("--version needs a git repository", str(project), version="main")
    _fails("no sub-folder 'elsewhere'", f"{repo}#elsewhere")
    both = write_project(tmp_path / "both", mlproject="""
        name: both
        python_env: python_env.yaml
        conda_env: conda.yaml
        entry_points: {main: {command: "python train.py"}}
    """, python_env__yaml="python: '3.11'\n", conda__yaml="name: x\n")
    _fails("at most one of python_env, conda_env, docker_env", str(both))
    wrong_type = write_project(tmp_path / "typed", mlproject="""
        entry_points: {main: {parameters: {x: tensor}, command: "python train.py"}}
    """)
    _fails("has type 'tensor'", str(wrong_type))
    assert _runs() == []


def test_conda_docker_and_failing_environment_builds_are_refused_before_any_run(tmp_path: Path):
    conda = write_project(tmp_path / "conda", mlproject="""
        name: c
        conda_env: conda.yaml
        entry_points: {main: {command: "python train.py"}}
    """, conda__yaml="name: c\ndependencies: [python=3.11]\n")
    _fails("declares a conda environment", str(conda), env_manager="virtualenv")
    docker = write_project(tmp_path / "docker", mlproject="""
        name: d
        docker_env: {image: "python:3.11"}
        entry_points: {main: {command: "python train.py"}}
    """)
    _fails("declares a docker_env", str(docker))
    broken = write_project(tmp_path / "broken", python_env__yaml=f"""
        python: "{sys.version_info.major}.{sys.version_info.minor}"
        dependencies: ["this is not a requirement !!"]
    """)
    _fails("failed while installing dependencies", str(broken), env_manager="virtualenv", system_site_packages=True)
    old_python = write_project(tmp_path / "old", python_env__yaml="python: '2.6'\n")
    _fails("asks for Python 2.6", str(old_python), env_manager="virtualenv")
    _fails("unknown environment manager 'pipenv'", str(old_python), env_manager="pipenv")
    assert _runs() == []
    cache = tmp_path / "env-cache"
    assert not [p for p in cache.iterdir() if p.is_dir()] if cache.exists() else True  # nothing half-built kept


def test_the_cli_says_what_is_wrong_and_exits_2(project: Path, capsys):
    assert cli.main(["run", str(project), "-P", "C=high"]) == 2
    assert "'C' must be a float" in capsys.readouterr().err
    assert _runs() == []
