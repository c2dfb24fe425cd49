"""Which real tables a query reads, and whether it may read them.

Every `exp.Table` node in the tree is either a reference to a WITH query that is visible
at that point, or a read of a real table. Resolution errs towards "real table": a name is
taken as a WITH query only where SQL's scoping rules make it one for certain (exact
spelling, declared earlier in the same WITH or in an enclosing one), and WITH queries may
not reuse a table's name, so a CTE can never hide a read from the checks below.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from backend.dialects import MYSQL, POSTGRESQL
from backend.domain import AccessPolicy
from backend.i18n.message import Message
from backend.sql_guard.statements import reject

SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "mysql", "performance_schema", "sys", "pg_catalog", "pg_toast"}
)
# PostgreSQL reserves the prefix for its own schemas (pg_temp_3, ...) and searches
# pg_catalog before any other schema: an unqualified `pg_shadow` is the system view.
_PG_SYSTEM_PREFIX = "pg_"
SYSTEM_TABLES = frozenset(
    (
        "sqlite_master",
        "sqlite_schema",
        "sqlite_temp_master",
        "sqlite_temp_schema",
        "sqlite_sequence",
        "sqlite_stat1",
        "sqlite_stat2",
        "sqlite_stat3",
        "sqlite_stat4",
        "sqlite_dbpage",
        "dbstat",
    )
)


@dataclass(frozen=True)
class TableRead:
    """One place in the tree where a real table is read; `name` is the schema's spelling."""

    node: exp.Table
    name: str


@dataclass(frozen=True)
class KnownTables:
    """The indexed schema, looked up case-insensitively."""

    names: Mapping[str, str]  # lower-case name -> schema spelling
    columns: Mapping[str, tuple[str, ...]]  # lower-case name -> columns in ordinal order

    @classmethod
    def from_schema(cls, schema: Mapping[str, Sequence[str]]) -> KnownTables:
        return cls(
            names={name.lower(): name for name in schema},
            columns={name.lower(): tuple(columns) for name, columns in schema.items()},
        )


def find_table_reads(
    tree: exp.Expr, known: KnownTables, policy: AccessPolicy, dialect: str
) -> list[TableRead]:
    """Every real table read in `tree`, after checking each against the schema and policy."""
    _check_cte_names(tree, known)
    reads: list[TableRead] = []
    for table in tree.find_all(exp.Table):
        if _is_dummy_table(table, dialect) or _is_cte_reference(table):
            continue
        name = _checked_name(table, known, policy, dialect)
        reads.append(TableRead(node=table, name=name))
    return reads


def _check_cte_names(tree: exp.Expr, known: KnownTables) -> None:
    for cte in tree.find_all(exp.CTE):
        if cte.alias.lower() in known.names:
            raise reject(
                Message.of(
                    "guard.table.cte_name", name=cte.alias, table=known.names[cte.alias.lower()]
                )
            )


def _is_dummy_table(table: exp.Table, dialect: str) -> bool:
    return (
        dialect == MYSQL
        and isinstance(table.this, exp.Identifier)
        and table.name.lower() == "dual"
        and not table.args.get("db")
    )


def _is_cte_reference(table: exp.Table) -> bool:
    """True when SQL scoping makes `table` name a WITH query visible where it stands."""
    if table.args.get("db") or table.args.get("catalog"):
        return False
    name = table.name
    child: exp.Expr = table
    parent = table.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            visible = _visible_in_with(parent, child)
        elif isinstance(parent.args.get("with_"), exp.With) and child is not parent.args["with_"]:
            visible = [cte.alias for cte in parent.args["with_"].expressions]
        else:
            visible = []
        if name in visible:
            return True
        child, parent = parent, parent.parent
    return False


def _visible_in_with(with_: exp.With, child: exp.Expr) -> list[str]:
    """Names visible inside the body of `child`, one of `with_`'s CTEs."""
    ctes = list(with_.expressions)
    position = next((i for i, cte in enumerate(ctes) if cte is child), len(ctes))
    earlier = [cte.alias for cte in ctes[:position]]
    if with_.args.get("recursive") and position < len(ctes):
        earlier.append(ctes[position].alias)
    return earlier


def _checked_name(table: exp.Table, known: KnownTables, policy: AccessPolicy, dialect: str) -> str:
    if not isinstance(table.this, exp.Identifier):
        function = table.this.sql().split("(")[0]
        raise reject(Message.of("guard.table.function", function=function))
    lowered = table.name.lower()
    if lowered in SYSTEM_TABLES or (
        dialect == POSTGRESQL and lowered.startswith(_PG_SYSTEM_PREFIX)
    ):
        raise reject(Message.of("guard.table.system", name=table.name))
    _check_qualifier(table, known)
    if lowered not in known.names:
        raise reject(_unknown_table(table.name, known, policy))
    if any(table.args.get(key) for key in ("version", "system_time", "changes")):
        raise reject(Message.of("guard.table.history"))
    name = known.names[lowered]
    if not policy.allows_table(name):
        raise reject(Message.of("guard.table.denied", name=name))
    return name


def _check_qualifier(table: exp.Table, known: KnownTables) -> None:
    qualifiers = [table.args[key] for key in ("catalog", "db") if table.args.get(key)]
    if not qualifiers:
        return
    for qualifier in qualifiers:
        name = qualifier.name.lower()
        if name in SYSTEM_SCHEMAS or name.startswith(_PG_SYSTEM_PREFIX):
            raise reject(Message.of("guard.table.system_schema", name=qualifier.name))
    if table.name.lower() in known.names:
        raise reject(
            Message.of("guard.table.prefix", name=table.name, qualified=exp.table_name(table))
        )
    raise reject(Message.of("guard.table.other_database", name=exp.table_name(table)))


def _unknown_table(name: str, known: KnownTables, policy: AccessPolicy) -> Message:
    visible = [spelling for spelling in known.names.values() if policy.allows_table(spelling)]
    close = difflib.get_close_matches(name, visible, n=1)
    if close:
        return Message.of("guard.table.unknown_close", name=name, suggestion=close[0])
    return Message.of("guard.table.unknown", name=name)
