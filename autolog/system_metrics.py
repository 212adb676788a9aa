"""Optional system metrics: CPU, memory and GPU use, sampled while runs are open.

Turned on with ``autolog(system_metrics=True)`` or ``AUTOLOG_SYSTEM_METRICS=1`` (off by
default); one sample every ``system_metrics_interval`` seconds (default 10) is logged to every
open top-level run of the process as metrics named as MLflow names its system metrics, the step
counting samples:

* ``system/cpu_utilization_percentage``: the machine's CPU use (``/proc/stat``, or psutil);
* ``system/process_cpu_percentage``: this process's CPU time over wall time (100 = one core);
* ``system/process_rss_megabytes``: this process's resident memory (``/proc/self/statm``, or
  psutil);
* ``system/system_memory_usage_megabytes``: memory in use on the machine (``/proc/meminfo``);
* ``system/gpu_<i>_utilization_percentage`` and ``system/gpu_<i>_memory_usage_megabytes``: each
  GPU, through NVML, when ``pynvml`` (``nvidia-ml-py``) is installed.

A small timer thread wakes at the interval and hands the sampling to autolog's background worker
(:mod:`autolog._background`), so samples are ordered with the rest of the background work and the
training thread only ever pays for the reads (a few tens of microseconds every interval; see
``benchmarks/bench_system_metrics.py``). The thread idles while no run is open and stops at exit.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

PREFIX = "system/"


class Probe:
    """Reads the machine's and the process's state; each read keeps what the next one needs."""

    def __init__(self) -> None:
        self._wall = time.monotonic()
        self._cpu = time.process_time()
        self._stat = _proc_stat()
        self._page = _page_size()
        self._psutil = _optional("psutil")
        self._nvml: Any = None
        self._gpus: list[Any] = []
        self._init_nvml()

    def _init_nvml(self) -> None:
        pynvml = _optional("pynvml")
        if pynvml is None:
            return
        try:
            pynvml.nvmlInit()
            self._gpus = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            self._nvml = pynvml
        except Exception:  # noqa: BLE001 - no driver, no GPU: no GPU metrics
            self._nvml, self._gpus = None, []

    def sample(self) -> dict[str, float]:
        """One reading of every metric available here."""
        values: dict[str, float] = {}
        wall, cpu = time.monotonic(), time.process_time()
        if wall > self._wall:
            values["process_cpu_percentage"] = 100.0 * (cpu - self._cpu) / (wall - self._wall)
        self._wall, self._cpu = wall, cpu
        stat = _proc_stat()
        if stat is not None and self._stat is not None and stat[1] > self._stat[1]:
            busy, total = stat[0] - self._stat[0], stat[1] - self._stat[1]
            values["cpu_utilization_percentage"] = 100.0 * busy / total
        elif stat is None and self._psutil is not None:
            values["cpu_utilization_percentage"] = float(self._psutil.cpu_percent())
        self._stat = stat
        rss = self._rss()
        if rss is not None:
            values["process_rss_megabytes"] = rss / 2**20
        used = _memory_used()
        if used is not None:
            values["system_memory_usage_megabytes"] = used / 2**20
        for index, handle in enumerate(self._gpus):
            try:
                rates = self._nvml.nvmlDeviceGetUtilizationRates(handle)
                memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
            except Exception:  # noqa: BLE001 - a GPU that stopped answering
                continue
            values[f"gpu_{index}_utilization_percentage"] = float(rates.gpu)
            values[f"gpu_{index}_memory_usage_megabytes"] = memory.used / 2**20
        return {PREFIX + key: value for key, value in values.items()}

    def _rss(self) -> float | None:
        try:
            with open("/proc/self/statm", "rb") as fh:
                return int(fh.read().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            pass
        if self._psutil is not None:
            return float(self._psutil.Process().memory_info().rss)
        return None

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001
                pass
            self._nvml = None


def _optional(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - not installed, or broken: the metric is skipped
        return None


def _page_size() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 4096


def _proc_stat() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the machine since boot, from ``/proc/stat``."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _memory_used() -> int | None:
    try:
        with open("/proc/meminfo", "rb") as fh:
            info = {line.split(b":")[0]: int(line.split()[1]) for line in fh if line.count(b":") == 1}
        return (info[b"MemTotal"] - info[b"MemAvailable"]) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        return None


class Sampler:
    """The timer thread and the per-run sample counters (one per process)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.interval = 10.0
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._probe: Probe | None = None
        self._steps: dict[str, int] = {}

    def start(self, interval: float) -> None:
        self.interval = interval
        if self._thread is None or not self._thread.is_alive():
            self._stopped = False
            self._thread = threading.Thread(target=self._loop, name="autolog-system-metrics", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.wait(self.interval)
            self._wake.clear()
            session = self.session
            if self._stopped or session.exited or session.forked:
                break
            if self._runs():
                session.background.submit("sampling system metrics", self.sample)
        if self._probe is not None:
            self._probe.close()

    def _runs(self) -> list[Any]:
        return [
            run for run in list(self.session.open_runs.values())
            if run.parent_run_id is None and not run.ending
        ]

    def sample(self) -> None:
        """Take one sample and log it to every open top-level run (on the background worker)."""
        if self._probe is None:
            self._probe = Probe()
            return  # the first reading is the baseline of CPU rates
        values = self._probe.sample()
        now = time.time()
        for run in self._runs():
            step = self._steps.get(run.run_id, 0)
            self._steps[run.run_id] = step + 1
            run.log_metrics(values, step=step, timestamp=now)


_sampler: Sampler | None = None
_lock = threading.Lock()


def watch(session: Any, interval: float) -> None:
    """Make sure the sampler runs (called as a top-level run starts with system metrics on)."""
    global _sampler
    with _lock:
        if _sampler is None or _sampler.session is not session:
            _sampler = Sampler(session)
        _sampler.start(interval)
        if _sampler._probe is None:
            session.background.submit("sampling system metrics", _sampler.sample)


def stop() -> None:
    """Stop the sampler thread (at exit and in tests)."""
    global _sampler
    with _lock:
        if _sampler is not None:
            _sampler.stop()
            _sampler = None
