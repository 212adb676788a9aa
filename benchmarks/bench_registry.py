"""Model registry on the local store vs MLflow's SQLite registry, side by side in one run.

Registers the same versions in both (``create_model_version`` of plain sources spread over a few
registered models, with a tag each), then times filtered ``search_model_versions``,
``search_registered_models`` and ``get_model_version_by_alias`` calls, and prints each time and
the ratio MLflow / autolog (above 1: autolog is faster).

    python benchmarks/bench_registry.py [--versions 2000] [--searches 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any


def _timed(action: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - start) / repeat


def run_on(client: Any, versions: int, searches: int, models: int) -> dict[str, float]:
    names = [f"model-{index}" for index in range(models)]
    for name in names:
        client.create_registered_model(name, tags={"team": "red" if name.endswith(("0", "2")) else "blue"})
    start = time.perf_counter()
    for index in range(versions):
        client.create_model_version(names[index % models], f"file:///store/{index}", run_id=f"run-{index % 97}",
                                    tags={"fold": str(index % 5)})
    register = (time.perf_counter() - start) / versions
    client.set_registered_model_alias("model-1", "champion", versions // models // 2)
    return {
        "create_model_version": register,
        "search versions name = + tags. =": _timed(
            lambda: client.search_model_versions("name = 'model-1' and tags.fold = '3'"), searches),
        "search versions run_id IN, version_number >": _timed(
            lambda: client.search_model_versions("run_id IN ('run-1', 'run-2') and version_number > 10"), searches),
        "search registered models LIKE + tag": _timed(
            lambda: client.search_registered_models("name LIKE 'model-%' and tags.team = 'red'"), searches),
        "get_model_version_by_alias": _timed(lambda: client.get_model_version_by_alias("model-1", "champion"), searches),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--models", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import mlflow

    import autolog

    with tempfile.TemporaryDirectory() as folder:
        ours = run_on(autolog.Client(f"{folder}/autolog-runs"), args.versions, args.searches, args.models)
        uri = f"sqlite:///{folder}/mlflow.db"
        theirs = run_on(mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri), args.versions, args.searches, args.models)
    print(f"{args.versions} versions over {args.models} registered models; {args.searches} calls per search")
    print(f"{'operation':<46}{'autolog ms':>12}{'mlflow ms':>12}{'mlflow/autolog':>16}")
    for key, ours_seconds in ours.items():
        print(f"{key:<46}{ours_seconds * 1000:>12.3f}{theirs[key] * 1000:>12.3f}{theirs[key] / ours_seconds:>16.1f}")


if __name__ == "__main__":
    main()
