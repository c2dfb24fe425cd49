"""Schema introspection: a business database's tables as `TableDoc` values.

MySQL and MariaDB are read from `information_schema` in three queries for the whole
database. SQLAlchemy's inspector would run `SHOW CREATE TABLE` once per table, which fails
with error 1142 on tables the account can only read some columns of (column grants), and
would be thousands of round trips on a large database; `information_schema.columns` lists
exactly the columns the account may read. PostgreSQL has a reader of its own
(`backend.schema_postgresql`); other dialects (SQLite, ...) use the inspector.

Sample values ("e.g. 'EMEA', 'APAC'") are read only for text columns whose values repeat —
all of them when there are few, the most frequent few otherwise — with bounded queries,
and kept in a `SampleCache` keyed by database, table and column, so that
re-indexing a large database does not rescan it. Introspection runs at index time, never
per question.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.schema_postgresql import read_postgresql
from backend.schema_render import identifier_words

log = logging.getLogger(__name__)

MYSQL_DIALECTS = frozenset({"mysql", "mariadb"})
# Long free-text types: never sampled (costly to scan, values make poor examples).
_LONG_TEXT = frozenset({"text", "mediumtext", "longtext", "blob", "json"})
_ENUM_TYPES = frozenset({"enum", "set"})
# Never put values of columns named with these words into prompts or the index.
_SENSITIVE = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "hash",
        "salt",
        "email",
        "mail",
        "phone",
        "mobile",
        "ssn",
        "iban",
        "card",
        "address",
        "street",
    }
)
_INT_WIDTH = re.compile(r"\b(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\(\d+\)")


@dataclasses.dataclass(frozen=True)
class SampleLimits:
    """Bounds on sampling: columns per table, queries per run, rows read per query."""

    max_columns_per_table: int = 8
    max_queries: int = 250
    rows_scanned: int = 100_000
    max_value_length: int = 40
    # Past `max_distinct` values, the most frequent few are shown when the top values hold
    # this share of the rows (a long-tailed category, not names that rarely repeat).
    frequent_values: int = 5
    frequent_share: float = 0.5


class SampleCache:
    """Sample values by (database, table, column), valid while their fingerprint matches.

    A fingerprint records the column type and the table's size to within a factor of two,
    so a table that grows a lot is sampled again. Negative results (a high-cardinality
    column) are cached too. With `path`, `save()` writes the cache as JSON.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._entries: dict[str, tuple[str, tuple[str, ...]]] = {}
        if path is not None and path.exists():
            try:
                raw: dict[str, list[Any]] = json.loads(path.read_text(encoding="utf-8"))
                self._entries = {k: (v[0], tuple(v[1])) for k, v in raw.items()}
            except (OSError, ValueError, TypeError, IndexError) as error:
                log.warning("ignoring unreadable sample cache %s: %s", path, error)

    @staticmethod
    def _key(database: str, table: str, column: str) -> str:
        return json.dumps([database, table, column])

    def get(
        self, database: str, table: str, column: str, fingerprint: str
    ) -> tuple[str, ...] | None:
        entry = self._entries.get(self._key(database, table, column))
        return entry[1] if entry is not None and entry[0] == fingerprint else None

    def put(
        self, database: str, table: str, column: str, fingerprint: str, values: tuple[str, ...]
    ) -> None:
        self._entries[self._key(database, table, column)] = (fingerprint, values)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: [fp, list(values)] for k, (fp, values) in sorted(self._entries.items())}
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        partial.replace(self.path)  # atomic: a crash never leaves half a file


@dataclasses.dataclass
class _RawTable:
    """A table before sampling; `text_columns` are the names worth sampling."""

    doc: TableDoc
    text_columns: list[str]


