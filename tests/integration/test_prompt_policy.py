"""What a restricted role's prompt may hold: no note, example or sample value past its rules.

Demo database, embedded Qdrant, the scripted Ollama server recording every prompt. Notes
and examples that name a hidden table or a denied column (in many spellings) each carry a
marker; no marker may reach a restricted role's prompt, whether the notes and examples go
after the whole schema, are retrieved because they no longer fit, or are retrieved with a
retrieved schema. The same items do reach an unrestricted role's prompt (the control), and
near misses that hide nothing reach the restricted one. A table the role reads through a
row filter shows no sample values (they come from every row).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from backend import demo
from backend.domain import AccessPolicy, Actor, Example, Note, RowFilter
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.services import scripted_services
from vectorstore.cache import forget_database
from wiring.services import Services

COUNT_SQL = "SELECT COUNT(*) AS n FROM customers"
POLICY = AccessPolicy(
    allowed_tables=frozenset(set(demo.DEMO_TABLE_NAMES) - {"suppliers"}),
    denied_columns=frozenset(
        {("employees", "salary"), ("employees", "commission_rate"), ("customers", "email")}
    ),
    row_filters=(RowFilter("orders", "channel = :user.channel"),),
)
RESTRICTED = Actor("rita", "sales", policy=POLICY, attributes=(("channel", "online"),))
ADMIN = Actor("root", "admin")

# (marker, text): each names something POLICY hides.
HIDDEN_NOTES = [
    ("HN01", "Salary is paid on the last working day of the month"),
    ("HN02", "SALARY bands are reviewed every spring by finance"),
    ("HN03", "Salaries rise in March after the yearly review"),
    ("HN04", "employees.salary excludes the yearly bonus payment"),
    ("HN05", "the `salary` column is gross, before taxes"),
    ("HN06", "Commission rate is a fraction of the net line amount"),
    ("HN07", "commission_rate applies to sales reps only"),
    ("HN08", "CommissionRate is stored with three decimals"),
    ("HN09", "commission-rates change every quarter"),
    ("HN10", "Suppliers are paid within thirty days of delivery"),
    ("HN11", "a supplier with a long lead time delays restocking"),
    ("HN12", "Contact email addresses may be outdated for old accounts"),
    ("HN13", "Emails bounce for about two percent of customers"),
]
# (marker, question, sql): each reads something POLICY hides.
HIDDEN_EXAMPLES = [
    (
        "HE01",
        "Who are the top earners",
        "SELECT e.first_name FROM employees e ORDER BY e.salary DESC",
    ),
    ("HE02", "List every vendor name", "SELECT s.name FROM suppliers AS s"),
    ("HE03", "How many vendors do we buy from", "SELECT COUNT(*) FROM `suppliers`"),
    ("HE04", "Show the whole staff table", "SELECT * FROM employees"),
    ("HE05", "How do we contact our clients", "SELECT c.EMAIL FROM customers c"),
    (
        "HE06",
        "Average vendor lead time",
        "SELECT AVG(x.lead_time_days) FROM (SELECT * FROM Suppliers) x",
    ),
    ("HE07", "What rates do reps earn", "SELECT COMMISSION_RATE FROM employees"),
    (
        "HE08",
        "Count the vendors again",
        "WITH v AS (SELECT * FROM suppliers) SELECT COUNT(*) FROM v",
    ),
    (
        "HE09",
        "Which staff joined first",
        "SELECT first_name FROM employees ORDER BY hireDate, salary",
    ),
]
NEAR_NOTES = [
    ("NN01", "Revenue means the amount of paid orders, net of discounts"),
    ("NN02", "Employees are counted by department, leavers excluded"),
    ("NN03", "Commissions are settled at the end of each quarter"),
    ("NN04", "A customer segment is Retail, Wholesale or Online"),
]
NEAR_EXAMPLES = [
    ("NE01", "Customers per segment", "SELECT segment, COUNT(*) FROM customers GROUP BY segment"),
    (
        "NE02",
        "Staff per department",
        "SELECT department, COUNT(*) FROM employees GROUP BY department",
    ),
]
HIDDEN_MARKERS = [m for m, *_ in HIDDEN_NOTES + HIDDEN_EXAMPLES]
NEAR_MARKERS = [m for m, *_ in NEAR_NOTES + NEAR_EXAMPLES]
MODES = {
    "full": {"schema_mode": "full", "stable_context_max_tokens": 20_000, "ollama_num_ctx": 32_768},
    "full_over_budget": {"schema_mode": "full", "stable_context_max_tokens": 100},
    "retrieve": {"schema_mode": "retrieve"},
}


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('policy') / 'demo.sqlite'}"
    build_demo_database(url, orders=200)
    return url


def _notes(items: list[tuple[str, str]]) -> list[Note]:
    return [Note(text=f"{text} ({marker}).") for marker, text in items]


def _examples(items: list[tuple[str, str, str]]) -> list[Example]:
    return [Example(f"{question} ({marker})?", sql) for marker, question, sql in items]


@pytest.fixture(scope="module")
def scripted_ollama() -> Iterator[ScriptedOllama]:
    """One scripted Ollama for the module: every question gets the same SQL."""
    with ScriptedOllama() as server:
        server.add(when("", reply=f"```sql\n{COUNT_SQL}\n```"))
        yield server


@pytest.fixture(scope="module", params=list(MODES))
def indexed(
    request: pytest.FixtureRequest,
    demo_sqlite: str,
    scripted_ollama: ScriptedOllama,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    """The services of one mode, indexed with the notes and examples: built once per mode
    (about 0.4 s each time, 96 times before), as the tests only ask questions."""
    data = tmp_path_factory.mktemp("policy-data")  # never the working folder
    settings = {**MODES[request.param], "data_dir": data}
    with scripted_services(scripted_ollama, demo_sqlite, **settings) as built:
        built.store.index_notes(built.database, _notes(HIDDEN_NOTES + NEAR_NOTES))
        built.store.index_examples(built.database, _examples(HIDDEN_EXAMPLES + NEAR_EXAMPLES))
        yield built


@pytest.fixture
def services(indexed: Services, scripted_ollama: ScriptedOllama) -> Services:
    """The mode's services as if new: the answer cache emptied (an answer cached by an
    earlier test would skip the model, and the prompt under test), no request recorded."""
    forget_database(indexed.qdrant, indexed.database)
    scripted_ollama.clear_requests()
    return indexed


def prompt_of(services: Services, ollama: ScriptedOllama, question: str, actor: Actor) -> str:
    ollama.clear_requests()
    services.engine.ask(question, actor)
    return "\n".join(m["content"] for m in ollama.last_chat["messages"])


ASKED = [text for _m, text in HIDDEN_NOTES] + [q for _m, q, _s in HIDDEN_EXAMPLES]


@pytest.mark.parametrize("question", ASKED)
def test_restricted_prompt_holds_no_hidden_note_or_example(
    services: Services, scripted_ollama: ScriptedOllama, question: str
) -> None:
    prompt = prompt_of(services, scripted_ollama, question, RESTRICTED)
    leaked = [marker for marker in HIDDEN_MARKERS if marker in prompt]
    assert not leaked


@pytest.mark.parametrize("question", ASKED[::3])
def test_control_the_same_question_brings_them_to_an_unrestricted_prompt(
    services: Services, scripted_ollama: ScriptedOllama, question: str
) -> None:
    prompt = prompt_of(services, scripted_ollama, question, ADMIN)
    assert any(marker in prompt for marker in HIDDEN_MARKERS)


def test_near_misses_reach_the_restricted_prompt(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    for marker, text in NEAR_NOTES:
        assert marker in prompt_of(services, scripted_ollama, text, RESTRICTED), marker
    for marker, question, _sql in NEAR_EXAMPLES:
        assert marker in prompt_of(services, scripted_ollama, question, RESTRICTED), marker


def _block(prompt: str, table: str) -> str:
    found = re.search(rf"CREATE TABLE {table} \(.*?\n\);", prompt, re.DOTALL)
    assert found, f"no {table} in the prompt"
    return found.group(0)


def _sample_literals(services: Services, table: str) -> list[str]:
    """The table's sample values as the prompt quotes them, but none its comments quote."""
    doc = services.engine.tables()[table]
    comments = " ".join([doc.comment or "", *(c.comment or "" for c in doc.columns)])
    values = [v for c in doc.columns for v in c.sample_values]
    return [f"'{v}'" for v in values if f"'{v}'" not in comments]


def test_a_row_filtered_table_shows_no_sample_values(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    samples = _sample_literals(services, "orders")
    assert samples, "the demo's orders table has sample values"
    question = "How many orders per status and shipment carrier?"
    restricted = prompt_of(services, scripted_ollama, question, RESTRICTED)
    admin = prompt_of(services, scripted_ollama, question, ADMIN)
    assert [v for v in samples if v in _block(admin, "orders")]
    assert not [v for v in samples if v in _block(restricted, "orders")]
    # A table the role reads unfiltered keeps its samples.
    carriers = _sample_literals(services, "shipments")
    assert [v for v in carriers if v in _block(restricted, "shipments")]
