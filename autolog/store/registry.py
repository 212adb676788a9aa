"""The model registry in the local store: registered models, their versions, tags, aliases and
the legacy stages, as plain functions over a connection opened by
:class:`autolog.store.sqlite.SqliteStore` (schema version 4, see :mod:`autolog.store.schema`).

Every write is one ``BEGIN IMMEDIATE`` transaction that validates before it changes anything,
so bad input leaves the store as it was. A new version's number comes from the registered
model's ``next_version`` counter, read and advanced inside that transaction: processes
registering at once are serialised by SQLite's write lock and never share a number.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Mapping, Sequence

from autolog.store.entities import ModelVersion, PagedList, RegisteredModel, RegistryError, RegistryNotFound
from autolog.store.queries import decode_page_token, encode_page_token
from autolog.store.registry_filter import (
    REGISTERED_MODELS,
    filter_to_sql,
    parse_filter,
    parse_order_by,
)
from autolog.store.schema import transaction

#: The legacy stages, in MLflow's spelling; input is matched case-insensitively.
STAGES = ("None", "Staging", "Production", "Archived")
#: Stages whose other versions ``archive_existing_versions`` may archive.
ACTIVE_STAGES = ("Staging", "Production")
_ALIAS = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
MAX_ALIAS_LENGTH = 255
#: MLflow's bounds on one page of a search.
MAX_MODELS_PAGE, MAX_VERSIONS_PAGE = 1_000, 200_000

_VERSION_COLUMNS = (
    "v.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, "
    "v.current_stage, v.source, v.run_id, v.status, v.run_link, v.model_path"
)


def now_ms() -> int:
    return int(time.time() * 1000)


# -- validation ----------------------------------------------------------------------------


def check_name(name: object, what: str = "name") -> str:
    """A registered model name: not empty, no ``/`` or ``:`` (MLflow's rule)."""
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"registered model {what} must be a non-empty string, got {name!r}")
    if "/" in name or ":" in name:
        raise RegistryError(f"invalid registered model name {name!r}: names cannot contain '/' or ':'")
    return name


def check_version(version: object) -> int:
    """A version number given as an int or a string of digits."""
    try:
        if isinstance(version, (bool, float)):
            raise ValueError
        return int(str(version).strip())
    except ValueError:
        raise RegistryError(f"model version must be an integer, got {version!r}") from None


