"""Experiments with ids and tags, and the writes of MLflow's client on runs (tags, names, status,
delete and restore), over a connection opened by :class:`autolog.store.sqlite.SqliteStore`.

Every write here is one ``BEGIN IMMEDIATE`` transaction: it is whole or absent. Experiment
filters take MLflow's ``search_experiments`` grammar: ``name``, ``experiment_id``,
``creation_time``, ``last_update_time`` and ``tags.<key>`` compared with ``= != < <= > >=``
(strings also ``LIKE``/``ILIKE``), joined by ``AND``.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autolog.store.entities import Experiment, ExperimentNotFound, PagedList, RunNotFound, ViewType, epoch_ms
from autolog.store.filter import sql_like
from autolog.store.queries import decode_page_token, encode_page_token
from autolog.store.schema import transaction
from autolog.store.sqlite import RUN_NAME_TAG, insert_experiment

#: MLflow's run statuses, the values ``update_run`` accepts.
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


def _check_key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"{what} must be a non-empty string, got {key!r}")
    return key


# -- experiments -------------------------------------------------------------------------------

_EXPERIMENT_COLUMNS = "experiment_id, name, lifecycle_stage, created_time, last_update_time"


def _experiments(conn: sqlite3.Connection, where: str = "1", params: Sequence[Any] = (), artifacts_uri: str = "") -> list[Experiment]:
    rows = conn.execute(f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE {where} ORDER BY experiment_id", params)
    found = []
    for experiment_id, name, stage, created, updated in rows.fetchall():
        tags = dict(conn.execute("SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (experiment_id,)))
        found.append(
            Experiment(
                experiment_id=str(experiment_id), name=name, artifact_location=artifacts_uri, lifecycle_stage=stage,
                tags=tags, creation_time=epoch_ms(created), last_update_time=epoch_ms(updated if updated is not None else created),
            )
        )
    return found


def create_experiment(conn: sqlite3.Connection, name: str, tags: Mapping[str, Any] | None = None) -> str:
    """Create experiment ``name`` and return its id; ``ValueError`` if the name is taken."""
    _check_key(name, "an experiment name")
    with transaction(conn):
        if conn.execute("SELECT 1 FROM experiments WHERE name = ?", (name,)).fetchone():
            raise ValueError(f"an experiment named {name!r} already exists")
        insert_experiment(conn, name, time.time())
        (experiment_id,) = conn.execute("SELECT experiment_id FROM experiments WHERE name = ?", (name,)).fetchone()
        for key, value in (tags or {}).items():
            conn.execute(
                "INSERT OR REPLACE INTO experiment_tags VALUES (?, ?, ?)",
                (experiment_id, _check_key(key, "a tag key"), str(value)),
            )
    return str(experiment_id)


def ensure_experiment(conn: sqlite3.Connection, name: str) -> Experiment:
    """The experiment ``name``, created when missing (``set_experiment``); a deleted one is an
    error, as in MLflow."""
    _check_key(name, "an experiment name")
    with transaction(conn):
        insert_experiment(conn, name, time.time())
    experiment = get_experiment_by_name(conn, name)
    assert experiment is not None
    if experiment.lifecycle_stage == "deleted":
        raise ValueError(f"experiment {name!r} is deleted; restore it with Client().restore_experiment")
    return experiment


def get_experiment(conn: sqlite3.Connection, experiment_id: str, artifacts_uri: str = "") -> Experiment:
    """The experiment with this id; :class:`ExperimentNotFound` if there is none."""
    found = _experiments(conn, "CAST(experiment_id AS TEXT) = ?", (str(experiment_id),), artifacts_uri)
    if not found:
        raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
    return found[0]


def get_experiment_by_name(conn: sqlite3.Connection, name: str, artifacts_uri: str = "") -> Experiment | None:
    found = _experiments(conn, "name = ?", (name,), artifacts_uri)
    return found[0] if found else None


def set_experiment_tag(conn: sqlite3.Connection, experiment_id: str, key: str, value: Any) -> None:
    with transaction(conn):
        experiment = get_experiment(conn, experiment_id)
        conn.execute(
            "INSERT OR REPLACE INTO experiment_tags VALUES (?, ?, ?)",
            (int(experiment.experiment_id), _check_key(key, "a tag key"), str(value)),
        )


def set_experiment_stage(conn: sqlite3.Connection, experiment_id: str, stage: str) -> None:
    """Delete (``"deleted"``) or restore (``"active"``) an experiment; its runs follow, as in
    MLflow."""
    with transaction(conn):
        experiment = get_experiment(conn, experiment_id)
        pk = int(experiment.experiment_id)
        conn.execute(
            "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
            (stage, time.time(), pk),
        )
        conn.execute("UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?", (stage, pk))


def search_experiments(
    conn: sqlite3.Connection,
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 1000,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
    artifacts_uri: str = "",
) -> PagedList[Experiment]:
    """One page of the experiments matching the filter (default order: newest first)."""
    stages, tests, offset = validate_experiment_search(view_type, max_results, filter_string, order_by, page_token)
    found = [e for e in _experiments(conn, artifacts_uri=artifacts_uri) if e.lifecycle_stage in stages]
    found = [e for e in found if all(test(e) for test in tests)]
    found.sort(key=lambda e: int(e.experiment_id))  # MLflow's default: newest first, then by id
    found.sort(key=lambda e: -(e.creation_time or 0))
    for item in reversed(list(order_by or ())):
        key, descending = _experiment_order(item)
        present = [e for e in found if _attribute(e, key) is not None]
        missing = [e for e in found if _attribute(e, key) is None]
        found = sorted(present, key=_by(key), reverse=descending) + missing
    page = found[offset : offset + max_results]
    token = encode_page_token(offset + max_results) if len(found) > offset + max_results else None
    return PagedList(page, token)


def validate_experiment_search(
    view_type: int, max_results: int, filter_string: str | None, order_by: Sequence[str] | None, page_token: str | None
) -> tuple[tuple[str, ...], list[Callable[[Experiment], bool]], int]:
    """The stages, filter tests and offset of a search; ``ValueError`` for a bad argument."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise ValueError(f"max_results must be a positive integer, got {max_results!r}")
    for item in order_by or ():
        _experiment_order(item)
    return ViewType.stages(view_type), _parse_experiment_filter(filter_string or ""), decode_page_token(page_token)


