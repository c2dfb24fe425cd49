"""Values a query filters on that nobody asked for: a sign the model invented a condition.

A small model adds filters the question never set — `award_year = '2019'` to "which
clerk won the most awards", `lang = 'Finnish'` to "the floor area of the northern
stores" — and the result, though it runs, answers another question. A value compared
with a column is *asked* when the question, or what the prompt told the model beside it
(business notes, examples, the conversation so far), says it: the text itself (a LIKE
pattern's text; a plural for a singular), the number in digits or in words, a
percentage as a fraction, a date whose year is named (or the year before, for an
exclusive upper bound), or any date when the question names a period counted from today.
Otherwise it is *unasked*, and the answer is put in doubt (`backend.candidates`): more
queries are drawn and the data decides.

Text values of a question not in English are not judged (the model rightly translates
"Alemania" to the stored 'Germany'); 0 and 1 never are (flags, "more than none").
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from backend.dialects import sqlglot_dialect
from backend.i18n.detect import detect_language
from backend.prompts import names_relative_period

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*")
_SCALED = re.compile(
    r"(\d+(?:[.,]\d+)?|\ba|\bun)\s*(thousand|million|billion|mil|mill[oó]n(?:es)?|k|m|bn)\b",
    re.IGNORECASE,
)
_SCALES = {"thousand": 1e3, "k": 1e3, "mil": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9}
_DATE = re.compile(r"^(\d{4})(?:-\d{1,2}(?:-\d{1,2})?)?(?:[ T][\d:.]+)?$")
_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100, "dozen": 12,
    "twice": 2, "once": 1, "single": 1, "double": 2, "triple": 3, "half": 50,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "veinte": 20, "cien": 100,
}  # fmt: skip


def unasked_values(sql: str, *, question: str, context: str, dialect: str) -> tuple[str, ...]:
    """The values `sql` compares columns with that neither `question` nor `context` says."""
    try:
        tree = sqlglot.parse_one(sql, read=sqlglot_dialect(dialect))
    except (SqlglotError, RecursionError, ValueError):
        return ()
    if tree is None:
        return ()
    said = f"{question}\n{context}"
    lowered = said.lower()
    numbers = _numbers(said)
    texts = detect_language(question) == "en"
    relative = names_relative_period(question)
    found: list[str] = []
    for literal in _compared_literals(tree):
        value = literal.this
        if literal.is_string:
            asked = _date_asked(value, numbers, relative)
            if asked is None:
                asked = not texts or _text_asked(value, lowered)
        else:
            asked = _number_asked(value, numbers)
        if not asked and value not in found:
            found.append(value)
    return tuple(found)


def _compared_literals(tree: exp.Expr) -> list[exp.Literal]:
    """Literals a column is compared with (=, <>, <, LIKE, IN, BETWEEN)."""
    found: list[exp.Literal] = []
    for node in tree.find_all(*_COMPARISONS, exp.In, exp.Between):
        if isinstance(node, exp.In):
            subject, values = node.this, list(node.expressions)
        elif isinstance(node, exp.Between):
            subject, values = node.this, [node.args.get("low"), node.args.get("high")]
        else:
            left, right = node.this, node.expression
            subject, values = (left, [right]) if _literal(right) else (right, [left])
        if subject is None or subject.find(exp.Column) is None:
            continue
        found += [v for v in values if _literal(v)]
    return found


def _literal(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Literal)


def _numbers(text: str) -> set[float]:
    found: set[float] = set()
    for match in _NUMBER.findall(text):
        for reading in (match.replace(",", ""), match.replace(",", ".")):
            try:
                found.add(float(reading))
            except ValueError:
                continue
    for word in re.findall(r"[a-záéíóúñ]+", text.lower()):
        if word in _WORDS:
            found.add(float(_WORDS[word]))
    for count, scale in _SCALED.findall(text):  # "a million", "2.5 million", "30k"
        base = 1.0 if count.lower() in ("a", "un") else float(count.replace(",", "."))
        unit = scale.lower()
        found.add(base * _SCALES.get(unit, 1e6 if unit.startswith("mill") else 1e9))
    return found


def _number_asked(value: str, numbers: set[float]) -> bool:
    try:
        number = float(value)
    except ValueError:
        return True  # not a number after all: nothing to judge
    if number in (0.0, 1.0) or number in numbers:
        return True
    return any(abs(number * 100 - n) < 1e-9 for n in numbers)  # 0.25 for "25%"


def _date_asked(value: str, numbers: set[float], relative: bool) -> bool | None:
    """Whether a date value is asked for; None when `value` is no date."""
    match = _DATE.match(value.strip())
    if match is None:
        return None
    if relative:
        return True
    year = float(match.group(1))
    return year in numbers or year - 1 in numbers


def _text_asked(value: str, lowered: str) -> bool:
    """Whether every word of a text value is said, as written or as its singular
    ('Laptops' for "laptop model")."""
    words = _WORD.findall(value.lower())
    if not words:
        return True
    if value.strip("%_ ").lower() in lowered:
        return True
    said = {_stem(word) for word in _WORD.findall(lowered)}
    return all(_stem(word) in said for word in words)


_WORD = re.compile(r"[^\W_]+")


def _stem(word: str) -> str:
    for ending, replacement in (("ies", "y"), ("ses", "s"), ("es", "e"), ("s", "")):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            return word[: -len(ending)] + replacement
    return word
