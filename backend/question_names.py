"""The names a database would most likely give the things a question is about.

Users ask in their own words ("clients", "delivery firms", "staff"), which often are not
the schema's; on a big schema a look-alike table that happens to use the user's word
outranks the right one. Before retrieval in retrieve mode, the model lists each thing
the question is about with the names a database designer would give it ("clients:
clients, customers, buyers"), and those names widen the search (issue 15). Each line is
also one *thing* the question is about, searched on its own (`parse_things`,
`backend.thing_tables`), so that a thing the question names once is not drowned by the
words of another. The model knows what such things are usually called; nothing here knows
any particular schema: the one worked example is of a made-up hospital.

Measured on the scale benchmark (`python -m bench scale`, 66 business-word questions over
the demo among 734 distractor tables), this lifted recall@5 in hybrid and sparse-only
search alike (see the README, "Hundreds of tables"). Pure functions: the engine asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Messages = tuple[tuple[str, str], ...]

NAMES_SYSTEM = """A business user asks a question about a company database. List what the \
question is about: each thing (a kind of record, or a property of one) on its own line, as \
"user's word: name1, name2, name3", the names a database designer would most likely give it \
in English (tables as plural nouns). No SQL, no explanation."""

# A made-up domain, so that the example's words lead no real question anywhere.
_EXAMPLE_QUESTION = "How many patients did each ward admit last winter?"
_EXAMPLE_ANSWER = """patients: patients, persons, people
ward: wards, departments, units
admit: admissions, stays, visits
last winter: admission_date, dates"""

# Enough for a question about five or six things; a rambling reply adds only noise.
MAX_NAMES = 24
# Each thing is one more search: a question is rarely about more.
MAX_THINGS = 6
_MAX_NAME_CHARS = 40
_NAME = re.compile(r"[^\W\d_][\w' -]*", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class QuestionNames:
    """What the model says a question is about: every name (`parse_names`), and one search
    text per thing (`parse_things`)."""

    names: tuple[str, ...] = ()
    things: tuple[str, ...] = ()

    @classmethod
    def of(cls, reply: str) -> QuestionNames:
        return cls(tuple(parse_names(reply)), tuple(parse_things(reply)))


def names_messages(question: str) -> Messages:
    """The request: fixed instructions and example first (one cached start), then the
    question."""
    return (
        ("system", NAMES_SYSTEM),
        ("user", _EXAMPLE_QUESTION),
        ("assistant", _EXAMPLE_ANSWER),
        ("user", question.strip()),
    )


def parse_names(reply: str) -> list[str]:
    """The names of `reply`'s "word: name, name" lines, in order, each once, as words
    ("order_items" → "order items"), at most `MAX_NAMES`.

    A line without a colon is a small model's prose, not a list: ignored. The user's own
    word (before the colon) is left out: the question already says it.
    """
    names: list[str] = []
    seen: set[str] = set()
    for line in reply.splitlines():
        if ":" not in line:
            continue
        for part in line.split(":", 1)[1].split(","):
            found = _NAME.search(part.replace("_", " "))
            if found is None:
                continue
            name = " ".join(found.group().split())[:_MAX_NAME_CHARS].strip()
            key = name.lower()
            if name and key not in seen:
                seen.add(key)
                names.append(name)
                if len(names) == MAX_NAMES:
                    return names
    return names


def parse_things(reply: str) -> list[str]:
    """One search text per thing of `reply` (its "word: name, name" lines, in order, at
    most `MAX_THINGS`): the user's word, then the names it did not already say. A line
    that names nothing is no thing."""
    things: list[str] = []
    for line in reply.splitlines():
        word, colon, _ = line.partition(":")
        names = parse_names(line)
        if not colon or not names:
            continue
        # The user's word as words: a small model may dress it up ("- **clients**").
        text = widened(" ".join(_WORD.findall(word)), names).strip()
        if text and text not in things:
            things.append(text)
            if len(things) == MAX_THINGS:
                break
    return things


def widened(question: str, names: list[str]) -> str:
    """The search text: the question, then the names it did not already say."""
    said = question.lower()
    extra = [name for name in names if name.lower() not in said]
    return f"{question.strip()}\n{', '.join(extra)}" if extra else question.strip()
