"""`keskinube check` and `keskinube serve`: refuse to start on bad settings, before any page.

Both run the app's own start-up check (`auth.startup.check_startup`: the settings, the
app database, the first admin from ADMIN_USERNAME/ADMIN_PASSWORD). On a problem they
print the one line the page would show and exit with status 2, so a container or a
terminal learns it at once instead of from a browser. `serve` then replaces itself with
`streamlit run ui/app.py`, headless, on `--port` and `--address` (other Streamlit options:
its `STREAMLIT_*` environment variables). The app file is found by path, not imported:
the core never imports the UI.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from backend.errors import KeskinubeError

APP_SCRIPT = Path(__file__).resolve().parents[1] / "ui" / "app.py"


class StartupRefused(KeskinubeError):
    """The app cannot start; the message is the one line to print."""


def register(subparsers: Any) -> None:
    """Add the `check` and `serve` sub-commands."""
    check = subparsers.add_parser(
        "check",
        help="check the settings and the app database, as the app does at start-up",
        description="Exit 0 when the app can start; otherwise print why in one line, exit 2.",
    )
    check.set_defaults(handler=handle_check)
    serve = subparsers.add_parser(
        "serve",
        help="check the settings, then start the web app (streamlit run ui/app.py)",
        description="Refuse to start on bad settings (one line, exit 2); otherwise run "
        "`streamlit run ui/app.py` headless.",
    )
    serve.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    serve.add_argument("--address", help="address to listen on (default: Streamlit's)")
    serve.set_defaults(handler=handle_serve)


def _check() -> None:
    from auth.startup import check_startup, startup_message
    from cli.language import cli_language

    try:
        check_startup()
    except Exception as exc:  # any refusal is one line, never a traceback
        raise StartupRefused(startup_message(exc, cli_language())) from None


def handle_check(args: argparse.Namespace) -> int:
    del args
    _check()
    return 0


def handle_serve(args: argparse.Namespace) -> int:
    _check()
    command = [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT)]
    command += ["--server.port", str(args.port), "--server.headless", "true"]
    if args.address:
        command += ["--server.address", args.address]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
    return 0  # not reached: exec replaced the process
