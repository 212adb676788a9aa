"""Bad input to the registry: one clear error, and the store exactly as it was."""

from __future__ import annotations

import sqlite3

import pytest

import autolog
from autolog.client import Client
from autolog.store.entities import RegistryError, RegistryNotFound


def _snapshot(tracking_dir: str) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"{tracking_dir}/autolog.db")
    tables = ["registered_models", "registered_model_tags", "model_versions", "model_version_tags",
              "registered_model_aliases"]
    found = {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in tables}
    conn.close()
    return found


@pytest.fixture
def registered(client: Client, tmp_path) -> None:
    """Model ``m`` with versions 1 (alias champion, Production) and 2 of a folder source."""
    client.create_registered_model("m", tags={"k": "v"})
    client.create_model_version("m", (tmp_path / "somewhere").as_uri())
    client.create_model_version("m", (tmp_path / "somewhere").as_uri(), tags={"k": "v"})
    client.set_registered_model_alias("m", "champion", 1)
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("m", 1, "Production")


BAD_ALIASES = ["bad alias", "a.b", "α/β", "trailing\n", "latest", "LATEST", "v3", "V12", "", "x" * 256]


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_an_alias_with_odd_characters_or_a_reserved_name_is_refused(registered, client: Client, tracking_dir: str, alias: str) -> None:
    before = _snapshot(tracking_dir)
    with pytest.raises(RegistryError, match="alias") as caught:
        client.set_registered_model_alias("m", alias, 2)
    assert isinstance(caught.value, ValueError) and caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert _snapshot(tracking_dir) == before


def test_aliases_of_letters_digits_underscores_and_dashes_are_accepted(registered, client: Client) -> None:
    for alias in ["champion", "Prod_2024-01", "v", "v1a", "_", "latest2"]:
        client.set_registered_model_alias("m", alias, 2)
        assert client.get_model_version_by_alias("m", alias).version == 2


@pytest.mark.parametrize("stage", ["Prod", "production ", "Deleted_Internal", "", "staged"])
def test_a_stage_that_is_not_one_of_the_four_is_refused(registered, client: Client, tracking_dir: str, stage: str) -> None:
    before = _snapshot(tracking_dir)
    with pytest.warns(FutureWarning), pytest.raises(RegistryError, match="None, Staging, Production, Archived"):
        client.transition_model_version_stage("m", 2, stage)
    assert _snapshot(tracking_dir) == before


def test_archiving_into_a_stage_that_is_not_active_is_refused(registered, client: Client, tracking_dir: str) -> None:
    before = _snapshot(tracking_dir)
    with pytest.warns(FutureWarning), pytest.raises(RegistryError, match="active stage"):
        client.transition_model_version_stage("m", 2, "Archived", archive_existing_versions=True)
    assert _snapshot(tracking_dir) == before


def test_a_version_that_does_not_exist_is_named_with_those_that_do(registered, client: Client, tracking_dir: str) -> None:
    before = _snapshot(tracking_dir)
    calls = [
        lambda: client.get_model_version("m", 7),
        lambda: client.set_registered_model_alias("m", "champion", 7),
        lambda: client.update_model_version("m", 7, "x"),
        lambda: client.delete_model_version("m", 7),
        lambda: client.set_model_version_tag("m", 7, "k", "v"),
    ]
    for call in calls:
        with pytest.raises(RegistryNotFound, match=r"no version 7 \(versions: 1, 2\)"):
            call()
    with pytest.raises(RegistryError, match="integer"):
        client.get_model_version("m", "two")
    assert _snapshot(tracking_dir) == before


def test_a_model_name_that_does_not_exist_is_named_with_those_that_do(registered, client: Client, tracking_dir: str) -> None:
    before = _snapshot(tracking_dir)
    for call in [
        lambda: client.get_registered_model("nope"),
        lambda: client.create_model_version("nope", "file:///tmp/x"),
        lambda: client.set_registered_model_alias("nope", "a", 1),
        lambda: client.rename_registered_model("nope", "other"),
        lambda: client.delete_registered_model("nope"),
        lambda: client.delete_registered_model_alias("nope", "a"),
    ]:
        with pytest.raises(RegistryNotFound, match="'nope' not found; registered models: m") as caught:
            call()
        assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert _snapshot(tracking_dir) == before


def test_registering_a_uri_that_holds_no_model_is_refused(registered, fit_model, client: Client, tracking_dir: str) -> None:
    run_id, _ = fit_model()
    before = _snapshot(tracking_dir)
    with pytest.raises(RegistryError, match="holds no model.*its artifacts: model, plots"):
        autolog.register_model(f"runs:/{run_id}/plots", "m")
    with pytest.raises(RegistryError, match="holds no model"):
        autolog.register_model(f"runs:/{run_id}/nothing-here", "new-model")
    with pytest.raises(LookupError, match="no run with id 'feedface'"):
        autolog.register_model("runs:/feedface/model", "m")
    with pytest.raises(RegistryError, match="runs:/<run_id>/<artifact path>"):
        autolog.register_model(f"runs:/{run_id}", "m")
    with pytest.raises(RegistryError, match="cannot register"):
        autolog.register_model("s3://bucket/model", "m")
    with pytest.raises(RegistryError, match="cannot contain"):
        autolog.register_model(f"runs:/{run_id}/model", "a/b")
    with pytest.raises(RegistryError, match="non-empty"):
        autolog.register_model(f"runs:/{run_id}/model", " ")
    assert _snapshot(tracking_dir) == before
    assert [m.name for m in client.search_registered_models()] == ["m"]


def test_existing_names_are_refused(registered, client: Client, tracking_dir: str) -> None:
    client.create_registered_model("other")
    before = _snapshot(tracking_dir)
    with pytest.raises(RegistryError, match="already exists") as caught:
        client.create_registered_model("m")
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(RegistryError, match="already exists"):
        client.rename_registered_model("m", "other")
    assert _snapshot(tracking_dir) == before


def test_a_models_uri_naming_nothing_names_what_exists(registered, tracking_dir: str) -> None:
    exists = "Model 'm' has versions: 1, 2; aliases: @champion -> 1; stages: Production -> 1."
    cases = {
        "models:/m/9": "model 'm' has no version 9",
        "models:/m@challenger": "model 'm' has no alias 'challenger'",
        "models:/m/Staging": "no version of 'm' is in stage Staging",
    }
    for uri, reason in cases.items():
        with pytest.raises(RegistryNotFound) as caught:
            autolog.load_model(uri)
        assert str(caught.value) == f"{uri!r} names no model version: {reason}. {exists}"
    with pytest.raises(RegistryNotFound, match="registered model 'x' not found; registered models: m"):
        autolog.load_model("models:/x/1")
    with pytest.raises(RegistryError, match="invalid model version stage 'Prod'.*has versions: 1, 2"):
        autolog.load_model("models:/m/Prod")
    for malformed in ["models:/m", "models:/m/1/extra", "models:/"]:
        with pytest.raises(RegistryError, match="models:/<name>"):
            autolog.load_model(malformed)


def test_the_cli_and_the_registry_errors_are_the_kinds_users_catch(registered) -> None:
    assert issubclass(autolog.RegistryError, ValueError)
    assert issubclass(autolog.RegistryNotFound, LookupError)
    assert not issubclass(autolog.RegistryNotFound, ValueError)
