"""Keskinube's Streamlit entry point, the frame of every page.

Page config, the configuration check, the login gate (`ui.auth_gate`), then the
navigation built from the user's role (`ui.navigation`), the sidebar and its language
picker. A logged-out visitor gets only the login page, whatever the URL. Every text comes
from the catalogue in the reader's language (`ui.context.current_language`).
"""

from __future__ import annotations

import streamlit as st

from backend.config import get_settings
from backend.errors import KeskinubeError
from backend.i18n import Language, normalise_language
from ui import auth_gate, navigation
from ui.components.audited import show_audit_warnings
from ui.components.language import sidebar_language_picker
from ui.components.sidebar import render_sidebar
from ui.context import LANGUAGE_KEY, current_language, get_auth
from ui.startup import refuse_to_start
from ui.warm_up import warm_up_app, warm_up_session

st.set_page_config(page_title="Keskinube", page_icon="🧊", layout="wide")  # i18n: not prose


def startup_language() -> Language | None:
    """The reader's language even when the settings themselves are broken."""
    try:
        return current_language()
    except KeskinubeError:  # current_language reads the settings
        return normalise_language(st.session_state.get(LANGUAGE_KEY))


try:
    settings = get_settings()
    auth = get_auth()
except Exception as exc:  # bad settings, a refused ADMIN_PASSWORD, no app database
    refuse_to_start(exc, startup_language())

session = auth_gate.open_session(settings, auth)
if session.user is None:
    navigation.login_navigation(lambda: auth_gate.login_form(auth)).run()
    warm_up_app()  # after the form is drawn: the first visit after a start pays it
else:
    page = navigation.navigation_for(session.user)
    render_sidebar(session.user, settings, auth, session.cookie)
    sidebar_language_picker(auth, session.user)
    warm_up_app()
    warm_up_session()
    page.run()
    show_audit_warnings()
