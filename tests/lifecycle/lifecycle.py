"""Helpers for the lifecycle suite: user scripts run as real processes (see ``conftest.py``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The header of every script: sklearn data that every test can fit on.
PRELUDE = """
import os, sys, time
import numpy as np
import autolog
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 6))
y = (X[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(int)
"""


#: A tiny GPT-2 ``trainer(max_steps, ...)`` for scripts (built from a config: nothing is downloaded);
#: a ``Progress`` callback prints ``logged <step>`` after each logged loss.
TRAINER = """
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
import torch
torch.set_num_threads(1)
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainerCallback, TrainingArguments
from transformers.utils import logging as hf_logging
hf_logging.set_verbosity_error()

class Tokens(torch.utils.data.Dataset):
    def __len__(self):
        return 64
    def __getitem__(self, i):
        ids = torch.tensor([(i * 7 + j) % 50 for j in range(12)])
        return {"input_ids": ids, "labels": ids}

class Progress(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            print(f"logged {state.global_step}", flush=True)

def trainer(max_steps, output_dir="out", callbacks=()):
    model = GPT2LMHeadModel(GPT2Config(n_embd=16, n_layer=1, n_head=2, n_positions=16, vocab_size=50))
    args = TrainingArguments(
        output_dir=output_dir, use_cpu=True, report_to="none", per_device_train_batch_size=8,
        max_steps=max_steps, logging_steps=1, save_steps=4, disable_tqdm=True, seed=0,
        dataloader_num_workers=0,
    )
    return Trainer(model=model, args=args, train_dataset=Tokens(), callbacks=[Progress(), *callbacks])
"""


@dataclass
class Script:
    """One user script in its own folder, with its own tracking directory."""

    folder: Path
    code: str
    env: dict[str, str]

    @property
    def tracking_dir(self) -> str:
        return self.env["AUTOLOG_DIR"]

    @property
    def path(self) -> Path:
        return self.folder / "train.py"

    def write(self) -> None:
        self.path.write_text(textwrap.dedent(PRELUDE) + textwrap.dedent(self.code))

    def run(self, timeout: float = 240, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        """Run to its end; return the finished process (its output as text)."""
        self.write()
        return subprocess.run(
            [sys.executable, str(self.path), *args],
            cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=timeout,
        )

    def start(self) -> Running:
        """Start it and return a handle to signal it once it prints ``ready``."""
        self.write()
        process = subprocess.Popen(
            [sys.executable, "-u", str(self.path)],
            cwd=self.folder, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        return Running(process)

    def client(self) -> Any:
        import autolog

        return autolog.Client(self.tracking_dir)


class Running:
    """A script started with :meth:`Script.start`."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []

    def wait_for(self, marker: str, timeout: float = 180) -> str:
        """Read stdout until a line starting with ``marker``; return that line."""
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if line.startswith(marker):
                return line.rstrip("\n")
        self.process.kill()
        _, err = self.process.communicate()
        raise AssertionError(f"no {marker!r} line from the script; stdout {self.lines}, stderr:\n{err}")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        """Wait for the end; return (return code, the rest of stdout, stderr). A script still
        running after ``timeout`` is killed (no stray process outlives its test) and the test fails."""
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            raise AssertionError(f"the script did not end within {timeout:g}s; stderr:\n{err[-3000:]}") from None
        return self.process.returncode, out, err


def autolog_warnings(stderr: str) -> list[str]:
    """The AutologWarning lines a script printed."""
    return [line for line in stderr.splitlines() if "AutologWarning" in line]


SIGNAL_EXIT = {signal.SIGTERM: -signal.SIGTERM, signal.SIGINT: -signal.SIGINT}
