"""The schema check on Spider dev gold SQL: no false alarms, what the repair fixes, its cost.

The 19 ported Spider dev databases are loaded into scratch MariaDB databases
(`kkval_<db>`), introspected as the product does, and every dev question's gold SQL is
put through `backend.sql_validate.validate_sql` — no model involved:

- `gold_sql_mysql` (runs on the dumps): a correct query must never be flagged, and a
  repair of one must return the same rows as the original;
- `gold_sql` (Spider's SQLite text, table names often in the wrong case): how many fail on
  MariaDB (case-sensitive table names) as written, and how many after the repair;
- the time `validate_sql` takes per query (median, p95), measured on the gold queries.

    python -m bench.sql_validate [--host 127.0.0.1] [--port 3306] [--sample FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.schema import introspect
from backend.schema_view import SchemaView
from backend.sql_validate import validate_sql
from bench.common import md_table, quiet_logs, summarise_ms, write_results
from bench.spider_mysql import DUMPS_DIR, _mysql

SET = DUMPS_DIR.parents[1] / "schema_linking" / "spider_dev_schema_linking.jsonl"
# The fixed sample accuracy runs use (bench/spider_sample.py), when this tree has it.
SAMPLE = Path(__file__).resolve().parent / "golden" / "spider_dev_sample.json"
PREFIX = "kkval_"


@contextmanager
def _databases(dbs: list[str], host: str, port: int) -> Iterator[dict[str, sa.Engine]]:
    loaded: dict[str, sa.Engine] = {}
    try:
        for db in dbs:
            dump = DUMPS_DIR / f"{db}.sql"
            if not dump.exists():
                continue
            pattern = re.compile(rf"^(CREATE DATABASE|USE )(.*)`{re.escape(db)}`", re.MULTILINE)
            text = pattern.sub(rf"\1\2`{PREFIX}{db}`", dump.read_text(encoding="utf-8"))
            _mysql(host, port, "root", text)
            loaded[db] = sa.create_engine(f"mysql+pymysql://root@{host}:{port}/{PREFIX}{db}")
        yield loaded
    finally:
        for db, engine in loaded.items():
            engine.dispose()
            _mysql(host, port, "root", f"DROP DATABASE IF EXISTS `{PREFIX}{db}`;")


def _rows(engine: sa.Engine, sql: str) -> tuple[list[Any] | None, str | None]:
    try:
        with engine.connect() as conn:
            return sorted(map(repr, conn.exec_driver_sql(sql.replace("%", "%%")).all())), None
    except sa.exc.DBAPIError as error:
        return None, str(error.orig)[:200]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_validate")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3306)
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="the fixed sample's ids")
    args = parser.parse_args(argv)
    sample = set(json.loads(args.sample.read_text())["ids"]) if args.sample.exists() else set()
    quiet_logs()
    questions = [json.loads(line) for line in Path(SET).read_text().splitlines() if line]
    dbs = sorted({q["db_id"] for q in questions})
    flagged: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    still: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    seconds: list[float] = []
    with _databases(dbs, args.host, args.port) as engines:
        views = {db: SchemaView(introspect(e, sample_values=False)) for db, e in engines.items()}
        for q in questions:
            db = q["db_id"]
            if db not in views:
                counts["no_database"] += 1
                continue
            counts["questions"] += 1
            counts["sample_questions"] += q["idx"] in sample
            gold = q["gold_sql_mysql"]
            started = time.perf_counter()
            checked = validate_sql(gold, view=views[db], dialect="mysql")
            seconds.append(time.perf_counter() - started)
            if checked.problems:
                counts["sample_flagged"] += q["idx"] in sample
                flagged.append(
                    {"idx": q["idx"], "sql": gold, "problems": [p.text for p in checked.problems]}
                )
            if checked.repaired:
                counts["gold_repaired"] += 1
                before, _ = _rows(engines[db], gold)
                after, error = _rows(engines[db], checked.sql)
                if before != after:
                    changed_rows.append(
                        {"idx": q["idx"], "sql": gold, "repaired": checked.sql, "error": error}
                    )
            raw = q["gold_sql"]
            _, raw_error = _rows(engines[db], raw)
            if raw_error is not None:
                counts["raw_fails"] += 1
                fixed = validate_sql(raw, view=views[db], dialect="mysql")
                _, fixed_error = _rows(engines[db], fixed.sql)
                if fixed_error is not None:
                    counts["raw_fails_after_repair"] += 1
                    still.append({"idx": q["idx"], "sql": fixed.sql, "error": fixed_error})
                counts["raw_flagged"] += bool(fixed.problems)
    timing = summarise_ms(seconds)
    data = {
        "counts": dict(counts),
        "timing": timing,
        "flagged": flagged,
        "repair_changed_rows": changed_rows,
        "raw_still_failing": still,
    }
    rows = [
        ["gold queries checked (gold_sql_mysql)", counts["questions"]],
        ["flagged (false positives)", len(flagged)],
        ["of which in the fixed 240-question sample", counts["sample_flagged"]],
        ["(sample questions checked)", counts["sample_questions"]],
        ["repaired", counts["gold_repaired"]],
        ["repaired with different rows", len(changed_rows)],
        ["raw SQLite gold failing on MariaDB", counts["raw_fails"]],
        ["... still failing after the repair", counts["raw_fails_after_repair"]],
        ["validate_sql p50 / p95 ms", f"{timing.get('p50_ms')} / {timing.get('p95_ms')}"],
    ]
    markdown = "# Schema check on Spider dev gold SQL\n\n" + md_table(["what", "count"], rows)
    write_results("sql_validate", data, markdown)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
