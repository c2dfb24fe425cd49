"""Synthetic business schemas of any size, as SQLite files, and questions about them.

`build_schema(path, tables=200)` writes a deterministic database whose tables look like
an ERP's: `<module>_<entity>` names (`sales_invoice`, `hr_timesheet`, ...), an integer
primary key, one or two foreign keys to earlier tables (mostly of the same module), and
business columns drawn from a pool (status, amount, created_at, ...), with a few rows
each so that sampling, `LIMIT` and sample rows have something to show.

`questions_for(tables, n)` writes distinct plain-language questions with the SQL that
answers each, from any schema's `TableDoc`s (synthetic or the demo; SQLite date
functions): the benchmarks script the instant model to answer each question with its SQL.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from backend.domain import TableDoc
from backend.schema_render import humanize

MODULES = (
    "sales",
    "crm",
    "hr",
    "finance",
    "inventory",
    "logistics",
    "procurement",
    "marketing",
    "support",
    "billing",
    "manufacturing",
    "payroll",
    "project",
    "assets",
    "compliance",
    "retail",
    "ecommerce",
    "warehouse",
    "quality",
    "legal",
)
ENTITIES = (
    "customer",
    "order",
    "order_line",
    "invoice",
    "payment",
    "product",
    "supplier",
    "shipment",
    "employee",
    "department",
    "contract",
    "ticket",
    "campaign",
    "lead",
    "account",
    "budget",
    "asset",
    "vendor",
    "bin_location",
    "stock_movement",
    "purchase_order",
    "return_request",
    "refund",
    "price_list",
    "discount",
    "region",
    "store",
    "visit",
    "survey",
    "task",
    "timesheet",
    "expense",
    "ledger_entry",
    "tax_rate",
    "currency_rate",
    "carrier",
    "route",
    "delivery",
    "complaint",
    "audit_event",
    "certificate",
    "training",
    "skill",
    "position",
    "leave_request",
    "bonus",
    "commission",
    "quote",
    "opportunity",
    "subscription",
)
MAX_TABLES = len(MODULES) * len(ENTITIES)

# (name, SQL type, kind): kind says how values are made and what questions it suits.
COLUMN_POOL = (
    ("name", "VARCHAR(80)", "text"),
    ("code", "VARCHAR(20)", "code"),
    ("status", "VARCHAR(20)", "category"),
    ("category", "VARCHAR(30)", "category"),
    ("priority", "VARCHAR(10)", "category"),
    ("currency", "CHAR(3)", "category"),
    ("country", "VARCHAR(40)", "category"),
    ("channel", "VARCHAR(20)", "category"),
    ("created_at", "DATE", "date"),
    ("updated_at", "DATE", "date"),
    ("start_date", "DATE", "date"),
    ("end_date", "DATE", "date"),
    ("amount", "DECIMAL(12,2)", "number"),
    ("total_amount", "DECIMAL(12,2)", "number"),
    ("unit_price", "DECIMAL(12,2)", "number"),
    ("tax_amount", "DECIMAL(12,2)", "number"),
    ("quantity", "INTEGER", "integer"),
    ("score", "INTEGER", "integer"),
    ("rating", "INTEGER", "integer"),
    ("duration_days", "INTEGER", "integer"),
    ("weight_kg", "DECIMAL(10,3)", "number"),
    ("description", "TEXT", "text"),
    ("notes", "TEXT", "text"),
    ("owner_name", "VARCHAR(80)", "text"),
    ("reference_number", "VARCHAR(30)", "code"),
    ("is_active", "BOOLEAN", "flag"),
)
CATEGORY_VALUES = {
    "status": ("active", "pending", "closed", "cancelled"),
    "category": ("standard", "premium", "internal", "partner", "seasonal"),
    "priority": ("low", "medium", "high"),
    "currency": ("EUR", "USD", "GBP", "CHF"),
    "country": ("Spain", "France", "Germany", "Italy", "Portugal", "Netherlands"),
    "channel": ("web", "store", "phone", "partner"),
}


@dataclass(frozen=True)
class SyntheticColumn:
    name: str
    type: str
    kind: str
    references: str | None = None  # the table an `<entity>_id` column points at


@dataclass(frozen=True)
class SyntheticTable:
    name: str
    columns: tuple[SyntheticColumn, ...]


def design_schema(
    tables: int, *, columns: int | None = None, seed: int = 7
) -> list[SyntheticTable]:
    """`tables` table designs; `columns` fixes every table's width (default 6-15)."""
    if not 1 <= tables <= MAX_TABLES:
        raise ValueError(f"tables must be between 1 and {MAX_TABLES}")
    rng = random.Random(seed)
    names = [(m, e) for e in ENTITIES for m in MODULES]
    rng.shuffle(names)
    designed: list[SyntheticTable] = []
    for module, entity in names[:tables]:
        width = columns if columns is not None else rng.randint(6, 15)
        designed.append(_design_table(rng, module, entity, width, designed))
    return designed


