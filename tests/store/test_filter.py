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

M, P, T, A = "metric", "param", "tag", "attribute"


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
        ("params.note = 'it''s'", [Comparison(Key(P, "note"), "=", "it's")]),
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
        ("metrics.acc > 1 and", "ended", 19),
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
        ("params.x IN ('a' 'b')", "\"'b'\"", 17),
        ("params.x IN ()", "')'", 13),
        ("params.x NOT LIKE 'a'", "'LIKE'", 13),
        ("metrics.a = 1 metrics.b = 2", "'metrics.b'", 14),
        ("metrics.a = 1; DROP TABLE runs", "';'", 13),
        ("= 1", "'='", 0),
        ("status = 'x' and", "ended", 16),
    ],
)
def test_malformed_filters_name_the_bad_token_and_its_position(text: str, token: str, position: int) -> None:
    with pytest.raises(ValueError) as caught:
        parse_filter(text)
    message = str(caught.value)
    assert message.startswith(f'invalid filter "{text}": ')
    assert token in message
    assert message.endswith(f"at position {position}")


def test_keywords_are_case_insensitive() -> None:
    lower = parse_filter("params.a in ('x') and params.b not in ('y') and tags.c like 'z%' and tags.d ilike 'w'")
    upper = parse_filter("params.a IN ('x') AND params.b NOT IN ('y') AND tags.c LIKE 'z%' AND tags.d ILIKE 'w'")
    assert lower == upper


def test_values_and_keys_never_reach_the_sql_text() -> None:
    sql, params = filter_to_sql(parse_filter("params.`x'; --` = 'a'' OR 1=1 --' and metrics.m > 2"))
    assert "OR 1=1" not in sql and "--" not in sql
    assert params == ["x'; --", "a' OR 1=1 --", "m", 2.0]


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
    ],
)
def test_order_by_items_parse(items, expected) -> None:
    assert parse_order_by(items) == expected


@pytest.mark.parametrize(
    ("item", "token"),
    [("metrics.acc DOWN", "'DOWN'"), ("metrics.acc DESC ASC", "'ASC'"), ("", "ended"), ("bogus.x", "'bogus'")],
)
def test_malformed_order_by_names_the_bad_token(item: str, token: str) -> None:
    with pytest.raises(ValueError, match=f'invalid order_by "{item}": .*{token}.*at position'):
        parse_order_by([item])


def test_order_sql_puts_runs_lacking_the_key_last_and_breaks_ties_newest_first() -> None:
    sql, params = order_to_sql(parse_order_by(["metrics.acc DESC"]))
    assert sql.index("IS NULL") < sql.index("DESC") < sql.index("r.start_time DESC")
    assert params == ["acc", "acc"]
