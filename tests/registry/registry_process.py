"""A separate process using the registry, for the concurrency tests.

    python registry_process.py register TRACKING_DIR GO_FILE MODEL_URI NAME COUNT
        waits until GO_FILE exists, then registers MODEL_URI as COUNT new versions of NAME;
        prints the version numbers it got as JSON
    python registry_process.py fit TRACKING_DIR GO_FILE NAME ALIAS COUNT EXPERIMENT
        autolog(registered_model_name=NAME, registered_model_alias=ALIAS, experiment=EXPERIMENT),
        waits until GO_FILE exists, then fits COUNT LogisticRegressions; prints "done"
"""

from __future__ import annotations

import json
import os
import sys
import time

import autolog


def _wait_for(go_file: str) -> None:
    deadline = time.time() + 60
    while not os.path.exists(go_file):
        if time.time() > deadline:
            raise SystemExit("the go file never appeared")
        time.sleep(0.005)


def register(tracking_dir: str, go_file: str, uri: str, name: str, count: int) -> None:
    autolog.Client(tracking_dir).search_registered_models()  # the store is open before the start
    _wait_for(go_file)
    versions = [autolog.register_model(uri, name, tracking_dir=tracking_dir).version for _ in range(count)]
    print(json.dumps(versions), flush=True)


def fit(tracking_dir: str, go_file: str, name: str, alias: str, count: int, experiment: str) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    autolog.autolog(tracking_dir=tracking_dir, backends=["local"], experiment=experiment,
                    registered_model_name=name, registered_model_alias=alias)
    rng = np.random.default_rng(os.getpid())
    features = rng.normal(size=(60, 4))
    labels = (features[:, 0] > 0).astype(int)
    _wait_for(go_file)
    for index in range(count):
        LogisticRegression(C=0.5 + index).fit(features, labels)
    print("done", flush=True)


if __name__ == "__main__":
    mode, directory, go, *rest = sys.argv[1:]
    if mode == "register":
        register(directory, go, rest[0], rest[1], int(rest[2]))
    else:
        fit(directory, go, rest[0], rest[1], int(rest[2]), rest[3])
