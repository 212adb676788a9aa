"""Logging into a run another process owns: ``AUTOLOG_RUN_ID`` and ``autolog.run(run_id=...)``.

A process started by ``autolog run`` (a project entry point), or any process given
``AUTOLOG_RUN_ID=<run id>``, records its autologged calls into that existing run, as if the user
had opened it with ``autolog.run()``: a first fit logs its params and model there, a second fit
with other params becomes a child run. The attaching process never *owns* the run:

* it never ends it: at exit (or when ``autolog.run(run_id=...)`` closes) it only *detaches*
  (:class:`autolog.records.RunEnd` with ``detach=True``), and the owner's end decides the status;
* it never takes over the local store's writer identity or heartbeat, so its own death (even by
  SIGKILL) does not make the reaper mark the run KILLED (see :mod:`autolog.store.liveness`);
  the owner's death still does.

The run's experiment (where child runs go) and name are read from the local store when the
``local`` backend is configured, and a run id that store does not hold is refused (the variable:
one warning, calls log to runs of their own as usual; the keyword: ``LookupError``). Without the
local backend the configured experiment (``AUTOLOG_EXPERIMENT``) is used.
"""

from __future__ import annotations

import os
from typing import Any

#: The environment variable naming the run a process logs into when no run is active.
ENV_RUN_ID = "AUTOLOG_RUN_ID"


def requested_run_id() -> str:
    """The run id ``AUTOLOG_RUN_ID`` gives, or ``""``."""
    return os.environ.get(ENV_RUN_ID, "").strip()


def target(run_id: str, config: Any) -> tuple[str | None, str | None]:
    """(experiment, name) of the run ``run_id`` as the local store holds it, when the ``local``
    backend is configured (else ``(None, None)``); ``LookupError`` when that store lacks it."""
    if not run_id:
        raise LookupError("no run id given")
    if "local" not in config.backends:
        return None, None
    stored = _stored_run(run_id, config.tracking_dir)
    if stored is None:
        raise LookupError(f"the local store at {config.tracking_dir} holds no run {run_id!r}")
    return stored


def _stored_run(run_id: str, tracking_dir: str) -> tuple[str, str] | None:
    """(experiment, name) of ``run_id`` in the store at ``tracking_dir``, or None (one query)."""
    import pathlib
    import sqlite3

    from autolog.store.sqlite import DB_FILE

    db = os.path.join(tracking_dir, DB_FILE)
    if not os.path.exists(db):
        return None
    conn = sqlite3.connect(pathlib.Path(db).as_uri() + "?mode=ro", uri=True, timeout=30)
    try:
        row = conn.execute(
            "SELECT e.name, r.name FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id "
            "WHERE r.run_id = ?",
            (run_id,),
        ).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return None if row is None else (str(row[0]), str(row[1] or ""))
