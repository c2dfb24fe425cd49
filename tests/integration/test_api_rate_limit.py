"""The rate limit per token: 429 with Retry-After past API_RATE_LIMIT, OK again once the
moving window has passed; counted in memory, or in Redis so that several API processes
share one count (a real Redis server: skipped, with the reason, when none answers).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api import create_app
from api.services import api_services
from backend.i18n import t
from testkit.scripted_ollama import ScriptedOllama
from tests.support.api_fixtures import ApiStack, api_stack
from tests.support.mcp_host import serving

pytestmark = pytest.mark.mariadb

REDIS = ("127.0.0.1", 6379)
WINDOW_S = 2


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def limited(
    scripted_ollama: ScriptedOllama, api_business_url: str, tmp_path: Path
) -> Iterator[ApiStack]:
    with api_stack(
        scripted_ollama, api_business_url, tmp_path, api_rate_limit=f"3/{WINDOW_S} seconds"
    ) as stack:
        yield stack


def statuses(url: str, token: str, count: int, *, language: str = "en") -> list[int]:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    with httpx.Client(base_url=url, headers=headers) as client:
        return [client.get("/v1/conversations").status_code for _ in range(count)]


def test_past_the_limit_is_429_then_ok_after_the_window(limited: ApiStack) -> None:
    token, other = limited.token(), limited.token()
    assert statuses(limited.url, token, 3) == [200, 200, 200]
    with limited.client(token, language="es") as client:
        refused = client.get("/v1/conversations")
    assert refused.status_code == 429
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW_S
    assert refused.json() == {
        "error": {
            "code": "rate_limited",
            "message": t("api.error.rate_limited", "es", seconds=retry_after),
        }
    }
    assert statuses(limited.url, other, 1) == [200]  # per token: another is not held back
    time.sleep(retry_after + 0.2)
    assert statuses(limited.url, token, 1) == [200]


def test_requests_past_the_limit_do_not_reach_the_model(limited: ApiStack) -> None:
    token = limited.token()
    with limited.client(token) as client:
        replies = [client.post("/v1/sql", json={"sql": "SELECT 1 AS one"}) for _ in range(5)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429, 429]
    username = limited.api.tokens.authenticate(token)
    assert username is not None
    ran = [e for e in limited.auth.audit.iter_entries() if e.username == username.username]
    assert len(ran) == 3  # the refused requests ran nothing


@pytest.mark.skipif(not redis_answers(), reason="no Redis server answers at 127.0.0.1:6379")
def test_api_processes_sharing_redis_share_one_limit(
    scripted_ollama: ScriptedOllama, api_business_url: str, tmp_path: Path
) -> None:
    # Keys are the namespace and a new token's hash: no other counter can collide.
    storage = f"redis://{REDIS[0]}:{REDIS[1]}/0"
    with api_stack(
        scripted_ollama,
        api_business_url,
        tmp_path,
        api_rate_limit=f"3/{WINDOW_S} seconds",
        api_rate_limit_storage=storage,
    ) as first:
        # A second API process's own services (its own Redis client), same settings.
        second_services = api_services(first.api.settings, first.services, first.auth)
        with serving(create_app(services=second_services)) as second_url:
            token = first.token()
            assert statuses(first.url, token, 2) == [200, 200]
            assert statuses(second_url, token, 2) == [200, 429]
            assert statuses(first.url, token, 1) == [429]
            time.sleep(WINDOW_S + 0.2)
            assert statuses(second_url, token, 1) == [200]


def test_a_dead_rate_limit_storage_refuses_rather_than_lets_through(
    scripted_ollama: ScriptedOllama, api_business_url: str, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        api_stack(
            scripted_ollama,
            api_business_url,
            tmp_path,
            api_rate_limit_storage=f"redis://127.0.0.1:{port}/0",
        ) as stack,
        stack.client(stack.token()) as client,
    ):
        reply = client.get("/v1/conversations")
    assert reply.status_code == 503
    assert reply.json()["error"] == {
        "code": "rate_limit_unavailable",
        "message": t("api.error.rate_limit_unavailable", "en"),
    }
