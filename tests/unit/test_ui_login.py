"""The app's frame in AppTest: the login form, lockout, each role's navigation, logout,
disabled users, and the start-up messages.

Each test gets its own app database (SQLite in a temporary folder), in-memory Qdrant and
an Ollama address nobody listens on; Streamlit's caches are cleared between tests so the
cached services follow the test's settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from appdb.tables import audit_log, sessions
from auth import audit
from auth.audit import AuditFilter
from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from backend.config import load_settings
from tests.support.apptest import clear_caches
from ui import auth_gate
from ui.navigation import PAGE_SPECS, PAGES_DIR

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
PASSWORDS = {
    "boss": "Chief-unit-Passw0rd",
    "mia": "Manager-unit-Passw0rd",
    "ana": "Analyst-unit-Passw0rd",
}
ROLES = {"boss": "admin", "mia": "manager", "ana": "analyst"}
REFUSED = "Incorrect username or password."


@pytest.fixture
def ui_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """Settings for the app under test; yields the app database URL."""
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("APP_DATABASE_URL", app_db)
    monkeypatch.setenv("KESKINUBE_LOGIN_SLEEP_S", "0")
    monkeypatch.setenv("QDRANT_PATH", ":memory:")
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AUTH_COOKIE_KEY", "unit-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz")
    clear_caches()
    yield app_db
    clear_caches()


@pytest.fixture
def auth(ui_env: str) -> Iterator[AuthServices]:
    """The test's app database with one user per role (fast hashes)."""
    services = open_auth(ui_env, hasher=PasswordHasher(rounds=4))
    for username, role in ROLES.items():
        services.users.create_user(username, role=role, password=PASSWORDS[username])
    yield services
    services.close()


def start() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60).run()


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    username_box, password_box = at.text_input[0], at.text_input[1]
    assert (username_box.label, password_box.label) == ("Username", "Password")
    username_box.input(username)
    password_box.input(password)
    return button(at, "Log in").click().run()


def button(at: AppTest, label: str) -> Button:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def errors(at: AppTest) -> list[str]:
    return [element.value for element in at.error]


def openable_pages(at: AppTest) -> set[str]:
    """The page ids whose files the navigation registered (switch_page refuses others)."""
    found = set()
    for page_id, spec in PAGE_SPECS.items():
        try:
            at.switch_page(str(PAGES_DIR / spec.file))
        except ValueError:
            continue
        found.add(page_id)
    if found:  # back to the default page for the next run
        at.switch_page(str(PAGES_DIR / "chat.py"))
    return found


def events(services: AuthServices, username: str) -> list[str]:
    page = services.audit.query(AuditFilter(username=username), limit=100)
    return [entry.event for entry in reversed(page.entries)]


def test_no_old_style_pages_folder_lies_beside_the_app() -> None:
    # Streamlit takes a `pages/` folder beside the entry script for its old multipage
    # convention: until the process's first st.navigation call (in AppTest: on every run)
    # it runs the asked page file alone, without app.py and its login gate.
    assert not (APP.parent / "pages").exists()
    assert PAGES_DIR.parent == APP.parent and PAGES_DIR.name != "pages"


def test_logged_out_visitor_gets_only_the_login_form(auth: AuthServices) -> None:
    at = start()
    assert not at.exception
    assert [box.label for box in at.text_input] == ["Username", "Password"]
    assert openable_pages(at) == set()
    assert at.session_state["authentication_status"] is not True


def test_wrong_password_and_unknown_user_read_the_same(auth: AuthServices) -> None:
    at = log_in(start(), "ana", "not-her-password")
    assert errors(at) == [REFUSED]
    at = log_in(at, "nobody-here", "not-her-password")
    assert errors(at) == [REFUSED]
    assert at.session_state["authentication_status"] is not True
    assert events(auth, "ana") == [audit.LOGIN_FAILURE]
    assert events(auth, "nobody-here") == [audit.LOGIN_FAILURE]


