"""The fixed Spider dev sample every accuracy run uses, and the files it needs to run.

    python -m bench spider_sample --choose          # (re)write bench/golden/spider_dev_sample.json
    python -m bench spider_sample --write-set FILE  # the sample as a `keskinube eval` set
    python -m bench spider_sample --load            # load the 19 MySQL dumps as kkbench_<db>
    python -m bench spider_sample --drop            # and drop them again

The sample is a list of question ids (`idx` in the schema-linking file), never question
text: the questions stay in `../shared` so that nothing in the repository is written for
them. It is stratified — every database in proportion to its share of the dev split (at
least four questions each) and, within a database, by how many tables the gold SQL reads
(1, 2, 3+) — and Spider's paraphrase pairs are thinned to one question per gold query, so
240 questions cover 240 different queries. A seeded generator makes it reproducible; the
committed file is what runs use, so a change of this code does not move the sample
unless `--choose` is run on purpose.

Then, for example (both pipelines, one run, the same model):

    keskinube eval --set /tmp/spider_sample.jsonl \\
        --db 'mysql+pymysql://root@127.0.0.1:3306/kkbench_{db}' --baseline langchain
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.spider_mysql import DUMPS_DIR, PREFIX, _mysql, _renamed

LINKING = DUMPS_DIR.parents[1] / "schema_linking" / "spider_dev_schema_linking.jsonl"
SAMPLE_FILE = Path(__file__).resolve().parent / "golden" / "spider_dev_sample.json"
SIZE = 240
MIN_PER_DB = 4
SEED = 20261206


def _questions() -> list[dict[str, Any]]:
    lines = LINKING.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _available_databases() -> set[str]:
    return {path.stem for path in DUMPS_DIR.glob("*.sql") if path.stem != "spider_dev_merged"}


def _stratum(row: dict[str, Any]) -> int:
    return min(len(row["gold_tables"]), 3)


def choose(rows: list[dict[str, Any]], databases: set[str], size: int = SIZE) -> list[int]:
    """The sample's question ids: one per distinct gold query, stratified by db and width."""
    rng = random.Random(SEED)
    seen: set[tuple[str, str]] = set()
    by_db: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = (row["db_id"], " ".join(row["gold_sql_mysql"].lower().split()))
        if row["db_id"] in databases and key not in seen:
            seen.add(key)
            by_db[row["db_id"]].append(row)
    total = sum(len(items) for items in by_db.values())
    quota = {db: max(MIN_PER_DB, round(size * len(items) / total)) for db, items in by_db.items()}
    while sum(quota.values()) > size:  # rounding up: take back from the largest
        quota[max(quota, key=lambda db: quota[db])] -= 1
    while sum(quota.values()) < size:
        quota[max(by_db, key=lambda db: len(by_db[db]) - quota[db])] += 1
    chosen: list[int] = []
    for db in sorted(by_db):
        chosen += _choose_within(by_db[db], min(quota[db], len(by_db[db])), rng)
    return sorted(chosen)


def _choose_within(items: list[dict[str, Any]], count: int, rng: random.Random) -> list[int]:
    strata: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        strata[_stratum(item)].append(item)
    picked: list[int] = []
    # Largest remainder per stratum, so a database's rare 3-table questions are not lost.
    shares = {s: count * len(group) / len(items) for s, group in strata.items()}
    take = {s: int(share) for s, share in shares.items()}
    for s in sorted(shares, key=lambda s: shares[s] - take[s], reverse=True):
        if sum(take.values()) >= count:
            break
        take[s] += 1
    for s in sorted(strata):
        group = sorted(strata[s], key=lambda row: row["idx"])
        picked += [row["idx"] for row in rng.sample(group, min(take[s], len(group)))]
    return picked


def load_sample() -> list[int]:
    return list(json.loads(SAMPLE_FILE.read_text())["ids"])


def write_set(path: Path) -> int:
    """Write the sample as a Spider-style JSONL set for `keskinube eval`; returns its size."""
    ids = set(load_sample())
    rows = [row for row in _questions() if row["idx"] in ids]
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({**row, "db": row["db_id"], "id": f"spider-{row['idx']}"}))
            out.write("\n")
    return len(rows)


def _databases_of_sample() -> list[str]:
    ids = set(load_sample())
    return sorted({row["db_id"] for row in _questions() if row["idx"] in ids})


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench spider_sample")
    parser.add_argument("--choose", action="store_true", help="rewrite the committed sample")
    parser.add_argument("--write-set", type=Path, metavar="FILE", help="write the eval set")
    parser.add_argument("--load", action="store_true", help="load the dumps as kkbench_<db>")
    parser.add_argument("--drop", action="store_true", help="drop the kkbench_<db> databases")
    args = parser.parse_args(argv)
    if args.choose:
        rows = _questions()
        ids = choose(rows, _available_databases())
        by_id = {row["idx"]: row for row in rows}
        per_db: dict[str, int] = defaultdict(int)
        per_width: dict[str, int] = defaultdict(int)
        for idx in ids:
            per_db[by_id[idx]["db_id"]] += 1
            per_width[str(_stratum(by_id[idx]))] += 1
        SAMPLE_FILE.write_text(
            json.dumps(
                {
                    "source": "spider_dev_schema_linking.jsonl (idx), gold_sql_mysql",
                    "how": f"python -m bench spider_sample --choose (seed {SEED})",
                    "size": len(ids),
                    "per_database": dict(sorted(per_db.items())),
                    "per_table_count": dict(sorted(per_width.items())),
                    "ids": ids,
                },
                indent=1,
            )
            + "\n"
        )
        print(f"wrote {len(ids)} ids to {SAMPLE_FILE}")
    if args.write_set:
        print(f"wrote {write_set(args.write_set)} questions to {args.write_set}")
    for db in _databases_of_sample() if (args.load or args.drop) else []:
        if args.drop:
            _mysql("127.0.0.1", 3306, "root", f"DROP DATABASE IF EXISTS `{PREFIX}{db}`;")
        else:
            dump = (DUMPS_DIR / f"{db}.sql").read_text(encoding="utf-8")
            _mysql("127.0.0.1", 3306, "root", _renamed(dump, db))
            print(f"loaded {PREFIX}{db}", flush=True)