def _design_table(
    rng: random.Random, module: str, entity: str, width: int, earlier: list[SyntheticTable]
) -> SyntheticTable:
    cols = [SyntheticColumn("id", "INTEGER", "pk")]
    for target in _fk_targets(rng, module, earlier)[: max(0, width - 2)]:
        ref_entity = target.name.split("_", 1)[1]
        name = f"{ref_entity}_id"
        if any(c.name == name for c in cols):
            name = f"{target.name}_id"
        cols.append(SyntheticColumn(name, "INTEGER", "fk", references=target.name))
    pool = list(COLUMN_POOL)
    rng.shuffle(pool)
    for name, sql_type, kind in pool[: max(0, width - len(cols))]:
        cols.append(SyntheticColumn(name, sql_type, kind))
    return SyntheticTable(f"{module}_{entity}", tuple(cols))


def _fk_targets(
    rng: random.Random, module: str, earlier: list[SyntheticTable]
) -> list[SyntheticTable]:
    if not earlier:
        return []
    count = rng.choices((0, 1, 2), weights=(15, 60, 25))[0]
    same = [t for t in earlier if t.name.startswith(module + "_")]
    picked: list[SyntheticTable] = []
    for _ in range(count):
        pool = same if same and rng.random() < 0.7 else earlier
        choice = rng.choice(pool)
        if choice not in picked:
            picked.append(choice)
    return picked


def build_schema(
    path: Path,
    tables: int,
    *,
    columns: int | None = None,
    rows: int = 12,
    seed: int = 7,
) -> list[SyntheticTable]:
    """Write the designed schema (replacing `path`) with `rows` rows per table."""
    design = design_schema(tables, columns=columns, seed=seed)
    path.unlink(missing_ok=True)
    rng = random.Random(seed + 1)
    with sqlite3.connect(path) as conn:
        for table in design:
            conn.execute(_create_sql(table))
            values = [_row(rng, table, i, rows) for i in range(1, rows + 1)]
            marks = ", ".join("?" * len(table.columns))
            conn.executemany(f"INSERT INTO {table.name} VALUES ({marks})", values)
    return design


def _create_sql(table: SyntheticTable) -> str:
    lines = [
        f"{c.name} {c.type} PRIMARY KEY" if c.kind == "pk" else f"{c.name} {c.type}"
        for c in table.columns
    ]
    lines += [
        f"FOREIGN KEY ({c.name}) REFERENCES {c.references}(id)"
        for c in table.columns
        if c.references
    ]
    return f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(lines) + "\n)"


