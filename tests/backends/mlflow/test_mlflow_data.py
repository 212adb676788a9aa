"""Params, metrics, tags and artifacts: what MLflow stores, within its limits."""

from __future__ import annotations

import math
import warnings

import pytest
from autolog.backends.mlflow import TRUNCATION_MARKER, sanitize_key

from autolog.records import ArtifactKind


def test_params_metrics_and_tags_round_trip(driver, client):
    run_id = driver.start()
    driver.params(run_id, {"alpha": "0.1", "solver": "lbfgs"})
    driver.metrics(run_id, [("loss", 1.0, 0), ("acc", 0.5, 0), ("loss", 0.5, 1), ("loss", 0.25, 2)])
    driver.metrics(run_id, [("loss", 0.125, 3), ("nan", math.nan, 0)])
    driver.tags(run_id, {"stage": "dev"})
    driver.tags(run_id, {"stage": "prod"})  # a later tag value replaces the earlier
    driver.end(run_id)

    run = driver.mlflow_run(run_id)
    assert run.data.params == {"alpha": "0.1", "solver": "lbfgs"}
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)]
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "acc")] == [(0, 0.5)]
    assert math.isnan(client.get_metric_history(run.info.run_id, "nan")[0].value)
    assert run.data.tags["stage"] == "prod"


