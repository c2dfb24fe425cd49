"""Helpers of bench/language.py: gold tables, and two eval reports side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.language import compare_evals, gold_tables, markdown


def test_gold_tables_are_the_tables_read_without_cte_names() -> None:
    sql = (
        "WITH t AS (SELECT customer_id FROM Orders) "
        "SELECT c.name FROM customers c JOIN t ON t.customer_id = c.customer_id"
    )
    assert gold_tables(sql) == {"orders", "customers"}


def _report(path: Path, correct: dict[str, bool]) -> Path:
    questions = [{"id": i, "counted": True, "correct": ok} for i, ok in correct.items()]
    figures = {"questions": len(correct), "correct": sum(correct.values())}
    figures["accuracy"] = figures["correct"] / figures["questions"]
    totals: dict[str, Any] = {**figures, "valid_sql_rate": 1.0}
    report = {
        "meta": {"model": {"name": "qwen2.5-coder:1.5b"}, "settings": {"schema_mode": "auto"}},
        "engine": {"totals": totals, "by_difficulty": {"easy": figures}},
        "questions": questions,
    }
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def test_eval_reports_are_put_side_by_side(tmp_path: Path) -> None:
    en = _report(tmp_path / "en.json", {"d01": True, "d02": True, "d03": False})
    es = _report(tmp_path / "es.json", {"d01": True, "d02": False, "d03": True})
    compared = compare_evals(en, es)
    assert compared is not None
    assert (compared["only_en"], compared["only_es"]) == (["d02"], ["d03"])
    text = markdown(
        {
            "k": 5,
            "embedding": "-",
            "embed_model": None,
            "glossary_terms": 1,
            "runs": [],
            "eval": compared,
        }
    )
    assert "qwen2.5-coder:1.5b, schema mode auto" in text
    assert "| all | 2/3 = 66.7% | 2/3 = 66.7% |" in text


def test_without_both_reports_there_is_no_eval_section() -> None:
    assert compare_evals(None, None) is None
