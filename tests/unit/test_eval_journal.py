"""A journal line reads back as the record that was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.journal import Journal, JournalMismatch, record_from_json
from evaluation.records import Prediction, QuestionRecord
from evaluation.sets import GoldQuestion

QUESTION = GoldQuestion("q1", "How many?", "SELECT 1", db="shop", tags=("easy",))
ENGINE = Prediction(
    sql="SELECT 1",
    correct=True,
    valid_sql=True,
    reason="match",
    correct_fair=True,
    rows=1,
    retries=1,
    prompt_tokens=120,
    completion_tokens=9,
    latency_s=2.5,
    timings={"generate": 1.5, "execute": 0.01},
    retrieval_mode="full",
    tables=("orders", "customers"),
    steps={"first": (False, True), "vote_3": (True, True)},
    draw_seconds=(1.25, 1.5),
)
BASELINE = Prediction(sql=None, correct=False, valid_sql=False, reason="no SQL", error="boom")


@pytest.mark.parametrize(
    "record",
    [
        QuestionRecord(QUESTION, scored=True, gold_rows=1, engine=ENGINE, baseline=BASELINE),
        QuestionRecord(QUESTION, scored=True, gold_rows=1, engine=ENGINE),
        QuestionRecord(QUESTION, scored=False, skipped="database unavailable: gone"),
        QuestionRecord(QUESTION, scored=True, gold_error="no such table", engine=BASELINE),
    ],
)
def test_a_record_reads_back_as_written(record: QuestionRecord, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", {"set": "abc"})
    assert journal.resume({"q1": QUESTION}) == {}
    journal.append(record)
    assert Journal(tmp_path / "j.jsonl", {"set": "abc"}).resume({"q1": QUESTION}) == {"q1": record}
    assert record_from_json(record.to_json(), QUESTION) == record


def test_questions_not_selected_now_are_left_in_the_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", {"set": "abc"})
    journal.resume({})
    journal.append(QuestionRecord(QUESTION, scored=True, engine=ENGINE))
    assert journal.resume({}) == {}
    assert "q1" in journal.resume({"q1": QUESTION})


def test_another_run_is_named_in_the_refusal(tmp_path: Path) -> None:
    Journal(tmp_path / "j.jsonl", {"set": "abc", "model": "m1"}).resume({})
    with pytest.raises(JournalMismatch, match="model: 'm1' there, 'm2' now"):
        Journal(tmp_path / "j.jsonl", {"set": "abc", "model": "m2"}).resume({})
