"""A program that logs a learning curve into the trial's run: ``--quality=Q`` (lower is better);
bad curves are logged slowly, so the agent can prune them while they run."""

import argparse
import os
import time

import autolog

parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=float, required=True)
quality = parser.parse_args().quality
with autolog.run(run_id=os.environ["AUTOLOG_RUN_ID"]) as run:
    for step in range(1, 16):
        run.log_metric("loss", quality + 1.0 / step, step=step)
        autolog.flush()
        if quality > 1:
            time.sleep(0.3)
