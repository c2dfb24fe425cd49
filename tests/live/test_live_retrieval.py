"""Hybrid schema retrieval with real embeddings, on questions phrased as business users ask.

The questions use everyday words ("couriers", "refund", "branch"), not column names, so
the dense half of the hybrid search has to carry them. Expected tables are the ones that
hold what is asked about; tables that only bridge a join are left out, because the engine
adds those itself (`expand_join_paths`). No chat model is called here.

Known misses are marked `xfail` with the reason found when they were investigated; an
XPASS means retrieval got better and the mark can go.
"""

from __future__ import annotations

import pytest

from backend.domain import Actor
from backend.pipeline import Engine
from wiring.services import Services

TOP_K = 5


def _miss(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(reason=f"known retrieval miss with all-minilm: {reason}")


QUESTIONS = [
    ("how much did we refund last year", {"returns"}),
    ("which couriers are slowest to deliver", {"shipments"}),
    ("how long do parcels take to arrive", {"shipments"}),
    ("which vendors do we buy the most products from", {"suppliers", "products"}),
    ("what are our best-selling items", {"products", "order_items"}),
    ("how many people work in each branch", {"employees", "offices"}),
    ("which payment options do buyers prefer", {"payments"}),
    ("why do customers send stuff back", {"returns"}),
    ("which territories have the most accounts", {"regions", "customers"}),
    ("how many purchases are still waiting to be paid", {"orders", "payments"}),
    ("which salespeople closed the most deals", {"employees", "orders"}),
    ("average order value per month", {"orders", "order_items"}),
    pytest.param(
        "which sales reps brought in the most money",
        {"employees", "order_items"},
        marks=_miss("'money' ranks payments, not the revenue lines in order_items"),
        id="reps-money",
    ),
    pytest.param(
        "what's the turnover per product line",
        {"product_categories", "order_items"},
        marks=_miss("'product line' does not reach product_categories (rank 6+)"),
        id="product-line",
    ),
    pytest.param(
        "our biggest clients in Spain",
        {"customers", "order_items"},
        marks=_miss("'biggest' is not read as revenue: order_items is not retrieved"),
        id="biggest-clients",
    ),
]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_hybrid_search_ranks_the_right_tables_in_the_top_5(
    live_services: Services, question: str, expected: set[str]
) -> None:
    retrieval = live_services.store.search_tables(live_services.database, question, k=TOP_K)
    ranked = [table.name for table in retrieval.tables]
    assert retrieval.mode == "hybrid", retrieval.warning
    assert retrieval.warning is None
    assert expected <= set(ranked), f"{question!r}: missing {expected - set(ranked)} in {ranked}"


def _expected(param: object) -> tuple[str, set[str]]:
    values = getattr(param, "values", param)
    question, expected = values  # type: ignore[misc]
    return question, expected


def test_question_names_find_at_least_what_the_words_alone_find(live_services: Services) -> None:
    """The engine's choice in retrieve mode (the real model lists the names first) against
    its ranking of the words alone, over every question above, the known misses included.

    The names' own effect: measured without the approved examples, which bring tables
    forward in both rankings alike (on this small schema they alone find what the names
    do; `test_engine_example_tables`, `bench scale --examples`)."""
    actor = Actor(username="ana", role="analyst")
    engine, store, database = live_services.engine, live_services.store, live_services.database
    assert engine.config.question_names
    examples = store.list_examples(database)
    assert examples, "the demo's approved examples are indexed"
    for example in examples:
        store.remove_example(database, example)
    try:
        plain, named = _found_with_and_without_names(engine, actor)
    finally:
        store.index_examples(database, examples)
    assert len(named) >= len(plain), f"lost {sorted(plain - named)}, won {sorted(named - plain)}"
    assert named - plain, "the names found none of the tables the words alone miss"


def _found_with_and_without_names(engine: Engine, actor: Actor) -> tuple[set[str], set[str]]:
    plain, named = set(), set()
    for param in QUESTIONS:
        question, expected = _expected(param)
        words = engine.rank_tables(question, actor, k=TOP_K)
        if expected <= {t.name for t in words.tables}:
            plain.add(question)
        chosen = engine.choose_tables(question, actor)
        if expected <= {t.name for t in chosen.tables}:
            named.add(question)
    return plain, named
