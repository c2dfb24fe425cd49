"""Smoke tests of the benchmark helpers (bench/): synthetic schemas, questions, retrieval."""

from __future__ import annotations

import sqlite3
from argparse import Namespace
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.demo.content import load_examples
from backend.domain import ColumnDoc, Example, ForeignKey, TableDoc
from backend.join_paths import promote_fk_neighbours
from backend.schema import introspect
from bench.common import percentile
from bench.language import DATABASE as LANGUAGE_DATABASE
from bench.language import gold_tables, score_questions
from bench.retrieval import ACTOR, DEEP, RetrievalKnobs, production_engine
from bench.scale import _core_route, examples
from bench.scale_accuracy import _by_route
from bench.synthetic import build_schema, design_schema, questions_for
from evaluation.sets import GoldQuestion
from vectorstore.store import QdrantSchemaStore


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([5.0], 0.95) == 5.0


def test_synthetic_schema_is_deterministic_and_references_earlier_tables() -> None:
    design = design_schema(120, seed=3)
    assert design == design_schema(120, seed=3)
    names = [t.name for t in design]
    assert len(set(names)) == 120
    for position, table in enumerate(design):
        for column in table.columns:
            if column.references:
                assert column.references in names[:position]


def test_fixed_width_gives_every_table_that_many_columns() -> None:
    assert {len(t.columns) for t in design_schema(40, columns=15)} == {15}


