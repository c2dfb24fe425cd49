"""What one access policy may see of the indexed schema, looked up the ways the checks need.

Every name the validator rewrites to, and every table or column it mentions to the model,
comes from here, so a table the policy hides or a column it denies is never suggested,
listed or used in a key path. Hidden tables are still known by name (`hidden`): a query
that reads one is left to the guard, whose refusal is the designed answer.
"""

from __future__ import annotations

import difflib
import re
import threading
import weakref
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from backend.domain import AccessPolicy, ColumnDoc
from backend.schema_render import identifier_words
from backend.schema_view import SchemaView

# Only separators: anything else (`$id`, `@v`, `:name`) keeps a name distinct, so that a
# placeholder or variable is never "repaired" into a column.
_SEPARATORS = re.compile(r"[\s_\-]+")
_MAX_PATH_EDGES = 3


def normalise(name: str) -> str:
    """A name without case or separators: `customer_id`, `CustomerId`, `Customer-ID` agree."""
    return _SEPARATORS.sub("", name.lower())


def word_key(word: str) -> str:
    """A user's word as a name would spell it, singular: `Customers`, `customer` agree."""
    key = normalise(word)
    return key[:-1] if len(key) > 3 and key.endswith("s") and not key.endswith("ss") else key


def _short(text: str, limit: int = 60) -> str:
    """A description cut to a hint's length, at a word."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


_INTEGER_TYPE = re.compile(r"^(tiny|small|medium|big)?int(eger)?\b", re.IGNORECASE)
_TEXT_TYPE = re.compile(r"char|text", re.IGNORECASE)
_TIMESTAMP_TYPE = re.compile(r"\b(datetime|timestamp)", re.IGNORECASE)
_YEAR_NUMBER = re.compile(r"^[12][0-9]{3}$")


def _holds_year_number(column: ColumnDoc) -> bool:
    """Whether `column` holds a year as a plain number (1998, '1998'), not a date.

    `YEAR()` of such a value is NULL on MySQL and MariaDB (1998 is no date), so a query
    that filters on `YEAR(col)` silently returns nothing. A text column qualifies when its
    sampled values are all four-digit years, or, unsampled (long text types are not), when
    its name says year; an integer column (never sampled) when its name says year. A
    YYYYMMDD integer (`20230115`, a date key) is a valid date there and is left alone
    unless its name says year.
    """
    named_year = bool({"year", "yr"} & set(identifier_words(column.name)))
    if _TEXT_TYPE.search(column.type):
        values = column.sample_values
        if values:
            return all(_YEAR_NUMBER.match(v.strip()) for v in values)
        return named_year
    return bool(_INTEGER_TYPE.match(column.type)) and named_year


@dataclass(frozen=True)
class Edge:
    """A foreign key among visible tables: `table.columns` reference `ref_table.ref_columns`."""

    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]

    def text(self) -> str:
        return " and ".join(
            f"{self.table}.{column} → {self.ref_table}.{ref}"
            for column, ref in zip(self.columns, self.ref_columns, strict=False)
        )

    def other(self, table: str) -> str:
        return self.ref_table if table == self.table else self.table


class Catalog:
    """The tables and columns `policy` allows, case-insensitive lookups and FK paths."""

    def __init__(self, view: SchemaView, policy: AccessPolicy) -> None:
        visible = view.visible(policy)
        self.tables: dict[str, tuple[str, ...]] = {
            name: tuple(c for c in doc.column_names if policy.allows_column(name, c))
            for name, doc in visible.items()
        }
        self.all_columns: dict[str, tuple[str, ...]] = {
            name: doc.column_names for name, doc in visible.items()
        }
        self.hidden = frozenset(n.lower() for n in view.tables if n not in visible)
        # Every table, lower-cased as the lower-cased query copy `qualify` reads (see facts).
        self.qualify_schema: dict[str, object] = {  # the type sqlglot's qualify takes
            name: {column.lower(): "TEXT" for column in columns}
            for name, columns in view.known.columns.items()
        }
        self._by_lower: dict[str, list[str]] = {}
        for name in self.tables:
            self._by_lower.setdefault(name.lower(), []).append(name)
        self.primary_keys: dict[str, tuple[str, ...]] = {
            name: tuple(doc.primary_key) for name, doc in visible.items()
        }
        # Primary-key and foreign-key columns (lower-cased): what a join is usually made on.
        self.keys: dict[str, set[str]] = {
            name: {c.lower() for c in doc.primary_key} for name, doc in visible.items()
        }
        # What the admin's knowledge calls each table and allowed column (their synonyms,
        # as keys) and how it describes them: a query written in the users' words
        # (`customers` for CUST_MST) is pointed at the real name.
        self.table_words: dict[str, set[str]] = {
            name: {word_key(w) for w in doc.synonyms} for name, doc in visible.items()
        }
        self.table_described = {
            name: _short(doc.description) for name, doc in visible.items() if doc.description
        }
        self.column_words: dict[str, dict[str, set[str]]] = {}
        self.described: dict[str, dict[str, str]] = {}
        for name, doc in visible.items():
            allowed = [c for c in doc.columns if c.name in self.tables[name]]
            self.column_words[name] = {
                c.name: {word_key(w) for w in c.synonyms} for c in allowed if c.synonyms
            }
            self.described[name] = {c.name: _short(c.description) for c in allowed if c.description}
        self.year_numbers: dict[str, frozenset[str]] = {
            name: frozenset(c.name for c in doc.columns if _holds_year_number(c))
            for name, doc in visible.items()
        }
        # Columns holding a time of day besides the date (DATETIME, TIMESTAMP).
        self.timestamps: dict[str, frozenset[str]] = {
            name: frozenset(c.name for c in doc.columns if _TIMESTAMP_TYPE.search(c.type))
            for name, doc in visible.items()
        }
        self.edges: dict[str, list[Edge]] = {name: [] for name in self.tables}
        for name, doc in visible.items():
            for fk in doc.foreign_keys:
                ref = self.table(fk.ref_table)
                columns_ok = all(c in self.tables[name] for c in fk.columns)
                if ref is None or ref == name or not columns_ok:
                    continue
                ref_columns = tuple(self.column(ref, c) or c for c in fk.ref_columns)
                if not all(c in self.tables[ref] for c in ref_columns):
                    continue
                edge = Edge(name, fk.columns, ref, ref_columns)
                self.keys[name].update(c.lower() for c in fk.columns)
                self.keys[ref].update(c.lower() for c in ref_columns)
                self.edges[name].append(edge)
                self.edges[ref].append(edge)

    def table(self, name: str) -> str | None:
        """The visible table spelled `name`, exactly or else as its one case-insensitive match."""
        if name in self.tables:
            return name
        found = self._by_lower.get(name.lower(), [])
        return found[0] if len(found) == 1 else None

    def is_hidden(self, name: str) -> bool:
        return name.lower() in self.hidden and self.table(name) is None

    def column(self, table: str, name: str) -> str | None:
        """`table`'s allowed column spelled `name`, exactly or as its one case-insensitive match."""
        return _one(self.tables.get(table, ()), name)

    def has_any_column(self, table: str, name: str) -> bool:
        """Whether `table` has `name` at all, allowed or not (case-insensitive)."""
        return any(c.lower() == name.lower() for c in self.all_columns.get(table, ()))

    def tables_with(self, name: str) -> list[tuple[str, str]]:
        """(table, column) pairs of visible tables having an allowed column like `name`."""
        wanted = normalise(name)
        return [(t, c) for t, cols in self.tables.items() for c in cols if normalise(c) == wanted]

    def close_tables(self, name: str, n: int = 3) -> list[str]:
        """Tables the users call `name` (knowledge) first, then those spelt like it."""
        by_lower = {t.lower(): t for t in self.tables}
        called = [t.lower() for t, words in self.table_words.items() if word_key(name) in words]
        close = called + [
            low
            for low in difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.5)
            if low not in called
        ]
        wanted = normalise(name)
        close += [
            low for low in by_lower if wanted and wanted in normalise(low) and low not in close
        ]
        return [by_lower[low] for low in close[:n]]

    def close_columns(
        self, columns: Iterable[str], name: str, n: int = 3, *, table: str | None = None
    ) -> list[str]:
        """`table`'s columns the users call `name` (knowledge) first, then those spelt like it."""
        by_lower = {c.lower(): c for c in columns}
        words = self.column_words.get(table, {}) if table is not None else {}
        key = word_key(name)
        close = [c.lower() for c, said in words.items() if key in said and c.lower() in by_lower]
        close += [
            low
            for low in difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.6)
            if low not in close
        ]
        wanted = normalise(name)
        if len(wanted) >= 3:  # `name` for `customer_name`, `total` for `OrderTotal`
            close += [low for low in by_lower if wanted in normalise(low) and low not in close]
        return [by_lower[low] for low in close[:n]]

    def label(self, table: str, column: str | None = None) -> str:
        """`column` (or `table`), with the knowledge's description when it has one."""
        if column is None:
            described = self.table_described.get(table)
            return f"{table} ({described})" if described else table
        described = self.described.get(table, {}).get(column)
        return f"{column} ({described})" if described else column

    def is_key_pair(self, left: str, left_column: str, right: str, right_column: str) -> bool:
        """Whether `left.left_column = right.right_column` follows a foreign key, or both
        columns reference the same key (`city.CountryCode = language.CountryCode`)."""
        if self._key_root(left, left_column) == self._key_root(right, right_column):
            return True
        for edge in self.edges.get(left, ()):
            pairs = zip(edge.columns, edge.ref_columns, strict=False)
            for column, ref in pairs:
                if edge.table == left and edge.ref_table == right:
                    here, there = column, ref
                elif edge.table == right and edge.ref_table == left:
                    here, there = ref, column
                else:
                    continue
                if here.lower() == left_column.lower() and there.lower() == right_column.lower():
                    return True
        return False

    def is_key(self, table: str, column: str) -> bool:
        return column.lower() in self.keys.get(table, set())

    def _key_root(self, table: str, column: str) -> tuple[str, str]:
        """The key a column ends at by following its foreign keys (itself when it has none)."""
        seen = {(table, column.lower())}
        while True:
            edge = next(
                (
                    e
                    for e in self.edges.get(table, ())
                    if e.table == table
                    and len(e.columns) == 1
                    and e.columns[0].lower() == column.lower()
                ),
                None,
            )
            if edge is None:
                return table, column.lower()
            table, column = edge.ref_table, edge.ref_columns[0]
            if (table, column.lower()) in seen:
                return table, column.lower()
            seen.add((table, column.lower()))

    def path(
        self, start: str, goal: str, *, within: Collection[str] | None = None
    ) -> list[Edge] | None:
        """The shortest FK path from `start` to `goal` (at most 3 keys), through tables in
        `within` only when given; ties in name order."""
        if start == goal:
            return []
        parent: dict[str, tuple[str, Edge] | None] = {start: None}
        queue = deque([(start, 0)])
        while queue:
            node, depth = queue.popleft()
            if depth >= _MAX_PATH_EDGES:
                continue
            for edge in sorted(self.edges.get(node, ()), key=lambda e: (e.other(node), e.text())):
                following = edge.other(node)
                if following in parent or (within is not None and following not in within):
                    continue
                parent[following] = (node, edge)
                if following == goal:
                    return _walk_back(parent, goal)
                queue.append((following, depth + 1))
        return None


