"""Fixtures for environment capture: real git work trees and user scripts run as processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in (HERE, os.path.join(os.path.dirname(HERE), "lifecycle")):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from gittree import git  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree on branch ``trunk`` with one commit and an ``origin`` remote URL."""
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "trunk")
    (folder / "notes.txt").write_text("first\n")
    git(folder, "add", "notes.txt")
    git(folder, "commit", "-q", "-m", "first")
    git(folder, "remote", "add", "origin", "https://example.com/team/repo.git")
    return folder
