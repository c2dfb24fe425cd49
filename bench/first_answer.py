"""Real-model benchmark: seconds to the first answer after a start (issue 21).

With the whole schema in the prompt, the first question after the model server has read
another prompt pays for reading the schema again (minutes on a CPU). This measures what a
person who logs in and asks at once waits for, with the product's own wiring (the demo
database, embedded Qdrant, the real model on Ollama's API), in four situations:

- **cold**: no warm-up; the question reads the schema itself.
- **during start-up warm-up**: the app started warming every role (`backend.warm_up`, as
  the first page after a start does), and the person asks `--login-s` seconds later; the
  question waits behind the warm-up (`ModelActivity` queues it, so it is not timed out).
- **after start-up warm-up**: the warm-up has finished before the question.
- **warm**: a next question, its role's start still cached.

Before each of the first three, the model server is made cold: restarted with
`--restart CMD` (a shell command), or else made to read an unrelated prompt, which is
enough for a server that keeps only its last start (Ollama, one slot) but not for one that
keeps earlier starts in memory (a recent llama.cpp, as ../shared/llm serves).

    eval "$(../shared/llm/start.sh)"
    .venv/bin/python -m bench first_answer \
        --restart 'bash ../shared/llm/stop.sh; bash ../shared/llm/start.sh >/dev/null'  # ~15 min

Writes bench/results/first_answer.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import md_table, quiet_logs, write_results

GOLDEN = Path(__file__).resolve().parent / "golden" / "demo.jsonl"
# Questions from the demo golden set, one per situation (the answer cache must not serve).
QUESTION_IDS = ("d01", "d03", "d05", "d07")
FILLER = "You are a helpful assistant that writes haiku about the sea.\n" + (
    "A line about waves, salt, gulls and the long grey horizon.\n" * 40
)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench first_answer", description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="demo orders (default 2000)")
    parser.add_argument(
        "--login-s", type=float, default=15.0, help="seconds from start to the question"
    )
    parser.add_argument("--restart", help="shell command that restarts the model server")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str]) -> None:
    args = parse(argv)
    quiet_logs()
    with tempfile.TemporaryDirectory(prefix="kk-first-answer-") as tmp:
        data = run(args, Path(tmp))
    write_results("first_answer", data, render(data))


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from auth import roles
    from backend.config import get_settings
    from backend.domain import AccessPolicy, Actor
    from backend.warm_up import start_warm_up, warm_up_roles
    from demo_data import build_demo_database
    from wiring.services import build_services, index_database

    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    build_demo_database(url, orders=args.orders)
    settings = get_settings().model_copy(update={"qdrant_path": str(tmp / "qdrant")})
    services = build_services(settings, database_url=url)
    index_database(services)
    engine = services.engine
    analyst = Actor(
        "bench-analyst",
        roles.ANALYST,
        AccessPolicy(denied_columns=frozenset({("employees", "salary")})),
    )
    # The app's default policies: the analyst's start differs, admins and managers share
    # one. Analysts are most of the users: listed first, as the app lists them.
    actors = [analyst] + [Actor(f"warm-up:{r}", r) for r in (roles.ADMIN, roles.MANAGER)]
    questions = _questions()
    prompt = engine.warm_up_prompt(analyst)
    rows: list[dict[str, Any]] = []

    def ask(situation: str, question: str, extra: dict[str, Any] | None = None) -> None:
        started = time.perf_counter()
        answer = engine.ask(question, analyst)
        seconds = time.perf_counter() - started
        assert not answer.cached, "the answer cache served a benchmark question"
        rows.append(
            {
                "situation": situation,
                "question": question,
                "ok": answer.ok,
                "seconds": round(seconds, 1),
                **(extra or {}),
            }
        )
        print(f"{situation}: {seconds:.1f} s ({'ok' if answer.ok else answer.error})", flush=True)

    def cold() -> None:
        if args.restart:
            subprocess.run(args.restart, shell=True, check=True)
        else:
            _evict(services)

    cold()
    ask("cold", questions[0])

    cold()
    started = time.perf_counter()
    warming = start_warm_up(engine, actors, services.activity)
    time.sleep(args.login_s)
    ask("during start-up warm-up", questions[1], {"asked_after_s": args.login_s})
    warming.join()
    rows[-1]["warm_up_s"] = round(time.perf_counter() - started, 1)

    cold()
    started = time.perf_counter()
    warmed = warm_up_roles(engine, actors)
    warm_up_s = round(time.perf_counter() - started, 1)
    ask("after start-up warm-up", questions[2], {"warm_up_s": warm_up_s, "starts": warmed})

    ask("warm (next question)", questions[3])
    services.close()
    return {
        "model": settings.ollama_model,
        "database": f"demo SQLite, {args.orders} orders",
        "prompt_start_tokens_estimate": _tokens(prompt),
        "ollama_parallel": settings.ollama_parallel,
        "ollama_timeout_s": settings.ollama_timeout_s,
        "made_cold_by": "restart" if args.restart else "an unrelated prompt",
        "rows": rows,
    }


def _questions() -> list[str]:
    entries = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    by_id = {entry["id"]: entry["question"] for entry in entries if entry}
    return [by_id[i] for i in QUESTION_IDS]


def _evict(services: Any) -> None:
    """Have the server read an unrelated prompt: its one cached start is then that one."""
    services.chat_model.prefill([("system", FILLER), ("user", "Write one.")])


def _tokens(prompt: Sequence[tuple[str, str]] | None) -> int | None:
    from backend.prompts import estimate_tokens

    return estimate_tokens(prompt[0][1]) if prompt else None


def render(data: dict[str, Any]) -> str:
    rows = [
        [
            r["situation"],
            f"{r['seconds']:.1f}",
            "yes" if r["ok"] else "no",
            f"{r['warm_up_s']:.1f}" if "warm_up_s" in r else "",
            f"{r['asked_after_s']:.0f}" if "asked_after_s" in r else "",
        ]
        for r in data["rows"]
    ]
    return "\n".join(
        [
            "# Seconds to the first answer after a start",
            "",
            f"Model `{data['model']}` on this machine's 2 cores; {data['database']}; the analyst's "
            f"prompt start ≈ {data['prompt_start_tokens_estimate']} tokens (estimate); "
            f"OLLAMA_PARALLEL={data['ollama_parallel']}, OLLAMA_TIMEOUT_S="
            f"{data['ollama_timeout_s']:g}.",
            "",
            md_table(
                ["situation", "seconds to the answer", "answered", "warm-up s", "asked after s"],
                rows,
            ),
            "",
            f"Cold: the model server had just been made cold ({data['made_cold_by']}). During "
            "start-up warm-up: the app began warming every role's start (the analyst's first) "
            "and the question came in while it ran; its seconds include the wait. After: the "
            "warm-up had finished.",
        ]
    )
