"""Model versions in the local store's registry: creating (a new number inside the writing
transaction), reading, searching, tags, aliases and the legacy stages. See
:mod:`autolog.store.registry` for registered models and the validation rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from autolog.store.entities import ModelVersion, PagedList, RegistryError, RegistryNotFound
from autolog.store.queries import encode_page_token
from autolog.store.registry import (
    ACTIVE_STAGES,
    MAX_VERSIONS_PAGE,
    canonical_stage,
    check_alias,
    check_name,
    check_tag,
    check_version,
    ensure_registered_model,
    now_ms,
    page_offset,
    require_model,
    touch,
    versions_where,
)
from autolog.store.registry_filter import MODEL_VERSIONS, filter_to_sql, parse_filter, parse_order_by
from autolog.store.schema import transaction

#: MLflow's default order of a version search.
DEFAULT_VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")


def create_model_version(
    conn: sqlite3.Connection,
    name: str,
    source: str,
    run_id: str | None = None,
    *,
    model_path: str | None = None,
    tags: Mapping[str, object] | None = None,
    description: str | None = None,
    run_link: str | None = None,
    user_id: str | None = None,
    create_model: bool = False,
) -> ModelVersion:
    """Add the next version of ``name`` (created first when ``create_model``), in one
    transaction: the number is taken from the model's counter under SQLite's write lock."""
    check_name(name)
    if not isinstance(source, str) or not source:
        raise RegistryError(f"a model version needs a source URI, got {source!r}")
    checked = [check_tag(k, v) for k, v in (tags or {}).items()]
    with transaction(conn):
        if create_model:
            ensure_registered_model(conn, name)
        version = insert_version(conn, name, source, run_id, model_path, description, run_link, user_id)
        conn.executemany(
            "INSERT INTO model_version_tags VALUES (?, ?, ?, ?)", [(name, version, k, v) for k, v in checked]
        )
    return get_model_version(conn, name, version)


def insert_version(
    conn: sqlite3.Connection, name: str, source: str, run_id: str | None, model_path: str | None,
    description: str | None = None, run_link: str | None = None, user_id: str | None = None,
) -> int:
    """Add the next version of the existing model ``name`` inside the caller's transaction;
    returns its number."""
    require_model(conn, name)
    when = now_ms()
    (version,) = conn.execute(
        "UPDATE registered_models SET next_version = next_version + 1, last_updated_time = ? "
        "WHERE name = ? RETURNING next_version - 1", (when, name),
    ).fetchone()
    conn.execute(
        "INSERT INTO model_versions (name, version, run_id, model_path, source, description, "
        "user_id, run_link, creation_time, last_updated_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, version, run_id, model_path, source, description, user_id, run_link, when, when),
    )
    return version


def register_logged_model(
    conn: sqlite3.Connection, name: str, alias: str | None, source: str, run_id: str, model_path: str,
    user_id: str | None = None,
) -> int:
    """Register a model autolog has just stored as a version of ``name`` (created if new) and
    point ``alias`` at it, inside the caller's (the batch's) transaction. A model already
    registered from this run and path (a batch delivered again) keeps its version."""
    ensure_registered_model(conn, name)
    row = conn.execute(
        "SELECT version FROM model_versions WHERE name = ? AND run_id = ? AND model_path = ?",
        (name, run_id, model_path),
    ).fetchone()
    version = row[0] if row else insert_version(conn, name, source, run_id, model_path, user_id=user_id)
    if alias:
        conn.execute("INSERT OR REPLACE INTO registered_model_aliases VALUES (?, ?, ?)", (name, alias, version))
    return version


def _require_version(conn: sqlite3.Connection, name: str, version: object) -> int:
    number = check_version(version)
    require_model(conn, check_name(name))
    if conn.execute("SELECT 1 FROM model_versions WHERE name = ? AND version = ?", (name, number)).fetchone():
        return number
    known = [str(r[0]) for r in conn.execute("SELECT version FROM model_versions WHERE name = ? ORDER BY version", (name,))]
    hint = f"versions: {', '.join(known)}" if known else "it has no versions"
    raise RegistryNotFound(f"model {name!r} has no version {number} ({hint})")


def get_model_version(conn: sqlite3.Connection, name: str, version: object) -> ModelVersion:
    number = _require_version(conn, name, version)
    return versions_where(conn, "v.name = ? AND v.version = ?", [name, number], "v.version")[0]


def search_model_versions(
    conn: sqlite3.Connection, filter_string: str | None = None, max_results: int = 10_000,
    order_by: Sequence[str] | None = None, page_token: str | None = None,
) -> PagedList[ModelVersion]:
    clauses = parse_filter(filter_string, MODEL_VERSIONS)
    order = parse_order_by(order_by or DEFAULT_VERSION_ORDER, MODEL_VERSIONS)
    offset = page_offset(max_results, page_token, MAX_VERSIONS_PAGE)
    where, params = filter_to_sql(clauses, MODEL_VERSIONS)
    for column, ascending in (("v.name", True), ("v.version", False)):
        if not any(seen == column for seen, _ in order):
            order.append((column, ascending))
    order_sql = ", ".join(f"{column} {'ASC' if asc else 'DESC'}" for column, asc in order)
    found = versions_where(conn, where, params, order_sql, max_results + 1, offset)
    token = encode_page_token(offset + max_results) if len(found) > max_results else None
    return PagedList(found[:max_results], token)


def get_latest_versions(conn: sqlite3.Connection, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
    """The newest version in each of ``stages`` (every stage when None or empty)."""
    require_model(conn, check_name(name))
    if isinstance(stages, str):
        stages = [stages]
    wanted = sorted({canonical_stage(stage) for stage in stages}) if stages else []
    where = (
        "v.name = ? AND v.version = (SELECT MAX(w.version) FROM model_versions w "
        "WHERE w.name = v.name AND w.current_stage = v.current_stage)"
    )
    if wanted:
        where += f" AND v.current_stage IN ({', '.join('?' * len(wanted))})"
    return versions_where(conn, where, [name, *wanted], "v.version")


def update_model_version(conn: sqlite3.Connection, name: str, version: object, description: str | None) -> ModelVersion:
    with transaction(conn):
        number = _require_version(conn, name, version)
        conn.execute(
            "UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?",
            (description, now_ms(), name, number),
        )
    return get_model_version(conn, name, number)


def delete_model_version(conn: sqlite3.Connection, name: str, version: object) -> None:
    """Delete the version, its tags and the aliases pointing at it; its number is not reused."""
    with transaction(conn):
        number = _require_version(conn, name, version)
        for table in ("model_versions", "model_version_tags", "registered_model_aliases"):
            conn.execute(f"DELETE FROM {table} WHERE name = ? AND version = ?", (name, number))
        touch(conn, name, now_ms())


def set_model_version_tag(conn: sqlite3.Connection, name: str, version: object, key: str, value: object) -> None:
    key, text = check_tag(key, value)
    with transaction(conn):
        number = _require_version(conn, name, version)
        conn.execute("INSERT OR REPLACE INTO model_version_tags VALUES (?, ?, ?, ?)", (name, number, key, text))


def delete_model_version_tag(conn: sqlite3.Connection, name: str, version: object, key: str) -> None:
    with transaction(conn):
        number = _require_version(conn, name, version)
        conn.execute(
            "DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?", (name, number, key)
        )


def transition_stage(
    conn: sqlite3.Connection, name: str, version: object, stage: str, archive_existing_versions: bool = False
) -> ModelVersion:
    """Move the version to ``stage``; with ``archive_existing_versions`` (Staging or Production
    only) the other versions in that stage move to Archived, in the same transaction."""
    canonical = canonical_stage(stage)
    if archive_existing_versions and canonical not in ACTIVE_STAGES:
        raise RegistryError(
            f"archive_existing_versions needs an active stage ({', '.join(ACTIVE_STAGES)}), not {stage!r}"
        )
    with transaction(conn):
        number = _require_version(conn, name, version)
        when = now_ms()
        if archive_existing_versions:
            conn.execute(
                "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? "
                "WHERE name = ? AND version != ? AND current_stage = ?", (when, name, number, canonical),
            )
        conn.execute(
            "UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?",
            (canonical, when, name, number),
        )
        touch(conn, name, when)
    return get_model_version(conn, name, number)


def set_alias(conn: sqlite3.Connection, name: str, alias: str, version: object) -> None:
    """Point ``alias`` at the version (moving it from another version of the model). As in
    MLflow, aliases do not change the model's ``last_updated_timestamp``."""
    check_alias(alias)
    with transaction(conn):
        number = _require_version(conn, name, version)
        conn.execute("INSERT OR REPLACE INTO registered_model_aliases VALUES (?, ?, ?)", (name, alias, number))


def delete_alias(conn: sqlite3.Connection, name: str, alias: str) -> None:
    check_alias(alias)
    with transaction(conn):
        require_model(conn, check_name(name))
        conn.execute("DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", (name, alias))


def get_version_by_alias(conn: sqlite3.Connection, name: str, alias: str) -> ModelVersion:
    require_model(conn, check_name(name))
    row = conn.execute(
        "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?", (name, alias)
    ).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT alias FROM registered_model_aliases WHERE name = ? ORDER BY alias", (name,))]
        hint = f"aliases: {', '.join(known)}" if known else "it has no aliases"
        raise RegistryNotFound(f"model {name!r} has no alias {alias!r} ({hint})")
    return get_model_version(conn, name, row[0])
