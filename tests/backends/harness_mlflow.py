"""Contract-suite harness for the MLflow backend, against a real ``mlflow server``.

One server per test process (started on first use, stopped at exit) serves every harness: starting
one takes seconds, and runs never mix because each is found by its ``autolog.run_id`` tag. Set
``AUTOLOG_TEST_MLFLOW_URI`` to use a server that is already running instead (the MLflow suite's
``conftest.py`` sets it for its session server). ``MlflowServer`` is also what that conftest uses.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

from harness import Harness, ReadBack

URI_VARIABLE = "AUTOLOG_TEST_MLFLOW_URI"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MlflowServer:
    """A real ``mlflow server`` on 127.0.0.1 over a SQLite store and a proxied artifact folder
    under ``root``. ``stop()`` then ``start()`` restarts it on the same port and store."""

    def __init__(self, root: str, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = os.path.join(root, "server.log")

    def start(self, timeout: float = 60.0) -> MlflowServer:
        os.makedirs(self.root, exist_ok=True)
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{os.path.join(self.root, 'mlflow.db')}",
            "--artifacts-destination", os.path.join(self.root, "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]
        env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=self.root
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer /health in {timeout:.0f} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """Kill the server's whole process group (uvicorn runs as a child)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while self.healthy() and time.monotonic() < deadline:  # until the port stops answering
            time.sleep(0.1)

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""


_shared: MlflowServer | None = None


def shared_server_uri() -> str:
    """The URI of a running server: ``AUTOLOG_TEST_MLFLOW_URI``, else one started for this process."""
    global _shared
    if os.environ.get(URI_VARIABLE):
        return os.environ[URI_VARIABLE]
    if _shared is None:
        root = tempfile.mkdtemp(prefix="autolog-mlflow-harness-")
        server = MlflowServer(root).start()
        atexit.register(shutil.rmtree, root, True)
        atexit.register(server.stop)
        _shared = server
    return _shared.url


def find_run(client: Any, run_id: str) -> Any:
    """The MLflow run tagged ``autolog.run_id = run_id`` (across all experiments), or None."""
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiment_ids, filter_string=f"tags.`autolog.run_id` = '{run_id}'")
    return runs[0] if runs else None


def list_files(client: Any, mlflow_run_id: str, path: str | None = None) -> set[str]:
    files: set[str] = set()
    for info in client.list_artifacts(mlflow_run_id, path):
        if info.is_dir:
            files |= list_files(client, mlflow_run_id, info.path)
        else:
            files.add(info.path)
    return files


class MlflowHarness(Harness):
    name = "mlflow"
    requires = "mlflow"

    def make_backend(self) -> Any:
        from autolog.backends.mlflow import MlflowBackend

        self.uri = shared_server_uri()
        return MlflowBackend(tracking_uri=self.uri)

    def read_run(self, run_id: str, backend: Any) -> ReadBack:
        from mlflow import MlflowClient

        client = MlflowClient(self.uri)
        run = find_run(client, run_id)
        if run is None:
            raise LookupError(f"no MLflow run has autolog.run_id {run_id!r}")
        metrics = {}
        for key in run.data.metrics:
            history = client.get_metric_history(run.info.run_id, key)
            points = sorted(history, key=lambda m: (m.step, m.timestamp))
            metrics[key] = [(int(m.step), float(m.value)) for m in points]
        tags = {
            k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.") and k != "autolog.run_id"
        }
        return ReadBack(
            params=dict(run.data.params),
            metrics=metrics,
            tags=tags,
            status=run.info.status,
            artifacts=list_files(client, run.info.run_id),
            name=run.info.run_name,
        )

    def teardown(self) -> None:
        """The shared server outlives each harness; it stops at process exit."""


HARNESS_CLASS = MlflowHarness
