"""The login gate: streamlit-authenticator 0.4.2 fed from the user store, with lockout.

How the library and `auth/` share the work:

* The library owns the session contract (`st.session_state["authentication_status" |
  "username" | "name" | "roles"]`), the re-login cookie (a JWT signed with
  AUTH_COOKIE_KEY, read back on each logged-out run), the pause on logged-out runs
  (`login_sleep_time`) and the session reset on logout.
* Typed passwords are checked by `auth.login.LoginService`, behind our own form rather
  than the library's: the library's form never says which username failed, and lockout
  is counted per typed username. `LoginService.attempt` checks the lock before bcrypt,
  counts unknown usernames like real ones, spends the same bcrypt time on them and
  answers one message, so no answer reveals who exists; it also keeps the audit log and
  `last_login_at`.
* The credentials dict is built from the store on every run, never cached: the library
  mutates it, and disabled or locked users are left out so the library refuses their
  re-login cookie.

Traps handled here (see shared/STACK-NOTES.md): the library's cookie is written by a JS
component that the next rerun may unmount, so the cookie is written again on every
authenticated run and deleted again on every run after a logout. The same components
ask for a rerun after each page load, and Streamlit drops a button click whose run such
a rerun interrupts: so login and logout happen in widget callbacks, which run before the
script body (and make the library's missing rerun after a login unnecessary). The
logout button's key is not "logout", which the library uses itself.

Language: a logged-in user's saved language is put in the session on every run (so an
admin's change applies at once); without one, the session keeps what the visitor chose on
the login page. A logout keeps the session's language, so the login page does not switch.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import secrets
import time
from dataclasses import dataclass

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from auth.login import credentials_for_authenticator
from auth.services import AuthServices
from auth.users import User
from backend.config import Settings
from backend.i18n import Message
from ui.components.language import login_language_picker
from ui.context import LANGUAGE_KEY, translator

log = logging.getLogger(__name__)

COOKIE_NAME = "keskinube_auth"
COOKIE_EXPIRY_DAYS = 7.0
LOGIN_BOX_KEY = "keskinube_login_box"  # also the CSS class st-key-<key> browser tests find
LOGOUT_BUTTON_KEY = "keskinube_logout"  # never "logout": the library keeps a flag there
LIBRARY_KEYS = ("name", "authentication_status", "username", "email", "roles")
_NOTICE_KEY = "keskinube_login_notice"
_USERNAME_KEY, _PASSWORD_KEY = "keskinube_login_username", "keskinube_login_password"
_LOGIN_ERROR_KEY = "keskinube_login_error"
# Kept on logout: the cookie manager's own components (extra_streamlit_components keys)
# and the session's language.
_KEPT_ON_LOGOUT = frozenset({"init", "set", "delete", LANGUAGE_KEY})
DISABLED_NOTICE = Message.of("app.login.notice.disabled")


@dataclass(frozen=True)
class Session:
    """The outcome of the gate for one run: the authenticator, and the user if logged in."""

    authenticator: stauth.Authenticate
    user: User | None


def cookie_key(settings: Settings) -> str:
    """AUTH_COOKIE_KEY, or in dev a random key for this process (prod refuses to start)."""
    if settings.auth_cookie_key is not None and settings.auth_cookie_key.get_secret_value():
        return settings.auth_cookie_key.get_secret_value()
    return _process_cookie_key()


@functools.cache
def _process_cookie_key() -> str:
    log.warning(
        "AUTH_COOKIE_KEY is not set: using a random key for this process, so logins do not "
        "survive a restart. Set AUTH_COOKIE_KEY (required with KESKINUBE_ENV=prod)."
    )
    return secrets.token_urlsafe(48)


def build_authenticator(settings: Settings, auth: AuthServices) -> stauth.Authenticate:
    """A new `Authenticate` on a credentials dict built from the store for this run."""
    return stauth.Authenticate(
        credentials_for_authenticator(auth.users, lockout=auth.lockout),
        cookie_name=COOKIE_NAME,
        cookie_key=cookie_key(settings),
        cookie_expiry_days=COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=settings.login_sleep_s,
    )


def open_session(settings: Settings, auth: AuthServices) -> Session:
    """Run the gate: who is logged in (by session or cookie), or None for the login page."""
    authenticator = build_authenticator(settings, auth)
    if st.session_state.get("authentication_status") is not True:
        _login_from_cookie(authenticator, settings)
    if st.session_state.get("authentication_status") is True:
        user = _active_user(auth)
        if user is not None:
            if user.language:
                st.session_state[LANGUAGE_KEY] = user.language
            # Re-written on every authenticated run: the login run's write is often lost.
            authenticator.cookie_controller.set_cookie()
            return Session(authenticator, user)
        end_session(auth, notice=DISABLED_NOTICE)
    if st.session_state.get("logout"):
        # Deleted again on every run after a logout, for the same reason.
        _delete_cookie(authenticator)
    return Session(authenticator, None)


def login_form(auth: AuthServices) -> None:
    """The login page: title, notices and the form (the login itself is `_submit_login`)."""
    tr = translator()
    _, middle, _ = st.columns([1, 1.3, 1])
    with middle, st.container(key=LOGIN_BOX_KEY):
        title, picker = st.columns([3, 2], vertical_alignment="center")
        title.title("Keskinube")  # i18n: not prose
        with picker:
            login_language_picker()
        st.caption(tr("app.login.tagline"))
        notice = st.session_state.pop(_NOTICE_KEY, None)
        if isinstance(notice, Message):
            st.warning(notice.render(tr.language))
        if not auth.users.has_admin():
            st.info(tr("app.login.no_admin"))
        with st.form("keskinube_login"):
            st.text_input(tr("app.login.username"), key=_USERNAME_KEY, autocomplete="username")
            st.text_input(
                tr("app.login.password"),
                type="password",
                key=_PASSWORD_KEY,
                autocomplete="current-password",
            )
            st.form_submit_button(
                tr("app.login.submit"),
                type="primary",
                width="stretch",
                on_click=_submit_login,
                args=(auth,),
            )
        if isinstance(message := st.session_state.get(_LOGIN_ERROR_KEY), Message):
            st.error(message.render(tr.language))


def _submit_login(auth: AuthServices) -> None:
    """The form's callback: check the password through `LoginService` (lock, audit).

    A callback runs before the script body, so the run that follows already draws the
    user's pages: no rerun is needed, and a rerun that interrupts it (the cookie
    component asks for one after each page load) can't drop the click.
    """
    username = st.session_state.get(_USERNAME_KEY, "")
    password = st.session_state.get(_PASSWORD_KEY, "")
    st.session_state[_PASSWORD_KEY] = ""
    result = auth.login.attempt(username, password)
    if result.ok and result.user is not None:
        for key in (_USERNAME_KEY, _LOGIN_ERROR_KEY):
            st.session_state.pop(key, None)
        start_session(result.user)
    else:
        st.session_state[_LOGIN_ERROR_KEY] = result.message


def start_session(user: User) -> None:
    """Fill the library's session keys for `user` (what its own form would have set)."""
    st.session_state.update(
        name=user.name,
        authentication_status=True,
        username=user.username,
        email=user.email,
        roles=[user.role],
        logout=None,
    )


