"""The open conversation lives in the chat page's URL (`?c=<id>`), so a reload reopens
it — but only one of the reader's own: an id in a URL is anyone's to write (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auth.services import AuthServices
from backend.conversations import ConversationStore
from tests.support.apptest import open_page, page_services
from ui.components.conversations import CURRENT_KEY, URL_PARAM

KPI_SQL = "SELECT COUNT(*) AS customers FROM customers"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    yield from page_services(
        monkeypatch,
        tmp_path,
        {"boss": ("admin", "Chief-unit-Passw0rd"), "eve": ("admin", "Other-unit-Passw0rd")},
    )


@pytest.fixture
def store(auth: AuthServices) -> ConversationStore:
    return ConversationStore(auth.engine)


def sidebar_labels(at: object) -> list[str]:
    return [str(b.label) for b in at.sidebar.button]  # type: ignore[attr-defined]


def test_the_url_reopens_the_readers_own_conversation(store: ConversationStore) -> None:
    mine = store.create("boss", "Customers by region")
    at = open_page("chat", query={URL_PARAM: str(mine.id)}, timeout=90)
    assert not at.exception
    assert at.title[0].value == "Customers by region"
    assert at.session_state[CURRENT_KEY] == mine.id
    assert at.query_params[URL_PARAM] == str(mine.id)


def test_another_users_conversation_in_the_url_opens_nothing_of_theirs(
    store: ConversationStore,
) -> None:
    store.create("boss", "Mine")
    theirs = store.create("eve", "Eve's salaries")
    at = open_page("chat", query={URL_PARAM: str(theirs.id)}, timeout=90)
    assert not at.exception
    assert at.title[0].value == "Ask your data"  # a new, empty conversation
    assert at.session_state[CURRENT_KEY] is None
    assert URL_PARAM not in at.query_params  # the foreign id is dropped from the URL
    assert "Eve's salaries" not in sidebar_labels(at)
    assert "Mine" in sidebar_labels(at)


@pytest.mark.parametrize("junk", ["", "abc", "-1", "1e3", "٣", "9" * 5000])
def test_junk_in_the_url_opens_a_new_conversation(store: ConversationStore, junk: str) -> None:
    at = open_page("chat", query={URL_PARAM: junk}, timeout=90)
    assert not at.exception
    assert at.session_state[CURRENT_KEY] is None
    assert at.title[0].value == "Ask your data"


def test_a_conversation_started_on_the_page_is_named_in_the_url(
    store: ConversationStore,
) -> None:
    at = open_page("chat", timeout=90)
    assert URL_PARAM not in at.query_params
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(KPI_SQL)
    at = next(b for b in at.button if b.label == "Run SQL").click().run()
    assert not at.exception
    opened = at.session_state[CURRENT_KEY]
    assert opened is not None
    assert at.query_params[URL_PARAM] == str(opened)
    at = next(b for b in at.sidebar.button if b.label == "New conversation").click().run()
    assert URL_PARAM not in at.query_params
