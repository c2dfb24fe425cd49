"""HTTP API under load: concurrent clients asking questions, the model scripted.

`keskinube api` runs as its own process (uvicorn, one worker) on the demo database
(SQLite, `--orders` orders), the app database on SQLite and embedded Qdrant in memory,
as a small installation would. The model is the scripted Ollama server, in this process:
it answers each question with its SQL. Each client has its own token and asks distinct
questions (a shipping-cost threshold that never repeats, so the answer cache is looked up
and filled but never hit) in a closed loop: the next question as soon as the answer
arrives. Every answer is stored in the client's conversation and audited, as any API
answer is.

Overhead = the client's wall time per request − the time the server spent in the model
call (the answer's `generate` timing): HTTP, token check and rate limit, retrieval, the
guard, the query, chart, summary, explanation, audit and conversation writes, JSON — and
the wait for the server while it works on the other clients' requests. Three phases:

1. one client, the model answering at once: a request's overhead on an idle server;
2. `--clients` clients, the model answering at once: the server saturated (every client
   always has a request in it), so the overhead is mostly queueing: it shows throughput;
3. `--clients` clients, the model taking `--model-s` seconds per answer on average (half
   to one and a half times that), as a real one does (the README's `first_answer`
   figures: 3.4 to 3.8 s for a warm question with the 1.5B model on this 2-core
   machine): the load that many people asking at once put on the API while the model
   works; the target is judged here.

    python -m bench api_load [--clients 20] [--seconds 60] [--solo-seconds 15] [--model-s 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from auth.services import open_auth
from auth.tokens import TokenStore
from bench.common import md_table, quiet_logs, summarise_ms, write_results
from bench.harness import scratch_dir
from demo_data import build_demo_database
from testkit import scripted_ollama
from testkit.scripted_ollama import ScriptedOllama

TARGET_P95_MS = 200.0
_QUESTION_LINE = re.compile(r"Question: (.+)")  # the prompt's last line (bench.harness)
PASSWORD = "Bench-Password-2024!"
# One question shape per kind of chart: a KPI card, bars, a line over months.
TEMPLATES = [
    (
        "How many orders had a shipping cost above {n}?",
        "SELECT COUNT(*) AS orders FROM orders WHERE shipping_cost > {n}",
    ),
    (
        "Orders by status with a shipping cost above {n}",
        "SELECT status, COUNT(*) AS orders FROM orders WHERE shipping_cost > {n}"
        " GROUP BY status ORDER BY orders DESC",
    ),
    (
        "Orders per month with a shipping cost above {n}",
        "SELECT strftime('%Y-%m', order_date) AS month, COUNT(*) AS orders FROM orders"
        " WHERE shipping_cost > {n} GROUP BY month ORDER BY month",
    ),
]


class Questions:
    """Distinct questions, and the scripted model's answer to each (thread-safe)."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self.sql: dict[str, str] = {}
        self.model_s = 0.0  # how long the scripted model takes to answer
        self.unscripted = 0  # prompts whose question was not found (should stay 0)

    def next(self) -> str:
        with self._lock:
            number = next(self._numbers)
        question, sql = TEMPLATES[number % len(TEMPLATES)]
        threshold = f"{(number % 1500) / 100 + number // 1500 / 1e4:.4f}"
        text = question.format(n=threshold)
        self.sql[text] = sql.format(n=threshold)
        return text

    def answer(self, messages: list[dict[str, Any]]) -> str:
        # Half to one and a half times `model_s`, as a real model's time varies with what
        # it writes; the same time for all would keep the clients in step, in waves.
        time.sleep(self.model_s * random.uniform(0.5, 1.5))
        text = "\n".join(str(message.get("content", "")) for message in messages)
        asked = _QUESTION_LINE.findall(text)
        sql = self.sql.get(asked[-1].strip()) if asked else None
        if sql is None:
            self.unscripted += 1
        return f"```sql\n{sql or 'SELECT 1 AS one'}\n```"


@dataclass
class Sample:
    wall_s: float
    model_s: float
    status: int
    ok: bool
    cached: bool = False


@dataclass
class Phase:
    clients: int
    seconds: float
    model_s: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]
    command += ["api", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"keskinube api exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"keskinube api did not come up: {log.read_text()[-2000:]}")


def client_loop(url: str, token: str, questions: Questions, until: float, phase: Phase) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            question = questions.next()
            started = time.perf_counter()
            try:
                reply = client.post("/v1/ask", json={"question": question})
                wall = time.perf_counter() - started
                body = reply.json()
            except (httpx.HTTPError, ValueError) as exc:
                phase.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            timings = body.get("timings") or {}
            model = float(timings.get("generate", 0.0)) + float(timings.get("select", 0.0))
            ok = reply.status_code == 200 and bool(body.get("ok"))
            if not ok:
                phase.errors.append(f"{reply.status_code}: {str(body)[:200]}")
            cached = bool(body.get("cached"))
            phase.samples.append(Sample(wall, model, reply.status_code, ok, cached))


def run_phase(
    url: str, tokens: list[str], questions: Questions, seconds: float, *, model_s: float = 0.0
) -> Phase:
    questions.model_s = model_s
    phase = Phase(clients=len(tokens), seconds=seconds, model_s=model_s)
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(url, token, questions, until, phase))
        for token in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return phase


