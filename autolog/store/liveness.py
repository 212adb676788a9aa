"""Is a run's writer process still alive? The local store's crash detection.

Every write records the writing process's identity on its runs: pid, host name and the process's
start time (``/proc/<pid>/stat`` field 22, clock ticks since boot, where Linux provides it). A run
still RUNNING whose writer is gone was killed (SIGKILL, OOM, power loss):

* same host: the pid no longer exists, is a zombie, or now belongs to another process (its start
  time differs: the pid was reused);
* other host: nothing can be asked, so a heartbeat (updated on every batch the writer commits)
  older than :data:`STALE_AFTER_SECONDS` counts as dead.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

#: A run on another host whose writer sent nothing for this long is reported KILLED.
STALE_AFTER_SECONDS = 600.0

_PROC = "/proc"


@dataclass(frozen=True)
class WriterIdentity:
    """Who writes: enough to tell later whether that process still runs."""

    pid: int
    host: str
    started: int | None


_current: WriterIdentity | None = None


def current_writer() -> WriterIdentity:
    """This process's identity (recomputed after a fork, since the pid changes)."""
    global _current
    pid = os.getpid()
    if _current is None or _current.pid != pid:
        _current = WriterIdentity(pid, socket.gethostname(), process_start_ticks(pid))
    return _current


def _read_stat(pid: int) -> tuple[str, int] | None:
    """(state, start ticks) from ``/proc/<pid>/stat``, or None when unreadable."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def process_start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot; None without ``/proc``."""
    stat = _read_stat(pid)
    return None if stat is None else stat[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def writer_is_dead(
    pid: int | None,
    host: str | None,
    started: int | None,
    heartbeat: float | None,
    now: float,
    *,
    this_host: str | None = None,
    stale_after: float = STALE_AFTER_SECONDS,
) -> bool:
    """True when the process that wrote a RUNNING run is certainly (or, remotely, probably) gone."""
    this_host = socket.gethostname() if this_host is None else this_host
    if pid is None or host is None:
        return heartbeat is not None and now - heartbeat > stale_after
    if host != this_host:
        return heartbeat is not None and now - heartbeat > stale_after
    stat = _read_stat(pid)
    if stat is not None:
        state, ticks = stat
        if state in ("Z", "X"):
            return True
        return started is not None and ticks != started
    if os.path.exists(f"{_PROC}/self/stat"):
        return True
    return not _pid_alive(pid)
