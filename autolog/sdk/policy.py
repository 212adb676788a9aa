"""One home for each rule that integrations, backends and the core must apply alike.

* **Names**: :func:`new_run_id`, :func:`default_run_name`, :data:`DEFAULT_EXPERIMENT`.
* **Params**: :func:`param_string` (how any value becomes a param), :func:`truncate` (the one
  truncation marker, whatever the limit).
* **Metrics**: :func:`metric_value` (what counts as a number: ints, floats, bools as 0/1 as in
  MLflow, numpy scalars, 0-d or one-element tensors; never a string, a list, or a number too big
  for a float) and :func:`metric_step`.
* **Files**: :func:`link_or_copy` (a hard link where possible, a copy otherwise) and
  :func:`link_tree`; :func:`artifact_destination` (where an artifact lands under a run's folder,
  refusing paths that leave it).
* **Frames**: :func:`first_outside_frame`, the nearest caller outside autolog and wrapt (warnings
  point there; sklearn's post-training metrics read the user's variable names there).
* **Types**: :data:`DTYPE_KINDS`, the signature's column types for numpy dtype names.
"""

from __future__ import annotations

import os
import posixpath
import random
import sys
import threading
from types import FrameType
from typing import Any

#: The experiment of runs that name none.
DEFAULT_EXPERIMENT = "Default"
#: The marker :func:`truncate` appends: ``...(truncated, N chars)`` with the full length.
TRUNCATION_MARKER = "...(truncated, {length} chars)"

#: numpy dtype name -> column type of a signature (MLflow's names).
DTYPE_KINDS = {
    "bool": "boolean",
    "int8": "integer", "int16": "integer", "int32": "integer", "int64": "long",
    "uint8": "integer", "uint16": "integer", "uint32": "long", "uint64": "long",
    "float16": "float", "float32": "float", "float64": "double",
    "str": "string", "object": "string", "bytes": "binary",
}

_rng = random.Random()
_rng_lock = threading.Lock()


def _reseed() -> None:
    _rng.seed()  # from os.urandom: a forked child must not repeat its parent's ids


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


def new_run_id() -> str:
    """A new run id: 32 hex digits in UUID4 form (as MLflow's), drawn without a system call.

    ``uuid.uuid4()`` reads ``os.urandom`` and so releases the GIL on every run; on a busy
    two-core machine getting it back costs the training loop up to a thread switch interval.
    """
    with _rng_lock:
        bits = _rng.getrandbits(128)
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    return f"{bits:032x}"


def default_run_name(run_id: str) -> str:
    """The name of a run given none: ``run-<first 8 digits of its id>``."""
    return f"run-{run_id[:8]}"


def param_string(value: Any) -> str:
    """How a param (or tag) value is stored: strings as they are, anything else as its ``str``."""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
        return f"<unprintable {type(value).__name__}>"


def truncate(text: str, limit: int) -> str:
    """``text`` itself when it has at most ``limit`` characters; else its head and the marker giving
    its full length, ``limit`` characters in all (so a backend's hard limit is never passed)."""
    if len(text) <= limit:
        return text
    marker = TRUNCATION_MARKER.format(length=len(text))
    return text[: max(0, limit - len(marker))] + marker if limit > len(marker) else text[:limit]


_NOT_NUMBERS = (str, bytes, bytearray, list, tuple, dict, set, frozenset)


def metric_value(value: Any) -> float | None:
    """``value`` as a metric's float, or None when it is not one number.

    Accepted: int, float (NaN and infinities too: they are stored), bool (1.0 / 0.0, as MLflow
    does), numpy scalars, 0-d and one-element arrays and tensors (moved to the CPU by ``float``).
    Refused: None, strings, containers, and ints too large for a float (``10**400``).
    """
    kind = type(value)
    if kind is float:
        return value
    if kind is int or kind is bool:
        try:
            return float(value)
        except OverflowError:
            return None
    if value is None or isinstance(value, _NOT_NUMBERS):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        return None
    return number


def metric_step(step: Any) -> int | None:
    """``step`` as an int (None means 0), or None when it is not a whole, finite number."""
    if step is None:
        return 0
    if type(step) is int:
        return step
    if isinstance(step, (str, bytes)):
        return None
    try:
        number = float(step)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != number or number in (float("inf"), float("-inf")) or number != int(number):
        return None
    return int(number)


def link_or_copy(source: str, target: str) -> bool:
    """Place ``source`` at ``target`` as a hard link, or copy it where linking fails (another
    filesystem, a filesystem without links). Returns True when it linked."""
    try:
        os.link(source, target)
        return True
    except OSError:
        import shutil

        shutil.copy2(source, target)
        return False


def link_tree(source: str, target: str, skip: frozenset[str] = frozenset(), top_files_only: bool = False) -> list[str]:
    """Recreate the folder ``source`` under ``target`` with hard links (copies where linking
    fails). ``skip`` names top-level entries to leave out. Returns the relative paths placed.
    Symbolic links are followed for files; a dangling one is skipped."""
    import shutil

    placed: list[str] = []
    can_link = True
    for root, dirs, files in os.walk(source):
        rel_root = os.path.relpath(root, source)
        if rel_root == ".":
            dirs[:] = [] if top_files_only else [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        os.makedirs(os.path.join(target, rel_root), exist_ok=True)
        for name in files:
            src = os.path.join(root, name)
            if not os.path.exists(src):
                continue  # a dangling symbolic link
            dst = os.path.normpath(os.path.join(target, rel_root, name))
            if can_link and not os.path.islink(src):
                can_link = link_or_copy(src, dst)
            else:
                shutil.copy2(src, dst)
            placed.append(os.path.relpath(dst, target))
    return placed


def safe_relative_path(path: str) -> str:
    """An artifact path normalised to ``a/b``; ``ValueError`` if it is absolute or leaves the run's
    folder (``..``)."""
    normal = posixpath.normpath(path.replace(os.sep, "/"))
    if normal.startswith(("/", "../")) or normal == "..":
        raise ValueError(f"artifact path {path!r} must stay inside the run's artifact folder")
    return "" if normal == "." else normal


def artifact_destination(local_path: str, artifact_path: str | None) -> str:
    """The relative path an artifact lands at: ``artifact_path``, or the source's base name when
    it is empty. ``ValueError`` for a path that would leave the run's folder."""
    relative = safe_relative_path(artifact_path) if artifact_path else ""
    return relative or os.path.basename(os.path.normpath(local_path))


_INTERNAL_PREFIXES = ("autolog.", "wrapt")


def is_internal_module(name: str) -> bool:
    """Modules whose frames are autolog's own (and wrapt's), not the user's."""
    return name == "autolog" or name.startswith(_INTERNAL_PREFIXES)


def first_outside_frame(depth: int = 1) -> tuple[FrameType | None, int]:
    """The nearest frame above the caller whose module is not autolog's nor wrapt's, and how many
    levels up it is (``warnings.warn``'s ``stacklevel`` for the caller's caller)."""
    frame: FrameType | None = sys._getframe(depth + 1)
    level = depth + 1
    while frame is not None and is_internal_module(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
        level += 1
    return frame, level
