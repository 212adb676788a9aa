"""Project folders for the tests: a training script, an MLproject with two entry points."""

from __future__ import annotations

import textwrap
from pathlib import Path

from gittree import git

#: A training script: fits LogisticRegression(C) on tiny data; writes ``trained.txt`` where it runs.
TRAIN = """
import argparse, os, sys
import numpy as np
import autolog
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--max-iter", type=int, default=100)
parser.add_argument("--data")
parser.add_argument("--note")
args = parser.parse_args()
autolog.autolog()
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] > 0).astype(int)
LogisticRegression(C=args.C, max_iter=args.max_iter).fit(X, y)
with open("trained.txt", "w") as fh:
    fh.write(f"{args.C} {sys.prefix}\\n")
if os.environ.get("FAIL_WITH"):
    sys.exit(int(os.environ["FAIL_WITH"]))
"""

MLPROJECT = """
name: tiny
entry_points:
  main:
    parameters:
      C: {type: float, default: 1.0}
      max_iter: {type: int, default: 50}
    command: "python train.py --C {C} --max-iter {max_iter}"
  validate:
    parameters:
      data: path
      C: {type: float, default: 0.5}
    command: "python train.py --C {C} --data {data}"
"""


def write_project(folder: Path, mlproject: str | None = MLPROJECT, **files: str) -> Path:
    """A project folder with ``train.py``, an MLproject (unless None) and ``files``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    if mlproject is not None:
        (folder / "MLproject").write_text(textwrap.dedent(mlproject))
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(textwrap.dedent(text))
    return folder


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")
