"""The filter and order_by grammar: what parses, what it means, and how mistakes are reported."""

from __future__ import annotations

import pytest

from autolog.store.filter import (
    Comparison,
    Key,
    OrderKey,
    filter_to_sql,
    order_to_sql,
    parse_filter,
    parse_order_by,
)

M, P, T, A, D = "metric", "param", "tag", "attribute", "dataset"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   ", []),
        ("metrics.acc > 0.85", [Comparison(Key(M, "acc"), ">", 0.85)]),
        (
            "metrics.val_accuracy > 0.85 and params.model = 'gpt2'",
            [Comparison(Key(M, "val_accuracy"), ">", 0.85), Comparison(Key(P, "model"), "=", "gpt2")],
        ),
        ("metric.loss<=-1e-3", [Comparison(Key(M, "loss"), "<=", -0.001)]),
        ("metrics.loss >= .5", [Comparison(Key(M, "loss"), ">=", 0.5)]),
        ("metrics.a != 3 AND metrics.b = 4", [Comparison(Key(M, "a"), "!=", 3.0), Comparison(Key(M, "b"), "=", 4.0)]),
        ("metrics.a <> 3", [Comparison(Key(M, "a"), "!=", 3.0)]),
        ("metrics.train/loss < 1", [Comparison(Key(M, "train/loss"), "<", 1.0)]),
        ("metrics.eval.f1 < 1", [Comparison(Key(M, "eval.f1"), "<", 1.0)]),
        ("metrics.`my key` = 1", [Comparison(Key(M, "my key"), "=", 1.0)]),
        ('tags."mlflow.user" = "ana"', [Comparison(Key(T, "mlflow.user"), "=", "ana")]),
        ("param.lr = '0.1'", [Comparison(Key(P, "lr"), "=", "0.1")]),
        ("params.note = 'it''s'", [Comparison(Key(P, "note"), "=", "it''s")]),  # literal, as MLflow
        ("params.note = \"it's\"", [Comparison(Key(P, "note"), "=", "it's")]),
        ("params.m = 'L\\'Hosp'", [Comparison(Key(P, "m"), "=", "L\\'Hosp")]),
        ("params.'cat dog' = 'pets'", [Comparison(Key(P, "cat dog"), "=", "pets")]),
        ("`metric`.a >= 0.1", [Comparison(Key(M, "a"), ">=", 0.1)]),
        ("`params`.model = 'LR'", [Comparison(Key(P, "model"), "=", "LR")]),
        ("`tags`.source_name = 'nb'", [Comparison(Key(T, "source_name"), "=", "nb")]),
        ("`status` = 'x'", [Comparison(Key(A, "status"), "=", "x")]),
        ("METRICS.acc > 1", [Comparison(Key(M, "acc"), ">", 1.0)]),
        ("params.x IS NULL", [Comparison(Key(P, "x"), "IS NULL", None)]),
        ("tags.x is not null", [Comparison(Key(T, "x"), "IS NOT NULL", None)]),
        ("tags.a IS NULL AND params.b = 'v'", [Comparison(Key(T, "a"), "IS NULL", None), Comparison(Key(P, "b"), "=", "v")]),
        ("attributes.`Run name` = 'x'", [Comparison(Key(A, "run_name"), "=", "x")]),
        ("attributes.`RUN NAME` = 'x'", [Comparison(Key(A, "run_name"), "=", "x")]),
        ("attributes.created > 1", [Comparison(Key(A, "start_time"), ">", 1.0)]),
        ("attributes.Created > 1", [Comparison(Key(A, "start_time"), ">", 1.0)]),
        ("attributes.user_id = 'ana'", [Comparison(Key(A, "user_id"), "=", "ana")]),
        ("attr.artifact_uri LIKE '%x%'", [Comparison(Key(A, "artifact_uri"), "LIKE", "%x%")]),
        ("dataset.name = 'd'", [Comparison(Key(D, "name"), "=", "d")]),
        ("datasets.digest IN ('a', 'b')", [Comparison(Key(D, "digest"), "IN", ("a", "b"))]),
        ("datasets.context ILIKE 'train%'", [Comparison(Key(D, "context"), "ILIKE", "train%")]),
        ('tags."mlflow.runName" = \'r\'', [Comparison(Key(T, "mlflow.runName"), "=", "r")]),
        ("tags.mlflow.runName = 'r'", [Comparison(Key(T, "mlflow.runName"), "=", "r")]),
        ("tags.x != 'y'", [Comparison(Key(T, "x"), "!=", "y")]),
        ("tag.x LIKE 'a%'", [Comparison(Key(T, "x"), "LIKE", "a%")]),
        ("tags.x ilike '%A_'", [Comparison(Key(T, "x"), "ILIKE", "%A_")]),
        ("params.m IN ('a', \"b\")", [Comparison(Key(P, "m"), "IN", ("a", "b"))]),
        ("params.m not in ('a')", [Comparison(Key(P, "m"), "NOT IN", ("a",))]),
        ("attributes.status = 'FINISHED'", [Comparison(Key(A, "status"), "=", "FINISHED")]),
        ("attribute.run_name LIKE 'a%'", [Comparison(Key(A, "run_name"), "LIKE", "a%")]),
        ("status = 'FAILED'", [Comparison(Key(A, "status"), "=", "FAILED")]),
        ("run_name = 'x'", [Comparison(Key(A, "run_name"), "=", "x")]),
        ("attributes.name = 'x'", [Comparison(Key(A, "run_name"), "=", "x")]),
        ("attr.run_id IN ('a', 'b')", [Comparison(Key(A, "run_id"), "IN", ("a", "b"))]),
        ("attributes.experiment = 'e'", [Comparison(Key(A, "experiment"), "=", "e")]),
        ("attributes.parent_run_id = 'p'", [Comparison(Key(A, "parent_run_id"), "=", "p")]),
        ("attributes.start_time > 1700000000", [Comparison(Key(A, "start_time"), ">", 1.7e9)]),
        ("end_time <= 5", [Comparison(Key(A, "end_time"), "<=", 5.0)]),
        ("params.métier = 'ça'", [Comparison(Key(P, "métier"), "=", "ça")]),
    ],
)
def test_valid_filters_parse_to_comparisons(text: str, expected: list[Comparison]) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "token", "position"),
    [
        ("metrics.acc >> 1", "'>>'", 12),
        ("metrics.acc == 1", "'=='", 12),
        ("metrics.acc > 1 or params.x = 'a'", "'or'", 16),
        ("metrics.acc >", "ended", 13),
        ("metrics.acc 1", "'1'", 12),
        ("metrics.acc = 'high'", "\"'high'\"", 14),
        ("params.lr = 0.1", "'0.1'", 12),
        ("params.lr > '0.1'", "'>'", 10),
        ("metrics.acc LIKE 'a%'", "'LIKE'", 12),
        ("params.x = 'open", "unterminated", 11),
        ("foo.bar = 1", "'foo'", 0),
        ("attributes.colour = 'red'", "'colour'", 0),
        ("metrics. = 1", "after 'metrics.'", 8),
        ("params.x IN 'a'", "\"'a'\"", 12),
        ("params.x IN ()", "')'", 13),
        ("params.x NOT LIKE 'a'", "'LIKE'", 13),
        ("metrics.a = 1; DROP TABLE runs", "';'", 13),
        ("= 1", "'='", 0),
        ("metrics.acc IS NULL", "params and tags only", 12),
        ("attributes.status IS NOT NULL", "params and tags only", 18),
        ("params.x IS 'a'", "\"'a'\"", 12),
        ("params.x IS NOT", "ended", 15),
        ("dataset.profile = 'p'", "'profile'", 0),
        ("attributes.experiment_id = '1'", "'experiment_id'", 0),
        ("params.x IN ('a', 1)", "'1'", 18),
        ("params.x IN ('a\\')", "not a list of strings", 12),
        ("`metrics.A > 0.1", "unterminated", 0),
    ],
)
def test_malformed_filters_name_the_bad_token_and_its_position(text: str, token: str, position: int) -> None:
    with pytest.raises(ValueError) as caught:
        parse_filter(text)
    message = str(caught.value)
    assert message.startswith(f'invalid filter "{text}": ')
    assert token in message
    assert message.endswith(f"at position {position}")


