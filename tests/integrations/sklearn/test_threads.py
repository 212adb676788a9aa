"""Threads: joblib worker threads of a logged call never log; users' own threads each do."""

from __future__ import annotations

import threading
import time

import numpy as np
from joblib import Parallel, delayed, parallel_backend
from sklearn import model_selection
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV


class Slow(ClassifierMixin, BaseEstimator):
    """Sleeps in fit, so that fits on different threads overlap."""

    def __init__(self, seconds=0.3, tag="a"):
        self.seconds = seconds
        self.tag = tag

    def fit(self, x, y):
        time.sleep(self.seconds)
        self.classes_ = np.unique(y)
        self.majority_ = np.bincount(y).argmax()
        return self

    def predict(self, x):
        return np.full(len(x), self.majority_)


def test_grid_search_on_worker_threads_logs_once(mem, binary_data):
    with parallel_backend("threading", n_jobs=2):
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=3, n_jobs=2).fit(*binary_data)
    assert [r.start.name for r in mem.top_runs()] == ["GridSearchCV"]
    assert len(mem.all_runs()) == 4  # the parent and its three candidates


def test_thread_ensembles_log_once(mem, binary_data):
    with parallel_backend("threading", n_jobs=2):
        BaggingClassifier(LogisticRegression(), n_estimators=4, n_jobs=2, random_state=0).fit(*binary_data)
        model_selection.cross_validate(LogisticRegression(), *binary_data, cv=3, n_jobs=2)
    RandomForestClassifier(n_estimators=4, n_jobs=2, random_state=0).fit(*binary_data)
    assert [r.start.name for r in mem.all_runs()] == ["BaggingClassifier", "cross_validate", "RandomForestClassifier"]


def test_two_user_threads_fitting_at_once_each_log_their_own_run(mem, binary_data):
    x, y = binary_data
    started = threading.Barrier(2)

    def fit_search():
        started.wait()
        with parallel_backend("threading", n_jobs=2):
            GridSearchCV(Slow(tag="search"), {"seconds": [0.2, 0.3]}, cv=2, n_jobs=2).fit(x, y)

    def fit_plain():
        started.wait()
        time.sleep(0.1)  # starts while the search's workers are busy
        Slow(seconds=0.2, tag="plain").fit(x, y)

    threads = [threading.Thread(target=fit_search), threading.Thread(target=fit_plain)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    top = mem.top_runs()
    assert sorted(r.start.name for r in top) == ["GridSearchCV", "Slow"]
    assert {r.params.get("tag") for r in top if r.start.name == "Slow"} == {"plain"}
    assert len(mem.all_runs()) == 4  # plus the search's two candidates, as children
    assert all(r.status == "FINISHED" for r in mem.all_runs())


def test_users_own_thread_pool_fits_each_log(mem, binary_data):
    x, y = binary_data
    models = [Slow(seconds=0.1, tag=str(i)) for i in range(3)]
    Parallel(n_jobs=3, prefer="threads")(delayed(m.fit)(x, y) for m in models)
    assert sorted(r.params["tag"] for r in mem.all_runs()) == ["0", "1", "2"]
