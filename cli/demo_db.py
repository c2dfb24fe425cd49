"""`keskinube demo-db`: build the demo business database, or write it as a SQL dump."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Any

from backend.errors import KeskinubeError
from backend.i18n.formats import format_number
from backend.i18n.message import Message
from cli.language import cli_translator
from cli.tooling import require_tooling

# Kept in step with demo_data.spec (a test checks), which is not imported here so that
# `keskinube --help` stays instant.
MIN_ORDERS, MAX_ORDERS, DEFAULT_ORDERS = 100, 10_000_000, 50_000


def register(subparsers: Any) -> None:
    """Add the `demo-db` sub-command."""
    parser = subparsers.add_parser(
        "demo-db",
        help="build the demo sales database (SQLite or MySQL/MariaDB)",
        description="Create the demo tables and fill them with deterministic sales data: "
        "three years of orders ending on --end-date.",
    )
    parser.add_argument("--url", help="SQLAlchemy URL (default: the business database setting)")
    parser.add_argument(
        "--orders", type=_orders, default=DEFAULT_ORDERS, help="orders to generate (default 50,000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 9, 30),
        help="last day of the data, YYYY-MM-DD (default 2026-09-30)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--if-missing", action="store_true", help="do nothing when the demo tables already exist"
    )
    mode.add_argument(
        "--replace", action="store_true", help="drop existing demo tables and rebuild them"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--sql-dump",
        type=Path,
        metavar="FILE",
        help="write a MySQL dump to FILE (gzipped if *.gz), not a database",
    )
    parser.set_defaults(handler=handle)


def _orders(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if not MIN_ORDERS <= value <= MAX_ORDERS:
        raise argparse.ArgumentTypeError(f"must be between {MIN_ORDERS:,} and {MAX_ORDERS:,}")
    return value


class DemoRefused(KeskinubeError):
    """The demo would be written into a database the user did not name for it."""


def handle(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    require_tooling("demo_data", command="demo-db")
    if args.sql_dump:
        return _dump(args)
    from backend.config import get_settings
    from demo_data import build_demo_database

    settings = get_settings()
    if args.url is None and not settings.uses_demo_database:
        # Never fill someone's own database with demo tables by default.
        if args.if_missing:
            tr = cli_translator()
            print(tr("cli.demo.own_database_skipped"))
            return 0
        raise DemoRefused(Message.of("cli.demo.own_database_refused"))
    url = args.url or settings.business_database_url
    build = build_demo_database(
        url,
        orders=args.orders,
        seed=args.seed,
        end_date=args.end_date,
        replace=args.replace,
        if_missing=args.if_missing,
        progress=not args.no_progress,
    )
    print(build.summary())
    return 0


def _dump(args: argparse.Namespace) -> int:
    from demo_data import DemoSpec, write_sql_dump

    started = time.perf_counter()
    spec = DemoSpec(orders=args.orders, seed=args.seed, end_date=args.end_date)
    counts = write_sql_dump(args.sql_dump, spec)
    tr = cli_translator()
    rows = ", ".join(f"{format_number(n, tr.language)} {table}" for table, n in counts.items())
    seconds = format_number(time.perf_counter() - started, tr.language, decimals=1, trim=False)
    print(tr("cli.demo.dump_written", path=args.sql_dump, seconds=seconds, rows=rows))
    return 0
