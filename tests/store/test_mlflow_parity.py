"""The local store's run search against MLflow's: the same 33 runs written to autolog's store and
to MLflow's SQLite store, every filter and order that MLflow's own search tests exercise asked of
both (``tests/store/tracking/test_sqlalchemy_store.py`` and ``tests/utils/test_search_utils.py``
in MLflow's repository), and the answers compared: the same runs in the same order, or a
rejection by both. Where MLflow rejects what autolog accepts, the case names the documented
superset (``autolog.store.filter.SUPERSETS``) it belongs to; anything else is a difference and
fails the suite, listed case by case.

MLflow creates the run ids; autolog's runs reuse them, so filters on ids and MLflow's final
tie-break (by run id) mean the same in both. Times are given in seconds as autolog records them;
MLflow gets ``int(seconds * 1000)``, as autolog's MLflow backend sends them.
"""

from __future__ import annotations

import base64
import json
import math
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

import pytest

pytest.importorskip("mlflow")

from autolog.backends.local import LocalBackend

from autolog.client import Client
from autolog.records import DatasetInput, Metric, Params, RunEnd, RunStart, RunStatus
from autolog.store.filter import SUPERSETS

BASE = 1_700_000_000.0
EXPERIMENTS = ("parity-a", "parity-b")
NAN, INF = math.nan, math.inf
#: (value, step, timestamp in seconds) points of one metric, or one value logged at the run start
MetricSpec = Union[float, Sequence[tuple[float, int, float]]]


@dataclass(frozen=True)
class RunSpec:
    """One run as both systems get it. ``status`` None: still running (no end time)."""

    name: str
    experiment: str = "parity-a"
    start: float = BASE
    end: float | None = None
    status: str | None = "FINISHED"
    user: str = "ana"
    parent: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, MetricSpec] = field(default_factory=dict)
    #: (name, digest, context); context "" means none
    datasets: tuple[tuple[str, str, str], ...] = ()

    def points(self) -> list[tuple[str, float, int, float]]:
        out = []
        for key, spec in self.metrics.items():
            if isinstance(spec, (int, float)):
                out.append((key, float(spec), 0, self.start))
            else:
                out.extend((key, value, step, ts) for value, step, ts in spec)
        return out


def _order_run(x: str | None, y: str) -> RunSpec:
    """A run of MLflow's ``test_order_by_metric_tag_param``: metrics x and y, tag and param y."""
    return RunSpec(
        f"{x}/{y}", start=BASE + 100, end=BASE + 101, user="eve",
        metrics={} if x is None else {"x": float(x), "y": float(y)},
        tags={"metric": y}, params={"metric": y},
    )


def _end_run(index: int, end: int | None) -> RunSpec:
    """A run of MLflow's ``test_order_by_attributes``: started a millisecond after the last."""
    return RunSpec(
        str(end), experiment="parity-b", start=BASE + 200 + index / 1000, user="eve",
        end=None if end is None else BASE + 300 + end / 1000, status=None if end is None else "FINISHED",
    )


