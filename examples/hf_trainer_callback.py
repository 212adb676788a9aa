"""The explicit callback: record one Trainer with ``AutologCallback``, no patching at all.

    python examples/hf_trainer_callback.py

``autolog.autolog()`` is never called here: nothing in transformers is patched, and only the
Trainer given the callback is recorded. Backends come from the environment (``AUTOLOG_BACKENDS``,
default ``local``; ``AUTOLOG_DIR`` for the local store), and the callback's own keywords choose
what it logs. Trains a tiny GPT-2-like causal LM built locally (nothing is downloaded).
"""

from __future__ import annotations

import os
import random
import tempfile

workdir = tempfile.mkdtemp(prefix="autolog-callback-")
os.environ.setdefault("AUTOLOG_DIR", os.path.join(workdir, "autolog-runs"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import datasets  # noqa: E402
from autolog.integrations.transformers import AutologCallback  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, Trainer, TrainingArguments  # noqa: E402

import autolog  # noqa: E402


def main() -> None:
    words = ["the", "cat", "dog", "sat", "ran", "on", "under", "a", "mat", "rug", "log", "and", "then", "slept", "quietly"]
    vocab = {token: i for i, token in enumerate(["<pad>", "<unk>", *words])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>")

    rng = random.Random(0)
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) for _ in range(256)]

    def encode(batch: dict[str, list[str]]) -> dict[str, list[list[int]]]:
        out = tokenizer(batch["text"], truncation=True, max_length=16, padding="max_length")
        out["labels"] = [[t if m else -100 for t, m in zip(ids, mask)]
                         for ids, mask in zip(out["input_ids"], out["attention_mask"])]
        return out

    data = datasets.Dataset.from_dict({"text": texts}).map(encode, batched=True, remove_columns=["text"])
    model = GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=32, vocab_size=len(vocab)))

    callback = AutologCallback(log_checkpoints="all", run_name="tiny-gpt2")
    trainer = Trainer(
        model=model,
        args=TrainingArguments(
            output_dir=os.path.join(workdir, "trainer-output"), use_cpu=True, report_to="none",
            max_steps=40, per_device_train_batch_size=16, learning_rate=3e-3, logging_steps=5,
            save_steps=20, disable_tqdm=True,
        ),
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=[callback],
    )
    trainer.train()

    run = autolog.Client().get_run(callback.run_id)
    print(f"\nrun {run.run_id} ({run.name}): {run.status}, final loss {run.metrics['loss']:.3f}")
    print("  checkpoints:", [a.path for a in autolog.Client().list_artifacts(run.run_id, "checkpoints")])
    model, tokenizer = autolog.load_model(f"runs:/{run.run_id}/model")
    prompt = tokenizer("the cat sat", return_tensors="pt")
    generated = model.generate(**prompt, max_new_tokens=5, do_sample=False, pad_token_id=0)
    print("  loaded", type(model).__name__, "->", repr(tokenizer.decode(generated[0])))
    print(f"\neverything is under {workdir}")


if __name__ == "__main__":
    main()
