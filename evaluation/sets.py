"""Golden question sets: loading, hashing, choosing questions, naming their databases.

Two shapes are read, as a JSON array or as JSONL (one object a line):

- ours: `{"id", "question", "gold_sql", "db"?, "tags"?, "previous_id"?}` — `db` is put
  into a `--db` URL template as `{db}`; `previous_id` makes the question a follow-up of
  an earlier one; `tags` hold a difficulty (easy, medium, hard) and skills.
- Spider-style: `{"question", "query" | "gold_sql" | "gold_sql_mysql", "db_id", "idx"?}`.
  Which field holds the gold SQL is chosen per set: `gold_field` when given, else
  `gold_sql_mysql` for a MySQL/MariaDB target when the set has it, else `gold_sql`, else
  `query`.
- For a PostgreSQL target, a question's own `gold_sql_postgresql` replaces that field where
  the question has one (hand-written for gold SQL that only MySQL and SQLite run), unless
  `gold_field` was given.

The set hash is the SHA-256 of the normalised questions (ids, texts, gold SQL, databases,
tags, follow-ups), so reformatting a file does not change it, editing a question does; the
file hash is the SHA-256 of the file's bytes, exactly what was read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from backend.dialects import MYSQL, POSTGRESQL
from backend.errors import KeskinubeError

DIFFICULTIES = ("easy", "medium", "hard")
GOLD_FIELDS = ("gold_sql", "query", "gold_sql_mysql")
MYSQL_GOLD_FIELDS = ("gold_sql_mysql", "gold_sql", "query")
DB_PLACEHOLDERS = ("{db}", "{db_id}")
# Per question, where present: the same meaning in SQL this dialect runs.
DIALECT_GOLD_FIELDS = {POSTGRESQL: "gold_sql_postgresql"}


class EvalSetError(KeskinubeError):
    """A question set cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class GoldQuestion:
    """One question with its gold SQL."""

    id: str
    question: str
    gold_sql: str
    db: str | None = None
    tags: tuple[str, ...] = ()
    previous_id: str | None = None

    @property
    def difficulty(self) -> str | None:
        return next((tag for tag in self.tags if tag in DIFFICULTIES), None)

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if tag not in DIFFICULTIES)


@dataclass(frozen=True)
class GoldSet:
    """A loaded set: where it came from, its questions in file order, and its hashes."""

    path: str
    questions: tuple[GoldQuestion, ...]
    gold_field: str
    hash: str
    file_hash: str = ""
    # The per-question field that replaced `gold_field` where a question has it.
    dialect_gold_field: str | None = None


@dataclass(frozen=True)
class Selected:
    """A question chosen for a run; `scored` is False for a follow-up's context only."""

    question: GoldQuestion
    scored: bool = True


def load_set(path: Path, *, gold_field: str | None = None, dialect: str | None = None) -> GoldSet:
    """Read a set file for a `dialect` target (`backend.dialects`; None: any);
    raises EvalSetError with `file:line` for anything malformed."""
    data = _read(path)
    records = list(_records(path, data.decode("utf-8")))
    if not records:
        raise EvalSetError(f"{path}: no questions in the file")
    plain = [record for _, record in records]
    field = gold_field or _pick_gold_field(path, plain, mysql=dialect == MYSQL)
    override = None if gold_field else DIALECT_GOLD_FIELDS.get(dialect or "")
    if override is not None and not any(override in record for record in plain):
        override = None
    questions = [
        _question(path, line, record, override if override in record else field, index)
        for index, (line, record) in enumerate(records)
    ]
    _check_links(path, questions, [line for line, _ in records])
    file_hash = hashlib.sha256(data).hexdigest()
    return GoldSet(str(path), tuple(questions), field, set_hash(questions), file_hash, override)


