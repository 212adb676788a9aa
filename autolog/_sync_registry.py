"""``autolog sync`` for the model registry: registered models, versions and aliases.

After the runs are replayed, every version of the local registry whose source run the target
holds (sent by this sync or an earlier one), with the model folder it names, is sent to the
target's registry (:meth:`Backend.model_registry <autolog.sdk.backend_base.Backend.model_registry>`):
its registered model (description, tags) first, then the version, pointing at the target run's
copy of the model, with its description, tags and stage, then the aliases, each pointing at the
target version made from the local version it names. Versions registered from a folder outside
any run, and versions of runs the target does not hold, are not sent (they are counted).

What was sent is kept in ``sync_items`` (:mod:`autolog.store.sync_state`): ``registry_model``
(``name``, a digest of description and tags), ``registry_version`` (``"<name>/<version>"``,
``"<target version> <digest>"``, under the source run) and ``registry_alias``
(``"<name>@<alias>"``, the target version). A second sync sends nothing; an edited description
or tag, a new stage, a moved alias are sent again; an alias deleted locally is deleted on the
target. Each item is recorded as soon as the target has it, and the target finds a version made
before by its ``autolog.source_version`` tag, so an interrupted sync resumes without duplicates.
Versions deleted locally are left on the target.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autolog._sync_plan import digest
from autolog.store.sync_state import SyncState, registry_tables

KINDS = ("registry_model", "registry_version", "registry_alias")


@dataclass
class Version:
    """One local version to send."""

    name: str
    version: int
    run_pk: int
    run_id: str
    target_run_id: str | None
    model_path: str
    description: str | None
    tags: dict[str, str]
    stage: str

    @property
    def key(self) -> str:
        return f"{self.name}/{self.version}"

    def digest(self) -> str:
        return digest(self.target_run_id, self.model_path, self.description, self.tags, self.stage)


@dataclass
class RegistryPlan:
    """What the registry sync sends: models, versions, aliases to set and to delete."""

    #: name -> (description, tags, digest), for models with something to send
    models: dict[str, tuple[str | None, dict[str, str], str]] = field(default_factory=dict)
    versions: list[Version] = field(default_factory=list)
    #: (name, alias, local version) to point at that version's target version
    aliases: list[tuple[str, str, int]] = field(default_factory=list)
    #: (name, alias) sent before and deleted locally since
    deleted_aliases: list[tuple[str, str]] = field(default_factory=list)
    #: local versions whose run (or model) the target does not hold
    unsent: int = 0
    #: "<name>/<version>" -> target version, of versions sent before
    sent: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per version and alias, for ``--dry-run``."""
        out = [f"registry: {v.key} (run {v.run_id}, {v.model_path})" + (f" stage {v.stage}" if v.stage != "None" else "")
               for v in self.versions]
        out += [f"registry: alias {name}@{alias} -> version {version}" for name, alias, version in self.aliases]
        out += [f"registry: delete alias {name}@{alias}" for name, alias in self.deleted_aliases]
        return out


def local_versions(conn: sqlite3.Connection) -> int:
    """How many versions the local registry holds (0 for a store without one)."""
    if "model_versions" not in registry_tables(conn):
        return 0
    return int(conn.execute("SELECT COUNT(*) FROM model_versions").fetchone()[0])


def on_target(state: SyncState, works: Sequence[Any] = ()) -> tuple[dict[int, str | None], set[tuple[int, str]]]:
    """The runs (run_pk -> target run id) and model folders (run_pk, folder) the target holds,
    with those ``works`` (a dry run's plan) would send (their target run id None if new)."""
    runs: dict[int, str | None] = dict(state.target_runs())
    models = {(run_pk, key) for _kind, key, run_pk, _value in state.items_of(("model",))}
    for work in works:
        runs.setdefault(work.run_pk, None)
        models.update((work.run_pk, unit.item[1]) for unit in work.units if unit.item[0] == "model")
    return runs, models


