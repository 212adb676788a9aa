"""What recording the environment (git, command, machine, packages) costs the caller of a run,
side by side with MLflow's own run context (``mlflow.tracking.context.registry.resolve_tags``,
which ``mlflow.start_run`` computes in the caller's thread).

    python benchmarks/bench_environment.py [--rounds 5] [--later 200]

Each round runs in fresh processes (the capture is cached per process, so only a fresh process
shows the first run's cost), inside this checkout's git work tree:

* first run: the wall time of ``autolog.run()`` + ``end()`` for the first run of a process, with
  capture on and off (the difference is what capture costs the caller);
* later runs: the same for each of ``--later`` runs after it (capture on and off);
* the capture itself: what the background worker spends (git, the package list), i.e. what the
  caller would pay if it were done inline;
* MLflow: ``resolve_tags()`` in a fresh process (its first call; MLflow caches nothing of it).

Medians over rounds; everything is written under a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, os, sys, time
capture = sys.argv[1] == "on"
later = int(sys.argv[2])
os.environ["AUTOLOG_CAPTURE_ENVIRONMENT"] = "1" if capture else "0"
import autolog
autolog.autolog()
autolog.flush()                      # the dispatcher and its store exist before timing
t0 = time.perf_counter()
with autolog.run(name="first"):
    pass
first = time.perf_counter() - t0
t0 = time.perf_counter()
autolog.flush()
background = time.perf_counter() - t0
times = []
for i in range(later):
    t0 = time.perf_counter()
    with autolog.run(name=f"later-{i}"):
        pass
    times.append(time.perf_counter() - t0)
autolog.flush()
from autolog import environment
t0 = time.perf_counter()
environment._compute()
inline = time.perf_counter() - t0
print(json.dumps({"first": first, "later": sum(times) / max(1, len(times)), "background": background,
                  "inline": inline}))
"""

MLFLOW = r"""
import json, time
import mlflow
from mlflow.tracking.context import registry
t0 = time.perf_counter()
tags = registry.resolve_tags()
first = time.perf_counter() - t0
t0 = time.perf_counter()
registry.resolve_tags()
second = time.perf_counter() - t0
print(json.dumps({"first": first, "second": second, "tags": sorted(tags)}))
"""


def _child(code: str, args: list[str], workdir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env.update(AUTOLOG_DIR=os.path.join(workdir, "runs"), MLFLOW_TRACKING_URI=f"sqlite:///{workdir}/mlflow.db")
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--later", type=int, default=200)
    options = parser.parse_args()
    results: dict[str, list[dict]] = {"on": [], "off": [], "mlflow": []}
    with tempfile.TemporaryDirectory(prefix="bench-environment-") as workdir:
        for _ in range(options.rounds):
            for mode in ("on", "off"):
                results[mode].append(_child(CHILD, [mode, str(options.later)], workdir))
            results["mlflow"].append(_child(MLFLOW, [], workdir))

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    first_on, first_off = med("on", "first"), med("off", "first")
    later_on, later_off = med("on", "later"), med("off", "later")
    inline = med("on", "inline")
    mlflow_first = med("mlflow", "first")
    print(f"environment capture, medians over {options.rounds} fresh processes ({options.later} later runs each)")
    print(f"  first run, caller:  capture on {first_on * 1e3:7.2f} ms   off {first_off * 1e3:7.2f} ms   "
          f"capture adds {(first_on - first_off) * 1e3:6.2f} ms (budget 20 ms)")
    print(f"  later runs, caller: capture on {later_on * 1e6:7.1f} us   off {later_off * 1e6:7.1f} us   "
          f"capture adds {(later_on - later_off) * 1e6:6.1f} us per run")
    print(f"  the capture itself (background worker): {inline * 1e3:7.2f} ms  "
          f"= {inline / max(first_on - first_off, 1e-9):.0f}x what the caller pays for it")
    print(f"  MLflow resolve_tags(), caller, first call of a process: {mlflow_first * 1e3:7.2f} ms   "
          f"ratio MLflow / autolog caller cost: {mlflow_first / max(first_on - first_off, 1e-9):.1f}x")
    print(f"  MLflow's tags: {', '.join(results['mlflow'][0]['tags'])}")


if __name__ == "__main__":
    main()
