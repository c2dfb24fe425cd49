"""Only a usable token gets in, and every refusal is the same 401 with nothing in it.

A real uvicorn, the app database on SQLite, a MariaDB business database: the tokens are
made by the real `TokenStore` and checked by the API on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from appdb.clock import utc_now
from auth.tokens import TokenStore
from tests.support.api_fixtures import ApiStack

pytestmark = pytest.mark.mariadb

UNAUTHORIZED = {"error": {"code": "unauthorized"}}


def refused(reply: httpx.Response) -> bool:
    return (
        reply.status_code == 401
        and reply.json() == UNAUTHORIZED
        and reply.headers.get("www-authenticate") == "Bearer"
    )


def expired_token(api: ApiStack) -> str:
    """A token that expired an hour ago (made by a store whose clock is two hours back)."""
    past = TokenStore(api.auth.engine, api.auth.users, clock=lambda: utc_now() - timedelta(hours=2))
    return past.create(api.user(), "old", expires_in=timedelta(hours=1)).secret


def revoked_token(api: ApiStack) -> str:
    owner = api.auth.users.get_user(api.user())
    created = api.api.tokens.create(owner.username, "gone")
    api.api.tokens.revoke(created.token.id, by=owner)
    return created.secret


def disabled_users_token(api: ApiStack) -> str:
    username = api.user()
    secret = api.token(username)
    api.auth.users.disable(username)
    return secret


def deleted_users_token(api: ApiStack) -> str:
    username = api.user()
    secret = api.token(username)
    api.auth.users.delete(username)
    return secret


def altered_token(api: ApiStack) -> str:
    secret = api.token()
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


BAD_HEADERS: dict[str, Callable[[ApiStack], dict[str, str]]] = {
    "no header": lambda api: {},
    "bearer alone": lambda api: {"Authorization": "Bearer"},
    "basic scheme": lambda api: {"Authorization": "Basic dXNlcjpwYXNz"},
    "token without scheme": lambda api: {"Authorization": api.token()},
    "not a token": lambda api: {"Authorization": "Bearer hello"},
    "unknown token": lambda api: {"Authorization": "Bearer kk_" + "x" * 43},
    "one character changed": lambda api: {"Authorization": f"Bearer {altered_token(api)}"},
    "revoked": lambda api: {"Authorization": f"Bearer {revoked_token(api)}"},
    "expired": lambda api: {"Authorization": f"Bearer {expired_token(api)}"},
    "disabled user": lambda api: {"Authorization": f"Bearer {disabled_users_token(api)}"},
    "deleted user": lambda api: {"Authorization": f"Bearer {deleted_users_token(api)}"},
    "password instead of token": lambda api: {"Authorization": "Bearer Correct-Horse-9x"},
}


@pytest.mark.parametrize("case", list(BAD_HEADERS))
def test_a_bad_token_is_401_with_no_detail(api: ApiStack, case: str) -> None:
    headers = BAD_HEADERS[case](api)
    with httpx.Client(base_url=api.url, headers=headers) as client:
        reply = client.post("/v1/ask", json={"question": "how many orders?"})
    assert refused(reply), reply.text


ROUTES = [
    ("POST", "/v1/ask", {"question": "q"}),
    ("POST", "/v1/ask/stream", {"question": "q"}),
    ("POST", "/v1/sql", {"sql": "SELECT 1"}),
    ("POST", "/v1/export", {"sql": "SELECT 1"}),
    ("GET", "/v1/conversations", None),
    ("GET", "/v1/conversations/1", None),
    ("GET", "/v1/schema/search?q=orders", None),
    ("POST", "/v1/ask", {"not": "valid"}),  # the token is checked before the body
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_but_health_needs_a_token(
    api: ApiStack, method: str, path: str, body: dict[str, str] | None
) -> None:
    with api.client("kk_" + "y" * 43) as client:
        reply = client.request(method, path, json=body)
    assert refused(reply), reply.text


def test_a_good_token_acts_as_its_user_and_a_revoke_applies_at_once(api: ApiStack) -> None:
    owner = api.auth.users.get_user(api.user())
    created = api.api.tokens.create(owner.username, "laptop")
    with api.client(created.secret) as client:
        assert client.get("/v1/conversations").status_code == 200
        api.api.tokens.revoke(created.token.id, by=owner)
        assert refused(client.get("/v1/conversations"))


def test_disabling_the_user_stops_the_token_and_enabling_restores_it(api: ApiStack) -> None:
    username = api.user()
    with api.client(api.token(username)) as client:
        api.auth.users.disable(username)
        assert refused(client.get("/v1/conversations"))
        api.auth.users.enable(username)
        assert client.get("/v1/conversations").status_code == 200


def test_a_role_change_applies_to_the_next_request(api: ApiStack) -> None:
    api.auth.policies.set_allowed_tables("manager", [])
    username = api.user("analyst")
    with api.client(api.token(username)) as client:
        before = client.get("/v1/schema/search", params={"q": "orders"}).json()
        api.auth.users.set_role(username, "manager")
        after = client.get("/v1/schema/search", params={"q": "orders"}).json()
    assert [t["name"] for t in before["tables"]] == ["orders"]
    assert after["tables"] == []


def test_a_token_that_expires_later_works_until_then(api: ApiStack) -> None:
    secret = api.token(expires_in=timedelta(hours=1))
    with api.client(secret) as client:
        assert client.get("/v1/conversations").status_code == 200


def test_login_lockout_does_not_apply_to_tokens(api: ApiStack) -> None:
    username = api.user()
    secret = api.token(username)
    for _ in range(30):  # far past the login lockout's threshold
        api.auth.lockout.record_failure(username, "203.0.113.9")
    assert api.auth.lockout.locked_until(username, "203.0.113.9") is not None
    with api.client("kk_" + "z" * 43) as stranger:
        for _ in range(30):  # bad tokens lock nobody out either
            assert refused(stranger.get("/v1/conversations"))
    with api.client(secret) as client:
        assert client.get("/v1/conversations").status_code == 200


def test_the_bearer_scheme_is_case_insensitive(api: ApiStack) -> None:
    secret = api.token()
    with httpx.Client(base_url=api.url, headers={"Authorization": f"bearer {secret}"}) as client:
        assert client.get("/v1/conversations").status_code == 200
