"""The real-model gate: a fixed part of the demo golden set must keep its accuracy floor.

`bench/golden/ci_gate.json` names the questions (about 20 of `demo.jsonl`) and the floor;
they are asked of the real model through the same evaluation code as `keskinube eval`
(`evaluation.session.evaluate`: the production services on the demo database, the answer
cache off, each answer scored by execution accuracy against the gold SQL). The test fails
when the accuracy falls below the floor, naming the questions answered wrong and why.

It runs right after the engine tests (`MODULE_ORDER`): with the same settings its prompts
start with the same whole demo schema, notes and examples, still in the model server's
prompt cache, so each question costs only its own few tokens. The score, or why the gate
did not run, is shown at the end of the run (`pytest_terminal_summary` in conftest.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from evaluation.report import render, write_report
from evaluation.runner import EvalOptions
from evaluation.session import evaluate
from evaluation.sets import load_set, select
from tests.live.helpers import GATE_RESULTS, GateResult, live_settings, product_env_cleared
from tests.support.ci_gate import GATE_FILE, load_gate
from tests.support.live_llm import LiveOllama


def test_real_model_accuracy_stays_above_the_floor(
    live_ollama: LiveOllama, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    gate = load_gate()
    gold_set = load_set(gate.set_path)
    selected = select(gold_set.questions, ids=gate.ids)
    assert live_ollama.health is not None
    started = time.perf_counter()
    with product_env_cleared(tmp_path_factory.mktemp("gate-cwd")):
        settings = live_settings(live_ollama, tmp_path_factory.mktemp("gate-data"))
        report = evaluate(
            gold_set,
            selected,
            settings,
            EvalOptions(database=demo_url),
            health=live_ollama.health,
            selection={"ids": list(gate.ids), "tags": [], "limit": None},
        )
    seconds = time.perf_counter() - started
    path = write_report(report, tmp_path_factory.mktemp("gate") / "gate.json")
    print(render(report))
    print(f"\nreport: {path}")

    totals = report["engine"]["totals"]
    wrong = _wrong(report)
    result = GateResult(totals["correct"], totals["questions"], gate.floor, seconds, wrong)
    GATE_RESULTS.append(result)
    assert totals["questions"] == len(gate.ids), "every gate question must be scored"
    assert result.passed, (
        f"real-model accuracy {result.correct}/{result.questions} = {result.accuracy:.1%} "
        f"is below the floor {gate.floor:.1%} of {GATE_FILE.name}; wrong: " + "; ".join(wrong)
    )


def _wrong(report: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{q['id']} ({' '.join(str(q.get('reason') or '').split())[:80]})"
        for q in report["questions"]
        if q["counted"] and not q["correct"]
    )
