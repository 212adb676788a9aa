"""Per-step overhead of autolog on a Hugging Face Trainer, side by side with the Trainer's own
reporters (MLflow, W&B offline, TensorBoard) and with no logging at all.

    python benchmarks/bench_trainer.py [--steps 200] [--rounds 3] [--pairs 4] [--only none,autolog]

Each configuration trains the same tiny BERT classifier (CPU, one torch thread) for ``--steps``
steps with ``logging_steps=1`` and a checkpoint every 50 steps, in a fresh subprocess (clean
global state for every reporter); configurations are interleaved over ``--rounds`` rounds to
spread machine noise evenly. Three measures:

* step time: the wall time between consecutive ``on_step_begin`` events (forward/backward,
  every callback, logging, any checkpoint of that step), median and mean, and what each
  configuration adds over ``none``. Separate processes differ by a few tenths of a millisecond
  on a busy machine, so this is coarse;
* time in callback: what the training thread spends inside the reporter's own event handlers
  per step (they are timed), checkpoint handling included: independent of compute noise, and
  the basis of the ratios to each peer;
* an in-process A/B (``--pairs``): ``none`` and ``autolog`` alternating in one process, the
  precise wall-time cost of autolog per step, background delivery to the local store included.

Plus the cost of ``AutologCallback.on_log`` alone (a microbenchmark). Everything is built
locally and written under a temporary directory; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

CONFIGS = ("none", "autolog", "mlflow", "wandb", "tensorboard")
WARMUP_STEPS = 10
#: The callback classes whose own time is measured (the Trainer's reporters, and autolog's).
REPORTERS = ("AutologCallback", "MLflowCallback", "WandbCallback", "TensorBoardCallback")
#: Events of the training loop proper (on_train_begin/end happen once and are not counted).
STEP_EVENTS = (
    "on_step_begin", "on_pre_optimizer_step", "on_optimizer_step", "on_substep_end", "on_step_end",
    "on_log", "on_save", "on_epoch_begin", "on_epoch_end",
)


# -- in a child process ----------------------------------------------------------------------------
def _environment(workdir: str) -> None:
    os.environ.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
        MLFLOW_TRACKING_URI=f"sqlite:///{os.path.join(workdir, 'mlflow.db')}",
        MLFLOW_EXPERIMENT_NAME="bench", WANDB_MODE="offline", WANDB_DIR=workdir, WANDB_SILENT="true",
        DISABLE_MLFLOW_INTEGRATION="FALSE", TENSORBOARD_LOGGING_DIR=os.path.join(workdir, "tb"),
    )
    import torch
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(1)
    hf_logging.set_verbosity_error()


def _tiny_data(workdir: str) -> tuple[Any, Any]:
    import random

    import datasets
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = ["the", "a", "good", "bad", "movie", "film", "great", "awful", "plot", "acting", "was", "is", "really", "not", "quite", "fun", "dull"]
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    )
    rng = random.Random(0)
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) for _ in range(512)]
    labels = [int("good" in t or "great" in t) for t in texts]
    data = datasets.Dataset.from_dict({"text": texts, "label": labels}).map(
        lambda b: tokenizer(b["text"], truncation=True, max_length=16, padding="max_length"), batched=True
    )
    return tokenizer, data


def _tiny_model(tokenizer: Any) -> Any:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=32, num_labels=2,
    )
    return BertForSequenceClassification(config)


def _time_events(callback: Any, total: list[float]) -> None:
    """Accumulate the time ``callback`` spends in each training-loop event into ``total[0]``."""
    for name in STEP_EVENTS:
        method = getattr(callback, name)

        def timed(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - start

        setattr(callback, name, timed)


def train_once(config: str, steps: int, workdir: str, tokenizer: Any, data: Any, tag: str = "") -> dict[str, Any]:
    """Train once under ``config``; step times in seconds, time in the reporter's callback."""
    from transformers import Trainer, TrainerCallback, TrainingArguments

    import autolog

    if config == "autolog":
        autolog.autolog(tracking_dir=os.path.join(workdir, "autolog-runs"))

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.marks.append(time.perf_counter())

    timer = StepTimer()
    in_callback = [0.0]
    args = TrainingArguments(
        output_dir=os.path.join(workdir, f"out-{config}{tag}"), use_cpu=True, max_steps=steps,
        per_device_train_batch_size=8, logging_steps=1, save_steps=50, eval_strategy="no", disable_tqdm=True,
        seed=0, report_to="none" if config in ("none", "autolog") else config, run_name=f"bench-{config}",
    )
    trainer = Trainer(
        model=_tiny_model(tokenizer), args=args, train_dataset=data, processing_class=tokenizer, callbacks=[timer]
    )
    for callback in trainer.callback_handler.callbacks:
        if type(callback).__name__ in REPORTERS:
            _time_events(callback, in_callback)
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    if config == "autolog":
        autolog.flush()
        autolog.autolog(disable=True)
    marks = timer.marks
    return {
        "config": config,
        "steps": [b - a for a, b in zip(marks, marks[1:])][WARMUP_STEPS:],
        "in_callback": in_callback[0] / steps,
        "train_seconds": train_seconds,
    }


