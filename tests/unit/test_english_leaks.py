"""The English finder of the Spanish browser test: it finds catalogue English, whatever
the parameters, and never flags the Spanish catalogue itself."""

from __future__ import annotations

import re

from backend.i18n import catalogue, t
from tests.support.english_leaks import english_in, longest_piece


def test_the_longest_piece_skips_placeholders_and_markdown() -> None:
    pinned = "Pinned to “{name}”. Open it from Dashboards."
    assert longest_piece(pinned) == "Open it from Dashboards"
    assert longest_piece("**{count}** rows · {seconds} s") == "rows"
    assert longest_piece(":material/lock: Access rule: `{table}`") == "Access rule"


def test_english_messages_are_found_with_their_parameters_filled() -> None:
    page = [
        "Pregunta a tus datos",
        t("answer.pin.done", "en", name="Ventas"),
        t("answer.download_csv", "en").upper(),  # CSS may upper-case a label
    ]
    found = {leak.key for leak in english_in(page)}
    assert {"answer.pin.done", "answer.download_csv"} <= found


def test_streamlit_defaults_are_found() -> None:
    assert [leak.key for leak in english_in(["Choose an option"])] == ["streamlit"]


def test_no_spanish_message_reads_as_english() -> None:
    spanish = [re.sub(r"\{[^{}]*\}", "9", text) for text in catalogue("es").values()]
    assert english_in(spanish) == []


def test_a_one_word_label_counts_as_written_or_upper_cased_not_inside_users_words() -> None:
    label = t("examples.title", "en")
    assert len(label.split()) == 1
    assert {leak.key for leak in english_in([label])} >= {"examples.title"}
    assert {leak.key for leak in english_in([label.upper()])} >= {"examples.title"}
    asked = f"How many orders per month, for the {label.lower()}?"  # a user's question
    assert "examples.title" not in {leak.key for leak in english_in([asked])}
