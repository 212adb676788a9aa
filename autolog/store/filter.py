"""MLflow's run search grammar, parsed and translated to parametrised SQL.

A filter is comparisons joined by ``AND`` (keywords are case-insensitive; like MLflow, an ``AND``
may also be repeated or left out)::

    metrics.val_accuracy > 0.85 and params.model = 'gpt2' and attributes.status != 'FAILED'

Every filter MLflow's run search accepts means here what it means in MLflow (checked side by side
against MLflow's SQLite store by ``tests/store/test_mlflow_parity.py``):

* keys: ``metrics.<k>`` / ``metric.<k>``, ``params.<k>`` / ``param.<k>`` / ``parameter(s).<k>``,
  ``tags.<k>`` / ``tag.<k>``, ``attributes.<a>`` / ``attribute.<a>`` / ``attr.<a>`` /
  ``run.<a>`` or a bare attribute name (``status``), ``dataset.<d>`` / ``datasets.<d>``. The
  prefix may be back-quoted (`` `metric`.acc ``); a key with spaces or symbols is quoted with
  backticks, double or single quotes: ``metrics.`my key` ``, ``tags."mlflow.user"``.
* attributes: ``run_id``, ``run_name`` (aliases ``Run name``, ``name``), ``status``, ``user_id``,
  ``artifact_uri`` (the run's artifact folder as a ``file://`` URI), ``experiment``,
  ``parent_run_id`` (strings); ``start_time`` (alias ``created``), ``end_time`` (numbers,
  **milliseconds** since the epoch, as in MLflow; :class:`~autolog.store.entities.StoredRun` keeps
  seconds).
* datasets: ``name``, ``digest``, ``context`` (strings); a clause holds when one of the run's
  datasets satisfies it.
* ``tags."mlflow.runName"`` is the run name and ``tags."mlflow.parentRunId"`` the parent run,
  as MLflow keeps them.
* metrics and numeric attributes take ``= != < <= > >=`` and a number; params, tags, string
  attributes and dataset keys take ``= != LIKE ILIKE IN NOT IN`` and quoted strings (``'...'`` or
  ``"..."``, taken literally as MLflow does: ``'L''Hosp'`` is the value ``L''Hosp``, so a value
  holding one kind of quote is written in the other: ``"L'Hosp"``). ``LIKE`` is case-sensitive,
  ``ILIKE`` is not; ``%`` and ``_`` are the wildcards. Params and tags also take ``IS NULL`` and
  ``IS NOT NULL`` (the run lacks / has the key). An ``IN`` list is read as a Python literal, as
  MLflow reads it.
* a comparison on a key a run lacks excludes that run; a NaN metric satisfies only ``!=``.

autolog accepts a little more than MLflow (:data:`SUPERSETS`, listed in the README); a malformed
filter raises ``ValueError`` naming the bad token and its position. Values never reach the SQL
text: every value is a bound parameter, and key names too.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

Value = Union[float, str, tuple[str, ...], None]

METRIC, PARAM, TAG, ATTRIBUTE, DATASET = "metric", "param", "tag", "attribute", "dataset"
_ENTITY_PREFIXES = {
    "metric": METRIC, "metrics": METRIC,
    "param": PARAM, "params": PARAM, "parameter": PARAM, "parameters": PARAM,
    "tag": TAG, "tags": TAG,
    "attribute": ATTRIBUTE, "attributes": ATTRIBUTE, "attr": ATTRIBUTE, "run": ATTRIBUTE,
    "dataset": DATASET, "datasets": DATASET,
}
#: string attribute -> SQL expression over ``runs r JOIN experiments e`` (None: computed)
_STRING_ATTRIBUTES: dict[str, str | None] = {
    "run_id": "r.run_id",
    "run_name": "r.name",
    "status": "r.status",
    "user_id": "r.user_id",
    "artifact_uri": None,
    "experiment": "e.name",
    "parent_run_id": "r.parent_run_id",
}
#: time attribute -> milliseconds since the epoch, truncated as MLflow records them
TIME_MS = {
    "start_time": "CAST(r.start_time * 1000 AS INTEGER)",
    "end_time": "CAST(r.end_time * 1000 AS INTEGER)",
}
_ATTRIBUTE_ALIASES = {
    "name": "run_name", "run name": "run_name", "experiment_name": "experiment",
    "created": "start_time",
}
_ATTRIBUTES = sorted([*_STRING_ATTRIBUTES, *TIME_MS])
#: dataset key -> column of ``datasets d``
_DATASET_COLUMNS = {"name": "d.name", "digest": "d.digest", "context": "d.context"}
#: tags MLflow derives from a run's attributes -> the column holding them
_SYSTEM_TAGS = {"mlflow.runName": "NULLIF(r.name, '')", "mlflow.parentRunId": "r.parent_run_id"}
_KEY_TABLES = {METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}

_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_NULL_OPS = ("IS NULL", "IS NOT NULL")
_KEYWORDS = {"AND", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "ASC", "DESC"}

#: What autolog accepts and MLflow's run search rejects (each is documented in the README).
SUPERSETS = {
    "in-lists": "IN / NOT IN on params, tags, dataset keys and every string attribute "
    "(MLflow: run_id and dataset keys only)",
    "any-case": "entity prefixes, attribute names and dataset keys in any case "
    "(METRICS.acc, attributes.STATUS, attributes.`RUN NAME`)",
    "attributes": "the attributes experiment, parent_run_id and the alias name (run_name)",
    "operators": "<> for !=",
    "key-symbols": "unquoted keys holding symbols other than spaces, quotes, comparison "
    "operators and parentheses (metrics.train/loss)",
    "numbers": "numbers with a leading + or a signed exponent (+1, 1e+3)",
    "whitespace": "a filter of only whitespace (no filter), whitespace around an order_by item "
    "and more than one space in IS NOT NULL",
}

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
    |(?P<ident>(?:`(?:``|[^`])*`|[^\W\d]\w*)
        (?:\.(?:`(?:``|[^`])*`|"(?:""|\\"|[^"])*"|'(?:''|\\'|[^'])*'|[^\s=!<>(),'"`]+))?)
    |(?P<string>'(?:''|\\'|[^'])*'|"(?:""|\\"|[^"])*")
    |(?P<op>[<>=!]+)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)

_QUOTED_PREFIX = re.compile(r"`(?:``|[^`])*`")


@dataclass(frozen=True)
class Token:
    kind: str  # number, ident, string, op, punct, keyword, end
    text: str
    position: int


@dataclass(frozen=True)
class Key:
    """A key of a run: ``entity`` is metric, param, tag, attribute or dataset; ``name`` is
    canonical (attribute aliases resolved)."""

    entity: str
    name: str

    @property
    def numeric(self) -> bool:
        if self.entity == ATTRIBUTE:
            return self.name in TIME_MS
        return self.entity == METRIC


@dataclass(frozen=True)
class Comparison:
    """One ``key op value`` clause. ``op`` is upper case; IN/NOT IN carry a tuple, IS [NOT] NULL
    carries None."""

    key: Key
    op: str
    value: Value


@dataclass(frozen=True)
class OrderKey:
    key: Key
    ascending: bool


def _unquote(text: str) -> str:
    """The text between a quoted token's quotes, taken literally (MLflow does not unescape)."""
    return text[1:-1]


