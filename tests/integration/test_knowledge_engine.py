"""Knowledge through the real wiring: drafted by the (scripted) model, indexed, used.

A cryptic SQLite schema, embedded Qdrant, the scripted Ollama server: drafting (good,
bad and partial JSON, incremental skip, reviewed entries kept, the call budget), then the
prompt's DDL, the retrieval and the notes with the knowledge, per access policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from appdb.migrate import upgrade
from backend.domain import AccessPolicy, Actor
from backend.knowledge import APPROVED, DRAFT, EDITED, TERM, Entry, Term
from backend.knowledge.draft import DraftProgress, draft_knowledge, parse_draft
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.cryptic_schema import build_cryptic_database
from tests.support.services import scripted_services
from wiring.services import (
    Services,
    draft_and_index,
    knowledge_model,
    refresh_knowledge,
)

ADMIN = Actor(username="ada", role="admin")
CUST_ANSWER = {
    "table": {"description": "Customers, one per account.", "en": ["client"], "es": ["cliente"]},
    "columns": {
        "STS_CD": {
            "description": "Account status: A active, S suspended.",
            "en": ["status"],
            "es": ["estado"],
        },
        "crdt_lmt": {"description": "Credit line in euros.", "en": ["credit"], "es": ["crédito"]},
        "NOT_A_COLUMN": {"description": "ignored"},
    },
}
WHS_ANSWER = {
    "table": {
        "description": "Warehouses where stock is kept.",
        "en": ["warehouse", "depot"],
        "es": ["almacén"],
    },
    "columns": [{"name": "RGN_CD", "description": "Sales region code.", "en": ["region"]}],
}


@pytest.fixture
def services(tmp_path: Path, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path / 'cryptic.sqlite'}"
    build_cryptic_database(url)
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    with scripted_services(
        scripted_ollama, url, app_database_url=app_url, schema_mode="full"
    ) as built:
        upgrade(built.knowledge.engine)
        yield built


def script(ollama: ScriptedOllama) -> None:
    """Good JSON for CUST_MST (in a code fence, prose around it), a list-shaped answer for
    WHS_LOC, prose for ORD_HDR, broken JSON for ORD_LN, and a partial answer for ITM_MST."""
    fenced = "Here you are:\n```json\n" + json.dumps(CUST_ANSWER) + "\n```\nHope it helps."
    ollama.add(when("CREATE TABLE CUST_MST", reply=fenced))
    ollama.add(when("CREATE TABLE WHS_LOC", reply=json.dumps(WHS_ANSWER)))
    ollama.add(when("CREATE TABLE ORD_HDR", reply="This table holds orders."))
    ollama.add(when("CREATE TABLE ORD_LN", reply='{"table": {"description": "Order lines", '))
    ollama.add(when("CREATE TABLE ITM_MST", reply='{"columns": {"CAT_CD": "Category code."}}'))


def draft(services: Services, max_tables: int = 50) -> tuple[list[DraftProgress], object]:
    seen: list[DraftProgress] = []
    report = draft_and_index(
        services, knowledge_model(services.settings), max_tables=max_tables, on_progress=seen.append
    )
    return seen, report


def test_drafting_saves_good_and_partial_answers_and_skips_bad_ones(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    seen, report = draft(services)
    assert report.drafted == ["CUST_MST", "ITM_MST", "WHS_LOC"]  # type: ignore[attr-defined]
    assert report.failed == ["ORD_HDR", "ORD_LN"]  # type: ignore[attr-defined]
    assert [(p.done, p.total, p.table, p.outcome) for p in seen] == [
        (1, 5, "CUST_MST", "drafted"),
        (2, 5, "ITM_MST", "drafted"),
        (3, 5, "ORD_HDR", "failed"),
        (4, 5, "ORD_LN", "failed"),
        (5, 5, "WHS_LOC", "drafted"),
    ]
    knowledge = services.knowledge.load()
    status = knowledge.entry("CUST_MST", "STS_CD")
    assert status == Entry(
        "CUST_MST",
        "STS_CD",
        "Account status: A active, S suspended.",
        ("status",),
        ("estado",),
        DRAFT,
    )
    assert knowledge.entry("CUST_MST", "CRDT_LMT") is not None  # matched case-insensitively
    assert knowledge.entry("CUST_MST", "NOT_A_COLUMN") is None
    assert knowledge.entry("WHS_LOC", "RGN_CD").synonyms_en == ("region",)  # type: ignore[union-attr]
    assert knowledge.entry("ITM_MST", "CAT_CD").description == "Category code."  # type: ignore[union-attr]
    assert knowledge.entry("ORD_HDR") is None and knowledge.entry("ORD_LN") is None
    # Every call: the table's DDL with sample values, temperature 0, JSON asked for.
    body = scripted_ollama.chat_requests[0]
    assert body["options"]["temperature"] == 0
    assert "'A', 'S'" in body["messages"][-1]["content"]
    assert "JSON" in body["messages"][0]["content"]


def test_the_naming_call_gives_the_users_words_and_drops_the_schemas_own(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    answer = {
        "rows": {"en": ["clients", "Cust Mst", "ord hdr"], "es": ["clientes"]},
        "sts_cd": {"en": ["account state", "Sts Cd"], "es": ["situación"]},
    }
    scripted_ollama.add(when("Table: CUST_MST", reply=json.dumps(answer)))
    draft(services)
    knowledge = services.knowledge.load()
    own = knowledge.entry("CUST_MST")
    assert own is not None and own.description == "Customers, one per account."
    # Naming words first, then the draft's; the table's own and another table's name out.
    assert (own.synonyms_en, own.synonyms_es) == (("clients", "client"), ("clientes", "cliente"))
    status = knowledge.entry("CUST_MST", "STS_CD")
    assert status is not None
    assert status.synonyms_en == ("account state", "status")  # "Sts Cd" is its name
    assert status.synonyms_es == ("situación", "estado")
    # Only tables whose draft succeeded are named: two calls for each of those three.
    asked = [r["messages"][-1]["content"].split("\n", 1)[0] for r in scripted_ollama.chat_requests]
    assert asked.count("Table: CUST_MST") == 1 and scripted_ollama.chat_count == 5 + 3
    assert "Table: ORD_HDR" not in asked


def test_an_unchanged_table_is_not_drafted_again_and_failures_are_retried(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    draft(services)
    scripted_ollama.clear_requests()
    seen, report = draft(services)
    assert [p.table for p in seen] == ["ORD_HDR", "ORD_LN"]
    assert report.unchanged == 3  # type: ignore[attr-defined]
    assert scripted_ollama.chat_count == 2


def test_reviewed_entries_are_never_overwritten(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    services.knowledge.save(
        [
            Entry("CUST_MST", "", "Our customers.", ("buyer",), (), EDITED),
            Entry("CUST_MST", "STS_CD", "Status: A active, S stopped.", status=APPROVED),
        ]
    )
    script(scripted_ollama)
    draft(services)
    knowledge = services.knowledge.load()
    assert knowledge.entry("CUST_MST").description == "Our customers."  # type: ignore[union-attr]
    assert knowledge.entry("CUST_MST").status == EDITED  # type: ignore[union-attr]
    assert knowledge.entry("CUST_MST").fingerprint is not None  # type: ignore[union-attr]
    assert knowledge.entry("CUST_MST", "STS_CD").description == "Status: A active, S stopped."  # type: ignore[union-attr]
    assert knowledge.entry("CUST_MST", "CRDT_LMT").status == DRAFT  # type: ignore[union-attr]


def test_the_call_budget_is_respected_and_the_next_run_resumes(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    seen, report = draft(services, max_tables=2)
    assert scripted_ollama.chat_count == 4 and len(seen) == 2  # a draft and a naming call each
    assert report.left == ["ORD_HDR", "ORD_LN", "WHS_LOC"]  # type: ignore[attr-defined]
    seen, report = draft(services, max_tables=2)
    assert [p.table for p in seen] == ["ORD_HDR", "ORD_LN"]


def test_only_the_tables_named_are_drafted_whatever_their_case(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    model = knowledge_model(services.settings)
    report = draft_and_index(services, model, max_tables=50, only=["whs_loc", "CUST_MST", "NOPE"])
    assert report.drafted == ["CUST_MST", "WHS_LOC"] and scripted_ollama.chat_count == 4
    assert report.left == [] and report.failed == []
    assert services.knowledge.load().entry("ORD_HDR") is None  # not named: not drafted


def test_a_dead_model_stops_the_run_without_raising(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.fail_status = 500
    tables = list(services.engine.tables().values())
    model = knowledge_model(services.settings)
    report = draft_knowledge(tables, services.knowledge, model, max_tables=10)
    assert report.stopped and report.drafted == [] and report.calls == 1
    assert len(report.left) == 4


def test_the_prompt_ddl_and_retrieval_carry_the_knowledge(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    draft(services)
    services.knowledge.save_term(Term("revenue", "Sum of ORD_LN.QTY * ORD_LN.UNT_PRC.", TERM))
    refresh_knowledge(services)
    scripted_ollama.clear_requests()
    scripted_ollama.add(when("which clients", reply="```sql\nSELECT CUST_NM FROM CUST_MST\n```"))
    answer = services.engine.ask("which clients are suspended?", ADMIN)
    assert answer.ok, answer.error
    system = scripted_ollama.chat_requests[-1]["messages"][0]["content"]
    assert "CREATE TABLE CUST_MST ( -- Customers, one per account." in system
    assert "-- Account status: A active, S suspended.; e.g. 'A', 'S'" in system
    assert "revenue: Sum of ORD_LN.QTY * ORD_LN.UNT_PRC." in system
    # The whole-schema prompt is the same for the next question (cached prefix).
    services.engine.ask("which clients are in Spain?", ADMIN)
    assert scripted_ollama.chat_requests[-1]["messages"][0]["content"] == system
    # Spanish words the model drafted find the table (no schema word in the question).
    ranked = services.engine.rank_tables("almacén", ADMIN, k=1)
    assert [t.name for t in ranked.tables] == ["WHS_LOC"]


def test_a_restricted_role_never_sees_a_hidden_columns_description(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    script(scripted_ollama)
    draft(services)
    policy = AccessPolicy(denied_columns=frozenset({("cust_mst", "crdt_lmt")}))
    clerk = Actor(username="cy", role="analyst", policy=policy)
    scripted_ollama.add(when("credit", reply="```sql\nSELECT CUST_NM FROM CUST_MST\n```"))
    services.engine.ask("credit of each client?", clerk)
    prompt = json.dumps(scripted_ollama.chat_requests[-1]["messages"], ensure_ascii=False)
    assert "Account status" in prompt
    assert "Credit line" not in prompt and "crédito" not in prompt and "CRDT_LMT" not in prompt


def test_an_edit_reindexes_only_its_table(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    services.knowledge.save([Entry("WHS_LOC", "", "Depots.", ("depot",), ("almacén",), EDITED)])
    stats = refresh_knowledge(services)
    assert (stats.updated, stats.added, stats.removed) == (1, 0, 0)
    assert services.engine.tables()["WHS_LOC"].description == "Depots."
    assert refresh_knowledge(services).updated == 0


def test_parse_draft_takes_only_what_it_understands() -> None:
    from backend.domain import ColumnDoc, TableDoc

    table = TableDoc("T", (ColumnDoc("A", "INT"), ColumnDoc("B", "INT")))
    assert parse_draft("no json here", table) == []
    assert parse_draft('{"columns": "nope", "table": 5}', table) == []
    assert parse_draft("[1, 2]", table) == []
    found = parse_draft('{"columns": {"a": {"description": "x", "en": "one, two"}, "B": 7}}', table)
    assert [(e.column, e.description, e.synonyms_en) for e in found] == [("A", "x", ("one", "two"))]


def test_a_background_run_reports_progress_and_refuses_a_second_one(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    from backend.knowledge.jobs import job_for
    from wiring.services import start_background_draft

    script(scripted_ollama)
    scripted_ollama.chunk_delay_s = 0.05  # slow enough to still be running at the 2nd start
    job = job_for(services.database)
    assert start_background_draft(services)
    assert not start_background_draft(services)
    job.wait(60)
    state = job.state
    assert not state.running and state.finished and state.error is None
    assert (state.done, state.total, state.drafted, state.failed) == (5, 5, 3, 2)
    assert services.engine.tables()["CUST_MST"].description == "Customers, one per account."


def test_cli_draft_prints_each_table_and_a_summary(
    tmp_path: Path,
    scripted_ollama: ScriptedOllama,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cli import main

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    build_cryptic_database(url)
    for name, value in {
        "OLLAMA_BASE_URL": scripted_ollama.url,
        "OLLAMA_MODEL": scripted_ollama.chat_model,
        "OLLAMA_EMBED_MODEL": scripted_ollama.embed_model,
        "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "QDRANT_PATH": str(tmp_path / "qdrant"),
    }.items():
        monkeypatch.setenv(name, value)
    script(scripted_ollama)
    assert main(["knowledge", "draft", "--db", url, "--max-tables", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[1/3] CUST_MST: drafted",
        "[2/3] ITM_MST: drafted",
        "[3/3] ORD_HDR: no usable answer, skipped",
        "Knowledge draft: 2 tables drafted, 1 failed, 0 unchanged, 2 left for the next run.",
    ]
    assert main(["knowledge", "export", "--db", url]) == 0
    exported = capsys.readouterr().out
    assert "Customers, one per account." in exported and "status: draft" in exported


def test_keyword_search_alone_finds_tables_by_drafted_synonyms(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    before = services.engine.rank_tables("almacén", ADMIN, k=1)
    script(scripted_ollama)
    draft(services)
    scripted_ollama.stop()  # no embeddings: the sparse half alone
    ranked = services.engine.rank_tables("¿qué almacén?", ADMIN, k=1)
    assert ranked.mode == "sparse"
    assert [t.name for t in ranked.tables] == ["WHS_LOC"]
    assert [t.name for t in before.tables] != ["WHS_LOC"]