def ab_pairs(steps: int, workdir: str, pairs: int) -> dict[str, list[float]]:
    """Median step times of ``none`` and ``autolog`` alternating in this one process."""
    tokenizer, data = _tiny_data(workdir)
    train_once("none", steps, workdir, tokenizer, data, "-warmup")
    medians: dict[str, list[float]] = {"none": [], "autolog": []}
    for pair in range(pairs):
        order = ("none", "autolog") if pair % 2 == 0 else ("autolog", "none")
        for config in order:
            result = train_once(config, steps, workdir, tokenizer, data, f"-{pair}")
            medians[config].append(statistics.median(result["steps"]))
    return medians


def on_log_cost(calls: int = 20000) -> float:
    """Microseconds per ``AutologCallback.on_log`` call with 4 values, queue only (no backend)."""
    from autolog.integrations.transformers import AutologCallback
    from transformers import TrainerControl, TrainerState

    from autolog import _session
    from autolog import config as _config
    from autolog._runs import Run

    _session.current().configure(_config.resolve(backends=[]))
    callback = AutologCallback()
    run = Run(name="bench", autologged=True)
    callback._run, callback._training, callback._emit = run, True, _session.current().dispatcher().emit
    state, control = TrainerState(), TrainerControl()
    logs = {"loss": 0.6931, "grad_norm": 0.42, "learning_rate": 5e-5, "epoch": 0.25}
    start = time.perf_counter()
    for step in range(calls):
        state.global_step = step
        callback.on_log(None, state, control, logs=logs)
    cost = (time.perf_counter() - start) / calls * 1e6
    run.end()
    return cost


def child(mode: str, steps: int, workdir: str, pairs: int) -> dict[str, Any]:
    _environment(workdir)
    if mode == "ab":
        return {"ab": ab_pairs(steps, workdir, pairs)}
    if mode == "on_log":
        return {"on_log_us": on_log_cost()}
    tokenizer, data = _tiny_data(workdir)
    return train_once(mode, steps, workdir, tokenizer, data)


# -- the driver ------------------------------------------------------------------------------------
def _spawn(mode: str, options: argparse.Namespace) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as workdir:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--steps", str(options.steps),
             "--pairs", str(options.pairs), "--workdir", workdir],
            capture_output=True, text=True,
        )
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        print(f"{mode} failed:\n{proc.stderr[-3000:]}")
        return None
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=4, help="none/autolog pairs of the in-process A/B (0: skip)")
    parser.add_argument("--only", default=",".join(CONFIGS), help="comma-separated configurations")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print("RESULT " + json.dumps(child(options.child, options.steps, options.workdir, options.pairs)))
        return

    available = []
    for config in (c for c in options.only.split(",") if c):
        module = {"mlflow": "mlflow", "wandb": "wandb", "tensorboard": "tensorboard"}.get(config)
        if module and subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode:
            print(f"skipping {config}: {module} is not installed")
            continue
        available.append(config)

    steps: dict[str, list[float]] = {c: [] for c in available}
    medians: dict[str, list[float]] = {c: [] for c in available}
    in_callback: dict[str, list[float]] = {c: [] for c in available}
    for round_number in range(options.rounds):
        for config in available:
            result = _spawn(config, options)
            if result is None:
                continue
            steps[config].extend(result["steps"])
            medians[config].append(statistics.median(result["steps"]))
            in_callback[config].append(result["in_callback"])
            print(f"round {round_number + 1} {config:<12} median step {medians[config][-1] * 1e3:7.3f} ms, "
                  f"train {result['train_seconds']:.2f}s", flush=True)

    rows = {
        c: (statistics.median(medians[c]) * 1e3, statistics.fmean(steps[c]) * 1e3, statistics.median(in_callback[c]) * 1e3)
        for c in available
        if steps[c]
    }
    print(f"\n{options.steps} steps x {options.rounds} rounds, logging_steps=1, checkpoint every 50 steps "
          f"(first {WARMUP_STEPS} steps of each run ignored); ms per step\n")
    print(f"{'config':<12} {'median':>8} {'mean':>8} {'added (median)':>15} {'added (mean)':>13} {'in callback':>12}")
    base_median, base_mean, _ = rows.get("none", (float("nan"), float("nan"), 0.0))
    for config, (median, mean, own) in rows.items():
        print(f"{config:<12} {median:>8.3f} {mean:>8.3f} {median - base_median:>+15.3f} "
              f"{mean - base_mean:>+13.3f} {own:>12.4f}")

    if "autolog" in rows:
        ours = rows["autolog"][2]
        print()
        for peer in (c for c in rows if c not in ("none", "autolog")):
            theirs = rows[peer][2]
            ratio = f"{ours / theirs:.3f}x" if theirs > 0 else "n/a"
            print(f"time in callback per step, autolog / {peer}: {ratio}")
        if options.pairs > 0:
            ab = _spawn("ab", options)
            if ab is not None:
                none, ours_ab = ab["ab"]["none"], ab["ab"]["autolog"]
                added = [(a - n) * 1e3 for a, n in zip(ours_ab, none)]
                print(f"\nin-process A/B, {options.pairs} pairs: none {statistics.median(none) * 1e3:.3f} ms, "
                      f"autolog {statistics.median(ours_ab) * 1e3:.3f} ms per step (median); "
                      f"autolog added {statistics.median(added):+.3f} ms per step (median of pairs)")
        on_log = _spawn("on_log", options)
        if on_log is not None:
            print(f"AutologCallback.on_log alone: {on_log['on_log_us']:.2f} us per call (4 values)")


if __name__ == "__main__":
    main()
