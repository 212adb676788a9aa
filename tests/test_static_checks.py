"""ruff and mypy, configured in ``pyproject.toml``, pass on the whole tree (run here, so that
``.ci/run``'s one test command runs them too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> None:
    pytest.importorskip(name)


def test_ruff_finds_nothing():
    _tool("ruff")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing(tmp_path):
    """mypy reads packages from folders named as they are imported; the repository maps
    ``integrations/`` and ``backends/`` onto ``autolog.integrations`` and ``autolog.backends``
    (setuptools ``package-dir``), so the check runs on a tree of links laid out as installed."""
    _tool("mypy")
    tree = tmp_path / "tree" / "autolog"
    tree.mkdir(parents=True)
    for entry in (ROOT / "autolog").iterdir():
        if entry.name != "__pycache__":
            (tree / entry.name).symlink_to(entry)
    (tree / "integrations").symlink_to(ROOT / "integrations")
    (tree / "backends").symlink_to(ROOT / "backends")
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", "autolog"],
        capture_output=True, text=True, cwd=tree.parent, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
