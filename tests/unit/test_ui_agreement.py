"""Under an answer chosen by a vote: how many of the queries run agree, in the reader's
language; a split vote is a warning to check the SQL."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _page(agreement: tuple[int, int] | None, language: str) -> None:
    from backend.i18n.catalogue import Translator
    from ui.components.answer import _agreement

    _agreement(agreement, Translator(language))


def run(agreement: tuple[int, int] | None, language: str = "en") -> AppTest:
    at = AppTest.from_function(_page, args=(agreement, language), default_timeout=30).run()
    assert not at.exception
    return at


def test_a_majority_is_a_caption_saying_how_many_agree() -> None:
    at = run((3, 4))
    assert [c.value for c in at.caption] == [
        ":material/how_to_vote: The first result looked doubtful, so 4 ways of writing the "
        "query were run; 3 of them gave this result."
    ]
    assert not at.warning


@pytest.mark.parametrize("agreement", [(2, 4), (1, 4), (1, 3)])
def test_no_majority_is_a_warning_to_check_the_sql(agreement: tuple[int, int]) -> None:
    at = run(agreement)
    assert len(at.warning) == 1 and "check the SQL" in at.warning[0].value
    assert not at.caption


def test_it_reads_in_spanish() -> None:
    assert "formas de escribir la consulta" in run((3, 4), "es").caption[0].value
    assert "revisa el SQL" in run((1, 4), "es").warning[0].value


def test_an_answer_not_voted_on_says_nothing() -> None:
    at = run(None)
    assert not at.caption and not at.warning
