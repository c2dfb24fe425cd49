"""Optional MLflow tracking of eval runs.

MLflow is not a dependency of Keskinube: it is imported only when a tracking URI is
given (`MLFLOW_TRACKING_URI`), and a missing package is reported, not fatal. Each eval
becomes one MLflow run with the reproducibility record as parameters, the totals and
per-tag accuracies as metrics, and the full JSON report as an artifact.
"""

from __future__ import annotations

import re
from typing import Any

EXPERIMENT = "keskinube-eval"
MISSING = "MLFLOW_TRACKING_URI is set but mlflow is not installed (`pip install mlflow`)"
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")


def mlflow_params(report: dict[str, Any]) -> dict[str, str]:
    """Run parameters: what must be equal for two runs' scores to be comparable."""
    meta = report["meta"]
    model, settings = meta["model"], meta["settings"]
    params = {
        "model": model["name"],
        "model_digest": model.get("digest"),
        "embed_model": model.get("embed_model"),
        "prompt_version": meta["prompt"]["version"],
        "prompt_template_hash": meta["prompt"]["template_hash"],
        "set_hash": meta["set"]["hash"],
        "set_path": meta["set"]["path"],
        "code_version": meta["code"]["commit"],
        "baseline": (report.get("baseline") or {}).get("name"),
    }
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
            "valid_sql_rate",
            "retries",
            "mean_prompt_tokens",
            "mean_completion_tokens",
            "cache_hits",
            "questions",
        ):
            _put(metrics, f"{prefix}{key}", totals.get(key))
        for stat in ("median", "p90", "mean"):
            _put(metrics, f"{prefix}latency_{stat}_s", totals["latency_s"].get(stat))
        for group in ("by_difficulty", "by_tag"):
            for name, figures in side[group].items():
                _put(metrics, f"{prefix}accuracy.{_safe(name)}", figures.get("accuracy"))
    return metrics


def log_to_mlflow(report: dict[str, Any], *, tracking_uri: str) -> str:
    """Record the run in MLflow; returns the MLflow run id. Raises RuntimeError if missing."""
    try:
        import mlflow
    except ImportError:
        raise RuntimeError(MISSING) from None
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=f"eval {report['meta']['model']['name']}") as run:
        mlflow.log_params(mlflow_params(report))
        mlflow.log_metrics(mlflow_metrics(report))
        mlflow.log_dict(report, "eval.json")
        return str(run.info.run_id)


def _put(metrics: dict[str, float], key: str, value: Any) -> None:
    if isinstance(value, int | float):
        metrics[key] = float(value)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)