def _row(rng: random.Random, table: SyntheticTable, i: int, rows: int) -> tuple[object, ...]:
    entity = humanize(table.name.split("_", 1)[1])
    values: list[object] = []
    for c in table.columns:
        match c.kind:
            case "pk":
                values.append(i)
            case "fk":
                values.append(rng.randint(1, rows))
            case "category":
                values.append(rng.choice(CATEGORY_VALUES[c.name]))
            case "date":
                values.append(f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
            case "number":
                values.append(round(rng.uniform(1, 5000), 2))
            case "integer":
                values.append(rng.randint(0, 100))
            case "flag":
                values.append(rng.randint(0, 1))
            case "code":
                values.append(f"{table.name[:3].upper()}-{i:05d}")
            case _:
                values.append(f"{entity} {i}")
    return tuple(values)


# -- questions ---------------------------------------------------------------------------

_CATEGORY_HINTS = (
    "status",
    "category",
    "type",
    "priority",
    "currency",
    "country",
    "channel",
    "segment",
    "method",
    "carrier",
    "reason",
    "level",
    "title",
    "city",
)
_NUMBER_TYPES = ("INT", "DECIMAL", "NUMERIC", "REAL", "FLOAT", "DOUBLE")


@dataclass(frozen=True)
class Question:
    """A question and the SQL the scripted model answers it with."""

    text: str
    sql: str
    table: str


def _category_columns(table: TableDoc) -> list[str]:
    fk = {c for fk in table.foreign_keys for c in fk.columns}
    return [
        c.name
        for c in table.columns
        if not c.primary_key
        and c.name not in fk
        and (c.sample_values or any(h in c.name.lower() for h in _CATEGORY_HINTS))
        and not any(t in c.type.upper() for t in _NUMBER_TYPES)
    ]


def _number_columns(table: TableDoc) -> list[str]:
    fk = {c for fk in table.foreign_keys for c in fk.columns}
    return [
        c.name
        for c in table.columns
        if not c.primary_key
        and c.name not in fk
        and not c.name.lower().endswith("id")
        and any(t in c.type.upper() for t in _NUMBER_TYPES)
        and "BOOL" not in c.type.upper()
    ]


def _date_columns(table: TableDoc) -> list[str]:
    return [c.name for c in table.columns if "DATE" in c.type.upper() or "TIME" in c.type.upper()]


def _candidates(table: TableDoc) -> list[Question]:
    t, words = table.name, humanize(table.name)
    found: list[Question] = []
    cats, nums, dates = _category_columns(table), _number_columns(table), _date_columns(table)
    for cat in cats:
        found.append(
            Question(
                f"how many {words} are there for each {humanize(cat)}",
                f"SELECT {cat}, COUNT(*) AS {t}_count FROM {t} GROUP BY {cat} ORDER BY 2 DESC",
                t,
            )
        )
        for num in nums:
            found.append(
                Question(
                    f"what is the total {humanize(num)} of {words} by {humanize(cat)}",
                    f"SELECT {cat}, SUM({num}) AS total_{num} FROM {t} GROUP BY {cat} "
                    "ORDER BY 2 DESC",
                    t,
                )
            )
    for num in nums:
        for top in (3, 5, 10):
            found.append(
                Question(
                    f"show the top {top} {words} by {humanize(num)}",
                    f"SELECT * FROM {t} ORDER BY {num} DESC LIMIT {top}",
                    t,
                )
            )
    for date in dates:
        for year in (2023, 2024, 2025):
            found.append(
                Question(
                    f"how many {words} have a {humanize(date)} in {year}",
                    f"SELECT COUNT(*) AS {t}_count FROM {t} "
                    f"WHERE strftime('%Y', {date}) = '{year}'",
                    t,
                )
            )
        found.append(
            Question(
                f"show the ten most recent {words} by {humanize(date)}",
                f"SELECT * FROM {t} ORDER BY {date} DESC LIMIT 10",
                t,
            )
        )
    for fk in table.foreign_keys:
        ref, col, ref_col = fk.ref_table, fk.columns[0], fk.ref_columns[0]
        found.append(
            Question(
                f"list {words} together with their {humanize(ref)}",
                f"SELECT a.*, b.{ref_col} AS {ref}_key FROM {t} a JOIN {ref} b "
                f"ON a.{col} = b.{ref_col} LIMIT 50",
                t,
            )
        )
    found.append(Question(f"list all {words}", f"SELECT * FROM {t} LIMIT 20", t))
    return found


def questions_for(tables: list[TableDoc], n: int, *, seed: int = 11) -> list[Question]:
    """Up to `n` distinct questions, spread over the tables round-robin (shuffled)."""
    rng = random.Random(seed)
    per_table = [_candidates(t) for t in tables]
    for candidates in per_table:
        rng.shuffle(candidates)
    order = list(range(len(tables)))
    rng.shuffle(order)
    picked: list[Question] = []
    seen: set[str] = set()
    while len(picked) < n and any(per_table):
        for index in order:
            if per_table[index] and len(picked) < n:
                question = per_table[index].pop()
                if question.text not in seen:
                    seen.add(question.text)
                    picked.append(question)
    return picked