def phase_figures(phase: Phase) -> dict[str, Any]:
    counted = [s for s in phase.samples if not s.cached]
    return {
        "clients": phase.clients,
        "seconds": phase.seconds,
        "model_s": phase.model_s,
        "requests": len(phase.samples),
        "requests_per_s": round(len(phase.samples) / phase.seconds, 1),
        "errors": len(phase.errors),
        "error_examples": sorted(set(phase.errors))[:5],
        "cache_hits_excluded": len(phase.samples) - len(counted),
        "overhead": summarise_ms([s.wall_s - s.model_s for s in counted]),
        "wall": summarise_ms([s.wall_s for s in counted]),
        "model": summarise_ms([s.model_s for s in counted]),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    scripted_ollama._Handler.disable_nagle_algorithm = True  # as a real Ollama (see harness)
    questions = Questions()
    with scratch_dir() as scratch, ScriptedOllama(default_reply=questions.answer) as model:
        root = Path(scratch)
        demo, app = f"sqlite:///{root / 'demo.sqlite'}", f"sqlite:///{root / 'app.sqlite'}"
        build_demo_database(demo, orders=args.orders, replace=True)
        auth = open_auth(app, admin_username="admin", admin_password=PASSWORD)
        store = TokenStore(auth.engine, auth.users)
        tokens = []
        for number in range(args.clients):
            username = f"client{number}"
            auth.users.create_user(username, role="analyst", password=PASSWORD)
            tokens.append(store.create(username, "bench").secret)
        auth.close()
        env = {
            **os.environ,
            "KESKINUBE_DATA_DIR": str(root / "data"),
            "DATABASE_URL": demo,
            "APP_DATABASE_URL": app,
            "QDRANT_PATH": ":memory:",
            "OLLAMA_BASE_URL": model.url,
            "OLLAMA_MODEL": model.chat_model,
            "OLLAMA_EMBED_MODEL": model.embed_model,
            "ANSWER_CANDIDATES": "0",
            # The scripted server answers every request at once: no queue before it.
            "OLLAMA_PARALLEL": str(args.clients + 4),
            "API_RATE_LIMIT": "1000000/minute",
        }
        env.pop("QDRANT_URL", None)
        port = _free_port()
        server = start_api(env, port, root / "api.log")
        url = f"http://127.0.0.1:{port}"
        try:
            run_phase(url, tokens[:1], questions, 3)  # warm-up: first imports, first plots
            solo = run_phase(url, tokens[:1], questions, args.solo_seconds)
            saturated = run_phase(url, tokens, questions, args.seconds)
            loaded = run_phase(url, tokens, questions, args.seconds, model_s=args.model_s)
        finally:
            server.terminate()
            server.wait(timeout=30)
        logged = (root / "api.log").read_text(errors="replace").splitlines()
        log_tail = "\n".join(line for line in logged if '" 200 OK' not in line)[-8000:]
    errors = solo.errors or saturated.errors or loaded.errors
    return {
        "orders": args.orders,
        "unscripted_prompts": questions.unscripted,
        "target_p95_ms": TARGET_P95_MS,
        "solo": phase_figures(solo),
        "saturated": phase_figures(saturated),
        "loaded": phase_figures(loaded),
        # What the server logged, when any request failed (its warnings and tracebacks).
        "server_log_tail": log_tail if errors else None,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def markdown(data: dict[str, Any]) -> str:
    clients = data["loaded"]["clients"]
    phases = (
        ("1 client, instant model", "solo"),
        (f"{clients} clients, instant model (saturated)", "saturated"),
        (f"{clients} clients, model {data['loaded']['model_s']:g} s per answer (mean)", "loaded"),
    )
    rows = []
    for label, key in phases:
        phase = data[key]
        rows.append(
            [
                label,
                phase["requests"],
                phase["requests_per_s"],
                phase["errors"],
                phase["overhead"]["p50_ms"],
                phase["overhead"]["p95_ms"],
                phase["wall"]["p50_ms"],
                phase["model"]["p50_ms"],
            ]
        )
    headers = ["phase", "requests", "requests/s", "errors", "overhead p50 ms"]
    headers += ["overhead p95 ms", "wall p50 ms", "model p50 ms"]
    p95 = data["loaded"]["overhead"]["p95_ms"]
    verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
    return (
        "# HTTP API under load (scripted model)\n\n"
        "`keskinube api` (uvicorn, one process) on the demo database (SQLite, "
        f"{data['orders']:,} orders), app database on SQLite, embedded Qdrant in memory; the "
        "scripted Ollama server. Each client has its own token and asks distinct questions "
        "in a closed loop (KPI, bars, a line over months), "
        f"{data['loaded']['seconds']:g} s a phase ({data['solo']['seconds']:g} s alone); "
        "every answer is stored in a conversation and audited. Overhead = client wall time "
        "− the server's model time, so it includes waiting behind the other clients' "
        "requests: with an instant model the server is saturated and the overhead is mostly "
        "that queue (see the requests/s); with a model that takes as long as a real one, "
        "the clients wait on the model and the overhead is the API's own. Absolute times "
        "depend on the machine's load (see the JSON's `load_average_1_5_15`).\n\n"
        f"{md_table(headers, rows)}\n\n"
        f"Target: p95 overhead ≤ {TARGET_P95_MS:.0f} ms with {clients} clients — {verdict} "
        f"({p95} ms, model {data['loaded']['model_s']:g} s per answer).\n"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench api_load")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--solo-seconds", type=float, default=15.0)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--model-s", type=float, default=3.0, help="model time, phase 3")
    args = parser.parse_args(argv)
    quiet_logs()
    started = time.perf_counter()
    data = run(args)
    data["total_seconds"] = round(time.perf_counter() - started, 1)
    write_results("api_load", data, markdown(data))
