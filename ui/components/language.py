"""The language picker: English or Español, applied at once.

In the sidebar the choice is saved for the logged-in user (`UserStore.set_language`), so
it follows them to their next login on any browser; on the login page it lasts for the
session. Either way it goes into `st.session_state[LANGUAGE_KEY]` from the widget's
callback, which runs before the script: the run that follows the click already draws the
navigation and the page in the new language, and no rerun can swallow the click.
"""

from __future__ import annotations

import logging

import streamlit as st

from auth.errors import AuthError
from auth.services import AuthServices
from auth.users import User
from backend.i18n import LANGUAGES, Language, language_name, normalise_language
from ui.context import LANGUAGE_KEY, current_language, translator

log = logging.getLogger(__name__)

SIDEBAR_PICKER_KEY = "keskinube_language"  # also the CSS class st-key-<key> tests find
LOGIN_PICKER_KEY = "keskinube_login_language"


def sidebar_language_picker(auth: AuthServices, user: User) -> None:
    """The logged-in user's picker, in the sidebar; a choice is saved for them."""
    with st.sidebar:
        _picker(SIDEBAR_PICKER_KEY, save_for=(auth, user.username))


def login_language_picker() -> None:
    """The login page's picker: the choice lasts for this session only."""
    _picker(LOGIN_PICKER_KEY, save_for=None, compact=True)


def chosen_language(value: object) -> Language | None:
    """The picker's value as a language we speak, or None."""
    return normalise_language(value) if isinstance(value, str) else None


def apply_language(language: Language, save_for: tuple[AuthServices, str] | None) -> None:
    """Make `language` the session's; with `save_for` (auth, username), the user's too."""
    st.session_state[LANGUAGE_KEY] = language
    if save_for is None:
        return
    auth, username = save_for
    try:
        auth.users.set_language(username, language)
    except AuthError as exc:  # e.g. the user was deleted meanwhile: the gate ends it next
        log.info("language of %s not saved: %s", username, exc)


def _picker(key: str, *, save_for: tuple[AuthServices, str] | None, compact: bool = False) -> None:
    tr = translator()
    # Drawn from the session's language on every run, so a language set elsewhere (the
    # user's saved choice at login, an admin's edit) shows here too.
    st.session_state[key] = current_language()
    st.segmented_control(
        tr("common.language"),
        LANGUAGES,
        format_func=language_name,
        key=key,
        required=True,
        help=None if compact else tr("common.language.help"),
        label_visibility="collapsed" if compact else "visible",
        on_change=_on_change,
        args=(key, save_for),
    )


def _on_change(key: str, save_for: tuple[AuthServices, str] | None) -> None:
    language = chosen_language(st.session_state.get(key))
    if language is not None:
        apply_language(language, save_for)
