"""The Trainer integration on a GPU: mixed precision, GPU tensors in metrics, and its cost per step.

    python benchmarks/cuda_trainer_check.py [--device cuda] [--steps 60] [--ab-steps 200] [--out DIR]

Not part of the test suite (CI has no GPU); run it on a machine with CUDA. Three parts:

* for each precision (fp32, fp16, bf16; on CPU only fp32 and bf16) a tiny GPT-2 built from a config
  trains in a **subprocess that simply ends** (no flush), with autolog on (local store and
  TensorBoard), ``logging_steps=1``, evaluation and checkpoints, plus a metric logged as a CUDA
  tensor through ``autolog.active_run().log_metric`` at every fifth step; the store and the event files are then read
  back and checked: the run FINISHED, every step's loss a finite float, the GPU-tensor metric
  stored as its value, the precision among the params, checkpoints and the final model stored, and
  the model loading back and running on the device;
* a LoRA model (when ``peft`` is installed): the adapter is what the model artifact holds;
* the cost per step, in one process, alternating: no reporter, autolog, and the Trainer's own
  ``TensorBoardCallback``, on a larger GPT-2 in bf16 (median wall time between step starts).

Prints one line per check and exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

VOCAB = 96
SEQ = 32


def _offline() -> None:
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                      WANDB_MODE="disabled")


def _model(size: str, device: str) -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    width, layers = (64, 2) if size == "tiny" else (512, 6)
    config = GPT2Config(vocab_size=VOCAB, n_positions=SEQ, n_embd=width, n_layer=layers, n_head=4)
    return GPT2LMHeadModel(config).to(device)


class _Tokens:
    """Random token sequences as a map-style dataset, labels equal to the inputs (a language model)."""

    def __init__(self, n: int, seed: int) -> None:
        import torch

        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, VOCAB, (n, SEQ), generator=generator)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def _args(output_dir: str, precision: str, steps: int, **extra: Any) -> Any:
    from transformers import TrainingArguments

    settings: dict[str, Any] = {
        "output_dir": output_dir, "max_steps": steps, "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 8, "logging_steps": 1, "learning_rate": 1e-3, "report_to": [],
        "disable_tqdm": True, "fp16": precision == "fp16", "bf16": precision == "bf16", "seed": 0,
        "use_cpu": not _cuda(),
    }
    settings.update(extra)
    return TrainingArguments(**settings)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# -- part one, in a child process that simply ends --------------------------------------------------
def child(precision: str, workdir: str, steps: int, lora: bool) -> None:
    _offline()
    import autolog

    autolog.autolog(tracking_dir=os.path.join(workdir, "store"), backends=["local", "tensorboard"],
                    backend_options={"tensorboard": {"log_dir": os.path.join(workdir, "tb")}})
    import torch
    from transformers import Trainer, TrainerCallback

    device = "cuda" if _cuda() else "cpu"
    model = _model("tiny", device)
    if lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn"], fan_in_fan_out=True))

    class GpuMetric(TrainerCallback):
        """Logs a metric held in a CUDA tensor every fifth step into the Trainer's run (through
        ``trainer.log`` a tensor would break the Trainer's own JSON state at the next checkpoint)."""

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step % 5 == 0:
                run = autolog.active_run()
                if run is None:
                    raise RuntimeError("no active autolog run inside Trainer.train()")
                run.log_metric("gpu_metric", torch.tensor(state.global_step / 100, device=device), step=state.global_step)

    args = _args(os.path.join(workdir, "out"), precision, steps, eval_strategy="steps",
                 eval_steps=max(steps // 3, 1), save_strategy="steps", save_steps=max(steps // 2, 1))
    trainer = Trainer(model=model, args=args, train_dataset=_Tokens(256, 0), eval_dataset=_Tokens(32, 1),
                      callbacks=[GpuMetric()])
    trainer.train()
    print("trained", flush=True)  # and the script simply ends: no flush, no end_run


def _tb_scalars(log_dir: str) -> dict[str, int]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    counts: dict[str, int] = {}
    for root, _dirs, files in os.walk(log_dir):
        if any(f.startswith("events.out.tfevents") for f in files):
            acc = EventAccumulator(root, size_guidance={"scalars": 0})
            acc.Reload()
            for tag in acc.Tags().get("scalars", []):
                counts[tag] = counts.get(tag, 0) + len(acc.Scalars(tag))
    return counts


def check_run(precision: str, steps: int, lora: bool = False) -> list[tuple[str, bool, str]]:
    """Train in a subprocess that simply ends, then read everything back; (check, passed, detail)."""
    import autolog

    workdir = tempfile.mkdtemp(prefix=f"cuda-{precision}-")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", precision, workdir, str(steps)]
                          + (["--lora"] if lora else []), capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    label = f"{precision}{' LoRA' if lora else ''}"
    results: list[tuple[str, bool, str]] = [
        (f"{label}: child exit", done.returncode == 0 and "trained" in done.stdout,
         f"rc={done.returncode} {elapsed:.1f}s " + done.stderr[-1500:].replace("\n", " | ") * (done.returncode != 0))
    ]
    if done.returncode != 0:
        return results
    client = autolog.Client(os.path.join(workdir, "store"))
    runs = client.search_runs()
    results.append((f"{label}: one run, FINISHED", len(runs) == 1 and runs[0].status == "FINISHED",
                    str([(r.name, r.status) for r in runs])))
    run = runs[0]
    loss = client.get_metric_history(run.run_id, "loss")
    finite = all(isinstance(p.value, float) and math.isfinite(p.value) for p in loss)
    results.append((f"{label}: a finite float loss per step", len(loss) == steps and finite,
                    f"{len(loss)} points, first {loss[0].value if loss else None}"))
    gpu = client.get_metric_history(run.run_id, "gpu_metric")
    expected = [s / 100 for s in range(5, steps + 1, 5)]
    results.append((f"{label}: CUDA-tensor metric stored as its value",
                    [round(p.value, 6) for p in gpu] == [round(v, 6) for v in expected],
                    f"{[p.value for p in gpu][:4]}..."))
    evals = client.get_metric_history(run.run_id, "eval_loss")
    results.append((f"{label}: eval_loss logged", len(evals) >= 3, f"{len(evals)} points"))
    flag = {"fp16": "fp16", "bf16": "bf16"}.get(precision)
    if flag:
        results.append((f"{label}: precision among the params", run.params.get(flag) == "True",
                        f"{flag}={run.params.get(flag)}"))
    paths = {a.path for a in client.list_artifacts(run.run_id)}
    results.append((f"{label}: checkpoints and model stored", {"checkpoints", "model"} <= paths, str(sorted(paths))))
    model_files = {a.path.rsplit("/", 1)[-1] for a in client.list_artifacts(run.run_id, "model")}
    if lora:
        results.append((f"{label}: the model artifact holds the adapter", "adapter_config.json" in model_files,
                        str(sorted(model_files))))
    else:
        try:
            import torch

            loaded = autolog.load_model(f"runs:/{run.run_id}/model", tracking_dir=os.path.join(workdir, "store"))
            model = loaded[0] if isinstance(loaded, tuple) else loaded
            model = model.to("cuda" if _cuda() else "cpu")
            with torch.no_grad():
                out = model(torch.randint(0, VOCAB, (2, SEQ), device=model.device))
            ok, detail = tuple(out.logits.shape) == (2, SEQ, VOCAB), f"logits {tuple(out.logits.shape)} on {model.device}"
        except Exception as exc:
            ok, detail = False, repr(exc)
        results.append((f"{label}: the model loads and runs on the device", ok, detail))
    scalars = _tb_scalars(os.path.join(workdir, "tb"))
    tb_loss = next((n for tag, n in scalars.items() if tag.endswith("loss") and "eval" not in tag), 0)
    results.append((f"{label}: TensorBoard event files hold every loss point", tb_loss == steps, json.dumps(scalars)[:300]))
    return results


# -- part three: cost per step, in one process -------------------------------------------------------
def step_cost(steps: int, rounds: int) -> dict[str, list[float]]:
    """Median ms between step starts for each reporter, alternating configurations ``rounds`` times."""
    _offline()
    import torch
    from transformers import Trainer, TrainerCallback
    from transformers.integrations import TensorBoardCallback

    import autolog

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.starts: list[float] = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.starts.append(time.perf_counter())

    device = "cuda" if _cuda() else "cpu"
    workdir = tempfile.mkdtemp(prefix="cuda-ab-")
    os.environ["TENSORBOARD_LOGGING_DIR"] = os.path.join(workdir, "tb")
    medians: dict[str, list[float]] = {"none": [], "autolog": [], "tensorboard": []}
    for r in range(rounds):
        for config in medians:
            if config == "autolog":
                autolog.autolog(tracking_dir=os.path.join(workdir, "store"))
            clock = Clock()
            callbacks: list[Any] = [clock]
            if config == "tensorboard":
                callbacks.append(TensorBoardCallback())
            torch.manual_seed(0)
            args = _args(os.path.join(workdir, f"{config}-{r}"), "bf16", steps, save_steps=50, save_strategy="steps")
            trainer = Trainer(model=_model("small", device), args=args, train_dataset=_Tokens(steps * 8, 0),
                              callbacks=callbacks)
            trainer.train()
            if config == "autolog":
                autolog.flush()
                autolog.autolog(disable=True)
            gaps = [b - a for a, b in zip(clock.starts[10:], clock.starts[11:])]
            medians[config].append(statistics.median(gaps) * 1000)
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--ab-steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-ab", action="store_true", help="skip the step-cost comparison")
    parser.add_argument("--only-ab", action="store_true", help="only the step-cost comparison")
    parser.add_argument("--out", help="also write the report to this folder")
    parser.add_argument("--child", nargs=3, metavar=("PRECISION", "WORKDIR", "STEPS"), help=argparse.SUPPRESS)
    parser.add_argument("--lora", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child[0], options.child[1], int(options.child[2]), options.lora)
        return 0
    _offline()
    import torch

    lines = [f"torch {torch.__version__}, device: "
             + (torch.cuda.get_device_name(0) if _cuda() else "CPU (no CUDA: fp16 skipped)")]
    precisions = () if options.only_ab else ("fp32", "fp16", "bf16") if _cuda() else ("fp32", "bf16")
    results: list[tuple[str, bool, str]] = []
    for precision in precisions:
        results += check_run(precision, options.steps)
    try:
        import peft  # noqa: F401

        if not options.only_ab:
            results += check_run("bf16" if _cuda() else "fp32", 20, lora=True)
    except ImportError:
        lines.append("peft not installed: LoRA check skipped")
    lines += [f"{'PASS' if ok else 'FAIL'}  {name}  ({detail})" for name, ok, detail in results]
    if not options.skip_ab:
        medians = step_cost(options.ab_steps, options.rounds)
        base = statistics.median(medians["none"])
        for config, values in medians.items():
            value = statistics.median(values)
            lines.append(f"step time {config:<12} {value:8.3f} ms (rounds: {', '.join(f'{v:.3f}' for v in values)})"
                         + (f"  added {value - base:+.3f} ms ({(value - base) / base:+.1%})" if config != "none" else ""))
    report = "\n".join(lines)
    print(report)
    if options.out:
        os.makedirs(options.out, exist_ok=True)
        with open(os.path.join(options.out, "cuda_trainer_check.txt"), "w") as handle:
            handle.write(report + "\n")
    return 0 if all(ok for _n, ok, _d in results) else 1


if __name__ == "__main__":
    sys.exit(main())