def database_identity(engine: sa.Engine) -> str:
    """Names a database without credentials: `mysql://host:3306/sales`, `sqlite:///abs/path`."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ":memory:"
        path = database if database == ":memory:" else os.path.abspath(database)
        return f"sqlite:///{path}"
    return f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


def compact_type(raw: str) -> str:
    """`int(11) unsigned` → `INT UNSIGNED`, `decimal(12, 2)` → `DECIMAL(12,2)`; enum values kept."""
    text = " ".join(raw.split())
    head, paren, rest = text.partition("(")
    if head.strip().lower() in _ENUM_TYPES:
        return head.strip().upper() + paren + rest
    text = re.sub(r"\s*,\s*", ",", text.upper())
    if text.startswith("TINYINT(1)"):
        return "BOOLEAN" + text[len("TINYINT(1)") :]
    return _INT_WIDTH.sub(r"\1", text)


def _samplable(column: ColumnDoc, fk_columns: set[str]) -> bool:
    if column.primary_key or column.name in fk_columns:
        return False
    return _SENSITIVE.isdisjoint(identifier_words(column.name))


_MYSQL_TABLES = (
    "SELECT table_name, table_comment, table_rows FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type IN ('BASE TABLE', 'SYSTEM VERSIONED')"
)
_MYSQL_COLUMNS = (
    "SELECT table_name, column_name, column_type, data_type, is_nullable, column_key, "
    "column_comment FROM information_schema.columns WHERE table_schema = DATABASE() "
    "ORDER BY table_name, ordinal_position"
)
_MYSQL_FOREIGN_KEYS = (
    "SELECT table_name, constraint_name, column_name, referenced_table_name, "
    "referenced_column_name FROM information_schema.key_column_usage "
    "WHERE table_schema = DATABASE() AND referenced_table_schema = DATABASE() "
    "AND referenced_table_name IS NOT NULL "
    "ORDER BY table_name, constraint_name, ordinal_position"
)


def _mysql_column(row: Any) -> ColumnDoc:
    _, name, column_type, _, is_nullable, column_key, comment = row
    return ColumnDoc(
        name=name,
        type=compact_type(column_type),
        nullable=is_nullable == "YES",
        comment=comment or None,
        primary_key=column_key == "PRI",
    )


def _read_mysql(conn: sa.Connection) -> list[_RawTable]:
    """Tables, columns and foreign keys the account can see, from information_schema."""
    tables = conn.execute(sa.text(_MYSQL_TABLES)).all()
    by_table: dict[str, list[Any]] = {}
    for row in conn.execute(sa.text(_MYSQL_COLUMNS)):
        by_table.setdefault(row[0], []).append(row)
    fks = _group_foreign_keys(conn.execute(sa.text(_MYSQL_FOREIGN_KEYS)).all())
    raw = []
    for name, comment, rows in tables:
        column_rows = by_table.get(name, [])
        cols = tuple(_mysql_column(r) for r in column_rows)
        doc = TableDoc(name, cols, comment or None, fks.get(name, ()), _int(rows))
        raw.append(_RawTable(doc, [r[1] for r in column_rows if _mysql_text(r[3])]))
    return raw


def _mysql_text(data_type: str) -> bool:
    kind = data_type.lower()
    return ("char" in kind or kind == "tinytext") and kind not in _LONG_TEXT


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _group_foreign_keys(rows: Iterable[Any]) -> dict[str, tuple[ForeignKey, ...]]:
    grouped: dict[tuple[str, str], tuple[list[str], str, list[str]]] = {}
    for table, constraint, column, ref_table, ref_column in rows:
        entry = grouped.setdefault((table, constraint), ([], ref_table, []))
        entry[0].append(column)
        entry[2].append(ref_column)
    result: dict[str, list[ForeignKey]] = {}
    for (table, _), (cols, ref_table, ref_cols) in sorted(grouped.items()):
        result.setdefault(table, []).append(ForeignKey(tuple(cols), ref_table, tuple(ref_cols)))
    return {table: tuple(fks) for table, fks in result.items()}


def _type_name(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return compact_type(str(type_.compile(dialect=dialect)))
    except sa.exc.CompileError:  # a column declared without a type (SQLite)
        return "ANY"


def _inspected_table(conn: sa.Connection, inspector: sa.Inspector, name: str) -> _RawTable:
    pk = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
    cols, text_cols = [], []
    for col in inspector.get_columns(name):
        key = col["name"] in pk
        nullable = bool(col.get("nullable", True)) and not key
        type_name = _type_name(col["type"], conn.dialect)
        cols.append(ColumnDoc(col["name"], type_name, nullable, col.get("comment") or None, key))
        if isinstance(col["type"], sa.String) and not isinstance(col["type"], sa.Enum):
            text_cols.append(col["name"])
    fks = tuple(
        ForeignKey(tuple(fk["constrained_columns"]), ref, tuple(fk["referred_columns"]))
        for fk in inspector.get_foreign_keys(name)
        if (ref := fk.get("referred_table"))
    )
    comment = None
    if conn.dialect.supports_comments:
        comment = inspector.get_table_comment(name).get("text")
    doc = TableDoc(name, tuple(cols), comment or None, fks, _sqlite_rows(conn, name))
    return _RawTable(doc, text_cols)


def _read_inspector(conn: sa.Connection) -> list[_RawTable]:
    """Any other dialect, through SQLAlchemy's inspector."""
    inspector = sa.inspect(conn)
    return [_inspected_table(conn, inspector, name) for name in inspector.get_table_names()]


