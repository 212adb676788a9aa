"""``autolog sweep``: create a sweep from a W&B-format config, run agents, show the trials.

    autolog sweep create sweep.yaml [--name N] [--storage URL] [--dir D]    prints the sweep id
    autolog sweep agent SWEEP_ID [--count N] [--function module:func] [--storage URL] [--dir D]
    autolog sweep show SWEEP_ID [--storage URL] [--dir D]

The storage defaults to ``sqlite:///<tracking dir>/sweeps.db``. An agent enables autologging
(``autolog.autolog(tracking_dir=D)``) so fits inside a ``--function`` trial are recorded; a
``program`` attaches its own autologged runs to the trial through ``AUTOLOG_RUN_ID``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import IO, Any


def add_commands(commands: Any, dir_help: str) -> None:
    """Add ``sweep create|agent|show`` to the ``autolog`` command."""
    sweep = commands.add_parser("sweep", help="hyperparameter sweeps (W&B-format configs, run on Optuna)")
    actions = sweep.add_subparsers(dest="sweep_command", required=True, metavar="ACTION")
    storage_help = "Optuna storage URL (default: sqlite:///<dir>/sweeps.db)"

    create = actions.add_parser("create", help="create a sweep from a YAML or JSON config; prints its id")
    create.add_argument("config")
    create.add_argument("--name", help="the sweep id (default: a new one)")
    create.add_argument("--storage", help=storage_help)
    create.add_argument("--dir", help=dir_help)
    create.set_defaults(handler=_create)

    agent = actions.add_parser("agent", help="run trials of a sweep")
    agent.add_argument("sweep_id")
    agent.add_argument("--count", type=int, help="most trials this agent runs (default: until none are left)")
    agent.add_argument("--function", help="module:function to call in this process with each trial's config")
    agent.add_argument("--storage", help=storage_help)
    agent.add_argument("--dir", help=dir_help)
    agent.set_defaults(handler=_agent)

    show = actions.add_parser("show", help="print a sweep's trials and its best config")
    show.add_argument("sweep_id")
    show.add_argument("--storage", help=storage_help)
    show.add_argument("--dir", help=dir_help)
    show.set_defaults(handler=_show)


def _optuna_missing(out: IO[str]) -> bool:
    import importlib.util

    if importlib.util.find_spec("optuna") is not None:
        return False
    print("autolog: sweeps need optuna (pip install 'autolog-suite[sweeps]')", file=sys.stderr)
    return True


def _configure(args: argparse.Namespace) -> None:
    import autolog

    if args.dir:
        autolog.autolog(tracking_dir=args.dir)
    else:
        autolog.autolog()


def _create(args: argparse.Namespace, out: IO[str]) -> int:
    if _optuna_missing(out):
        return 1
    from autolog import sweeps

    if not os.path.exists(args.config):
        raise ValueError(f"{args.config}: no such sweep config file")
    _configure(args)
    opened = sweeps.create_sweep(args.config, name=args.name, storage=args.storage)
    print(opened.sweep_id, file=out)
    return 0


def _load_function(spec: str) -> Callable[..., Any]:
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ValueError(f"--function: {spec!r} is not module:function")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--function: cannot import {module_name!r}: {exc}") from exc
    function = getattr(module, name, None)
    if not callable(function):
        raise ValueError(f"--function: {module_name!r} has no function {name!r}")
    return function


def _agent(args: argparse.Namespace, out: IO[str]) -> int:
    if _optuna_missing(out):
        return 1
    from autolog import sweeps

    function = _load_function(args.function) if args.function else None
    _configure(args)
    outcomes = sweeps.agent(args.sweep_id, function, count=args.count, storage=args.storage, out=out)
    return 0 if outcomes is not None else 1


def _show(args: argparse.Namespace, out: IO[str]) -> int:
    if _optuna_missing(out):
        return 1
    from autolog import sweeps

    sweeps.show(args.sweep_id, storage=args.storage, tracking_dir=args.dir, out=out)
    return 0
