"""Why retrieval missed: each miss of the Spider benchmark sorted into failure patterns.

For every question whose gold tables were not all in the top 5 of the production ranking
(`Engine.rank_tables`), the missed tables are checked for patterns that a generic fix
could address (never for the question's wording alone, so nothing is tuned to Spider's
questions):

- `link_table`: a missed table is a junction/link table (≥ 2 foreign keys, at most one
  other non-key column) — questions rarely name it; the join-path closure should add it;
- `name_not_in_question`: no word of a missed table's name (split and stemmed as the sparse
  tokenizer does) occurs in the question — only columns or synonyms could find it;
- `near_miss`: every missed table ranked 6–10 in the raw store ranking;
- `beyond_20`: some missed table is not even in the raw top 20 (the re-rank's pool);
- `other_databases_in_top5` (at scale): the top 5 hold tables of other databases;
- `same_name_elsewhere` (at scale): a table of the same name from another database
  outranked the missed one;
- `recovered_by_join_paths`: the engine's join-path closure adds the missing table.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from backend.domain import TableDoc
from vectorstore.sparse import tokenize

if TYPE_CHECKING:
    from bench.retrieval import Scope
    from bench.spider import SpiderQuestion


def is_link_table(table: TableDoc) -> bool:
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    others = [c for c in table.columns if c.name not in fk_columns and not c.primary_key]
    return len(table.foreign_keys) >= 2 and len(others) <= 1


def _base(name: str) -> str:
    return name.split("__", 1)[-1].lower()


def _patterns(miss: dict[str, Any], scope: Scope, question: str) -> list[str]:
    database = scope.database_of[miss["idx"]]
    tables = {name.lower(): doc for name, doc in scope.tables[database].items()}
    top = [t.lower() for t in miss["top"]]
    missed = [g for g in miss["gold"] if g not in top]
    ranks = miss.get("gold_ranks", {})
    words = set(tokenize(question))
    found = []
    if any(g in tables and is_link_table(tables[g]) for g in missed):
        found.append("link_table")
    if any(not set(tokenize(_base(g))) & words for g in missed):
        found.append("name_not_in_question")
    missed_ranks = [ranks.get(g) for g in missed]
    if missed_ranks and all(r is not None and r <= 10 for r in missed_ranks):
        found.append("near_miss")
    if any(r is None for r in missed_ranks):
        found.append("beyond_20")
    if scope.qualified:
        if any(not t.startswith(miss["db"].lower() + "__") for t in top):
            found.append("other_databases_in_top5")
        if any(_base(t) == _base(g) for t in top for g in missed):
            found.append("same_name_elsewhere")
    if miss.get("hit_with_joins"):
        found.append("recovered_by_join_paths")
    return found


def analyse_misses(
    misses: list[dict[str, Any]], scope: Scope, questions: list[SpiderQuestion]
) -> dict[str, Any]:
    """Counts of each pattern, the tables missed most often, and misses by gold-table count."""
    text = {q.idx: q.question for q in questions}
    patterns: Counter[str] = Counter()
    missed_tables: Counter[str] = Counter()
    by_gold: Counter[int] = Counter()
    for miss in misses:
        found = _patterns(miss, scope, text[miss["idx"]])
        miss["patterns"] = found
        patterns.update(found)
        top = {t.lower() for t in miss["top"]}
        missed_tables.update(f"{miss['db']}.{_base(g)}" for g in miss["gold"] if g not in top)
        by_gold[len(miss["gold"])] += 1
    return {
        "misses": len(misses),
        "patterns": dict(patterns.most_common()),
        "misses_by_gold_table_count": dict(sorted(by_gold.items())),
        "most_missed_tables": dict(missed_tables.most_common(15)),
    }
