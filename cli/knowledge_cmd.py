"""`keskinube knowledge draft | export | import`: schema knowledge from the terminal.

`draft` indexes the business database (incrementally) and has the local model describe
the tables that are new or changed since their last draft, printing each table as it is
done. `export` writes the stored knowledge as YAML (stdout or a file) and `import` reads
such a file back: names are checked against the business database's schema (unknown ones
are listed, and the exit status is 1), entries are marked approved or edited. Neither
needs Qdrant or the model, so they work while the app runs; `import` then re-indexes when
it can.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from cli.language import cli_translator
from cli.source_option import add_database_options, index_key, opened_services

if TYPE_CHECKING:
    from backend.knowledge.draft import DraftProgress
    from backend.knowledge.store import KnowledgeStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    knowledge = subparsers.add_parser("knowledge", help="schema knowledge: draft, export, import")
    sub = knowledge.add_subparsers(dest="knowledge_command", required=True, metavar="COMMAND")

    draft = sub.add_parser("draft", help="have the local model describe new or changed tables")
    _add_db(draft)
    draft.add_argument("--max-tables", type=int, help="most tables (model calls) this run")
    draft.add_argument(
        "--table",
        action="append",
        metavar="NAME",
        help="draft only this table (repeat for more); default: every new or changed table",
    )
    draft.set_defaults(handler=_draft)

    export = sub.add_parser("export", help="write the knowledge as YAML")
    _add_db(export)
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_export)

    load = sub.add_parser("import", help="read knowledge YAML (entries become approved/edited)")
    _add_db(load)
    load.add_argument("file", type=Path)
    load.add_argument("--dry-run", action="store_true", help="check the file, save nothing")
    load.set_defaults(handler=_import)


_add_db = add_database_options


def _store(args: argparse.Namespace) -> KnowledgeStore:
    from appdb.engine import create_app_engine
    from appdb.migrate import upgrade
    from backend.config import get_settings
    from backend.knowledge.store import KnowledgeStore

    settings = get_settings()
    engine = create_app_engine(settings.app_db_url)
    upgrade(engine)
    return KnowledgeStore(engine, index_key(args))


def _draft(args: argparse.Namespace) -> int:
    from backend.config import get_settings
    from wiring.services import draft_and_index, index_database, knowledge_model

    tr = cli_translator()
    settings = get_settings()
    with opened_services(args) as services:
        index_database(services)
        report = draft_and_index(
            services,
            knowledge_model(settings),
            max_tables=args.max_tables or settings.knowledge_draft_max_tables,
            only=args.table,
            on_progress=lambda p: print(_progress_line(p), flush=True),
        )
    print(
        tr(
            "knowledge.cli.draft.done",
            drafted=len(report.drafted),
            failed=len(report.failed),
            unchanged=report.unchanged,
            left=len(report.left),
        )
    )
    if report.stopped:
        print(tr("knowledge.cli.draft.stopped", reason=report.stopped), file=sys.stderr)
    return 0 if report.stopped is None else 1


_PROGRESS_KEYS = {
    "drafted": "knowledge.cli.progress.drafted",
    "failed": "knowledge.cli.progress.failed",
}


def _progress_line(progress: DraftProgress) -> str:
    key = _PROGRESS_KEYS[progress.outcome]
    tr = cli_translator()
    return tr(key, done=progress.done, total=progress.total, table=progress.table)


def _export(args: argparse.Namespace) -> int:
    from backend.knowledge.yaml_io import dump_knowledge

    store = _store(args)
    try:
        text = dump_knowledge(store.database, store.load())
    finally:
        store.engine.dispose()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(cli_translator()("knowledge.cli.exported", path=str(args.output)))
    return 0


def _import(args: argparse.Namespace) -> int:
    from backend.adapters.sql_runner import create_database_engine
    from backend.config import get_settings
    from backend.knowledge.yaml_io import KnowledgeFileError, import_knowledge, parse_knowledge
    from backend.schema import introspect

    tr = cli_translator()
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(
            tr("knowledge.cli.unreadable", path=str(args.file), error=str(error)), file=sys.stderr
        )
        return 2
    settings = get_settings()
    business = create_database_engine(args.db or settings.business_database_url)
    try:  # names are checked against the schema as the database has it (no Qdrant needed)
        schema = {t.name: t for t in introspect(business, sample_values=False)}
    finally:
        business.dispose()
    store = _store(args)
    try:
        parsed = parse_knowledge(text, schema)
        saved = import_knowledge(store, parsed, save=not args.dry_run, by="cli")
    except KnowledgeFileError as error:
        print(tr("knowledge.cli.bad_file", path=str(args.file), error=str(error)), file=sys.stderr)
        return 2
    finally:
        store.engine.dispose()
    for name in parsed.unknown:
        print(tr("knowledge.cli.unknown", name=name), file=sys.stderr)
    key = "knowledge.cli.checked" if args.dry_run else "knowledge.cli.imported"
    print(tr(key, entries=saved, terms=len(parsed.terms), unknown=len(parsed.unknown)))
    if not args.dry_run:
        _reindex(args)
    return 1 if parsed.unknown else 0


def _reindex(args: argparse.Namespace) -> None:
    """Bring the index in line now when Qdrant is free; else say how it will be."""
    from backend.errors import KeskinubeError
    from wiring.services import refresh_knowledge

    tr = cli_translator()
    with ExitStack() as stack:
        try:
            services = stack.enter_context(opened_services(args))
        except KeskinubeError:  # Qdrant held by the running app, most often
            print(tr("knowledge.cli.index_later"))
            return
        try:
            if services.engine.tables():
                refresh_knowledge(services)
                print(tr("knowledge.cli.reindexed"))
        except KeskinubeError as error:
            print(tr("knowledge.cli.index_failed", error=str(error)), file=sys.stderr)