def _by(key: str) -> Callable[[Experiment], Any]:
    return lambda experiment: _attribute(experiment, key)


_ATTRIBUTES = ("name", "experiment_id", "creation_time", "last_update_time")
_CLAUSE = re.compile(
    r"""\s*(?P<key>(?:attributes?\.)?(?:name|experiment_id|creation_time|last_update_time)|tags?\.(?:`[^`]+`|"[^"]+"|[\w.\-/]+))
    \s*(?P<op>!=|<=|>=|=|<|>|(?i:NOT\s+LIKE|ILIKE|LIKE))
    \s*(?P<value>'(?:[^']|'')*'|"(?:[^"]|"")*"|[+-]?\d+(?:\.\d+)?)\s*""",
    re.VERBOSE,
)
_AND = re.compile(r"(?i)\s+AND\s+")


def _attribute(experiment: Experiment, key: str) -> Any:
    if key.startswith("tags."):
        return experiment.tags.get(key[5:])
    value = getattr(experiment, key)
    return int(value) if key == "experiment_id" else value


def _parse_experiment_filter(text: str) -> list[Callable[[Experiment], bool]]:
    tests: list[Callable[[Experiment], bool]] = []
    if not text.strip():
        return tests
    for clause in _AND.split(text.strip()):
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(
                f"invalid experiment filter clause {clause!r}: expected <key> <op> <value> with key one of "
                f"{', '.join(_ATTRIBUTES)} or tags.<key>"
            )
        key = re.sub(r"^attributes?\.", "", match["key"])
        if key.startswith("tag"):
            key = "tags." + key.split(".", 1)[1].strip('`"')
        op = " ".join(match["op"].upper().split())
        raw = match["value"]
        value: Any = raw[1:-1].replace(raw[0] * 2, raw[0]) if raw[0] in "'\"" else float(raw)
        tests.append(_comparison(key, op, value))
    return tests


