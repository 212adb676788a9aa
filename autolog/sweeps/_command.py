"""A ``command`` (or ``program``) sweep: each trial runs the program in a child process.

The command is W&B's: a list of words where these macros expand (each a whole word):
``${env}`` (``/usr/bin/env``), ``${interpreter}`` (this Python; W&B uses ``python`` from the
PATH), ``${program}``, ``${args}`` (``--lr=0.1``), ``${args_no_equals}`` (``--lr 0.1``),
``${args_no_hyphens}`` (``lr=0.1``), ``${args_no_boolean_flags}`` (``--flag`` for True, nothing
for False), ``${args_json}`` (one word of JSON), ``${args_json_file}`` (a JSON file's path),
``${args_append_hydra}`` (``+lr=0.1``), ``${args_override_hydra}`` (``++lr=0.1``); any other
``${NAME}`` is the environment variable NAME. The default command is
``${env} ${interpreter} ${program} ${args}``. Values are written as Python's ``str`` writes them,
as W&B does; nested parameters go by their dotted name (``--optimizer.lr=0.1``).

The program's autologged runs attach to the trial's run through ``AUTOLOG_RUN_ID`` (and
``AUTOLOG_DIR`` points at the sweep's store). While it runs, the agent reads the objective
metric from the store every half second and reports it to Optuna; a pruned program gets
SIGTERM (SIGKILL ten seconds later), as W&B's agent does.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from typing import Any

from autolog import _session
from autolog.sweeps import _study, _trial
from autolog.sweeps._objective import Objective

DEFAULT_COMMAND = ("${env}", "${interpreter}", "${program}", "${args}")
POLL_SECONDS = 0.5
KILL_AFTER_SECONDS = 10.0
_ENV_VAR = re.compile(r"\$\{([^}]+)\}")


def argument_forms(flat: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every form W&B's macros give the trial's ``{name: value}``."""
    forms: dict[str, list[str]] = {key: [] for key in (
        "args", "args_no_equals", "args_no_hyphens", "args_no_boolean_flags", "args_append_hydra", "args_override_hydra")}
    for name, value in flat.items():
        flag = f"{name}={value}"
        forms["args"].append("--" + flag)
        forms["args_no_equals"] += [f"--{name}", str(value)]
        forms["args_no_hyphens"].append(flag)
        forms["args_append_hydra"].append("+" + flag)
        forms["args_override_hydra"].append("++" + flag)
        if isinstance(value, bool):
            if value:
                forms["args_no_boolean_flags"].append("--" + name)
        else:
            forms["args_no_boolean_flags"].append("--" + flag)
    forms["args_json"] = [json.dumps(dict(flat))]
    return forms


def build_command(command: tuple[str, ...] | None, program: str | None, flat: Mapping[str, Any],
                  json_file: str) -> list[str]:
    """The trial's argv from the sweep's ``command`` and the trial's values."""
    forms = argument_forms(flat)
    forms["env"] = ["/usr/bin/env"] if os.name != "nt" else []
    forms["interpreter"] = [sys.executable]
    forms["program"] = [program] if program else []
    forms["args_json_file"] = [json_file]
    argv: list[str] = []
    for word in command or DEFAULT_COMMAND:
        if word.startswith("${") and word.endswith("}") and word[2:-1] in forms:
            argv += forms[word[2:-1]]
        else:
            argv.append(_ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(1)), word))
    return argv


def _family_history(client: Any, run_id: str, key: str) -> list[tuple[float, int, float]]:
    """(timestamp, step, value) of ``key`` over the run and every run below it."""
    family, frontier, points = [run_id], [run_id], []
    while frontier:
        quoted = ", ".join("'" + r.replace("'", "") + "'" for r in frontier)
        frontier = [r.run_id for r in client.search_runs(filter_string=f"attributes.parent_run_id IN ({quoted})",
                                                          max_results=50000)]
        family += frontier
    for member in family:
        points += [(p.timestamp, p.step, p.value) for p in client.get_metric_history(member, key)]
    return sorted(points)


def run_command(sweep: _study.Sweep, trial: Any, tracking_dir: str) -> _trial.TrialOutcome:
    """Run the program as the trial; the objective is read back from the store."""
    from autolog.client import Client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = _trial.suggest(trial, sweep)
    flat = sweep.config.flat_config(raw)
    config = sweep.config
    objective = Objective(config.metric, config.goal, trial, prune=config.early_terminate is not None)
    run = _trial.start_run(sweep, trial, flat)
    _session.current().flush(30.0)  # the program attaches to a run that must already be stored
    client = Client(tracking_dir)
    seen = 0
    error: BaseException | str | None = None
    with tempfile.TemporaryDirectory(prefix="autolog-sweep-") as tmp, _trial._Heartbeat(sweep, trial):
        json_file = os.path.join(tmp, f"config-{run.run_id}.json")
        with open(json_file, "w", encoding="utf-8") as fh:
            json.dump(flat, fh)
        argv = build_command(config.command, config.program, flat, json_file)
        env = {**os.environ, "AUTOLOG_RUN_ID": run.run_id, "AUTOLOG_DIR": tracking_dir}
        if sweep.experiment:
            env["AUTOLOG_EXPERIMENT"] = sweep.experiment
        try:
            process = subprocess.Popen(argv, env=env)
        except OSError as exc:
            error = f"the command {argv!r} could not start: {exc}"
        else:
            try:
                while True:
                    code = process.poll()
                    points = _family_history(client, run.run_id, config.metric)
                    for _, step, value in points[seen:]:
                        objective.add(step, value)
                    seen = len(points)
                    if objective.pruned_at is not None and code is None:
                        _stop(process)
                        break
                    if code is not None:
                        if code != 0:
                            error = f"the command exited with status {code}: {' '.join(argv)}"
                        break
                    time.sleep(POLL_SECONDS)
            except KeyboardInterrupt as exc:
                _stop(process)
                _trial.finish(sweep, trial, run, objective, flat, exc)
                raise
    return _trial.finish(sweep, trial, run, objective, flat, error)


def _stop(process: subprocess.Popen[Any]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(KILL_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
