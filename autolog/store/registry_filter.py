"""MLflow's registry search grammar (``search_registered_models``, ``search_model_versions``),
parsed with the run filter's tokenizer and translated to parametrised SQL.

Registered models::

    name = 'churn'    name LIKE 'churn-%'    name ILIKE '%CHURN%'    tags.team = 'red'

Model versions::

    name = 'churn' and version_number >= 2    run_id IN ('a1', 'b2')
    source_path LIKE 'file:///%'              tags.`validation status` = 'passed'

* keys: a bare attribute (``name``), ``attribute.<a>``, ``tag.<k>`` / ``tags.<k>``; a key with
  spaces or symbols is quoted with backticks or double quotes.
* string attributes (``name``; for versions also ``run_id`` and ``source_path``) take
  ``= != LIKE ILIKE`` and a quoted string; ``name`` and ``run_id`` also ``IN`` / ``NOT IN`` and a
  parenthesised list of quoted strings. ``version_number`` takes ``= != < <= > >=`` and an
  integer (or a quoted integer, as MLflow allows). Tags take ``= != LIKE ILIKE``; a comparison
  on a tag the entity lacks excludes it.
* ``LIKE`` is case-sensitive, ``ILIKE`` is not; ``%`` and ``_`` are the wildcards.

Checked side by side against MLflow's SQLite registry by ``tests/registry/test_mlflow_parity.py``;
what autolog accepts beyond MLflow is :data:`SUPERSETS`. A malformed filter raises
:class:`~autolog.store.entities.RegistryError` (a ``ValueError``) naming the bad token and its
position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autolog.store.entities import RegistryError
from autolog.store.filter import ATTRIBUTE, TAG, Comparison, Key, Token, _is_quoted, _Parser, _unquote

#: What autolog accepts and MLflow's registry search rejects.
SUPERSETS = {
    "any-case": "the prefixes attribute(s). and tag(s). in any case, and attributes. in the plural",
    "numbers": "a version number with a leading + (version_number = +1)",
    "orders": "registered models ordered by creation_timestamp",
    "whitespace": "whitespace around an order_by item, and one order_by item given as a string",
}

_PREFIXES = {"attribute": ATTRIBUTE, "attributes": ATTRIBUTE, "tag": TAG, "tags": TAG}
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_LIST_OPS = ("IN", "NOT IN")
_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Searchable:
    """What one registry search can filter and order on: attribute -> SQL column."""

    what: str
    strings: dict[str, str]
    numbers: dict[str, str]
    lists: frozenset[str]
    order: dict[str, str]
    tag_table: str
    tag_join: str


REGISTERED_MODELS = Searchable(
    what="registered model",
    strings={"name": "m.name"},
    numbers={},
    lists=frozenset({"name"}),
    order={"name": "m.name", "timestamp": "m.last_updated_time",
           "last_updated_timestamp": "m.last_updated_time", "creation_timestamp": "m.creation_time"},
    tag_table="registered_model_tags",
    tag_join="t.name = m.name",
)
MODEL_VERSIONS = Searchable(
    what="model version",
    strings={"name": "v.name", "run_id": "v.run_id", "source_path": "v.source"},
    numbers={"version_number": "v.version"},
    lists=frozenset({"name", "run_id"}),
    order={"name": "v.name", "version_number": "v.version", "creation_timestamp": "v.creation_time",
           "last_updated_timestamp": "v.last_updated_time"},
    tag_table="model_version_tags",
    tag_join="t.name = v.name AND t.version = v.version",
)


class _RegistryParser(_Parser):
    def __init__(self, text: str, what: str, searchable: Searchable) -> None:
        self.searchable = searchable
        super().__init__(text, what)

    def error(self, detail: str, position: int) -> ValueError:
        return RegistryError(f'invalid {self.what} "{self.text}": {detail} at position {position}')

    def key(self) -> Key:
        token = self.take()
        if token.kind != "ident" and not (token.kind == "string" and token.text[0] == '"'):
            raise self.unexpected(token, "a key such as name or tags.<key>")
        text = token.text
        if text.startswith("`") or "." not in text:
            prefix, rest = "", text
        else:
            prefix, _, rest = text.partition(".")
        name = rest[1:-1] if _is_quoted(rest) else rest
        entity = ATTRIBUTE
        if prefix:
            found = _PREFIXES.get(prefix.lower())
            if found is None:
                raise self.error(f"unknown key type {prefix!r} (expected attribute. or tags.)", token.position)
            entity = found
        if entity == TAG:
            if not name:
                raise self.error(f"empty key in {text!r}", token.position)
            return Key(TAG, name)
        valid = (*self.searchable.strings, *self.searchable.numbers)
        if name not in valid or _is_quoted(rest):  # MLflow takes attribute names unquoted only
            raise self.error(
                f"unknown {self.searchable.what} attribute {name!r} (expected one of {', '.join(valid)})",
                token.position,
            )
        return Key(ATTRIBUTE, name)

    def comparison(self) -> Comparison:
        key_token = self.peek()
        key = self.key()
        numeric = key.entity == ATTRIBUTE and key.name in self.searchable.numbers
        allowed: tuple[str, ...] = _NUMERIC_OPS if numeric else _STRING_OPS
        if key.entity == ATTRIBUTE and key.name in self.searchable.lists:
            allowed = allowed + _LIST_OPS
        op_token = self.take()
        op = op_token.text.upper() if op_token.kind in ("op", "keyword") else ""
        if op == "NOT" and self.peek().text.upper() == "IN":
            self.take()
            op = "NOT IN"
        if op not in allowed:
            if op_token.kind not in ("op", "keyword"):
                raise self.unexpected(op_token, "a comparison operator")
            raise self.error(
                f"unexpected token {op_token.text!r}: {key_token.text!r} takes one of {', '.join(allowed)}",
                op_token.position,
            )
        if op in _LIST_OPS:
            return Comparison(key, op, self.string_list())
        value_token = self.take()
        if numeric:
            return Comparison(key, op, self._integer(value_token, key_token, op))
        if value_token.kind != "string":
            raise self.unexpected(value_token, f"a quoted string after {key_token.text!r} {op}")
        return Comparison(key, op, _unquote(value_token.text))

    def _integer(self, token: Token, key_token: Token, op: str) -> str:
        text = _unquote(token.text) if token.kind == "string" else token.text
        if token.kind not in ("number", "string") or not text.strip().lstrip("+-").isdigit():
            raise self.unexpected(token, f"an integer after {key_token.text!r} {op}")
        return str(int(text))

    def order_item(self) -> tuple[str, bool]:
        token = self.take()
        name = token.text if token.kind == "ident" else ""
        if name not in self.searchable.order:
            valid = ", ".join(self.searchable.order)
            raise self.error(f"cannot order by {token.text!r} (expected one of {valid})", token.position)
        ascending = True
        follow = self.take()
        if follow.kind == "keyword" and follow.text.upper() in ("ASC", "DESC"):
            ascending = follow.text.upper() == "ASC"
            follow = self.take()
        if follow.kind != "end":
            raise self.unexpected(follow, "ASC, DESC or the end")
        return self.searchable.order[name], ascending


def parse_filter(text: str | None, searchable: Searchable) -> list[Comparison]:
    """The comparisons of a registry filter; :class:`RegistryError` naming a bad token."""
    if text is None or not text.strip():
        return []
    return _RegistryParser(text, "filter", searchable).filter()


def parse_order_by(items: Sequence[str] | None, searchable: Searchable) -> list[tuple[str, bool]]:
    """``(column, ascending)`` per ``order_by`` item; a column named twice is refused."""
    if isinstance(items, str):
        items = [items]
    keys: list[tuple[str, bool]] = []
    for item in items or ():
        parser = _RegistryParser(item, "order_by", searchable)
        column, ascending = parser.order_item()
        if any(seen == column for seen, _ in keys):
            raise parser.error(f"{item.strip()!r} orders by a key already ordered by", 0)
        keys.append((column, ascending))
    return keys


def _condition(column: str, op: str, value: object) -> tuple[str, list[object]]:
    if op in ("LIKE", "ILIKE"):
        return f"autolog_like({column}, ?, {int(op == 'ILIKE')})", [value]
    if op in _LIST_OPS:
        assert isinstance(value, tuple)
        return f"{column} {op} ({', '.join('?' * len(value))})", list(value)
    return f"{column} {op} ?", [value]


def filter_to_sql(clauses: Sequence[Comparison], searchable: Searchable) -> tuple[str, list[object]]:
    """A SQL boolean expression over the searched table (``m`` or ``v``) and its parameters."""
    parts: list[str] = []
    params: list[object] = []
    for clause in clauses:
        if clause.key.entity == TAG:
            sql, values = _condition("t.value", clause.op, clause.value)
            parts.append(
                f"EXISTS (SELECT 1 FROM {searchable.tag_table} t WHERE {searchable.tag_join} "
                f"AND t.key = ? AND {sql})"
            )
            params.extend([clause.key.name, *values])
            continue
        column = searchable.strings.get(clause.key.name) or searchable.numbers[clause.key.name]
        value = int(clause.value) if clause.key.name in searchable.numbers else clause.value  # type: ignore[arg-type]
        sql, values = _condition(column, clause.op, value)
        parts.append(sql)
        params.extend(values)
    return (" AND ".join(parts) or "1"), params
