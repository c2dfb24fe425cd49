"""The API tokens page in AppTest: create one and see it once, list and revoke one's own;
an admin also sees and revokes everyone's; a user never sees another user's tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from auth import audit
from auth.audit import AuditFilter
from auth.services import AuthServices
from tests.support.apptest import PAGES, open_page, page_services, texts
from ui.components.markdown import escape_markdown

PAGE = "api_tokens"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    """An admin ("boss") and two analysts ("ana", "bob")."""
    users = {
        "boss": ("admin", "Chief-unit-Passw0rd"),
        "ana": ("analyst", "Analyst-unit-Passw0rd"),
        "bob": ("analyst", "Other-unit-Passw0rd"),
    }
    yield from page_services(monkeypatch, tmp_path, users)


def button(at: AppTest, label: str) -> Button:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def as_ana(language: str | None = None) -> AppTest:
    return open_page(PAGE, username="ana", role="analyst", language=language)


def shown(at: AppTest) -> str:
    """Every text the page drew: tables, sentences, captions, options and labels."""
    parts = [frame.value.to_string() for frame in at.dataframe]
    parts += texts(at.markdown) + texts(at.caption) + texts(at.success) + texts(at.code)
    parts += [str(option) for box in at.selectbox for option in box.options]
    parts += [box.label for box in at.checkbox]
    return "\n".join(parts)


def create(at: AppTest, name: str, days: int | None = None) -> AppTest:
    at.text_input[0].input(name)
    at.selectbox[0].select(days)
    return at.button[0].click().run()  # the form's: "Create token"


def test_a_new_token_is_shown_once_and_then_only_listed(auth: AuthServices) -> None:
    at = create(as_ana(), "nightly report", days=90)
    assert not at.exception
    assert texts(at.success) == ["Created the token nightly report."]
    secret = at.code[0].value
    assert "Copy this token now: it will not be shown again." in texts(at.caption)
    user = auth.tokens.authenticate(secret)
    assert user is not None and user.username == "ana"
    at.run()  # any later run: the secret is gone for good
    assert not at.code and not at.success
    [row] = at.dataframe[0].value.to_dict("records")
    assert row["Name"] == "nightly report" and row["Status"] == "active"
    assert row["Starts with"] == f"{secret[:10]}…" and row["Last used (UTC)"] != "never"
    assert secret[10:] not in shown(at)
    entries = auth.audit.query(AuditFilter(event=audit.ADMIN_ACTION)).entries
    assert [entry.username for entry in entries] == ["ana"]


def test_a_refused_name_is_explained_and_nothing_is_made(auth: AuthServices) -> None:
    at = create(as_ana(), "   ")
    assert texts(at.error) == ["A token needs a name of 1 to 80 characters."]
    assert not at.code
    assert auth.tokens.list_all() == []


def test_a_user_sees_and_revokes_only_their_own_tokens(auth: AuthServices) -> None:
    bobs = auth.tokens.create("bob", "bob's secret project")
    anas = auth.tokens.create("ana", "mine").token
    at = as_ana()
    assert [list(frame.value["Name"]) for frame in at.dataframe] == [["mine"]]
    assert "Every user's tokens" not in texts(at.subheader)
    assert "bob" not in shown(at) and bobs.token.prefix not in shown(at)
    assert at.selectbox(key="api_tokens_mine").options == [f"mine ({anas.prefix}…)"]
    assert button(at, "Revoke token").disabled
    at.checkbox(key=f"api_tokens_mine_sure_{anas.id}").check().run()
    at = button(at, "Revoke token").click().run()
    assert texts(at.success) == ["Revoked the token mine of ana."]
    assert list(at.dataframe[0].value["Status"]) == ["revoked"]
    assert len(at.selectbox) == 1  # the expiry's: nothing is left to revoke
    assert auth.tokens.authenticate(bobs.secret) is not None


def test_an_admin_sees_everyones_tokens_and_revokes_any(auth: AuthServices) -> None:
    anas = auth.tokens.create("ana", "ana's tool")
    auth.tokens.create("boss", "admin tool")
    at = open_page(PAGE)
    assert "Every user's tokens" in texts(at.subheader)
    mine, everyone = (frame.value for frame in at.dataframe)
    assert list(mine["Name"]) == ["admin tool"]
    assert list(zip(everyone["User"], everyone["Name"], strict=True)) == [
        ("boss", "admin tool"),
        ("ana", "ana's tool"),
    ]
    at.selectbox(key="api_tokens_all").select(anas.token.id).run()
    at.checkbox(key=f"api_tokens_all_sure_{anas.token.id}").check().run()
    at = next(b for b in at.button if b.key == "api_tokens_all_go").click().run()
    tool = escape_markdown("ana's tool")
    assert texts(at.success) == [f"Revoked the token {tool} of ana."]
    assert auth.tokens.authenticate(anas.secret) is None
    assert auth.tokens.list_for("ana")[0].revoked_by == "boss"


def test_names_are_shown_as_text_never_as_markup(auth: AuthServices) -> None:
    name = "![x](http://example.test/leak) :red[boom]"
    at = create(as_ana(), name)
    assert texts(at.success) == [f"Created the token {escape_markdown(name)}."]
    token = auth.tokens.list_for("ana")[0]
    assert list(at.dataframe[0].value["Name"]) == [name]  # a table cell: plain text
    label = at.checkbox(key=f"api_tokens_mine_sure_{token.id}").label
    assert "![x]" not in label and "\\!\\[x\\]" in label


def test_the_page_speaks_spanish(auth: AuthServices) -> None:
    at = create(as_ana("es"), "informe")
    assert texts(at.title) == ["Tokens de API"]
    assert "Copia este token ahora: no se volverá a mostrar." in texts(at.caption)
    assert list(at.dataframe[0].value["Estado"]) == ["activo"]


def test_a_stranger_is_asked_to_log_in(auth: AuthServices) -> None:
    stranger = AppTest.from_file(str(PAGES / f"{PAGE}.py"), default_timeout=60).run()
    assert "log in" in texts(stranger.warning)[0]
    assert not stranger.title and not stranger.dataframe
