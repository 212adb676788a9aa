"""Fixtures for projects: real project folders and git repositories built in ``tmp_path``.

The project's command runs with this interpreter (``local``) or in a virtual environment built
with ``--system-site-packages`` (nothing is downloaded); its sklearn fit logs into the project's
run through ``AUTOLOG_RUN_ID``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in (HERE, os.path.join(os.path.dirname(HERE), "environment")):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from gittree import git  # noqa: E402
from projecttree import commit_all, write_project  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A plain project folder (not a git repository)."""
    return write_project(tmp_path / "project")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on branch ``trunk`` whose folder ``proj`` is the project, committed."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "trunk")
    write_project(root / "proj", data__csv="x\n")
    commit_all(root, "first")
    return root


@pytest.fixture(autouse=True)
def _environment_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOG_ENV_CACHE", str(tmp_path / "env-cache"))
    monkeypatch.delenv("FAIL_WITH", raising=False)
    monkeypatch.setenv("AUTOLOG_CAPTURE_ENVIRONMENT", "1")  # the project's command records its environment
