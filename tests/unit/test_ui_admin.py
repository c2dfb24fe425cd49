"""The admin pages in AppTest: users, access rules and the audit log.

Each page runs on its own with a logged-in session pre-seeded (what the login gate
leaves in `st.session_state`), on the test's own app database, a small demo business
database and in-memory Qdrant; Ollama is unreachable, so indexing is sparse-only.
"""

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
from ui.components.formats import NA

BOSS_PASSWORD = "Chief-unit-Passw0rd"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    """The test's app database with one admin ("boss") and one analyst ("ana")."""
    users = {"boss": ("admin", BOSS_PASSWORD), "ana": ("analyst", "Analyst-unit-Passw0rd")}
    yield from page_services(monkeypatch, tmp_path, users)


def button(at: AppTest, label: str) -> Button:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def admin_details(services: AuthServices) -> list[str]:
    page = services.audit.query(AuditFilter(event=audit.ADMIN_ACTION), limit=100)
    return [entry.detail or "" for entry in reversed(page.entries)]


# -- access to the pages -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "admin_users",
        "admin_sources",
        "admin_access",
        "admin_audit",
        "knowledge",
        "admin_monitoring",
    ],
)
def test_admin_pages_stop_for_other_roles_and_strangers(auth: AuthServices, name: str) -> None:
    at = open_page(name, username="ana", role="analyst")
    assert texts(at.error) == ["Your role can't open this page."]
    assert not at.title
    stranger = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60).run()
    assert "log in" in texts(stranger.warning)[0]
    assert not stranger.title


# -- users ---------------------------------------------------------------------------------
def test_users_page_lists_name_role_status_and_last_login(auth: AuthServices) -> None:
    auth.users.disable("ana")
    at = open_page("admin_users")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Username"]) == ["ana", "boss"]
    assert list(table["Status"]) == ["disabled", "active"]
    assert {"Role", "Last login (UTC)"} <= set(table.columns)


def create_form(at: AppTest, username: str, password: str = "") -> AppTest:
    boxes = {box.label: box for box in at.text_input}
    boxes["Username"].input(username)
    boxes["Password (leave empty to generate one)"].input(password)
    return button(at, "Create user").click().run()


def test_creating_a_user_shows_the_generated_password_once(auth: AuthServices) -> None:
    at = create_form(open_page("admin_users"), "Newbie")
    assert texts(at.success) == ["Created analyst newbie."]
    password = at.code[0].value
    user = auth.users.get_user("newbie")
    assert user.role == "analyst"
    assert auth.users.hasher.verify(password, user.password_hash)
    assert admin_details(auth)[-1] == "created analyst newbie"
    at.run()  # any later run: the password is gone
    assert not at.code
    assert not at.success


def test_a_typed_password_that_breaks_a_rule_is_refused_with_the_rule(
    auth: AuthServices,
) -> None:
    at = create_form(open_page("admin_users"), "weakling", password="short")
    assert texts(at.error) == ["The password must have at least 10 characters."]
    assert auth.users.find_user("weakling") is None
    at = create_form(at, "weakling", password="weakling-is-me-2026")
    assert texts(at.error) == ["The password must not be or contain the username."]


def test_the_last_admin_cannot_be_disabled_or_demoted(auth: AuthServices) -> None:
    at = open_page("admin_users")
    at.selectbox(key="admin_users_pick").select("boss").run()
    at = button(at, "Disable").click().run()
    assert "they are the last active admin" in texts(at.error)[0]
    at.selectbox(key="role_boss").select("analyst").run()
    at = button(at, "Change role").click().run()
    assert "they are the last active admin" in texts(at.error)[0]
    assert auth.users.get_user("boss").role == "admin"
    assert not auth.users.get_user("boss").disabled


def test_role_status_and_password_changes_are_applied_and_audited(auth: AuthServices) -> None:
    at = open_page("admin_users")
    at.selectbox(key="admin_users_pick").select("ana").run()
    at.selectbox(key="role_ana").select("manager").run()
    at = button(at, "Change role").click().run()
    assert texts(at.success) == ["ana is now manager."]
    at = button(at, "Disable").click().run()
    assert auth.users.get_user("ana").disabled
    at = button(at, "Enable").click().run()
    assert not auth.users.get_user("ana").disabled
    at = button(at, "Reset password").click().run()
    new_password = at.code[0].value
    assert auth.users.hasher.verify(new_password, auth.users.get_user("ana").password_hash)
    assert admin_details(auth)[-4:] == [
        "set the role of ana to manager",
        "disabled ana",
        "enabled ana",
        "reset the password of ana",
    ]


def test_delete_lists_what_goes_and_needs_the_confirmation(auth: AuthServices) -> None:
    from backend.conversations import ConversationStore
    from backend.dashboards import DashboardStore

    chats = ConversationStore(auth.engine)
    for title in ("first", "second"):
        chats.create("ana", title)
    DashboardStore(auth.engine).create("ana", "Sales")
    at = open_page("admin_users")
    at.selectbox(key="admin_users_pick").select("ana").run()
    listed = "\n".join(texts(at.markdown))
    assert "Conversations: 2" in listed and "Dashboards: 1" in listed
    assert "Login sessions (ended at once): 0" in listed
    assert "Deleting ana removes all of this" in texts(at.text)[0]
    assert button(at, "Delete user").disabled
    at.checkbox(key="sure_ana").check().run()
    at = button(at, "Delete user").click().run()
    assert texts(at.success) == ["Deleted ana and 3 rows of their data."]
    assert auth.users.find_user("ana") is None
    assert chats.list_for("ana") == []