@pytest.mark.parametrize(
    "text",
    ["metrics.a = 1 and metrics.b = 2", "metrics.a = 1 metrics.b = 2", "and metrics.a = 1 and and metrics.b = 2 and"],
)
def test_and_between_comparisons_may_be_repeated_or_left_out_as_in_mlflow(text: str) -> None:
    assert parse_filter(text) == [Comparison(Key(M, "a"), "=", 1.0), Comparison(Key(M, "b"), "=", 2.0)]
    assert parse_filter("and") == []


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("run_id IN ('a', \"b\")", ("a", "b")),
        ("run_id IN ('a',)", ("a",)),
        ("run_id IN ('a' 'b')", ("ab",)),  # adjacent strings join, as Python reads them
        ("run_id IN ('it''s')", ("its",)),
        ("run_id IN ('L\\'Hosp')", ("L'Hosp",)),
    ],
)
def test_in_lists_read_as_mlflow_reads_them_a_python_literal(text: str, values: tuple) -> None:
    assert parse_filter(text) == [Comparison(Key(A, "run_id"), "IN", values)]


def test_keywords_are_case_insensitive() -> None:
    lower = parse_filter("params.a in ('x') and params.b not in ('y') and tags.c like 'z%' and tags.d ilike 'w'")
    upper = parse_filter("params.a IN ('x') AND params.b NOT IN ('y') AND tags.c LIKE 'z%' AND tags.d ILIKE 'w'")
    assert lower == upper


