"""``autolog ui`` (serve the local web UI) and ``autolog report`` (write a self-contained HTML page).

    autolog ui [--dir D] [--host 127.0.0.1] [--port 5050]
    autolog report RUN_ID... -o report.html [--dir D] [--title T]
"""

from __future__ import annotations

import argparse
import sys


def add_commands(commands, dir_help: str) -> None:
    """Add ``ui`` and ``report`` to the ``autolog`` command's sub-parsers."""
    ui = commands.add_parser("ui", help="serve a local web UI over the store (read-only)")
    ui.add_argument("--dir", help=dir_help)
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    ui.add_argument("--port", type=int, default=5050, help="port (default 5050; 0 picks a free one)")
    ui.set_defaults(handler=_serve)

    report = commands.add_parser("report", help="write runs as one self-contained HTML file")
    report.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write (default report.html)")
    report.add_argument("--dir", help=dir_help)
    report.add_argument("--title", help="the page's title")
    report.set_defaults(handler=_report)


def _serve(args: argparse.Namespace, out) -> int:
    from autolog.store import default_tracking_dir
    from autolog.ui.server import make_server

    tracking_dir = default_tracking_dir(args.dir)
    try:
        server = make_server(tracking_dir, args.host, args.port, quiet=True)
    except OSError as exc:
        raise ValueError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    print(f"autolog ui: serving {tracking_dir} at http://{shown}:{port}/ (Ctrl-C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("autolog ui: stopped", file=sys.stderr)
    finally:
        server.server_close()
        server.reader.close()
    return 0


def _report(args: argparse.Namespace, out) -> int:
    from autolog.store import default_tracking_dir
    from autolog.ui.reader import StoreUnavailable
    from autolog.ui.report import write_report

    try:
        path = write_report(default_tracking_dir(args.dir), args.run_ids, args.output, args.title)
    except StoreUnavailable as exc:
        raise LookupError(str(exc)) from exc
    print(f"wrote {path}", file=out)
    return 0
