"""The Spanish demo golden set is a translation: same ids, gold SQL (PostgreSQL's too), tags
and follow-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.dialects import POSTGRESQL
from backend.i18n.detect import detect_language
from evaluation.sets import load_set

GOLDEN = Path(__file__).resolve().parents[2] / "bench" / "golden"


@pytest.mark.parametrize("dialect", [None, POSTGRESQL])
def test_spanish_golden_set_matches_the_english_one_but_for_the_question(
    dialect: str | None,
) -> None:
    english = load_set(GOLDEN / "demo.jsonl", dialect=dialect).questions
    spanish = load_set(GOLDEN / "demo_es.jsonl", dialect=dialect).questions
    assert len(spanish) == len(english) == 75
    for en, es in zip(english, spanish, strict=True):
        assert (es.id, es.gold_sql, es.tags, es.previous_id, es.db) == (
            en.id,
            en.gold_sql,
            en.tags,
            en.previous_id,
            en.db,
        )
        assert es.question != en.question


def test_spanish_golden_questions_read_as_spanish() -> None:
    spanish = load_set(GOLDEN / "demo_es.jsonl").questions
    assert [q.id for q in spanish if detect_language(q.question) != "es"] == []
