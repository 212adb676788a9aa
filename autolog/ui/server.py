"""``autolog ui``: a local HTTP server with a JSON API over the store and a single-page front end.

Standard library only (``http.server.ThreadingHTTPServer``). Read-only: only GET and HEAD exist.
Bound to 127.0.0.1 by default; when bound to a loopback address, requests naming another host
(DNS rebinding) are refused. Every failure is a JSON ``{"error": message}`` with a 4xx/5xx status
and the server goes on serving: a bad filter is 400 with the filter's positional message, an
unknown run 404, a path with ``..`` 400 (nothing is opened), a missing or corrupt store 503.

API (all GET, all JSON unless said)::

    /api/experiments
    /api/columns?experiment=E                              param and metric keys (table columns)
    /api/runs?experiment=E&filter=F&order_by=K&params=a,b&metrics=c,d&offset=0&limit=100
    /api/runs/<id>                                         one run, with its plots as data
    /api/runs/<id>/metric?key=K&points=1000[&after_step=S&after_ts=T]
    /api/runs/<id>/artifacts                               file tree and model cards
    /api/runs/<id>/artifact?path=P                         the file's bytes (previews)
    /api/compare?runs=a,b,c

Each response carries ``Server-Timing: app;dur=<ms>``, the time spent answering it.
"""

from __future__ import annotations

import http.server
import json
import math
import mimetypes
import os
import sqlite3
import sys
import time
import urllib.parse
from typing import Any

