"""What system metrics (``autolog(system_metrics=True)``) cost a training step, measured on the
benchmark model of ``bench_trainer.py`` (a tiny BERT classifier, CPU, one torch thread).

    python benchmarks/bench_system_metrics.py [--steps 120] [--pairs 3] [--samples 2000]

Two measures:

* one sample: the time to read every metric (``/proc``, psutil, NVML when installed) and log it
  to one open run, median of ``--samples``; what training pays per interval is at most this (the
  sampling runs on autolog's background worker, so the training thread only shares the GIL with
  it). Its share of training time is ``sample / interval``; per step, ``sample * step / interval``;
* an in-process A/B: the same Trainer run alternately with autolog (system metrics off) and with
  autolog plus system metrics sampled every 0.05 s (200x the default rate), ``--pairs`` times;
  the median step times and their difference.

Printed: the ratios to a training step at the default interval (10 s) and at 0.05 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_trainer

FAST_INTERVAL = 0.05
DEFAULT_INTERVAL = 10.0


def sample_cost(samples: int) -> tuple[float, int]:
    """Median seconds of one sample logged to one run (no backend), and how many values it has."""
    import autolog
    from autolog import system_metrics

    autolog.autolog(backends=[])
    run = autolog.run(name="bench")
    sampler = system_metrics.Sampler(run._session)
    sampler.sample()  # the baseline reading
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        sampler.sample()
        times.append(time.perf_counter() - start)
    values = len(sampler._probe.sample()) if sampler._probe is not None else 0
    run.end()
    return statistics.median(times), values


def ab(steps: int, pairs: int, workdir: str) -> dict[str, list[float]]:
    tokenizer, data = bench_trainer._tiny_data(workdir)
    bench_trainer.train_once("none", steps, workdir, tokenizer, data, "-warmup")
    medians: dict[str, list[float]] = {"off": [], "on": []}
    for pair in range(pairs):
        for mode in (("off", "on") if pair % 2 == 0 else ("on", "off")):
            os.environ["AUTOLOG_SYSTEM_METRICS"] = "1" if mode == "on" else "0"
            os.environ["AUTOLOG_SYSTEM_METRICS_INTERVAL"] = str(FAST_INTERVAL)
            result = bench_trainer.train_once("autolog", steps, workdir, tokenizer, data, f"-{mode}-{pair}")
            medians[mode].append(statistics.median(result["steps"]))
    os.environ.pop("AUTOLOG_SYSTEM_METRICS", None)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-system-metrics-") as workdir:
        bench_trainer._environment(workdir)
        cost, values = sample_cost(options.samples)
        medians = ab(options.steps, options.pairs, workdir)
    step_off, step_on = statistics.median(medians["off"]), statistics.median(medians["on"])
    print(f"system metrics: one sample ({values} values) read and logged to one run: {cost * 1e6:.1f} us")
    print(f"  Trainer step on the benchmark model (autolog, system metrics off): {step_off * 1e3:.2f} ms")
    for interval in (DEFAULT_INTERVAL, FAST_INTERVAL):
        share = cost / interval
        print(f"  at one sample every {interval:g} s: {share * 100:.5f}% of training time "
              f"= {share * step_off * 1e6:.3f} us per step (budget: 1% of a step = {step_off * 1e4:.1f} us)")
    print(f"  A/B, every {FAST_INTERVAL:g} s vs off, median step over {options.pairs} pairs: "
          f"{step_on * 1e3:.2f} ms vs {step_off * 1e3:.2f} ms "
          f"({(step_on - step_off) / step_off * 100:+.2f}%, within the machine's noise)")


if __name__ == "__main__":
    main()
