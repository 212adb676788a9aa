"""The TensorBoard backend: event files that ``tensorboard --logdir`` shows, written without TensorFlow.

Layout: one folder per run under the log dir (``log_dir=`` argument, else ``AUTOLOG_TENSORBOARD_DIR``,
else ``./runs`` like torch's ``SummaryWriter``), named ``<run name>-<first 8 characters of the run
id>`` (characters other than letters, digits, ``.``, ``-`` and ``_`` become ``_``; a name that
already ends with the short id, like autolog's default ``run-<id8>``, is not suffixed twice). A
child run's folder sits inside its parent's, so TensorBoard lists it as ``parent/child``. Each
start of a run opens a new ``events.out.tfevents.*`` file in that folder.

What each record becomes:

* metric points: scalar summaries (``simple_value``, float32, as ``SummaryWriter.add_scalar``)
  at their step, keys unchanged; consecutive points of one step share one event;
* params: a markdown table in the text dashboard (tag ``params``, exact strings) and an HParams
  session (``_hparams_/session_start_info``, numbers typed as numbers) so the HParams dashboard
  compares runs side by side. Its metric columns are the runs' scalar tags; the plugin shows each
  scalar's last value, that is its final value once the run ended. TensorBoard reads a tag's
  metadata from its first event only, so the session is written once, when the first metric
  point, ``flush`` or the run's end comes after params (params that arrive later reach the text
  table but not the HParams columns);
* tags: a markdown table (tag ``tags``), rewritten whole when a tag changes;
* run end: an HParams ``session_end_info`` with the status (FINISHED -> success; FAILED and
  KILLED -> failure, the plugin has no third outcome), so a run without one is still running;
* a run resumed from a checkpoint at step N (``RunStart.resume_step``): a ``SessionLog.START``
  event at step N + 1, which makes TensorBoard discard the points the interrupted attempt logged
  after N (its documented restart handling). If that attempt ended (rather than crashed), the
  HParams dashboard keeps showing its status: the plugin reads the first session end it finds;
* artifacts and models: TensorBoard has no artifact store, so no files are copied; the list of
  what was logged appears as text (tag ``artifacts``).

Only ``tensorboard`` itself is needed (its protos and its CRC for the record framing; no TensorFlow,
no torch).
Events are appended to a buffered file in the dispatcher's thread (no writer thread of its own);
``flush`` pushes them to the operating system.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from autolog.sdk import Backend, RecordBackend, artifact_destination, hookimpl

if TYPE_CHECKING:
    from autolog.sdk import Artifact, Config, Metric, ModelRecord, RunEnd, RunStart

#: environment variable naming the log dir when no ``log_dir`` argument is given
ENV_LOG_DIR = "AUTOLOG_TENSORBOARD_DIR"
DEFAULT_LOG_DIR = "runs"
PARAMS_TAG = "params"
TAGS_TAG = "tags"
ARTIFACTS_TAG = "artifacts"

_UNSAFE = re.compile(r"[^\w.-]+")
_file_counter = itertools.count()


@dataclass
class _RunLog:
    """One run's open event file and the text/HParams state still to be written."""

    run_id: str
    directory: str
    file: BinaryIO
    start_time: float
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    step: int = 0
    session_started: bool = False
    params_dirty: bool = False
    tags_dirty: bool = False
    artifacts_dirty: bool = False