def _is_quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "`\"'"


class _Parser:
    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.tokens = _tokenize(text, self.error)
        self.index = 0

    def error(self, detail: str, position: int) -> ValueError:
        return ValueError(f'invalid {self.what} "{self.text}": {detail} at position {position}')

    def unexpected(self, token: Token, expected: str) -> ValueError:
        if token.kind == "end":
            return self.error(f"expected {expected} but the {self.what} ended", token.position)
        return self.error(f"unexpected token {token.text!r} (expected {expected})", token.position)

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def key(self) -> Key:
        token = self.take()
        double_quoted = token.kind == "string" and token.text[0] == '"'  # "status", as in MLflow
        if token.kind != "ident" and not double_quoted:
            raise self.unexpected(token, "a key such as metrics.acc")
        text = token.text
        quoted_prefix = _QUOTED_PREFIX.match(text)
        split = quoted_prefix.end() if quoted_prefix else text.find(".")
        prefix, rest = (text, "") if split in (-1, len(text)) else (text[:split], text[split + 1 :])
        prefix = prefix[1:-1] if _is_quoted(prefix) else prefix
        if split in (-1, len(text)):
            entity, name = ATTRIBUTE, prefix
        else:
            entity = _ENTITY_PREFIXES.get(prefix.lower(), "")
            if not entity:
                raise self.error(
                    f"unknown key type {prefix!r} (expected metrics., params., tags., "
                    "attributes. or datasets.)",
                    token.position,
                )
            name = rest[1:-1] if _is_quoted(rest) else rest
        if entity == ATTRIBUTE:
            canonical = _ATTRIBUTE_ALIASES.get(name.lower(), name.lower())
            if canonical not in _STRING_ATTRIBUTES and canonical not in TIME_MS:
                valid = ", ".join(_ATTRIBUTES)
                detail = f"unknown attribute {name!r} (expected one of {valid})"
                raise self.error(detail, token.position)
            name = canonical
        elif entity == DATASET:
            if name.lower() not in _DATASET_COLUMNS:
                valid = ", ".join(_DATASET_COLUMNS)
                raise self.error(f"unknown dataset key {name!r} (expected {valid})", token.position)
            name = name.lower()
        elif not name:
            raise self.error(f"empty key in {token.text!r}", token.position)
        return Key(entity, name)

    def operator(self, key: Key, key_token: Token) -> str:
        """The comparison operator after ``key``, upper case (``<>`` read as ``!=``)."""
        op_token = self.take()
        op = op_token.text.upper() if op_token.kind in ("op", "keyword") else ""
        if op == "<>":
            op = "!="
        elif op == "NOT":
            follow = self.take()
            if follow.text.upper() != "IN":
                raise self.unexpected(follow, "IN after NOT")
            op = "NOT IN"
        elif op == "IS":
            follow = self.take()
            if follow.text.upper() == "NOT":
                op, follow = "IS NOT", self.take()
            if follow.text.upper() != "NULL":
                raise self.unexpected(follow, f"NULL after {op}")
            op += " NULL"
            if key.entity not in (PARAM, TAG):
                raise self.error(
                    f"unexpected token {op_token.text!r}: {op} applies to params and tags only",
                    op_token.position,
                )
            return op
        allowed = _NUMERIC_OPS if key.numeric else _STRING_OPS
        if op not in allowed:
            if op_token.kind not in ("op", "keyword"):
                raise self.unexpected(op_token, "a comparison operator")
            raise self.error(
                f"unexpected token {op_token.text!r}: "
                f"{key_token.text!r} takes one of {', '.join(allowed + self.null_ops(key))}",
                op_token.position,
            )
        return op

    @staticmethod
    def null_ops(key: Key) -> tuple[str, ...]:
        return _NULL_OPS if key.entity in (PARAM, TAG) else ()

    def comparison(self) -> Comparison:
        key_token = self.peek()
        key = self.key()
        op = self.operator(key, key_token)
        if op in _NULL_OPS:
            return Comparison(key, op, None)
        if op in ("IN", "NOT IN"):
            return Comparison(key, op, self.string_list())
        value_token = self.take()
        if key.numeric:
            if value_token.kind != "number":
                raise self.unexpected(value_token, f"a number after {key_token.text!r} {op}")
            return Comparison(key, op, float(value_token.text))
        if value_token.kind != "string":
            raise self.unexpected(value_token, f"a quoted string after {key_token.text!r} {op}")
        return Comparison(key, op, _unquote(value_token.text))

    def string_list(self) -> tuple[str, ...]:
        """A parenthesised list of quoted strings, read as MLflow reads it: as a Python literal
        (so adjacent strings join, ``\\'`` escapes a quote, a trailing comma is allowed)."""
        opening = self.take()
        if opening.text != "(":
            raise self.unexpected(opening, "'(' to open the IN list")
        while True:
            token = self.take()
            if token.kind != "string":
                raise self.unexpected(token, "a quoted string in the IN list")
            separator = self.take()
            while separator.kind == "string":  # 'a' 'b' is 'ab'
                separator = self.take()
            if separator.text == "," and self.peek().text == ")":  # ('a',)
                separator = self.take()
            if separator.text == ")":
                break
            if separator.text != ",":
                raise self.unexpected(separator, "',' or ')' in the IN list")
        source = self.text[opening.position : separator.position + 1]
        try:
            values = ast.literal_eval(source)
        except (SyntaxError, ValueError):
            values = None
        values = (values,) if isinstance(values, str) else values
        if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
            raise self.error(f"the IN list {source!r} is not a list of strings", opening.position)
        return values

    def filter(self) -> list[Comparison]:
        """Comparisons; ``AND`` between them may be repeated or left out, as MLflow allows."""
        clauses: list[Comparison] = []
        while True:
            token = self.peek()
            if token.kind == "end":
                return clauses
            if token.kind == "keyword" and token.text.upper() == "AND":
                self.take()
                continue
            clauses.append(self.comparison())

    def order_key(self) -> OrderKey:
        key_token = self.peek()
        key = self.key()
        if key.entity == DATASET:
            raise self.error(f"runs cannot be ordered by {key_token.text!r}", key_token.position)
        token = self.take()
        ascending = True
        if token.kind == "keyword" and token.text.upper() in ("ASC", "DESC"):
            ascending = token.text.upper() == "ASC"
            token = self.take()
        if token.kind != "end":
            raise self.unexpected(token, "ASC, DESC or the end")
        return OrderKey(key, ascending)


