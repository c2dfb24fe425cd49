"""The tables holding a value the question says, as far as the asker may see them."""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, ColumnDoc, RowFilter, TableDoc
from backend.value_tables import MAX_TABLES, said_values, value_index


def _table(table: str, **values: tuple[str, ...]) -> TableDoc:
    columns = [ColumnDoc("id", "INTEGER")]
    columns += [ColumnDoc(column, "TEXT", sample_values=v) for column, v in values.items()]
    return TableDoc(table, tuple(columns))


TABLES = [
    _table("berth_fees", method=("card", "bank_transfer", "cash")),
    _table("quays", name=("North Pier", "Quay 7", "Nordics Terminal")),
    _table("vessels", flag=("Panama", "Liberia", "Malta"), kind=("tanker", "ferry")),
    _table("crew", department=("Deck", "Engine", "Sales"), grade=("A", "7", "2025-01-01")),
]
EVERYONE = AccessPolicy()


def _said(question: str, policy: AccessPolicy = EVERYONE) -> list[tuple[str, ...]]:
    return said_values(question, value_index(TABLES, policy))


@pytest.mark.parametrize(
    ("question", "tables"),
    [
        ("How many fees were paid by card?", [("berth_fees",)]),
        ("Card fees last month", [("berth_fees",)]),
        ("Fees paid by bank transfer", [("berth_fees",)]),
        ("Which ships fly the flag of Panama?", [("vessels",)]),
        ("How many tankers docked?", [("vessels",)]),
        ("How many cards do we hold?", [("berth_fees",)]),
        ("Berths at Quay 7", [("quays",)]),
        ("Who works at the North Pier?", [("quays",)]),
        ("Traffic at the Nordics Terminal", [("quays",)]),
        ("Ferries from Malta", [("vessels",)]),
    ],
)
def test_a_value_the_question_says_points_at_its_table(
    question: str, tables: list[tuple[str, ...]]
) -> None:
    assert _said(question) == tables


@pytest.mark.parametrize(
    "question",
    [
        "Total sales per quay",  # 'Sales' is a name: said in capitals only
        "Send mail to the north pier",  # likewise 'North Pier'
        "Fees in 2025 of grade A",  # dates, numbers and one-letter values say nothing
        "Which panamax ships?",  # part of a word is not the word
        "",
    ],
)
def test_nothing_is_said_by_a_common_word_a_number_or_part_of_a_word(question: str) -> None:
    assert _said(question) == []


def test_a_value_in_capitals_is_said_in_capitals() -> None:
    assert _said("Who works in Sales?") == [("crew",)]
    assert _said("Who works in sales?") == []


def test_the_longest_phrase_is_matched_first_and_each_value_once() -> None:
    tables = [_table("ports", name=("Malta", "Malta Freeport")), *TABLES]
    index = value_index(tables, EVERYONE)
    found = said_values("Malta Freeport and Malta again", index)
    assert found == [("ports",), ("ports", "vessels")]


def test_a_longer_value_s_words_say_nothing_more() -> None:
    tables = [_table("carriers", name=("Royal Mail", "DHL")), _table("msgs", kind=("Mail",))]
    index = value_index(tables, EVERYONE)
    assert said_values("Parcels sent with Royal Mail", index) == [("carriers",)]
    assert said_values("Mail from DHL", index) == [("msgs",), ("carriers",)]


def test_values_that_are_not_text_are_read_as_text() -> None:
    column = ColumnDoc("level", "INT", sample_values=(3, 4.5, None, True))  # type: ignore[arg-type]
    index = value_index([TableDoc("decks", (column,))], EVERYONE)
    assert said_values("Decks of level 3", index) == []
    assert said_values("Decks where it is True", index) == [("decks",)]


def test_a_value_held_by_many_tables_says_nothing() -> None:
    many = [_table(f"t{i}", status=("active",)) for i in range(MAX_TABLES + 1)]
    assert said_values("active ones", value_index(many, EVERYONE)) == []
    few = many[:MAX_TABLES]
    assert said_values("active ones", value_index(few, EVERYONE)) == [tuple(t.name for t in few)]


@pytest.mark.parametrize(
    "policy",
    [
        AccessPolicy(allowed_tables=frozenset({"quays", "vessels", "crew"})),
        AccessPolicy(denied_columns=frozenset({("berth_fees", "method")})),
        AccessPolicy(row_filters=(RowFilter("berth_fees", "id = :user.id"),)),
        AccessPolicy(row_filters=(RowFilter("Berth_Fees", "id = :user.id"),)),
    ],
)
def test_values_the_asker_may_not_see_point_nowhere(policy: AccessPolicy) -> None:
    assert _said("Fees paid by card", policy) == []
    assert _said("Ferries from Malta", policy) == [("vessels",)]
