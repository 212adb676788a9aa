"""Registering autologged scikit-learn models and reading them back: versions, aliases, the
legacy stages, and loading by ``models:/`` URI."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pytest

import autolog
from autolog.client import Client


def test_register_model_creates_numbered_versions_of_a_new_model(fit_model, client: Client, tracking_dir: str) -> None:
    run_id, _ = fit_model()
    before = int(time.time() * 1000)
    first = autolog.register_model(f"runs:/{run_id}/model", "iris-clf")
    second = autolog.register_model(f"runs:/{run_id}/model", "iris-clf", tags={"team": "red"})

    assert (first.name, first.version, second.version) == ("iris-clf", 1, 2)
    assert first.run_id == run_id and first.status == "READY" and first.current_stage == "None"
    assert first.source == f"{client._store.artifacts_uri}/{run_id}/model"
    assert before <= first.creation_timestamp <= int(time.time() * 1000)
    assert second.tags == {"team": "red"}
    model = client.get_registered_model("iris-clf")
    assert [v.version for v in model.latest_versions] == [2]  # the newest in stage None
    assert client.get_model_version("iris-clf", "2") == second


def test_every_models_uri_loads_the_registered_estimator(fit_model, client: Client, iris) -> None:
    run_a, est_a = fit_model(0.01)
    run_b, est_b = fit_model(10.0)
    autolog.register_model(f"runs:/{run_a}/model", "iris-clf")
    autolog.register_model(f"runs:/{run_b}/model", "iris-clf")
    client.set_registered_model_alias("iris-clf", "champion", 1)
    with pytest.warns(FutureWarning, match="aliases"):
        client.transition_model_version_stage("iris-clf", 1, "production")

    features = iris[0]
    expected = {1: est_a.predict_proba(features), 2: est_b.predict_proba(features)}
    assert not np.allclose(expected[1], expected[2])
    for uri, version in [
        ("models:/iris-clf/1", 1), ("models:/iris-clf/2", 2), ("models:/iris-clf@champion", 1),
        ("models:/iris-clf/Production", 1), ("models:/iris-clf/production", 1), ("models:/iris-clf/latest", 2),
        (f"runs:/{run_b}/model", 2),
    ]:
        loaded = autolog.load_model(uri)
        np.testing.assert_allclose(loaded.predict_proba(features), expected[version], err_msg=uri)


def test_an_alias_moves_to_the_version_it_is_set_on(fit_model, client: Client) -> None:
    run_id, _ = fit_model()
    for _ in range(3):
        autolog.register_model(f"runs:/{run_id}/model", "m")
    client.set_registered_model_alias("m", "champion", 1)
    client.set_registered_model_alias("m", "champion", "3")
    client.set_registered_model_alias("m", "challenger", 2)

    assert client.get_model_version_by_alias("m", "champion").version == 3
    assert client.get_registered_model("m").aliases == {"challenger": 2, "champion": 3}
    assert client.get_model_version("m", 3).aliases == ["champion"]
    assert client.get_model_version("m", 1).aliases == []
    client.delete_registered_model_alias("m", "champion")
    assert client.get_registered_model("m").aliases == {"challenger": 2}
    with pytest.raises(LookupError, match="challenger"):
        client.get_model_version_by_alias("m", "champion")


def test_stage_transitions_archive_the_versions_already_in_the_stage(fit_model, client: Client) -> None:
    run_id, _ = fit_model()
    for _ in range(3):
        autolog.register_model(f"runs:/{run_id}/model", "m")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.transition_model_version_stage("m", 1, "Production")
        client.transition_model_version_stage("m", 2, "STAGING")
        moved = client.transition_model_version_stage("m", 3, "production", archive_existing_versions=True)
        latest = client.get_latest_versions("m", ["Production", "staging"])
        every = client.get_latest_versions("m")
    assert len(caught) == 5 and all(w.category is FutureWarning for w in caught)
    assert "set_registered_model_alias" in str(caught[0].message)

    assert moved.current_stage == "Production"
    stages = {v.version: v.current_stage for v in client.search_model_versions("name = 'm'")}
    assert stages == {1: "Archived", 2: "Staging", 3: "Production"}
    assert sorted((v.version, v.current_stage) for v in latest) == [(2, "Staging"), (3, "Production")]
    assert sorted(v.version for v in every) == [1, 2, 3]


def test_a_deleted_version_number_is_never_reused_but_a_new_model_starts_at_one(fit_model, client: Client) -> None:
    run_id, _ = fit_model()
    uri = f"runs:/{run_id}/model"
    autolog.register_model(uri, "m")
    autolog.register_model(uri, "m")
    client.set_registered_model_alias("m", "champion", 2)
    client.delete_model_version("m", 2)
    assert client.get_registered_model("m").aliases == {}  # the alias went with its version
    assert autolog.register_model(uri, "m").version == 3
    assert [v.version for v in client.search_model_versions("name = 'm'")] == [3, 1]

    client.delete_registered_model("m")
    assert client.search_registered_models() == []
    assert client.search_model_versions() == []
    assert autolog.register_model(uri, "m").version == 1


def test_descriptions_tags_and_renames(fit_model, client: Client) -> None:
    run_id, _ = fit_model()
    created = client.create_registered_model("m", tags={"owner": "ana"}, description="first")
    assert (created.description, created.tags, created.latest_versions) == ("first", {"owner": "ana"}, [])
    version = client.create_model_version("m", f"runs:/{run_id}/model", description="v one")
    assert (version.version, version.run_id, version.description) == (1, run_id, "v one")
    client.update_registered_model("m", description="better")
    client.update_model_version("m", 1, description="v uno")
    client.set_registered_model_tag("m", "stage", "beta")
    client.set_model_version_tag("m", 1, "validated", True)
    client.set_registered_model_alias("m", "champion", 1)

    renamed = client.rename_registered_model("m", "m2")
    assert (renamed.name, renamed.description, renamed.tags) == ("m2", "better", {"owner": "ana", "stage": "beta"})
    assert renamed.aliases == {"champion": 1}
    moved = client.get_model_version("m2", 1)
    assert (moved.name, moved.description, moved.tags) == ("m2", "v uno", {"validated": "True"})
    assert autolog.load_model("models:/m2@champion").predict is not None
    with pytest.raises(LookupError, match="m2"):
        client.get_registered_model("m")
    client.delete_registered_model_tag("m2", "stage")
    client.delete_model_version_tag("m2", 1, "validated")
    assert client.get_registered_model("m2").tags == {"owner": "ana"}
    assert client.get_model_version("m2", 1).tags == {}


def test_register_model_accepts_an_existing_version_and_a_model_folder(fit_model, client: Client, iris) -> None:
    run_id, estimator = fit_model()
    autolog.register_model(f"runs:/{run_id}/model", "source")
    copied = autolog.register_model("models:/source/1", "copy")
    assert (copied.version, copied.run_id, copied.source) == (1, run_id, client.get_model_version("source", 1).source)

    folder = client.artifact_path(run_id, "model")
    from_folder = autolog.register_model(folder, "from-folder")
    assert from_folder.run_id is None and from_folder.source.startswith("file://")
    np.testing.assert_allclose(autolog.load_model("models:/from-folder/1").predict_proba(iris[0]), estimator.predict_proba(iris[0]))


def test_reading_a_store_that_does_not_exist_finds_nothing_and_creates_nothing(client: Client, tracking_dir: str) -> None:
    assert client.search_registered_models() == []
    assert client.search_model_versions("name = 'x'") == []
    with pytest.raises(LookupError, match="no model is registered"):
        client.get_registered_model("x")
    with pytest.raises(LookupError, match="no model is registered"):
        autolog.load_model("models:/x@champion", tracking_dir=tracking_dir)
    with pytest.raises(ValueError, match="position"):
        client.search_model_versions("name = x")
    assert not os.path.exists(tracking_dir)


def test_the_registry_names_the_model_file_the_model_format_writes() -> None:
    from autolog import _model_registry_client, model_format

    assert _model_registry_client.MODEL_META_FILE == model_format.MODEL_META_FILE