def _tokenize(text: str, error) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] in "'\"`":
                raise error(f"unterminated quote {text[position:]!r}", position)
            raise error(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "ident" and text.startswith(".", match.end()):
            after = text[position : match.end() + 1]
            raise error(f"expected a key name after {after!r}", match.end() + 1)
        if kind == "op" and value not in (*_NUMERIC_OPS, "<>"):
            raise error(f"unexpected token {value!r}", position)
        if kind == "ident" and value.upper() in _KEYWORDS:
            kind = "keyword"
        if kind != "ws":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse_filter(text: str | None) -> list[Comparison]:
    """Parse a filter string into comparisons; ``ValueError`` naming the bad token and position."""
    if text is None or not text.strip():
        return []
    return _Parser(text, "filter").filter()


def parse_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse ``["metrics.acc DESC", "params.lr", ...]``; ``ValueError`` on a malformed item or a
    key ordered twice (``start_time`` and ``created`` are one key)."""
    if isinstance(items, str):
        items = [items]
    keys: list[OrderKey] = []
    for item in items or ():
        parser = _Parser(item, "order_by")
        order = parser.order_key()
        if any(seen.key == order.key for seen in keys):
            raise parser.error(f"{item.strip()!r} orders by a key already ordered by", 0)
        keys.append(order)
    return keys


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def sql_like(value: str | None, pattern: str | None, ignore_case: int) -> int | None:
    """SQL function ``autolog_like(value, pattern, ignore_case)``: LIKE with a case choice."""
    if value is None or pattern is None:
        return None
    return 1 if _like_regex(pattern, bool(ignore_case)).fullmatch(value) else 0


def _condition(column: str, op: str, value: Value) -> tuple[str, list[object]]:
    if op in ("LIKE", "ILIKE"):
        return f"autolog_like({column}, ?, {int(op == 'ILIKE')})", [value]
    if op in ("IN", "NOT IN"):
        assert isinstance(value, tuple)
        return f"{column} {op} ({', '.join('?' * len(value))})", list(value)
    return f"{column} {op} ?", [value]


def _attribute(name: str, artifacts_uri: str) -> tuple[str, list[object]]:
    """The SQL expression of an attribute and its parameters."""
    if name in TIME_MS:
        return TIME_MS[name], []
    column = _STRING_ATTRIBUTES[name]
    if column is None:  # artifact_uri
        return "(? || '/' || r.run_id)", [artifacts_uri]
    return column, []


#: the row of key ``?`` of the run ``r`` in a params, tags or latest_metrics table ``x``
_KEY_ROW = "x.run_pk = r.run_pk AND x.key = ?"


def _key_subquery(table: str, select: str = "x.value") -> str:
    return f"(SELECT {select} FROM {table} x WHERE {_KEY_ROW})"


def filter_to_sql(
    clauses: Sequence[Comparison], *, artifacts_uri: str = ""
) -> tuple[str, list[object]]:
    """A SQL boolean expression over ``runs r JOIN experiments e`` and its parameters.

    ``artifacts_uri`` is the ``file://`` URI of the store's artifact folder (for
    ``attributes.artifact_uri``).
    """
    parts: list[str] = []
    params: list[object] = []
    for clause in clauses:
        key, op, value = clause.key, clause.op, clause.value
        if key.entity == ATTRIBUTE:
            column, column_params = _attribute(key.name, artifacts_uri)
            sql, values = _condition(column, op, value)
            parts.append(sql)
            params.extend(column_params + values)
        elif key.entity == DATASET:
            sql, values = _condition(_DATASET_COLUMNS[key.name], op, value)
            parts.append(f"EXISTS (SELECT 1 FROM datasets d WHERE d.run_pk = r.run_pk AND {sql})")
            params.extend(values)
        elif key.entity == TAG and key.name in _SYSTEM_TAGS:
            column = _SYSTEM_TAGS[key.name]
            if op in _NULL_OPS:
                parts.append(f"{column} {op}")
                continue
            sql, values = _condition(column, op, value)
            parts.append(sql)
            params.extend(values)
        elif op in _NULL_OPS:
            exists = f"EXISTS (SELECT 1 FROM {_KEY_TABLES[key.entity]} x WHERE {_KEY_ROW})"
            parts.append(exists if op == "IS NOT NULL" else f"NOT {exists}")
            params.append(key.name)
        else:
            sql, values = _condition("x.value", op, value)
            if key.entity == METRIC and op == "!=":  # NaN (stored as NULL) differs from anything
                sql = f"({sql} OR x.value IS NULL)"
            table = _KEY_TABLES[key.entity]
            parts.append(f"EXISTS (SELECT 1 FROM {table} x WHERE {_KEY_ROW} AND {sql})")
            params.append(key.name)
            params.extend(values)
    return (" AND ".join(parts) or "1"), params


#: MLflow's final order: newest first (milliseconds), then run id.
DEFAULT_ORDER = f"{TIME_MS['start_time']} DESC, r.run_id"


def order_to_sql(
    keys: Sequence[OrderKey], *, artifacts_uri: str = ""
) -> tuple[str, list[object]]:
    """An ORDER BY list and its parameters: runs lacking a key come last, and for a metric NaN
    comes after every number and before the runs lacking it (MLflow's order); ties are broken
    newest first, then by run id."""
    parts: list[str] = []
    params: list[object] = []
    for order in keys:
        key, direction = order.key, "ASC" if order.ascending else "DESC"
        if key.entity == ATTRIBUTE or (key.entity == TAG and key.name in _SYSTEM_TAGS):
            if key.entity == ATTRIBUTE:
                column, column_params = _attribute(key.name, artifacts_uri)
            else:
                column, column_params = _SYSTEM_TAGS[key.name], []
            parts.append(f"{column} IS NULL, {column} {direction}")
            params.extend(column_params * 2)
            continue
        table = _KEY_TABLES[key.entity]
        column = _key_subquery(table)
        if key.entity == METRIC:  # 0: a number, 1: NaN (a row whose value is NULL), 2: no row
            flag = _key_subquery(table, "x.value IS NULL")
            parts.append(f"COALESCE({flag}, 2), {column} {direction}")
        else:
            parts.append(f"{column} IS NULL, {column} {direction}")
        params.extend([key.name, key.name])
    parts.append(DEFAULT_ORDER)
    return ", ".join(parts), params
