"""Where eval runs are tracked, and the side-by-side table of `keskinube eval --compare`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from evaluation.comparison import TrackedRun, compare_table, differing
from evaluation.tracking import Store, store_exists, store_for


def test_default_store_is_sqlite_with_artifacts_beside_it_under_the_data_dir(
    tmp_path: Path,
) -> None:
    store = store_for(None, tmp_path / "data")
    folder = (tmp_path / "data" / "mlruns").resolve()
    assert store == Store(f"sqlite:///{folder}/mlflow.db", (folder / "artifacts").as_uri())
    assert not store_exists(store)
    folder.mkdir(parents=True)
    (folder / "mlflow.db").touch()
    assert store_exists(store)


def test_a_tracking_uri_wins_and_a_sqlite_one_keeps_artifacts_beside_it(tmp_path: Path) -> None:
    server = store_for("http://mlflow.internal:5000", tmp_path)
    assert server == Store("http://mlflow.internal:5000", None) and store_exists(server)
    local = store_for(f"sqlite:///{tmp_path}/runs/m.db", tmp_path / "data")
    assert local.artifact_root == (tmp_path / "runs" / "artifacts").as_uri()


def run(run_id: str, minute: int, params: dict[str, str], accuracy: float) -> TrackedRun:
    started = datetime(2026, 12, 6, 10, minute, tzinfo=UTC)
    metrics = {"accuracy": accuracy, "accuracy.join": 0.5, "prompt_tokens": 1200.0}
    return TrackedRun(run_id, started, params, metrics)


RUNS = [
    run("aaaaaaaa1111", 1, {"model": "m:1b", "prompt_hash": "abc", "k": "5"}, 0.6),
    run("bbbbbbbb2222", 2, {"model": "m:1b", "prompt_hash": "def", "k": "5"}, 0.65),
    run("cccccccc3333", 3, {"model": "m:1b", "prompt_hash": "def", "k": "5", "new": "x"}, 0.7),
]


def test_differing_params_include_one_missing_from_some_runs() -> None:
    assert differing(RUNS) == {"prompt_hash", "new"}
    assert differing(RUNS[1:2]) == set()


def test_compare_table_puts_the_differences_first_marked() -> None:
    lines = compare_table(RUNS).splitlines()
    assert lines[0].split() == ["parameter", "1", "aaaaaaaa", "2", "bbbbbbbb", "3", "cccccccc"]
    assert lines[1].split()[0] == "started"
    assert " ".join(lines[1].split()[1:]) == "2026-12-06 10:01 2026-12-06 10:02 2026-12-06 10:03"
    assert [line.split() for line in lines[2:6]] == [
        ["*", "new", "-", "-", "x"],
        ["*", "prompt_hash", "abc", "def", "def"],
        ["k", "5", "5", "5"],
        ["model", "m:1b", "m:1b", "m:1b"],
    ]
    metrics = lines[lines.index("") + 1 :]
    assert metrics[0].split()[0] == "metric"
    assert metrics[1].split() == ["accuracy", "0.6", "0.65", "0.7"]
    assert metrics[2].split() == ["prompt_tokens", "1200", "1200", "1200"]
    assert metrics[3].split() == ["accuracy.join", "0.5", "0.5", "0.5"]
    assert lines[-1] == "*: differs between the runs"


def test_long_values_are_shortened_and_empty_ones_shown() -> None:
    long = {"dataset_hash": "e1da50d95fda8b184fef9de0123456789", "baseline": ""}
    table = compare_table([run("aaaaaaaa", 1, long, 0.5)])
    assert "e1da50d95fda8b184fef9de…" in table and "0123456789" not in table
    assert 'baseline      ""' in table
