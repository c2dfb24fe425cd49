"""Smoke tests of the benchmark helpers (bench/): synthetic schemas, questions, re-ranking."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.schema import introspect
from bench.common import percentile
from bench.rerank import fk_rerank
from bench.synthetic import build_schema, design_schema, questions_for


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


def test_fk_rerank_promotes_neighbours_of_the_anchors() -> None:
    tables = {t.name: t for t in (_table("a"), _table("b", "a"), _table("c"), _table("d"))}
    ranked = ["a", "c", "d", "x", "b"]
    assert fk_rerank(ranked, tables, k=4, anchors=1) == ["a", "b", "c", "d"]
