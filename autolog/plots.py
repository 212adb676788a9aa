"""Plots stored as their data, rendered to PNG when someone looks.

Integrations log a :class:`autolog.records.Plot`: a small JSON-ready *spec* (the numbers of a
confusion matrix, the points of a curve) instead of a rendered image, so a training loop never
pays for rasterising figures nobody opens. The local store keeps the spec as a row of its
database (no file is written during training) and shows it as the artifact
``<artifact path>.json``; reading ``<artifact path>.png`` through :class:`autolog.Client` (or
``autolog plots RUN_ID``) renders it once into the run's artifact folder. Backends that can only
show images (MLflow, W&B, TensorBoard) render it when they deliver it (see
``Backend.log_plot``).

Spec format (``"format": "autolog.plot/1"``), by ``type``:

* ``confusion_matrix``: ``labels`` (strings), ``counts`` (rows: true label, columns: predicted);
* ``curve``: ``x``, ``y`` (equal-length numbers), ``x_label``, ``y_label``, ``label`` (legend),
  optional ``diagonal`` (draw the chance line), ``step`` (draw as steps), ``limits`` ([lo, hi]
  for both axes).

Every spec has a ``title``. Rendering uses ``matplotlib.figure.Figure`` with the Agg canvas
directly: pyplot is never imported, so the user's backend, figures and rcParams are untouched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

FORMAT = "autolog.plot/1"
DPI = 80
#: Confusion matrices with more classes are stored but drawn without per-cell numbers.
MAX_ANNOTATED_CLASSES = 15


def confusion_matrix_spec(title: str, labels: list[str], counts: list[list[Any]]) -> dict[str, Any]:
    """The spec of a confusion matrix (``counts[i][j]``: true ``labels[i]`` predicted ``labels[j]``)."""
    return {"format": FORMAT, "type": "confusion_matrix", "title": title, "labels": labels, "counts": counts}


def curve_spec(
    title: str,
    x: list[float],
    y: list[float],
    *,
    x_label: str,
    y_label: str,
    label: str = "",
    diagonal: bool = False,
    step: bool = False,
    limits: tuple[float, float] | None = (0.0, 1.0),
    **extra: Any,
) -> dict[str, Any]:
    """The spec of a line (or step) plot; ``extra`` keys (thresholds, AUC) are kept for readers."""
    spec = {
        "format": FORMAT,
        "type": "curve",
        "title": title,
        "x": x,
        "y": y,
        "x_label": x_label,
        "y_label": y_label,
        "label": label,
        "diagonal": diagonal,
        "step": step,
        "limits": list(limits) if limits else None,
    }
    spec.update(extra)
    return spec


def spec_json(spec: Mapping[str, Any]) -> str:
    """A spec as compact, valid JSON (NaN and infinities become null)."""
    try:
        return json.dumps(spec, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: the slower, cleaning pass
        return json.dumps(_json_safe(spec), separators=(",", ":"), allow_nan=False)


def write_spec(spec: Mapping[str, Any], path: str) -> None:
    """Write a spec as a JSON file."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(spec_json(spec))


def thin(*columns: Any, max_points: int = 200) -> list[list[Any]]:
    """At most ``max_points`` evenly spaced rows of equal-length columns, always keeping the first
    and the last: a curve keeps its shape on screen for a fraction of the bytes."""
    n = min(len(c) for c in columns) if columns else 0
    if n <= max_points:
        return [list(c[:n]) for c in columns]
    step = (n - 1) / (max_points - 1)
    keep = sorted({round(i * step) for i in range(max_points)})
    return [[c[i] for i in keep] for c in columns]


def read_spec(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise ValueError(f"{path} is not an autolog plot (no format {FORMAT!r})")
    return spec


def available() -> bool:
    """Whether matplotlib is installed (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def render_png(spec: Mapping[str, Any], path: str) -> str:
    """Render ``spec`` to a PNG file at ``path`` (written under a temporary name, then renamed)."""
    kind = spec.get("type")
    if kind == "confusion_matrix":
        figure = _confusion_figure(spec)
    elif kind == "curve":
        figure = _curve_figure(spec)
    else:
        raise ValueError(f"unknown plot type {kind!r}")
    temporary = f"{path}.autolog-tmp-{os.getpid()}"
    try:
        figure.savefig(temporary, format="png")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def render_file(spec_path: str, png_path: str | None = None) -> str:
    """Render the spec file ``x.json`` to ``x.png`` (or ``png_path``) unless it is up to date."""
    target = png_path or os.path.splitext(spec_path)[0] + ".png"
    if os.path.exists(target) and os.path.getmtime(target) >= os.path.getmtime(spec_path):
        return target
    return render_png(read_spec(spec_path), target)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _new_figure(size: tuple[float, float]) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.16, right=0.95, bottom=0.14, top=0.9)  # fixed: no layout pass
    return figure


def _confusion_figure(spec: Mapping[str, Any]) -> Any:
    import numpy as np

    names = [str(label) for label in spec["labels"]]
    counts = np.asarray(spec["counts"], dtype=float)
    n = len(names)
    side = min(4.0 + 0.3 * n, 12.0)
    figure = _new_figure((side, side))
    if n > 4:
        figure.subplots_adjust(bottom=0.2, left=0.2)
    ax = figure.add_subplot()
    ax.imshow(counts, cmap="Blues", interpolation="nearest")
    ticks = list(range(n))
    ax.set_xticks(ticks, names, rotation=45 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_yticks(ticks, names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(spec.get("title", "Confusion matrix"))
    if n <= MAX_ANNOTATED_CLASSES:
        threshold = counts.max() / 2.0 if counts.size else 0
        for i in range(n):
            for j in range(n):
                value = counts[i, j]
                text = f"{int(value)}" if value == int(value) else f"{value:g}"
                ax.text(j, i, text, ha="center", va="center", color="white" if value > threshold else "black")
    return figure


def _curve_figure(spec: Mapping[str, Any]) -> Any:
    figure = _new_figure((5.0, 4.5))
    ax = figure.add_subplot()
    x, y, label = spec["x"], spec["y"], spec.get("label") or None
    if spec.get("step"):
        ax.step(x, y, where="post", label=label)
    else:
        ax.plot(x, y, label=label)
    if spec.get("diagonal"):
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    limits = spec.get("limits")
    if limits:
        low, high = limits
        pad = (high - low) * 0.01
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel(spec.get("x_label", ""))
    ax.set_ylabel(spec.get("y_label", ""))
    ax.set_title(spec.get("title", ""))
    if label:
        ax.legend(loc="lower right")
    return figure
