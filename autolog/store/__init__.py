"""The embedded local store: SQLite (WAL) plus an artifact folder, its filter grammar, and the
model registry's tables."""

from __future__ import annotations

import os
import sys

DEFAULT_TRACKING_DIR = "./autolog-runs"


def default_tracking_dir(explicit: str | None = None) -> str:
    """``explicit`` if given, else the directory ``autolog.autolog()`` writes to in this process,
    else ``AUTOLOG_DIR`` if set, else ``./autolog-runs``; absolute."""
    session = getattr(sys.modules.get("autolog._session"), "_SESSION", None)
    configured = getattr(session, "_config", None)
    path = (
        explicit
        or (configured.tracking_dir if configured is not None else None)
        or os.environ.get("AUTOLOG_DIR")
        or DEFAULT_TRACKING_DIR
    )
    return os.path.abspath(os.path.expanduser(path))
