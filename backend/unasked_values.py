"""Values a query filters on that nobody asked for: a sign the model invented a condition.

A small model adds filters the question never set — `award_year = '2019'` to "which
clerk won the most awards", `lang = 'Finnish'` to "the floor area of the northern
stores" — and the result, though it runs, answers another question. A value a column is
compared with in WHERE, HAVING, QUALIFY or a join's ON is *asked* when the question, or
what the prompt told the model beside it (business notes, examples, the conversation so
far), says it: the text itself as a word or phrase (a LIKE pattern's text; a plural for a
singular; accents aside), the number in digits (also 1.500 and 1,500), words or with a
scale ("2.5 million"), a percentage as a fraction, a date or year whose year is named (or
the year before, for an exclusive upper bound). Any date or year counts as asked when
the question names a period counted from today or a month; a month, quarter, week, day
or hour number always does (a date part, read off the calendar). Otherwise the value is
*unasked*, and the answer is put in doubt (`backend.candidates`): more queries are drawn
and the data decides.

Never judged: text values of a question not in English (the model rightly translates
"Alemania" to the stored 'Germany'); 0 and 1, yes/no flags ('Y', 'true') and one-letter
codes ('A' for active: a legacy schema's status); values in the SELECT list (CASE
buckets are the answer's shape, not a filter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from backend.dialects import sqlglot_dialect
from backend.i18n.detect import detect_language
from backend.prompts import names_relative_period

_COMPARISONS = (
    exp.EQ,
    exp.NEQ,
    exp.NullSafeEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Like,
    exp.ILike,
    exp.RegexpLike,
)
_FILTERS = (exp.Where, exp.Having, exp.Qualify, exp.Join)
_YEAR_PARTS = (exp.Year,)
_CALENDAR_PARTS = (
    exp.Month,
    exp.Quarter,
    exp.Week,
    exp.WeekOfYear,
    exp.YearOfWeek,
    exp.Day,
    exp.DayOfMonth,
    exp.DayOfWeek,
    exp.DayOfWeekIso,
    exp.DayOfYear,
    exp.Hour,
    exp.Minute,
)
_FLAGS = frozenset({"y", "n", "yes", "no", "true", "false", "t", "f", "si", "sí"})
# Digits: 1500, 1,500, 1.500, 2.5, 1.500,50; a letter before is fine ("Q3", "FY2024").
_NUMBER = re.compile(r"(?<![\d.,])\d{1,15}(?:[.,]\d{1,15})*")
_SCALED = re.compile(
    r"(\d{1,15}(?:[.,]\d{1,15})?|[a-záéíóúñ]+)\s*"
    r"(thousand|million|billion|mil|mill[oó]n(?:es)?|k|m|bn)\b",
    re.IGNORECASE,
)
_SCALES = {"thousand": 1e3, "k": 1e3, "mil": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9}
_DATE = re.compile(r"^(\d{4})(?:-\d{1,2}(?:-\d{1,2})?)?(?:[ T][\d:.]+)?$")
_WORD = re.compile(r"[^\W_]+")
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "dozen": 12, "twice": 2, "once": 1, "single": 1, "double": 2, "triple": 3, "half": 50,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "tenth": 10,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "veinte": 20, "treinta": 30,
    "cincuenta": 50, "cien": 100, "mitad": 50, "primer": 1, "primero": 1, "segundo": 2,
    "tercer": 3, "tercero": 3, "cuarto": 4, "quinto": 5,
    **{month: number % 12 + 1 for number, month in enumerate(_MONTHS)},
}  # fmt: skip


def unasked_values(sql: str, *, question: str, context: str, dialect: str) -> tuple[str, ...]:
    """The values `sql` filters columns on that neither `question` nor `context` says."""
    try:
        tree = sqlglot.parse_one(sql, read=sqlglot_dialect(dialect))
    except (SqlglotError, RecursionError, ValueError):
        return ()
    if tree is None:
        return ()
    said = _Said(question, context)
    found: list[str] = []
    for subject, literal in _compared_literals(tree):
        value = literal.this
        if value not in found and not said.asks(subject, literal):
            found.append(value)
    return tuple(found)


class _Said:
    """What the question and its context say, read once for every value."""

    def __init__(self, question: str, context: str) -> None:
        text = f"{question}\n{context}"
        self.lowered = _folded(text)
        self.numbers = _numbers(text)
        self.texts = detect_language(question) == "en"
        self.any_date = names_relative_period(question) or any(
            month in _WORD.findall(question.lower()) for month in _MONTHS
        )
        self._stems: set[str] | None = None

    def asks(self, subject: exp.Expr, literal: exp.Literal) -> bool:
        value = literal.this
        if isinstance(subject, _CALENDAR_PARTS) or _extracts(subject, calendar=True):
            return True
        if isinstance(subject, _YEAR_PARTS) or _extracts(subject, calendar=False):
            return self._date(value) is not False
        date = self._date(value) if literal.is_string else None
        if date is not None:
            return date
        if not literal.is_string:
            return self._number(value)
        code = value.strip().lower()
        return not self.texts or code in _FLAGS or len(code) == 1 or self._text(value)

    def _date(self, value: str) -> bool | None:
        """Whether a date or year is asked for; None when `value` is neither."""
        match = _DATE.match(value.strip())
        if match is None:
            return None
        year = float(match.group(1))
        return self.any_date or year in self.numbers or year - 1 in self.numbers

    def _number(self, value: str) -> bool:
        try:
            number = float(value)
        except ValueError:
            return True  # not a number after all: nothing to judge
        if number in (0.0, 1.0) or number in self.numbers:
            return True
        return any(abs(number * 100 - n) < 1e-9 for n in self.numbers)  # 0.25 for "25%"

    def _text(self, value: str) -> bool:
        """Every word of the value said: the phrase as written, or each word's stem."""
        folded = _folded(value)
        words = _WORD.findall(folded)
        if not words:
            return True
        phrase = r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words) + r"(?!\w)"
        if re.search(phrase, self.lowered):
            return True
        if self._stems is None:
            self._stems = {s for w in _WORD.findall(self.lowered) for s in _stems(w)}
        return all(_stems(word) & self._stems for word in words)