from autolog.store.entities import RunNotFound
from autolog.ui import artifacts, data
from autolog.ui.reader import StoreReader, StoreUnavailable
from autolog.ui.series import SeriesCache

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
#: Artifact types a preview may show inline; anything else is sent as a download.
_INLINE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".txt", ".log", ".csv", ".tsv", ".json", ".md",
           ".yaml", ".yml", ".py", ".cfg", ".ini", ".toml")


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None, so the JSON is valid for browsers."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def to_json(value: Any) -> bytes:
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
    except ValueError:
        return json.dumps(json_safe(value), separators=(",", ":")).encode()


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class UIServer(http.server.ThreadingHTTPServer):
    """The HTTP server; ``reader`` is the store it serves."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], reader: StoreReader, *, quiet: bool = True) -> None:
        super().__init__(address, UIHandler)
        self.reader = reader
        self.series_cache = SeriesCache()
        self.quiet = quiet
        self.loopback = address[0] in _LOOPBACK_NAMES or address[0].startswith("127.")


class UIHandler(http.server.BaseHTTPRequestHandler):
    server: UIServer
    server_version = "autolog-ui"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        started = time.perf_counter()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            self._check_host()
            if url.path.startswith("/api/"):
                status, body, ctype, extra = self._api(url.path[len("/api/"):], query)
            else:
                status, body, ctype, extra = self._static(url.path)
        except HttpError as exc:
            status, body, ctype, extra = exc.status, to_json({"error": str(exc)}), "application/json", {}
        except StoreUnavailable as exc:
            status, body, ctype, extra = 503, to_json({"error": str(exc)}), "application/json", {}
        except Exception as exc:  # noqa: BLE001 - the server reports it and keeps serving
            print(f"autolog ui: error answering {self.path}: {exc!r}", file=sys.stderr)
            status, body, ctype, extra = 500, to_json({"error": f"internal error: {exc}"}), "application/json", {}
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _check_host(self) -> None:
        if not self.server.loopback:
            return
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host and name not in _LOOPBACK_NAMES and not name.startswith("127."):
            raise HttpError(403, f"host {host!r} refused: this server answers only on localhost")

    def _static(self, path: str) -> tuple[int, bytes, str, dict[str, str]]:
        name = "index.html" if path in ("/", "/index.html") else path[len("/static/"):] if path.startswith("/static/") else None
        if name is None:
            raise HttpError(404, f"no page {path!r}")
        try:
            relative = artifacts.checked_path(urllib.parse.unquote(name))
        except ValueError:
            raise HttpError(404, f"no file {path!r}") from None
        full = os.path.realpath(os.path.join(STATIC_DIR, *relative.split("/")))
        if not relative or not os.path.isfile(full) or not full.startswith(os.path.realpath(STATIC_DIR) + os.sep):
            raise HttpError(404, f"no file {path!r}")
        with open(full, "rb") as fh:
            body = fh.read()
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            ctype += "; charset=utf-8"
        return 200, body, ctype, {}

    def _api(self, route: str, query: dict[str, list[str]]) -> tuple[int, bytes, str, dict[str, str]]:
        reader = self.server.reader
        parts = [urllib.parse.unquote(p) for p in route.split("/")]
        one = lambda name, default="": (query.get(name) or [default])[0]  # noqa: E731
        listed = lambda name: [item for value in query.get(name, []) for item in value.split(",") if item]  # noqa: E731
        try:
            with reader.connection() as conn:
                if parts == ["experiments"]:
                    return self._json(data.experiments(conn))
                if parts == ["columns"]:
                    return self._json(data.column_keys(conn, one("experiment") or None))
                if parts == ["runs"]:
                    return self._json(data.runs_table(
                        conn, experiment=one("experiment") or None, filter_string=one("filter"),
                        order_by=[o for o in query.get("order_by", []) if o.strip()],
                        params=listed("params"), metrics=listed("metrics"),
                        offset=_int(one("offset", "0"), "offset"), limit=_int(one("limit", "100"), "limit"),
                        dead=reader.dead_runs(conn), artifacts_uri=reader.artifacts_uri,
                    ))
                if parts == ["compare"]:
                    ids = listed("runs")
                    if not ids:
                        raise HttpError(400, "give the runs to compare: /api/compare?runs=ID,ID")
                    return self._json(data.compare(conn, ids, dead=reader.dead_runs(conn), artifacts_uri=reader.artifacts_uri))
                if len(parts) >= 2 and parts[0] == "runs":
                    return self._run_api(conn, parts[1], parts[2:], one)
        except (ValueError, TypeError) as exc:
            raise HttpError(400, str(exc)) from exc
        except (RunNotFound, FileNotFoundError) as exc:
            raise HttpError(404, str(exc.args[0] if exc.args else exc)) from exc
        except sqlite3.OperationalError as exc:
            raise HttpError(503, f"cannot read the store: {exc}") from exc
        raise HttpError(404, f"no API endpoint /api/{route}")

    def _run_api(self, conn: sqlite3.Connection, run_id: str, rest: list[str], one) -> tuple[int, bytes, str, dict[str, str]]:
        reader = self.server.reader
        run_dir = reader.run_artifact_dir(run_id)
        if rest == []:
            return self._json(data.run_detail(conn, run_id, dead=reader.dead_runs(conn), artifacts_uri=reader.artifacts_uri))
        if rest == ["metric"]:
            key = one("key")
            if not key:
                raise HttpError(400, "give the metric: ?key=NAME")
            after = None
            if one("after_step"):
                after = (_int(one("after_step"), "after_step"), float(one("after_ts", "0") or 0))
            points = _int(one("points", "1000"), "points")
            return self._json(data.series(conn, run_id, key, points, after, cache=self.server.series_cache))
        if rest == ["artifacts"]:
            root = reader.store.artifacts_root
            return self._json({"files": artifacts.tree(conn, run_id, run_dir, root),
                               "models": artifacts.model_cards(conn, run_id, run_dir, root)})
        if rest == ["artifact"]:
            path = one("path")
            body, truncated = artifacts.read(conn, run_id, path, run_dir, reader.store.artifacts_root)
            ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
            extra = {"Content-Security-Policy": "sandbox", "X-Truncated": "1" if truncated else "0"}
            if not path.lower().endswith(_INLINE):
                extra["Content-Disposition"] = "attachment"
                ctype = "application/octet-stream"
            elif ctype.startswith("text/") or ctype == "application/json":
                ctype += "; charset=utf-8"
            return 200, body, ctype, extra
        raise HttpError(404, f"no API endpoint for run {run_id!r}: {'/'.join(rest)}")

    @staticmethod
    def _json(value: Any) -> tuple[int, bytes, str, dict[str, str]]:
        return 200, to_json(value), "application/json", {}


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {text!r}") from None


def make_server(tracking_dir: str, host: str = "127.0.0.1", port: int = 5050, *, quiet: bool = True) -> UIServer:
    """A server for ``tracking_dir`` bound to ``host:port`` (port 0: any free port); call
    ``serve_forever()`` on it."""
    return UIServer((host, port), StoreReader(tracking_dir), quiet=quiet)
