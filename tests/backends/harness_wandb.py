"""Contract harness for the W&B backend: real offline runs, read back from their ``.wandb`` files.

wandb 0.31 writes each offline run's records to ``<dir>/wandb/offline-run-<time>-<id>/run-<id>.wandb``
(the transaction log ``wandb sync`` uploads) and ships no Python reader for it, so this module has
one: the file is a LevelDB-style log (a 7-byte header ``:W&B`` + magic 0xBEE1 + version 0, then
32 KiB blocks of chunks, each ``crc32 | length | type`` followed by its bytes) whose assembled
records are ``wandb_internal_pb2.Record`` protos. ``read_offline_run`` folds them into what the W&B
app would show: config, history rows, summary, tags, artifacts, exit code.

The harness runs the backend with ``prefix_metrics=False`` so metric keys come back unchanged (the
``train/``/``eval/`` naming is checked in ``tests/backends/wandb``), offline, silent, with wandb's
data and cache folders under the test's tmp_path, and never with an API key.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import Harness, ReadBack

#: wandb settings that keep test runs quick and quiet
QUIET_SETTINGS = {
    "silent": True,
    "console": "off",
    "x_disable_stats": True,
    "x_disable_meta": True,
    "disable_git": True,
    "save_code": False,
    "disable_job_creation": True,
}
#: environment every test run gets: offline, quiet, nothing written outside tmp_path
ISOLATION_ENV = ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_ARTIFACT_DIR")
_HISTORY_HIDDEN = {"_step", "_runtime", "_timestamp"}

_BLOCK = 32 * 1024
_HEADER = struct.Struct("<4sHB")
_CHUNK = struct.Struct("<IHB")
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@contextlib.contextmanager
def offline_sandbox(home: Path) -> Iterator[Path]:
    """Offline, silent, key-less wandb with every one of its folders under ``home``; wandb reads
    its environment once per process (``wandb.setup``), so its session is torn down before and
    after."""
    import pytest
    import wandb

    with pytest.MonkeyPatch.context() as patch:
        for var in ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_PROJECT", "WANDB_ENTITY", "WANDB_BASE_URL"):
            patch.delenv(var, raising=False)
        patch.setenv("WANDB_MODE", "offline")
        patch.setenv("WANDB_SILENT", "true")
        patch.setenv("NETRC", str(home / "no-netrc"))
        patch.setenv("WANDB_DIR", str(home / "default-dir"))
        for var in ("WANDB_CONFIG_DIR", *ISOLATION_ENV):
            patch.setenv(var, str(home / var.lower()))
        wandb.teardown()
        yield home
        wandb.teardown()


def read_records(path: str) -> list[Any]:
    """Every complete ``Record`` in a ``.wandb`` transaction log, in order; checksums are verified."""
    from wandb.proto import wandb_internal_pb2 as pb

    with open(path, "rb") as fh:
        data = fh.read()
    ident, magic, version = _HEADER.unpack_from(data, 0)
    assert (ident, magic, version) == (b":W&B", 0xBEE1, 0), f"{path} is not a W&B transaction log"
    records, pending, pos = [], b"", _HEADER.size
    while pos + _CHUNK.size <= len(data):
        if _BLOCK - pos % _BLOCK < _CHUNK.size:  # a block's tail too short for a chunk is padding
            pos += _BLOCK - pos % _BLOCK
            continue
        crc, length, kind = _CHUNK.unpack_from(data, pos)
        if (kind == 0 and length == 0) or pos + _CHUNK.size + length > len(data):
            break  # zero padding, or a chunk the service is still writing
        chunk = data[pos + _CHUNK.size : pos + _CHUNK.size + length]
        assert zlib.crc32(chunk, zlib.crc32(bytes([kind]))) == crc, f"bad checksum at byte {pos} of {path}"
        pos += _CHUNK.size + length
        if kind == _FULL:
            records.append(chunk)
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            records.append(pending + chunk)
    return [pb.Record.FromString(raw) for raw in records]


@dataclass
class OfflineRun:
    """One W&B run as its transaction log(s) describe it."""

    run_id: str
    name: str | None = None
    project: str | None = None
    group: str | None = None
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    #: (metric name or glob, step metric) pairs from define_metric
    metric_axes: list[tuple[str, str]] = field(default_factory=list)
    #: one dict per logged artifact: name, type, aliases, metadata, files (paths in the manifest)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None

    def series(self, key: str, step_key: str = "train/global_step") -> list[tuple[int, float]]:
        """``(step, value)`` of ``key`` in row order, the step read from ``step_key``."""
        return [(int(row[step_key]), row[key]) for row in self.history if key in row]


def _update(target: dict[str, Any], item: Any, value: Any) -> None:
    keys = list(item.nested_key) or [item.key]
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def run_files(wandb_dir: str, run_id: str) -> list[str]:
    """The transaction logs of run ``run_id`` under ``<wandb_dir>/wandb``, oldest first.

    Folders are ``<mode>-run-<time>-<id>``, with ``-<n>`` appended when a folder of that name
    exists already (the run resumed within the same second).
    """
    root = os.path.join(glob.escape(wandb_dir), "wandb")
    paths = glob.glob(os.path.join(root, f"*-run-*-{run_id}", f"run-{run_id}.wandb"))
    paths += glob.glob(os.path.join(root, f"*-run-*-{run_id}-*", f"run-{run_id}.wandb"))

    def started(path: str) -> tuple[str, int]:
        folder = os.path.basename(os.path.dirname(path))
        timespec = folder.split("-run-", 1)[1][:15]
        suffix = folder.rsplit(f"-{run_id}", 1)[1].lstrip("-")
        return timespec, int(suffix or 0)

    return sorted(paths, key=started)


def read_offline_run(wandb_dir: str, run_id: str, wait: float = 10.0) -> OfflineRun:
    """Fold run ``run_id``'s logs under ``wandb_dir`` into an ``OfflineRun``.

    ``run.finish()`` can return before the service wrote the log's tail, so this waits up to
    ``wait`` seconds for the latest log's exit record.
    """
    deadline = time.monotonic() + wait
    while True:
        paths = run_files(wandb_dir, run_id)
        logs = [read_records(path) for path in paths]
        if (logs and any(r.WhichOneof("record_type") == "exit" for r in logs[-1])) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    records = [record for log in logs for record in log]
    assert paths, f"no offline W&B run {run_id} under {wandb_dir}"
    run = OfflineRun(run_id)
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            info = record.run
            run.name, run.project, run.group = info.display_name, info.project, info.run_group or None
            run.tags = list(info.tags)
            for item in info.config.update:
                _update(run.config, item, json.loads(item.value_json))
        elif kind == "config":
            for item in record.config.update:
                _update(run.config, item, json.loads(item.value_json))
            for item in record.config.remove:
                run.config.pop(item.key, None)
        elif kind == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                _update(row, item, json.loads(item.value_json))
            run.history.append(row)
        elif kind == "summary":
            for item in record.summary.update:
                _update(run.summary, item, json.loads(item.value_json))
        elif kind == "metric":
            metric = record.metric
            run.metric_axes.append((metric.name or metric.glob_name, metric.step_metric))
        elif kind == "artifact":
            art = record.artifact
            run.artifacts.append(
                {
                    "name": art.name,
                    "type": art.type,
                    "aliases": list(art.aliases),
                    "metadata": json.loads(art.metadata or "{}"),
                    "files": [entry.path for entry in art.manifest.contents],
                }
            )
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


def artifact_paths(run: OfflineRun) -> set[str]:
    """The autolog artifact paths of every file a run's artifacts hold."""
    paths = set()
    for art in run.artifacts:
        base = art["metadata"].get("artifact_path", "")
        if art["metadata"].get("is_dir"):
            paths.update(f"{base}/{name}" if base else name for name in art["files"])
        else:
            paths.add(base or art["files"][0])
    return paths


