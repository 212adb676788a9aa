"""Fan-out: one ``autolog()`` call feeds local, MLflow, W&B and TensorBoard at once.

A real scikit-learn fit and a real ``Trainer`` run are delivered to all four real systems (a real
``mlflow server``, W&B offline files, TensorBoard event files, the SQLite store) by name, and read
back from each: the same params and the same metric points everywhere. Then a backend that raises
on every call and one that blocks forever join them: training returns, the others complete, and
the failure is reported once with its reason.
"""

from __future__ import annotations

import importlib
import math
import threading

import pytest

import autolog
from autolog import _session
from autolog.sdk import RecordBackend

pytest.importorskip("mlflow")
pytest.importorskip("wandb")
pytest.importorskip("tensorboard")
pytest.importorskip("sklearn")

NAMES = ("local", "mlflow", "wandb", "tensorboard")


@pytest.fixture
def harnesses(tmp_path):
    """The contract suite's harnesses: each prepares a real store and reads runs back from it."""
    built = {}
    for name in NAMES:
        harness = importlib.import_module(f"harness_{name}").HARNESS_CLASS(tmp_path / name)
        (tmp_path / name).mkdir()
        harness.make_backend()  # sets up the store's location and environment
        built[name] = harness
    yield built
    for harness in built.values():
        harness.teardown()


def _enable_all(harnesses, extra=()):
    from_harness = harnesses["wandb"]
    autolog.autolog(
        backends=[*NAMES, *extra],
        tracking_dir=harnesses["local"].tracking_dir,
        backend_options={
            "mlflow": {"tracking_uri": harnesses["mlflow"].uri},
            "wandb": {"project": "fanout", "dir": from_harness.wandb_dir, "mode": "offline",
                      "settings": importlib.import_module("harness_wandb").QUIET_SETTINGS, "prefix_metrics": False},
            "tensorboard": {"log_dir": harnesses["tensorboard"].log_dir},
        },
        log_models=False,
        sklearn={"log_plots": False},
    )
    return list(_session.current().dispatcher().backends)


def _assert_same_everywhere(harnesses, backends, run_id):
    autolog.flush(60)
    _session.current().end_open_runs()
    _session.current().shutdown()  # close every backend: W&B and TensorBoard finish their files
    by_name = {b.name: b for b in backends}
    got = {name: harnesses[name].read_run(run_id, by_name[name]) for name in NAMES}
    reference = got["local"]
    assert reference.params and reference.metrics
    for name, read in got.items():
        assert read.params == reference.params, name
        assert set(read.metrics) == set(reference.metrics), name
        for key, points in reference.metrics.items():
            # MLflow keeps one of two identical points logged in the same millisecond (the
            # Trainer logs ``epoch`` again with its final metrics): compare without repeats.
            points, theirs = _without_repeats(points), _without_repeats(read.metrics[key])
            assert [s for s, _ in theirs] == [s for s, _ in points], (name, key)
            for (_, mine), (_, other) in zip(points, theirs):
                assert math.isclose(mine, other, rel_tol=1e-6, abs_tol=1e-6) or (mine != mine and other != other), (name, key)
    return reference


def _without_repeats(points):
    return [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]


def test_sklearn_fit_reaches_all_four_backends_alike(harnesses):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    backends = _enable_all(harnesses)
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    with autolog.run(name="fanout-sklearn") as run:
        LogisticRegression(C=0.5, max_iter=200).fit(X, y)
    reference = _assert_same_everywhere(harnesses, backends, run.run_id)
    assert reference.params["C"] == "0.5"
    assert "training_accuracy_score" in reference.metrics


def test_trainer_run_reaches_all_four_backends_alike(harnesses):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    backends = _enable_all(harnesses)
    trainer = _tiny_trainer(transformers, torch, harnesses["local"].tmp_path)
    with autolog.run(name="fanout-trainer") as run:
        trainer.train()
    reference = _assert_same_everywhere(harnesses, backends, run.run_id)
    assert reference.params["learning_rate"] == "0.01"
    steps = [s for s, _ in reference.metrics["loss"]]
    assert steps == list(range(1, 11))


class RaisingBackend(RecordBackend):
    name = "raising"

    def start_run(self, *args):
        raise RuntimeError("quota exceeded on the tracking server")

    log_params = set_tags = log_metrics = end_run = log_artifact = log_model = start_run


class BlockingBackend(RecordBackend):
    name = "blocking"

    def __init__(self):
        self.release = threading.Event()

    def start_run(self, *args):
        self.release.wait()

    log_params = set_tags = log_metrics = end_run = start_run


def test_raising_and_blocking_backends_do_not_stop_training_or_the_others(harnesses, monkeypatch, recwarn):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr("autolog._dispatch.STALL_SECONDS", 1.0)
    blocking = BlockingBackend()
    backends = _enable_all(harnesses, extra=[RaisingBackend(), blocking])
    trainer = _tiny_trainer(transformers, torch, harnesses["local"].tmp_path)
    with autolog.run(name="fanout-faults") as run:
        result = trainer.train()
    assert result.global_step == 10
    assert autolog.flush(30) is False  # the blocking backend never answers
    reports = [str(w.message) for w in recwarn.list if "quota exceeded" in str(w.message)]
    assert len(reports) == 1 and "'raising'" in reports[0]
    healthy = [b for b in backends if b.name in NAMES]
    try:
        _assert_same_everywhere(harnesses, healthy, run.run_id)
    finally:
        blocking.release.set()


def _tiny_trainer(transformers, torch, tmp_path):
    config = transformers.GPT2Config(vocab_size=32, n_positions=16, n_embd=16, n_layer=1, n_head=2)
    model = transformers.GPT2LMHeadModel(config)
    generator = torch.Generator().manual_seed(0)
    rows = [{"input_ids": ids, "labels": ids} for ids in torch.randint(0, 32, (40, 8), generator=generator)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=10, per_device_train_batch_size=4,
        logging_steps=1, learning_rate=0.01, save_strategy="no", report_to="none", use_cpu=True,
        disable_tqdm=True,
    )
    return transformers.Trainer(model=model, args=args, train_dataset=rows)
