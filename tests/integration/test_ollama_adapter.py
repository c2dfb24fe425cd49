"""The Ollama adapters against a scripted Ollama-protocol server (and, marked, a real model).

The scripted server is a real HTTP server, so LangChain's ChatOllama and the `ollama`
client run unchanged: these tests cover what the adapters send, what they read back, and
how every kind of failure becomes a message a user can act on.
"""

from __future__ import annotations

import logging
import math
import re
import socket
from collections.abc import Iterator

import pytest

from backend.adapters.ollama import OllamaChatModel, OllamaEmbedder, check_ollama
from backend.errors import EmbeddingsUnavailable, ModelUnavailable
from testkit.scripted_ollama import ScriptedOllama, estimate_tokens, when
from tests.support.live_llm import LiveOllama

SQL_REPLY = "```sql\nSELECT COUNT(*) FROM customers\n```"
QUESTION = "How many customers do we have?"
TINY_TIMEOUT_S = 0.4


@pytest.fixture
def server() -> Iterator[ScriptedOllama]:
    with ScriptedOllama([when(contains="how many customers", reply=SQL_REPLY)]) as scripted:
        yield scripted


def chat_model(url: str, model: str = "qwen2.5-coder:7b", **overrides: object) -> OllamaChatModel:
    settings: dict[str, object] = {
        "num_ctx": 4096,
        "timeout_s": 5.0,
        "keep_alive": "30m",
        **overrides,
    }
    return OllamaChatModel(base_url=url, model=model, **settings)  # type: ignore[arg-type]


def embedder(url: str, model: str = "nomic-embed-text", timeout_s: float = 5.0) -> OllamaEmbedder:
    return OllamaEmbedder(base_url=url, model=model, timeout_s=timeout_s, keep_alive="30m")


