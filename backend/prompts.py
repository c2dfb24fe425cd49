"""Prompts for the SQL-writing model, laid out from most stable to least.

Ollama (llama.cpp underneath) reuses the cached prefix of a prompt that starts like the
previous one, so the order is: fixed instructions and dialect notes, then the schema in a
deterministic order, then examples and notes, then the conversation, and the question
last. Everything must fit a token budget below `num_ctx`; the lowest-ranked context is
dropped first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from backend.domain import Example, Note, Turn

PROMPT_VERSION = "sql-v3"
_DIGIT = re.compile(r"\d")
_PUNCTUATION = re.compile(r"[^\w\s]")

_DIALECT_NOTES = {
    "mysql": (
        "MySQL/MariaDB: quote identifiers with backticks only when needed; dates with "
        "YEAR(d), MONTH(d), QUARTER(d), DATE_FORMAT(d, '%Y-%m'), CURDATE(), "
        "DATE_SUB(CURDATE(), INTERVAL 3 MONTH); use LIMIT n for top-N."
    ),
    "postgresql": (
        "PostgreSQL: dates with date_trunc('month', d), EXTRACT(YEAR FROM d), "
        "to_char(d, 'YYYY-MM'), CURRENT_DATE - INTERVAL '3 months'; ILIKE for "
        "case-insensitive text; || joins strings; double-quote mixed-case names "
        '("OrderDate"); booleans are true/false; use LIMIT n for top-N.'
    ),
    "sqlite": (
        "SQLite: dates are text 'YYYY-MM-DD'; use strftime('%Y', d), strftime('%m', d), "
        "date('now', '-3 months'); use LIMIT n for top-N."
    ),
}

SYSTEM_TEMPLATE = """You write one SQL query that answers a business question.
Rules:
- Only a single read-only SELECT (WITH ... SELECT allowed). Never modify data.
- Use only the tables and columns in the schema below; join on the FOREIGN KEY lines.
- Give columns readable aliases (e.g. total_revenue). Prefer aggregates over raw rows.
- Answer with the SQL in one ```sql fenced block and nothing else.
Dialect: {dialect_notes}"""

# In the fixed system part, so it costs no cached prefix; the reply is validated
# (`backend.charts.validate_spec`), never executed.
CHART_RULE = (
    "\nAfter the SQL block you may add one ```json block proposing a chart of the result: "
    '{"kind": "kpi|line|bar|donut|scatter|histogram|table", "x": "column", "y": "column", '
    '"color": "column or null"}, using the query\'s column aliases.'
)

# Last in the prompt, next to the question, so it never breaks the cached prefix.
_LANGUAGE_NOTES = {
    "es": (
        "The question is in Spanish; table and column names may be in English. Match by "
        "meaning (ventas → sales, cliente → customer) and compare text columns with values "
        "as the schema shows them (a country may be stored in English)."
    ),
}

TODAY_TEMPLATE = (
    "Today is {today} ({weekday}). Unless a business note says otherwise, write relative "
    "periods (last month, this year) as literal date ranges counted from today."
)

# Told only when the question asks for ties: as a rule for every question, the 1.5B model
# turned plain "the most …" questions into subqueries (label rejected_rules).
TIES_NOTE = (
    "The question asks to keep ties: do not cut the ranking with LIMIT; return every row "
    "equal to the best, e.g. WHERE x = (SELECT MAX(x) FROM ...)."
)

RETRY_TEMPLATE = (
    "That query failed: {error}\n"
    "Write a corrected query for the same question. Answer with one ```sql block."
)


@dataclass(frozen=True)
class PromptParts:
    """What goes into a prompt; examples, notes and turns ordered best first."""

    dialect: str
    # In the order given: the caller puts the start many prompts share first (the whole
    # schema by name; retrieved tables as `backend.example_tables.cache_order` says).
    schema_blocks: Sequence[str]
    # Each block's place in the ranking (0 = most relevant): when the prompt is too long,
    # the lowest-ranked block is left out first. Empty: the last block first.
    schema_ranks: Sequence[int] = ()
    examples: Sequence[Example] = ()
    notes: Sequence[Note] = ()
    conversation: Sequence[Turn] = ()
    question: str = ""
    # The question's language ('en'/'es'); a non-English one gets a line just before it.
    question_language: str = "en"
    chart_suggestions: bool = False
    # The database's whole set of notes and examples, in a fixed order, sent after the
    # schema in the system message: the same for every question, so the model server's
    # prompt cache serves them with the schema. Per-question `examples`/`notes` are then
    # usually empty.
    stable_notes: Sequence[Note] = ()
    stable_examples: Sequence[Example] = ()
    # Foreign-key paths between retrieved tables that are not directly linked (one a line).
    join_paths: Sequence[str] = ()
    # Today's date, for "last quarter" or "this year": told only to a question that names
    # a relative period, next to it (it changes daily; the cached system message must not).
    today: dt.date | None = None


