"""``autolog sync``: send runs from the local store to a tracking backend, later.

    autolog sync --to mlflow --option tracking_uri=http://127.0.0.1:5000
    autolog sync --to wandb --experiment churn --option project=churn
    autolog sync --to tensorboard --run 3f2a... --option log_dir=tb-runs
    autolog sync --to mlflow --filter "metrics.acc > 0.9" --dry-run

Progress (runs, points, bytes) goes to stderr, the summary to stdout. Exit status: 0 when every
run was sent; 1 when a run id is unknown, the backend's library is not installed, the target
stopped answering (run the command again: it continues where it stopped) or refused a run; 2 for
an unknown backend, a bad option or a malformed filter. Nothing is sent before the arguments,
the runs and the backend are checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_commands(commands: Any, dir_help: str) -> None:
    """Add ``autolog sync`` to the CLI's sub-parsers."""
    parser = commands.add_parser(
        "sync", help="send runs to mlflow, wandb, tensorboard or a plugin backend (only what is new)"
    )
    parser.add_argument("--to", required=True, metavar="BACKEND",
                        help="mlflow, wandb, tensorboard, or a backend a plugin provides")
    parser.add_argument("--dir", help=dir_help)
    parser.add_argument("--experiment", action="append", help="only this experiment (repeatable)")
    parser.add_argument("--run", action="append", dest="run_ids", metavar="ID", help="only this run (repeatable)")
    parser.add_argument("--filter", default="", help="e.g. \"metrics.acc > 0.9 and params.model = 'x'\"")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a backend option, as in backend_options (repeatable), e.g. tracking_uri=http://...")
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send nothing")
    parser.add_argument("--retry-seconds", type=float, default=30.0,
                        help="how long network errors are retried before giving up (default 30)")
    parser.set_defaults(handler=run_sync)


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs as backend options; a value that reads as JSON (``true``, ``3``,
    ``{"silent": true}``) is taken as such, any other as a string."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option takes KEY=VALUE, got {pair!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        options[key.strip()] = value
    return options


def run_sync(args: argparse.Namespace, out: Any) -> int:
    """Run ``autolog sync``; return the exit status."""
    from autolog._sync import BackendNotInstalled, SyncError, sync

    if args.retry_seconds < 0:
        raise ValueError("--retry-seconds must not be negative")
    try:
        summary = sync(
            args.to, tracking_dir=args.dir, experiment=args.experiment, run_ids=args.run_ids,
            filter_string=args.filter, options=parse_options(args.option), dry_run=args.dry_run,
            retry_seconds=args.retry_seconds, progress=None if args.dry_run else sys.stderr,
        )
    except BackendNotInstalled as exc:
        print(f"autolog: {exc}", file=sys.stderr)
        return 1
    except SyncError as exc:
        print(f"autolog: sync to {args.to} stopped: {exc}. What was sent is recorded; run the same "
              "command again to continue.", file=sys.stderr)
        return 1
    for line in summary.plan if args.dry_run else ():
        print(line, file=out)
    print(summary, file=out)
    return 1 if summary.failed or summary.registry_failed else 0