def test_scripted_questions_are_distinct_and_their_sql_runs(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.sqlite"
    build_schema(path, 30, rows=5)
    tables = introspect(sa.create_engine(f"sqlite:///{path}"))
    questions = questions_for(tables, 60)
    assert len({q.text for q in questions}) == len(questions) == 60
    with sqlite3.connect(path) as conn:
        for question in questions:
            conn.execute(question.sql).fetchall()


def _table(name: str, *refs: str) -> TableDoc:
    fks = tuple(ForeignKey((f"{ref}_id",), ref, ("id",)) for ref in refs)
    return TableDoc(name, (ColumnDoc("id", "INTEGER", primary_key=True),), foreign_keys=fks)


def test_production_ranking_is_the_engines_deep_search_plus_fk_promotion() -> None:
    tables = [
        _table("orders", "customers"),
        _table("customers"),
        _table("order_notes"),
        _table("order_archive"),
        _table("order_history"),
        _table("order_totals"),
        _table("order_flags"),
    ]
    store = QdrantSchemaStore(QdrantClient(location=":memory:"), None)  # sparse only
    store.index_tables("shop", tables)
    engine = production_engine(store, "shop")
    question = "orders by id"  # every table has an id; customers ranks last on words
    ranked = [t.name for t in engine.rank_tables(question, ACTOR, k=5).tables]
    deep = [t.name for t in store.search_tables("shop", question, k=DEEP).tables]
    assert ranked == promote_fk_neighbours(deep, engine.tables(), k=5)
    assert "orders" in deep[:3] and "customers" not in deep[:5]
    assert "customers" in ranked  # promoted: joined to an anchor by a foreign key


def _spider_like_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for db, count in (("alpha", 60), ("beta", 30), ("gamma", 6)):
        for n in range(count):
            tables = ["t1", "t2", "t3"][: 1 + n % 3]
            # Every question has a paraphrase twin with the same gold query, as in Spider.
            for _twin in range(2):
                rows.append(
                    {
                        "idx": len(rows),
                        "db_id": db,
                        "gold_tables": tables,
                        "gold_sql_mysql": f"SELECT {n} FROM {db}",
                    }
                )
    return rows


def test_spider_sample_is_reproducible_stratified_and_one_per_gold_query() -> None:
    from bench.spider_sample import choose

    rows = _spider_like_rows()
    ids = choose(rows, {"alpha", "beta", "gamma"}, size=40)
    assert ids == choose(rows, {"alpha", "beta", "gamma"}, size=40)
    assert len(ids) == len(set(ids)) == 40
    chosen = [rows[i] for i in ids]
    assert len({(r["db_id"], r["gold_sql_mysql"]) for r in chosen}) == 40
    per_db = {db: sum(r["db_id"] == db for r in chosen) for db in ("alpha", "beta", "gamma")}
    assert per_db["alpha"] > per_db["beta"] >= per_db["gamma"] >= 4
    widths = {len(r["gold_tables"]) for r in chosen if r["db_id"] == "alpha"}
    assert widths == {1, 2, 3}
    assert choose(rows, {"beta"}, size=10) == sorted(choose(rows, {"beta"}, size=10))
    assert all(rows[i]["db_id"] == "beta" for i in choose(rows, {"beta"}, size=10))


def test_bench_results_record_the_settings_in_the_environment_but_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench.scale_accuracy import _settings_in_environment

    shown = {"FULL_SCHEMA_MAX_TOKENS": "6000", "QUESTION_NAMES": "true", "RETRIEVAL_K": "8"}
    hidden = {
        "AUTH_COOKIE_KEY": "k" * 32,
        "ADMIN_PASSWORD": "hunter2",
        "OLLAMA_BASE_URL": "http://user:pw@host:11434",
        "DATABASE_URL": "mysql+pymysql://u:pw@db/shop",
        "SOURCES_KEY": "s" * 32,
    }
    for name, value in {**shown, **hidden}.items():
        monkeypatch.setenv(name, value)
    recorded = _settings_in_environment()
    assert shown.items() <= recorded.items()
    assert not set(hidden) & set(recorded)


def test_the_scale_bench_indexes_the_examples_asked_for() -> None:
    demo, other = _table("customers"), _table("shop__client_accounts")
    own = list(load_examples(dialect="sqlite"))
    assert examples([demo, other], Namespace(examples="none")) == []
    assert examples([demo, other], Namespace(examples="demo")) == own
    everywhere = examples([demo, other], Namespace(examples="everywhere"))
    added = everywhere[len(own) :]
    assert everywhere[: len(own)] == own and len(added) == 2
    assert all(gold_tables(e.sql) == {"shop__client_accounts"} for e in added)
    assert all("client accounts" in e.question for e in added)


def test_the_scale_accuracy_report_splits_the_questions_by_route() -> None:
    def question(mode: str, correct: bool, seconds: float) -> dict[str, object]:
        return {"retrieval_mode": mode, "correct": correct, "latency_s": seconds}

    counted = [
        question("core", True, 8.0),
        question("core", False, 10.0),
        question("core", True, 30.0),
        question("hybrid", True, 25.0),
    ]
    split = _by_route(counted)
    assert split == {
        "core": 3,
        "right_with_core": 2,
        "median_s_core": 10.0,
        "median_s_retrieved": 25.0,
    }
    assert _core_route(split) == "3 (2 right; 10.0 / 25.0 s)"
    assert _core_route(_by_route([question("hybrid", True, 5.0)])) == "-"


def test_the_scale_bench_scores_the_route_to_the_core_beside_the_ranking() -> None:
    tables = [_table("orders", "customers"), _table("customers"), _table("vessels")]
    tables += [_table("crew", "vessels"), _table("order_notes")]
    store = QdrantSchemaStore(QdrantClient(location=":memory:"), None)  # sparse only
    store.index_tables(LANGUAGE_DATABASE, tables)
    store.index_examples(
        LANGUAGE_DATABASE,
        [Example("Orders per customer?", "SELECT COUNT(*) FROM orders JOIN customers")],
    )
    engine = production_engine(store, LANGUAGE_DATABASE)
    with_core = production_engine(
        store, LANGUAGE_DATABASE, knobs=RetrievalKnobs(core_schema_max_tokens=4000)
    )
    questions = [
        GoldQuestion("q1", "orders of customers", "SELECT * FROM orders JOIN customers"),
        GoldQuestion("q2", "vessels and their crew", "SELECT * FROM crew JOIN vessels"),
    ]
    plain = score_questions(store, engine, questions)
    scored = score_questions(store, engine, questions, with_core)
    assert "core_questions" not in plain
    assert scored["recall_at_5"] == plain["recall_at_5"]  # the ranking's, without a core
    assert scored["core_questions"] == 1
    assert scored["in_prompt_with_core"] == 1.0
