"""The login gate: our own form, server-side sessions (`auth.sessions`), client throttling.

How the work is shared:

* Typed passwords are checked by `auth.login.LoginService`, which throttles by username
  *and client* (`auth.lockout`; the client is `request_client`: the connection's address,
  or behind TRUSTED_PROXIES the forwarded one), counts unknown usernames like real ones
  and answers one message, so no answer reveals who exists.
* A login starts a server-side session (`auth.sessions.SessionStore`): the browser's
  cookie holds only its random id. Every run — the first of a page load, which reads the
  cookie, and every later one — resolves that id against the app database, so logout, a
  password reset, disabling or deleting the user, the idle timeout and the absolute
  lifetime all end the session at once, and a copied cookie dies with it.
* The session contract the pages read is the one streamlit-authenticator 0.4.2 defined
  (`st.session_state["authentication_status" | "username" | "name" | "roles"]`); the
  library itself is no longer involved: its re-login cookie was a stateless JWT.

The cookie: written by extra-streamlit-components' `CookieManager` (a JS component, the
only way Streamlit 1.67 under `streamlit run` can set a cookie), with `SameSite=Strict`,
`Secure` over https (AUTH_COOKIE_SECURE), and an expiry that follows the session. Being
written by JavaScript it can't be `HttpOnly`: a script in the page can read it. The
server-side check bounds the damage: a stolen id stops working at logout, idle timeout or
the absolute end. (An HttpOnly cookie would need an HTTP route that sets it — `st.App`
with a custom route under uvicorn — a different way to run the app.)

Traps handled here (see shared/STACK-NOTES.md): the cookie component that the next rerun
may unmount loses writes, so the cookie is written on every authenticated run and deleted
on every run after a logout. The same component asks for a rerun after each page load,
and Streamlit drops a button click whose run such a rerun interrupts: so login and logout
happen in widget callbacks, which run before the script body. `st.context.cookies` keeps
the cookies of the page load for the whole browser session, so after a logout it still
shows the old id — which the database no longer accepts.

Language: a logged-in user's saved language is put in the session on every run (so an
admin's change applies at once); without one, the session keeps what the visitor chose on
the login page. A logout keeps the session's language, so the login page does not switch.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import extra_streamlit_components as stx
import streamlit as st

from auth.clients import client_address, parse_networks
from auth.login import INVALID_CREDENTIALS
from auth.services import AuthServices
from auth.sessions import SessionStore
from auth.users import User
from backend.config import Settings, get_settings
from backend.i18n import Message
from ui.components.language import login_language_picker
from ui.context import LANGUAGE_KEY, translator

log = logging.getLogger(__name__)

COOKIE_NAME = "keskinube_auth"
LOGIN_BOX_KEY = "keskinube_login_box"  # also the CSS class st-key-<key> browser tests find
LOGOUT_BUTTON_KEY = "keskinube_logout"
LIBRARY_KEYS = ("name", "authentication_status", "username", "email", "roles")
TOKEN_KEY = "keskinube_session_token"  # the session id of this browser session
_NOTICE_KEY = "keskinube_login_notice"
_USERNAME_KEY, _PASSWORD_KEY = "keskinube_login_username", "keskinube_login_password"
_LOGIN_ERROR_KEY = "keskinube_login_error"
_COOKIES_KEY, _SET_KEY, _DELETE_KEY = (
    "keskinube_cookies",
    "keskinube_cookie_set",
    "keskinube_cookie_del",
)
# Kept on logout: the cookie component's widget state and the session's language.
_KEPT_ON_LOGOUT = frozenset({_COOKIES_KEY, _SET_KEY, _DELETE_KEY, LANGUAGE_KEY})
DISABLED_NOTICE = Message.of("app.login.notice.disabled")
SESSION_ENDED_NOTICE = Message.of("auth.session.ended")


class SessionCookie:
    """The browser's session cookie: written and deleted through a JS component."""

    def __init__(self, settings: Settings) -> None:
        self.secure = cookie_secure(settings)
        self._manager = stx.CookieManager(key=_COOKIES_KEY)

    def write(self, token: str, expires_at: datetime) -> None:
        """(Re)write the cookie; `expires_at` is naive UTC (when the session would end)."""
        self._manager.set(
            COOKIE_NAME,
            token,
            key=_SET_KEY,
            expires_at=expires_at.replace(tzinfo=UTC),
            secure=self.secure,
            same_site="strict",
        )

    def delete(self) -> None:
        # The manager raises KeyError when the browser had no such cookie: nothing to do.
        with contextlib.suppress(KeyError):
            self._manager.delete(COOKIE_NAME, key=_DELETE_KEY)


@dataclass(frozen=True)
class Session:
    """The outcome of the gate for one run: the cookie, and the user if logged in."""

    cookie: SessionCookie
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


def session_store(settings: Settings, auth: AuthServices) -> SessionStore:
    """The sessions, with the settings' key and timeouts, on the auth services' database."""
    return SessionStore(
        auth.engine,
        clock=auth.users.clock,
        secret=cookie_key(settings),
        idle=timedelta(minutes=settings.auth_session_idle_minutes),
        lifetime=timedelta(hours=settings.auth_session_max_hours),
    )


def cookie_secure(settings: Settings) -> bool:
    """Whether the cookie gets `Secure`: as set, or (auto) when the page came by https."""
    if settings.auth_cookie_secure != "auto":
        return settings.auth_cookie_secure == "on"
    url = st.context.url
    return isinstance(url, str) and url.lower().startswith("https://")