def check_alias(alias: object) -> str:
    """An alias: letters, digits, ``_`` and ``-`` only; not ``latest``, not ``v<digits>``."""
    if not isinstance(alias, str) or not alias:
        raise RegistryError(f"an alias must be a non-empty string, got {alias!r}")
    if not _ALIAS.fullmatch(alias):
        raise RegistryError(
            f"invalid alias {alias!r}: aliases may only contain letters, digits, underscores (_) "
            "and dashes (-)"
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise RegistryError(f"alias {alias[:20]!r}... is longer than {MAX_ALIAS_LENGTH} characters")
    if alias.lower() == "latest":
        raise RegistryError("the alias 'latest' (in any case) is reserved: models:/<name>/latest means the newest version")
    if _VERSION_ALIAS.match(alias):
        raise RegistryError(f"the alias {alias!r} is reserved: v<number> names a version")
    return alias


def canonical_stage(stage: object) -> str:
    """``stage`` in MLflow's spelling (``"production"`` -> ``"Production"``)."""
    for known in STAGES:
        if isinstance(stage, str) and stage.lower() == known.lower():
            return known
    raise RegistryError(f"invalid model version stage {stage!r}: expected one of {', '.join(STAGES)}")


def check_tag(key: object, value: object) -> tuple[str, str]:
    """A tag as stored: a non-empty string key, the value as a string."""
    if not isinstance(key, str) or not key:
        raise RegistryError(f"a tag key must be a non-empty string, got {key!r}")
    return key, str(value)


# -- registered models ---------------------------------------------------------------------


def require_model(conn: sqlite3.Connection, name: str) -> tuple:
    """The model's row; :class:`RegistryNotFound` naming the registered models if it is unknown."""
    row = conn.execute(
        "SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE name = ?",
        (name,),
    ).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT name FROM registered_models ORDER BY name LIMIT 20")]
        hint = f"; registered models: {', '.join(known)}" if known else "; no model is registered"
        raise RegistryNotFound(f"registered model {name!r} not found{hint}")
    return row


def touch(conn: sqlite3.Connection, name: str, when: int) -> None:
    """Set the model's ``last_updated_time`` (inside the caller's transaction)."""
    conn.execute("UPDATE registered_models SET last_updated_time = ? WHERE name = ?", (when, name))


def create_registered_model(
    conn: sqlite3.Connection, name: str, tags: Mapping[str, object] | None = None,
    description: str | None = None,
) -> RegisteredModel:
    check_name(name)
    checked = [check_tag(k, v) for k, v in (tags or {}).items()]
    with transaction(conn):
        if conn.execute("SELECT 1 FROM registered_models WHERE name = ?", (name,)).fetchone():
            raise RegistryError(f"registered model {name!r} already exists", "RESOURCE_ALREADY_EXISTS")
        when = now_ms()
        conn.execute(
            "INSERT INTO registered_models (name, description, creation_time, last_updated_time) "
            "VALUES (?, ?, ?, ?)", (name, description, when, when),
        )
        conn.executemany("INSERT INTO registered_model_tags VALUES (?, ?, ?)", [(name, k, v) for k, v in checked])
    return get_registered_model(conn, name)


def ensure_registered_model(conn: sqlite3.Connection, name: str) -> None:
    """Create ``name`` unless it exists (inside the caller's transaction)."""
    when = now_ms()
    conn.execute(
        "INSERT OR IGNORE INTO registered_models (name, creation_time, last_updated_time) VALUES (?, ?, ?)",
        (name, when, when),
    )


def get_registered_model(conn: sqlite3.Connection, name: str) -> RegisteredModel:
    row = require_model(conn, check_name(name))
    return _build_models(conn, [row])[0]


def _build_models(conn: sqlite3.Connection, rows: Sequence[tuple]) -> list[RegisteredModel]:
    models = []
    for name, created, updated, description in rows:
        tags = dict(conn.execute("SELECT key, value FROM registered_model_tags WHERE name = ?", (name,)).fetchall())
        aliases = dict(conn.execute(
            "SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias", (name,)
        ).fetchall())
        latest = versions_where(conn, (
            "v.name = ? AND v.version = (SELECT MAX(w.version) FROM model_versions w "
            "WHERE w.name = v.name AND w.current_stage = v.current_stage)"
        ), [name], "v.version")
        models.append(RegisteredModel(name, created, updated, description, latest, tags, aliases))
    return models


def search_registered_models(
    conn: sqlite3.Connection, filter_string: str | None = None, order_by: Sequence[str] | None = None,
    max_results: int = 100, page_token: str | None = None,
) -> PagedList[RegisteredModel]:
    clauses = parse_filter(filter_string, REGISTERED_MODELS)
    order = parse_order_by(order_by, REGISTERED_MODELS)
    offset = page_offset(max_results, page_token, MAX_MODELS_PAGE)
    where, params = filter_to_sql(clauses, REGISTERED_MODELS)
    if not any(column == "m.name" for column, _ in order):
        order.append(("m.name", True))
    order_sql = ", ".join(f"{column} {'ASC' if asc else 'DESC'}" for column, asc in order)
    rows = conn.execute(
        "SELECT m.name, m.creation_time, m.last_updated_time, m.description FROM registered_models m "
        f"WHERE {where} ORDER BY {order_sql} LIMIT ? OFFSET ?", [*params, max_results + 1, offset],
    ).fetchall()
    token = encode_page_token(offset + max_results) if len(rows) > max_results else None
    return PagedList(_build_models(conn, rows[:max_results]), token)


def page_offset(max_results: int, page_token: str | None, bound: int) -> int:
    """The offset a search page starts at; :class:`RegistryError` for a bad size or token."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= bound:
        raise RegistryError(f"max_results must be an integer from 1 to {bound}, got {max_results!r}")
    try:
        return decode_page_token(page_token)
    except ValueError as exc:
        raise RegistryError(str(exc)) from None


def update_registered_model(conn: sqlite3.Connection, name: str, description: str | None) -> RegisteredModel:
    with transaction(conn):
        require_model(conn, check_name(name))
        conn.execute(
            "UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?",
            (description, now_ms(), name),
        )
    return get_registered_model(conn, name)


def rename_registered_model(conn: sqlite3.Connection, name: str, new_name: str) -> RegisteredModel:
    check_name(new_name, "new name")
    with transaction(conn):
        require_model(conn, check_name(name))
        if conn.execute("SELECT 1 FROM registered_models WHERE name = ?", (new_name,)).fetchone():
            raise RegistryError(f"registered model {new_name!r} already exists", "RESOURCE_ALREADY_EXISTS")
        when = now_ms()
        conn.execute(
            "UPDATE registered_models SET name = ?, last_updated_time = ? WHERE name = ?", (new_name, when, name)
        )
        conn.execute(
            "UPDATE model_versions SET name = ?, last_updated_time = ? WHERE name = ?", (new_name, when, name)
        )
        for table in ("registered_model_tags", "model_version_tags", "registered_model_aliases"):
            conn.execute(f"UPDATE {table} SET name = ? WHERE name = ?", (new_name, name))
    return get_registered_model(conn, new_name)


def delete_registered_model(conn: sqlite3.Connection, name: str) -> None:
    """Delete the model with its versions, tags and aliases (its runs' files stay)."""
    with transaction(conn):
        require_model(conn, check_name(name))
        for table in ("registered_models", "registered_model_tags", "model_versions",
                      "model_version_tags", "registered_model_aliases"):
            conn.execute(f"DELETE FROM {table} WHERE name = ?", (name,))


def set_registered_model_tag(conn: sqlite3.Connection, name: str, key: str, value: object) -> None:
    key, text = check_tag(key, value)
    with transaction(conn):
        require_model(conn, check_name(name))
        conn.execute("INSERT OR REPLACE INTO registered_model_tags VALUES (?, ?, ?)", (name, key, text))


def delete_registered_model_tag(conn: sqlite3.Connection, name: str, key: str) -> None:
    with transaction(conn):
        require_model(conn, check_name(name))
        conn.execute("DELETE FROM registered_model_tags WHERE name = ? AND key = ?", (name, key))


def versions_where(conn: sqlite3.Connection, where: str, params: Sequence[object], order: str,
                   limit: int = -1, offset: int = 0) -> list[ModelVersion]:
    """The versions matching ``where`` (over ``model_versions v``), with tags and aliases."""
    rows = conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM model_versions v WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    found = []
    for name, version, created, updated, description, user, stage, source, run_id, status, link, path in rows:
        tags = dict(conn.execute(
            "SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?", (name, version)
        ).fetchall())
        aliases = [r[0] for r in conn.execute(
            "SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias",
            (name, version),
        )]
        found.append(ModelVersion(
            name, version, created, updated, description, user, stage, source, run_id, status,
            None, tags, link, aliases, path,
        ))
    return found