def _read_postgresql(conn: sa.Connection) -> list[_RawTable]:
    return [_RawTable(doc, text) for doc, text in read_postgresql(conn, compact_type)]


def _sqlite_rows(conn: sa.Connection, table: str) -> int | None:
    """max(rowid): an O(log n) estimate for rowid tables (over-counts after deletes)."""
    if conn.dialect.name != "sqlite":
        return None
    rowid: sa.ColumnClause[Any] = sa.literal_column("rowid")
    query = sa.select(sa.func.max(rowid)).select_from(sa.table(table))
    try:
        return _int(conn.execute(query).scalar()) or 0
    except sa.exc.DBAPIError:  # WITHOUT ROWID tables
        return None


def _without_hidden_references(raw: list[_RawTable]) -> None:
    """Drop foreign keys naming a table or column the account cannot see."""
    visible = {t.doc.name: set(t.doc.column_names) for t in raw}
    for table in raw:
        own = visible[table.doc.name]
        kept = tuple(
            fk
            for fk in table.doc.foreign_keys
            if set(fk.columns) <= own and set(fk.ref_columns) <= visible.get(fk.ref_table, set())
        )
        table.doc = dataclasses.replace(table.doc, foreign_keys=kept)


class _Sampler:
    """Values of text columns whose values repeat, most frequent first; bounded and cached."""

    def __init__(
        self,
        conn: sa.Connection,
        database: str,
        max_distinct: int,
        cache: SampleCache,
        limits: SampleLimits,
    ) -> None:
        self.conn, self.database, self.max_distinct = conn, database, max_distinct
        self.cache, self.limits = cache, limits
        self.queries_left = limits.max_queries

    def table(self, raw: _RawTable, *, referenced: bool) -> TableDoc:
        """`raw` with sample values; `referenced`: another table has a foreign key to it."""
        fk_columns = {c for fk in raw.doc.foreign_keys for c in fk.columns}
        candidates = [
            c for c in raw.doc.columns if c.name in raw.text_columns and _samplable(c, fk_columns)
        ][: self.limits.max_columns_per_table]
        # A lookup table's first text column is what its rows are called ('Rock', 'Jazz'):
        # worth showing even though every value is unique.
        label = candidates[0].name if referenced and candidates else None
        found = {c.name: self.column(raw.doc, c, label=c.name == label) for c in candidates}
        # Columns not sampled keep the values the reader found (a PostgreSQL enum's).
        columns = tuple(
            dataclasses.replace(c, sample_values=found.get(c.name) or c.sample_values)
            for c in raw.doc.columns
        )
        return dataclasses.replace(raw.doc, columns=columns)

    def column(self, table: TableDoc, column: ColumnDoc, *, label: bool) -> tuple[str, ...]:
        size = "?" if table.row_estimate is None else str(int(math.log2(table.row_estimate + 1)))
        limits = self.limits
        choice = f"{self.max_distinct}|{limits.frequent_values}|{limits.frequent_share}|{label}"
        fingerprint = f"{column.type}|{size}|{choice}"
        cached = self.cache.get(self.database, table.name, column.name, fingerprint)
        if cached is not None:
            return cached
        if self.queries_left <= 0:
            return ()
        self.queries_left -= 1
        values = self._query(table.name, column.name, label=label)
        if values is not None:
            self.cache.put(self.database, table.name, column.name, fingerprint, values)
        return values or ()

    def _query(self, table: str, column: str, *, label: bool) -> tuple[str, ...] | None:
        # The most frequent values first, within a bounded scan, with the rows scanned:
        #   SELECT c, COUNT(*), SUM(COUNT(*)) OVER () FROM (SELECT c FROM t
        #   WHERE c IS NOT NULL LIMIT rows) kk_sample GROUP BY c ORDER BY 2 DESC, c LIMIT n+1
        col: sa.ColumnClause[Any] = sa.column(column)
        inner = sa.select(col).select_from(sa.table(table)).where(col.is_not(None))
        sample = inner.limit(self.limits.rows_scanned).subquery("kk_sample")
        value = sample.c[column]
        count = sa.func.count().label("kk_count")
        query = (
            sa.select(value, count, sa.func.sum(sa.func.count()).over().label("kk_rows"))
            .group_by(value)
            .order_by(count.desc(), value)
            .limit(self.max_distinct + 1)
        )
        try:
            rows = self.conn.execute(query).all()
        except sa.exc.DBAPIError as error:
            log.info("no sample values for %s.%s: %s", table, column, error.orig)
            return None
        scanned = int(rows[0][2]) if rows else 0
        counted = [(str(v), int(n)) for v, n, _ in rows]
        return _chosen_values(counted, scanned, self.max_distinct, self.limits, label=label)


