"""When the join repair may touch a SELECT: what a joined table or a repointed column
could change besides the column it is for (`join_repair`)."""

from __future__ import annotations

import difflib

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from backend.schema_render import identifier_words
from backend.sql_validate.catalog import Catalog, word_key
from backend.sql_validate.scopes import Scopes, Source

# How alike two names must be for one to be a typo of the other (`maker` and `make`: 0.89).
_TYPO_RATIO = 0.8


def null_extended(scope: Scope) -> set[str]:
    """The sources of `scope` an outer join may fill with NULLs: the joined side of a LEFT
    JOIN, everything before a RIGHT JOIN, both sides of a FULL JOIN."""
    select = scope.expression
    start = select.args.get("from_")
    parts = [start.this] if isinstance(start, exp.From) else []
    optional: list[exp.Expr] = []
    for join in select.args.get("joins") or []:
        side = str(join.args.get("side") or "").upper()
        if side in ("RIGHT", "FULL"):
            optional += parts
        if side in ("LEFT", "FULL"):
            optional.append(join.this)
        parts.append(join.this)
    inside = {id(node) for part in optional for node in part.walk()}
    return {name for name, (node, _) in scope.selected_sources.items() if id(node) in inside}


def misspelt_here(catalog: Catalog, column: exp.Column, candidates: tuple[Source, ...]) -> bool:
    """Whether a table `column` may come from has a column it may be a misspelling of: one
    whose name holds all its words (`name` for `customer_name`), one a letter or two away
    (`maker` for `make`), or one the knowledge calls so. Then the facts ask the model
    which it meant, rather than a neighbour's column being read."""
    asked = column.name.lower()
    words = set(identifier_words(column.name))
    for source in candidates:
        if source.table is None:
            continue
        said = catalog.column_words.get(source.table, {})
        for name in catalog.tables[source.table]:
            if words and words <= set(identifier_words(name)):
                return True
            if difflib.SequenceMatcher(None, asked, name.lower()).ratio() >= _TYPO_RATIO:
                return True
            if word_key(column.name) in said.get(name, ()):
                return True
    return False


def plain_select(scope: Scope) -> bool:
    """A SELECT with a FROM whose joins all have a condition: MySQL binds `a, b JOIN c ON`
    as `a, (b JOIN c ON …)`, so a join added after a comma could not see `a`."""
    select = scope.expression
    if not isinstance(select, exp.Select) or select.args.get("from_") is None:
        return False
    joins = select.args.get("joins") or []
    return all(j.args.get("on") is not None or j.args.get("using") for j in joins)


def can_join(scope: Scope) -> bool:
    """Whether a joined table leaves the rest of the SELECT as it was: `SELECT *` would
    list its columns too, and a column merged by USING would become ambiguous."""
    select = scope.expression
    if any(isinstance(p, exp.Star) for p in select.expressions):
        return False
    return not any(j.args.get("using") for j in select.args.get("joins") or [])


def taken_names(scopes: Scopes, scope: Scope) -> set[str]:
    """The names (lower-cased) a table joined to `scope` must not have: its sources' and
    those of the outer queries a correlated column may read, and the WITH queries'."""
    names = {alias.lower() for level in scopes.chain(scope) for alias in scopes.sources(level)}
    return names | scopes.ctes


def condition_columns(scopes: Scopes) -> set[int]:
    """The columns inside JOIN … ON: repointing one of them could compare a column with
    itself; `_repair_join_conditions` had its say on them."""
    found: set[int] = set()
    for scope in scopes.scopes:
        for join in scope.expression.args.get("joins") or []:
            on = join.args.get("on")
            if on is not None:
                found |= {id(c) for c in on.find_all(exp.Column)}
    return found
