"""Fixtures for the registry tests: a tracking directory holding real scikit-learn models logged
by autolog, and a client over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import autolog
from autolog.client import Client


@pytest.fixture
def tracking_dir(tmp_path: Path) -> str:
    return str(tmp_path / "autolog-runs")


@pytest.fixture
def client(tracking_dir: str) -> Iterator[Client]:
    instance = Client(tracking_dir)
    yield instance
    instance.close()


@pytest.fixture
def iris():
    from sklearn.datasets import load_iris

    features, labels = load_iris(return_X_y=True)
    return features[::3], labels[::3]


@pytest.fixture
def fit_model(tracking_dir: str, iris) -> Callable[..., tuple[str, object]]:
    """Fit a real LogisticRegression with autolog on (local store only); returns the run id
    and the fitted estimator."""
    from sklearn.linear_model import LogisticRegression

    autolog.autolog(tracking_dir=tracking_dir, backends=["local"])

    def fit(c: float = 1.0) -> tuple[str, object]:
        estimator = LogisticRegression(C=c, max_iter=300).fit(*iris)
        autolog.flush(30)
        (run,) = Client(tracking_dir).search_runs(filter_string=f"params.C = '{c}'", max_results=1)
        return run.run_id, estimator

    return fit
