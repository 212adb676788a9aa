"""instrument(): logging chosen estimators or blocks without global autologging."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from autolog.integrations.sklearn import instrument, uninstrument
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression

import autolog
from autolog import _session, config
from autolog.sdk import is_patched
from autolog.testing import MemoryBackend


@pytest.fixture
def configured(strict) -> MemoryBackend:
    """Backends configured, autologging *not* enabled."""
    backend = MemoryBackend()
    _session.current().configure(config.resolve(backends=[backend]))
    return backend


def names(backend: MemoryBackend) -> list[str]:
    autolog.flush()
    return [r.start.name for r in sorted(backend.runs.values(), key=lambda r: r.start.start_time)]


def test_instrumented_instance_logs_and_others_do_not(configured, binary_data):
    model = instrument(LogisticRegression(C=0.2))
    model.fit(*binary_data)
    LogisticRegression().fit(*binary_data)
    LinearRegression().fit(*binary_data)
    assert names(configured) == ["LogisticRegression"]
    (run,) = configured.runs.values()
    assert run.params["C"] == "0.2" and run.models and "training_accuracy_score" in run.latest()


def test_instrument_block_logs_fits_inside_only(configured, binary_data):
    LinearRegression().fit(*binary_data)
    with instrument():
        LogisticRegression().fit(*binary_data)
        LinearRegression().fit(*binary_data)
    LogisticRegression().fit(*binary_data)
    assert names(configured) == ["LogisticRegression", "LinearRegression"]


def test_instrumented_instances_stay_picklable_and_clonable(configured, binary_data):
    model = instrument(LogisticRegression(C=3.0))
    model.fit(*binary_data)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(binary_data[0]), model.predict(binary_data[0]))
    twin = clone(model)
    assert twin.get_params() == LogisticRegression(C=3.0).get_params()
    twin.fit(*binary_data)  # a clone is a new object: not instrumented
    assert names(configured) == ["LogisticRegression"]


def test_uninstrument_removes_the_patches_it_installed(configured, binary_data):
    instrument(LogisticRegression())
    assert is_patched(LogisticRegression, "fit")
    uninstrument()
    assert not is_patched(LogisticRegression, "fit")


def test_global_autolog_takes_over_and_disable_reverts_everything(configured, binary_data):
    model = instrument(LogisticRegression())
    autolog.autolog(backends=[configured])
    LinearRegression().fit(*binary_data)
    model.fit(*binary_data)
    assert names(configured) == ["LinearRegression", "LogisticRegression"]
    autolog.autolog(disable=True)
    assert not is_patched(LogisticRegression, "fit")
    model.fit(*binary_data)
    assert len(names(configured)) == 2


def test_uninstrument_one_estimator(configured, binary_data):
    model = instrument(LogisticRegression())
    uninstrument(model)
    model.fit(*binary_data)
    assert names(configured) == []
