"""The one-line-a-table catalogue and the reading of the model's pick."""

from __future__ import annotations

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, TableDoc
from backend.prompts import estimate_tokens
from backend.table_selection import (
    catalogue,
    catalogue_line,
    merged,
    parse_selection,
    selection_messages,
)

WIDE = TableDoc(
    "CUST_MST",
    tuple(ColumnDoc(f"C{i}", "INT") for i in range(9)),
    foreign_keys=(ForeignKey(("C1",), "RGN_REF", ("RGN_CD",)),),
)
DESCRIBED = TableDoc(
    "ORD_HDR",
    (ColumnDoc("ORD_NO", "INT"), ColumnDoc("SECRET_NOTE", "TEXT")),
    foreign_keys=(
        ForeignKey(("CUST_NO",), "CUST_MST", ("CUST_NO",)),
        ForeignKey(("ORD_NO",), "ORD_HDR", ("ORD_NO",)),  # to itself: not a link
    ),
    description="Sales orders, one a purchase.",
    synonyms=("orders", "purchases", "sales", "deals"),
)


def test_a_table_without_knowledge_shows_its_first_columns_and_links() -> None:
    line = catalogue_line(WIDE, AccessPolicy())
    assert line == "CUST_MST: columns C0, C1, C2, C3, C4, C5, … [links: RGN_REF]"


def test_a_described_table_shows_its_description_and_three_synonyms() -> None:
    line = catalogue_line(DESCRIBED, AccessPolicy())
    assert line == (
        "ORD_HDR: Sales orders, one a purchase (orders, purchases, sales) [links: CUST_MST]"
    )


def test_the_policy_hides_denied_columns_and_tables() -> None:
    policy = AccessPolicy(
        allowed_tables=frozenset({"cust_mst", "ord_hdr"}),
        denied_columns=frozenset({("cust_mst", "c0")}),
    )
    line = catalogue_line(WIDE, policy)
    assert "C0" not in line and "RGN_REF" not in line and line.startswith("CUST_MST: columns C1")


def test_the_catalogue_is_in_name_order_whatever_the_input_order() -> None:
    one = catalogue([DESCRIBED, WIDE], AccessPolicy())
    two = catalogue([WIDE, DESCRIBED], AccessPolicy())
    assert one == two and one.splitlines()[0].startswith("CUST_MST")


def test_three_hundred_plain_tables_fit_the_default_budget() -> None:
    tables = [
        TableDoc(f"table_{i:03d}", tuple(ColumnDoc(f"col_{j}", "INT") for j in range(8)))
        for i in range(300)
    ]
    tokens = estimate_tokens(catalogue(tables, AccessPolicy()))
    assert tokens > 3000  # what a catalogue of 300 costs, estimated conservatively
    described = [
        TableDoc(t.name, t.columns, description="Orders placed by customers online") for t in tables
    ]
    assert estimate_tokens(catalogue(described, AccessPolicy())) < tokens


def test_the_whole_catalogue_goes_in_the_system_message_the_pool_by_the_question() -> None:
    stable = selection_messages("q1", stable_catalogue="A: x", candidates=None)
    other = selection_messages("q2", stable_catalogue="A: x", candidates=None)
    assert stable[0] == other[0] and "Catalogue:\nA: x" in stable[0][1]
    assert stable[1][1] == "Question: q1\nTables:"
    pooled = selection_messages("q1", stable_catalogue=None, candidates="B: y")
    assert "Catalogue" not in pooled[0][1]
    assert pooled[1][1] == "Catalogue:\nB: y\n\nQuestion: q1\nTables:"


def test_known_names_are_read_from_any_wrapping_in_order_without_repeats() -> None:
    names = ["CUST_MST", "ORD_HDR", "RGN_REF", "Items"]
    replies = {
        "ORD_HDR, CUST_MST": ["ORD_HDR", "CUST_MST"],
        "The tables needed are `ord_hdr` and CUST_MST.": ["ORD_HDR", "CUST_MST"],
        "```sql\nSELECT * FROM items JOIN ORD_HDR\n```": ["Items", "ORD_HDR"],
        "- CUST_MST\n- cust_mst\n- customers": ["CUST_MST"],
        "I don't know": [],
    }
    for reply, expected in replies.items():
        assert parse_selection(reply, names, limit=5) == expected, reply
    assert parse_selection("RGN_REF ORD_HDR CUST_MST", names, limit=2) == ["RGN_REF", "ORD_HDR"]


def test_a_name_outside_the_readers_tables_is_never_picked() -> None:
    assert parse_selection("SALARIES, CUST_MST", ["CUST_MST"], limit=5) == ["CUST_MST"]


def test_the_pick_comes_first_then_the_retrievals_best() -> None:
    assert merged(["D", "B"], ["A", "B", "C", "E"], k=4) == ["D", "B", "A", "C"]
    assert merged([], ["A", "B", "C"], k=2) == ["A", "B"]
    assert merged(["X", "Y", "Z"], ["A"], k=2) == ["X", "Y"]