def test_a_locked_user_can_be_unlocked(auth: AuthServices) -> None:
    for _ in range(5):
        auth.login.attempt("ana", "wrong-password-1")
    at = open_page("admin_users")
    at.selectbox(key="admin_users_pick").select("ana").run()
    assert "locked" in list(at.dataframe[0].value["Status"])
    at = button(at, "Unlock").click().run()
    assert auth.lockout.locked_until("ana") is None


# -- access rules --------------------------------------------------------------------------
def test_access_page_saves_a_roles_tables_and_denied_columns(auth: AuthServices) -> None:
    at = open_page("admin_access")
    assert not at.exception
    at.checkbox[0].uncheck()
    tables = at.multiselect[0]
    assert "orders" in tables.options and "employees" in tables.options
    tables.set_value(["orders", "customers"])
    at.multiselect[1].set_value(["employees.salary", "customers.email"])
    at = button(at, "Save rules").click().run()
    assert texts(at.success) == ["Saved the rules of analyst."]
    policy = auth.policies.role_policy("analyst")
    assert policy.allowed_tables == {"orders", "customers"}
    assert policy.denied_columns == {("employees", "salary"), ("customers", "email")}
    assert admin_details(auth)[-1].startswith("set the rules of analyst on main: customers, orders")


def test_row_filters_and_user_attributes(auth: AuthServices) -> None:
    at = open_page("admin_access")
    at.radio[0].set_value("user")
    next(box for box in at.selectbox if box.label == "Table").set_value("orders")
    next(box for box in at.selectbox if box.label == "User").set_value("ana")  # in the form
    at.text_input[0].input("region_id = :user.region_id")
    described = next(box for box in at.text_input if box.label == "Description for users")
    described.input("Only **orders** of your region (:user.region_name) are counted.")
    at = button(at, "Add filter").click().run()
    assert texts(at.success) == ["Added a row filter on orders."]
    [stored] = auth.policies.row_filters(username="ana")
    assert (stored.table, stored.predicate, stored.description) == (
        "orders",
        "region_id = :user.region_id",
        "Only **orders** of your region (:user.region_name) are counted.",
    )
    # Listed as data in the table of filters, never drawn as markdown.
    listed = at.dataframe[0].value
    assert list(listed["Description for users"]) == [stored.description]

    at.text_input[0].input("region_id = (SELECT 1)")
    at = button(at, "Add filter").click().run()
    assert texts(at.error) == ["A row filter may not contain a subquery."]

    at.selectbox(key="attributes_user").select("ana").run()
    at.text_area[0].input("region_id=3\nteam = north")
    at = button(at, "Save attributes").click().run()
    assert dict(auth.users.get_user("ana").attributes) == {"region_id": "3", "team": "north"}
    at.text_area[0].input("region_id 3")
    at = button(at, "Save attributes").click().run()
    assert "name=value" in texts(at.error)[0]

    at = button(at, "Remove filter").click().run()
    assert auth.policies.row_filters() == []


def test_reindex_button_shows_the_stats(auth: AuthServices) -> None:
    at = open_page("admin_access")
    at = button(at, "Re-index schema now").click().run()
    assert not at.exception
    assert texts(at.success)[0].startswith("Re-indexed: 0 added, 0 updated,")
    assert admin_details(auth)[-1].startswith("re-indexed the schema")


# -- audit log -----------------------------------------------------------------------------
def test_audit_page_filters_and_pages(auth: AuthServices) -> None:
    for number in range(60):
        auth.audit.record_login(f"user{number % 3}", audit.LOGIN_FAILURE)
    auth.audit.record_admin("boss", "changed something")
    at = open_page("admin_audit")
    assert not at.exception
    assert len(at.dataframe[0].value) == 50
    assert at.dataframe[0].proto.placeholder == NA  # rows without a question or SQL
    assert any("of 61, newest first" in c.value for c in at.caption)
    at.number_input[0].set_value(2).run()
    assert len(at.dataframe[0].value) == 11
    at.selectbox[0].select(audit.ADMIN_ACTION).run()
    assert list(at.dataframe[0].value["Detail"]) == ["changed something"]
    at.selectbox[0].select("any").run()
    at.text_input[0].input("user1").run()
    assert set(at.dataframe[0].value["User"]) == {"user1"}
    at.text_input[1].input("no such text anywhere").run()
    assert texts(at.info) == ["No audit rows match these filters."]


def test_every_kind_of_deleted_data_has_a_line_in_both_languages() -> None:
    from auth.user_data import KINDS

    locales = Path(__file__).resolve().parents[2] / "backend" / "i18n" / "locales"
    for language in ("en", "es"):
        catalogue = (locales / language / "LC_MESSAGES" / "admin.po").read_text(encoding="utf-8")
        for kind in KINDS:
            assert f'msgid "admin.users.delete.item.{kind}"' in catalogue, (language, kind)


def test_audit_page_shows_and_filters_the_door_a_run_came_through(auth: AuthServices) -> None:
    auth.audit.record_sql("ana", "Sales", "SELECT 1", 1, audit.OK, 0.1, source="tile")
    auth.audit.record_sql("bob", "How many?", "SELECT 2", 1, audit.OK, 0.1, source="api")
    auth.audit.record_login("ana", audit.LOGIN_SUCCESS)
    at = open_page("admin_audit")
    assert not at.exception
    shown = at.dataframe[0].value
    assert list(shown["Source"].fillna("")) == ["", "HTTP API", "Dashboard tile"]
    at.selectbox[2].select("api").run()
    assert list(at.dataframe[0].value["User"]) == ["bob"]
