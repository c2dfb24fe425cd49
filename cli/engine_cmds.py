"""`keskinube index | ask | schema search | sql check`: the engine from the terminal.

Every command takes the business database from `DATABASE_URL` (or `--db URL`), so it
works on any MySQL/MariaDB or SQLite schema, not only the demo. What `ask` and `index`
print for people is in the CLI's language; `--json` and JSONL output stay as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.errors import KeskinubeError
from backend.i18n import render
from backend.i18n.message import Message
from cli.language import cli_language, cli_translator
from cli.source_option import MAIN, add_database_options, opened_services

if TYPE_CHECKING:
    from auth.services import AuthServices
    from backend.domain import Actor, Answer
    from backend.sql_guard import SqlLimits
    from vectorstore.store import IndexStats
    from wiring.services import Services


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = subparsers.add_parser("index", help="index the business schema in Qdrant")
    _add_db(index)
    index.add_argument("--no-progress", action="store_true", help="no progress bar")
    index.set_defaults(handler=_index)

    ask = subparsers.add_parser("ask", help="answer one question (SQL, table, timings)")
    _add_db(ask)
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--user",
        help="answer as this user: their role, access rules and row filters; audited "
        "(default: CLI_USER, else ADMIN_USERNAME)",
    )
    ask.set_defaults(handler=_ask)

    schema = subparsers.add_parser("schema", help="schema retrieval tools")
    schema_sub = schema.add_subparsers(dest="schema_command", required=True, metavar="COMMAND")
    search = schema_sub.add_parser("search", help="rank tables for a question (no LLM)")
    _add_db(search)
    search.add_argument("question", nargs="?")
    search.add_argument("--questions", type=Path, help='JSONL file of {"id", "question"}')
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.add_argument("--sparse-only", action="store_true", help="skip dense embeddings")
    search.set_defaults(handler=_schema_search)

    sql = subparsers.add_parser("sql", help="SQL tools")
    sql_sub = sql.add_subparsers(dest="sql_command", required=True, metavar="COMMAND")
    check = sql_sub.add_parser("check", help='run the guard on a JSONL file of {"id", "sql"}')
    _add_db(check)
    check.add_argument("--file", type=Path, required=True)
    check.add_argument("--role", help="apply this role's access policy")
    check.set_defaults(handler=_sql_check)


_add_db = add_database_options
_services = opened_services


def _cli_actor(services: Services, role: str | None = None) -> Actor:
    """The terminal user: unrestricted, or with `role`'s access policy from the app DB."""
    from backend.domain import Actor

    if role is None:
        return Actor(username="cli", role="admin", source=services.source)
    from auth.roles import is_role
    from auth.services import open_auth

    if not is_role(role):
        raise KeskinubeError(Message.of("cli.unknown_role", role=role))
    auth = open_auth(services.settings.app_db_url)
    try:
        policy = auth.policies.policy_for_role(role, source=services.source)
        return Actor(username="cli", role=role, policy=policy, source=services.source)
    finally:
        auth.close()


def _index(args: argparse.Namespace) -> int:
    with _services(args) as services:
        stats = index_with_bar(services, no_progress=args.no_progress)
    tr = cli_translator()
    print(tr("cli.index.done", database=services.database, **stats.counts()))
    return 0