def test_five_failures_lock_the_account_even_for_the_right_password(auth: AuthServices) -> None:
    at = start()
    for _ in range(4):
        assert errors(log_in(at, "mia", "wrong-password-1")) == [REFUSED]
    assert errors(log_in(at, "mia", "wrong-password-1")) == [
        "Too many failed logins. Try again in 15 minutes."
    ]
    at = log_in(at, "mia", PASSWORDS["mia"])
    assert errors(at)[0].startswith("Too many failed logins.")
    assert at.session_state["authentication_status"] is not True
    assert events(auth, "mia")[-3:] == [audit.LOGIN_FAILURE, audit.LOCKOUT, audit.LOGIN_LOCKED]


def test_an_unknown_username_is_locked_like_a_real_one(auth: AuthServices) -> None:
    at = start()
    for _ in range(5):
        log_in(at, "ghost", "wrong-password-1")
    assert errors(at) == ["Too many failed logins. Try again in 15 minutes."]


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        (
            "boss",
            {
                "chat",
                "dashboards",
                "examples",
                "api_tokens",
                "admin_users",
                "admin_sources",
                "admin_access",
                "admin_audit",
                "admin_knowledge",
                "admin_monitoring",
            },
        ),
        ("mia", {"chat", "dashboards", "api_tokens"}),
        ("ana", {"chat", "examples", "api_tokens"}),
    ],
)
def test_login_shows_the_roles_navigation_and_sidebar(
    auth: AuthServices, username: str, pages: set[str]
) -> None:
    at = log_in(start(), username, PASSWORDS[username])
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == username
    assert at.session_state["roles"] == [ROLES[username]]
    assert not at.text_input or at.text_input[0].label != "Username"  # the form is gone
    assert f"{username} · {ROLES[username]}" in [c.value for c in at.sidebar.caption]
    assert any(b.label == "Log out" for b in at.sidebar.button)
    assert openable_pages(at) == pages
    assert events(auth, username) == [audit.LOGIN_SUCCESS]
    assert auth.users.get_user(username).last_login_at is not None


def test_only_admins_see_where_the_services_run(auth: AuthServices) -> None:
    ollama_host = "127.0.0.1:9"  # OLLAMA_BASE_URL of these tests
    for username in ("ana", "mia"):
        shown = " ".join(
            m.value for m in log_in(start(), username, PASSWORDS[username]).sidebar.markdown
        )
        assert "Ollama" in shown and ollama_host not in shown.replace("\\", ""), shown
        assert ollama_host not in shown.replace("\\", "").replace("\u2060", "")
        assert "unavailable right now" in shown
    shown = " ".join(m.value for m in log_in(start(), "boss", PASSWORDS["boss"]).sidebar.markdown)
    assert ollama_host in shown.replace("\\", "").replace("\u2060", "")


def test_analyst_cannot_switch_to_an_admin_page(auth: AuthServices) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(PAGES_DIR / "admin_users.py"))


def test_logout_clears_the_whole_session(auth: AuthServices) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    at.session_state["chat_history"] = ["a question", "an answer"]
    at = button(at, "Log out").click().run()
    assert [box.label for box in at.text_input] == ["Username", "Password"]
    assert "chat_history" not in at.session_state
    assert at.session_state["authentication_status"] is None
    assert at.session_state["username"] is None
    assert at.session_state["logout"] is True
    assert events(auth, "ana") == [audit.LOGIN_SUCCESS, audit.LOGOUT]


def test_a_disabled_user_is_logged_out_on_the_next_run(auth: AuthServices) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    auth.users.disable("ana")
    at.run()
    assert at.session_state["authentication_status"] is None
    assert [w.value for w in at.warning] == [str(auth_gate.DISABLED_NOTICE)]
    assert [box.label for box in at.text_input] == ["Username", "Password"]


def test_a_role_change_applies_on_the_next_run(auth: AuthServices) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    auth.users.set_role("ana", "manager")
    at.run()
    assert at.session_state["roles"] == ["manager"]
    assert openable_pages(at) == {"chat", "dashboards", "api_tokens"}