@dataclass(frozen=True)
class BuiltPrompt:
    messages: tuple[tuple[str, str], ...]
    estimated_tokens: int
    dropped: tuple[str, ...]


def estimate_tokens(text: str) -> int:
    """A cheap, conservative token estimate, calibrated on the Qwen2.5 tokenizer.

    Qwen writes each digit as a token and most punctuation as one; words run about four
    characters a token. Measured on 308 texts (DDL of synthetic, demo and Spider tables,
    questions, examples, notes): 1.14× the real count overall, below it for 5. Characters
    / 3, used before, undercounted DDL full of numbered sample values by up to a third.
    """
    digits = len(_DIGIT.findall(text))
    punctuation = len(_PUNCTUATION.findall(text))
    words = len(text) - digits - punctuation
    return math.ceil(words / 4 + digits + 0.8 * punctuation) + 1


def template_hash() -> str:
    """Identifies the prompt wording in evaluation runs."""
    text = (
        PROMPT_VERSION
        + SYSTEM_TEMPLATE
        + RETRY_TEMPLATE
        + TODAY_TEMPLATE
        + TIES_NOTE
        + "".join(_DIALECT_NOTES.values())
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_prompt(parts: PromptParts, *, budget_tokens: int) -> BuiltPrompt:
    """Messages for the model, trimmed to `budget_tokens` (the last notes, then examples,
    then earlier turns, then the lowest-ranked tables are left out first)."""
    schema = list(parts.schema_blocks)
    ranks = list(parts.schema_ranks) or list(range(len(schema)))
    examples, notes = list(parts.examples), list(parts.notes)
    turns = list(parts.conversation)[-2:]
    dropped: list[str] = []
    while True:
        messages = _render(parts, schema, examples, notes, turns)
        size = sum(estimate_tokens(content) for _, content in messages)
        if size <= budget_tokens:
            return BuiltPrompt(messages, size, tuple(dropped))
        if notes:
            dropped.append("note")
            notes.pop()
        elif examples:
            dropped.append("example")
            examples.pop()
        elif len(turns) > 1:
            dropped.append("turn")
            turns.pop(0)
        elif len(schema) > 1:
            dropped.append("table")
            lowest = ranks.index(max(ranks))
            del schema[lowest], ranks[lowest]
        else:
            return BuiltPrompt(messages, size, tuple(dropped))


def _render(
    parts: PromptParts,
    schema: Sequence[str],
    examples: Sequence[Example],
    notes: Sequence[Note],
    turns: Sequence[Turn],
) -> tuple[tuple[str, str], ...]:
    notes_text = _DIALECT_NOTES.get(parts.dialect, _DIALECT_NOTES["mysql"])
    system = SYSTEM_TEMPLATE.format(dialect_notes=notes_text)
    if parts.chart_suggestions:
        system += CHART_RULE
    system += "\n\nSchema:\n" + "\n\n".join(schema)
    if parts.stable_notes:
        system += "\n\n" + _notes_block(parts.stable_notes)
    if parts.stable_examples:
        system += "\n\n" + _examples_block(parts.stable_examples)
    context = []
    if examples:
        context.append(_examples_block(examples))
    if notes:
        context.append(_notes_block(notes))
    if turns:
        earlier = "\n\n".join(
            f"Earlier question: {t.question}\nIts SQL:\n```sql\n{t.sql or '-- none'}\n```"
            for t in turns
        )
        context.append("This question may follow up on the conversation so far:\n" + earlier)
    if parts.join_paths:
        paths = "\n".join(f"- {path}" for path in parts.join_paths)
        context.append(f"Join paths between the tables the question needs:\n{paths}")
    note = _LANGUAGE_NOTES.get(parts.question_language)
    if note:
        context.append(note)
    if parts.today is not None and names_relative_period(parts.question):
        context.append(
            TODAY_TEMPLATE.format(today=parts.today.isoformat(), weekday=parts.today.strftime("%A"))
        )
    if asks_for_ties(parts.question):
        context.append(TIES_NOTE)
    context.append(f"Question: {parts.question}")
    return (("system", system), ("user", "\n\n".join(context)))


# Periods counted from today, in English and Spanish. Told to every question, today's
# date made the 1.5B model add "this year" filters to questions that asked for none
# (Spider sample: bench/results/accuracy.md, label rejected_rules).
_RELATIVE_PERIOD = re.compile(
    r"\b(?:today|yesterday|tomorrow|ytd|mtd|qtd|year[- ]to[- ]date|month[- ]to[- ]date"
    r"|(?:this|last|next|previous|past|current|coming)\s+(?:\d+\s+)?"
    r"(?:days?|weeks?|weekend|months?|quarters?|years?|fiscal\s+years?)"
    r"|\d+\s+(?:days|weeks|months|quarters|years)\s+ago"
    r"|hoy|ayer|mañana"
    r"|(?:este|esta|estos|estas)\s+(?:día|semana|mes|trimestre|año)s?"
    r"|(?:día|semana|mes|trimestre|año)s?\s+(?:pasad[oa]s?|anterior(?:es)?|actual"
    r"|en\s+curso|que\s+viene|próxim[oa]s?)"
    r"|(?:últim[oa]s?|próxim[oa]s?|pasad[oa]s?)\s+(?:\d+\s+)?"
    r"(?:días?|semanas?|mes(?:es)?|trimestres?|años?)"
    r"|hace\s+\d+\s+(?:días|semanas|meses|trimestres|años))\b",
    re.IGNORECASE,
)


def names_relative_period(question: str) -> bool:
    """Whether `question` names a period counted from today ("last quarter", "este año")."""
    return _RELATIVE_PERIOD.search(question) is not None


# "Ties broken by name" asks for an order, not for ties kept.
_TIES = re.compile(
    r"\b(?:tied|tying|(?<!break )(?<!breaking )ties?\b(?!\s*-?\s*break)(?!\s+(?:are\s+)?broken)"
    r"|joint(?:ly)?\s+(?:first|top|highest|lowest|best|most)"
    r"|empates?|empatad[oa]s?|empatan?|empaten)\b",
    re.IGNORECASE,
)


def asks_for_ties(question: str) -> bool:
    """Whether `question` asks to keep rows tied for the top ("including ties", "empates")."""
    return _TIES.search(question) is not None


_EXAMPLES_HEAD = "Examples of questions and their SQL:\n"
_NOTES_HEAD = "Business notes:\n"


def _examples_block(examples: Sequence[Example]) -> str:
    shown = "\n\n".join(f"Question: {e.question}\n```sql\n{e.sql}\n```" for e in examples)
    return _EXAMPLES_HEAD + shown


def _notes_block(notes: Sequence[Note]) -> str:
    return _NOTES_HEAD + "\n".join(f"- {n.text}" for n in notes)


def said_beside_question(messages: Sequence[tuple[str, str]]) -> str:
    """What a prompt told the model besides the rules and the schema: the business notes
    and examples (of the cached system message too), the conversation, the question."""
    said: list[str] = []
    for role, content in messages:
        if role != "system":
            said.append(content)
            continue
        starts = [i for head in (_NOTES_HEAD, _EXAMPLES_HEAD) if (i := content.find(head)) >= 0]
        if starts:
            said.append(content[min(starts) :])
    return "\n\n".join(said)


def stable_context_tokens(notes: Sequence[Note], examples: Sequence[Example]) -> int:
    """Estimated tokens the stable notes and examples add to the system message."""
    return (estimate_tokens(_notes_block(notes)) if notes else 0) + (
        estimate_tokens(_examples_block(examples)) if examples else 0
    )


def retry_message(error: str, hint: str | None = None) -> str:
    """The retry turn; an error of several lines (the schema check's facts) as a list."""
    lines = [line for line in error.splitlines() if line.strip()]
    if len(lines) > 1:
        error = "\n" + "\n".join(f"- {line}" for line in lines)
    message = RETRY_TEMPLATE.format(error=error)
    return f"{message}\n{hint}" if hint else message
