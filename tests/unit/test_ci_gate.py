"""The real-model gate's file names about 20 questions of its set, and a floor."""

from __future__ import annotations

from evaluation.sets import load_set
from tests.support.ci_gate import load_gate


def test_the_gate_file_names_questions_of_its_set_and_a_floor() -> None:
    gate = load_gate()
    questions = {q.id: q for q in load_set(gate.set_path).questions}
    assert 15 <= len(gate.ids) <= 25 and len(set(gate.ids)) == len(gate.ids)
    assert set(gate.ids) <= set(questions)
    # A follow-up's earlier question is in the gate too: it is scored, not only context.
    for qid in gate.ids:
        previous = questions[qid].previous_id
        assert previous is None or previous in gate.ids, qid
    assert 0.0 < gate.floor <= 1.0