def _chosen_values(
    counted: list[tuple[str, int]],
    scanned: int,
    max_distinct: int,
    limits: SampleLimits,
    *,
    label: bool = False,
) -> tuple[str, ...]:
    """The values worth showing the model, from the `max_distinct + 1` most frequent.

    Values that repeat are what users filter and group on (kinds, statuses, countries,
    ratings): all of them when there are few (sorted, as a complete list reads), else the
    most frequent few when those hold most of the rows, so the model sees their spelling.
    Values that hardly repeat (names, phone, fax or postal codes) cost tokens and teach
    nothing — except a lookup table's `label` column, whose rows users name ('Rock').
    """
    if not counted or any(len(v) > limits.max_value_length for v, _ in counted):
        return ()
    repeats = counted[0][1] > 1
    if not repeats:
        return tuple(v for v, _ in counted[: limits.frequent_values]) if label else ()
    if len(counted) <= max_distinct:
        return tuple(sorted(v for v, _ in counted))
    if sum(n for _, n in counted) < limits.frequent_share * scanned:
        return ()
    return tuple(v for v, _ in counted[: limits.frequent_values])


def introspect(
    engine: sa.Engine,
    *,
    sample_values: bool = True,
    max_distinct: int = 12,
    sample_cache: SampleCache | None = None,
    limits: SampleLimits | None = None,
) -> list[TableDoc]:
    """Every table the engine's account can see, sorted by name, columns in ordinal order.

    Sample values are read for at most `limits.max_columns_per_table` text columns per
    table (not keys, not sensitive-looking names) and `limits.max_queries` uncached columns
    per call; a column keeps all its values when it has at most `max_distinct` of them,
    else its `limits.frequent_values` most frequent ones when they repeat (`_chosen_values`).
    Pass a `SampleCache` with a path to keep samples between runs (saved at the end). The
    budget goes to tables with rows first, tables others refer to first among them
    (`_sampling_order`).
    """
    cache = sample_cache if sample_cache is not None else SampleCache()
    with engine.connect() as conn:
        reader = _read_mysql if conn.dialect.name in MYSQL_DIALECTS else _read_inspector
        if conn.dialect.name == "postgresql":
            reader = _read_postgresql
        raw = sorted(reader(conn), key=lambda t: t.doc.name)
        _without_hidden_references(raw)
        if not sample_values:
            return [t.doc for t in raw]
        sampler = _Sampler(
            conn, database_identity(engine), max_distinct, cache, limits or SampleLimits()
        )
        referenced = {
            fk.ref_table for t in raw for fk in t.doc.foreign_keys if fk.ref_table != t.doc.name
        }
        sampled = {
            t.doc.name: sampler.table(t, referenced=t.doc.name in referenced)
            for t in _sampling_order(raw, referenced)
        }
    cache.save()
    return [sampled[t.doc.name] for t in raw]


def _sampling_order(raw: list[_RawTable], referenced: set[str]) -> list[_RawTable]:
    """Where the query budget goes first, when a schema has more columns than one run
    samples (`SampleLimits.max_queries`; the cache carries the rest to the next run): in
    name order, a big schema's first few dozen tables would take it all. Tables that hold
    rows come before those estimated empty (nothing to show; big schemas hold many), and
    among them the tables others refer to — regions, categories, customers: what the
    business calls its things, the values questions name — before the rest. An estimate
    can say 0 for rows not yet counted (a table never analysed, just loaded): such a table
    only waits its turn, as every table did in name order."""
    return sorted(raw, key=lambda t: (t.doc.row_estimate == 0, t.doc.name not in referenced))
