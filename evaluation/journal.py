"""A run's journal: every question's record, written as soon as it is final, so that a
stopped `keskinube eval --journal FILE` goes on where it stopped instead of starting again.

One JSON line per question (`QuestionRecord.to_json` without the question's text and gold
SQL: a public benchmark's questions stay out of a journal kept in git), after a first line
that names the run it belongs to (the set's hash, the database template, the baseline);
resuming against another run is refused rather than mixing two runs' answers. A line cut
short by a kill is ignored: that question is asked again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from backend.errors import KeskinubeError
from evaluation.records import Prediction, QuestionRecord
from evaluation.sets import GoldQuestion

_LEFT_OUT = ("question", "gold_sql")


class JournalMismatch(KeskinubeError):
    """The journal was written by a run of another set, database or baseline."""


class Journal:
    """The records of one run, appended one line at a time to `path`."""

    def __init__(self, path: Path, run: Mapping[str, Any]) -> None:
        self.path = path
        # As it reads back from the file: tuples as lists, paths as text.
        self.run = json.loads(json.dumps(dict(run), default=str))

    def resume(self, questions: Mapping[str, GoldQuestion]) -> dict[str, QuestionRecord]:
        """The records already written (by question id); starts the file when it has none."""
        lines = _lines(self.path)
        if not lines:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"run": self.run}) + "\n")
            return {}
        written = lines[0].get("run")
        if written != self.run:
            raise JournalMismatch(
                f"{self.path} is the journal of another run ({_differences(written, self.run)});"
                " give another --journal file, or delete this one to start again"
            )
        done: dict[str, QuestionRecord] = {}
        for data in lines[1:]:
            question = questions.get(str(data.get("id")))
            if question is not None:
                done[question.id] = record_from_json(data, question)
        return done

    def append(self, record: QuestionRecord) -> None:
        data = {k: v for k, v in record.to_json().items() if k not in _LEFT_OUT}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
            out.flush()
            os.fsync(out.fileno())


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            continue  # the last line of a killed run
        if isinstance(data, dict):
            lines.append(data)
    return lines


def _differences(written: Any, wanted: dict[str, Any]) -> str:
    if not isinstance(written, dict):
        return "no run named on its first line"
    keys = [k for k in sorted(wanted.keys() | written.keys()) if written.get(k) != wanted.get(k)]
    return ", ".join(f"{k}: {written.get(k)!r} there, {wanted.get(k)!r} now" for k in keys)


def record_from_json(data: Mapping[str, Any], question: GoldQuestion) -> QuestionRecord:
    """The record `QuestionRecord.to_json` wrote, for `question`."""
    baseline = data.get("baseline")
    return QuestionRecord(
        question=question,
        scored=bool(data["scored"]),
        gold_rows=data.get("gold_rows"),
        gold_error=data.get("gold_error"),
        skipped=data.get("skipped"),
        engine=_prediction(data),
        baseline=_prediction(baseline) if isinstance(baseline, Mapping) else None,
    )


def _prediction(data: Mapping[str, Any]) -> Prediction | None:
    if "reason" not in data:  # `to_json` of a question nobody answered
        return None
    return Prediction(
        sql=data.get("predicted_sql"),
        correct=bool(data["correct"]),
        valid_sql=bool(data["valid_sql"]),
        reason=str(data["reason"]),
        correct_fair=bool(data.get("correct_fair", False)),
        rows=data.get("predicted_rows"),
        error=data.get("error"),
        retries=int(data.get("retries", 0)),
        prompt_tokens=int(data.get("prompt_tokens", 0)),
        completion_tokens=int(data.get("completion_tokens", 0)),
        latency_s=float(data.get("latency_s", 0.0)),
        timings={k: float(v) for k, v in (data.get("timings") or {}).items()},
        cached=bool(data.get("cached", False)),
        retrieval_mode=data.get("retrieval_mode"),
        tables=tuple(data.get("tables") or ()),
        steps={k: (bool(v[0]), bool(v[1])) for k, v in (data.get("steps") or {}).items()},
        draw_seconds=tuple(float(s) for s in data.get("draw_seconds") or ()),
    )
