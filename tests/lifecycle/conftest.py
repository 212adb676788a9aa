"""Real processes, ended the way users' scripts end, then read back from the store.

Every test here writes a small user script, runs it with the same interpreter in a fresh process
(no ``AUTOLOG_TESTING``: autolog behaves as it does for users), ends it by itself or with a signal,
and reads what the tracking directory holds afterwards with a fresh :class:`autolog.Client`.
Nothing calls exit handlers by hand. Helpers live in ``lifecycle.py`` (this folder is put on
``sys.path``, as ``tests/backends`` does for its harnesses).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lifecycle import Script  # noqa: E402


@pytest.fixture
def script(tmp_path: Path):
    """``script(code, **env)``: a user script with its own store under ``tmp_path``."""
    made: list[Script] = []

    def make(code: str, **env: str) -> Script:
        folder = tmp_path / f"script-{len(made)}"
        folder.mkdir()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
        environment.update(AUTOLOG_DIR=str(folder / "autolog-runs"), PYTHONWARNINGS="default")
        environment.update(env)
        made.append(Script(folder, code, environment))
        return made[-1]

    yield make


