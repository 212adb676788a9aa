"""Sustained cost: a loop of fits in a real process, measured until it has exited with everything
stored, side by side with a plain loop and ``mlflow.sklearn.autolog()``.

Each mode runs in its own fresh process: a script fits ``LogisticRegression`` on the same
1,000×20 data ``N`` times with every default on (params, training metrics, model with signature
and input example, plots) and simply ends, as a user's script does. The clock starts when the
loop starts and stops when the parent sees the process exit, so background work, delivery and the
exit sequence are all inside the figure. After the autolog run, the store is read back and every
run checked: FINISHED, with its model and its three plots.

* ``loop``: ms per fit while the loop runs (what training waits);
* ``end to end``: ms per fit from the loop's start to the process's exit;
* ratios against the plain loop and against MLflow (MLflow on fewer fits: it is slow).

    python benchmarks/bench_sustained.py [--fits 300 2000] [--mlflow-fits 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

SCRIPT = """
import sys, time, warnings
mode, n, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
warnings.simplefilter("ignore")
if mode == "autolog":
    import autolog
    autolog.autolog(tracking_dir=folder + "/autolog-runs")
elif mode == "mlflow":
    import logging, mlflow
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    mlflow.set_experiment("bench")
    mlflow.sklearn.autolog(silent=True)
import numpy as np
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = rng.normal(size=(1000, 20))
y = (X @ rng.normal(size=20) + rng.normal(size=1000) > 0).astype(int)
began = time.time()
for _ in range(n):
    LogisticRegression().fit(X, y)
print(began, time.time() - began, flush=True)
"""


def run_mode(mode: str, fits: int, folder: str) -> tuple[float, float]:
    """(loop seconds, start-of-loop to process-exit seconds) for one fresh process."""
    script = os.path.join(folder, "loop.py")
    with open(script, "w") as fh:
        fh.write(textwrap.dedent(SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    done = subprocess.run([sys.executable, script, mode, str(fits), folder], capture_output=True, text=True, env=env)
    exited = time.time()
    if done.returncode != 0:
        raise RuntimeError(f"{mode} loop failed:\n{done.stderr[-3000:]}")
    began, loop = (float(x) for x in done.stdout.split()[-2:])
    return loop, exited - began


def check_store(folder: str, fits: int) -> str:
    """Every run FINISHED with its model and three plots, read back from the store."""
    import autolog

    client = autolog.Client(os.path.join(folder, "autolog-runs"))
    runs = client.search_runs(max_results=fits + 10)
    complete = 0
    for run in runs:
        model = {a.path for a in client.list_artifacts(run.run_id, "model")}
        plots = client.list_artifacts(run.run_id, "plots")
        if run.status == "FINISHED" and "model/model.pkl" in model and len(plots) == 3 and run.metrics:
            complete += 1
    client.close()
    return f"{complete}/{fits} runs complete in the store"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--mlflow-fits", type=int, default=20)
    args = parser.parse_args()
    rows = []
    mlflow_per_fit = None
    try:
        import mlflow  # noqa: F401

        with tempfile.TemporaryDirectory() as folder:
            loop, total = run_mode("mlflow", args.mlflow_fits, folder)
            mlflow_per_fit = 1000 * total / args.mlflow_fits
            rows.append(("mlflow.sklearn.autolog", args.mlflow_fits, 1000 * loop / args.mlflow_fits, mlflow_per_fit, ""))
    except ImportError:
        pass
    for fits in args.fits:
        with tempfile.TemporaryDirectory() as folder:
            loop, total = run_mode("plain", fits, folder)
            plain = 1000 * total / fits
            rows.append(("plain", fits, 1000 * loop / fits, plain, ""))
        with tempfile.TemporaryDirectory() as folder:
            loop, total = run_mode("autolog", fits, folder)
            rows.append(("autolog", fits, 1000 * loop / fits, 1000 * total / fits, check_store(folder, fits)))
    print(f"{'mode':<24}{'fits':>6}{'loop ms/fit':>13}{'end to end ms/fit':>19}  notes")
    plain_by_fits = {fits: e2e for mode, fits, _, e2e, _ in rows if mode == "plain"}
    for mode, fits, loop, e2e, note in rows:
        extra = []
        if mode == "autolog":
            extra.append(f"{e2e / plain_by_fits[fits]:.1f}x plain")
            if mlflow_per_fit:
                extra.append(f"{mlflow_per_fit / e2e:.0f}x faster than MLflow")
        print(f"{mode:<24}{fits:>6}{loop:>13.2f}{e2e:>19.2f}  {', '.join(extra + ([note] if note else []))}")


if __name__ == "__main__":
    main()
