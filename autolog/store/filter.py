"""MLflow's run search grammar, parsed and translated to parametrised SQL.

A filter is comparisons joined by ``AND`` (keywords are case-insensitive)::

    metrics.val_accuracy > 0.85 and params.model = 'gpt2' and attributes.status != 'FAILED'

* keys: ``metrics.<k>`` / ``metric.<k>``, ``params.<k>`` / ``param.<k>``, ``tags.<k>`` /
  ``tag.<k>``, ``attributes.<a>`` / ``attribute.<a>`` / ``attr.<a>`` / ``run.<a>`` or a bare
  attribute name (``status``), as in MLflow. A key with spaces or symbols is quoted with
  backticks or double quotes: ``metrics.`my key` ``, ``tags."mlflow.user"``.
* attributes: ``run_id``, ``run_name`` (or ``name``), ``status``, ``experiment``,
  ``parent_run_id`` (strings); ``start_time``, ``end_time`` (numbers, seconds since the epoch).
* metrics and numeric attributes take ``= != < <= > >=`` and a number; params, tags and string
  attributes take ``= != LIKE ILIKE IN NOT IN`` and quoted strings (``'...'`` or ``"..."``, a
  quote doubled inside). ``LIKE`` is case-sensitive, ``ILIKE`` is not; ``%`` and ``_`` are the
  wildcards.
* a comparison on a key a run lacks excludes that run.

Values never reach the SQL text: every value is a bound parameter, and key names too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Sequence, Union

Value = Union[float, str, tuple[str, ...]]

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"
_ENTITY_PREFIXES = {
    "metric": METRIC, "metrics": METRIC,
    "param": PARAM, "params": PARAM, "parameter": PARAM, "parameters": PARAM,
    "tag": TAG, "tags": TAG,
    "attribute": ATTRIBUTE, "attributes": ATTRIBUTE, "attr": ATTRIBUTE, "run": ATTRIBUTE,
}  # fmt: skip
#: attribute name (and aliases) -> SQL column (``r`` is runs, ``e`` is experiments)
_ATTRIBUTE_COLUMNS = {
    "run_id": "r.run_id",
    "run_name": "r.name",
    "status": "r.status",
    "experiment": "e.name",
    "parent_run_id": "r.parent_run_id",
    "start_time": "r.start_time",
    "end_time": "r.end_time",
}
_ATTRIBUTE_ALIASES = {"name": "run_name", "experiment_name": "experiment"}
_NUMERIC_ATTRIBUTES = {"start_time", "end_time"}
_KEY_TABLES = {METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}

_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_KEYWORDS = {"AND", "LIKE", "ILIKE", "IN", "NOT", "ASC", "DESC"}

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
    |(?P<ident>[^\W\d]\w*(?:\.(?:`[^`]*`|"[^"]*"|[^\s=!<>(),'"`]+))?)
    |(?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    |(?P<op>[<>=!]+)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number, ident, string, op, punct, keyword, end
    text: str
    position: int


@dataclass(frozen=True)
class Key:
    """A key of a run: ``entity`` is metric, param, tag or attribute; ``name`` is canonical."""

    entity: str
    name: str

    @property
    def numeric(self) -> bool:
        if self.entity == ATTRIBUTE:
            return self.name in _NUMERIC_ATTRIBUTES
        return self.entity == METRIC


@dataclass(frozen=True)
class Comparison:
    """One ``key op value`` clause. ``op`` is upper case; IN/NOT IN carry a tuple."""

    key: Key
    op: str
    value: Value


@dataclass(frozen=True)
class OrderKey:
    key: Key
    ascending: bool


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
        if token.kind != "ident":
            raise self.unexpected(token, "a key such as metrics.acc")
        prefix, dot, rest = token.text.partition(".")
        if not dot:
            entity, name = ATTRIBUTE, prefix
        else:
            entity = _ENTITY_PREFIXES.get(prefix.lower(), "")
            if not entity:
                raise self.error(
                    f"unknown key type {prefix!r} "
                    "(expected metrics., params., tags. or attributes.)",
                    token.position,
                )
            name = rest[1:-1] if rest[:1] in "`\"" and len(rest) >= 2 else rest
        if entity == ATTRIBUTE:
            canonical = _ATTRIBUTE_ALIASES.get(name.lower(), name.lower())
            if canonical not in _ATTRIBUTE_COLUMNS:
                valid = ", ".join(sorted(_ATTRIBUTE_COLUMNS))
                detail = f"unknown attribute {name!r} (expected one of {valid})"
                raise self.error(detail, token.position)
            name = canonical
        elif not name:
            raise self.error(f"empty key in {token.text!r}", token.position)
        return Key(entity, name)

    def comparison(self) -> Comparison:
        key_token = self.peek()
        key = self.key()
        op_token = self.take()
        op = op_token.text.upper() if op_token.kind in ("op", "keyword") else ""
        if op == "<>":
            op = "!="
        if op == "NOT":
            follow = self.take()
            if follow.text.upper() != "IN":
                raise self.unexpected(follow, "IN after NOT")
            op = "NOT IN"
        allowed = _NUMERIC_OPS if key.numeric else _STRING_OPS
        if op not in allowed:
            if op_token.kind not in ("op", "keyword"):
                raise self.unexpected(op_token, "a comparison operator")
            raise self.error(
                f"unexpected token {op_token.text!r}: "
                f"{key_token.text!r} takes one of {', '.join(allowed)}",
                op_token.position,
            )
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
        opening = self.take()
        if opening.text != "(":
            raise self.unexpected(opening, "'(' to open the IN list")
        values = []
        while True:
            token = self.take()
            if token.kind != "string":
                raise self.unexpected(token, "a quoted string in the IN list")
            values.append(_unquote(token.text))
            separator = self.take()
            if separator.text == ")":
                return tuple(values)
            if separator.text != ",":
                raise self.unexpected(separator, "',' or ')' in the IN list")

    def filter(self) -> list[Comparison]:
        clauses: list[Comparison] = []
        if self.peek().kind == "end":
            return clauses
        while True:
            clauses.append(self.comparison())
            token = self.take()
            if token.kind == "end":
                return clauses
            if token.text.upper() != "AND":
                raise self.unexpected(token, "AND or the end of the filter")

    def order_key(self) -> OrderKey:
        key = self.key()
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
            if text[position] in "'\"":
                raise error(f"unterminated string {text[position:]!r}", position)
            raise error(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "ident" and "." not in value and text.startswith(".", match.end()):
            raise error(f"expected a key name after {value + '.'!r}", match.end() + 1)
        if kind == "op" and value not in _NUMERIC_OPS + ("<>",):
            raise error(f"unexpected token {value!r}", position)
        if kind == "ident" and value.upper() in _KEYWORDS:
            kind = "keyword"
        if kind != "ws":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _unquote(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def parse_filter(text: str | None) -> list[Comparison]:
    """Parse a filter string into comparisons; ``ValueError`` naming the bad token and position."""
    if text is None or not text.strip():
        return []
    return _Parser(text, "filter").filter()


def parse_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse ``["metrics.acc DESC", "params.lr", ...]``; ``ValueError`` on a malformed item."""
    if isinstance(items, str):
        items = [items]
    return [_Parser(item, "order_by").order_key() for item in items or ()]


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