def test_without_an_admin_the_login_page_says_how_to_create_one(ui_env: str) -> None:
    at = start()
    assert any("keskinube users create-admin" in info.value for info in at.info)


def test_a_settings_error_is_one_line_and_stops(
    monkeypatch: pytest.MonkeyPatch, ui_env: str
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "not-a-url")
    clear_caches()
    at = start()
    assert not at.exception
    assert len(at.error) == 1
    # The message is markdown-escaped (it quotes the bad value); read it as it is shown.
    shown = at.error[0].value.replace("\\", "").replace("\u2060", "")
    assert shown.startswith("Invalid configuration — OLLAMA_BASE_URL: must be an http(s) URL")
    assert not at.text_input


def test_dev_cookie_key_is_random_per_process_and_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    auth_gate._process_cookie_key.cache_clear()
    with caplog.at_level(logging.WARNING, logger="ui.auth_gate"):
        first = auth_gate.cookie_key(load_settings())
        second = auth_gate.cookie_key(load_settings())
    assert first == second and len(first) >= 32
    assert sum("AUTH_COOKIE_KEY is not set" in r.message for r in caplog.records) == 1
    monkeypatch.setenv("AUTH_COOKIE_KEY", "k" * 40)
    assert auth_gate.cookie_key(load_settings()) == "k" * 40


# -- server-side sessions -------------------------------------------------------------------
NEW_PASSWORD = "Brand-New-Passw0rd-7"


def open_sessions(auth: AuthServices) -> int:
    with auth.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(sessions.c.revoked_at.is_(None))
        return int(conn.execute(query).scalar() or 0)


def test_login_starts_a_server_session_and_logout_revokes_it(auth: AuthServices) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    token = at.session_state[auth_gate.TOKEN_KEY]
    assert isinstance(token, str) and len(token) == 43
    assert open_sessions(auth) == 1
    at = button(at, "Log out").click().run()
    assert open_sessions(auth) == 0
    assert auth_gate.TOKEN_KEY not in at.session_state


@pytest.mark.parametrize(
    ("end", "notice"),
    [
        (
            lambda a: a.users.reset_password("ana", "Brand-New-Passw0rd-7"),
            str(auth_gate.SESSION_ENDED_NOTICE),
        ),
        (lambda a: a.users.delete("ana"), str(auth_gate.DISABLED_NOTICE)),
        (lambda a: a.users.disable("ana"), str(auth_gate.DISABLED_NOTICE)),
    ],
)
def test_an_open_page_is_logged_out_on_its_next_run_when_the_session_is_revoked(
    auth: AuthServices, end: object, notice: str
) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    end(auth)  # type: ignore[operator]
    at.run()
    assert at.session_state["authentication_status"] is None
    assert [w.value for w in at.warning] == [notice]
    assert [box.label for box in at.text_input] == ["Username", "Password"]


def test_a_session_state_without_a_server_session_is_not_logged_in(auth: AuthServices) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "boss"
    at.session_state["roles"] = ["admin"]
    at.session_state[auth_gate.TOKEN_KEY] = "forged-" + "x" * 36
    at.run()
    assert at.session_state["authentication_status"] is None
    assert [box.label for box in at.text_input] == ["Username", "Password"]


def test_a_deleted_users_open_page_leaves_no_audit_row_for_a_future_account(
    auth: AuthServices,
) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    auth.users.delete("ana", by="boss")
    at.run()
    assert at.session_state["authentication_status"] is None
    auth.users.create_user("ana", role="analyst", password=PASSWORDS["ana"])
    assert events(auth, "ana") == [audit.LOGIN_SUCCESS]  # the old account's, kept as history
    with auth.engine.connect() as conn:
        unmarked = conn.execute(
            sa.select(sa.func.count()).where(
                audit_log.c.username == "ana", audit_log.c.deleted_user_id.is_(None)
            )
        ).scalar()
    assert unmarked == 0
