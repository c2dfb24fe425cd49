"""An invented schema where the user's word names the wrong table, and the services that
answer questions over it in retrieve mode.

"Which clients live in Spain?": the user's "clients" is a word of the TLS-certificate
table, while the table the user means is called `customers`. Retrieval tests use it to
show that a signal (the question names, the approved examples, the core) leads the
search to the right table, and that without it the look-alike wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from backend.domain import Example
from testkit.scripted_ollama import Rule, ScriptedOllama, when
from tests.support.services import scripted_services
from wiring.services import Services

SCHEMA = [
    "CREATE TABLE customers (id INT PRIMARY KEY, full_name VARCHAR(40), country VARCHAR(20))",
    "CREATE TABLE client_certificates (id INT PRIMARY KEY, client_cn VARCHAR(60), "
    "issued_to_clients VARCHAR(60), expires DATE)",
    "CREATE TABLE vessels (id INT PRIMARY KEY, vessel_name VARCHAR(40), tonnage INT)",
    "CREATE TABLE berths (id INT PRIMARY KEY, vessel_id INT, quay VARCHAR(10), "
    "FOREIGN KEY (vessel_id) REFERENCES vessels (id))",
    "CREATE TABLE staff_rota (id INT PRIMARY KEY, shift_day DATE, crew INT)",
    "INSERT INTO customers VALUES (1, 'Ada', 'Spain'), (2, 'Bo', 'Peru'), (3, 'Cy', 'Spain')",
]
QUESTION = "Which clients live in Spain?"
SQL = "SELECT full_name FROM customers WHERE country = 'Spain' ORDER BY full_name"


@contextmanager
def harbour_services(
    ollama: ScriptedOllama,
    url: str,
    *,
    examples: Sequence[Example] = (),
    replies: Sequence[Rule] = (),
    **overrides: object,
) -> Iterator[Services]:
    """Services over the harbour database at `url` in retrieve mode — one table a prompt,
    no question names, no core, no extra candidates, unless `overrides` say otherwise —
    with `examples` approved, and `ollama` answering by `replies`, then QUESTION's SQL."""
    settings = {
        "schema_mode": "retrieve",
        "question_names": False,
        "retrieval_k": 1,
        "answer_candidates": 0,
        "core_schema_max_tokens": 0,
        **overrides,
    }
    with scripted_services(ollama, url, **settings) as built:
        if examples:
            built.store.index_examples(built.database, list(examples))
        ollama.add(*replies, when(QUESTION, reply=f"```sql\n{SQL}\n```"))
        ollama.clear_requests()
        yield built
