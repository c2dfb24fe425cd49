"""Spider dev data for the retrieval benchmark: schemas as `TableDoc`s, questions, gold tables.

Read-only, from `../shared/benchmarks/schema_linking/` (override with `SPIDER_LINKING_DIR`):
`schema_catalog_all.jsonl` (876 tables of 166 databases; 81 of them are the 20 dev
databases') and `spider_dev_schema_linking.jsonl` (1,034 dev questions with the tables
their gold SQL reads). Tables are built from identifiers only — names, types, primary and
foreign keys — as introspection of a database without comments would give them; the
catalog's human-written "natural" names can be added as comments (`natural=True`) to see
what documented schemas gain. Question text is used only to search; it is never written
to results or prompts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.domain import ColumnDoc, ForeignKey, TableDoc

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "schema_linking"
_TYPES = {"text": "TEXT", "numeric": "NUMERIC", "datetime": "DATETIME", "boolean": "BOOLEAN"}


@dataclass(frozen=True)
class SpiderQuestion:
    idx: int
    db_id: str
    question: str
    gold_tables: tuple[str, ...]  # lower-cased table names within the database


def data_dir() -> Path:
    return Path(os.environ.get("SPIDER_LINKING_DIR", DEFAULT_DIR))


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_catalog() -> list[dict[str, Any]]:
    """Every Spider table (876), as catalog entries."""
    return list(_lines(data_dir() / "schema_catalog_all.jsonl"))


def load_questions() -> list[SpiderQuestion]:
    return [
        SpiderQuestion(
            idx=int(row["idx"]),
            db_id=str(row["db_id"]),
            question=str(row["question"]),
            gold_tables=tuple(sorted({t.lower() for t in row["gold_tables"]})),
        )
        for row in _lines(data_dir() / "spider_dev_schema_linking.jsonl")
    ]


def _comment(natural: str, identifier: str) -> str | None:
    """The natural name, when it says more than the identifier split into words."""
    plain = identifier.replace("_", " ").lower()
    return natural if natural and natural.lower() != plain else None


def table_doc(entry: dict[str, Any], *, qualified: bool, natural: bool = False) -> TableDoc:
    """A catalog entry as a `TableDoc`; `qualified` names it `<db>__<table>` (unique at scale)."""

    def name_of(table: str) -> str:
        return f"{entry['db_id']}__{table}" if qualified else table

    columns = tuple(
        ColumnDoc(
            name=c["name"],
            type=_TYPES.get(c["type"], "TEXT"),
            nullable=not c["pk"],
            comment=_comment(c.get("natural", ""), c["name"]) if natural else None,
            primary_key=bool(c["pk"]),
        )
        for c in entry["columns"]
    )
    fks = tuple(
        ForeignKey((fk["column"],), name_of(fk["ref_table"]), (fk["ref_column"],))
        for fk in entry["foreign_keys"]
    )
    comment = _comment(entry.get("table_natural", ""), entry["table"]) if natural else None
    return TableDoc(name_of(entry["table"]), columns, comment, fks)


def dev_databases(catalog: list[dict[str, Any]], questions: list[SpiderQuestion]) -> list[str]:
    asked = {q.db_id for q in questions}
    return sorted({e["db_id"] for e in catalog if e["db_id"] in asked})
