"""A failed question's message for the asker: what went wrong and one thing to do, in
their language, without hosts, URLs or the database's own text, and never `..`."""

from __future__ import annotations

import re

import pytest

from backend.i18n import LANGUAGES, Message
from backend.i18n.catalogue import catalogue
from backend.people_errors import for_people

DOUBLED = re.compile(r"[.;:,!?]\s*[.;:,!]|\.\)")


def gave_up(reason: object) -> Message:
    return Message.of("engine.ask.gave_up", tries=3, reason=reason)


def test_a_refusal_by_the_askers_rules_names_what_they_cannot_see() -> None:
    denied = Message.of("guard.column.denied", table="employees", column="salary")
    people = for_people(gave_up(Message.of("guard.sentence", reason=denied)))
    assert people.render("en") == (
        "This question needs data your role can't see (employees.salary). "
        "Ask about something else, or ask an admin for access."
    )
    table = for_people(gave_up(Message.of("guard.table.denied", name="payroll")))
    assert "(payroll)" in table.render("es")


def test_the_databases_own_text_never_reaches_the_asker() -> None:
    people = for_people(gave_up("no such column: p.color"))
    assert people == Message.of("people.no_query")
    assert "color" not in people.render("en")
    down = Message.of("engine.db.unreachable", host="db.internal", detail="(2003) refused")
    assert "db.internal" not in for_people(down).render("en")
    ollama = Message.of("engine.ollama.unreachable", url="http://10.0.0.5:11434", model="m")
    assert "10.0.0.5" not in for_people(ollama).render("es")


def test_a_timeout_keeps_its_limit_and_says_what_to_do() -> None:
    people = for_people(Message.of("engine.db.timeout", seconds="30"))
    assert people.render("en").startswith("The database needed more than 30 s for this")
    assert for_people(gave_up(Message.of("engine.db.timeout", seconds="5"))).key == "people.timeout"


def test_messages_already_for_people_pass_through() -> None:
    missing = Message.of("guard.rule.attribute_missing", name="region_id", table="customers")
    assert for_people(gave_up(missing)) == missing
    assert for_people(Message.of("engine.ask.empty")) == Message.of("engine.ask.empty")
    assert for_people("an older answer's plain text").key == "people.failed"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_for_people_is_a_clean_sentence_with_something_to_do(
    language: str,
) -> None:
    texts = {k: v for k, v in catalogue(language).items() if k.startswith("people.")}  # type: ignore[arg-type]
    sentences = {k: v for k, v in texts.items() if not k.startswith("people.detail")}
    assert len(sentences) == 7
    for key, text in sentences.items():
        assert text.endswith("."), key
        assert not DOUBLED.search(text), key
        assert len(re.findall(r"[.;]\s", text)) >= 1, key  # what went wrong; what to do


def test_the_engines_gave_up_message_has_no_doubled_punctuation() -> None:
    reason = Message.of("guard.sentence", reason=Message.of("guard.table.denied", name="x"))
    for language in LANGUAGES:
        assert not DOUBLED.search(gave_up(reason).render(language)), language
