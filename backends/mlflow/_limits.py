"""How autolog's names and values are made to fit MLflow's limits. Pure functions, no mlflow import.

Names (metric, param and tag keys) go through :func:`sanitize_key`; long values through
:func:`truncate`; request payloads through :func:`chunked`. The rules are documented in the
package docstring of ``autolog.backends.mlflow``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from autolog.sdk import policy

T = TypeVar("T")

#: Appended to a value cut to fit MLflow's length limit.
TRUNCATION_MARKER = policy.TRUNCATION_MARKER

# Every character MLflow accepts in a key on every server platform: word characters, "." "-" " "
# and "/" (a colon is valid only on non-Windows servers, so it is replaced too).
_DISALLOWED = re.compile(r"[^\w.\- /]")


@dataclass(frozen=True)
class Limits:
    """MLflow's limits, read from ``mlflow.utils.validation`` where it has them (:func:`from_mlflow`)."""

    max_key_length: int = 250
    max_param_value_length: int = 6000
    max_tag_value_length: int = 8000
    max_metrics_per_batch: int = 1000
    max_params_tags_per_batch: int = 100
    #: bytes per request; MLflow refuses bodies over 1,000,000, this leaves room for the envelope
    max_request_bytes: int = 900_000

    @classmethod
    def from_mlflow(cls) -> Limits:
        try:
            from mlflow.utils import validation as v
        except ImportError:
            return cls()
        base = cls()
        return cls(
            max_key_length=getattr(v, "MAX_ENTITY_KEY_LENGTH", base.max_key_length),
            max_param_value_length=getattr(v, "MAX_PARAM_VAL_LENGTH", base.max_param_value_length),
            max_tag_value_length=getattr(v, "MAX_TAG_VAL_LENGTH", base.max_tag_value_length),
            max_metrics_per_batch=getattr(v, "MAX_METRICS_PER_BATCH", base.max_metrics_per_batch),
            max_params_tags_per_batch=getattr(
                v, "MAX_PARAMS_TAGS_PER_BATCH", base.max_params_tags_per_batch
            ),
            max_request_bytes=int(
                getattr(v, "MAX_BATCH_LOG_REQUEST_SIZE", 1_000_000) * 0.9
            ),
        )


@functools.lru_cache(maxsize=65536)
def sanitize_key(key: str, max_length: int = 250) -> str:
    """Return a key MLflow accepts; the same ``key`` always gives the same result, and two
    different keys never give the same one.

    A key MLflow accepts as it is stays as it is. Any other is cleaned (each disallowed character
    becomes ``_``; the key is read as a ``/``-separated path whose empty and ``.`` segments are
    dropped and whose ``..`` segments become ``__``; an empty result is ``_``), cut to fit
    ``max_length``, and ends in ``_`` plus the first 6 hex digits of the SHA-1 of the original:
    ``eval:loss`` and ``eval_loss`` are different metrics, and stay so in MLflow.
    """
    cleaned = _DISALLOWED.sub("_", key)
    segments = ("__" if part == ".." else part for part in cleaned.split("/") if part not in ("", "."))
    cleaned = "/".join(segments) or "_"
    if cleaned == key and len(key) <= max_length:
        return key
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return cleaned[: max_length - len(digest) - 1] + "_" + digest


def truncate(value: str, limit: int) -> str:
    """``value`` cut to MLflow's ``limit`` with the SDK's one truncation marker."""
    return policy.truncate(value, limit)


@functools.lru_cache(maxsize=4096)
def metric_size(key: str) -> int:
    """Upper bound of a metric's bytes in a ``log-batch`` request body."""
    return len(json.dumps(key)) + 96


def entry_size(key: str, value: str) -> int:
    """Upper bound of a param's or tag's bytes in a ``log-batch`` request body."""
    return len(json.dumps(key)) + len(json.dumps(value)) + 32


def chunked(
    items: Sequence[T], max_count: int, max_bytes: int, size_of: Callable[[T], int]
) -> Iterator[list[T]]:
    """Split ``items`` in order into lists of at most ``max_count`` items and ``max_bytes`` bytes."""
    chunk: list[T] = []
    size = 0
    for item in items:
        item_size = size_of(item)
        if chunk and (len(chunk) >= max_count or size + item_size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += item_size
    if chunk:
        yield chunk


def clean_artifact_path(path: str | None) -> str | None:
    """A relative POSIX artifact path without ``.``/``..`` segments, or None for the root."""
    if not path:
        return None
    parts = [("__" if p == ".." else p) for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts) or None
