"""The language in AppTest: the login page's picker (this session only), the sidebar's
picker (saved for the user, applied in the same run), the saved language at login, and
the admin page's language field. English stays the default everywhere.

The app and its fixtures are those of `test_ui_login` (a copy of ui/app.py's source on
a scratch SQLite app database, one user per role).
"""
# Fixtures come from test_ui_login; test arguments that name them are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import ButtonGroup

from auth import audit, roles
from auth.audit import AuditFilter
from auth.services import AuthServices
from backend.i18n import LANGUAGES, t
from tests.unit.test_ui_admin import open_page
from tests.unit.test_ui_login import (  # noqa: F401 - fixtures
    PASSWORDS,
    auth,
    button,
    errors,
    log_in,
    start,
    ui_env,
)
from ui.components.language import LOGIN_PICKER_KEY, SIDEBAR_PICKER_KEY
from ui.context import LANGUAGE_KEY


def picker(at: AppTest, key: str) -> ButtonGroup[str]:
    found = [group for group in at.button_group if group.key == key]
    assert found, f"no language picker {key!r}"
    return found[0]


def form_labels(at: AppTest) -> list[str]:
    return [box.label for box in at.text_input]


def sidebar_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.sidebar.button]


def log_in_es(at: AppTest, username: str, password: str) -> AppTest:
    boxes = {box.label: box for box in at.text_input}
    boxes["Usuario"].input(username)
    boxes["Contraseña"].input(password)
    return button(at, "Iniciar sesión").click().run()


def test_login_page_speaks_english_by_default_and_spanish_when_picked(
    auth: AuthServices,
) -> None:
    at = start()
    assert picker(at, LOGIN_PICKER_KEY).value == "en"
    assert form_labels(at) == ["Username", "Password"]
    picker(at, LOGIN_PICKER_KEY).set_value("es").run()
    assert form_labels(at) == ["Usuario", "Contraseña"]
    assert at.session_state[LANGUAGE_KEY] == "es"
    at = log_in_es(at, "ana", "not-her-password")
    assert errors(at) == ["Usuario o contraseña incorrectos."]


def test_a_choice_on_the_login_page_is_not_saved_for_anyone(auth: AuthServices) -> None:
    at = start()
    picker(at, LOGIN_PICKER_KEY).set_value("es").run()
    at = log_in_es(at, "ana", PASSWORDS["ana"])
    assert at.session_state["authentication_status"] is True
    assert "Cerrar sesión" in sidebar_buttons(at)  # the session keeps its language
    assert auth.users.get_user("ana").language is None


def test_switching_in_the_sidebar_applies_at_once_and_is_saved(auth: AuthServices) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    assert "Log out" in sidebar_buttons(at)
    assert picker(at, SIDEBAR_PICKER_KEY).value == "en"
    picker(at, SIDEBAR_PICKER_KEY).set_value("es").run()
    assert not at.exception
    assert "Cerrar sesión" in sidebar_buttons(at)
    assert auth.users.get_user("ana").language == "es"
    picker(at, SIDEBAR_PICKER_KEY).set_value("en").run()
    assert "Log out" in sidebar_buttons(at)
    assert auth.users.get_user("ana").language == "en"


def test_the_saved_language_applies_at_login_and_stays_after_logout(
    auth: AuthServices,
) -> None:
    auth.users.set_language("mia", "es")
    at = start()
    assert form_labels(at) == ["Username", "Password"]
    at = log_in(at, "mia", PASSWORDS["mia"])
    assert "Cerrar sesión" in sidebar_buttons(at)
    assert picker(at, SIDEBAR_PICKER_KEY).value == "es"
    at = button(at, "Cerrar sesión").click().run()
    assert form_labels(at) == ["Usuario", "Contraseña"]  # the login page does not switch
    assert at.session_state["authentication_status"] is None


def test_an_admins_change_of_a_users_language_applies_on_their_next_run(
    auth: AuthServices,
) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    auth.users.set_language("ana", "es")
    at.run()
    assert "Cerrar sesión" in sidebar_buttons(at)


def test_a_refusal_is_shown_in_the_readers_language(auth: AuthServices) -> None:
    at = open_page("admin_users")
    at.session_state[LANGUAGE_KEY] = "es"
    at.run()
    assert at.title[0].value == "Usuarios"
    boxes = {box.label: box for box in at.text_input}
    boxes["Usuario"].input("weakling")
    boxes["Contraseña (déjala vacía para generar una)"].input("short")
    at = button(at, "Crear usuario").click().run()
    assert [e.value for e in at.error] == ["La contraseña debe tener al menos 10 caracteres."]


def test_admin_creates_a_user_with_a_language_and_changes_it(auth: AuthServices) -> None:
    at = open_page("admin_users")
    boxes = {box.label: box for box in at.text_input}
    boxes["Username"].input("lucia")
    next(box for box in at.selectbox if box.label == "Language").set_value("es")
    at = button(at, "Create user").click().run()
    assert [s.value for s in at.success] == ["Created analyst lucia."]
    assert auth.users.get_user("lucia").language == "es"
    table = at.dataframe[0].value
    languages = dict(zip(table["Username"], table["Language"], strict=True))
    assert (languages["lucia"], languages["ana"]) == ("Español", "App default")

    at.selectbox(key="admin_users_pick").select("lucia").run()
    at.selectbox(key="language_lucia").select_index(0).run()  # the app's default
    at = button(at, "Change language").click().run()
    assert [s.value for s in at.success] == ["Saved the language of lucia."]
    assert auth.users.get_user("lucia").language is None
    page = auth.audit.query(AuditFilter(event=audit.ADMIN_ACTION), limit=10)
    assert [e.detail for e in reversed(page.entries)][-2:] == [
        "created analyst lucia (language es)",
        "set the language of lucia to the default",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_role_event_and_status_has_a_label(language: str) -> None:
    keys = [f"auth.role.{role}" for role in roles.ROLES]
    keys += [f"admin.audit.event.{event}" for event in audit.EVENTS]
    keys += [f"admin.audit.status.{status}" for status in audit.STATUSES]
    keys += [f"admin.users.status.{state}" for state in ("active", "disabled", "locked")]
    keys += [f"admin.access.owner.{owner}" for owner in ("role", "user")]
    assert [key for key in keys if t(key, language) == key] == []
