"""An example third-party autolog backend: every record as one JSON line in a file.

Written against ``autolog.sdk`` alone, the public tree for plugins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict

from autolog.sdk import Backend, Record, hookimpl

#: Lets autolog list this backend in messages about unknown backend names.
BACKEND_NAMES = ("jsonl",)


class JsonlBackend(Backend):
    """Appends ``{"type": <record class>, ...fields}`` lines to ``path``."""

    name = "jsonl"

    def __init__(self, path: str = "autolog-records.jsonl") -> None:
        self.path = os.path.abspath(path)
        self._file = None

    def write_batch(self, batch: Sequence[Record]) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - open until close()
        lines = [json.dumps({"type": type(r).__name__, **asdict(r)}, default=str) for r in batch]
        self._file.write("\n".join(lines) + "\n")

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@hookimpl
def autolog_make_backend(name, config):
    if name == "jsonl":
        return JsonlBackend(**config.backend_options.get("jsonl", {}))
    return None
