"""The backend contract: every backend stores what autolog sends, checked in the real system.

Each ``tests/backends/harness_<name>.py`` module provides ``HARNESS_CLASS`` (a subclass of
``harness.Harness``); every check below runs once per harness whose ``requires`` module imports.
The backend is driven exactly as the dispatcher drives it, through ``Backend.plan_delivery``:
one ``write_batch`` for a batch backend, the :class:`autolog.sdk.RecordBackend` adapter's grouped
per-record calls otherwise; then ``flush()`` and ``close()``; then the harness reads the run back
from the real store.

The ``tests`` folder is not a package: this module registers ``tests/backends/harness.py`` as the
module ``harness`` before loading the harness modules, so they can ``from harness import Harness,
ReadBack``.
"""

from __future__ import annotations

import importlib.util
import json
import string
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from autolog.records import (
    Artifact,
    ArtifactKind,
    Metric,
    ModelRecord,
    Params,
    Record,
    RunEnd,
    RunStart,
    RunStatus,
    Tags,
)

HERE = Path(__file__).resolve().parent


def _harness_params() -> list[Any]:
    params = []
    for path in sorted(HERE.glob("harness_*.py")):
        backend_name = path.stem.removeprefix("harness_")
        try:
            harness_class = importlib.import_module(path.stem).HARNESS_CLASS
        except ImportError as exc:  # its SDK is imported at module level and missing
            harness_class = exc
        params.append(pytest.param(harness_class, id=backend_name))
    return params


@pytest.fixture(params=_harness_params())
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    harness_class = request.param
    if isinstance(harness_class, ImportError):
        pytest.skip(f"harness cannot be imported: {harness_class}")
    if harness_class.requires:
        pytest.importorskip(harness_class.requires)
    instance = harness_class(tmp_path)
    yield instance
    instance.teardown()


def deliver(harness: Any, *batches: Sequence[Record]) -> Any:
    """Drive a fresh backend with ``batches`` exactly as the dispatcher does (its
    ``plan_delivery``, the same adapter the lanes use); flush and close it."""
    backend = harness.make_backend()
    for batch in batches:
        for _name, method, args, _records in backend.plan_delivery(list(batch)):
            method(*args)
    backend.flush()
    backend.close()
    return backend


def new_run(name: str = "contract", **tags: str) -> tuple[str, RunStart]:
    run_id = uuid.uuid4().hex
    return run_id, RunStart(run_id, "contract", name, time.time(), tags=tags)


def end(run_id: str, status: RunStatus = RunStatus.FINISHED) -> RunEnd:
    return RunEnd(run_id, status, time.time())


def test_params_round_trip_and_a_10000_char_value_keeps_its_prefix(harness: Any) -> None:
    long_value = "".join(string.ascii_letters[i % 52] for i in range(10_000))
    run_id, start = new_run()
    params = {"learning_rate": "0.001", "optimizer": "adam", "notes": long_value}
    backend = deliver(harness, [start, Params(run_id, params), end(run_id)])

    stored = harness.read_run(run_id, backend).params
    assert stored["learning_rate"] == "0.001"
    assert stored["optimizer"] == "adam"
    assert stored["notes"][:200] == long_value[:200]


def test_metric_histories_keep_every_step_in_order(harness: Any) -> None:
    run_id, start = new_run()
    now = time.time()
    expected = {
        "loss": [(step, 1.0 / (step + 1)) for step in range(120)],
        "accuracy": [(step, step / 120) for step in range(120)],
        "learning_rate": [(step, 0.1 * 0.99**step) for step in range(120)],
    }
    points = [
        Metric(run_id, key, values[step][1], step, now + step * 0.01)
        for step in range(120)
        for key, values in expected.items()
    ]
    backend = deliver(harness, [start], points[:180], [*points[180:], end(run_id)])

    stored = harness.read_run(run_id, backend).metrics
    for key, history in expected.items():
        assert [step for step, _ in stored[key]] == list(range(120))
        assert [value for _, value in stored[key]] == pytest.approx([v for _, v in history], rel=1e-6)


def test_tags_round_trip_and_a_later_value_replaces_the_first(harness: Any) -> None:
    if not harness.supports_tags:
        pytest.skip(f"{harness.name} has no tags")
    run_id, start = new_run(team="vision", stage="dev")
    backend = deliver(harness, [start, Tags(run_id, {"stage": "prod", "owner": "ana"}), end(run_id)])

    tags = harness.read_run(run_id, backend).tags
    assert (tags["team"], tags["stage"], tags["owner"]) == ("vision", "prod", "ana")