class TensorBoardBackend(RecordBackend):
    """Writes each run as a TensorBoard run folder of event files (see the module docstring)."""

    name = "tensorboard"

    def __init__(self, log_dir: str | None = None) -> None:
        chosen = log_dir or os.environ.get(ENV_LOG_DIR) or DEFAULT_LOG_DIR
        self.log_dir = os.path.abspath(os.path.expanduser(chosen))
        self._runs: dict[str, _RunLog] = {}
        #: folders of runs that ended, so a late record reopens the same folder
        self._ended: dict[str, str] = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def start_run(self, run: RunStart) -> None:
        if run.run_id in self._runs:
            return
        log = self._open(run.run_id, run.name, run.parent_run_id, run.start_time)
        if run.tags:
            log.tags.update(run.tags)
            log.tags_dirty = True
        if run.resume_step is not None:
            from tensorboard.compat.proto import event_pb2

            restart = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
            log.step = int(run.resume_step)
            self._write(log, [event_pb2.Event(wall_time=run.start_time, step=log.step + 1, session_log=restart)])

    def end_run(self, end: RunEnd) -> None:
        log = self._runs.pop(end.run_id, None)
        if log is None:
            return
        self._ended[end.run_id] = log.directory
        if getattr(end, "detach", False):  # another process owns the run and writes its end
            self._sync_text(log)
            log.file.close()
            return
        self._sync_text(log, final=True)
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

        status = _STATUS.get(getattr(end.status, "value", str(end.status)), "STATUS_UNKNOWN")
        info = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value(status), end_time_secs=end.end_time)
        data = plugin_data_pb2.HParamsPluginData(session_end_info=info)
        self._write(log, [_hparams_event(data, metadata.SESSION_END_INFO_TAG, end.end_time, log.step)])
        log.file.close()

    def flush(self) -> None:
        for log in self._runs.values():
            self._sync_text(log)
            log.file.flush()

    def close(self) -> None:
        for log in self._runs.values():
            self._sync_text(log)
            log.file.close()
        self._runs.clear()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "log_dir": self.log_dir}

    # -- data -----------------------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        log = self._run(run_id)
        log.params.update(params)
        log.params_dirty = True

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        log = self._run(run_id)
        log.tags.update(tags)
        log.tags_dirty = True

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        from tensorboard.compat.proto import event_pb2, summary_pb2

        if not metrics:
            return
        log = self._run(run_id)
        self._sync_text(log)
        Event, Summary, Value = event_pb2.Event, summary_pb2.Summary, summary_pb2.Summary.Value
        events = []
        values: list[Any] = []
        step: int | None = None
        wall_time = 0.0
        for point in metrics:
            if point.step != step and values:
                events.append(Event(wall_time=wall_time, step=step, summary=Summary(value=values)))
                values = []
            if not values:
                step, wall_time = point.step, point.timestamp
            values.append(Value(tag=point.key, simple_value=point.value))
        if values:
            events.append(Event(wall_time=wall_time, step=step, summary=Summary(value=values)))
        self._write(log, events)
        log.step = max(log.step, max(point.step for point in metrics))

    def log_artifact(self, artifact: Artifact) -> None:
        kind = getattr(artifact.kind, "value", str(artifact.kind))
        self._note_artifact(artifact.run_id, _logical_path(artifact.artifact_path, artifact.local_path), kind)

    def log_model(self, model: ModelRecord) -> None:
        self._note_artifact(model.run_id, model.artifact_path, f"model, flavor {model.flavor}")

    # -- helpers --------------------------------------------------------------------------------
    def _run(self, run_id: str) -> _RunLog:
        """The run's open log. A late record (the run ended: a post-training metric) reopens its
        folder with a new event file; the dispatcher never sends records of runs not started."""
        log = self._runs.get(run_id)
        if log is not None:
            return log
        directory = self._ended.get(run_id)
        if directory is None:
            raise LookupError(f"autolog run {run_id!r} was never started on the tensorboard backend")
        return self._open(run_id, "", None, time.time(), directory)

    def _open(
        self, run_id: str, name: str, parent_run_id: str | None, start_time: float, directory: str | None = None
    ) -> _RunLog:
        if directory is None:
            parent = self._runs.get(parent_run_id) if parent_run_id else None
            directory = os.path.join(parent.directory if parent else self.log_dir, run_folder_name(name, run_id))
        os.makedirs(directory, exist_ok=True)
        filename = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.{next(_file_counter)}"
        handle = open(os.path.join(directory, filename), "ab")  # noqa: SIM115 - open until the run ends
        log = _RunLog(run_id, directory, handle, start_time)
        self._runs[run_id] = log
        from tensorboard.compat.proto import event_pb2

        self._write(log, [event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")])
        return log

    def _note_artifact(self, run_id: str, path: str, what: str) -> None:
        log = self._run(run_id)
        log.artifacts.append(f"`{path}` ({what})")
        log.artifacts_dirty = True

    def _sync_text(self, log: _RunLog, final: bool = False) -> None:
        """Write what changed since last time: text tables, and the HParams session once."""
        events = []
        now = time.time()
        if not log.session_started and (log.params or final):
            events.append(_hparams_start_event(log, now))
            log.session_started = True
        if log.params_dirty:
            events.append(_text_event(PARAMS_TAG, markdown_table(("param", "value"), log.params), now, log.step))
            log.params_dirty = False
        if log.tags_dirty:
            events.append(_text_event(TAGS_TAG, markdown_table(("tag", "value"), log.tags), now, log.step))
            log.tags_dirty = False
        if log.artifacts_dirty:
            events.append(_text_event(ARTIFACTS_TAG, "\n".join(f"* {a}" for a in log.artifacts), now, log.step))
            log.artifacts_dirty = False
        if events:
            self._write(log, events)

    @staticmethod
    def _write(log: _RunLog, events: Sequence[Any]) -> None:
        log.file.write(b"".join(_frame(event.SerializeToString()) for event in events))


_STATUS = {
    "FINISHED": "STATUS_SUCCESS",
    "FAILED": "STATUS_FAILURE",
    "KILLED": "STATUS_FAILURE",
    "RUNNING": "STATUS_RUNNING",
}


def run_folder_name(name: str, run_id: str) -> str:
    """``<name>-<id8>``: readable and unique; a name that already ends with the short id keeps it."""
    short = _UNSAFE.sub("_", run_id[:8]) or "run"
    base = _UNSAFE.sub("_", name).strip("._")[:80]
    if not base:
        return short
    return base if base.endswith(short) else f"{base}-{short}"


def markdown_table(header: tuple[str, str], rows: Mapping[str, str]) -> str:
    """A two-column markdown table; ``|`` is escaped and line breaks become spaces."""

    def cell(text: str) -> str:
        return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")

    lines = [f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    lines.extend(f"| {cell(key)} | {cell(value)} |" for key, value in rows.items())
    return "\n".join(lines)


def parse_markdown_table(text: str) -> dict[str, str]:
    """The inverse of :func:`markdown_table` (for readers and tests)."""
    rows: dict[str, str] = {}
    for line in text.splitlines()[2:]:
        cells = re.findall(r"((?:\\.|[^|\\])*)\|", line.strip()[1:])
        if len(cells) >= 2:
            key, value = (re.sub(r"\\(.)", r"\1", c.strip()) for c in cells[:2])
            rows[key] = value
    return rows


def hparam_value(value: str) -> bool | float | str:
    """A param string as the HParams dashboard should sort it: bool, number, or the string."""
    if value in ("True", "False"):
        return value == "True"
    try:
        number = float(value)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def _logical_path(artifact_path: str | None, local_path: str) -> str:
    """Where the local store would put it (the SDK's one rule), or the plain name when it would
    refuse the path."""
    try:
        return artifact_destination(local_path, artifact_path)
    except ValueError:
        return (artifact_path or "").strip("/") or os.path.basename(os.path.normpath(local_path))


def _frame(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC32C, the data, its masked CRC32C."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def _text_event(tag: str, text: str, wall_time: float, step: int) -> Any:
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    from tensorboard.plugins.text import metadata

    tensor = tensor_pb2.TensorProto(
        dtype="DT_STRING",
        string_val=[text.encode("utf-8")],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]),
    )
    value = summary_pb2.Summary.Value(
        tag=tag, metadata=metadata.create_summary_metadata(display_name=tag, description=""), tensor=tensor
    )
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary_pb2.Summary(value=[value]))


def _hparams_start_event(log: _RunLog, wall_time: float) -> Any:
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    info = plugin_data_pb2.SessionStartInfo(start_time_secs=log.start_time)
    for key, raw in log.params.items():
        value = hparam_value(raw)
        if isinstance(value, bool):
            info.hparams[key].bool_value = value
        elif isinstance(value, float):
            info.hparams[key].number_value = value
        else:
            info.hparams[key].string_value = value
    data = plugin_data_pb2.HParamsPluginData(session_start_info=info)
    return _hparams_event(data, metadata.SESSION_START_INFO_TAG, wall_time, log.step)


def _hparams_event(data: Any, tag: str, wall_time: float, step: int) -> Any:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import metadata

    value = summary_pb2.Summary.Value(
        tag=tag, metadata=metadata.create_summary_metadata(data), tensor=metadata.NULL_TENSOR
    )
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary_pb2.Summary(value=[value]))


@hookimpl
def autolog_make_backend(name: str, config: Config) -> Backend | None:
    """Build the TensorBoard backend for ``backends=["tensorboard"]``.

    Options (``backend_options={"tensorboard": {...}}``): ``log_dir``.
    """
    if name == "tensorboard":
        return TensorBoardBackend(**config.backend_options.get("tensorboard", {}))
    return None
