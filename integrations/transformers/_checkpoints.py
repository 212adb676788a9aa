"""Checkpoints: staged at once with hard links, uploaded by policy, and the run id kept for resume.

When the Trainer saves ``checkpoint-<step>``, :class:`CheckpointLog` hard-links every file into a
private staging folder next to it (``<output_dir>/.autolog-staging/``, the same filesystem, so this
costs a directory entry per file; a copy only where links fail). The Trainer's
``save_total_limit`` rotation can then delete its folder without affecting what autolog uploads,
and the training thread never waits for an upload: the staged folder is handed to the dispatcher
(``staged=True``), which deletes it after delivery.

Policies (``log_checkpoints``):

* ``"all"``: every checkpoint, as soon as it is saved (alias ``latest``; ``best`` too when it is);
* ``"last"`` (default): only the newest checkpoint reaches the run, when training ends or fails;
  each new one replaces the previous staging, so intermediate checkpoints are never shipped;
* ``"best"``: only the checkpoint of the best evaluation (``metric_for_best_model``), alias
  ``best``; the newest one when no best is known;
* ``"none"``: no checkpoint artifacts.

Each checkpoint folder also gets ``autolog_run.json`` (the run id and step), which is how
``train(resume_from_checkpoint=...)`` continues the same run.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from typing import TYPE_CHECKING, Any

from autolog.sdk import ArtifactKind, link_tree, warn_once

if TYPE_CHECKING:
    from autolog.sdk import AutologgedRun as Run

POLICIES = ("all", "last", "best", "none")
RUN_FILE = "autolog_run.json"
STAGING_DIR = ".autolog-staging"


def policy(value: Any) -> str:
    """A valid ``log_checkpoints`` policy (``True`` means ``"last"``, ``False`` ``"none"``)."""
    if value is True:
        return "last"
    if value is False or value is None:
        return "none"
    text = str(value).lower()
    if text in POLICIES:
        return text
    warn_once(
        f"log-checkpoints:{text}",
        f"autolog: log_checkpoints={value!r} is not one of {POLICIES}; using 'last'.",
    )
    return "last"


def staging_root(output_dir: str | None) -> str:
    """Where staged copies go: beside the checkpoints, so hard links work."""
    base = os.path.abspath(output_dir) if output_dir else os.path.abspath("trainer_output")
    return os.path.join(base, STAGING_DIR)  # created with the first staged folder


def new_staging_dir(root: str, label: str) -> str:
    return os.path.join(root, f"{label}-{uuid.uuid4().hex[:8]}")


def write_run_file(folder: str, run: Run, step: int) -> None:
    """Record in a checkpoint folder which run it belongs to (read back on resume)."""
    data = {"run_id": run.run_id, "run_name": run.name, "experiment": run.experiment, "global_step": int(step)}
    with open(os.path.join(folder, RUN_FILE), "w", encoding="utf-8") as fh:
        json.dump(data, fh)


def read_run_file(folder: str | None) -> dict[str, Any] | None:
    """The ``autolog_run.json`` of a checkpoint folder, or None."""
    if not folder:
        return None
    try:
        with open(os.path.join(folder, RUN_FILE), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("run_id") else None


def remove(path: str | None) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


class CheckpointLog:
    """Stages the checkpoints of one training run and logs those its policy keeps."""

    def __init__(self, run: Run, policy_name: str, root: str) -> None:
        self.run = run
        self.policy = policy_name
        self.root = root
        #: (staged folder, step) waiting for the end of training
        self._last: tuple[str, int] | None = None
        self._best: tuple[str, int] | None = None

    def saved(self, folder: str, step: int, is_best: bool) -> None:
        """The Trainer has just written ``folder`` (``checkpoint-<step>``)."""
        if self.policy == "none":
            return
        if self.policy == "best" and not is_best and self._best is not None:
            return  # an older checkpoint is the best: nothing to keep from this one
        staged = new_staging_dir(self.root, f"checkpoint-{step}")
        link_tree(folder, staged)
        if self.policy == "all":
            self._log(staged, step, ("latest", "best") if is_best else ("latest",))
        elif self.policy == "best" and is_best:
            self._replace("_best", (staged, step))
            self._replace("_last", None)
        else:
            self._replace("_last", (staged, step))

    def finish(self) -> None:
        """Training ended (or failed): log what is waiting. Safe to call more than once."""
        best, last = self._best, self._last
        self._best = self._last = None
        if best is not None:
            self._log(*best, ("best",))
            remove(last[0] if last else None)
        elif last is not None:
            self._log(*last, ("latest",))

    def _replace(self, slot: str, value: tuple[str, int] | None) -> None:
        old = getattr(self, slot)
        setattr(self, slot, value)
        if old is not None:
            remove(old[0])

    def _log(self, staged: str, step: int, aliases: tuple[str, ...]) -> None:
        if self.run.ended:
            remove(staged)
            return
        self.run.log_artifact(
            staged,
            f"checkpoints/checkpoint-{step}",
            kind=ArtifactKind.CHECKPOINT,
            staged=True,
            aliases=aliases,
        )
