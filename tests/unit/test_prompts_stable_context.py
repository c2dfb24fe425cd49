"""Stable context: the database's notes and examples after the schema, the same each time."""

from __future__ import annotations

from backend.domain import Example, Note
from backend.prompts import PromptParts, build_prompt

NOTES = (Note("Revenue is SUM(quantity * unit_price).", "Revenue"),)
EXAMPLES = (Example("How many orders?", "SELECT COUNT(*) FROM orders"),)


def _messages(question: str) -> tuple[tuple[str, str], ...]:
    parts = PromptParts(
        dialect="mysql",
        schema_blocks=["CREATE TABLE orders (order_id INT PRIMARY KEY)"],
        question=question,
        stable_notes=NOTES,
        stable_examples=EXAMPLES,
    )
    return build_prompt(parts, budget_tokens=4000).messages


def test_stable_notes_and_examples_follow_the_schema_in_the_system_message() -> None:
    (_, system), (_, user) = _messages("How many customers?")
    assert system.index("Schema:") < system.index("Business notes:") < system.index("Examples")
    assert "Revenue is" in system and "SELECT COUNT(*) FROM orders" in system
    assert user == "Question: How many customers?"


def test_the_system_message_is_the_same_for_every_question() -> None:
    assert _messages("How many customers?")[0] == _messages("Revenue in 2025?")[0]
