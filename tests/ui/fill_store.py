"""Fill a tracking directory with real runs for the UI tests (run as a subprocess).

    python fill_store.py DIR [--trainer]

Real scikit-learn fits (a plain fit, a grid search over C and fit_intercept whose 5 best candidates become child runs), a run logged by hand with
long metric series and artifacts of every previewable kind, and (with ``--trainer``) a real
``transformers.Trainer`` on a tiny BERT built from a config. Prints a JSON summary of run ids.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import autolog


def png(width: int = 24, height: int = 16) -> bytes:
    """A small valid PNG: a horizontal gradient."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 10 % 256, 80, 200)) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def sklearn_runs() -> dict[str, str]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=300).fit(X, y)
    GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 1.0, 100.0], "fit_intercept": [True, False]}, cv=2).fit(X, y)
    autolog.flush()
    runs = autolog.Client().search_runs("Default", order_by=["attributes.start_time ASC"])
    return {"logreg": runs[0].run_id, "search": next(r.run_id for r in runs if r.name == "GridSearchCV")}


def manual_run() -> str:
    folder = tempfile.mkdtemp()
    files = {
        "notes.txt": b"hello from the run\n",
        "table.csv": b"a,b\n1,2\n3,4\n",
        "config.json": json.dumps({"layers": 2, "lr": 0.01}).encode(),
        "image.png": png(),
    }
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)
    with autolog.run(experiment="manual", name="hand-logged") as run:
        run.log_params({"lr": 0.01, "optimizer": "adam", "layers": 2})
        for step in range(300):
            run.log_metrics({"loss": 2.0 * math.exp(-step / 60) + 0.05 * math.sin(step), "acc": 1 - math.exp(-step / 80)}, step=step)
        for name in files:
            run.log_artifact(os.path.join(folder, name), f"files/{name}")
        run_id = run.run_id
    autolog.flush()
    return run_id


def trainer_run() -> str:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    torch.manual_seed(0)
    torch.set_num_threads(1)

    class Tiny(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 32

        def __getitem__(self, i: int) -> dict:
            ids = torch.tensor([2, 4 + i % 7, 5 + i % 5, 3])
            return {"input_ids": ids, "attention_mask": torch.ones(4, dtype=torch.long), "labels": torch.tensor(i % 2)}

    config = BertConfig(vocab_size=16, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=20, max_position_embeddings=8, num_labels=2)
    args = TrainingArguments(output_dir=tempfile.mkdtemp(), max_steps=8, per_device_train_batch_size=8, logging_steps=1,
                             report_to=[], save_strategy="no", use_cpu=True, disable_tqdm=True)
    autolog.autolog(tracking_dir=os.environ["AUTOLOG_DIR"], experiment="trainer")
    Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tiny()).train()
    autolog.flush()
    return autolog.Client().search_runs("trainer")[0].run_id


def main() -> None:
    os.environ["AUTOLOG_DIR"] = os.path.abspath(sys.argv[1])
    autolog.autolog(tracking_dir=sys.argv[1])
    out = {**sklearn_runs(), "manual": manual_run()}
    if "--trainer" in sys.argv:
        out["trainer"] = trainer_run()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
