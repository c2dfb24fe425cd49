"""`keskinube eval` tracked in MLflow, for real: a local store in a temp folder.

The demo golden set runs through the full engine (demo SQLite database, in-memory Qdrant,
scripted Ollama answering the gold SQL except for one question), and the run is read
back with MLflow's own client: parameters, metrics, the report as artifacts. A second
run with another schema mode shows in `--compare` as the parameters that changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from backend.config import get_settings
from cli import main
from demo_data import build_demo_database
from evaluation.sets import load_set
from evaluation.tracking import EXPERIMENT, UNKNOWN
from testkit.scripted_ollama import Messages, ScriptedOllama, when

DEMO_SET = Path(__file__).resolve().parents[2] / "bench" / "golden" / "demo.jsonl"
IDS = "d01,d02,d04,d07"
WRONG = {"d07": "SELECT name FROM suppliers WHERE country = 'France'"}
_QUESTION = re.compile(r"Question: ([^\n]+?)\s*\Z")  # the last line: examples come before


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('tracked') / 'demo.sqlite'}"
    build_demo_database(url, orders=300)
    return url


def _answers() -> dict[str, str]:
    """Question text → the SQL the scripted model writes: the gold SQL, or a wrong query."""
    return {q.question: WRONG.get(q.id, q.gold_sql) for q in load_set(DEMO_SET).questions}


@pytest.fixture
def env(
    demo_url: str, scripted_ollama: ScriptedOllama, monkeypatch: pytest.MonkeyPatch
) -> ScriptedOllama:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("OLLAMA_BASE_URL", scripted_ollama.url)
    monkeypatch.setenv("OLLAMA_MODEL", scripted_ollama.chat_model)
    monkeypatch.setenv("OLLAMA_EMBED_MODEL", scripted_ollama.embed_model)
    answers = _answers()

    def respond(messages: Messages) -> str:
        found = _QUESTION.search(messages[-1]["content"])
        return f"```sql\n{answers.get(found.group(1) if found else '', 'SELECT 1')}\n```"

    scripted_ollama.add(when(regex=r"Question: ", respond=respond, anywhere=True))
    return scripted_ollama


def _eval(tmp_path: Path, *extra: str, ids: str = IDS) -> dict[str, Any]:
    out = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    args = ["eval", "--set", str(DEMO_SET), "--ids", ids, "--out", str(out), "--no-progress"]
    assert main([*args, *extra]) == 0
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def _runs(uri: str) -> list[Any]:
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    return list(client.search_runs([experiment.experiment_id], order_by=["start_time ASC"]))


def _default_uri() -> str:
    return f"sqlite:///{(get_settings().data_dir / 'mlruns' / 'mlflow.db').resolve()}"


def test_eval_run_is_read_back_from_the_local_store(
    env: ScriptedOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _eval(tmp_path)
    printed = capsys.readouterr().out
    assert "execution accuracy (engine): 3/4 = 75.0%" in printed
    assert "tracked as MLflow run" in printed

    store = get_settings().data_dir / "mlruns"
    assert (store / "mlflow.db").is_file()
    (run,) = _runs(_default_uri())
    assert run.info.status == "FINISHED"
    params, metrics = run.data.params, run.data.metrics
    assert params["model"] == env.chat_model
    assert params["model_digest"] == report["meta"]["model"]["digest"] != UNKNOWN
    assert params["prompt_hash"] == report["meta"]["prompt"]["hash"]
    assert params["dataset_hash"] == hashlib.sha256(DEMO_SET.read_bytes()).hexdigest()
    assert params["select_ids"] == IDS
    assert params["schema_mode"] == report["meta"]["settings"]["schema_mode"]
    assert {"k", "max_retries", "candidates", "table_selection", "num_ctx"} <= set(params)

    assert metrics["accuracy"] == 0.75 and metrics["valid_sql_rate"] == 1.0
    assert metrics["accuracy.filter"] == 0.5 and metrics["accuracy.count"] == 1.0
    assert metrics["accuracy.easy"] == 0.75 and metrics["questions"] == 4
    assert metrics["latency_p95_s"] >= metrics["latency_p50_s"] > 0
    assert metrics["prompt_tokens"] > 0 and metrics["completion_tokens"] > 0

    client = MlflowClient(tracking_uri=_default_uri())
    assert {a.path for a in client.list_artifacts(run.info.run_id)} == {"eval.json", "eval.txt"}
    artifacts = Path(client.download_artifacts(run.info.run_id, "", str(tmp_path / "got")))
    assert json.loads((artifacts / "eval.json").read_text()) == report
    assert "execution accuracy (engine): 3/4" in (artifacts / "eval.txt").read_text()
    assert list((store / "artifacts").rglob("eval.json"))  # beside the database, not in cwd


def test_compare_marks_what_changed_between_two_runs(
    env: ScriptedOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _eval(tmp_path, "--schema-mode", "full")
    second = _eval(tmp_path, "--schema-mode", "retrieve")
    assert first["meta"]["prompt"]["hash"] != second["meta"]["prompt"]["hash"]
    capsys.readouterr()

    assert main(["eval", "--compare"]) == 0
    printed = capsys.readouterr().out
    marked = {
        line.split()[1] for line in printed.splitlines() if line.startswith("* ") and len(line) > 2
    }
    assert marked == {"prompt_hash", "schema_mode"}
    assert re.search(r"^\s+schema_mode\s+full\s+retrieve$", printed, re.M) is None
    assert re.search(r"^\*\s+schema_mode\s+full\s+retrieve$", printed, re.M)
    assert re.search(r"^accuracy\s+0\.75\s+0\.75$", printed, re.M)
    assert re.search(r"^\s+model\s+(\S+)\s+\1$", printed, re.M)
    runs = _runs(_default_uri())
    assert [r.info.run_id[:8] for r in runs] == re.findall(r"\d ([0-9a-f]{8})", printed)[:2]

    assert main(["eval", "--compare", "1"]) == 0
    assert re.search(r"^metric\s+1 [0-9a-f]{8}$", capsys.readouterr().out, re.M)


def test_tracking_uri_setting_picks_the_store(
    env: ScriptedOllama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "elsewhere" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    get_settings.cache_clear()
    _eval(tmp_path, ids="d01")
    assert len(_runs(f"sqlite:///{database}")) == 1
    assert list((database.parent / "artifacts").rglob("eval.txt"))
    assert not (get_settings().data_dir / "mlruns").exists()


def test_no_track_leaves_no_store_and_compare_says_there_is_nothing(
    env: ScriptedOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _eval(tmp_path, "--no-track")
    assert "tracked as MLflow run" not in capsys.readouterr().out
    assert not (get_settings().data_dir / "mlruns").exists()
    assert main(["eval", "--compare", "3"]) == 0
    assert "no tracked eval run in sqlite:///" in capsys.readouterr().out
