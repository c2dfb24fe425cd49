"""The accuracy summary's step table: the vote replayed with fewer candidates, and its cost."""

from __future__ import annotations

from typing import Any

from bench.accuracy import step_figures


def _question(correct: bool, steps: dict[str, list[bool]], draws: list[float]) -> dict[str, Any]:
    timings = {"generate": 1.0} | ({"candidates": sum(draws)} if draws else {})
    return {
        "counted": True,
        "correct": correct,
        "correct_fair": correct,
        "steps": steps,
        "timings": timings,
        "draw_seconds": draws,
    }


def test_a_run_with_five_candidates_also_reports_the_vote_of_three() -> None:
    wrong, right = [False, False], [True, True]
    report = {
        "questions": [
            # in doubt, five drawn: wrong with three, right with five
            _question(True, {"first": wrong, "repaired": wrong, "vote_3": wrong}, [2.0] * 5),
            # in doubt, right with three already
            _question(True, {"first": wrong, "repaired": wrong, "vote_3": right}, [1.0] * 5),
            # not in doubt: every step is the final answer
            _question(True, {}, []),
            _question(False, {}, []),
        ]
    }
    report["questions"][0]["steps"]["vote_4"] = wrong
    figures = step_figures(report)
    assert figures is not None
    assert figures["totals"] == {
        "first": [1, 1],
        "repaired": [1, 1],
        "replayed": [2, 2],
        "voted": [3, 3],
    }
    assert figures["replayed"] and figures["candidates"] == 5 and figures["sampled"] == 2
    assert figures["sampled_seconds"] == 15.0 and figures["replayed_seconds"] == 9.0


def test_a_run_that_drew_no_more_than_three_has_no_replay() -> None:
    report = {
        "questions": [
            _question(True, {"first": [False, False], "repaired": [False, False]}, [1.0] * 3),
        ]
    }
    figures = step_figures(report)
    assert figures is not None and not figures["replayed"]
    assert figures["sampled_seconds"] == 3.0


def test_older_reports_without_draw_seconds_fall_back_to_the_sampling_time() -> None:
    question = _question(True, {"first": [False, False], "repaired": [False, False]}, [])
    question["timings"]["candidates"] = 7.5
    figures = step_figures({"questions": [question]})
    assert figures is not None and figures["sampled_seconds"] == 7.5