def index_with_bar(services: Services, *, no_progress: bool) -> IndexStats:
    """Index `services`' database incrementally, with a progress bar on a terminal."""
    from tqdm import tqdm

    from wiring.services import index_database

    bar = tqdm(total=0, unit="table", disable=no_progress or not sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        return index_database(services, progress=progress)
    finally:
        bar.close()


def _ask(args: argparse.Namespace) -> int:
    from auth.startup import open_app_auth
    from backend.answer_json import answer_to_json
    from wiring.services import answer_service

    with _services(args) as services:
        auth = open_app_auth(services.settings)
        try:
            actor = _named_actor(
                auth, args.user or services.settings.cli_user_name, source=services.source
            )
            service = answer_service(services, auth.audit, conversations=None)
            reply = service.ask(actor, args.question, source="cli", keep=False)
        finally:
            auth.close()
    answer = reply.answer
    if reply.audit_warning is not None:
        print(reply.audit_warning.render(cli_language()), file=sys.stderr)
    if args.json:
        explained = None if reply.explanation is None else str(reply.explanation)
        print(
            json.dumps(
                answer_to_json(answer, explanation=explained), ensure_ascii=False, default=str
            )
        )
    else:
        _print_answer(answer, reply.explanation)
    return 0 if answer.ok else 1


def _named_actor(auth: AuthServices, username: str | None, *, source: str = MAIN) -> Actor:
    """The active user `username` as the engine sees them on data source `source`; a
    clear error otherwise."""
    if not username:
        raise KeskinubeError(Message.of("cli.ask.no_user"))
    user = auth.users.find_user(username)
    if user is None or not user.active:
        raise KeskinubeError(Message.of("cli.ask.unknown_user", username=username))
    return auth.policies.actor_for(user, source=source, default_language=cli_language())


def _print_answer(answer: Answer, explained: Message | None = None) -> None:
    tr = cli_translator()
    if answer.sql:
        print(f"SQL:\n{answer.sql}\n")
    if explained is not None:
        print(explained.render(tr.language) + "\n")
    if answer.retrieval is not None and answer.retrieval.warning:
        print(tr("cli.ask.note", note=render(answer.retrieval.warning, tr.language)))
    if answer.error:
        error = render(answer.error_message or answer.error, tr.language)
        print(tr("cli.ask.failed", error=error), file=sys.stderr)
    if answer.result is not None:
        frame = answer.result.frame
        print(frame.head(50).to_string(index=False) if len(frame) else tr("cli.ask.no_rows"))
        key = "cli.ask.rows_more" if answer.result.truncated else "cli.ask.rows"
        print("\n" + tr(key, count=answer.result.row_count))
    timings = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    key = "cli.ask.timings_cached" if answer.cached else "cli.ask.timings"
    tokens = f"{answer.prompt_tokens}+{answer.completion_tokens}"
    print(tr(key, timings=timings, tokens=tokens))


def _schema_search(args: argparse.Namespace) -> int:
    if not args.question and not args.questions:
        tr = cli_translator()
        raise SystemExit(f"keskinube schema search: {tr('cli.schema.need_question')}")
    with _services(args) as services:
        if args.sparse_only:
            services.store.queries.embedder = None
        if args.questions:
            for item in _read_jsonl(args.questions):
                ranked = _search(services, item["question"], args.k)
                print(json.dumps({"id": item.get("id"), **ranked}, ensure_ascii=False))
            return 0
        ranked = _search(services, args.question, args.k)
    if args.json:
        print(json.dumps(ranked, ensure_ascii=False))
    else:
        tr = cli_translator()
        for position, table in enumerate(ranked["tables"], start=1):
            print(f"{position}. {table['name']}  ({table['score']:.4f})")
        print(tr("cli.schema.mode", mode=ranked["mode"]))
    return 0


def _search(services: Services, question: str, k: int) -> dict[str, Any]:
    retrieval = services.engine.rank_tables(question, _cli_actor(services), k=k)
    return {
        "tables": [{"name": t.name, "score": round(t.score, 6)} for t in retrieval.tables],
        "mode": retrieval.mode,
    }


def _sql_check(args: argparse.Namespace) -> int:
    from backend.sql_guard import SqlLimits

    with _services(args) as services:
        actor = _cli_actor(services, args.role)
        schema = {name: list(t.column_names) for name, t in services.engine.tables().items()}
        settings = services.settings
        limits = SqlLimits(max_length=settings.sql_max_length, max_depth=settings.sql_max_depth)
        with args.file.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    verdict = _verdict(line, number, services, actor, schema, limits)
                    print(json.dumps(verdict, ensure_ascii=False), flush=True)
    return 0


def _verdict(
    line: str,
    number: int,
    services: Services,
    actor: Actor,
    schema: dict[str, list[str]],
    limits: SqlLimits,
) -> dict[str, Any]:
    """One line's verdict; a bad line or a failed check is reported and the file goes on."""
    from backend.errors import SqlRejected
    from backend.sql_guard import check_sql

    problem: Message | None = None
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        item, problem = {}, Message.of("cli.sql.not_json", problem=exc.msg)
    if problem is None and not (isinstance(item, dict) and isinstance(item.get("sql"), str)):
        problem = Message.of("cli.sql.no_sql")
    key = item.get("id") if isinstance(item, dict) else None
    if problem is not None:
        return {"id": key, "line": number, "allowed": False, "reason": str(problem)}
    try:
        check_sql(
            item["sql"],
            schema=schema,
            dialect=services.engine.runner.dialect,
            row_limit=services.settings.row_limit,
            policy=actor.policy,
            user_attributes=dict(actor.attributes),
            limits=limits,
        )
    except SqlRejected as exc:
        return {"id": key, "allowed": False, "reason": str(exc)}
    except Exception as exc:  # the guard fails closed; a bug here must not stop the file
        reason = Message.of("cli.sql.check_failed", problem=f"{type(exc).__name__}: {exc}")
        return {"id": key, "line": number, "allowed": False, "reason": str(reason)}
    return {"id": key, "allowed": True, "reason": None}


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
