"""The reproducibility record of an eval run: code, model, prompt and settings versions.

Same model digest + same set hash + same prompt hash + same code → same scores (the model
runs at temperature 0 with a fixed seed). Everything here degrades to None rather than
failing: an eval outside a git checkout, or against an Ollama without digests, still runs.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.adapters.ollama import OllamaHealth
from backend.config import Settings
from backend.dialects import dialect_for_url
from backend.engine_config import EngineConfig
from backend.prompt_fingerprint import prompt_fingerprint
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


def prompt_record(config: EngineConfig, database_url: str) -> dict[str, str]:
    """The prompt's version, its templates' hash, and the fingerprint of everything that
    shapes it (`backend.prompt_fingerprint`, the hash the monitoring page shows too) for
    the engine configuration used, on the database's dialect."""
    dialect = dialect_for_url(database_url)  # a per-database template ({db_id}) parses too
    return {
        "version": PROMPT_VERSION,
        "template_hash": template_hash(),
        "hash": prompt_fingerprint(config, dialect),
    }


def used_config(config: EngineConfig | None, settings: Settings) -> EngineConfig:
    """The configuration the engine ran with; from the settings when no database opened."""
    return config or EngineConfig(
        database="-",
        row_limit=settings.row_limit,
        max_retries=settings.max_retries,
        retrieval_k=settings.retrieval_k,
        num_ctx=settings.ollama_num_ctx,
        schema_mode=settings.schema_mode,
        full_schema_max_tokens=settings.full_schema_max_tokens,
        retrieved_schema_max_tokens=settings.retrieved_schema_max_tokens,
        core_schema_max_tokens=settings.core_schema_max_tokens,
        stable_context_max_tokens=settings.stable_context_max_tokens,
        chart_suggestions=settings.chart_suggestions,
        candidates=settings.answer_candidates,
        candidate_temperature=settings.candidate_temperature,
        table_selection=settings.table_selection,
        question_names=settings.question_names,
        selection_pool=settings.table_selection_pool,
        catalogue_max_tokens=settings.table_catalogue_max_tokens,
    )


def engine_settings(config: EngineConfig, settings: Settings) -> dict[str, Any]:
    """The knobs that change answers: every engine knob, and the settings behind the index."""
    knobs = {name: value for name, value in asdict(config).items() if name != "database"}
    knobs["k"] = knobs.pop("retrieval_k")
    return {
        **knobs,
        "knowledge_use_drafts": settings.knowledge_use_drafts,
        "glossary_path": settings.glossary_path,
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
    config = used_config(engine_config, settings)
    if options.schema_mode is not None:
        config = replace(config, schema_mode=options.schema_mode)
    engine = engine_settings(config, settings)
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
            "file_hash": gold_set.file_hash,
            "gold_field": gold_set.gold_field,
            "dialect_gold_field": gold_set.dialect_gold_field,
            "questions": len(gold_set.questions),
            **selection,
        },
        "database": shown,
        "model": model,
        "prompt": prompt_record(config, options.database),
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


def run_identity(
    *, gold_set: GoldSet, settings: Settings, options: EvalOptions, health: OllamaHealth
) -> dict[str, Any]:
    """What must be the same for two legs of a run to make one run (`evaluation.journal`):
    the set, the database, the model, the code and every knob; not the selection, so a run
    of the first 120 questions can be carried on to 240."""
    config = used_config(None, settings)
    if options.schema_mode is not None:
        config = replace(config, schema_mode=options.schema_mode)
    shown = options.database
    if "{" not in shown:
        shown = sa.make_url(shown).render_as_string(hide_password=True)
    return {
        "set": gold_set.hash,
        "database": shown,
        "model": [settings.ollama_model, health.digests.get(settings.ollama_model)],
        "code": code_version(),
        "settings": engine_settings(config, settings),
        "rounding": options.rounding,
        "baseline": options.baseline,
    }