RUNS: tuple[RunSpec, ...] = (
    RunSpec(
        "alpha", start=BASE + 1, end=BASE + 11, user="ana",
        params={"generic_param": "p_val", "generic_2": "some value", "p_a": "abc", "model": "gpt2",
                "lr": "0.1", "m": "LR", "my_param": "A"},
        tags={"generic_tag": "p_val", "generic_2": "some value", "p_a": "abc", "team": "Red",
              "version": "commit-hash", "t.a.g": "a", "k e y 1": "value", "key1": "value", "tag1": "C"},
        metrics={"common": 1.0, "measure_a": 1.0, "m_a": [(2.0, 0, BASE + 2)], "acc": 0.9,
                 "loss": 0.3, "key1": 121.0, "rmse": 0.5},
        datasets=(("name1", "digest1", "train"), ("name2", "digest2", "eval"), ("name4", "digest4", "")),
    ),
    RunSpec(
        "beta", start=BASE + 2, end=BASE + 12, status="FAILED", user="bo",
        params={"generic_param": "p_val", "generic_2": "another value", "p_b": "ABC",
                "model": "GPT2-large", "lr": "0.01", "m": "tf", "my_param": "A", "model_class": "LR"},
        tags={"generic_tag": "p_val", "generic_2": "another value", "p_b": "ABC", "team": "blue",
              "key1": "vaLue", "tag1": "D"},
        metrics={"common": 1.0, "measure_a": [(200.0, 0, BASE + 2), (400.0, 0, BASE + 3)],
                 "m_b": [(3.0, 0, BASE + 2), (4.0, 0, BASE + 8), (8.0, 0, BASE + 3)],
                 "acc": 0.8, "key1": 123.0, "rmse": 2.0},
        datasets=(("name1", "digest1", "train"), ("name3", "digest3", "eval")),
    ),
    RunSpec(
        "gamma", experiment="parity-b", start=BASE + 3, end=BASE + 13, user="ana",
        params={"model": "bert", "m": "L'Hosp", "cat dog": "pets", "p.a.r.a.m": "b", "my_param": "B"},
        tags={"version": "v2", "source_name": "a notebook", "t.a.g": "b", "tag1": "D"},
        metrics={"acc": 0.95, "my key": 7.0, "X-Y-Z": 3.0, "accuracy.2.0": 6.0, "legit name": 0.5,
                 "XYZ": 3.0, "spacey name": 9.0, "train/loss": 0.2, "key1": 125.0,
                 "a": 0.2, "measure_a": [(1.0, 0, BASE + 3), (-5.0, 2, BASE + 4)]},
        datasets=(("name2", "digest2", "test"),),
    ),
    RunSpec("Alpha-2", experiment="parity-b", start=BASE + 4, status=None, user="ANA",
            params={"lr": "0.1", "m": "L''Hosp"}, tags={"team": ""}),
    RunSpec("child", experiment="parity-b", start=BASE + 5, end=BASE + 6, user="bo", parent="gamma",
            params={"m": "L\\'Hosp"}, tags={"team": "Red%"}),
    RunSpec(
        "killed", start=BASE + 6, end=BASE + 7, status="KILLED", user="cy",
        params={"note": "it's", "pct": "a%b", "us": "under_score", "empty": ""},
        tags={"note": "it''s", "mlflow.note.content": "a note"},
        metrics={"loss": NAN, "acc": -1.0, "common": NAN},
    ),
    RunSpec("name", start=0.001, end=0.5, user="dan", tags={"k e y 1": "value"}),
    RunSpec("name", start=0.002, end=0.6, user="dan", params={"generic_param": "P_VAL"},
            tags={"generic_tag": "P_VAL"}),
    *(_order_run(x, y) for x, y in zip([None, "nan", "inf", "-inf", "-1000", "0", "0", "1000"],
                                       ["1", "2", "3", "4", "5", "6", "7", "8"])),
    *(_end_run(index, end) for index, end in enumerate([234, None, 456, -123, 789, 123])),
    # started within one millisecond: equal start times in MLflow, so ordered by run id
    RunSpec("tie-1", start=BASE + 400.0001, end=BASE + 401, user="fay"),
    RunSpec("tie-2", start=BASE + 400.0004, end=BASE + 401, user="fay"),
    RunSpec("tie-3", start=BASE + 400.0009, end=BASE + 401, user="fay"),
    RunSpec("after", start=BASE + 400.001, end=BASE + 401.5, user="fay"),
    RunSpec("ds-dup", experiment="parity-b", start=BASE + 7, end=BASE + 8, user="bo",
            datasets=(("name1", "digest1", "train"), ("name1", "digest1", "eval"),
                      ("name5", "digest5", "TRAIN"))),
    RunSpec("50%_off", experiment="parity-b", start=BASE + 8, end=BASE + 9, user="gil",
            params={"métier": "ça", "generic_2": "other"}, tags={"spaced key": "hello world"}),
    RunSpec("delta", start=BASE + 10, end=BASE + 20, user="hal",
            params={"model": "bert-base", "lr": "1e-3"}, tags={"team": "Blue"},
            metrics={"acc": 0.85, "loss": 0.25}),
    RunSpec("epsilon", experiment="parity-b", start=BASE + 11, end=BASE + 14, status="FAILED",
            user="ana", params={"m": "LR", "generic_param": "p_val"},
            metrics={"common": 1.0, "measure_a": 50.0, "rmse": 0.9},
            datasets=(("name2", "digest2", "train"),)),
    RunSpec("ingest", start=BASE + 12, status=None, user="bo", tags={"version": "commit-hash"},
            datasets=(("name3", "digest3", "eval"),)),
    RunSpec("nan-only", experiment="parity-b", start=BASE + 13, end=BASE + 15, user="cy",
            metrics={"acc": NAN, "a": INF, "rmse": -INF}),
    RunSpec("zero", experiment="parity-b", start=BASE + 9, end=BASE + 10, user="gil",
            metrics={"common": 0.0, "measure_a": -12.0, "loss": -0.5, "a": -1e-3, "big": 1e308}),
)


@dataclass(frozen=True)
class Case:
    """A search asked of both systems. ``filter`` may name run ids (``{id.alpha}``, ``{ID.alpha}``
    upper case, ``{id16.alpha}`` / ``{di16.alpha}`` their first / last 16 characters) and artifact
    URIs (``{uri.alpha}``, ``{URI.alpha}``), each system's own. ``superset``: MLflow rejects it,
    autolog accepts it, documented in ``SUPERSETS``."""

    filter: str = ""
    order_by: tuple[str, ...] = ()
    superset: str | None = None

    def __str__(self) -> str:
        return f"filter={self.filter!r}" + (f" order_by={list(self.order_by)!r}" if self.order_by else "")


def f(text: str, superset: str | None = None) -> Case:
    return Case(text, (), superset)


def o(*items: str, filter: str = "", superset: str | None = None) -> Case:
    return Case(filter, items, superset)


