"""The local registry against MLflow's own SQLite registry: the same registered models, versions,
tags, aliases and stages written to both (``MlflowClient(tracking_uri="sqlite:///...")``, no
server), every filter and order asked of both, and the answers compared: the same entities in
the same order, or a rejection by both. Where MLflow rejects what autolog accepts, the case names
the documented superset (``autolog.store.registry_filter.SUPERSETS``); anything else is a
difference and fails the suite, listed case by case.

Every write goes to MLflow, then to autolog, then waits 3 ms, so timestamps order the same way
in both and MLflow's default orders (by last update) are comparable.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mlflow")

from autolog.client import Client
from autolog.store.registry_filter import SUPERSETS

MODELS = {
    "alpha": {"team": "red", "env": "prod"},
    "Alpha-2": {"team": "Red"},
    "beta": {"team": "blue", "note": "it's"},
    "gamma_1": {},
    "delta%x": {"team": "green"},
    "L'Hosp": {"team": "red"},
    "empty": {"team": ""},
}
#: (model, run id, source, tags) in creation order
VERSIONS = [
    ("alpha", "r1", "file:///store/a/1", {"validated": "yes", "Owner": "Ana"}),
    ("alpha", "r2", "s3://bucket/alpha", {"validated": "no"}),
    ("Alpha-2", "r3", "file:///store/A2/1", {}),
    ("alpha", "r1", "file:///store/a/3", {"validated": "yes"}),
    ("beta", "r2", "file:///store/b/1", {"Owner": "bob"}),
    ("beta", "r3", "file:///store/b/2", {}),
    ("beta", None, "/plain/folder/b3", {"validated": "yes"}),
    ("gamma_1", None, "file:///store/g_1", {}),
    ("delta%x", "r_4", "file:///store/d%x", {"x y": "1"}),
    ("L'Hosp", "r1", "file:///store/l'h", {}),
]


class Both:
    """Applies each write to MLflow's client and to autolog's, in that order, 3 ms apart."""

    def __init__(self, mlflow_client: Any, client: Client) -> None:
        self.mlflow, self.autolog = mlflow_client, client

    def __getattr__(self, method: str) -> Callable[..., None]:
        def both(*args: Any, **kwargs: Any) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                getattr(self.mlflow, method)(*args, **kwargs)
                getattr(self.autolog, method)(*args, **kwargs)
            time.sleep(0.003)

        return both


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Client]]:
    import mlflow

    folder: Path = tmp_path_factory.mktemp("registry-parity")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow_client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client = Client(str(folder / "autolog-runs"))
    both = Both(mlflow_client, client)
    for name, tags in MODELS.items():
        both.create_registered_model(name, tags=tags)
    for name, run_id, source, tags in VERSIONS:
        both.create_model_version(name, source, run_id=run_id, tags=tags)
    both.delete_model_version("beta", 2)
    both.set_registered_model_alias("alpha", "champion", 3)
    both.set_registered_model_alias("alpha", "old", 1)
    both.transition_model_version_stage("alpha", 1, "Production")
    both.transition_model_version_stage("alpha", 3, "production", archive_existing_versions=True)
    both.transition_model_version_stage("beta", 1, "STAGING")
    both.update_model_version("Alpha-2", 1, description="first of the second")
    both.update_registered_model("gamma_1", description="a gamma")
    both.set_model_version_tag("beta", 3, "validated", "no")
    yield mlflow_client, client
    client.close()


#: registered model filters (None: every model)
MODEL_FILTERS = [
    None, "", "  ", "name = 'alpha'", "name != 'alpha'", "name like 'alpha'", "name ilike 'ALPHA'",
    "name = 'alpha' and and name = 'alpha'", "name = 'alpha' name = 'beta'", "name IN ('alpha',)",
    "name not in ('alpha')", "name NOT  IN ('alpha')", "tags.team.x = 'y'", "tags.'team' = 'red'",
    "name LIKE '%'", "tags.team LIKE '%'", "name != ''", "tags.team = 'red' and tags.team = 'Red'", 'name = "alpha"', "name LIKE 'al%'", "name LIKE 'Al%'",
    "name ILIKE 'al%'", "name ILIKE '%A%'", "name LIKE '%\\_%'", "name LIKE 'delta%%'", "name LIKE '_eta'",
    "name IN ('alpha', 'beta')", "name NOT IN ('alpha', 'gamma_1')", "name IN ('alpha')",
    "tags.team = 'red'", "tags.team != 'red'", "tags.team ILIKE 'RED'", "tags.team LIKE 'r%'",
    "tags.team = ''", "tags.`team` = 'red'", 'tags."team" = \'red\'', "tag.team = 'red'",
    "tags.note = \"it's\"", "name = \"L'Hosp\"", "name = 'alpha' and tags.env = 'prod'",
    "name LIKE '%a%' AND tags.team = 'red'", "name LIKE '%a%' and tags.team LIKE '%e%' and tags.env = 'prod'",
    "tags.missing = 'x'", "tags.team != 'nobody'", "attribute.name = 'beta'",
    # rejected by both
    "`name` = 'alpha'", "attribute.`name` = 'alpha'", "NAME = 'alpha'", "name == 'alpha'", "name <> 'alpha'",
    "name IN ()", "name IN 'alpha'", "name = 'alpha';",
    "name > 'a'", "tags.team IN ('red')", "foo = 'x'", "name = alpha", "name = 1", "params.x = 'y'",
    "name = 'alpha' OR name = 'beta'", "creation_timestamp > 0", "name LIKE", "name", "tags.team IS NULL",
    "run_id = 'r1'", "name = 'alpha' and", "(name = 'alpha')",
]
MODEL_ORDERS: list[list[str] | None] = [
    None, ["name DESC"], ["name ASC"], ["name asc"], ["name  DESC"], ["name DESC", "timestamp"], ["last_updated_timestamp DESC"], ["last_updated_timestamp"],
    ["timestamp ASC"], ["timestamp DESC", "name ASC"],
    # rejected by both
    ["name ASC", "name DESC"], ["bogus"], ["name SIDEWAYS"], ["NAME"], ["last_updated_timestamp", "timestamp"],
]
VERSION_FILTERS = [
    None, "name = 'alpha'", "name = 'alpha' and version_number = 2", "version_number > 1",
    "version_number >= 2", "version_number != 1", "version_number < 3", "version_number = '2'",
    "version_number <= 1 and name LIKE 'a%'",
    "run_id = 'r1'", "run_id IN ('r1', 'r3')", "run_id NOT IN ('r1')", "run_id != 'r1'", "run_id LIKE 'r\\_%'",
    "run_id LIKE 'r_'", "source_path = 's3://bucket/alpha'", "source_path LIKE 'file:///%'",
    "source_path ILIKE 'S3%'", "source_path LIKE '%d\\%x'", "source_path = '/plain/folder/b3'",
    "tags.validated = 'yes'", "tags.validated != 'yes'", "tags.Owner LIKE 'A%'", "tags.owner = 'Ana'",
    "tags.Owner ILIKE 'a%'", "tags.`x y` = '1'", "tags.\"x y\" = '1'", "name ILIKE 'ALPHA%'", "name LIKE 'alpha%' and tags.validated = 'yes'",
    "attribute.run_id = 'r1'", "name IN ('beta', 'gamma_1')", "name NOT IN ('alpha')", "name = \"L'Hosp\"",
    "tags.validated = 'yes' and tags.Owner = 'Ana'", "run_id = 'r1' and run_id = 'r2'", "version_number = -1",
    "version_number > '1'", "version_number = 01", "version_number = ' 2'", "run_id = ''", "run_id ILIKE 'R1'",
    "attribute.version_number = 1", "run_id IN ('r1', )", 'run_id IN ("r1")', "name IN ('alpha') and run_id NOT IN ('r2')",
    # rejected by both
    "version_number = 1e0", "version_number = '1.0'", "version_number IS NULL", "run_id IS NULL", "VERSION_NUMBER = 1",
    "version_number LIKE '1'", "version_number = 1.5", "version_number = 'x'", "tags.k IN ('v')",
    "source_path IN ('x')", "creation_timestamp > 0", "foo = 1", "status = 'READY'", "current_stage = 'None'",
    "run_id = r1", "version_number IN (1, 2)", "name = 'a' OR name = 'b'",
]
VERSION_ORDERS: list[list[str] | None] = [
    None, ["version_number ASC"], ["version_number DESC"], ["name DESC"], ["name ASC", "version_number ASC"],
    ["creation_timestamp ASC"], ["creation_timestamp DESC"], ["last_updated_timestamp ASC"],
    ["last_updated_timestamp DESC", "name DESC"],
    # rejected by both
    ["run_id"], ["name", "name DESC"], ["version_number UP"], ["VERSION_NUMBER"], ["timestamp"],
    ["creation_timestamp", "creation_timestamp DESC"],
]


def _model_view(model: Any) -> tuple:
    latest = sorted((v.version, v.current_stage) for v in model.latest_versions)
    return (model.name, model.description, dict(model.tags), dict(model.aliases), latest)


def _version_view(version: Any) -> tuple:
    return (version.name, int(version.version), version.run_id, version.source, version.current_stage,
            dict(version.tags), version.description, version.status)


def _ask(search: Callable[..., Any], view: Callable[[Any], tuple], **kwargs: Any) -> list[tuple] | str:
    """Every page of the search, as views; ``"rejected"`` if the search raised."""
    found: list[tuple] = []
    token = None
    try:
        while True:
            page = search(page_token=token, **kwargs)
            found.extend(view(item) for item in page)
            token = page.token
            if not token:
                return found
    except Exception as exc:
        # MLflow's MlflowException (or a ValueError where its parser crashes), autolog's RegistryError
        if type(exc).__name__ not in ("MlflowException", "RegistryError", "ValueError"):
            raise
        return "rejected"


def _differences(cases: list[tuple[str, Any, Any]]) -> list[str]:
    return [f"{case}: mlflow {expected!r}, autolog {got!r}" for case, expected, got in cases if expected != got]


def test_search_registered_models_matches_mlflow(clients: tuple[Any, Client]) -> None:
    mlflow_client, client = clients
    cases = []
    for text in MODEL_FILTERS:
        for page in (100, 2):
            expected = _ask(mlflow_client.search_registered_models, _model_view, filter_string=text, max_results=page)
            got = _ask(client.search_registered_models, _model_view, filter_string=text, max_results=page)
            cases.append((f"filter {text!r} pages of {page}", expected, got))
    for order in MODEL_ORDERS:
        expected = _ask(mlflow_client.search_registered_models, _model_view, order_by=order)
        got = _ask(client.search_registered_models, _model_view, order_by=order)
        cases.append((f"order {order!r}", expected, got))
    assert any(got != "rejected" and len(got) > 1 for _, _, got in cases)
    assert _differences(cases) == []


def test_search_model_versions_matches_mlflow(clients: tuple[Any, Client]) -> None:
    mlflow_client, client = clients
    cases = []
    for text in VERSION_FILTERS:
        for page in (200_000, 3):
            expected = _ask(mlflow_client.search_model_versions, _version_view, filter_string=text, max_results=page)
            got = _ask(client.search_model_versions, _version_view, filter_string=text, max_results=page)
            cases.append((f"filter {text!r} pages of {page}", expected, got))
    for order in VERSION_ORDERS:
        expected = _ask(mlflow_client.search_model_versions, _version_view, order_by=order)
        got = _ask(client.search_model_versions, _version_view, order_by=order)
        cases.append((f"order {order!r}", expected, got))
    assert any(got != "rejected" and len(got) > 1 for _, _, got in cases)
    assert _differences(cases) == []


def test_reads_of_models_versions_aliases_and_stages_match_mlflow(clients: tuple[Any, Client]) -> None:
    mlflow_client, client = clients
    cases: list[tuple[str, Any, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for name in MODELS:
            cases.append((f"get {name}", _model_view(mlflow_client.get_registered_model(name)),
                          _model_view(client.get_registered_model(name))))
            for stages in (None, ["Production"], ["staging", "None"], ["Archived"]):
                expected = sorted(_version_view(v) for v in mlflow_client.get_latest_versions(name, stages))
                got = sorted(_version_view(v) for v in client.get_latest_versions(name, stages))
                cases.append((f"latest {name} {stages}", expected, got))
    for name, alias in [("alpha", "champion"), ("alpha", "old")]:
        expected_version = mlflow_client.get_model_version_by_alias(name, alias)
        got_version = client.get_model_version_by_alias(name, alias)
        cases.append((f"alias {alias}", (_version_view(expected_version), expected_version.aliases),
                      (_version_view(got_version), got_version.aliases)))
    for name, version in [("alpha", 1), ("alpha", "3"), ("beta", 3)]:
        expected_version = mlflow_client.get_model_version(name, version)
        got_version = client.get_model_version(name, version)
        cases.append((f"version {name} {version}", (_version_view(expected_version), expected_version.aliases),
                      (_version_view(got_version), got_version.aliases)))
    assert _differences(cases) == []


def test_the_documented_supersets_are_what_autolog_accepts_beyond_mlflow(clients: tuple[Any, Client]) -> None:
    mlflow_client, client = clients
    beyond = {"TAGS.team = 'red'": "any-case", "attributes.name = 'beta'": "any-case", "Tag.team = 'red'": "any-case"}
    for text, superset in beyond.items():
        assert superset in SUPERSETS
        assert _ask(mlflow_client.search_registered_models, _model_view, filter_string=text) == "rejected"
        assert _ask(client.search_registered_models, _model_view, filter_string=text) != "rejected"
    assert _ask(mlflow_client.search_model_versions, _version_view, filter_string="version_number = +1") == "rejected"
    assert _ask(client.search_model_versions, _version_view, filter_string="version_number = +1") == _ask(
        client.search_model_versions, _version_view, filter_string="version_number = 1")
    orders = [("orders", ["creation_timestamp"]), ("whitespace", [" name DESC "]), ("whitespace", "name DESC")]
    for superset, order in orders:
        assert superset in SUPERSETS
        assert _ask(mlflow_client.search_registered_models, _model_view, order_by=order) == "rejected"
        assert _ask(client.search_registered_models, _model_view, order_by=order) != "rejected"


ALIASES = ["champion", "Prod_2024-01", "v", "v1a", "_", "latest2", "x" * 255, "bad alias", "a.b", "a/b", "latest",
           "LATEST", "v3", "V12", "", "x" * 256, "é"]
STAGES = ["None", "none", "Staging", "STAGING", "production", "Archived", "Prod", "staged", "", "Deleted_Internal"]


def _accepted(method: Callable[..., Any], *args: Any) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            method(*args)
    except Exception as exc:
        if type(exc).__name__ not in ("MlflowException", "RegistryError", "RegistryNotFound"):
            raise
        return False
    return True


def test_alias_and_stage_rules_match_mlflow(clients: tuple[Any, Client]) -> None:
    """On a model of its own (the searches above do not see it change)."""
    mlflow_client, client = clients
    both = Both(mlflow_client, client)
    both.create_registered_model("scratch")
    both.create_model_version("scratch", "file:///store/scratch")
    cases = []
    for alias in ALIASES:
        expected = _accepted(mlflow_client.set_registered_model_alias, "scratch", alias, 1)
        got = _accepted(client.set_registered_model_alias, "scratch", alias, 1)
        cases.append((f"alias {alias!r}", expected, got))
    for stage in STAGES:
        expected = _accepted(mlflow_client.transition_model_version_stage, "scratch", 1, stage)
        got = _accepted(client.transition_model_version_stage, "scratch", 1, stage)
        cases.append((f"stage {stage!r}", expected, got))
        if expected and got:
            assert mlflow_client.get_model_version("scratch", 1).current_stage == client.get_model_version("scratch", 1).current_stage
    for name, version in [("scratch", 9), ("nope", 1), ("scratch", "one")]:
        expected = _accepted(mlflow_client.set_registered_model_alias, name, "a", version)
        got = _accepted(client.set_registered_model_alias, name, "a", version)
        cases.append((f"alias on {name} {version}", expected, got))
    assert sum(accepted for _, accepted, _ in cases) >= 10
    assert _differences(cases) == []
