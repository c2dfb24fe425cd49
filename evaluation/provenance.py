"""The reproducibility record of an eval run: code, model, prompt and settings versions.

Same model digest + same set hash + same prompt hash + same code → same scores (the model
runs at temperature 0 with a fixed seed). Everything here degrades to None rather than
failing: an eval outside a git checkout, or against an Ollama without digests, still runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.adapters.ollama import OllamaHealth
from backend.config import Settings
from backend.engine_config import EngineConfig
from backend.prompts import PROMPT_VERSION, template_hash
from evaluation import baseline_langchain
from evaluation.runner import EvalOptions
from evaluation.scoring import FAIR_RULE, scoring_rule
from evaluation.sets import GoldSet

REPO_ROOT = Path(__file__).resolve().parents[1]


def code_version(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The git commit of the code (None outside a checkout) and whether files were changed."""
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def model_record(
    health: OllamaHealth, *, base_url: str, chat_model: str, embed_model: str
) -> dict[str, Any]:
    """Model names with their digests from Ollama's /api/tags (None when unknown)."""
    return {
        "name": chat_model,
        "digest": health.digests.get(chat_model),
        "embed_model": embed_model,
        "embed_digest": health.digests.get(embed_model),
        "ollama_version": health.version,
        "ollama_url": base_url,
    }


def prompt_record() -> dict[str, str]:
    return {"version": PROMPT_VERSION, "template_hash": template_hash()}


def engine_settings(config: EngineConfig | None, settings: Settings) -> dict[str, Any]:
    """The knobs that change answers: retrieval, context, retries, schema mode, row cap."""
    used = config or EngineConfig(
        database="-",
        row_limit=settings.row_limit,
        max_retries=settings.max_retries,
        retrieval_k=settings.retrieval_k,
        num_ctx=settings.ollama_num_ctx,
    )
    return {
        "k": used.retrieval_k,
        "num_ctx": used.num_ctx,
        "max_retries": used.max_retries,
        "schema_mode": used.schema_mode,
        "full_schema_max_tokens": used.full_schema_max_tokens,
        "examples_k": used.examples_k,
        "notes_k": used.notes_k,
        "row_limit": used.row_limit,
        "temperature": 0.0,
        "answer_cache": "off",
    }


def run_record(
    *,
    gold_set: GoldSet,
    selection: dict[str, Any],
    settings: Settings,
    options: EvalOptions,
    engine_config: EngineConfig | None,
    health: OllamaHealth,
    timing: dict[str, Any],
) -> dict[str, Any]:
    """The `meta` part of the report: everything needed to reproduce and compare a run."""
    engine = engine_settings(engine_config, settings)
    if options.schema_mode is not None:
        engine["schema_mode"] = options.schema_mode
    shown = options.database
    if "{" not in shown:
        shown = sa.make_url(shown).render_as_string(hide_password=True)
    model = model_record(
        health,
        base_url=settings.ollama_base_url,
        chat_model=settings.ollama_model,
        embed_model=settings.ollama_embed_model,
    )
    return {
        **timing,
        "set": {
            "path": gold_set.path,
            "hash": gold_set.hash,
            "gold_field": gold_set.gold_field,
            "questions": len(gold_set.questions),
            **selection,
        },
        "database": shown,
        "model": model,
        "prompt": prompt_record(),
        "code": code_version(),
        "settings": engine,
        "scoring": {
            "rule": scoring_rule(rounding=options.rounding),
            "fair_rule": FAIR_RULE,
            "rounding": options.rounding,
        },
        "baseline": _baseline_record(settings) if options.baseline else None,
    }


def _baseline_record(settings: Settings) -> dict[str, Any]:
    return {
        "name": baseline_langchain.NAME,
        "chain": "create_sql_query_chain over SQLDatabase.from_uri",
        "top_k": settings.row_limit,
        "follow_ups": "earlier questions prepended as text",
        "packages": baseline_langchain.package_versions(),
    }
