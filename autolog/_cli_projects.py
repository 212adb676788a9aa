"""``autolog run`` and ``autolog rerun``: project entry points as tracked runs (see
:mod:`autolog.projects`).

    autolog run URI [-e ENTRY] [-P name=value ...] [--version REF] [--env-manager local|virtualenv|uv]
                [--experiment-name E] [--run-name N] [--system-site-packages] [--dir D]
    autolog rerun RUN_ID [--env-manager M] [--experiment-name E] [--run-name N] [--dir D]

Both print the new run's id and end with the command's exit status (the run is recorded either
way); a bad project, entry point, parameter, version or environment exits 2 with one message.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(commands: Any, dir_help: str) -> None:
    """Add ``run`` and ``rerun`` to the ``autolog`` command's sub-parsers."""
    run = commands.add_parser("run", help="run a project entry point (MLproject) as a tracked run")
    run.add_argument("uri", help="project folder, file:// or git URI; append #sub/dir for a sub-folder")
    run.add_argument("-e", "--entry-point", default="main", help="entry point, or a .py/.sh file (default main)")
    run.add_argument("-P", "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter (repeatable)")
    run.add_argument("--version", help="git commit, branch or tag to run (the project must be a git repository)")
    _common(run, dir_help)
    run.set_defaults(handler=_run)

    rerun = commands.add_parser("rerun", help="run a recorded project run again at its git commit")
    rerun.add_argument("run_id")
    _common(rerun, dir_help, rerun=True)
    rerun.set_defaults(handler=_rerun)


def _common(parser: argparse.ArgumentParser, dir_help: str, rerun: bool = False) -> None:
    parser.add_argument(
        "--env-manager", choices=("local", "virtualenv", "uv"), default=None if rerun else "local",
        help="where the command runs (default: " + ("the recorded run's" if rerun else "local") + ")",
    )
    parser.add_argument("--experiment-name", help="experiment of the new run")
    parser.add_argument("--run-name", help="name of the new run")
    parser.add_argument(
        "--system-site-packages", action="store_true", default=None if rerun else False,
        help="a built environment also sees the packages of the one autolog runs in",
    )
    parser.add_argument("--dir", help=dir_help)


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"-P takes NAME=VALUE, got {pair!r}")
        parameters[name] = value
    return parameters


def _configure(args: argparse.Namespace) -> None:
    if args.dir:
        import autolog

        autolog.autolog(tracking_dir=args.dir)


def _report(submitted: Any, out: Any) -> int:
    submitted.wait()
    print(f"run {submitted.run_id} {submitted.status}", file=out)
    return int(submitted.returncode or 0) if submitted.status != "FINISHED" else 0


def _run(args: argparse.Namespace, out: Any) -> int:
    from autolog import projects

    _configure(args)
    submitted = projects.run(
        args.uri, args.entry_point, _parameters(args.param), version=args.version, env_manager=args.env_manager,
        experiment_name=args.experiment_name, run_name=args.run_name, synchronous=False,
        system_site_packages=args.system_site_packages,
    )
    print(f"run {submitted.run_id} started: {submitted.command}", file=out, flush=True)
    return _report(submitted, out)


def _rerun(args: argparse.Namespace, out: Any) -> int:
    from autolog import projects

    _configure(args)
    submitted = projects.rerun(
        args.run_id, tracking_dir=args.dir, env_manager=args.env_manager, experiment_name=args.experiment_name,
        run_name=args.run_name, synchronous=False, system_site_packages=args.system_site_packages,
    )
    print(f"run {submitted.run_id} started (reproducing {args.run_id}): {submitted.command}", file=out, flush=True)
    return _report(submitted, out)