CASES: list[Case] = [
    # -- test_search_params ------------------------------------------------------------------
    *map(f, [
        "params.generic_param = 'p_val'", "params.generic_2 = 'some value'",
        "params.generic_2 = 'another value'", "params.generic_param = 'wrong_val'",
        "params.generic_param != 'p_val'", "params.generic_param != 'wrong_val'",
        "params.generic_2 != 'wrong_val'", "params.p_a = 'abc'", "params.p_a = 'ABC'",
        "params.p_a != 'ABC'", "params.p_b = 'ABC'", "params.generic_2 LIKE '%other%'",
        "params.generic_2 LIKE 'other%'", "params.generic_2 LIKE '%other'",
        "params.generic_2 LIKE 'other'", "params.generic_2 LIKE '%Other%'",
        "params.generic_2 ILIKE '%Other%'", "params.generic_param ILIKE 'P_VAL'",
        "params.generic_param LIKE 'p\\_val'", "params.generic_param LIKE 'p_val'",
    ]),
    # -- test_search_tags --------------------------------------------------------------------
    *map(f, [
        "tags.generic_tag = 'p_val'", "tags.generic_tag = 'P_VAL'", "tags.generic_tag != 'P_VAL'",
        "tags.generic_2 = 'some value'", "tags.generic_2 = 'another value'",
        "tags.generic_tag = 'wrong_val'", "tags.generic_tag != 'p_val'",
        "tags.generic_tag != 'wrong_val'", "tags.generic_2 != 'wrong_val'", "tags.p_a = 'abc'",
        "tags.p_b = 'ABC'", "tags.generic_2 LIKE '%other%'", "tags.generic_2 LIKE '%Other%'",
        "tags.generic_2 LIKE 'other%'", "tags.generic_2 LIKE '%other'", "tags.generic_2 LIKE 'other'",
        "tags.generic_2 ILIKE '%Other%'",
        "tags.generic_2 ILIKE '%Other%' and tags.generic_tag = 'p_val'",
        "tags.generic_2 ILIKE '%Other%' and tags.generic_tag ILIKE 'p_val'",
        "tag.key1 = 'value'", "tag.`k e y 1` = 'value'", 'tag."k e y 1" = \'value\'',
        "tag.key1 != 'value'", "tag.key1 != 'VALUE'", "tag.key1 LIKE 'val%'", "tag.key1 LIKE '%Lue'",
        "tag.key1 ILIKE '%alu%'", "tag.key1 LIKE 'va%' AND tag.generic_2 LIKE '%value'",
        "tag.KEY = 'value'", "tags.team = ''", "tags.team != ''", "tags.team LIKE '%'",
        "tags.team LIKE 'Red%'", "tags.team LIKE 'Red\\%'", "tags.`spaced key` = 'hello world'",
        "tags.mlflow.note.content = 'a note'", "tags.`mlflow.note.content` LIKE '%note'",
    ]),
    # -- test_search_metrics -----------------------------------------------------------------
    *map(f, [
        "metrics.common = 1.0", "metrics.common > 0.0", "metrics.common >= 0.0",
        "metrics.common < 4.0", "metrics.common <= 4.0", "metrics.common != 1.0",
        "metrics.common >= 3.0", "metrics.common <= 0.75", "metrics.measure_a > 0.0",
        "metrics.measure_a < 50.0", "metrics.measure_a < 1000.0", "metrics.measure_a != -12.0",
        "metrics.measure_a > 50.0", "metrics.measure_a = 1.0", "metrics.measure_a = 400.0",
        "metrics.measure_a = -5", "metrics.m_a > 1.0", "metrics.m_b > 1.0", "metrics.m_b > 5.0",
        "metrics.m_b = 4.0", "metrics.m_b = 8", "metrics.acc > 0.85", "metrics.acc >= 0.9",
        "metrics.acc < 0", "metrics.loss < 0.3", "metrics.loss <= -0.5", "metrics.a > -1e-2",
        "metrics.a < -0.0009", "metrics.big > 1e307", "metrics.big >= 1E308",
    ]),
    # -- NaN and infinities: NaN satisfies only != ------------------------------------------
    *map(f, [
        "metrics.loss != 0", "metrics.loss != 0.3", "metrics.loss = 0", "metrics.loss > -1",
        "metrics.loss < 1", "metrics.loss >= -1000", "metrics.common != 1", "metrics.common != 0",
        "metrics.common = 0", "metrics.common <= 1", "metrics.x != 0", "metrics.x = 0",
        "metrics.x > 0", "metrics.x < 0", "metrics.x >= 0", "metrics.x <= 0", "metrics.x != 1000",
        "metrics.x > 1e300", "metrics.x < -1e300", "metrics.x > 999 and metrics.y > 0",
        "metrics.x != 0 and metrics.y >= 2",
    ]),
    # -- test_search_attrs -------------------------------------------------------------------
    *map(f, [
        "", "attribute.status != 'blah'", "attribute.status = 'RUNNING'",
        "attribute.status = 'FAILED'", "attribute.status != 'SCHEDULED'",
        "attribute.status = 'SCHEDULED'", "attribute.status = 'KILLED'",
        "attr.artifact_uri = '{uri.alpha}'", "attr.artifact_uri = '{URI.alpha}'",
        "attr.artifact_uri != '{URI.alpha}'", "attr.artifact_uri = '{uri.beta}'",
        "attribute.artifact_uri = 'random_artifact_path'",
        "attribute.artifact_uri != 'random_artifact_path'",
        "attribute.artifact_uri LIKE '%{id.alpha}%'", "attribute.artifact_uri LIKE '%{id16.alpha}%'",
        "attribute.artifact_uri LIKE '%{di16.alpha}%'", "attribute.artifact_uri LIKE '%{ID.alpha}%'",
        "attribute.artifact_uri ILIKE '%{ID.alpha}%'", "attribute.artifact_uri ILIKE '%{id16.alpha}%'",
        "attribute.artifact_uri ILIKE '%{di16.alpha}%'", "attribute.artifact_uri LIKE 'file://%'",
        "attribute.artifact_uri = '1/23/4'", "attribute.experiment_id = '1'",
        "attribute.lifecycle_stage = 'ACTIVE'", "attributes.status = \"FINISHED\"",
        "status = 'FINISHED'", "run.status = 'RUNNING'", "attributes.status LIKE 'F%'",
        "attributes.status ILIKE 'f%'", "attributes.status != 'FINISHED'",
    ]),
    # -- user_id -----------------------------------------------------------------------------
    *map(f, [
        "attribute.user_id = 'ana'", "attributes.user_id != 'ana'", "attributes.user_id LIKE 'a%'",
        "attributes.user_id ILIKE 'a%'", "user_id = 'bo' and status = 'FAILED'",
        "tags.mlflow.user = 'bo'", "tags.`mlflow.user` ILIKE 'ANA'",
    ]),
    # -- test_search_full --------------------------------------------------------------------
    *map(f, [
        "params.generic_param = 'p_val' and metrics.common = 1.0",
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0",
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0 "
        "and params.p_a LIKE 'a%'",
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0 "
        "and params.p_a LIKE 'A%'",
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0 "
        "and params.p_a ILIKE 'A%'",
        "params.random_bad_name = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0",
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 100.0",
        "params.my_param = 'A' AND attributes.status = 'FAILED'",
        "metrics.rmse < 1 and params.model_class = 'LR'",
        "metrics.rmse < 3 and params.model_class = 'LR'",
    ]),
    # -- test_search_runs_run_name -----------------------------------------------------------
    *map(f, [
        "attributes.run_name = 'alpha'", "attributes.`Run name` = 'alpha'",
        "attributes.`run name` = 'beta'", "attributes.`Run Name` = 'beta'",
        "tags.`mlflow.runName` = 'beta'", 'tags."mlflow.runName" = \'gamma\'',
        "tags.mlflow.runName = 'child'", "tags.mlflow.runName LIKE 'Alpha%'",
        "tags.mlflow.runName ILIKE 'alpha%'", "tags.mlflow.runName != 'name'",
        "attributes.run_name = 'name'", "attributes.run_name != 'name'",
        "attributes.run_name LIKE '%-%'", "run_name ILIKE 'ALPHA%'", "run_name LIKE '50\\%%'",
        "run_name LIKE '50%\\_off'", "run_name LIKE '__%'", "run_name = 'name' AND params.generic_param = 'P_VAL'",
        "tags.mlflow.runName IS NOT NULL", "tags.mlflow.runName IS NULL",
    ]),
    # -- test_search_runs_run_id -------------------------------------------------------------
    *map(f, [
        "attributes.run_id = '{id.alpha}'", "attributes.run_id != '{id.alpha}'",
        "attributes.run_id IN ('{id.alpha}')", "attributes.run_id NOT IN ('{id.alpha}')",
        "run_name = 'alpha' AND run_id IN ('{id.alpha}')",
        "attributes.run_id IN ('{id.alpha}','{id.beta}')",
        "attributes.run_id IN ('{id.alpha}', '{id.beta}')",
        "attributes.run_id IN ('{id.alpha}',  '{id.beta}')",
        "attributes.run_id NOT IN ('{id.alpha}', '{id.beta}')",
        "attributes.run_id IN (\"{id.gamma}\", 'unknown')", "run_id in ('{id.beta}')",
        "run_id not in ('{id.beta}') and status = 'FAILED'", "attributes.run_id = '{ID.alpha}'",
        "attributes.run_id LIKE '{id16.alpha}%'", "attributes.run_id ILIKE '{ID.beta}'",
        "attributes.run_id IN ()", "attributes.run_id IN ('{id.alpha}' '{id.beta}')",
        "attributes.run_id IN (1, 2)", "attributes.run_id IN ('{id.alpha}'; '{id.beta}')",
        "attributes.run_id IN ('{id16.alpha}' '{di16.alpha}')", "attributes.run_id IN ('it''s')",
        "attributes.run_id IN ('{id.alpha}',)", "attributes.run_id IN ('{id.alpha}')('{id.beta}')",
        "tags.mlflow.parentRunId = '{id.gamma}'",
        "tags.mlflow.parentRunId IS NULL", "tags.`mlflow.parentRunId` != '{id.gamma}'",
    ]),
    # -- test_search_runs_start_time_alias and times in milliseconds ------------------------
    *map(f, [
        "attributes.start_time > 0", "attributes.created > 1", "attributes.Created > 2",
        "attributes.created >= 1", "attributes.start_time = 1", "attributes.start_time = 2",
        "attributes.start_time < 1000", "attributes.start_time > 1700000003000",
        "attributes.start_time >= 1700000003000", "attributes.start_time <= 1700000003000",
        "attributes.start_time = 1700000003000", "attributes.start_time != 1700000003000",
        "attributes.start_time > 1700000003500.5", "attributes.start_time = 1700000400000",
        "attributes.start_time > 1700000400000", "attribute.start_time >= 1234",
        "start_time < 1700000002000", "created <= 1700000002000", "attributes.end_time >= 0",
        "attributes.end_time > 1700000300234", "attributes.end_time = 1700000300456",
        "attributes.end_time < 1700000300000", "attributes.end_time != 1700000300789",
        "attributes.end_time <= 1700000006000", "end_time > 1700000011000.5",
        "attributes.end_time > 1700000000 and attributes.end_time < 1700000100000",
    ]),
    # -- test_search_runs_datasets -----------------------------------------------------------
    *map(f, [
        "dataset.name = 'name1'", "dataset.digest = 'digest2'", "dataset.name = 'name4'",
        "dataset.name = 'name9'", "dataset.context = 'train'", "dataset.context = 'test'",
        "dataset.context = 'test' and dataset.name = 'name2'",
        "dataset.name = 'name2' and dataset.context = 'test'",
        "dataset.name = 'name1' and dataset.context = 'eval'",
        "datasets.name IN ('name1', 'name2')", "datasets.digest IN ('digest1', 'digest2')",
        "datasets.name LIKE 'Name%'", "datasets.name ILIKE 'Name%'",
        "datasets.context ILIKE 'test%'", "datasets.context ILIKE 'train'",
        "datasets.context IN ('test', 'train')", "datasets.context NOT IN ('train')",
        "dataset.name != 'name1'", "dataset.context != 'train'", "dataset.digest LIKE '%3'",
        "datasets.name = 'name1' AND datasets.digest = 'digest2'",
        "datasets.name = 'name1' AND datasets.context = 'train'",
        "dataset.name = 'my_dataset'", "dataset.status = 'true'",
        "dataset.profile = 'num_rows: 10'", "dataset.name IS NULL", "dataset.name > 'a'",
    ]),
    # -- test_filter: what MLflow's parser accepts, run as a search ------------------------
    *map(f, [
        "metric.acc >= 0.94", "metric.acc>=100", "params.m!='tf'", 'params."m"!="tf"',
        'metric."legit name" >= 0.243', "metrics.XYZ = 3", 'params."cat dog" = "pets"',
        'metrics."X-Y-Z" = 3', 'metrics."X//Y#$$@&Z" = 3', "params.model = 'LinearRegression'",
        "`metric`.a >= 0.1", "`params`.model >= 'LR'", "`params`.model = 'bert'",
        "tags.version = 'commit-hash'", "`tags`.source_name = 'a notebook'",
        'metrics."accuracy.2.0" > 5', "metrics.`spacey name` > 5", 'params."p.a.r.a.m" != "a"',
        'tags."t.a.g" = "a"', "params.'cat dog' = 'pets'", "`attributes`.status = 'KILLED'",
        "`status` = 'KILLED'", "\"status\" = 'KILLED'", "\"attributes.status\" = 'KILLED'",
        'metrics."a""b" = 1', "metrics.`a``b` = 1", "`met``ric`.a = 1",
    ]),
    # -- IS NULL / IS NOT NULL on params and tags -------------------------------------------
    *map(f, [
        "tags.version IS NULL", "tags.version IS NOT NULL", "params.lr IS NULL",
        "params.lr IS NOT NULL", "tags.version IS NULL AND params.lr = '0.1'",
        "tags.a IS NULL AND params.b = 'val'", "params.lr is null", "params.lr is not null",
        "params.lr Is Not Null and tags.team IS NULL", "tags.`k e y 1` IS NOT NULL",
        "params.metric IS NOT NULL AND metrics.x > 0", "params.empty IS NOT NULL",
        "metrics.acc IS NULL", "attribute.status IS NULL", "attributes.end_time IS NULL",
        "attribute.status IS 'RUNNING'", "params.lr IS NOT 'x'", "params.lr IS",
    ]),
    # -- test_correct_quote_trimming and literal quotes -------------------------------------
    *map(f, [
        "params.m = 'LR'", 'params.m = "LR"', 'params.m = "L\'Hosp"', "params.m = 'L''Hosp'",
        "params.m = 'L\\'Hosp'", 'params.m = "L""Hosp"', "params.m LIKE 'L%Hosp'",
        "params.note = \"it's\"", "params.note = 'it''s'", "tags.note = 'it''s'",
        "params.pct LIKE 'a%%'", "params.us LIKE 'under_score'", "params.us = 'under_score'",
        "params.empty = ''", "params.empty = \"\"", "params.`métier` = 'ça'",
        "params.métier = 'ça'", "params.métier LIKE 'ç_'",
    ]),
    # -- test_correct_filtering and case-insensitive keywords -------------------------------
    *map(f, [
        "attributes.status = 'FAILED'", "metrics.key1 = 123", "metrics.key1 != 123",
        "metrics.key1 >= 123", "params.my_param = 'A'", "tags.tag1 = 'D'", "tags.tag1 != 'D'",
        "params.my_param = 'A' and attributes.status = 'FAILED'",
        "params.my_param like 'a' and tags.tag1 ilike 'c'", "params.my_param = 'A' And metrics.key1 < 122",
        "metrics.acc>0.5 AND params.model='bert'", "and", "metrics.acc > 0.5 metrics.loss < 1",
        "metrics.acc > 0.5 and and metrics.loss < 1", "metrics.acc > 1 and", "and metrics.acc > 0.1",
    ]),
    # -- test_error_filter -------------------------------------------------------------------
    *map(f, [
        "metric.acc >= 0.94; metrics.rmse < 1", "m.acc >= 0.94", "acc >= 0.94", "p.model >= 'LR'",
        "attri.x != 1", "a.x != 1", "model >= 'LR'", "metrics.A > 0.1 OR params.B = 'LR'",
        "metrics.A > 0.1 NAND params.B = 'LR'", "metrics.A > 0.1 AND (params.B = 'LR')",
        "`metrics.A > 0.1", "param`.A > 0.1", "`dummy.A > 0.1", "dummy`.A > 0.1",
        "attribute.start != 1", "attribute.experiment_id != 1", "attribute.name != 1",
        "attribute.time != 1", "attribute._status != 'RUNNING'", "attribute.status = true",
    ]),
    # -- test_error_comparison_clauses, test_bad_quotes, test_invalid_clauses ---------------
    *map(f, [
        "metric.model = 'LR'", "metric.model = '5'", "params.acc = 5", "tags.acc = 5",
        "metrics.acc != metrics.acc", "1.0 > metrics.acc", "attribute.status = 1",
        "params.acc = LR", "tags.acc = LR", "params.acc = `LR`", "params.'acc = LR",
        "params.acc = 'LR", "params.acc = LR'", "params.acc = \"LR'", "tags.acc = \"LR'",
        "tags.acc = = 'LR'", "params.acc LR !=", "params.acc LR", "metric.acc !=", "acc != 1.0",
        "foo is null", "1=1", "1==2", "metrics.acc == 1", "metrics.acc =< 1", "params.x NOT LIKE 'a'",
        "params.x RLIKE 'a'", "metrics.acc > 'high'", "metrics.acc > 1 or metrics.loss < 1",
        "attributes.start_time > '1'", "attributes.start_time = abc",
    ]),
    # -- test_bad_comparators ----------------------------------------------------------------
    *map(f, [
        "metrics.abc ~ 1.0", "metrics.abc ~= 1.0", "metrics.abc LIKE 1.0",
        *(f"params.abc {op} 'my-param-value'" for op in (">", "<", ">=", "<=", "~")),
        *(f"tags.abc {op} 'my-tag-value'" for op in (">", "<", ">=", "<=", "~")),
        *(f"attributes.status {op} 'my-tag-value'" for op in (">", "<", ">=", "<=", "~")),
        "attributes.start_time LIKE 1234", "attributes.start_time ILIKE 1234",
        *(f"datasets.name {op} 'my-dataset-name'" for op in ("<", ">=", "<=", "~")),
    ]),
    # -- test_order_by_metric_tag_param: NaN after numbers, missing last --------------------
    *(o(*items, filter="params.metric IS NOT NULL") for items in [
        ("metrics.x asc", "metrics.y asc"), ("metrics.x asc", "tag.metric asc"),
        ("metrics.x asc", "metrics.y desc"), ("metrics.x asc", "tag.metric desc"),
        ("metrics.x desc", "metrics.y asc"), ("metrics.x desc", "param.metric desc"),
        ("metrics.x",), ("metrics.x DESC",), ("metrics.y DESC",), ("param.metric",),
    ]),
    o("metrics.loss"), o("metrics.loss DESC"), o("metrics.common", "attributes.run_id DESC"),
    o("metrics.common DESC", "start_time"),
    # -- test_order_by_attributes ------------------------------------------------------------
    *(o(*items, filter="attributes.start_time >= 1700000200000 and attributes.start_time < 1700000300000")
      for items in [("attribute.end_time asc",), ("attribute.end_time desc",),
                    ("attribute.start_time asc", "attribute.end_time desc")]),
    o("attribute.end_time asc"), o("attribute.end_time desc"),
    o("attribute.start_time asc", "attribute.end_time desc"),
    # -- test_search_runs_start_time_alias (order) and the millisecond tie-break ------------
    o("attributes.start_time DESC", filter="attributes.run_name = 'name'"),
    o("attributes.created ASC", filter="attributes.run_name = 'name'"),
    o("attributes.Created DESC", filter="attributes.run_name = 'name'"),
    o("start_time", filter="attributes.run_name LIKE 'tie-%'"),
    o(filter="attributes.run_name LIKE 'tie-%'"), o(filter="attributes.start_time >= 1700000400000"),
    o("attributes.start_time ASC", filter="attributes.start_time >= 1700000400000"),
    o("attributes.start_time ASC"), o("attributes.end_time"), o("created DESC"),
    # -- test_correct_sorting ----------------------------------------------------------------
    *(o(*items) for items in [
        ("tags.noSuchTag",), ("attributes.status",), ("attributes.start_time",), ("metrics.key1 asc",),
        ('metrics."key1"  desc',), ("params.my_param",), ("params.my_param aSc", "attributes.status  ASC"),
        ("params.my_param", "attributes.status DESC"), ("params.my_param DESC", "attributes.status   DESC"),
        ("params.`my_param` DESC", "attributes.status DESC"), ("tags.tag1",), ("tags.tag1    DESC",),
    ]),
    # -- other keys MLflow orders by ---------------------------------------------------------
    *(o(*items) for items in [
        ("attributes.run_name",), ("attributes.run_name DESC", "attributes.start_time"), ("run_id",),
        ("attributes.user_id", "run_name"), ("attributes.user_id DESC",), ("attributes.artifact_uri",),
        ("tags.mlflow.runName",), ("tags.`mlflow.runName` DESC",), ("tags.mlflow.parentRunId",),
        ("tags.team", "params.lr DESC"), ("params.lr", "attributes.start_time DESC"),
        ("metrics.acc DESC",), ("metrics.acc", "metrics.loss DESC"), ("metric.a", "tag.a", "param.a"),
        ("tag.t1",), ("metrics.`my key` DESC",), ("params.m DESC", "metrics.acc"),
        ("`metric`.acc",), ("metrics.`Mean Square Error`",), ("metrics.`Mean Square Error` ASC",),
        ("metrics.`Mean Square Error` DESC",), ("metrics.measure_a DESC", "run_name"),
    ]),
    o("metrics.acc DESC", filter="metrics.acc > 0"), o("params.model", filter="params.model ILIKE 'gpt%'"),
    # -- test_invalid_order_by_search_runs and duplicate keys (_get_orderby_clauses) ---------
    *(o(item) for item in [
        "m.acc", "acc", "attri.x", "`metrics.A", "`metrics.A`", "attribute.start", "attribute.experiment_id",
        "metrics.A != 1", "attribute.run_id ACS", "attribute.run_id decs", "dataset.name",
        "metrics.acc DESC ASC", "", "bogus.x",
    ]),
    *(o(*items) for items in [
        ("attribute.start_time", "attribute.start_time"), ("param.p", "param.p"), ("metric.m", "metric.m"),
        ("tag.t", "tag.t"), ("attributes.start_time", "attributes.created DESC"),
        ("run_name", "attributes.run_name DESC"),
    ]),
    # -- autolog's documented supersets (MLflow rejects these) -------------------------------
    f("params.model IN ('bert', 'gpt2')", "in-lists"), f("params.model NOT IN ('bert')", "in-lists"),
    f("tags.team IN ('Red', 'blue')", "in-lists"), f("tags.team not in ('Red')", "in-lists"),
    f("attributes.run_name IN ('alpha', 'beta')", "in-lists"), f("run_name NOT IN ('name')", "in-lists"),
    f("status IN ('RUNNING', 'FAILED')", "in-lists"), f("attributes.user_id IN ('ana', 'bo')", "in-lists"),
    f("params.m IN ('LR',)", "in-lists"),
    f("METRICS.acc > 0.85", "any-case"), f("Params.model = 'bert'", "any-case"),
    f("TAGS.team = 'Red'", "any-case"), f("attributes.STATUS = 'FAILED'", "any-case"),
    f("attributes.`RUN NAME` = 'alpha'", "any-case"), f("attributes.CREATED > 1", "any-case"),
    f("dataset.NAME = 'name1'", "any-case"), o("METRICS.acc DESC", superset="any-case"),
    o("attributes.`Run name`", superset="any-case"),
    f("attributes.experiment = 'parity-b'", "attributes"), f("experiment = 'parity-a'", "attributes"),
    f("attributes.parent_run_id = '{id.gamma}'", "attributes"), f("attributes.name = 'alpha'", "attributes"),
    o("attributes.experiment", "run_name", superset="attributes"),
    f("metrics.acc <> 0.9", "operators"), f("metrics.train/loss < 1", "key-symbols"),
    f("metrics.X-Y-Z = 3", "key-symbols"), f("metrics.acc > +0.5", "numbers"),
    f("metrics.big > 1e+307", "numbers"), f("   ", "whitespace"),
    o("params.my_param ", superset="whitespace"),
    o(" metrics.acc DESC", superset="whitespace"), f("params.lr IS NOT  NULL", "whitespace"),
    f("Run.status = 'KILLED'", "any-case"), f("params.a:b = 'x'", "key-symbols"),
]