def test_big_batches_are_split_within_mlflow_limits(driver, client):
    run_id = driver.start()
    backend = driver.backend
    calls = []
    real_log_batch = backend._client.log_batch

    def spy(run, metrics=(), params=(), tags=()):
        calls.append((len(metrics), len(params), len(tags)))
        return real_log_batch(run, metrics=metrics, params=params, tags=tags)

    backend._client.log_batch = spy
    driver.params(run_id, {f"p{i}": "x" * 5000 for i in range(250)})
    driver.tags(run_id, {f"t{i}": str(i) for i in range(250)})
    driver.metrics(run_id, [(f"m{i % 5}", float(i), i // 5) for i in range(2500)])
    driver.end(run_id)

    assert calls and all(m <= 1000 and p <= 100 and t <= 100 for m, p, t in calls)
    assert sum(c[1] for c in calls) == 250
    assert len([c for c in calls if c[1]]) >= 3  # 250 params of 5 kB: split by size, not only count
    run = driver.mlflow_run(run_id)
    assert len(run.data.params) == 250
    assert {f"t{i}" for i in range(250)} <= set(run.data.tags)
    history = client.get_metric_history(run.info.run_id, "m3")
    assert [m.step for m in history] == list(range(500))


def test_long_param_is_truncated_and_kept_whole_in_an_artifact(driver, client, tmp_path):
    run_id = driver.start()
    long_value = "v" * 6500 + "END"
    driver.params(run_id, {"grid/long": long_value, "short": "ok"})
    driver.end(run_id)

    run = driver.mlflow_run(run_id)
    stored = run.data.params["grid/long"]
    assert len(stored) == 6000 and stored.endswith(TRUNCATION_MARKER.format(length=6503))
    assert stored.startswith("v" * 100)
    local = client.download_artifacts(run.info.run_id, "params/grid/long.txt", str(tmp_path))
    assert open(local, encoding="utf-8").read() == long_value
    assert run.data.params["short"] == "ok"


def test_param_logged_again_with_another_value_keeps_the_first_and_warns_once(driver):
    run_id = driver.start()
    driver.params(run_id, {"alpha": "1"})
    with pytest.warns(UserWarning, match="alpha") as record:
        driver.params(run_id, {"alpha": "2"})
        driver.params(run_id, {"alpha": "3", "beta": "b"})
    assert len([w for w in record if "alpha" in str(w.message)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        driver.params(run_id, {"alpha": "1"})  # the same value again is no conflict
    driver.end(run_id)
    assert driver.mlflow_run(run_id).data.params == {"alpha": "1", "beta": "b"}


def test_param_already_on_the_server_is_not_an_error(driver, client):
    """Guards MLflow's 'Changing param values is not allowed' even when autolog did not send it."""
    from mlflow.entities import Param

    run_id = driver.start()
    client.log_batch(driver.backend.mlflow_run_id(run_id), params=[Param("lr", "0.1")])
    with pytest.warns(UserWarning, match="lr"):
        driver.params(run_id, {"lr": "0.2", "epochs": "3"})
    driver.end(run_id)
    assert driver.mlflow_run(run_id).data.params == {"lr": "0.1", "epochs": "3"}


def test_keys_that_sanitise_alike_never_collide(driver, client):
    keys = {"a/b": 1.0, "a b": 2.0, "a_b": 3.0, "a:b": 4.0, "a//b": 5.0, "acc@1": 6.0, "acc#1": 7.0}
    run_id = driver.start()
    with pytest.warns(UserWarning, match="'a:b'; it is logged as 'a_b_"):
        driver.params(run_id, {k: str(v) for k, v in keys.items()})
    driver.metrics(run_id, [(k, v, 0) for k, v in keys.items()])
    driver.end(run_id)
    run = driver.mlflow_run(run_id)
    assert len(run.data.metrics) == len(keys) and len(run.data.params) == len(keys)
    assert sorted(run.data.metrics.values()) == sorted(keys.values())  # every value kept, none merged
    assert {k: run.data.metrics[k] for k in ("a/b", "a b", "a_b")} == {"a/b": 1.0, "a b": 2.0, "a_b": 3.0}


def test_rejected_names_are_sanitised_consistently(driver, client):
    odd = ["eval:loss", "a//b", "/lead", "x/../y", "w!th#chars", ".", "k" * 300]
    expected = [sanitize_key(k) for k in odd]
    heads = ["eval_loss_", "a/b_", "lead_", "x/__/y_", "w_th_chars_", "__"]
    assert all(name.startswith(head) and len(name) == len(head) + 6 for name, head in zip(expected, heads))
    assert len(expected[6]) == 250 and expected[6] == sanitize_key("k" * 300)
    assert sanitize_key("k" * 300) != sanitize_key("k" * 301)
    assert sanitize_key("eval_loss") == "eval_loss"  # an accepted key is never renamed

    run_id = driver.start()
    with pytest.warns(UserWarning, match="MLflow does not accept the name"):
        driver.params(run_id, dict.fromkeys(odd, "1"))
    driver.metrics(run_id, [(k, 1.0, 0) for k in odd] + [("eval:loss", 2.0, 1)])
    driver.tags(run_id, dict.fromkeys(odd, "t"))
    driver.end(run_id)

    run = driver.mlflow_run(run_id)
    assert set(expected) <= set(run.data.params)
    assert set(expected) <= set(run.data.metrics)
    assert set(expected) <= set(run.data.tags)
    history = client.get_metric_history(run.info.run_id, expected[0])
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 2.0)]


def test_long_tag_value_is_truncated(driver):
    run_id = driver.start()
    driver.tags(run_id, {"notes": "n" * 9000})
    driver.end(run_id)
    stored = driver.mlflow_run(run_id).data.tags["notes"]
    assert len(stored) == 8000 and stored.endswith(TRUNCATION_MARKER.format(length=9000))


def test_files_and_directories_land_at_their_artifact_paths(driver, client, tmp_path):
    single = tmp_path / "readme.txt"
    single.write_text("hello")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(b"png")
    (folder / "sub" / "b.txt").write_text("b")
    checkpoint = tmp_path / "checkpoint-10"
    checkpoint.mkdir()
    (checkpoint / "weights.bin").write_bytes(b"\0" * 64)

    run_id = driver.start()
    driver.artifact(run_id, single, "notes/readme.txt")  # a file lands at its artifact path
    driver.artifact(run_id, single, "docs/renamed.md")
    driver.artifact(run_id, single)  # no path: its base name
    driver.artifact(run_id, folder, "figures", ArtifactKind.PLOT)  # a directory's contents under it
    driver.artifact(run_id, checkpoint, None, ArtifactKind.CHECKPOINT)
    driver.artifact(run_id, checkpoint, "checkpoints/best", ArtifactKind.CHECKPOINT)
    with pytest.warns(UserWarning, match="no longer exists"):
        driver.artifact(run_id, tmp_path / "gone.txt")
    driver.end(run_id)

    mlflow_run_id = driver.mlflow_run(run_id).info.run_id
    assert driver.artifacts(mlflow_run_id) == {
        "notes/readme.txt",
        "docs/renamed.md",
        "readme.txt",
        "figures/a.png",
        "figures/sub/b.txt",
        "checkpoint-10/weights.bin",
        "checkpoints/best/weights.bin",
    }
    local = client.download_artifacts(mlflow_run_id, "docs/renamed.md", str(tmp_path / "dl"))
    assert open(local).read() == "hello"
