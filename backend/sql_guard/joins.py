"""NATURAL and USING joins: the join columns must be provably free of denied columns.

A NATURAL join (and, by name, a USING join) matches columns the query never writes out,
so the column check sees them only as sqlglot names them. sqlglot and the database do
not agree on the name of a derived table's unaliased column: MariaDB names `SELECT
N'email'`, `_utf8'email'` or `VALUES ('email'), (...)` "email", and compares names
without regard to case, where sqlglot keeps a literal's spelling or invents a name. A
hidden join on a denied column would then filter rows by guessed values of that column.

So, in a query that reads a table with denied columns:
- a NATURAL join is allowed only between real tables (their columns come from the
  schema, the database's own names); a subquery, WITH query or VALUES list on either
  side is refused rather than modelled;
- a USING join may not name a denied column of any table the query reads, compared
  after case and accent folding that is broader than the database's own.
"""

from __future__ import annotations

import unicodedata

from sqlglot import exp

from backend.domain import AccessPolicy
from backend.i18n.message import Message
from backend.sql_guard.statements import reject
from backend.sql_guard.tables import KnownTables, TableRead


def fold(name: str) -> str:
    """A column name folded wider than any collation the database compares names with:
    compatibility forms (full-width letters), accents and case all dropped."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", bare).casefold()


def denied_by_fold(
    reads: list[TableRead], known: KnownTables, policy: AccessPolicy
) -> dict[str, str]:
    """Folded name -> 'table.column' for every denied column of the tables `reads` read."""
    return {
        fold(column): f"{read.name}.{column}"
        for read in reads
        for column in known.columns[read.name.lower()]
        if not policy.allows_column(read.name, column)
    }


def check_joins(
    tree: exp.Expr, reads: list[TableRead], known: KnownTables, policy: AccessPolicy
) -> None:
    """Refuse NATURAL joins over anything but real tables, and USING on a denied name."""
    denied = denied_by_fold(reads, known, policy)
    real = {id(read.node) for read in reads}
    for join in tree.find_all(exp.Join):
        natural = str(join.args.get("method") or "").upper() == "NATURAL"
        if natural and not all(_only_real_tables(s, real) for s in _join_group(join)):
            raise reject(Message.of("guard.column.natural_join"))
        for name in join.args.get("using") or ():
            column = denied.get(fold(name.name))
            if column is not None:
                raise reject(Message.of("guard.column.using", name=name.name, column=column))


def _join_group(join: exp.Join) -> list[exp.Expr]:
    """Every source of the FROM clause (or parenthesised join) `join` belongs to."""
    owner = join.parent
    if isinstance(owner, exp.Select):
        start = owner.args.get("from_")
        sources = [start.this] if isinstance(start, exp.From) else []
    elif isinstance(owner, exp.Table):
        sources = [owner]
    else:
        return [owner] if owner is not None else []
    return sources + [other.this for other in owner.args.get("joins") or ()]


def _only_real_tables(source: exp.Expr, real: set[int]) -> bool:
    if isinstance(source, exp.Subquery) and isinstance(source.this, exp.Table):
        return _only_real_tables(source.this, real)  # a parenthesised join: (a JOIN b)
    if not isinstance(source, exp.Table) or id(source) not in real:
        return False
    return all(_only_real_tables(join.this, real) for join in source.args.get("joins") or ())
