"""`keskinube api`: check the settings, then serve the HTTP API with uvicorn.

The same start-up check as `keskinube serve` (one line and exit 2 on bad settings), then
the API's services are built once (`api.services.open_api_services`: the app database,
the data sources' registry, `main`'s engine and an incremental index of its schema; the
other sources are built and indexed on their first request) and uvicorn serves
`api.create_app` on `--host` and `--port` until stopped. Embedded Qdrant is opened by one
process at a time: beside the web app, set QDRANT_URL (a Qdrant server).
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `api` sub-command."""
    api = subparsers.add_parser(
        "api",
        help="check the settings, then serve the HTTP API (docs at /docs)",
        description="Refuse to start on bad settings (one line, exit 2); otherwise serve "
        "the HTTP API with uvicorn (OpenAPI docs at /docs).",
    )
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    api.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    api.set_defaults(handler=handle_api)


def handle_api(args: argparse.Namespace) -> int:
    import uvicorn

    from api import create_app
    from api.services import open_api_services
    from backend.config import get_settings
    from cli.serve_cmd import handle_check

    handle_check(args)
    services = open_api_services(get_settings())
    # Closed by the app at shutdown: uvicorn then ends the process with the stopping signal.
    uvicorn.run(create_app(services=services, close_services=True), host=args.host, port=args.port)
    return 0
