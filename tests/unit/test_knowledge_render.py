"""Knowledge where the schema is used: DDL comments per policy, retrieval documents, notes."""

from __future__ import annotations

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, TableDoc
from backend.knowledge import APPROVED, DRAFT, EDITED, NOTE, Entry, Knowledge, Term
from backend.knowledge.apply import apply_knowledge, knowledge_notes, strip_knowledge
from backend.schema_render import column_document, render_table, table_document
from vectorstore.documents import table_from_payload, table_to_payload

CUST = TableDoc(
    "CUST_MST",
    (
        ColumnDoc("CUST_ID", "INTEGER", False, primary_key=True),
        ColumnDoc("CUST_NM", "VARCHAR(80)", False),
        ColumnDoc("STS_CD", "CHAR(1)", False, sample_values=("A", "S")),
        ColumnDoc("CRDT_LMT", "DECIMAL(12,2)", comment="limit"),
    ),
)
ORDERS = TableDoc(
    "ORD_HDR",
    (ColumnDoc("ORD_NO", "INTEGER", False, primary_key=True), ColumnDoc("CUST_ID", "INTEGER")),
    foreign_keys=(ForeignKey(("CUST_ID",), "CUST_MST", ("CUST_ID",)),),
)
KNOWLEDGE = Knowledge(
    entries={
        ("CUST_MST", ""): Entry(
            "CUST_MST", "", "Customers, one per account.", ("client",), ("cliente",), APPROVED
        ),
        ("CUST_MST", "STS_CD"): Entry(
            "CUST_MST", "STS_CD", "Account status: A active.", ("status",), ("estado",), DRAFT
        ),
        ("CUST_MST", "CRDT_LMT"): Entry(
            "CUST_MST", "CRDT_LMT", "Credit line in euros.", ("credit",), ("crédito",), EDITED
        ),
        ("GONE", ""): Entry("GONE", "", "A table that no longer exists."),
    },
    terms=(Term("revenue", "qty × price."), Term("fiscal year", "Starts in April.", NOTE)),
)


def known(include_drafts: bool = True) -> TableDoc:
    return apply_knowledge([CUST], KNOWLEDGE, include_drafts=include_drafts)[0]


def test_descriptions_become_ddl_comments_beside_the_databases_own() -> None:
    ddl = render_table(known())
    assert "CREATE TABLE CUST_MST ( -- Customers, one per account." in ddl
    assert "STS_CD CHAR(1) NOT NULL, -- Account status: A active.; e.g. 'A', 'S'" in ddl
    assert "CRDT_LMT DECIMAL(12,2) -- limit; Credit line in euros." in ddl
    assert "cliente" not in ddl  # synonyms are for retrieval, not the prompt


def test_drafts_are_left_out_when_the_setting_says_so() -> None:
    ddl = render_table(known(include_drafts=False))
    assert "Account status" not in ddl and "Credit line in euros." in ddl


def test_a_hidden_columns_description_never_reaches_a_restricted_role() -> None:
    policy = AccessPolicy(denied_columns=frozenset({("cust_mst", "crdt_lmt")}))
    ddl = render_table(known(), policy=policy)
    assert "CRDT_LMT" not in ddl and "Credit line" not in ddl and "euros" not in ddl
    assert "Account status" in ddl
    compact = render_table(known(), policy=policy, compact=True, max_columns=2)
    assert "Credit line" not in compact


def test_rendering_is_the_same_every_time_and_unchanged_without_knowledge() -> None:
    assert render_table(known()) == render_table(known())
    assert render_table(strip_knowledge(known())) == render_table(CUST)
    assert table_document(apply_knowledge([CUST], Knowledge())[0]) == table_document(CUST)
    assert strip_knowledge(known()).fingerprint() == CUST.fingerprint()
    assert known().fingerprint() != CUST.fingerprint()


def test_retrieval_documents_hold_descriptions_and_synonyms_in_both_languages() -> None:
    document = table_document(known())
    assert "Customers, one per account." in document
    assert "also called: client, cliente" in document
    assert "Account status: A active. (also: status, estado)" in document
    column = column_document(known(), known().columns[3])
    assert "Credit line in euros. (also: credit, crédito)" in column
    assert "Customers, one per account." in column


def test_knowledge_survives_the_index_payload() -> None:
    table = known()
    assert table_from_payload(table_to_payload(table)) == table
    old_payload = table_to_payload(ORDERS)
    for column in old_payload["columns"]:
        del column["description"], column["synonyms"]
    del old_payload["description"], old_payload["synonyms"]
    assert table_from_payload(old_payload) == ORDERS  # indexed before knowledge existed


def test_terms_and_notes_become_notes() -> None:
    notes = knowledge_notes(KNOWLEDGE)
    assert [(n.title, n.text) for n in notes] == [
        ("revenue", "revenue: qty × price."),
        ("fiscal year", "Starts in April."),
    ]
