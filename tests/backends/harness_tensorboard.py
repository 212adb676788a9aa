"""Contract harness for the TensorBoard backend: event files read back with TensorBoard's own reader.

``EventAccumulator`` (every size guidance 0, so nothing is sampled away) reads a run's folder:
scalars give the metrics, the ``params`` and ``tags`` text tables give params and tags, the HParams
``session_end_info`` gives the status (no end info: still running; KILLED reads back as FAILED,
the plugin has no third outcome). TensorBoard has no artifact
store, so ``supports_artifacts`` is False.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from harness import Harness, ReadBack

_STATUS = {
    "STATUS_SUCCESS": "FINISHED",
    "STATUS_FAILURE": "FAILED",
    "STATUS_RUNNING": "RUNNING",
}


def find_run_dir(log_dir: str, run_id: str) -> str:
    """The folder of run ``run_id`` (named ``<name>-<id8>``, possibly inside its parent's)."""
    short = run_id[:8]
    found = [
        path
        for path in glob.glob(os.path.join(glob.escape(log_dir), "**"), recursive=True)
        if os.path.isdir(path) and (os.path.basename(path) == short or os.path.basename(path).endswith(f"-{short}"))
    ]
    assert len(found) == 1, f"expected one folder for run {run_id} under {log_dir}, found {found}"
    return found[0]


def load(run_dir: str) -> Any:
    """An ``EventAccumulator`` over ``run_dir`` holding every event (no sampling)."""
    from tensorboard.backend.event_processing import event_accumulator

    guidance = dict.fromkeys(event_accumulator.DEFAULT_SIZE_GUIDANCE, 0)
    guidance[event_accumulator.TENSORS] = 0
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance=guidance)
    accumulator.Reload()
    return accumulator


def last_text(accumulator: Any, tag: str) -> str | None:
    """The latest text written under ``tag``, or None."""
    if tag not in accumulator.Tags()["tensors"]:
        return None
    return accumulator.Tensors(tag)[-1].tensor_proto.string_val[0].decode("utf-8")


def hparams_data(accumulator: Any, tag: str) -> Any:
    """The ``HParamsPluginData`` stored in ``tag``'s summary metadata, or None."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    if tag not in accumulator.Tags()["tensors"]:
        return None
    content = accumulator.SummaryMetadata(tag).plugin_data.content
    return plugin_data_pb2.HParamsPluginData.FromString(content)


class TensorBoardHarness(Harness):
    name = "tensorboard"
    requires = "tensorboard"
    supports_status = True  # HParams session start/end info carries it
    supports_artifacts = False
    supports_tags = True

    def make_backend(self) -> Any:
        from autolog.backends.tensorboard import TensorBoardBackend

        self.log_dir = str(self.tmp_path / "tb-runs")
        return TensorBoardBackend(self.log_dir)

    def read_run(self, run_id: str, backend: Any) -> Any:
        from autolog.backends.tensorboard import PARAMS_TAG, TAGS_TAG, parse_markdown_table
        from tensorboard.plugins.hparams import api_pb2, metadata

        run_dir = find_run_dir(self.log_dir, run_id)
        accumulator = load(run_dir)
        metrics = {
            tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]
        }
        params_text, tags_text = last_text(accumulator, PARAMS_TAG), last_text(accumulator, TAGS_TAG)
        end = hparams_data(accumulator, metadata.SESSION_END_INFO_TAG)
        status = "RUNNING" if end is None else _STATUS[api_pb2.Status.Name(end.session_end_info.status)]
        name = os.path.basename(run_dir)
        return ReadBack(
            params=parse_markdown_table(params_text) if params_text else {},
            metrics=metrics,
            tags=parse_markdown_table(tags_text) if tags_text else {},
            status=status,
            artifacts=set(),
            name=name.rsplit("-", 1)[0] if name.endswith(f"-{run_id[:8]}") else name,
        )


HARNESS_CLASS = TensorBoardHarness
