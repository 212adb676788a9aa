"""autolog's local web UI (``autolog ui``) and static HTML reports (``autolog report``).

Standard library only on the server side; the front end (``static/``) is plain JavaScript with
uPlot vendored in ``static/vendor/``, shipped in the wheel, so nothing is fetched at run time.
Nothing here is imported by ``import autolog``.
"""

from __future__ import annotations

__all__ = ["make_server", "write_report"]


def __getattr__(name: str):
    if name == "make_server":
        from autolog.ui.server import make_server

        return make_server
    if name == "write_report":
        from autolog.ui.report import write_report

        return write_report
    raise AttributeError(name)