def test_values_and_keys_never_reach_the_sql_text() -> None:
    sql, params = filter_to_sql(parse_filter("params.`x'; --` = 'a'' OR 1=1 --' and metrics.m > 2"))
    assert "OR 1=1" not in sql and "--" not in sql
    assert params == ["x'; --", "a'' OR 1=1 --", "m", 2.0]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (None, []),
        ([], []),
        (["metrics.acc DESC"], [OrderKey(Key(M, "acc"), False)]),
        (["params.lr"], [OrderKey(Key(P, "lr"), True)]),
        (["attributes.start_time ASC", "tags.t desc"], [OrderKey(Key(A, "start_time"), True), OrderKey(Key(T, "t"), False)]),
        (["metrics.`val acc` asc"], [OrderKey(Key(M, "val acc"), True)]),
        ("run_name", [OrderKey(Key(A, "run_name"), True)]),
        (["attributes.created DESC"], [OrderKey(Key(A, "start_time"), False)]),
        (['metrics."key1"  desc', "params.`p` aSc"], [OrderKey(Key(M, "key1"), False), OrderKey(Key(P, "p"), True)]),
        (["metric.a", "tag.a", "param.a"], [OrderKey(Key(M, "a"), True), OrderKey(Key(T, "a"), True), OrderKey(Key(P, "a"), True)]),
    ],
)
def test_order_by_items_parse(items, expected) -> None:
    assert parse_order_by(items) == expected


@pytest.mark.parametrize(
    ("item", "token"),
    [
        ("metrics.acc DOWN", "'DOWN'"),
        ("metrics.acc DESC ASC", "'ASC'"),
        ("", "ended"),
        ("bogus.x", "'bogus'"),
        ("attribute.run_id ACS", "'ACS'"),
        ("dataset.name", "cannot be ordered by 'dataset.name'"),
        ("`metrics.A`", "unknown attribute 'metrics.A'"),
    ],
)
def test_malformed_order_by_names_the_bad_token(item: str, token: str) -> None:
    with pytest.raises(ValueError, match=f'invalid order_by "{item}": .*{token}.*at position'):
        parse_order_by([item])


@pytest.mark.parametrize(
    "items", [["metrics.m", "metrics.m DESC"], ["attributes.start_time", "created"], ["tag.t", "tags.`t`"]]
)
def test_a_key_ordered_twice_is_rejected_as_mlflow_does(items: list[str]) -> None:
    with pytest.raises(ValueError, match="already ordered by at position 0"):
        parse_order_by(items)


def test_order_sql_puts_nan_after_numbers_and_runs_lacking_the_key_last_then_newest_first() -> None:
    sql, params = order_to_sql(parse_order_by(["metrics.acc DESC"]))
    nan_last, by_value = "COALESCE((SELECT x.value IS NULL FROM", "(SELECT x.value FROM latest_metrics"
    assert sql.startswith(nan_last) and sql.index(", 2), ") < sql.index(by_value) < sql.index("DESC")
    assert sql.endswith("CAST(r.start_time * 1000 AS INTEGER) DESC, r.run_id")
    assert params == ["acc", "acc"]


def test_time_filters_compare_milliseconds_as_mlflow_records_them() -> None:
    sql, params = filter_to_sql(parse_filter("attributes.start_time >= 1700000000123 and end_time < 5"))
    assert sql == "CAST(r.start_time * 1000 AS INTEGER) >= ? AND CAST(r.end_time * 1000 AS INTEGER) < ?"
    assert params == [1700000000123.0, 5.0]


def test_a_nan_metric_satisfies_only_not_equal() -> None:
    sql, _params = filter_to_sql(parse_filter("metrics.a != 1"))
    assert "OR x.value IS NULL" in sql
    sql, _params = filter_to_sql(parse_filter("metrics.a = 1 and metrics.b < 1"))
    assert "IS NULL" not in sql


def test_run_name_and_parent_tags_are_the_run_columns() -> None:
    sql, params = filter_to_sql(parse_filter("tags.mlflow.runName = 'a' and tags.mlflow.parentRunId IS NULL"))
    assert sql == "NULLIF(r.name, '') = ? AND r.parent_run_id IS NULL"
    assert params == ["a"]


def test_artifact_uri_is_the_store_uri_and_the_run_id() -> None:
    sql, params = filter_to_sql(parse_filter("attributes.artifact_uri LIKE '%x'"), artifacts_uri="file:///s")
    assert sql == "autolog_like((? || '/' || r.run_id), ?, 0)"
    assert params == ["file:///s", "%x"]
