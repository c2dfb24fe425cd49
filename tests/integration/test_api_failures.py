"""When something breaks, the API says so in JSON, in the caller's language, without a
stack trace: a model that does not answer, a business database that cannot be reached,
a bad request, an unknown address, a bug.

Each test that breaks a service has its own API (and scripted model) so that nothing else
sees the breakage; the business database itself is never harmed: the engine is pointed at
an address where nothing listens, as when the server is down.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.i18n import t
from testkit.scripted_ollama import ScriptedOllama, when
from tests.integration.test_api_answers import events
from tests.support.api_fixtures import ApiStack, api_stack

pytestmark = pytest.mark.mariadb

LANGUAGES = [("en", "en"), ("es-ES,es;q=0.9", "es")]


@pytest.fixture
def own_api(
    scripted_ollama: ScriptedOllama, api_business_url: str, tmp_path: Path
) -> Iterator[ApiStack]:
    with api_stack(scripted_ollama, api_business_url, tmp_path) as stack:
        yield stack


def dead_database_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"mysql+pymysql://root@127.0.0.1:{port}/gone"


def kill_database(api: ApiStack) -> None:
    engine = create_database_engine(dead_database_url())
    api.services.engine.runner = SqlAlchemySqlRunner(engine, timeout_s=1)
    api.services.db_engine = engine


def no_stack_trace(text: str) -> None:
    for leak in ("Traceback", 'File "', "pymysql", "127.0.0.1", "Error:", "ollama serve"):
        assert leak not in text


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_a_dead_model_is_503_with_the_peoples_message(
    own_api: ApiStack, header: str, language: str
) -> None:
    own_api.ollama.stop()
    with own_api.client(own_api.token(), language=header) as client:
        reply = client.post("/v1/ask", json={"question": "how many orders?"})
        with client.stream("POST", "/v1/ask/stream", json={"question": "orders?"}) as stream:
            streamed = list(events(stream))
        health = client.get("/v1/health")
    assert reply.status_code == 503 and reply.headers["retry-after"]
    expected = {"code": "model_unavailable", "message": t("people.model_down", language)}
    assert reply.json() == {"error": expected}
    assert streamed[-1] == ("error", {"error": expected})
    assert [name for name, _ in streamed][:2] == ["retrieve", "generate"]
    assert health.status_code == 503
    assert health.json() == {"ok": False, "database": True, "model": False, "vectors": True}
    no_stack_trace(reply.text + json.dumps(streamed) + health.text)


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_a_dead_database_is_503_with_the_peoples_message(
    own_api: ApiStack, header: str, language: str
) -> None:
    own_api.ollama.add(when("orders", reply="```sql\nSELECT COUNT(*) FROM orders\n```"))
    kill_database(own_api)
    with own_api.client(own_api.token(), language=header) as client:
        asked = client.post("/v1/ask", json={"question": "how many orders?"})
        own = client.post("/v1/sql", json={"sql": "SELECT id FROM orders"})
        export = client.post("/v1/export", json={"sql": "SELECT id FROM orders"})
        health = client.get("/v1/health")
    expected = {"code": "database_unavailable", "message": t("people.database_down", language)}
    for reply in (asked, own, export):
        assert reply.status_code == 503, reply.text
        assert reply.json() == {"error": expected}
    assert health.json() == {"ok": False, "database": False, "model": True, "vectors": True}
    no_stack_trace(asked.text + own.text + export.text + health.text)


def test_the_model_coming_back_answers_again(own_api: ApiStack) -> None:
    own_api.ollama.add(when("largest", reply="```sql\nSELECT MAX(amount) FROM orders\n```"))
    own_api.ollama.stop()
    with own_api.client(own_api.token()) as client:
        assert client.post("/v1/ask", json={"question": "largest?"}).status_code == 503
        own_api.ollama.start()
        again = client.post("/v1/ask", json={"question": "largest?"})
    assert again.status_code == 200 and again.json()["rows"] == [[60]]


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_a_bad_request_names_its_fields(api: ApiStack, header: str, language: str) -> None:
    with api.client(api.token(), language=header) as client:
        missing = client.post("/v1/ask", json={"conversation_id": "seven"})
        not_json = client.post("/v1/sql", content=b"{", headers={"content-type": "text/plain"})
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"] == ["conversation_id", "question"]
    assert error["message"] == t(
        "api.error.invalid_request", language, fields="conversation_id, question"
    )
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_unknown_addresses_and_methods_are_json(api: ApiStack, header: str, language: str) -> None:
    with api.client(language=header) as client:
        nowhere = client.get("/v1/nowhere")
        wrong = client.delete("/v1/health")
    assert nowhere.status_code == 404
    assert nowhere.json() == {
        "error": {"code": "not_found", "message": t("api.error.not_found", language)}
    }
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_bug_is_500_with_no_detail(
    own_api: ApiStack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(own_api.api.answers, "ask", broken)
    with own_api.client(own_api.token(), language="es") as client:
        reply = client.post("/v1/ask", json={"question": "anything"})
        after = client.get("/v1/conversations")  # on the same kept-alive connection
        with client.stream("POST", "/v1/ask/stream", json={"question": "anything"}) as stream:
            streamed = list(events(stream))
    assert after.status_code == 200
    expected = {"error": {"code": "internal", "message": t("api.error.internal", "es")}}
    assert reply.status_code == 500 and reply.json() == expected
    assert streamed == [("error", expected)]
    assert "secret detail" not in reply.text + json.dumps(streamed)
    assert "secret detail" in caplog.text  # the log has it