# -- the two stores ------------------------------------------------------------------------


@dataclass
class Stores:
    """Both systems holding RUNS; ``ids`` maps a spec's position to its run id."""

    mlflow: object
    experiment_ids: list[str]
    autolog: Client
    ids: list[str]
    names: dict[str, str]  # run id -> name (for messages)
    mlflow_uris: dict[str, str]
    autolog_uris: dict[str, str]

    def namespaces(self, uris: Mapping[str, str]) -> dict[str, types.SimpleNamespace]:
        first = {spec.name: self.ids[index] for index, spec in reversed(list(enumerate(RUNS)))}

        def space(fn):
            return types.SimpleNamespace(**{name.replace("-", "_"): fn(rid) for name, rid in first.items()})

        return {
            "id": space(lambda rid: rid), "ID": space(str.upper), "id16": space(lambda rid: rid[:16]),
            "di16": space(lambda rid: rid[-16:]), "uri": space(lambda rid: uris[rid]),
            "URI": space(lambda rid: uris[rid].upper()),
        }


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, InputTag, Param
    from mlflow.entities import DatasetInput as MlflowDatasetInput
    from mlflow.entities import Metric as MlflowMetric

    root = tmp_path_factory.mktemp("parity")
    mlflow_client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow.db")
    artifact_location = (root / "mlflow-artifacts").as_uri()
    experiment_ids = {
        name: mlflow_client.create_experiment(name, artifact_location=artifact_location)
        for name in EXPERIMENTS
    }
    backend = LocalBackend(str(root / "autolog-runs"))
    ids: list[str] = []
    by_name: dict[str, str] = {}
    for spec in RUNS:
        parent = by_name[spec.parent] if spec.parent else None
        tags = {"mlflow.user": spec.user, **spec.tags}
        mlflow_tags = {**tags, **({"mlflow.parentRunId": parent} if parent else {})}
        run = mlflow_client.create_run(
            experiment_ids[spec.experiment], start_time=_ms(spec.start), tags=mlflow_tags,
            run_name=spec.name,
        )
        run_id = run.info.run_id
        ids.append(run_id)
        by_name.setdefault(spec.name, run_id)
        points = spec.points()
        mlflow_client.log_batch(
            run_id,
            metrics=[MlflowMetric(k, v, _ms(ts), step) for k, v, step, ts in points],
            params=[Param(k, v) for k, v in spec.params.items()],
        )
        for name, digest, context in spec.datasets:
            context_tags = [InputTag("mlflow.data.context", context)] if context else []
            dataset = Dataset(name, digest, source_type="local", source="memory")
            mlflow_client.log_inputs(run_id, [MlflowDatasetInput(dataset, context_tags)])
        batch: list = [RunStart(run_id, spec.experiment, spec.name, spec.start, parent, tags)]
        if spec.params:
            batch.append(Params(run_id, dict(spec.params)))
        batch += [Metric(run_id, k, v, step, ts) for k, v, step, ts in points]
        batch += [DatasetInput(run_id, n, d, c, source_type="local") for n, d, c in spec.datasets]
        if spec.status is not None:
            mlflow_client.set_terminated(run_id, spec.status, end_time=_ms(spec.end))
            batch.append(RunEnd(run_id, RunStatus(spec.status), spec.end))
        backend.write_batch(batch)
    backend.close()
    client = Client(str(root / "autolog-runs"))
    everything = mlflow_client.search_runs(list(experiment_ids.values()), max_results=1000)
    yield Stores(
        mlflow=mlflow_client,
        experiment_ids=list(experiment_ids.values()),
        autolog=client,
        ids=ids,
        names={run_id: spec.name for run_id, spec in zip(ids, RUNS)},
        mlflow_uris={run.info.run_id: run.info.artifact_uri for run in everything},
        autolog_uris={run.run_id: run.artifact_uri for run in client.search_runs(max_results=1000)},
    )
    client.close()


