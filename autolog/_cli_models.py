"""``autolog models``: the model registry from the command line.

    autolog models list [--dir D] [--filter F] [--max N]   registered models as a table
    autolog models show NAME [--dir D]                     a model, its versions and aliases
    autolog models alias NAME VERSION ALIAS [--dir D]      point ALIAS at VERSION (--delete to remove)
    autolog models stage NAME VERSION STAGE [--dir D]      move VERSION to a stage (deprecated, as in
                                                           MLflow: prefer aliases)

An unknown model, version or alias exits 1; a malformed alias, stage, version or filter exits 2,
with the message naming what is wrong (see :mod:`autolog.cli`).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import warnings
from typing import Any

from autolog.client import Client


def add_commands(commands: Any, dir_help: str) -> None:
    """Add ``models`` and its subcommands to the ``autolog`` parser's sub-parsers."""
    models = commands.add_parser("models", help="the model registry: list, show, alias, stage")
    actions = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="list registered models")
    listing.add_argument("--dir", help=dir_help)
    listing.add_argument("--filter", default="", help="e.g. \"name LIKE 'churn%%'\" or \"tags.team = 'red'\"")
    listing.add_argument("--max", type=int, default=100, help="most models to list (default 100)")
    listing.set_defaults(handler=_list_models)

    show = actions.add_parser("show", help="show a registered model with its versions")
    show.add_argument("name")
    show.add_argument("--dir", help=dir_help)
    show.set_defaults(handler=_show_model)

    alias = actions.add_parser("alias", help="point an alias at a version")
    alias.add_argument("name")
    alias.add_argument("version")
    alias.add_argument("alias")
    alias.add_argument("--delete", action="store_true", help="remove the alias instead (VERSION is checked)")
    alias.add_argument("--dir", help=dir_help)
    alias.set_defaults(handler=_set_alias)

    stage = actions.add_parser("stage", help="move a version to None, Staging, Production or Archived")
    stage.add_argument("name")
    stage.add_argument("version")
    stage.add_argument("stage")
    stage.add_argument(
        "--archive-existing", action="store_true", help="move the model's other versions in that stage to Archived"
    )
    stage.add_argument("--dir", help=dir_help)
    stage.set_defaults(handler=_set_stage)


def _time(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "-"
    return datetime.datetime.fromtimestamp(milliseconds / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"@{alias}={version}" for alias, version in sorted(aliases.items())) or "-"


def _list_models(args: argparse.Namespace, out) -> int:
    from autolog.cli import _table

    client = Client(args.dir)
    models = client.search_registered_models(args.filter or None, max_results=args.max)
    if not models:
        print(f"no registered models in {client.tracking_dir}", file=out)
        return 0
    rows = []
    for model in models:
        latest = max((v.version for v in model.latest_versions), default=None)
        stages = ", ".join(f"{v.current_stage}={v.version}" for v in sorted(model.latest_versions, key=lambda v: v.version)
                           if v.current_stage != "None") or "-"
        rows.append([model.name, str(latest or "-"), _aliases(model.aliases), stages, _time(model.last_updated_timestamp)])
    print(_table(["NAME", "LATEST", "ALIASES", "STAGES", "UPDATED"], rows), file=out)
    return 0


def _show_model(args: argparse.Namespace, out) -> int:
    from autolog.cli import _section, _table

    client = Client(args.dir)
    model = client.get_registered_model(args.name)
    _section("registered model", {
        "name": model.name, "description": model.description or "-",
        "created": _time(model.creation_timestamp), "updated": _time(model.last_updated_timestamp),
        "aliases": _aliases(model.aliases),
    }, out, first=True)
    _section("tags", dict(model.tags), out)
    versions = _versions_of(client, model.name)
    print(file=out)
    print("versions:", file=out)
    if not versions:
        print("  (none)", file=out)
        return 0
    rows = [
        [str(v.version), v.current_stage, ", ".join(f"@{a}" for a in v.aliases) or "-", v.run_id or "-",
         v.model_path or v.source, _time(v.creation_timestamp),
         ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items())) or "-"]
        for v in versions
    ]
    table = _table(["VERSION", "STAGE", "ALIASES", "RUN ID", "PATH", "CREATED", "TAGS"], rows)
    print("\n".join("  " + line for line in table.splitlines()), file=out)
    return 0


def _versions_of(client: Client, name: str) -> list:
    """Every version of ``name``, newest first (a name holding both kinds of quote cannot be
    written in a filter, so it is matched here)."""
    order = ["version_number DESC"]
    if "'" not in name:
        return client.search_model_versions(f"name = '{name}'", order_by=order)
    if '"' not in name:
        return client.search_model_versions(f'name = "{name}"', order_by=order)
    return [v for v in client.search_model_versions(order_by=order) if v.name == name]


def _set_alias(args: argparse.Namespace, out) -> int:
    client = Client(args.dir)
    version = client.get_model_version(args.name, args.version)
    if args.delete:
        if args.alias not in version.aliases:
            raise LookupError(f"alias {args.alias!r} of {args.name!r} does not point at version {version.version}")
        client.delete_registered_model_alias(args.name, args.alias)
        print(f"{args.name}@{args.alias} removed (it named version {version.version})", file=out)
        return 0
    client.set_registered_model_alias(args.name, args.alias, version.version)
    print(f"{args.name}@{args.alias} -> version {version.version}", file=out)
    return 0


def _set_stage(args: argparse.Namespace, out) -> int:
    client = Client(args.dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FutureWarning)
        moved = client.transition_model_version_stage(args.name, args.version, args.stage, args.archive_existing)
    print(f"{args.name} version {moved.version} -> stage {moved.current_stage}", file=out)
    if caught:
        from autolog.model_registry import STAGES_DEPRECATION

        print(f"autolog: note: {STAGES_DEPRECATION}", file=sys.stderr)
    return 0