def _comparison(key: str, op: str, value: Any) -> Callable[[Experiment], bool]:
    numeric = key in ("experiment_id", "creation_time", "last_update_time")
    if numeric and isinstance(value, str):
        if key == "experiment_id" and value.lstrip("-").isdigit():
            value = int(value)
        else:
            raise ValueError(f"{key} compares with a number, got {value!r}")
    if not numeric and not isinstance(value, str):
        raise ValueError(f"{key} compares with a quoted string, got {value!r}")
    if numeric and "LIKE" in op:
        raise ValueError(f"{op} does not apply to the number {key}")

    def test(experiment: Experiment) -> bool:
        actual = _attribute(experiment, key)
        if actual is None:
            return False
        if "LIKE" in op:
            hit = bool(sql_like(actual, value, int(op == "ILIKE")))
            return not hit if op.startswith("NOT") else hit
        return {
            "=": actual == value, "!=": actual != value, "<": actual < value,
            "<=": actual <= value, ">": actual > value, ">=": actual >= value,
        }[op]

    return test


def _experiment_order(item: str) -> tuple[str, bool]:
    parts = item.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
        raise ValueError(f"invalid experiment order_by item {item!r}: '<key> [ASC|DESC]'")
    key = re.sub(r"^attributes?\.", "", parts[0])
    if key not in _ATTRIBUTES:
        raise ValueError(f"cannot order experiments by {parts[0]!r}: use one of {', '.join(_ATTRIBUTES)}")
    return key, len(parts) == 2 and parts[1].upper() == "DESC"


# -- runs ----------------------------------------------------------------------------------------


def _run_pk(conn: sqlite3.Connection, run_id: str) -> int:
    row = conn.execute("SELECT run_pk FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise RunNotFound(f"no run with id {run_id!r} in this tracking directory")
    return row[0]


def set_run_tags(conn: sqlite3.Connection, run_id: str, tags: Mapping[str, Any]) -> None:
    """Set tags on a run; ``mlflow.runName`` renames it, as in MLflow."""
    with transaction(conn):
        pk = _run_pk(conn, run_id)
        for key, value in tags.items():
            conn.execute(
                "INSERT INTO tags VALUES (?, ?, ?) ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value",
                (pk, _check_key(key, "a tag key"), str(value)),
            )
        if RUN_NAME_TAG in tags:
            conn.execute("UPDATE runs SET name = ? WHERE run_pk = ?", (str(tags[RUN_NAME_TAG]), pk))


def delete_run_tag(conn: sqlite3.Connection, run_id: str, key: str) -> None:
    with transaction(conn):
        pk = _run_pk(conn, run_id)
        if conn.execute("DELETE FROM tags WHERE run_pk = ? AND key = ?", (pk, key)).rowcount == 0:
            raise LookupError(f"run {run_id!r} has no tag {key!r}")


def update_run(conn: sqlite3.Connection, run_id: str, status: str | None = None, name: str | None = None) -> None:
    """Change a run's status (a terminal one sets its end time) and/or its name."""
    if status is not None and status not in RUN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RUN_STATUSES)}, got {status!r}")
    with transaction(conn):
        pk = _run_pk(conn, run_id)
        if status is not None:
            end = None if status in ("RUNNING", "SCHEDULED") else time.time()
            conn.execute(
                "UPDATE runs SET status = ?, end_time = COALESCE(?, CASE WHEN ? THEN NULL ELSE end_time END) "
                "WHERE run_pk = ?",
                (status, end, end is None, pk),
            )
        if name is not None:
            conn.execute("UPDATE runs SET name = ? WHERE run_pk = ?", (str(name), pk))
            conn.execute(
                "INSERT INTO tags VALUES (?, ?, ?) ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value",
                (pk, RUN_NAME_TAG, str(name)),
            )


def set_run_stage(conn: sqlite3.Connection, run_id: str, stage: str) -> None:
    """Delete (``"deleted"``) or restore (``"active"``) a run; its data stays either way."""
    with transaction(conn):
        pk = _run_pk(conn, run_id)
        conn.execute("UPDATE runs SET lifecycle_stage = ? WHERE run_pk = ?", (stage, pk))
