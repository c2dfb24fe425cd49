"""What the model says a database would call a question's things, read into search words."""

from __future__ import annotations

import pytest

from backend.question_names import (
    MAX_NAMES,
    MAX_THINGS,
    QuestionNames,
    names_messages,
    parse_names,
    parse_things,
    widened,
)


def test_the_request_is_a_fixed_start_then_the_question() -> None:
    one = names_messages("how many vessels docked in May?")
    two = names_messages("  who are our best patrons  ")
    assert one[:-1] == two[:-1], "everything before the question is shared (cached)"
    assert one[-1] == ("user", "how many vessels docked in May?")
    assert two[-1] == ("user", "who are our best patrons")
    assert [role for role, _ in one] == ["system", "user", "assistant", "user"]


def test_the_request_names_no_schema() -> None:
    # Sent before any access rule applies: it must carry nothing but the question.
    text = "\n".join(content for _, content in names_messages("q"))
    assert "CREATE" not in text and "table " not in text.lower().replace("tables as", "")


def test_names_are_read_from_word_colon_lines_in_order_each_once() -> None:
    reply = "patrons: patrons, customers, Clients\nvisits: visits, bookings, customers\n"
    assert parse_names(reply) == ["patrons", "customers", "Clients", "visits", "bookings"]


def test_underscores_become_spaces_and_the_case_of_a_repeat_does_not_matter() -> None:
    assert parse_names("rooms: room_types, Room Types, rooms") == ["room types", "rooms"]


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "I cannot answer that.",
        "SELECT * FROM vessels",
        "```sql\nSELECT 1\n```",
        "2024: 2024, 2025",
        "a:   ,  , ",
    ],
)
def test_a_reply_that_lists_no_names_gives_none(reply: str) -> None:
    assert parse_names(reply) == []


def test_prose_lines_are_skipped_and_the_list_kept() -> None:
    reply = "Sure! Here is the list\nberths: berths, docks\n2025: year, years\nHope it helps"
    assert parse_names(reply) == ["berths", "docks", "year", "years"]


def test_a_name_starts_at_its_first_letter_and_stops_before_punctuation() -> None:
    reply = 'tonnage: "gross_tonnage", (net weight), 3 tons, tonnage.'
    assert parse_names(reply) == ["gross tonnage", "net weight", "tons", "tonnage"]


def test_a_rambling_reply_is_cut_at_the_limit() -> None:
    reply = "\n".join(f"thing{i}: alpha{i}, beta{i}, gamma{i}" for i in range(40))
    names = parse_names(reply)
    assert len(names) == MAX_NAMES and names[:3] == ["alpha0", "beta0", "gamma0"]


def test_an_overlong_name_is_cut() -> None:
    (name,) = parse_names("x: " + "a" * 500)
    assert len(name) <= 40


def test_the_search_text_adds_only_names_the_question_does_not_say() -> None:
    question = "Which patrons booked a berth?"
    assert widened(question, ["patrons", "customers", "berth", "docks"]) == (
        "Which patrons booked a berth?\ncustomers, docks"
    )
    assert widened(" Which patrons? ", ["Patrons"]) == "Which patrons?"
    assert widened("Which patrons?", []) == "Which patrons?"


def test_spanish_questions_get_english_names_searched_beside_them() -> None:
    reply = "clientes: customers, clients, buyers\nbarcos: vessels, ships"
    text = widened("¿Qué clientes tienen barcos?", parse_names(reply))
    assert text.splitlines()[1] == "customers, clients, buyers, vessels, ships"


def test_each_line_is_one_thing_searched_by_its_word_and_new_names() -> None:
    reply = (
        "Sure, here it is\n"
        "patrons: patrons, customers, Clients\n"
        "berth fees: fees, berth_charges\n"
        "2025: 2025\n"
        "patrons: patrons, customers, Clients\n"
    )
    assert parse_things(reply) == ["patrons\ncustomers, Clients", "berth fees\nberth charges"]


def test_a_thing_s_word_is_read_as_words() -> None:
    assert parse_things("- **delivery firms**: carriers") == ["delivery firms\ncarriers"]


def test_a_thing_without_a_word_is_searched_by_its_names_alone() -> None:
    assert parse_things(": docks, quays") == ["docks, quays"]


@pytest.mark.parametrize("reply", ["", "I cannot answer that.", "2024: 2024", "a:   ,  , "])
def test_a_reply_that_lists_no_names_has_no_things(reply: str) -> None:
    assert parse_things(reply) == []
    assert QuestionNames.of(reply) == QuestionNames()


def test_a_question_is_about_a_few_things_at_most() -> None:
    reply = "\n".join(f"thing{i}: alpha{i}" for i in range(20))
    things = parse_things(reply)
    assert len(things) == MAX_THINGS and things[0] == "thing0\nalpha0"


def test_the_names_and_things_of_one_reply() -> None:
    reply = "patrons: customers\nvisits: bookings"
    assert QuestionNames.of(reply) == QuestionNames(
        ("customers", "bookings"), ("patrons\ncustomers", "visits\nbookings")
    )
