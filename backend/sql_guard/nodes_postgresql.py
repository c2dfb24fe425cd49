"""PostgreSQL's own ways for a read query to reach past the business tables' values.

`statements.node_problem` asks this module about every node when the dialect is
PostgreSQL (or every dialect, for a row filter's condition):

- a cast to a type sqlglot does not know: the reg* types' array forms (`'{10}'::_regrole`
  names the superuser, `'{pg_authid}'::_regclass` finds a relation), schema-qualified
  types (`'10'::pg_catalog.regrole`), `aclitem` (whose input looks roles up) — their input
  and output functions read the system catalogs. sqlglot knows every type business
  questions cast to (numbers, text, dates, intervals, booleans, JSON); an enum or domain of
  the business schema is compared with a plain string instead;
- a system column (`xmin`, `xmax`, `cmin`, `cmax`, `ctid`, `tableoid`): transaction ids,
  row locations and catalog OIDs, not business data. No table can have a column of these
  names (PostgreSQL refuses it), so a reference to one is never a business column.
"""

from __future__ import annotations

from sqlglot import exp

from backend.i18n.message import Message

SYSTEM_COLUMNS = frozenset(("tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"))


def postgresql_node_problem(node: exp.Expr) -> Message | None:
    """Why `node` is refused on PostgreSQL (see the module), or None."""
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.USERDEFINED:
        return Message.of("guard.unknown_type", type=node.sql(dialect="postgres"))
    if isinstance(node, exp.Column) and _as_postgresql_reads(node.this) in SYSTEM_COLUMNS:
        return Message.of("guard.system_column", column=node.sql(dialect="postgres"))
    return None


def _as_postgresql_reads(name: exp.Expr) -> str | None:
    """The identifier as PostgreSQL resolves it: folded to lower case unless quoted."""
    if not isinstance(name, exp.Identifier):
        return None
    return name.name if name.quoted else name.name.lower()