def _compared_literals(tree: exp.Expr) -> Iterator[tuple[exp.Expr, exp.Literal]]:
    """Each literal a column expression is compared with in a filter, with that expression."""
    for node in tree.find_all(*_COMPARISONS, exp.In, exp.Between):
        if node.find_ancestor(*_FILTERS) is None:
            continue
        if isinstance(node, exp.In):
            subject, values = node.this, list(node.expressions)
        elif isinstance(node, exp.Between):
            subject, values = node.this, [node.args.get("low"), node.args.get("high")]
        else:
            left, right = node.this, node.expression
            subject, values = (left, [right]) if _literal(right) else (right, [left])
        subject = _unwrapped(subject)
        if subject is None or subject.find(exp.Column) is None:
            continue
        for value in values:
            literal = _literal(value)
            if literal is not None:
                yield subject, literal


def _unwrapped(node: exp.Expr | None) -> exp.Expr | None:
    """The expression under casts and the date conversions a dialect adds."""
    while isinstance(node, (exp.Cast, exp.TryCast, exp.TsOrDsToDate, exp.TsOrDsToTimestamp)):
        node = node.this
    return node


def _literal(node: exp.Expr | None) -> exp.Literal | None:
    """`node` as a literal: also under a cast (`DATE '2021-01-01'`) or a minus sign."""
    while isinstance(node, (exp.Cast, exp.TryCast, exp.Neg, exp.Paren)):
        node = node.this
    return node if isinstance(node, exp.Literal) else None


def _extracts(subject: exp.Expr, *, calendar: bool) -> bool:
    """EXTRACT(YEAR FROM d) (`calendar` False), or of another date part (True)."""
    if not isinstance(subject, exp.Extract):
        return False
    part = subject.this.name.upper() if subject.this is not None else ""
    return (part != "YEAR") if calendar else part == "YEAR"


def _numbers(text: str) -> set[float]:
    found: set[float] = set()
    for match in _NUMBER.findall(text):
        readings = [match.replace(",", ""), match.replace(",", ".")]
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", match):  # 1.500,50 (Spanish)
            readings.append(match.replace(".", "").replace(",", "."))
        readings += match.split(",")  # a list: 1001,1002,1003
        for reading in readings:
            try:
                found.add(float(reading))
            except ValueError:
                continue
    lowered = text.lower()
    for word in _WORD.findall(lowered):
        if word in _WORDS:
            found.add(float(_WORDS[word]))
    for count, scale in _SCALED.findall(lowered):  # "a million", "2.5 million", "ten thousand"
        if count[0].isdigit():
            base = float(count.replace(",", "."))
        else:
            base = float(_WORDS.get(count, 1 if count in ("a", "an", "un", "one") else 0))
        if base:
            unit = scale.lower()
            found.add(base * _SCALES.get(unit, 1e6 if unit.startswith("mill") else 1e9))
    return found


def _folded(text: str) -> str:
    """Lower case without accents: 'Café' is said by "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stems(word: str) -> set[str]:
    """The word and its singulars ('watches' → watch, 'categories' → category)."""
    stems = {word}
    for ending, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stems.add(word[: -len(ending)] + replacement)
    return stems
