"""The scale question set is valid and in business words; the distractors never clash by name.

The point of `bench/golden/scale.jsonl` is that no question spells out a demo table or
column name (issue 15: retrieval must read meaning, not names), so that check gets its
own tests of the matcher: what it must catch and what it must let through.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.demo import load_examples
from backend.demo.schema import DEMO_TABLE_NAMES, DEMO_TABLES
from backend.dialects import POSTGRESQL
from backend.i18n.detect import detect_language
from bench.language import gold_tables
from bench.scale import MIN_TABLES, distractor_entries, distractor_tables
from bench.schema_words import name_phrases, same_table_name, schema_words_in
from bench.spider import data_dir, load_catalog
from evaluation.sets import DIFFICULTIES, GoldSet, load_set

GOLDEN = Path(__file__).resolve().parents[2] / "bench" / "golden"
SCALE, SCALE_ES = GOLDEN / "scale.jsonl", GOLDEN / "scale_es.jsonl"
DEMO_NAMES = name_phrases(
    [t.name for t in DEMO_TABLES] + [c.name for t in DEMO_TABLES for c in t.columns]
)


@pytest.fixture(scope="module")
def english() -> GoldSet:
    return load_set(SCALE)


@pytest.fixture(scope="module")
def spanish() -> GoldSet:
    return load_set(SCALE_ES)


def _raw_records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# -- the matcher -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("How many customers are there?", ["customers"]),
        ("Which CUSTOMER bought most?", ["customers"]),
        ("List the order items of March", ["order_items", "orders"]),
        ("Sum Order_Items by unit prices", ["order_items", "orders", "unit_price"]),
        ("Which product categories sell?", ["product_categories", "products"]),
        ("Show the cities and countries", ["city", "country"]),
        ("Who has the highest salaries?", ["salary"]),
        ("Which statuses exist?", ["status"]),
        ("How much did we take in per sales region?", ["regions"]),
    ],
)
def test_matcher_finds_schema_names_as_whole_words_in_any_form(text: str, names: list[str]) -> None:
    assert schema_words_in(text, DEMO_NAMES) == names


@pytest.mark.parametrize(
    "text",
    [
        "Which regional directors ordered furniture?",  # stems shared, words not
        "How many clients paid by card?",
        "What did we take in from buyers in Italy?",
        "Which unit sold the most, at what price?",  # parts of unit_price, not the phrase
        "¿Cuántos pedidos de clientes en España?",
    ],
)
def test_matcher_lets_business_words_through(text: str) -> None:
    assert schema_words_in(text, DEMO_NAMES) == []


# -- the set -------------------------------------------------------------------------


def test_scale_set_has_60_tagged_questions_of_every_difficulty(english: GoldSet) -> None:
    questions = english.questions
    assert len(questions) >= 60
    assert len({q.id for q in questions}) == len(questions)
    assert all(sum(t in DIFFICULTIES for t in q.tags) == 1 and q.skills for q in questions)
    assert {q.difficulty for q in questions} == set(DIFFICULTIES)
    assert all(q.previous_id is None for q in questions)  # retrieval reads one text


@pytest.mark.parametrize("path", [SCALE, SCALE_ES], ids=["en", "es"])
def test_every_record_lists_the_tables_its_gold_sql_reads(path: Path) -> None:
    records = _raw_records(path)
    ids = [str(r["id"]) for r in records]
    assert len(set(ids)) == len(ids)
    for record in records:
        listed = record.get("gold_tables")
        assert isinstance(listed, list) and listed, record["id"]
        assert set(listed) <= set(DEMO_TABLE_NAMES), record["id"]
        assert set(listed) == set(gold_tables(str(record["gold_sql"]))), record["id"]


def test_the_gold_tables_cover_every_demo_table_and_many_joins(english: GoldSet) -> None:
    read = [gold_tables(q.gold_sql) for q in english.questions]
    assert set().union(*read) == set(DEMO_TABLE_NAMES)
    assert sum(len(tables) >= 3 for tables in read) >= 15


@pytest.mark.parametrize("path", [SCALE, SCALE_ES], ids=["en", "es"])
def test_no_question_spells_out_a_demo_table_or_column_name(path: Path) -> None:
    spelled = {
        q.id: found
        for q in load_set(path).questions
        if (found := schema_words_in(q.question, DEMO_NAMES))
    }
    assert spelled == {}


def test_the_demo_set_would_fail_the_name_check() -> None:
    # The check has teeth: the older demo set names its tables freely.
    demo = load_set(GOLDEN / "demo.jsonl").questions
    assert sum(bool(schema_words_in(q.question, DEMO_NAMES)) for q in demo) > len(demo) / 2


def test_spanish_scale_set_is_the_same_set_in_spanish(english: GoldSet, spanish: GoldSet) -> None:
    assert [q.id for q in spanish.questions] == [q.id for q in english.questions]
    for en, es in zip(english.questions, spanish.questions, strict=True):
        assert (es.gold_sql, es.tags) == (en.gold_sql, en.tags)
        assert es.question != en.question
    on_postgres = [load_set(path, dialect=POSTGRESQL).questions for path in (SCALE, SCALE_ES)]
    assert [q.gold_sql for q in on_postgres[1]] == [q.gold_sql for q in on_postgres[0]]
    assert [q.id for q in spanish.questions if detect_language(q.question) != "es"] == []
    assert [q.id for q in english.questions if detect_language(q.question) != "en"] == []


def test_scale_set_copies_neither_the_demo_set_nor_the_examples(english: GoldSet) -> None:
    def squash(text: str) -> str:
        return " ".join(text.lower().split())

    demo = load_set(GOLDEN / "demo.jsonl").questions
    taken = {squash(q.question) for q in demo} | {squash(e.question) for e in load_examples()}
    sql = {squash(q.gold_sql) for q in demo} | {squash(e.sql) for e in load_examples()}
    assert [q.id for q in english.questions if squash(q.question) in taken] == []
    assert [q.id for q in english.questions if squash(q.gold_sql) in sql] == []


# -- the distractors -----------------------------------------------------------------


def _entry(table: str, split: str = "train", db: str = "shop") -> dict[str, object]:
    column = {"name": "id", "type": "numeric", "pk": True}
    return {
        "table_id": f"{db}__{table}",
        "db_id": db,
        "table": table,
        "split": split,
        "columns": [column],
        "foreign_keys": [],
    }


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Customer", "customers", True),
        ("ORDERS", "orders", True),
        ("order_item", "order_items", True),
        ("Product_Category", "product_categories", True),
        ("region", "regions", True),
        ("customer_orders", "orders", False),
        ("customer", "customer_orders", False),
        ("regional_office", "offices", False),
        ("returns_log", "returns", False),
        ("Statuses", "status", True),  # a plural the stemmer alone misses
    ],
)
def test_same_table_name_is_singular_or_plural_in_any_case(a: str, b: str, same: bool) -> None:
    assert same_table_name(a, b) is same
    assert same_table_name(b, a) is same


def test_distractors_leave_out_dev_tables_and_demo_names_singular_or_plural() -> None:
    catalog = [
        _entry("Customer"),
        _entry("ORDERS"),
        _entry("Order_Item"),
        _entry("product_category"),
        _entry("Shipments", db="post"),
        _entry("customer_orders"),
        _entry("invoices"),
        _entry("singer", split="dev"),
    ]
    kept = [e["table"] for e in distractor_entries(catalog, DEMO_TABLE_NAMES)]
    assert kept == ["customer_orders", "invoices"]
    names = [t.name for t in distractor_tables(catalog, DEMO_TABLE_NAMES)]
    assert names == ["shop__customer_orders", "shop__invoices"]


@pytest.mark.skipif(
    not (data_dir() / "schema_catalog_all.jsonl").exists(), reason="Spider catalog not here"
)
def test_the_real_catalog_gives_300_tables_without_a_name_clash() -> None:
    tables = distractor_tables(load_catalog(), DEMO_TABLE_NAMES)
    assert len(tables) + len(DEMO_TABLE_NAMES) >= MIN_TABLES
    bare = [t.name.split("__", 1)[1] for t in tables]
    assert not [n for n in bare if any(same_table_name(n, d) for d in DEMO_TABLE_NAMES)]
    sample = distractor_tables(load_catalog(), DEMO_TABLE_NAMES, limit=300)
    assert len(sample) == 300
    assert sample == distractor_tables(load_catalog(), DEMO_TABLE_NAMES, limit=300)
