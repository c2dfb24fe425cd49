"""The scripted Ollama test double: its script rules, protocol shapes and embeddings.

Driven through the real `ollama` client, so the double stays faithful to the protocol the
product's code expects.
"""

from __future__ import annotations

import math

import ollama
import pytest

from testkit.scripted_ollama import (
    ScriptedOllama,
    estimate_tokens,
    scripted_embedding,
    when,
)


def chat(server: ScriptedOllama, *messages: tuple[str, str], stream: bool = False) -> str:
    client = ollama.Client(host=server.url, timeout=5)
    payload = [{"role": role, "content": content} for role, content in messages]
    if stream:
        parts = client.chat(model=server.chat_model, messages=payload, stream=True)
        return "".join(part.message.content or "" for part in parts)
    return client.chat(model=server.chat_model, messages=payload).message.content or ""


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # both are unit vectors


def test_rules_match_the_last_user_message_only(scripted_ollama: ScriptedOllama) -> None:
    scripted_ollama.add(when(contains="ORDERS", reply="orders"), when(contains="sql", reply="sql"))

    answer = chat(scripted_ollama, ("system", "You write SQL."), ("user", "How many orders?"))

    assert answer == "orders"
    assert chat(scripted_ollama, ("user", "orders?"), ("user", "hello")) != "orders"


def test_anywhere_rules_also_match_system_and_earlier_messages(
    scripted_ollama: ScriptedOllama,
) -> None:
    scripted_ollama.add(when(contains="the query failed", anywhere=True, reply="fixed"))

    assert chat(scripted_ollama, ("system", "The query failed: x"), ("user", "again")) == "fixed"


def test_regex_rules_and_the_default_reply(scripted_ollama: ScriptedOllama) -> None:
    scripted_ollama.add(when(regex=r"revenue (by|per) month", reply="monthly"))
    scripted_ollama.default_reply = "no idea"

    assert chat(scripted_ollama, ("user", "Revenue per month in 2024")) == "monthly"
    assert chat(scripted_ollama, ("user", "something else")) == "no idea"


def test_replies_are_used_in_order_and_the_last_repeats(
    scripted_ollama: ScriptedOllama,
) -> None:
    scripted_ollama.add(when(contains="q", replies=["first", "second"]))

    answers = [chat(scripted_ollama, ("user", "q")) for _ in range(3)]

    assert answers == ["first", "second", "second"]
    assert scripted_ollama.chat_count == 3


def test_respond_callables_see_the_request_messages(
    scripted_ollama: ScriptedOllama,
) -> None:
    scripted_ollama.add(when(respond=lambda messages: f"{len(messages)} messages"))

    assert chat(scripted_ollama, ("system", "s"), ("user", "u")) == "2 messages"


def test_streamed_answer_joins_back_to_the_reply_with_counts(
    scripted_ollama: ScriptedOllama,
) -> None:
    reply = "SELECT name,\n  COUNT(*) AS n\nFROM customers  GROUP BY name"
    scripted_ollama.add(when(reply=reply))
    client = ollama.Client(host=scripted_ollama.url, timeout=5)

    parts = list(
        client.chat(
            model=scripted_ollama.chat_model,
            messages=[{"role": "user", "content": "list names"}],
            stream=True,
        )
    )

    assert "".join(p.message.content or "" for p in parts) == reply
    assert len(parts) > 2
    assert [p.done for p in parts].count(True) == 1
    final = parts[-1]
    assert final.done_reason == "stop"
    assert final.prompt_eval_count == estimate_tokens("list names")
    assert final.eval_count == estimate_tokens(reply)


def test_num_predict_cuts_the_answer(scripted_ollama: ScriptedOllama) -> None:
    scripted_ollama.add(when(reply="one two three four five six"))
    client = ollama.Client(host=scripted_ollama.url, timeout=5)

    answer = client.chat(
        model=scripted_ollama.chat_model,
        messages=[{"role": "user", "content": "x"}],
        options={"num_predict": 3},
    )

    assert answer.message.content == "one two"
    assert answer.done_reason == "length"


def test_unknown_models_get_ollamas_404(scripted_ollama: ScriptedOllama) -> None:
    client = ollama.Client(host=scripted_ollama.url, timeout=5)

    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="nope:1b", messages=[{"role": "user", "content": "x"}])

    assert caught.value.status_code == 404
    assert caught.value.error == "model 'nope:1b' not found"


def test_tags_and_show_describe_the_served_models(scripted_ollama: ScriptedOllama) -> None:
    client = ollama.Client(host=scripted_ollama.url, timeout=5)

    names = [m.model for m in client.list().models]
    shown = client.show("nomic-embed-text")

    assert names == ["qwen2.5-coder:7b", "nomic-embed-text:latest"]
    assert all(m.digest for m in client.list().models)
    assert shown.details is not None


def test_embed_and_legacy_embeddings_agree(scripted_ollama: ScriptedOllama) -> None:
    client = ollama.Client(host=scripted_ollama.url, timeout=5)

    batch = client.embed(model=scripted_ollama.embed_model, input=["a cat", "a dog"])
    single = client.embeddings(model=scripted_ollama.embed_model, prompt="a cat")

    assert [list(v) for v in batch.embeddings] == [
        scripted_embedding("a cat"),
        scripted_embedding("a dog"),
    ]
    assert list(single.embedding) == scripted_embedding("a cat")
    assert scripted_ollama.embed_count == 2


def test_scripted_embeddings_are_unit_vectors_close_for_shared_words() -> None:
    question = scripted_embedding("How many customers placed orders?")
    related = scripted_embedding("orders placed by each customer")
    unrelated = scripted_embedding("warehouse stock levels")

    assert math.isclose(sum(x * x for x in question), 1.0)
    assert scripted_embedding("") != [0.0] * 256
    assert scripted_embedding("same text") == scripted_embedding("same text")
    assert cosine(question, related) > 0.4 > cosine(question, unrelated)


def test_set_embedding_makes_a_paraphrase_close(scripted_ollama: ScriptedOllama) -> None:
    scripted_ollama.set_embedding("number of clients", like="how many customers")
    client = ollama.Client(host=scripted_ollama.url, timeout=5)

    vectors = client.embed(model=scripted_ollama.embed_model, input=["number of clients"])

    assert list(vectors.embeddings[0]) == scripted_embedding("how many customers")


def test_requests_are_recorded_with_their_bodies(scripted_ollama: ScriptedOllama) -> None:
    client = ollama.Client(host=scripted_ollama.url, timeout=5)
    client.chat(
        model=scripted_ollama.chat_model,
        messages=[{"role": "user", "content": "hi"}],
        options={"num_ctx": 1234},
        keep_alive="1m",
    )

    assert [(r.method, r.path) for r in scripted_ollama.requests] == [("POST", "/api/chat")]
    assert scripted_ollama.last_chat["options"] == {"num_ctx": 1234}
    assert scripted_ollama.last_chat["keep_alive"] == "1m"
    scripted_ollama.clear_requests()
    assert scripted_ollama.chat_count == 0


def test_stop_and_start_again_on_the_same_port(scripted_ollama: ScriptedOllama) -> None:
    url = scripted_ollama.url
    scripted_ollama.stop()

    with pytest.raises(ConnectionError):
        ollama.Client(host=url, timeout=2).list()

    scripted_ollama.start()
    assert scripted_ollama.url == url
    assert ollama.Client(host=url, timeout=2).list().models


def test_when_needs_exactly_one_way_to_reply() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        when(contains="x")
    with pytest.raises(ValueError, match="exactly one"):
        when(contains="x", reply="a", replies=["b"])