def set_hash(questions: Iterable[GoldQuestion]) -> str:
    """SHA-256 of the normalised questions."""
    normalised = [asdict(q) | {"tags": list(q.tags)} for q in questions]
    text = json.dumps(normalised, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def select(
    questions: Sequence[GoldQuestion],
    *,
    tags: Sequence[str] = (),
    limit: int | None = None,
    ids: Collection[str] = (),
) -> list[Selected]:
    """Questions with any of `tags` (all when empty) and one of `ids` (all when empty), the
    first `limit` of them.

    A chosen follow-up brings its earlier questions along, unscored, as its conversation.
    """
    wanted = {t.lower() for t in tags}
    chosen = [q for q in questions if not wanted or wanted & {t.lower() for t in q.tags}]
    if ids:
        unknown = set(ids) - {q.id for q in questions}
        if unknown:
            raise EvalSetError(f"no question has the id {', '.join(sorted(unknown))}")
        chosen = [q for q in chosen if q.id in ids]
    chosen = chosen[:limit] if limit is not None else chosen
    by_id = {q.id: q for q in questions}
    scored = {q.id for q in chosen}
    needed = set(scored)
    for question in chosen:
        needed.update(ancestor.id for ancestor in ancestors(question, by_id))
    return [Selected(q, q.id in scored) for q in questions if q.id in needed]


def ancestors(question: GoldQuestion, by_id: dict[str, GoldQuestion]) -> list[GoldQuestion]:
    """The earlier questions a follow-up builds on, oldest first."""
    chain: list[GoldQuestion] = []
    current = question
    while current.previous_id is not None:
        current = by_id[current.previous_id]
        chain.insert(0, current)
    return chain


def database_url(template: str, db: str | None, *, question_id: str = "") -> str:
    """The URL for one question: `template` with `{db}` (or `{db_id}`) replaced by `db`."""
    if not any(marker in template for marker in DB_PLACEHOLDERS):
        return template
    if not db:
        raise EvalSetError(
            f"question {question_id} names no database, but --db is a template "
            f'({template}); add a "db" field or pass a plain URL'
        )
    return template.replace("{db_id}", db).replace("{db}", db)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EvalSetError(f"cannot read the question set {path}: {exc.strerror}") from None


def _records(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if text.lstrip().startswith("["):
        yield from _json_array(path, text)
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise EvalSetError(f"{path}:{line_no}: expected a JSON object per line")
        yield line_no, record


def _json_array(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvalSetError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise EvalSetError(f"{path}: item {index} is not a JSON object")
        yield index + 1, item


def _pick_gold_field(path: Path, records: Sequence[dict[str, Any]], *, mysql: bool) -> str:
    for field in MYSQL_GOLD_FIELDS if mysql else GOLD_FIELDS:
        if any(field in record for record in records):
            return field
    raise EvalSetError(
        f"{path}: no gold SQL in the set: expected a gold_sql, query or gold_sql_mysql field"
    )


def _question(
    path: Path, line: int, record: dict[str, Any], field: str, index: int
) -> GoldQuestion:
    where = f"{path}:{line}"
    question, gold = record.get("question"), record.get(field)
    if not isinstance(question, str) or not question.strip():
        raise EvalSetError(f'{where}: missing "question" text')
    if not isinstance(gold, str) or not gold.strip():
        raise EvalSetError(f'{where}: missing gold SQL in "{field}"')
    raw_id = record.get("id", record.get("idx", index))
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise EvalSetError(f'{where}: "tags" must be a list of strings')
    difficulty = record.get("difficulty") or record.get("hardness")
    if isinstance(difficulty, str) and difficulty not in tags:
        tags = [difficulty, *tags]
    db = record.get("db", record.get("db_id"))
    previous = record.get("previous_id")
    return GoldQuestion(
        id=str(raw_id),
        question=question.strip(),
        gold_sql=gold.strip(),
        db=str(db) if db is not None else None,
        tags=tuple(tags),
        previous_id=str(previous) if previous is not None else None,
    )


def _check_links(path: Path, questions: Sequence[GoldQuestion], lines: Sequence[int]) -> None:
    seen: set[str] = set()
    for question, line in zip(questions, lines, strict=True):
        if question.id in seen:
            raise EvalSetError(f"{path}:{line}: duplicate id {question.id!r}")
        if question.previous_id is not None and question.previous_id not in seen:
            raise EvalSetError(
                f"{path}:{line}: previous_id {question.previous_id!r} must name a question "
                "earlier in the file"
            )
        seen.add(question.id)