def free_port_url() -> str:
    """A URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def ask(model: OllamaChatModel) -> str:
    """The user-facing message of the ModelUnavailable that `model` raises."""
    with pytest.raises(ModelUnavailable) as caught:
        model.complete([("user", QUESTION)])
    message = str(caught.value)
    assert "Traceback" not in message
    assert "\n" not in message
    return message


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


# -- completions ---------------------------------------------------------------------------


def test_completion_returns_scripted_text_and_token_counts(server: ScriptedOllama) -> None:
    completion = chat_model(server.url).complete(
        [("system", "You write MySQL."), ("user", QUESTION)]
    )

    assert completion.text == SQL_REPLY
    assert completion.prompt_tokens == estimate_tokens(f"You write MySQL. {QUESTION}")
    assert completion.completion_tokens == estimate_tokens(SQL_REPLY)
    assert completion.prompt_tokens > 0


def test_request_carries_num_ctx_temperature_seed_and_keep_alive(server: ScriptedOllama) -> None:
    chat_model(server.url, num_ctx=6144, keep_alive="10m", num_predict=300).complete(
        [("user", QUESTION)]
    )

    sent = server.last_chat
    assert sent["model"] == "qwen2.5-coder:7b"
    assert sent["keep_alive"] == "10m"
    assert sent["options"]["num_ctx"] == 6144
    assert sent["options"]["temperature"] == 0.0
    assert sent["options"]["seed"] == 0
    assert sent["options"]["num_predict"] == 300
    assert sent["stream"] is True


def test_messages_keep_their_roles_and_order(server: ScriptedOllama) -> None:
    conversation = [
        ("system", "You write MySQL."),
        ("user", "How many orders?"),
        ("assistant", "SELECT COUNT(*) FROM orders"),
        ("user", QUESTION),
    ]

    chat_model(server.url).complete(conversation)

    sent = [(m["role"], m["content"]) for m in server.last_chat["messages"]]
    assert sent == conversation


def test_one_model_object_serves_many_calls(server: ScriptedOllama) -> None:
    model = chat_model(server.url)

    answers = [model.complete([("user", QUESTION)]).text for _ in range(3)]

    assert answers == [SQL_REPLY] * 3
    assert server.chat_count == 3


def test_answer_cut_at_num_predict_is_returned_and_logged(
    server: ScriptedOllama, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(when(contains="essay", reply="word " * 100))

    with caplog.at_level(logging.WARNING, logger="backend.adapters.ollama"):
        completion = chat_model(server.url, num_predict=13).complete([("user", "an essay")])

    assert completion.text == ("word " * 10).strip()
    assert "num_predict" in caplog.text


def test_unknown_role_is_a_programming_error(server: ScriptedOllama) -> None:
    with pytest.raises(ValueError, match="unknown chat role"):
        chat_model(server.url).complete([("tool", "x")])


# -- chat failures -------------------------------------------------------------------------


def test_ollama_stopped_after_a_call_is_reported_unreachable(server: ScriptedOllama) -> None:
    model = chat_model(server.url)
    model.complete([("user", QUESTION)])  # leaves a keep-alive connection in the pool
    server.stop()

    message = ask(model)

    assert f"Ollama isn't reachable at {server.url}" in message
    assert "`ollama serve`" in message
    assert "`ollama pull qwen2.5-coder:7b`" in message


def test_nothing_listening_is_reported_unreachable() -> None:
    url = free_port_url()

    assert f"Ollama isn't reachable at {url}" in ask(chat_model(url))


def test_model_errors_are_catalogue_messages_in_both_languages() -> None:
    url = free_port_url()
    with pytest.raises(ModelUnavailable) as caught:
        chat_model(url).complete([("user", QUESTION)])

    error = caught.value
    assert error.message is not None and error.message.key == "engine.ollama.unreachable"
    assert error.render("en") == str(error)
    assert error.render("es") == (
        f"No se puede conectar con Ollama en {url}: arráncalo (`ollama serve`) "
        "y ejecuta `ollama pull qwen2.5-coder:7b`"
    )


def test_unknown_model_says_to_pull_it(server: ScriptedOllama) -> None:
    message = ask(chat_model(server.url, model="llama9:70b"))

    assert message == (
        f"The model llama9:70b isn't pulled on {server.url} — run `ollama pull llama9:70b`"
    )


def test_slow_server_beyond_the_timeout_is_reported(server: ScriptedOllama) -> None:
    server.delay_s = 5.0

    message = ask(chat_model(server.url, timeout_s=TINY_TIMEOUT_S))

    assert f"Ollama took longer than {TINY_TIMEOUT_S:g}s" in message


def test_answer_trickling_past_the_timeout_is_reported(server: ScriptedOllama) -> None:
    server.add(when(contains="long", reply="a b c " * 20))
    server.chunk_delay_s = 0.15  # each chunk is in time, the whole answer is not

    with pytest.raises(ModelUnavailable, match=re.escape(f"took longer than {TINY_TIMEOUT_S:g}s")):
        chat_model(server.url, timeout_s=TINY_TIMEOUT_S).complete([("user", "long one")])


def test_garbage_answer_is_reported_without_a_traceback(server: ScriptedOllama) -> None:
    server.garbage = True

    message = ask(chat_model(server.url))

    assert "could not be read" in message
    assert "JSONDecodeError" not in message


def test_server_error_is_reported_with_its_status(server: ScriptedOllama) -> None:
    server.fail_status = 500

    message = ask(chat_model(server.url))

    assert "HTTP 500" in message
    assert "see the Ollama log" in message


def test_client_error_is_reported_with_its_status(server: ScriptedOllama) -> None:
    server.fail_status = 400

    assert "refused the request for qwen2.5-coder:7b (HTTP 400" in ask(chat_model(server.url))


# -- embeddings ----------------------------------------------------------------------------


def test_embeddings_come_in_one_batch_and_are_deterministic(server: ScriptedOllama) -> None:
    texts = ["customers and their orders", "orders of customers", "warehouse stock levels"]
    model = embedder(server.url)

    first = model.embed(texts)
    second = model.embed(texts)

    assert server.embed_count == 2
    assert server.embed_requests[0]["input"] == texts
    assert server.embed_requests[0]["keep_alive"] == "30m"
    assert first == second
    assert len(first) == 3
    assert {len(vector) for vector in first} == {256}
    assert cosine(first[0], first[1]) > cosine(first[0], first[2])


def test_embedding_nothing_sends_nothing(server: ScriptedOllama) -> None:
    assert embedder(server.url).embed([]) == []
    assert server.embed_count == 0


@pytest.mark.parametrize(
    ("knob", "expected"),
    [
        ("stopped", "isn't reachable"),
        ("unknown_model", "`ollama pull no-such-embedder`"),
        ("fail_status", "HTTP 503"),
        ("garbage", "could not be read"),
        ("slow", "took longer than"),
    ],
)
def test_embedder_failures_raise_embeddings_unavailable(
    server: ScriptedOllama, knob: str, expected: str
) -> None:
    model_name = "no-such-embedder" if knob == "unknown_model" else "nomic-embed-text"
    if knob == "stopped":
        server.stop()
    server.fail_status = 503 if knob == "fail_status" else None
    server.garbage = knob == "garbage"
    server.delay_s = 5.0 if knob == "slow" else 0.0

    with pytest.raises(EmbeddingsUnavailable) as caught:
        embedder(server.url, model=model_name, timeout_s=TINY_TIMEOUT_S).embed(["a question"])

    assert expected in str(caught.value)
    assert "Traceback" not in str(caught.value)


# -- health --------------------------------------------------------------------------------


def test_check_ollama_reports_version_models_and_digests(server: ScriptedOllama) -> None:
    health = check_ollama(
        base_url=server.url, models=["qwen2.5-coder:7b", "nomic-embed-text", "llama9:70b"]
    )

    assert health.reachable
    assert health.version == "0.0.0-scripted"
    assert health.models == {
        "qwen2.5-coder:7b": True,
        "nomic-embed-text": True,  # served as nomic-embed-text:latest
        "llama9:70b": False,
    }
    assert health.digests["qwen2.5-coder:7b"]
    assert health.digests["nomic-embed-text"]
    assert health.digests["llama9:70b"] is None
    assert not health.ok
    assert str(health.message) == (
        f"Not pulled on {server.url}: llama9:70b — run `ollama pull llama9:70b`"
    )


def test_check_ollama_is_ok_when_every_model_is_pulled(server: ScriptedOllama) -> None:
    health = check_ollama(
        base_url=server.url, models=["qwen2.5-coder:7b", "nomic-embed-text:latest"]
    )

    assert health.ok
    assert health.message is None


def test_check_ollama_handles_a_down_server() -> None:
    url = free_port_url()

    health = check_ollama(base_url=url, models=["qwen2.5-coder:7b"], timeout_s=TINY_TIMEOUT_S)

    assert not health.reachable
    assert health.version is None
    assert health.models == {"qwen2.5-coder:7b": False}
    assert health.digests == {"qwen2.5-coder:7b": None}
    assert str(health.message) == f"Ollama isn't reachable at {url} — start it (`ollama serve`)"
    assert health.message is not None
    assert health.message.render("es") == (
        f"No se puede conectar con Ollama en {url}: arráncalo (`ollama serve`)"
    )


@pytest.mark.parametrize(
    ("knob", "expected"),
    [("garbage", "not like Ollama"), ("fail_status", "HTTP 500"), ("slow", "didn't answer")],
)
def test_check_ollama_reports_a_broken_server(
    server: ScriptedOllama, knob: str, expected: str
) -> None:
    server.garbage = knob == "garbage"
    server.fail_status = 500 if knob == "fail_status" else None
    server.delay_s = 5.0 if knob == "slow" else 0.0

    health = check_ollama(base_url=server.url, models=["x"], timeout_s=TINY_TIMEOUT_S)

    assert not health.reachable
    assert health.message is not None
    assert expected in str(health.message)


# -- a real model --------------------------------------------------------------------------


@pytest.mark.live_llm
def test_real_model_completes_and_embeds(live_ollama: LiveOllama) -> None:
    model = OllamaChatModel(
        base_url=live_ollama.url,
        model=live_ollama.chat_model,
        num_ctx=2048,
        timeout_s=120.0,
        keep_alive="5m",
        num_predict=24,
    )
    completion = model.complete(
        [
            ("system", "Answer with one SQL statement only."),
            ("user", "Write the SQL that counts the rows of the table customers."),
        ]
    )
    vectors = OllamaEmbedder(
        base_url=live_ollama.url, model=live_ollama.embed_model, timeout_s=60.0, keep_alive="5m"
    ).embed(["How many customers are there?", "Count the customers"])

    assert "count" in completion.text.lower()
    assert completion.prompt_tokens > 0
    assert completion.completion_tokens > 0
    assert len(vectors) == 2
    assert len(vectors[0]) == len(vectors[1]) > 0
    assert cosine(vectors[0], vectors[1]) > 0.5
