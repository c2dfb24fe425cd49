"""The Knowledge page in AppTest: browse, edit and approve entries, terms and notes.

Runs on the small demo database with in-memory Qdrant and Ollama unreachable (indexing
is sparse-only); the knowledge lands in the test's app database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from backend.config import get_settings
from backend.knowledge import APPROVED, DRAFT, EDITED, NOTE, Entry, Term
from backend.knowledge.store import KnowledgeStore
from backend.sources import database_key
from tests.support.apptest import open_page, page_services, texts


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    users = {"boss": ("admin", "Chief-unit-Passw0rd")}
    yield from page_services(monkeypatch, tmp_path, users)


@pytest.fixture
def store(auth: AuthServices) -> KnowledgeStore:
    return KnowledgeStore(auth.engine, database_key(get_settings().business_database_url))


def field(at: AppTest, label: str, index: int = 0) -> object:
    found = [w for w in at.text_input if w.label == label]
    return found[index]


def submit(at: AppTest, label: str) -> None:
    button = next(b for b in at.button if b.label == label)
    button.click().run()


def test_the_page_shows_a_draft_marked_as_such_and_saves_an_edit(
    auth: AuthServices, store: KnowledgeStore
) -> None:
    store.save([Entry("customers", "", "People who buy.", ("client",), ("cliente",), DRAFT)])
    at = open_page("knowledge")
    assert not at.exception
    assert at.title[0].value == "Knowledge"
    at.selectbox(key="kn_table").set_value("customers").run()
    assert field(at, "Description").value == "People who buy."
    assert any("Draft, not reviewed" in m.value for m in at.markdown)  # st.badge
    field(at, "Description").set_value("Companies and people who buy from us.")
    submit(at, "Save")
    assert not at.exception
    saved = store.load().entry("customers")
    assert saved is not None and saved.status == EDITED
    assert saved.description == "Companies and people who buy from us."
    assert saved.synonyms_es == ("cliente",)
    assert any("Saved (1 changed)" in s for s in texts(at.success))


def test_ticking_approved_approves_the_draft_unchanged(
    auth: AuthServices, store: KnowledgeStore
) -> None:
    store.save([Entry("customers", "", "People who buy.", status=DRAFT)])
    at = open_page("knowledge")
    at.selectbox(key="kn_table").set_value("customers").run()
    next(c for c in at.checkbox if c.label == "Approved").check()
    submit(at, "Save")
    saved = store.load().entry("customers")
    assert saved is not None and saved.status == APPROVED
    assert saved.description == "People who buy."


def test_terms_and_notes_are_added_and_deleted(auth: AuthServices, store: KnowledgeStore) -> None:
    at = open_page("knowledge")
    form_name = [w for w in at.text_input if w.label == "Name"][-1]
    form_name.set_value("active customer")
    [w for w in at.text_area if w.label == "Definition or text"][-1].set_value(
        "A customer with an order in the last 12 months."
    )
    submit(at, "Add")
    assert store.terms() == [
        Term("active customer", "A customer with an order in the last 12 months.")
    ]
    store.save_term(Term("fiscal year", "Calendar year.", NOTE))
    at = open_page("knowledge")
    delete = [b for b in at.button if b.label == "Delete"]
    assert len(delete) == 2
    delete[0].click().run()  # notes are listed first (by kind, then name)
    assert [t.name for t in store.terms()] == ["active customer"]


def test_a_value_that_looks_like_markdown_is_shown_as_typed(
    auth: AuthServices, store: KnowledgeStore
) -> None:
    store.save_term(Term("**bold** _x_", "[link](http://evil.example) <b>hi</b>", NOTE))
    at = open_page("knowledge")
    assert not at.exception
    assert "**bold** _x_" in [w.value for w in at.text_input]
    assert all("evil.example" not in m.value for m in at.markdown)