def plan_registry(conn: sqlite3.Connection, state: SyncState, runs: Mapping[int, str | None],
                  models: set[tuple[int, str]]) -> RegistryPlan:
    """What to send, given the runs the target holds (``runs``: run_pk -> target run id, None
    for a run a dry run would create) and the model folders it holds (``models``)."""
    plan = RegistryPlan()
    if len(registry_tables(conn)) < 3:
        return plan
    sent = {(kind, key): (run_pk, value) for kind, key, run_pk, value in state.items_of(KINDS)}
    rows = conn.execute(
        "SELECT v.name, v.version, r.run_pk, v.run_id, v.model_path, v.description, v.current_stage "
        "FROM model_versions v LEFT JOIN runs r ON r.run_id = v.run_id ORDER BY v.name, v.version"
    ).fetchall()
    tags: dict[tuple[str, int], dict[str, str]] = {}
    for name, number, key, value in conn.execute("SELECT name, version, key, value FROM model_version_tags"):
        tags.setdefault((name, number), {})[key] = value
    ready: dict[str, Version] = {}
    for name, number, run_pk, run_id, model_path, description, stage in rows:
        if run_pk is None or not model_path or run_pk not in runs or (run_pk, model_path) not in models:
            plan.unsent += 1
            continue
        version = Version(name, number, run_pk, run_id, runs[run_pk], model_path, description,
                          tags.get((name, number), {}), stage or "None")
        ready[version.key] = version
        before = sent.get(("registry_version", version.key))
        if before is not None:
            plan.sent[version.key] = before[1].split(" ", 1)[0]
        if before is None or before[1].split(" ", 1)[-1] != version.digest():
            plan.versions.append(version)
    names = {v.name for v in ready.values()}
    model_tags: dict[str, dict[str, str]] = {}
    for name, key, value in conn.execute("SELECT name, key, value FROM registered_model_tags"):
        model_tags.setdefault(name, {})[key] = value
    for name, description in conn.execute("SELECT name, description FROM registered_models ORDER BY name"):
        wanted = digest(description, model_tags.get(name, {}))
        if name in names and sent.get(("registry_model", name), (0, ""))[1] != wanted:
            plan.models[name] = (description, model_tags.get(name, {}), wanted)
    aliases = conn.execute("SELECT name, alias, version FROM registered_model_aliases ORDER BY name, alias")
    local = set()
    for name, alias, number in aliases:
        local.add(f"{name}@{alias}")
        key = f"{name}/{number}"
        if key not in ready:
            continue
        before = sent.get(("registry_alias", f"{name}@{alias}"))
        if before is None or before[1] != plan.sent.get(key):
            plan.aliases.append((name, alias, number))
    for kind, key in sent:
        if kind == "registry_alias" and key not in local:
            name, alias = key.rsplit("@", 1)
            plan.deleted_aliases.append((name, alias))
    return plan


def send_registry(plan: RegistryPlan, registry: Any, state: SyncState, call: Callable[..., Any],
                  refused: Callable[[str, BaseException], None]) -> tuple[int, int]:
    """Send ``plan`` to ``registry`` through ``call`` (the courier's retrying call), recording
    each item once the target has it; what the target refuses goes to ``refused``. Returns the
    versions and aliases sent."""
    from autolog._sync_deliver import SyncError

    versions = aliases = 0
    target = dict(plan.sent)
    broken: set[str] = set()
    for name, (description, tags, wanted) in plan.models.items():
        try:
            call(registry.put_model, name, description, tags)
        except SyncError:
            raise
        except Exception as exc:  # noqa: BLE001 - the target refused this model: skip its versions
            refused(name, exc)
            broken.add(name)
            continue
        state.record_item(0, "registry_model", name, wanted)
    for version in plan.versions:
        if version.name in broken:
            continue
        try:
            number = str(call(registry.put_version, version.name, version.key, version.target_run_id,
                              version.model_path, version.description, version.tags, version.stage))
        except SyncError:
            raise
        except Exception as exc:  # noqa: BLE001 - the target refused this version only
            refused(version.key, exc)
            continue
        state.record_item(version.run_pk, "registry_version", version.key, f"{number} {version.digest()}")
        target[version.key] = number
        versions += 1
    for name, alias, local in plan.aliases:
        target_version = target.get(f"{name}/{local}")
        if target_version is None:
            continue
        try:
            call(registry.set_alias, name, alias, target_version)
        except SyncError:
            raise
        except Exception as exc:  # noqa: BLE001 - the target refused this alias only
            refused(f"{name}@{alias}", exc)
            continue
        state.record_item(0, "registry_alias", f"{name}@{alias}", target_version)
        aliases += 1
    for name, alias in plan.deleted_aliases:
        try:
            call(registry.delete_alias, name, alias)
        except SyncError:
            raise
        except Exception as exc:  # noqa: BLE001 - the target refused: tried again next sync
            refused(f"{name}@{alias}", exc)
            continue
        state.record_item(0, "registry_alias", f"{name}@{alias}", None)
    return versions, aliases


def plan_registry_into(conn: sqlite3.Connection, state: SyncState, registry: Any, summary: Any,
                       works: Sequence[Any] = ()) -> RegistryPlan | None:
    """What the registry sync sends, counted in ``summary`` (a ``SyncSummary``) and listed in its
    plan; None when the target has no registry (the local versions are counted as not sent)."""
    if registry is None:
        summary.no_registry = True
        summary.versions_unsent = local_versions(conn)
        return None
    plan = plan_registry(conn, state, *on_target(state, works))
    summary.versions, summary.aliases, summary.versions_unsent = len(plan.versions), len(plan.aliases), plan.unsent
    summary.plan.extend(plan.lines())
    return plan


def sync_registry(conn: sqlite3.Connection, state: SyncState, registry: Any, summary: Any, courier: Any) -> None:
    """Send the registry's versions and aliases whose runs the target now holds, through the
    ``courier``'s retrying call; what the target refuses is reported in ``summary``."""
    from autolog._sync_deliver import _first_line

    plan = plan_registry_into(conn, state, registry, summary)
    if plan is None:
        return

    def refused(what: str, exc: BaseException) -> None:
        summary.registry_failed[what] = f"{type(exc).__name__}: {_first_line(exc)}"

    summary.versions, summary.aliases = send_registry(plan, registry, state, courier.call, refused)
