"""Drafted knowledge with the real model: on a schema with cryptic names, questions in
business words find their tables after drafting where they did not before.

Eleven legacy-style tables (`WHS_LOC`, `RTN_HDR`, `CRR_CD`, ...; no comments) invented
for this test. Each question avoids the schema's words; hybrid retrieval ranks the tables
before and after `keskinube knowledge draft`'s code path (the real model writes the
descriptions and English/Spanish synonyms, which are indexed). Slow: one model call per
table.
"""

from __future__ import annotations

import pytest
from qdrant_client import QdrantClient

from tests.live.helpers import live_settings, product_env_cleared
from tests.support.cryptic_schema import build_cryptic_database
from tests.support.live_llm import LiveOllama
from wiring.services import (
    Services,
    build_services,
    draft_and_index,
    index_database,
    knowledge_model,
)

TOP_K = 3
QUESTIONS = {
    "which warehouses are in the north-east": "WHS_LOC",
    "how much money did we give back for damaged goods": "RTN_HDR",
    "which couriers take longest to deliver": "SHP_TRK",
    "how many staff joined the company last year": "EMP_MST",
    "which vendors give us sixty days to pay": "VND_MST",
    "how much stock is on hand per item": "INV_BAL",
    "¿qué almacenes tenemos?": "WHS_LOC",
    "¿cuántos empleados hay por departamento?": "EMP_MST",
}


def hits(services: Services) -> dict[str, list[str]]:
    found = {}
    for question in QUESTIONS:
        retrieval = services.store.search_tables(services.database, question, k=TOP_K)
        assert retrieval.mode == "hybrid", retrieval.warning
        found[question] = [t.name for t in retrieval.tables]
    return found


def test_drafted_knowledge_finds_tables_named_in_business_words(
    live_ollama: LiveOllama, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("live-knowledge")
    url = f"sqlite:///{data / 'cryptic.sqlite'}"
    build_cryptic_database(url, more=True)
    with product_env_cleared(tmp_path_factory.mktemp("live-knowledge-cwd")):
        settings = live_settings(live_ollama, data)
        services = build_services(settings, database_url=url, qdrant=QdrantClient(":memory:"))
        try:
            index_database(services)
            before = hits(services)
            report = draft_and_index(services, knowledge_model(settings), max_tables=50)
            after = hits(services)
            described = sum(1 for t in services.engine.tables().values() if t.has_knowledge)
        finally:
            services.close()
    assert report.stopped is None, report.stopped
    assert len(report.drafted) >= 8 and described >= 8, report
    found_before = {q for q, ranked in before.items() if QUESTIONS[q] in ranked}
    found_after = {q for q, ranked in after.items() if QUESTIONS[q] in ranked}
    detail = "\n".join(f"{q}: {before[q]} -> {after[q]} (want {QUESTIONS[q]})" for q in QUESTIONS)
    assert found_after - found_before, f"no question was helped by the knowledge:\n{detail}"
    assert len(found_after) > len(found_before), detail
    assert len(found_after) >= len(QUESTIONS) - 2, detail
