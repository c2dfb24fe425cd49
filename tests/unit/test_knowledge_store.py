"""Schema knowledge in the app database (SQLite and MariaDB), and its YAML round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.domain import TableDoc
from backend.knowledge import APPROVED, DRAFT, EDITED, NOTE, TERM, Entry, Knowledge, Term
from backend.knowledge.store import KnowledgeStore
from backend.knowledge.yaml_io import (
    KnowledgeFileError,
    dump_knowledge,
    import_knowledge,
    parse_knowledge,
    review_status,
)
from backend.schema import introspect
from tests.support.auth_fixtures import ManualClock
from tests.support.cryptic_schema import KNOWLEDGE_YAML, build_cryptic_database


@pytest.fixture
def store(app_engine: sa.Engine, clock: ManualClock) -> KnowledgeStore:
    return KnowledgeStore(app_engine, "cryptic", clock=clock)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TableDoc]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cryptic') / 'cryptic.sqlite'}"
    build_cryptic_database(url)
    engine = sa.create_engine(url)
    try:
        return {t.name: t for t in introspect(engine, sample_values=False)}
    finally:
        engine.dispose()


STATUS = Entry("CUST_MST", "STS_CD", "Account status.", ("status",), ("estado",), DRAFT)


def test_entries_round_trip_and_update_in_place(store: KnowledgeStore) -> None:
    table = Entry("CUST_MST", "", "Customers.", ("client",), ("cliente",), APPROVED, "f" * 64)
    store.save([table, STATUS], by="model")
    loaded = store.load()
    assert loaded.entry("CUST_MST") == table
    assert loaded.entry("CUST_MST", "STS_CD") == STATUS
    store.save([Entry("CUST_MST", "STS_CD", "A active, S suspended.", status=EDITED)], by="ana")
    entries = store.entries()
    assert [(e.table, e.column) for e in entries] == [("CUST_MST", ""), ("CUST_MST", "STS_CD")]
    assert entries[1].description == "A active, S suspended." and entries[1].status == EDITED
    assert entries[1].synonyms == ()


def test_entries_are_kept_per_database(app_engine: sa.Engine, store: KnowledgeStore) -> None:
    store.save([STATUS])
    other = KnowledgeStore(app_engine, "another")
    assert other.load().entries == {}
    other.save([STATUS])
    store.delete_entries([STATUS.key])
    assert store.load().entries == {} and other.load().entry("CUST_MST", "STS_CD") is not None


def test_text_is_stored_as_one_clean_line(store: KnowledgeStore) -> None:
    messy = Entry(
        "ORD_HDR",
        "",
        "  Sales\norders,\t one per row  " + "x" * 400,
        ("order", "Order", "", "order "),
        ("pedido",) * 3,
    )
    store.save([messy])
    saved = store.load().entry("ORD_HDR")
    assert saved is not None
    assert "\n" not in saved.description and saved.description.startswith("Sales orders, one")
    assert len(saved.description) <= 300
    assert saved.synonyms_en == ("order",) and saved.synonyms_es == ("pedido",)


def test_terms_and_notes_are_added_renamed_and_deleted(store: KnowledgeStore) -> None:
    store.save_term(Term("revenue", "Quantity × price minus returns."), by="ana")
    store.save_term(Term("fiscal year", "Starts on 1 April.", NOTE), by="ana")
    store.save_term(Term("net revenue", "Revenue minus refunds."), old_name="revenue")
    assert store.terms() == [
        Term("fiscal year", "Starts on 1 April.", NOTE),
        Term("net revenue", "Revenue minus refunds.", TERM),
    ]
    store.delete_term("fiscal year", NOTE)
    assert store.terms(NOTE) == []
    with pytest.raises(ValueError):
        store.save_term(Term("  ", "text"))


def test_yaml_export_is_sorted_and_import_gives_the_same_knowledge(
    store: KnowledgeStore, schema: dict[str, TableDoc]
) -> None:
    knowledge = Knowledge(
        entries={
            ("ORD_HDR", ""): Entry("ORD_HDR", "", "Orders.", ("order",), ("pedido",), APPROVED),
            STATUS.key: STATUS,
            ("CUST_MST", ""): Entry("CUST_MST", "", "Customers, «all».", (), ("cliente",), EDITED),
        },
        terms=(Term("revenue", "Σ qty × price."), Term("b note", "Text: with colon.", NOTE)),
    )
    text = dump_knowledge("cryptic", knowledge)
    assert text == dump_knowledge(
        "cryptic", Knowledge(dict(reversed(knowledge.entries.items())), knowledge.terms[::-1])
    )
    assert text.index("CUST_MST") < text.index("ORD_HDR") and "«all»" in text
    parsed = parse_knowledge(text, schema)
    assert parsed.unknown == [] and parsed.database == "cryptic"
    assert {e.key: e for e in parsed.entries} == knowledge.entries
    assert sorted(parsed.terms, key=lambda t: t.name) == sorted(
        knowledge.terms, key=lambda t: t.name
    )


def test_import_reports_unknown_names_and_matches_case(schema: dict[str, TableDoc]) -> None:
    text = (
        "tables:\n  cust_mst:\n    description: Customers.\n    columns:\n"
        "      sts_cd: Status code.\n      NO_SUCH: x\n  GHOST_TBL:\n    description: y\n"
    )
    parsed = parse_knowledge(text, schema)
    assert sorted(parsed.unknown) == ["GHOST_TBL", "cust_mst.NO_SUCH"]
    assert [e.key for e in parsed.entries] == [("CUST_MST", ""), ("CUST_MST", "STS_CD")]


@pytest.mark.parametrize(
    "text",
    ["tables: [a, b]", "- just\n- a list", "tables:\n  CUST_MST: [1, 2]", "key: [unclosed"],
)
def test_a_malformed_file_is_refused_with_a_reason(text: str, schema: dict[str, TableDoc]) -> None:
    with pytest.raises(KnowledgeFileError):
        parse_knowledge(text, schema)


def test_importing_is_reviewing(store: KnowledgeStore, schema: dict[str, TableDoc]) -> None:
    stored_draft = Entry("CUST_MST", "STS_CD", "Status.", status=DRAFT, fingerprint="abc")
    same = Entry("CUST_MST", "STS_CD", "Status.", status=APPROVED)
    assert review_status(same, stored_draft).status == APPROVED
    assert review_status(same, stored_draft).fingerprint == "abc"
    changed = Entry("CUST_MST", "STS_CD", "A active, S suspended.", status=APPROVED)
    assert review_status(changed, stored_draft).status == EDITED
    # Exported and imported again without review: still a draft.
    assert (
        review_status(Entry("CUST_MST", "STS_CD", "Status.", status=DRAFT), stored_draft).status
        == DRAFT
    )
    edited = Entry("CUST_MST", "STS_CD", "Status.", status=EDITED)
    assert review_status(same, edited).status == EDITED


def test_import_saves_entries_and_terms(store: KnowledgeStore, schema: dict[str, TableDoc]) -> None:
    parsed = parse_knowledge(KNOWLEDGE_YAML, schema)
    assert parsed.unknown == []
    assert import_knowledge(store, parsed, save=False) == 4 and store.load().entries == {}
    assert import_knowledge(store, parsed, by="cli") == 4
    knowledge = store.load()
    assert {e.status for e in knowledge.entries.values()} == {EDITED}
    assert knowledge.entry("CUST_MST", "STS_CD").synonyms_es == ("estado",)  # type: ignore[union-attr]
    assert [t.kind for t in knowledge.terms] == [NOTE, TERM]
    # The same file again changes nothing but what was approved stays approved.
    import_knowledge(store, parse_knowledge(KNOWLEDGE_YAML, schema))
    assert {e.status for e in store.load().entries.values()} == {EDITED}


def test_cli_export_and_import_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main

    business = f"sqlite:///{tmp_path / 'cryptic.sqlite'}"
    build_cryptic_database(business)
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("QDRANT_PATH", ":memory:")
    source = tmp_path / "in.yaml"
    source.write_text(KNOWLEDGE_YAML, encoding="utf-8")
    assert main(["knowledge", "import", str(source), "--db", business]) == 0
    assert "Imported 4 entries and 2 terms" in capsys.readouterr().out
    exported = tmp_path / "out.yaml"
    assert main(["knowledge", "export", "--db", business, "-o", str(exported)]) == 0
    text = exported.read_text(encoding="utf-8")
    assert "status: edited" in text and "cliente" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables:\n  NOPE_TBL:\n    description: x\n", encoding="utf-8")
    assert main(["knowledge", "import", str(bad), "--db", business]) == 1
    assert "NOPE_TBL" in capsys.readouterr().err
