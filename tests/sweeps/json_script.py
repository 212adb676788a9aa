"""A program that reads its params from ``${args_json_file}`` and logs the loss into the trial's run."""

import json
import os
import sys

import autolog

with open(sys.argv[1]) as fh:
    params = json.load(fh)
if params["x"] == 3:
    sys.exit(3)
with autolog.run(run_id=os.environ["AUTOLOG_RUN_ID"]) as run:
    for step in range(3):
        run.log_metric("loss", params["x"] + 1 / (step + 1), step=step)