# -- asking both -----------------------------------------------------------------------------

Outcome = Union[list[str], Exception]


def ask_mlflow(stores: Stores, case: Case, **paging) -> Outcome:
    from mlflow.entities import ViewType

    text = case.filter.format(**stores.namespaces(stores.mlflow_uris))
    try:
        runs = stores.mlflow.search_runs(
            stores.experiment_ids, text, ViewType.ALL, order_by=list(case.order_by) or None,
            **{"max_results": 1000, **paging},
        )
    except Exception as exc:  # MlflowException, or a parser error MLflow lets through
        return exc
    return [run.info.run_id for run in runs]


def ask_autolog(stores: Stores, case: Case, **paging) -> Outcome:
    text = case.filter.format(**stores.namespaces(stores.autolog_uris))
    try:
        runs = stores.autolog.search_runs(
            list(EXPERIMENTS), text, list(case.order_by) or None, **{"max_results": 1000, **paging}
        )
    except ValueError as exc:
        return exc
    return [run.run_id for run in runs]


@dataclass(frozen=True)
class Verdict:
    case: Case
    kind: str  # "accepted by both", "rejected by both", "superset" or "differs"
    detail: str = ""


def judge(stores: Stores, case: Case) -> Verdict:
    theirs, ours = ask_mlflow(stores, case), ask_autolog(stores, case)

    def show(outcome: Outcome) -> str:
        if isinstance(outcome, Exception):
            return f"raises {type(outcome).__name__}: {str(outcome)[:160]}"
        return "[" + ", ".join(stores.names[run_id] for run_id in outcome) + "]"

    detail = f"MLflow {show(theirs)}; autolog {show(ours)}"
    if isinstance(theirs, Exception) and isinstance(ours, Exception):
        kind = "rejected by both" if case.superset is None else "differs"
        detail += "" if case.superset is None else f" (marked superset {case.superset!r})"
    elif isinstance(theirs, Exception):
        kind = "superset" if case.superset in SUPERSETS else "differs"
    elif isinstance(ours, Exception) or case.superset is not None:
        kind = "differs"
    else:
        kind = "accepted by both" if theirs == ours else "differs"
    return Verdict(case, kind, detail)


