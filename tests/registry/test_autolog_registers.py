"""``autolog(registered_model_name=..., registered_model_alias=...)`` on the local store: every
model autolog stores becomes a version, in the same transaction as the model, and the alias
moves to it. A Trainer's model is registered like a scikit-learn one (in a real process)."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from autolog.backends.local import LocalBackend

import autolog
from autolog.client import Client
from autolog.model_format import MODEL_META_FILE, model_meta_json
from autolog.records import ModelRecord, RunEnd, RunStart, RunStatus


def test_each_autologged_fit_becomes_a_version_and_the_alias_follows_the_newest(tracking_dir: str, iris, client: Client) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    autolog.autolog(tracking_dir=tracking_dir, backends=["local"], registered_model_name="iris",
                    registered_model_alias="newest")
    LogisticRegression(max_iter=300).fit(*iris)
    tree = DecisionTreeClassifier(max_depth=2).fit(*iris)

    versions = client.search_model_versions("name = 'iris'", order_by=["version_number ASC"])
    assert [(v.version, v.aliases, v.model_path) for v in versions] == [(1, [], "model"), (2, ["newest"], "model")]
    runs = {run.run_id: run for run in client.search_runs()}
    assert {v.run_id for v in versions} == set(runs)
    assert runs[versions[1].run_id].tags.get("estimator_name") == "DecisionTreeClassifier"
    loaded = autolog.load_model("models:/iris@newest")
    np.testing.assert_array_equal(loaded.predict(iris[0]), tree.predict(iris[0]))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"registered_model_alias": "champion"}, "registered_model_alias needs registered_model_name"),
        ({"registered_model_name": "m", "registered_model_alias": "has space"}, "invalid alias"),
        ({"registered_model_name": "m", "registered_model_alias": "latest"}, "reserved"),
        ({"registered_model_name": "a/b"}, "cannot contain"),
    ],
)
def test_a_bad_registered_name_or_alias_is_refused_when_autolog_is_configured(tracking_dir: str, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        autolog.autolog(tracking_dir=tracking_dir, backends=["local"], **options)


def _model_batch(run_id: str, estimator: object) -> list:
    blob = pickle.dumps(estimator)
    meta = model_meta_json(flavor="sklearn", loader="autolog.integrations.sklearn.flavor:load",
                           files={"model": "model.pkl"})
    now = time.time()
    return [
        RunStart(run_id, "Default", "replayed", now),
        ModelRecord(run_id, "", "model", "sklearn", files={"model.pkl": blob, MODEL_META_FILE: meta}),
        RunEnd(run_id, RunStatus.FINISHED, now + 1),
    ]


def test_a_batch_delivered_twice_registers_its_model_once(tracking_dir: str, iris, client: Client) -> None:
    from sklearn.linear_model import LogisticRegression

    backend = LocalBackend(tracking_dir, "m", "champion")
    batch = _model_batch("run-a", LogisticRegression(max_iter=300).fit(*iris))
    backend.write_batch(batch)
    backend.write_batch(batch)  # a journal replay after a crash between commit and acknowledgement
    backend.write_batch(_model_batch("run-b", LogisticRegression(C=0.1, max_iter=300).fit(*iris)))
    backend.close()

    versions = client.search_model_versions("name = 'm'", order_by=["version_number ASC"])
    assert [(v.version, v.run_id, v.aliases) for v in versions] == [(1, "run-a", []), (2, "run-b", ["champion"])]
    assert autolog.load_model("models:/m/1").get_params()["C"] == 1.0


def test_a_batch_that_fails_registers_nothing(tracking_dir: str, iris, client: Client) -> None:
    from sklearn.linear_model import LogisticRegression

    backend = LocalBackend(tracking_dir, "m")
    backend.write_batch(_model_batch("run-a", LogisticRegression(max_iter=300).fit(*iris)))
    other = sqlite3.connect(os.path.join(tracking_dir, "autolog.db"))
    other.execute("CREATE TRIGGER refuse BEFORE INSERT ON model_versions BEGIN SELECT RAISE(ABORT, 'refused'); END")
    other.commit()
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        backend.write_batch(_model_batch("run-b", LogisticRegression(max_iter=300).fit(*iris)))
    other.execute("DROP TRIGGER refuse")
    other.commit()
    other.close()
    backend.close()
    assert [r.run_id for r in client.search_runs()] == ["run-a"]  # the run and its model rolled back together
    assert [v.run_id for v in client.search_model_versions()] == ["run-a"]


TRAINER_SCRIPT = """
import os
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
import torch
torch.set_num_threads(1)
import autolog
autolog.autolog(registered_model_name="tiny-gpt2", registered_model_alias="candidate")
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments
from transformers.utils import logging as hf_logging
hf_logging.set_verbosity_error()

class Tokens(torch.utils.data.Dataset):
    def __len__(self):
        return 16
    def __getitem__(self, i):
        ids = torch.tensor([(i * 7 + j) % 50 for j in range(8)])
        return {"input_ids": ids, "labels": ids}

model = GPT2LMHeadModel(GPT2Config(n_embd=16, n_layer=1, n_head=2, n_positions=16, vocab_size=50))
args = TrainingArguments(output_dir="out", use_cpu=True, report_to="none", per_device_train_batch_size=8,
                         max_steps=2, logging_steps=1, save_strategy="no", disable_tqdm=True, seed=0)
Trainer(model=model, args=args, train_dataset=Tokens()).train()
print("trained")
"""


def test_a_trainer_model_is_registered_by_autolog_in_a_real_process(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    tracking_dir = tmp_path / "runs"
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(TRAINER_SCRIPT))
    env = {**os.environ, "AUTOLOG_DIR": str(tracking_dir)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "trained"

    client = Client(str(tracking_dir))
    (run,) = client.search_runs()
    version = client.get_model_version_by_alias("tiny-gpt2", "candidate")
    assert (version.version, version.run_id, version.model_path) == (1, run.run_id, "model")
    loaded = autolog.load_model("models:/tiny-gpt2@candidate", tracking_dir=str(tracking_dir))
    model = loaded[0] if isinstance(loaded, tuple) else loaded
    assert type(model).__name__ == "GPT2LMHeadModel"
