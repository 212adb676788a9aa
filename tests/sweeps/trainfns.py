"""Trial functions that agent processes import by name (``--function trainfns:...``)."""

from __future__ import annotations

import os
import time

import autolog


def quick(config):
    """Logs the loss after a short pause, so two agents overlap."""
    run = autolog.active_run()
    run.set_tags({"agent_pid": os.getpid()})
    time.sleep(0.2)
    run.log_metric("loss", float(config["x"]))


def hang_once(config):
    """The first time x == 1 runs it writes the marker and hangs (to be killed); later it is quick."""
    marker = os.environ["SWEEP_MARKER"]
    run = autolog.active_run()
    run.log_metric("loss", float(config["x"]), step=0)
    if config["x"] == 1 and not os.path.exists(marker):
        autolog.flush()
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(120)
