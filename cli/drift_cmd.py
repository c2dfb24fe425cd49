"""`keskinube drift check`: compare the business schema with its index, as the app does.

The check is the app's own (`wiring.drift.check_schema`) and is recorded in the app
database like the app's, so the Monitoring page shows it too. Exit status 0 when the
schema matches the index (or was re-indexed with `--reindex`), 1 when it changed: a
cron job or CI step can act on it. `--json` prints the check as one JSON object.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from cli.language import cli_translator
from cli.source_option import add_database_options, opened_services

if TYPE_CHECKING:
    from backend.i18n import Translator
    from backend.monitoring.schema_checks import SchemaCheck


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    drift = subparsers.add_parser("drift", help="schema drift against the index")
    drift_sub = drift.add_subparsers(dest="drift_command", required=True, metavar="COMMAND")
    check = drift_sub.add_parser(
        "check", help="compare the business schema with the index and record it"
    )
    add_database_options(check)
    check.add_argument("--reindex", action="store_true", help="re-index when it changed")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    from wiring.drift import check_schema, reindex, schema_checks

    tr = cli_translator()
    with opened_services(args) as services:
        checks = schema_checks(services)
        found = check_schema(services, checks)
        if not args.json:
            _print(tr, found)
        if found.in_sync or not args.reindex:
            if args.json:
                print(json.dumps(_as_json(found), ensure_ascii=False))
            return 0 if found.in_sync else 1
        stats, after = reindex(services, checks, username="cli")
    if args.json:
        print(json.dumps({**_as_json(found), "reindexed": _as_json(after)}, ensure_ascii=False))
    else:
        print(tr("cli.index.done", database=services.database, **stats.counts()))
    return 0 if after.in_sync else 1


def _print(tr: Translator, check: SchemaCheck) -> None:
    if check.in_sync:
        print(tr("monitoring.cli.in_sync", database=check.database))
        return
    since = f"{check.at:%Y-%m-%d %H:%M} UTC"
    print(
        tr.count("monitoring.cli.drift", len(check.changes), database=check.database, since=since)
    )
    for change in check.changes:
        what = tr(f"monitoring.schema.{change.kind}.{change.change}")
        name = f"{change.table}.{change.name}" if change.kind == "column" else change.table
        if change.kind == "key":
            name += f" {change.name}"
        shapes = " → ".join(part for part in (change.before, change.after) if part)
        print(f"  {what}: {name}" + (f" ({shapes})" if shapes else ""))
    print(tr("monitoring.cli.reindex_hint"))


def _as_json(check: SchemaCheck) -> dict[str, object]:
    return {
        "database": check.database,
        "in_sync": check.in_sync,
        "since": check.at.isoformat(),
        "checked_at": check.checked_at.isoformat(),
        "changes": [change.to_json() for change in check.changes],
    }
