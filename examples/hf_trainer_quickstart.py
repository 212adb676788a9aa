"""Quickstart: one line records a Hugging Face Trainer run, then read it back.

    python examples/hf_trainer_quickstart.py

Builds a tiny BERT classifier and a word-level tokenizer locally (nothing is downloaded), trains
it for a few dozen steps on a small synthetic sentiment dataset with evaluation and checkpoints,
and prints what autolog recorded: params, tags, metrics, artifacts, and the model loaded back.
Runs in well under a minute on a CPU. Everything is written under a temporary directory.
"""

from __future__ import annotations

import os
import random
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import autolog

workdir = tempfile.mkdtemp(prefix="autolog-quickstart-")
autolog.autolog(tracking_dir=os.path.join(workdir, "autolog-runs"))  # <- the one line

import datasets  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers, processors  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForSequenceClassification,
    DataCollatorWithPadding,
    PreTrainedTokenizerFast,
    Trainer,
    TrainingArguments,
)


def build_tokenizer(words: list[str]) -> PreTrainedTokenizerFast:
    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    )


def build_dataset(tokenizer: PreTrainedTokenizerFast, words: list[str], rows: int, seed: int) -> datasets.Dataset:
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 10))) for _ in range(rows)]
    labels = [int(any(w in t.split() for w in ("good", "great", "fun"))) for t in texts]
    data = datasets.Dataset.from_dict({"text": texts, "label": labels})
    return data.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=24), batched=True)


def main() -> None:
    words = ["the", "a", "this", "movie", "film", "plot", "acting", "was", "is", "really", "not", "quite", "good", "great", "fun", "bad", "dull", "awful"]
    tokenizer = build_tokenizer(words)
    train, evaluation = build_dataset(tokenizer, words, 256, 0), build_dataset(tokenizer, words, 64, 1)
    model = BertForSequenceClassification(
        BertConfig(
            vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=37, max_position_embeddings=32, num_labels=2,
        )
    )
    args = TrainingArguments(
        output_dir=os.path.join(workdir, "trainer-output"),
        use_cpu=True,
        report_to="none",
        max_steps=60,
        per_device_train_batch_size=16,
        learning_rate=3e-3,
        logging_steps=5,
        eval_strategy="steps",
        eval_steps=20,
        save_steps=20,
        save_total_limit=1,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
    )
    trainer.train()  # recorded: no other change to the training code
    trainer.evaluate()  # logged into the same run

    client = autolog.Client(os.path.join(workdir, "autolog-runs"))
    run = client.search_runs()[0]
    print(f"\nrun {run.run_id} ({run.name}): {run.status}")
    print(f"  {len(run.params)} params, e.g. learning_rate={run.params['learning_rate']}, "
          f"model.hidden_size={run.params['model.hidden_size']}, "
          f"dataset.train.num_rows={run.params['dataset.train.num_rows']}")
    print("  tags:", {k: run.tags[k] for k in ("model.class", "model.num_parameters", "precision", "device")})
    print("  latest metrics:", {k: round(v, 4) for k, v in sorted(run.metrics.items()) if "loss" in k})
    history = client.get_metric_history(run.run_id, "loss")
    print(f"  loss history: {len(history)} points, steps {history[0].step}..{history[-1].step}")
    print("  artifacts:", [a.path for a in client.list_artifacts(run.run_id)],
          [a.path for a in client.list_artifacts(run.run_id, "checkpoints")])

    model, tokenizer = autolog.load_model(f"runs:/{run.run_id}/model")
    batch = tokenizer(["a really good film", "a dull awful plot"], return_tensors="pt", padding=True)
    print("  loaded", type(model).__name__, "-> predictions", model(**batch).logits.argmax(-1).tolist())
    print(f"\neverything is under {workdir}")


if __name__ == "__main__":
    main()