def status_of(run: OfflineRun) -> str:
    if "status" in run.summary:
        return str(run.summary["status"])
    if run.exit_code is None:
        return "RUNNING"
    return "FINISHED" if run.exit_code == 0 else "FAILED"


class WandbHarness(Harness):
    name = "wandb"
    requires = "wandb"

    def make_backend(self) -> Any:
        from autolog.backends.wandb import WandbBackend

        self._saved_env = {var: os.environ.get(var) for var in (*ISOLATION_ENV, "WANDB_API_KEY")}
        for var in ISOLATION_ENV:
            os.environ[var] = str(self.tmp_path / "wandb-home" / var.lower())
        os.environ.pop("WANDB_API_KEY", None)
        self.wandb_dir = str(self.tmp_path / "wandb-runs")
        os.makedirs(self.wandb_dir, exist_ok=True)
        return WandbBackend(
            project="autolog-contract",
            dir=self.wandb_dir,
            mode="offline",
            settings=QUIET_SETTINGS,
            prefix_metrics=False,
        )

    def read_run(self, run_id: str, backend: Any) -> Any:
        from autolog.backends.wandb import STEP_KEY, TAGS_CONFIG_KEY, wandb_run_id

        run = read_offline_run(self.wandb_dir, wandb_run_id(run_id))
        params = {  # typed values go back to the strings they came from (see config_value)
            key: value if isinstance(value, str) else str(value)
            for key, value in run.config.items()
            if key not in ("_wandb", TAGS_CONFIG_KEY)
        }
        metrics: dict[str, list[tuple[int, float]]] = {}
        for row in run.history:
            for key, value in row.items():
                if key != STEP_KEY and key not in _HISTORY_HIDDEN:
                    metrics.setdefault(key, []).append((int(row[STEP_KEY]), float(value)))
        return ReadBack(
            params=params,
            metrics=metrics,
            tags=dict(run.config.get(TAGS_CONFIG_KEY, {})),
            status=status_of(run),
            artifacts=artifact_paths(run),
            name=run.name,
        )

    def teardown(self) -> None:
        for var, value in getattr(self, "_saved_env", {}).items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


HARNESS_CLASS = WandbHarness