def filter_to_sql(clauses: Sequence[Comparison]) -> tuple[str, list[object]]:
    """A SQL boolean expression over ``runs r JOIN experiments e`` and its parameters."""
    parts: list[str] = []
    params: list[object] = []
    for clause in clauses:
        if clause.key.entity == ATTRIBUTE:
            sql, values = _condition(_ATTRIBUTE_COLUMNS[clause.key.name], clause.op, clause.value)
            parts.append(sql)
            params.extend(values)
            continue
        sql, values = _condition("x.value", clause.op, clause.value)
        table = _KEY_TABLES[clause.key.entity]
        parts.append(
            f"EXISTS (SELECT 1 FROM {table} x WHERE x.run_pk = r.run_pk AND x.key = ? AND {sql})"
        )
        params.append(clause.key.name)
        params.extend(values)
    return (" AND ".join(parts) or "1"), params


def order_to_sql(keys: Sequence[OrderKey]) -> tuple[str, list[object]]:
    """An ORDER BY list (runs lacking a key last; then newest first) and its parameters."""
    parts: list[str] = []
    params: list[object] = []
    for order in keys:
        direction = "ASC" if order.ascending else "DESC"
        if order.key.entity == ATTRIBUTE:
            column = _ATTRIBUTE_COLUMNS[order.key.name]
            parts.append(f"{column} IS NULL, {column} {direction}")
            continue
        table = _KEY_TABLES[order.key.entity]
        column = f"(SELECT x.value FROM {table} x WHERE x.run_pk = r.run_pk AND x.key = ?)"
        parts.append(f"{column} IS NULL, {column} {direction}")
        params.extend([order.key.name, order.key.name])
    parts.append("r.start_time DESC, r.run_id")
    return ", ".join(parts), params
