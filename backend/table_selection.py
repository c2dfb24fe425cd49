"""The model picks the tables a question needs from a one-line-a-table catalogue.

Retrieval ranks tables by words; on a big schema with questions in the users' words the
right table is often ranked 6th to 30th. A compact catalogue — each table's name, what
the knowledge says it holds (or its first columns) and the tables it links to — lets the
model read meaning: it answers with a few table names, and the SQL prompt then carries
those tables' full DDL (issue 15).

When the whole visible catalogue fits its budget it is the same for every question of a
role, so it goes in the system message, where the model server's prompt cache serves it;
otherwise only the retrieval's top candidates are listed, in the question's message.
Pure functions: the engine asks the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from backend.domain import AccessPolicy, TableDoc

SELECTION_SYSTEM = """You choose the database tables needed to answer a business question.
Each line of the catalogue is: table: what it holds [links: tables it joins to].
Answer with the names of the tables the SQL query needs (usually one to four), separated by
commas, and nothing else. Include the tables that connect them."""

_MAX_COLUMNS_SHOWN = 6
_WORD = re.compile(r"[\w$]+")


def catalogue_line(table: TableDoc, policy: AccessPolicy) -> str:
    """`table` in one short line, only with what `policy` lets the reader see."""
    columns = [c for c in table.columns if policy.allows_column(table.name, c.name)]
    if table.description:
        holds = table.description.strip().rstrip(".")
        if table.synonyms:
            holds += f" ({', '.join(table.synonyms[:3])})"
    else:
        shown = [c.name for c in columns[:_MAX_COLUMNS_SHOWN]]
        more = ", …" if len(columns) > _MAX_COLUMNS_SHOWN else ""
        holds = f"columns {', '.join(shown)}{more}"
    links = sorted(
        {fk.ref_table for fk in table.foreign_keys if policy.allows_table(fk.ref_table)}
        - {table.name}
    )
    linked = f" [links: {', '.join(links)}]" if links else ""
    return f"{table.name}: {holds}{linked}"


def catalogue(tables: Iterable[TableDoc], policy: AccessPolicy) -> str:
    """The catalogue of `tables` in name order (a stable text: one cached prefix)."""
    ordered = sorted(tables, key=lambda t: t.name.lower())
    return "\n".join(catalogue_line(t, policy) for t in ordered)


def selection_messages(
    question: str, *, stable_catalogue: str | None, candidates: str | None
) -> tuple[tuple[str, str], ...]:
    """The request: the whole catalogue in the system message, or candidates by the question."""
    system = SELECTION_SYSTEM
    if stable_catalogue:
        system += f"\n\nCatalogue:\n{stable_catalogue}"
    user = f"Question: {question}\nTables:"
    if candidates:
        user = f"Catalogue:\n{candidates}\n\n{user}"
    return (("system", system), ("user", user))


def parse_selection(reply: str, names: Sequence[str], *, limit: int) -> list[str]:
    """The known table names in `reply`, in its order, at most `limit` (case-insensitive).

    A small model may wrap the names in prose, a list or a SQL fence, or write one in
    another case; anything that is not a known name is ignored.
    """
    by_lower = {name.lower(): name for name in names}
    chosen: list[str] = []
    for word in _WORD.findall(reply):
        name = by_lower.get(word.lower())
        if name is not None and name not in chosen:
            chosen.append(name)
        if len(chosen) == limit:
            break
    return chosen


def merged(chosen: Sequence[str], ranked: Sequence[str], *, k: int) -> list[str]:
    """The model's tables first, then the retrieval's best others, `k` in all."""
    return list(dict.fromkeys([*chosen, *ranked]))[:k]
