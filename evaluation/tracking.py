"""MLflow tracking of eval runs: every `keskinube eval` becomes one MLflow run.

The run holds the reproducibility record as parameters (model and digest, prompt
fingerprint, the engine's settings, the question set's hashes, the code version), the
scores as metrics (accuracy overall, by difficulty and by tag, valid SQL, seconds p50 /
p90 / p95, tokens) and the report itself as artifacts (`eval.json`, and `eval.txt` as
printed on the terminal).

Where: MLFLOW_TRACKING_URI when it is set (a server, or any store MLflow knows), else a
local store in `<data_dir>/mlruns`: MLflow's SQLite store `mlflow.db` with the artifacts
in `artifacts/` beside it. Not MLflow's plain folder store: MLflow 3 keeps that in
maintenance mode and refuses it unless MLFLOW_ALLOW_FILE_STORE=true.

MLflow is a development tool here (requirements-dev.txt), never needed by the product:
it is imported only when a run is logged or read, and a missing package is reported as
`TrackingUnavailable`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import KeskinubeError

EXPERIMENT = "keskinube-eval"
STORE_DIR = "mlruns"
UNKNOWN = "unknown"
MISSING = "mlflow is not installed: `pip install -r requirements-dev.txt` (or --no-track)"
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")
_SQLITE = "sqlite:///"
_BATCH = 100  # MLflow takes at most 100 parameters in one batch


class TrackingUnavailable(KeskinubeError):
    """MLflow cannot be used: the package is missing."""


@dataclass(frozen=True)
class Store:
    """An MLflow tracking URI, and where new experiments keep their artifacts (None: the
    server's default)."""

    uri: str
    artifact_root: str | None = None


def store_for(tracking_uri: str | None, data_dir: Path) -> Store:
    """MLFLOW_TRACKING_URI when given, else the SQLite store in `<data_dir>/mlruns`.

    A local SQLite store keeps its artifacts in `artifacts/` beside its database file:
    MLflow's own default is a folder under the working directory.
    """
    if not tracking_uri:
        folder = (data_dir / STORE_DIR).resolve()
        return Store(f"{_SQLITE}{folder / 'mlflow.db'}", (folder / "artifacts").as_uri())
    database = _sqlite_file(tracking_uri)
    if database is None:
        return Store(tracking_uri)
    return Store(tracking_uri, (database.resolve().parent / "artifacts").as_uri())


def mlflow_params(report: dict[str, Any]) -> dict[str, str]:
    """Run parameters: what must be equal for two runs' scores to be comparable."""
    meta = report["meta"]
    model, prompt, question_set = meta["model"], meta["prompt"], meta["set"]
    params: dict[str, Any] = {
        "model": model["name"],
        "model_digest": model.get("digest") or UNKNOWN,
        "embed_model": model.get("embed_model"),
        "embed_digest": model.get("embed_digest") or UNKNOWN,
        "ollama_version": model.get("ollama_version"),
        "prompt_version": prompt["version"],
        "prompt_hash": prompt.get("hash") or prompt.get("template_hash"),
        "dataset": question_set["path"],
        "dataset_hash": question_set.get("file_hash") or UNKNOWN,
        "set_hash": question_set["hash"],
        "select_tags": ",".join(question_set.get("tags") or []),
        "select_ids": ",".join(question_set.get("ids") or []),
        "select_limit": question_set.get("limit"),
        "database": meta.get("database"),
        "code_version": meta["code"]["commit"],
        "code_dirty": meta["code"].get("dirty"),
        "rounding": (meta.get("scoring") or {}).get("rounding"),
        "baseline": (report.get("baseline") or {}).get("name"),
    }
    settings = meta["settings"]
    params |= {key: settings[key] for key in sorted(settings)}
    return {key: "" if value is None else str(value) for key, value in params.items()}


def mlflow_metrics(report: dict[str, Any]) -> dict[str, float]:
    """Headline figures, plus accuracy per difficulty and tag, for engine and baseline."""
    metrics: dict[str, float] = {}
    sides = [("", report["engine"])]
    if report.get("baseline"):
        sides.append(("baseline_", report["baseline"]))
    for prefix, side in sides:
        totals = side["totals"]
        for key in (
            "accuracy",
            "accuracy_fair",
            "valid_sql_rate",
            "questions",
            "retries",
            "prompt_tokens",
            "completion_tokens",
            "mean_prompt_tokens",
            "mean_completion_tokens",
            "cache_hits",
        ):
            _put(metrics, f"{prefix}{key}", totals.get(key))
        latency = totals["latency_s"]
        for name, stat in (("p50", "median"), ("p90", "p90"), ("p95", "p95"), ("mean", "mean")):
            _put(metrics, f"{prefix}latency_{name}_s", latency.get(stat))
        for group in ("by_difficulty", "by_tag"):
            for name, figures in side[group].items():
                _put(metrics, f"{prefix}accuracy.{_safe(name)}", figures.get("accuracy"))
    return metrics


def log_run(report: dict[str, Any], text: str, *, store: Store) -> str:
    """Record the run; returns its MLflow run id. `text` is the report as printed."""
    client = client_for(store)
    experiment_id = _experiment(client, store)
    meta = report["meta"]
    run = client.create_run(
        experiment_id,
        run_name=f"eval {meta['model']['name']}",
        tags={"started_at": str(meta.get("started_at", ""))},
    )
    run_id = str(run.info.run_id)
    try:
        _log_figures(client, run_id, report)
        client.log_text(run_id, _json(report), "eval.json")
        client.log_text(run_id, text, "eval.txt")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id


def _log_figures(client: Any, run_id: str, report: dict[str, Any]) -> None:
    from mlflow.entities import Metric, Param

    params = [Param(key, value) for key, value in mlflow_params(report).items()]
    for start in range(0, len(params), _BATCH):
        client.log_batch(run_id, params=params[start : start + _BATCH])
    metrics = [Metric(k, v, 0, 0) for k, v in mlflow_metrics(report).items()]
    client.log_batch(run_id, metrics=metrics)


def experiment_id(client: Any) -> str | None:
    """The eval experiment's id in the client's store; None before the first run."""
    found = client.get_experiment_by_name(EXPERIMENT)
    return None if found is None else str(found.experiment_id)


def store_exists(store: Store) -> bool:
    """False for a local SQLite store not made yet (nothing tracked there); True otherwise."""
    database = _sqlite_file(store.uri)
    return database is None or database.exists()


def client_for(store: Store) -> Any:
    """An `MlflowClient` on the store (its folder made for a local SQLite store)."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise TrackingUnavailable(MISSING) from None
    database = _sqlite_file(store.uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=store.uri)


def _experiment(client: Any, store: Store) -> str:
    found = experiment_id(client)
    if found is not None:
        return found
    return str(client.create_experiment(EXPERIMENT, artifact_location=store.artifact_root))


def _sqlite_file(uri: str) -> Path | None:
    """The database file of a `sqlite:///path` URI; None for any other store."""
    if not uri.startswith(_SQLITE) or uri == f"{_SQLITE}:memory:":
        return None
    return Path(uri.removeprefix(_SQLITE))


def _json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"


def _put(metrics: dict[str, float], key: str, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        metrics[key] = float(value)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)
