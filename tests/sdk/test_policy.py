"""The SDK's shared policies: one rule each, used by the core, the integrations and the backends."""

from __future__ import annotations

import os
import uuid

import pytest

from autolog.sdk import policy


def test_metric_value_accepts_numbers_as_mlflow_does_and_refuses_the_rest():
    np = pytest.importorskip("numpy")
    assert policy.metric_value(1.5) == 1.5
    assert policy.metric_value(3) == 3.0
    assert policy.metric_value(True) == 1.0 and policy.metric_value(False) == 0.0
    assert policy.metric_value(np.float32(0.25)) == 0.25
    assert policy.metric_value(np.array(2.0)) == 2.0
    assert policy.metric_value(float("nan")) != policy.metric_value(float("nan"))  # NaN is kept
    assert policy.metric_value(float("inf")) == float("inf")
    for bad in (None, "1.0", b"1", [1.0], (1.0,), {"a": 1}, object(), 10**400):
        assert policy.metric_value(bad) is None, bad


def test_metric_step_takes_whole_numbers_only():
    assert policy.metric_step(None) == 0
    assert policy.metric_step(7) == 7
    assert policy.metric_step(3.0) == 3
    for bad in ("abc", "3", 2.5, float("nan"), float("inf"), object()):
        assert policy.metric_step(bad) is None, bad


def test_truncate_keeps_within_the_limit_with_one_marker():
    text = "x" * 10_000
    cut = policy.truncate(text, 6000)
    assert len(cut) == 6000 and cut.endswith("...(truncated, 10000 chars)")
    assert policy.truncate("short", 10) == "short"
    assert policy.truncate(text, 5) == "xxxxx"  # a limit too small for the marker: just the head


def test_param_string_never_raises():
    class Broken:
        def __str__(self):
            raise RuntimeError("no")

    assert policy.param_string("text") == "text"
    assert policy.param_string(0.1) == "0.1"
    assert policy.param_string(Broken()) == "<unprintable Broken>"


def test_artifact_paths_stay_inside_the_run():
    assert policy.artifact_destination("/tmp/model.pt", None) == "model.pt"
    assert policy.artifact_destination("/tmp/model.pt", "checkpoints/./a/../model.pt") == "checkpoints/model.pt"
    for bad in ("../escape", "/abs/path", "a/../../b"):
        with pytest.raises(ValueError, match="inside the run"):
            policy.artifact_destination("/tmp/x", bad)


def test_run_ids_look_like_uuid4_and_differ_in_a_forked_child():
    first = policy.new_run_id()
    assert uuid.UUID(first).version == 4 and len(first) == 32
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, policy.new_run_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert child != policy.new_run_id() and len(child) == 32


def test_link_or_copy_places_the_same_bytes(tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"weights")
    linked = policy.link_or_copy(str(source), str(tmp_path / "b.bin"))
    assert (tmp_path / "b.bin").read_bytes() == b"weights"
    assert linked == (os.stat(source).st_ino == os.stat(tmp_path / "b.bin").st_ino)