def path_text(path: list[Edge]) -> str:
    return ", ".join(edge.text() for edge in path)


def join_paths(
    view: SchemaView, policy: AccessPolicy, tables: Sequence[str], within: Collection[str]
) -> list[str]:
    """For the tables a question needs (`tables`, best first) that are not directly linked to
    the first one: the foreign-key path to it through the tables of `within` (the prompt's),
    one line each, at most three."""
    catalog = catalog_for(view, policy)
    names = [name for name in (catalog.table(t) for t in tables) if name is not None]
    lines = []
    for other in names[1:]:
        path = catalog.path(names[0], other, within=set(within))
        if path is not None and len(path) > 1:
            lines.append(f"{names[0]} to {other}: {path_text(path)}")
    return lines[:3]


def _walk_back(parent: dict[str, tuple[str, Edge] | None], goal: str) -> list[Edge]:
    edges: list[Edge] = []
    step = parent[goal]
    while step is not None:
        node, edge = step
        edges.append(edge)
        step = parent[node]
    return edges[::-1]


def _one(names: Iterable[str], name: str) -> str | None:
    names = tuple(names)
    if name in names:
        return name
    found = [n for n in names if n.lower() == name.lower()]
    return found[0] if len(found) == 1 else None


_CATALOGUES: weakref.WeakKeyDictionary[SchemaView, dict[AccessPolicy, Catalog]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def catalog_for(view: SchemaView, policy: AccessPolicy) -> Catalog:
    """The catalogue of `view` for `policy`, built once per schema view and policy."""
    with _LOCK:
        per_view = _CATALOGUES.setdefault(view, {})
        found = per_view.get(policy)
    if found is None:
        found = Catalog(view, policy)
        with _LOCK:
            if len(per_view) >= 64:
                per_view.clear()
            per_view[policy] = found
    return found