# -- the tests -------------------------------------------------------------------------------


def test_the_cases_cover_mlflows_search_tests_at_scale() -> None:
    assert len(CASES) >= 300
    twice = [str(case) for index, case in enumerate(CASES) if case in CASES[:index]]
    assert not twice, f"listed twice: {twice}"
    assert {case.superset for case in CASES} - {None} == set(SUPERSETS)


def test_both_stores_hold_the_same_runs(stores: Stores) -> None:
    assert len(RUNS) == 33
    assert set(stores.mlflow_uris) == set(stores.autolog_uris) == set(stores.ids)


def test_every_case_gets_mlflows_answer_or_a_documented_superset(stores: Stores) -> None:
    verdicts = [judge(stores, case) for case in CASES]
    counts = {kind: sum(v.kind == kind for v in verdicts) for kind in
              ("accepted by both", "rejected by both", "superset", "differs")}
    print(f"\n{len(verdicts)} cases: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    differing = [v for v in verdicts if v.kind == "differs"]
    for verdict in differing:
        print(f"DIFFERS {verdict.case}: {verdict.detail}")
    assert not differing, f"{len(differing)} of {len(verdicts)} cases differ from MLflow:\n" + "\n".join(
        f"  {v.case}: {v.detail}" for v in differing
    )


def _decoded(token) -> dict | None:
    return None if token is None else json.loads(base64.b64decode(token))


@pytest.mark.parametrize(
    "case", [o(), o("metrics.acc DESC"), o("params.lr", filter="attributes.status != 'KILLED'")]
)
@pytest.mark.parametrize("page_size", [1, 4, 7, 33, 50])
def test_pages_match_mlflows_pages(stores: Stores, case: Case, page_size: int) -> None:
    from mlflow.entities import ViewType

    theirs, ours, token, our_token = [], [], None, None
    while True:
        page = stores.mlflow.search_runs(
            stores.experiment_ids, case.filter, ViewType.ALL, page_size, list(case.order_by) or None, token
        )
        our_page = stores.autolog.search_runs(
            list(EXPERIMENTS), case.filter, list(case.order_by) or None, page_size, our_token
        )
        theirs.append([run.info.run_id for run in page])
        ours.append([run.run_id for run in our_page])
        assert _decoded(our_page.token) == _decoded(page.token)
        token, our_token = page.token, our_page.token
        if token is None:
            break
    assert ours == theirs and sum(map(len, ours)) <= len(RUNS)


@pytest.mark.parametrize("max_results", [0, -1, 50_001, 10**10])
def test_max_results_out_of_mlflows_bounds_is_rejected_by_both(stores: Stores, max_results: int) -> None:
    assert isinstance(ask_mlflow(stores, o(), max_results=max_results), Exception)
    assert isinstance(ask_autolog(stores, o(), max_results=max_results), ValueError)


def test_max_results_at_mlflows_bound_is_accepted_by_both(stores: Stores) -> None:
    theirs = ask_mlflow(stores, o(), max_results=50_000)
    assert theirs == ask_autolog(stores, o(), max_results=50_000) and len(theirs) == len(RUNS)