def logout_button(auth: AuthServices, authenticator: stauth.Authenticate) -> None:
    """The logout button (key not "logout"); its callback ends the session before the run."""
    st.button(
        translator()("app.logout"),
        key=LOGOUT_BUTTON_KEY,
        on_click=_submit_logout,
        args=(auth, authenticator),
    )


def _submit_logout(auth: AuthServices, authenticator: stauth.Authenticate) -> None:
    username = st.session_state.get("username")
    authenticator.authentication_controller.logout()  # the library's own session reset
    end_session(auth, username=username)


def end_session(
    auth: AuthServices,
    *,
    username: str | None = None,
    notice: Message | None = None,
) -> None:
    """Forget everything this session held (chat state too, not the language) and audit
    the logout.

    The `logout` flag left behind makes `open_session` delete the cookie on every later
    run of this session (and stops the library from logging in with it meanwhile).
    """
    username = username or st.session_state.get("username")
    if username:
        auth.login.record_logout(username)
    for key in list(st.session_state.keys()):
        if key not in _KEPT_ON_LOGOUT:
            del st.session_state[key]
    st.session_state.update(dict.fromkeys(LIBRARY_KEYS), logout=True)
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def _login_from_cookie(authenticator: stauth.Authenticate, settings: Settings) -> None:
    """Let the library log in from a valid cookie (and pause, as it does when logged out)."""
    # AppTest's st.context.cookies claims to hold every cookie, as a mock: only a real
    # string is a cookie worth decoding.
    if not isinstance(st.context.cookies.get(COOKIE_NAME), str):
        time.sleep(settings.login_sleep_s)
        return
    try:
        authenticator.login(location="unrendered")
    except LoginError as exc:  # a cookie of a user now disabled, locked or deleted
        log.info("re-login cookie refused: %s", exc)
        st.session_state["logout"] = True  # so open_session deletes it


def _active_user(auth: AuthServices) -> User | None:
    """The session's user re-read from the store (role changes apply at once), if active."""
    username = st.session_state.get("username")
    user = auth.users.find_user(username) if username else None
    if user is None or user.disabled:
        return None
    st.session_state["roles"] = [user.role]
    st.session_state["name"] = user.name
    return user


def _delete_cookie(authenticator: stauth.Authenticate) -> None:
    # The library prints a KeyError when the browser had no cookie: nothing to report.
    with contextlib.redirect_stdout(io.StringIO()):
        authenticator.cookie_controller.delete_cookie()
