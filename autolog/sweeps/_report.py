"""What a sweep prints: a progress bar of trials (stderr), a line per finished trial with its
params and objective, the best config at the end, and the trial table of ``autolog sweep show``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

_BAR = 24


def _value(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def params_text(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={_value(v)}" for k, v in params.items())


class Progress:
    """A one-line bar of trials on a terminal stream, redrawn in place (``\\r``)."""

    def __init__(self, total: int | None, stream: IO[str] | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._drawn = False

    def draw(self, running: int | None = None) -> None:
        if self.total:
            filled = _BAR * self.done // self.total
            bar = f"[{'#' * filled}{'.' * (_BAR - filled)}] {self.done}/{self.total} trials"
        else:
            bar = f"{self.done} trials done"
        if running is not None:
            bar += f" (running trial {running})"
        self.stream.write("\r" + bar.ljust(60))
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Leave the final bar on its own line."""
        if self._drawn:
            self.draw()
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()
            self._drawn = False


def trial_line(outcome: Any, metric: str) -> str:
    """``trial 3  COMPLETE  val_loss=0.123  lr=0.01 batch_size=32  run 1a2b...``"""
    value = "-" if outcome.value is None else _value(outcome.value)
    line = f"trial {outcome.number:<3} {outcome.state:<8} {metric}={value}  {params_text(outcome.params)}  run {outcome.run_id}"
    if outcome.reason and outcome.state != "COMPLETE":
        line += f"  ({outcome.reason})"
    return line


def best_text(best: Any, metric: str) -> str:
    if best is None:
        return "no trial completed: no best config"
    lines = [f"best trial {best.number}: {metric}={_value(best.value)} (run {best.run_id})"]
    lines += [f"  {key}: {_value(value)}" for key, value in best.params.items()]
    return "\n".join(lines)


def table(rows: list[dict[str, Any]], metric: str) -> str:
    """The trial table of ``autolog sweep show``: number, state, objective, run, params."""
    names: list[str] = []
    for row in rows:
        names += [k for k in row["params"] if k not in names]
    header = ["TRIAL", "STATE", metric, "RUN ID", *names]
    body = [[str(r["number"]), r["state"], "-" if r["value"] is None else _value(r["value"]), r["run_id"] or "-",
             *(_value(r["params"][n]) if n in r["params"] else "-" for n in names)] for r in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *body)]
    out = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header, *body]]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)