def request_client(settings: Settings) -> str:
    """The client's address for login throttling (see `auth.clients`)."""
    peer = st.context.ip_address
    forwarded = st.context.headers.get("X-Forwarded-For")
    return client_address(
        peer if isinstance(peer, str) else None,
        forwarded if isinstance(forwarded, str) else None,
        parse_networks(settings.trusted_proxies),
    )


def open_session(settings: Settings, auth: AuthServices) -> Session:
    """Run the gate: the user of this run's valid session, or None for the login page."""
    for key in (*LIBRARY_KEYS, "logout"):
        st.session_state.setdefault(key, None)  # the keys exist on every run, as before
    cookie = SessionCookie(settings)
    sessions = session_store(settings, auth)
    token = st.session_state.get(TOKEN_KEY)
    had_session = token is not None or st.session_state.get("authentication_status") is True
    if token is None and not st.session_state.get("logout"):
        token = _cookie_token()
    active = sessions.resolve(token) if token is not None else None
    user = auth.users.find_user(active.username) if active is not None else None
    if active is not None and user is not None and user.active:
        _enter(user, str(token))
        # Re-written on every authenticated run: a write is often lost, and the expiry
        # follows the session's renewal.
        cookie.write(str(token), active.expires_at)
        return Session(cookie, user)
    if had_session:
        ended_user = _session_user(auth)
        notice = (
            SESSION_ENDED_NOTICE
            if ended_user is not None and ended_user.active
            else DISABLED_NOTICE
        )
        # A deleted user's logout is not audited: the row would name a future account.
        end_session(auth, notice=notice, audit_logout=ended_user is not None)
    elif token is not None:  # a cookie the database refuses: revoked, expired, forged
        st.session_state["logout"] = True
    if not had_session:
        time.sleep(settings.login_sleep_s)  # slows guessing from a fresh page load
    if st.session_state.get("logout"):
        cookie.delete()  # on every run after a logout: one write may be lost
    return Session(cookie, None)


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
    """The form's callback: check the password through `LoginService` (throttling, audit),
    then start a new server-side session.

    A callback runs before the script body, so the run that follows already draws the
    user's pages: no rerun is needed, and a rerun that interrupts it (the cookie
    component asks for one after each page load) can't drop the click. A new session id
    is made on every login, whatever cookie the browser had.
    """
    settings = get_settings()
    username = st.session_state.get(_USERNAME_KEY, "")
    password = st.session_state.get(_PASSWORD_KEY, "")
    st.session_state[_PASSWORD_KEY] = ""
    result = auth.login.attempt(username, password, client=request_client(settings))
    if not result.ok or result.user is None:
        st.session_state[_LOGIN_ERROR_KEY] = result.message
        return
    for key in (_USERNAME_KEY, _LOGIN_ERROR_KEY):
        st.session_state.pop(key, None)
    try:
        token, _ = session_store(settings, auth).start(result.user.id)
    except LookupError:  # deleted or disabled between the password check and now
        st.session_state[_LOGIN_ERROR_KEY] = INVALID_CREDENTIALS
        return
    start_session(result.user, token)


def start_session(user: User, token: str) -> None:
    """Fill the session keys the pages read for `user`, with the session id `token`."""
    st.session_state.update(
        name=user.name,
        authentication_status=True,
        username=user.username,
        email=user.email,
        roles=[user.role],
        logout=None,
    )
    st.session_state[TOKEN_KEY] = token


def _enter(user: User, token: str) -> None:
    """Start (from a cookie) or refresh the session keys: role changes apply at once."""
    if (
        st.session_state.get(TOKEN_KEY) != token
        or st.session_state.get("username") != user.username
    ):
        start_session(user, token)
    st.session_state["roles"] = [user.role]
    st.session_state["name"] = user.name
    if user.language:
        st.session_state[LANGUAGE_KEY] = user.language


def logout_button(auth: AuthServices, cookie: SessionCookie) -> None:
    """The logout button; its callback ends the session before the run."""
    st.button(
        translator()("app.logout"),
        key=LOGOUT_BUTTON_KEY,
        on_click=_submit_logout,
        args=(auth,),
    )


def _submit_logout(auth: AuthServices) -> None:
    end_session(auth, username=st.session_state.get("username"))


def end_session(
    auth: AuthServices,
    *,
    username: str | None = None,
    notice: Message | None = None,
    audit_logout: bool = True,
) -> None:
    """End the server-side session, forget everything this browser session held (chat
    state too, not the language) and audit the logout.

    The `logout` flag left behind makes `open_session` ignore the page load's cookie and
    delete it on every later run of this browser session.
    """
    username = username or st.session_state.get("username")
    token = st.session_state.get(TOKEN_KEY)
    if token is not None:
        session_store(get_settings(), auth).end(token)
    if username and audit_logout:
        auth.login.record_logout(username)
    for key in list(st.session_state.keys()):
        if key not in _KEPT_ON_LOGOUT:
            del st.session_state[key]
    st.session_state.update(dict.fromkeys(LIBRARY_KEYS), logout=True)
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def _cookie_token() -> str | None:
    """The session id in the page load's cookie, if any."""
    # AppTest's st.context.cookies claims to hold every cookie, as a mock: only a real
    # string is a cookie.
    value = st.context.cookies.get(COOKIE_NAME)
    return value if isinstance(value, str) else None


def _session_user(auth: AuthServices) -> User | None:
    """The account this browser session was logged in as, if it still exists."""
    username = st.session_state.get("username")
    return auth.users.find_user(username) if isinstance(username, str) else None