def test_runs_end_finished_or_failed(harness: Any) -> None:
    if not harness.supports_status:
        pytest.skip(f"{harness.name} has no run status")
    ok_id, ok_start = new_run("ok")
    bad_id, bad_start = new_run("bad")
    backend = deliver(harness, [ok_start, end(ok_id)], [bad_start, end(bad_id, RunStatus.FAILED)])

    assert harness.read_run(ok_id, backend).status == "FINISHED"
    assert harness.read_run(bad_id, backend).status == "FAILED"


def test_file_and_directory_artifacts_are_stored_under_their_paths(harness: Any, tmp_path: Path) -> None:
    if not harness.supports_artifacts:
        pytest.skip(f"{harness.name} stores no artifacts")
    source = tmp_path / "source"
    (source / "checkpoint" / "sub").mkdir(parents=True)
    (source / "readme.txt").write_text("hello")
    (source / "plot.png").write_bytes(b"\x89PNG fake")
    (source / "checkpoint" / "weights.bin").write_bytes(b"\0" * 64)
    (source / "checkpoint" / "sub" / "state.json").write_text("{}")
    run_id, start = new_run()
    batch = [
        start,
        Artifact(run_id, str(source / "readme.txt"), "notes/readme.txt"),
        Artifact(run_id, str(source / "plot.png"), None, ArtifactKind.PLOT),
        Artifact(run_id, str(source / "checkpoint"), "checkpoint-10", ArtifactKind.CHECKPOINT),
        end(run_id),
    ]
    backend = deliver(harness, batch)

    assert {
        "notes/readme.txt",
        "plot.png",
        "checkpoint-10/weights.bin",
        "checkpoint-10/sub/state.json",
    } <= harness.read_run(run_id, backend).artifacts


def test_model_record_lands_at_its_artifact_path(harness: Any, tmp_path: Path) -> None:
    if not harness.supports_artifacts:
        pytest.skip(f"{harness.name} stores no artifacts")
    model_dir = tmp_path / "staged-model"
    model_dir.mkdir()
    (model_dir / "model.pkl").write_bytes(b"pickle")
    meta = {"format": 1, "flavor": "custom", "loader": "m:load", "files": {"model": "model.pkl"}}
    (model_dir / "autolog-model.json").write_text(json.dumps(meta))
    run_id, start = new_run()
    model = ModelRecord(run_id, str(model_dir), "model", "custom")
    backend = deliver(harness, [start, model, end(run_id)])

    assert {"model/autolog-model.json", "model/model.pkl"} <= harness.read_run(run_id, backend).artifacts


def test_two_runs_interleaved_in_one_batch_stay_apart(harness: Any) -> None:
    a_id, a_start = new_run("a")
    b_id, b_start = new_run("b")
    now = time.time()
    batch: list[Record] = [a_start, b_start, Params(a_id, {"model": "a"}), Params(b_id, {"model": "b"})]
    for step in range(5):
        batch += [Metric(a_id, "loss", 10.0 + step, step, now), Metric(b_id, "loss", 20.0 + step, step, now)]
    batch += [end(b_id), end(a_id)]
    backend = deliver(harness, batch)

    a, b = harness.read_run(a_id, backend), harness.read_run(b_id, backend)
    assert (a.params["model"], b.params["model"]) == ("a", "b")
    assert a.metrics["loss"] == [(step, 10.0 + step) for step in range(5)]
    assert b.metrics["loss"] == [(step, 20.0 + step) for step in range(5)]


def test_unicode_and_odd_key_names_round_trip(harness: Any) -> None:
    metric_key, odd_key = "métrique/λ_loss", "odd key.with-dots and/slashes"
    run_id, start = new_run("ünïcode run")
    batch: list[Record] = [
        start,
        Params(run_id, {"clé": "valeur ✓", odd_key: "1"}),
        Metric(run_id, metric_key, 0.5, 0, time.time()),
        Metric(run_id, odd_key, 2.0, 0, time.time()),
        end(run_id),
    ]
    if harness.supports_tags:
        batch.insert(2, Tags(run_id, {"note": "日本語のメモ"}))
    backend = deliver(harness, batch)

    stored = harness.read_run(run_id, backend)
    assert stored.params["clé"] == "valeur ✓" and stored.params[odd_key] == "1"
    assert stored.metrics[metric_key] == [(0, 0.5)]
    assert stored.metrics[odd_key] == [(0, 2.0)]
    if harness.supports_tags:
        assert stored.tags["note"] == "日本語のメモ"
