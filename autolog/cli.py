"""The ``autolog`` command: list and inspect runs in a tracking directory.

    autolog runs [--dir D] [--experiment E] [--filter F] [--order-by K] [--max N]
    autolog show RUN_ID [--dir D]
    autolog plots RUN_ID [--dir D]          render the run's plots (stored as data) to PNG files

Further commands come from the modules in :data:`COMMAND_MODULES`.

Exit status: 0 on success, 1 for an unknown run (any ``LookupError``) or an unreadable store, 2
for bad arguments or a malformed filter (the message names the bad token and its position).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import sqlite3
import sys
from collections.abc import Sequence

from autolog.client import Client, StoredRun

#: Modules that add subcommands. Each has ``add_commands(commands, dir_help)``, which adds its
#: parsers to the ``argparse`` sub-parsers ``commands`` and sets ``handler=func`` on each, where
#: ``func(args, out) -> int`` runs the command. They import nothing heavy at module level.
COMMAND_MODULES: tuple[str, ...] = (
    "autolog._cli_models",
    "autolog._cli_sync",
    "autolog._cli_projects",
    "autolog._cli_sweeps",
    "autolog._cli_ui",
)

#: At most this many metric columns in ``autolog runs``.
METRIC_COLUMNS = 3
_VALUE_WIDTH = 60


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autolog", description="Inspect runs logged by autolog.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dir_help = "tracking directory (default: $AUTOLOG_DIR or ./autolog-runs)"

    runs = commands.add_parser("runs", help="list runs as a table")
    runs.add_argument("--dir", help=dir_help)
    runs.add_argument("--experiment", action="append", help="only this experiment (repeatable)")
    runs.add_argument(
        "--filter", default="", help="e.g. \"metrics.acc > 0.9 and params.model = 'x'\""
    )
    runs.add_argument("--order-by", action="append", help="e.g. 'metrics.acc DESC' (repeatable)")
    runs.add_argument("--max", type=int, default=100, help="most runs to list (default 100)")

    show = commands.add_parser("show", help="show a run's params, metrics, tags and artifacts")
    show.add_argument("run_id")
    show.add_argument("--dir", help=dir_help)

    plots = commands.add_parser("plots", help="render a run's plots to PNG files and list them")
    plots.add_argument("run_id")
    plots.add_argument("--dir", help=dir_help)

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(commands, dir_help)
    return parser


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _number(value: float) -> str:
    return f"{value:.6g}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
             for line in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _metric_columns(runs: Sequence[StoredRun], preferred: Sequence[str]) -> list[str]:
    """The metrics worth a column: those named in --order-by/--filter, then the most common."""
    counts = collections.Counter(key for run in runs for key in run.metrics)
    chosen = [key for key in preferred if key in counts]
    for key, _count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if key not in chosen:
            chosen.append(key)
    return chosen[:METRIC_COLUMNS]


def _list_runs(args: argparse.Namespace, out) -> int:
    from autolog.store.filter import METRIC, parse_filter, parse_order_by

    client = Client(args.dir)
    runs = client.search_runs(args.experiment, args.filter, args.order_by, args.max)
    if not runs:
        print(f"no runs found in {client.tracking_dir}", file=out)
        return 0
    named = [item.key for item in parse_order_by(args.order_by)]
    named += [clause.key for clause in parse_filter(args.filter)]
    metrics = _metric_columns(runs, [key.name for key in named if key.entity == METRIC])
    header = ["RUN ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", *metrics]
    rows = [
        [run.run_id, _clip(run.experiment, 24), _clip(run.name, 30), run.status]
        + [_time(run.start_time)]
        + [_number(run.metrics[key]) if key in run.metrics else "-" for key in metrics]
        for run in runs
    ]
    print(_table(header, rows), file=out)
    return 0


def _walk_artifacts(client: Client, run_id: str, path: str | None = None) -> list[tuple[str, int]]:
    files = []
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            files.extend(_walk_artifacts(client, run_id, info.path))
        else:
            files.append((info.path, info.file_size or 0))
    return files


def _section(title: str, items: dict[str, str], out, *, first: bool = False) -> None:
    if not first:
        print(file=out)
    print(f"{title}:", file=out)
    if not items:
        print("  (none)", file=out)
        return
    width = min(max(len(key) for key in items), 40)
    for key in items if first else sorted(items):
        print(f"  {key.ljust(width)}  {items[key]}", file=out)


def _show_run(args: argparse.Namespace, out) -> int:
    client = Client(args.dir)
    run = client.get_run(args.run_id)
    _section("run", {
        "run id": run.run_id, "experiment": run.experiment, "name": run.name or "-",
        "status": run.status, "started": _time(run.start_time), "ended": _time(run.end_time),
        "parent": run.parent_run_id or "-",
    }, out, first=True)
    params = {k: _clip(v, _VALUE_WIDTH) + (f" ({len(v)} chars)" if len(v) > _VALUE_WIDTH else "")
              for k, v in run.params.items()}
    _section("params", params, out)
    _section("metrics (latest)", {k: _number(v) for k, v in run.metrics.items()}, out)
    _section("tags", {k: _clip(v, _VALUE_WIDTH) for k, v in run.tags.items()}, out)
    artifacts = {path: f"{size} bytes" for path, size in _walk_artifacts(client, run.run_id)}
    _section("artifacts", artifacts, out)
    return 0


def _render_plots(args: argparse.Namespace, out) -> int:
    client = Client(args.dir)
    images = client.plot_images(args.run_id)
    if not images:
        print(f"run {args.run_id} has no plots", file=out)
    for path in images:
        print(path, file=out)
    return 0


_COMMANDS = {"runs": _list_runs, "show": _show_run, "plots": _render_plots}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``autolog`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    command = getattr(args, "handler", None) or _COMMANDS[args.command]
    try:
        return command(args, sys.stdout)
    except ValueError as exc:
        print(f"autolog: {exc}", file=sys.stderr)
        return 2
    except LookupError as exc:  # RunNotFound, and whatever else names something that does not exist
        print(f"autolog: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (``autolog runs | head``): not an error
        sys.stdout = None  # nothing more can be written there
        return 0
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        where = args.dir or "the tracking directory"
        print(f"autolog: cannot read {where}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
