"""`explain_sql`: one plain sentence saying what a query computed, read from its parse tree.

    SELECT c.country, SUM(o.total) FROM orders o JOIN customers c ON ...
    WHERE o.order_date >= '2023-01-01' AND o.order_date < '2024-01-01' GROUP BY c.country
    → "The sum of orders.total from orders joined with customers, where orders.order_date
       is from 2023-01-01 to 2023-12-31, by customers.country."

Written from the SQL that ran, never by the model, so that a business user can catch a
wrong answer (units summed instead of revenue, the wrong year, a missing filter) without
reading SQL. Only the outer query is described; a condition the sentence has no words
for is quoted as SQL rather than guessed at. The sentence is a catalogue `Message`
(domain "explain"), shown in the reader's language; dates are ISO and table and column
names the schema's own, so nothing is lost in translation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from contextvars import ContextVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from backend.dialects import sqlglot_dialect
from backend.i18n.message import Message

# The dialect SQL quoted in the sentence is written in: the query's own, not sqlglot's.
_QUOTING_DIALECT: ContextVar[Dialect | str] = ContextVar("explain_dialect", default="mysql")
MAX_CONDITIONS = 4
MAX_QUOTED = 80
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_AGGREGATES: dict[type[exp.Expr], str] = {
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
}
# Grouping by a date cut to its first N characters ('2024-03-15' → '2024-03'): the period.
_PREFIX_PERIODS = {4: "year", 7: "month", 10: "day"}
# Date formats (as sqlglot normalises MySQL's DATE_FORMAT, SQLite's STRFTIME and
# PostgreSQL's TO_CHAR), separators removed: the period a value of that format names.
_FORMAT_PERIODS = {
    "%Y": "year",
    "%Y%m": "month",
    "%Y%m%d": "day",
    "%m": "month_number",
    "%G%V": "week",
    "%G%v": "week",
    "%Y%W": "week",
    "%Y%U": "week",
    "%Y%V": "week",
    "%Y%u": "week",
}
_FUNCTION_PERIODS: dict[type[exp.Expr], str] = {
    exp.Year: "year",
    exp.Quarter: "quarter",
    exp.Month: "month_number",
    exp.Week: "week",
    exp.Dayname: "weekday",
}
_UNIT_PERIODS = {
    "YEAR": "year",
    "QUARTER": "quarter",
    "MONTH": "month",
    "YEAR_MONTH": "month",
    "WEEK": "week",
    "DAY": "day",
}
_COMPARISONS: dict[type[exp.Expr], str] = {
    exp.EQ: "eq",
    exp.NEQ: "neq",
    exp.GT: "gt",
    exp.GTE: "gte",
    exp.LT: "lt",
    exp.LTE: "lte",
}


def explain_sql(sql: str, dialect: str) -> Message | None:
    """What `sql` computed, as one sentence; None when it is not a plain SELECT."""
    try:
        trees = sqlglot_dialect(dialect).parse(sql)
    except (SqlglotError, ValueError, RecursionError):
        return None
    if len(trees) != 1 or trees[0] is None:
        return None
    tree = trees[0]
    select = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(select, exp.Select) or select.args.get("from_") is None:
        return None
    names = _table_names(select)
    _QUOTING_DIALECT.set(sqlglot_dialect(dialect))
    parts = {
        "measure": _list(_measures(select, names)),
        "source": _source(select, names),
        "filters": _filters(select, names),
        "grouping": _grouping(select, names),
        "ordering": _ordering(select, names),
    }
    return Message.of("explain.sentence", **parts)


def _table_names(select: exp.Select) -> dict[str, str]:
    """Alias (and name) → table name, for the outer query's own tables."""
    found: dict[str, str] = {}
    for table in _tables(select):
        found[table.alias_or_name.lower()] = table.name
        found[table.name.lower()] = table.name
    return found


def _tables(select: exp.Select) -> list[exp.Table]:
    found = []
    for source in _sources(select):
        table = _filtered_table(source) if isinstance(source, exp.Subquery) else source
        if isinstance(table, exp.Table):
            alias = source.alias if isinstance(source, exp.Subquery) else ""
            found.append(
                exp.Table(this=table.this, alias=exp.to_identifier(alias)) if alias else table
            )
    return found


def _sources(select: exp.Select) -> list[exp.Expr]:
    return [select.args["from_"].this, *(join.this for join in select.args.get("joins") or [])]


def _filtered_table(source: exp.Subquery) -> exp.Table | None:
    """`(SELECT * FROM orders WHERE …) AS o`, how an access rule reads a table: `orders`."""
    inner = source.this
    if (
        isinstance(inner, exp.Select)
        and len(inner.expressions) == 1
        and isinstance(inner.expressions[0], exp.Star)
        and not inner.args.get("joins")
        and isinstance(inner.args["from_"].this, exp.Table)
    ):
        return inner.args["from_"].this
    return None


def _column(node: exp.Expr, names: dict[str, str]) -> str:
    while (
        isinstance(node, (exp.Cast, exp.TsOrDsToDate, exp.TsOrDsToTimestamp, exp.Paren))
        and node.this is not None
    ):
        node = node.this  # YEAR(d) is read as YEAR(CAST(d AS DATE)): name the column
    if isinstance(node, exp.Column):
        table = names.get(node.table.lower(), node.table) if node.table else ""
        if not table and len(set(names.values())) == 1:
            table = next(iter(names.values()))
        return f"{table}.{node.name}" if table else node.name
    return _quoted(node)


def _label(node: exp.Expr, names: dict[str, str]) -> Message | str:
    """A grouping or ordering key in words: the period of a date ("month of
    orders.order_date"), else the column, else the SQL quoted."""
    period = _period(node, names)
    return period if period is not None else _column(node, names)


def _period(node: exp.Expr, names: dict[str, str]) -> Message | None:
    """The calendar period an expression cuts a date to, when it does; None otherwise."""
    kind: str | None = None
    if isinstance(node, exp.Substring) and _number(node.args.get("start")) == 1:
        kind = _PREFIX_PERIODS.get(_number(node.args.get("length")) or 0)
    elif isinstance(node, exp.Left):
        kind = _PREFIX_PERIODS.get(_number(node.expression) or 0)
    elif isinstance(node, exp.TimeToStr):
        written = node.args.get("format")
        if isinstance(written, exp.Literal) and written.is_string:
            kind = _FORMAT_PERIODS.get(re.sub(r"[^%A-Za-z]", "", written.this))
    elif isinstance(node, exp.Extract):
        kind = _UNIT_PERIODS.get(node.name.upper())
        if node.name.upper() == "MONTH":
            kind = "month_number"
        node = exp.Anonymous(this="x", expressions=[node.expression])  # the date is its arg
    elif isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
        unit = node.args.get("unit")
        kind = _UNIT_PERIODS.get(unit.name.upper()) if unit is not None else None
    else:
        kind = _FUNCTION_PERIODS.get(type(node))
    if kind is None:
        return None
    date = node.expressions[0] if isinstance(node, exp.Anonymous) else node.this
    if not isinstance(date, exp.Expr):
        return None
    return Message.of(f"explain.period.{kind}", column=_column(date, names))


def _number(node: object) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def _quoted(node: exp.Expr) -> str:
    text = node.sql(dialect=_QUOTING_DIALECT.get(), comments=False)
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"


def _measures(select: exp.Select, names: dict[str, str]) -> list[Message | str]:
    group = select.args.get("group")
    grouped = (
        {_column(_unalias(node, select), names) for node in group.expressions} if group else set()
    )
    measures: list[Message | str] = []
    plain: list[str] = []
    for projection in select.expressions:
        node = projection.this if isinstance(projection, exp.Alias) else projection
        if _column(node, names) in grouped:
            continue  # said by "by …"
        if isinstance(node, exp.Star):
            return [Message.of("explain.every_column")]
        measure = _aggregate(node, names)
        if measure is not None:
            measures.append(measure)
        elif isinstance(node, exp.Column):
            plain.append(_column(node, names))
        else:
            plain.append(_quoted(node))
    if plain:
        measures.append(Message.of("explain.columns", columns=", ".join(plain)))
    if not measures:  # only grouped columns: the distinct values of those
        measures.append(Message.of("explain.columns", columns=", ".join(sorted(grouped))))
    return measures


def _aggregate(node: exp.Expr, names: dict[str, str]) -> Message | None:
    if isinstance(node, exp.Count):
        argument = node.this
        if isinstance(argument, exp.Distinct):
            inner = argument.expressions[0] if argument.expressions else argument
            return Message.of("explain.agg.count_distinct", column=_column(inner, names))
        if argument is None or isinstance(argument, (exp.Star, exp.Literal)):
            return Message.of("explain.agg.count_rows")
        return Message.of("explain.agg.count", column=_column(argument, names))
    kind = _AGGREGATES.get(type(node))
    if kind is None:
        return None
    argument = node.this
    if isinstance(argument, exp.Distinct) and argument.expressions:
        argument = argument.expressions[0]
    return Message.of(f"explain.agg.{kind}", column=_column(argument, names))


def _source(select: exp.Select, names: dict[str, str]) -> Message:
    labels = [_source_label(source) for source in _sources(select)]
    if len(labels) == 1:
        return Message.of("explain.source.one", table=labels[0])
    return Message.of("explain.source.joined", table=labels[0], others=_list(labels[1:]))


def _source_label(source: exp.Expr) -> str:
    if isinstance(source, exp.Table):
        return source.name
    table = _filtered_table(source) if isinstance(source, exp.Subquery) else None
    if table is not None:
        return table.name
    return source.alias or _quoted(source)


def _filters(select: exp.Select, names: dict[str, str]) -> Message | str:
    where = select.args.get("where")
    if where is None:
        return ""
    conditions = _conditions(where.this, names)
    shown = conditions[:MAX_CONDITIONS]
    if len(conditions) > MAX_CONDITIONS:
        shown.append(Message.of("explain.more_conditions", count=len(conditions) - MAX_CONDITIONS))
    return Message.of("explain.where", conditions=_list(shown))


def _conditions(node: exp.Expr, names: dict[str, str]) -> list[Message | str]:
    parts = list(node.flatten()) if isinstance(node, exp.And) else [node]
    ranges: dict[str, list[tuple[str, dt.date]]] = {}
    described: list[Message | str] = []
    for part in parts:
        bound = _date_bound(part, names)
        if bound is not None:
            column, side, day = bound
            ranges.setdefault(column, []).append((side, day))
            continue
        described.append(_condition(part, names))
    dated = [_date_range(column, bounds) for column, bounds in ranges.items()]
    return [*dated, *described]


def _date_bound(node: exp.Expr, names: dict[str, str]) -> tuple[str, str, dt.date] | None:
    """`col >= '2023-01-01'` → (column, "from", that day); `col < '2024-01-01'` → "to" 31 Dec."""
    kind = _COMPARISONS.get(type(node))
    if kind not in ("gt", "gte", "lt", "lte"):
        return None
    left, right = node.this, node.expression
    if isinstance(left, exp.Literal) and isinstance(right, exp.Column):
        left, right = right, left
        kind = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}[kind]
    day = _day(right)
    if not isinstance(left, exp.Column) or day is None:
        return None
    if kind == "lt":
        return _column(left, names), "to", day - dt.timedelta(days=1)
    if kind == "gt":
        return _column(left, names), "from", day + dt.timedelta(days=1)
    return _column(left, names), "from" if kind == "gte" else "to", day


def _day(node: exp.Expr) -> dt.date | None:
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    found = _DATE.fullmatch(node.this.strip())
    if found is None:
        return None
    try:
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def _date_range(column: str, bounds: Sequence[tuple[str, dt.date]]) -> Message:
    start = max((day for side, day in bounds if side == "from"), default=None)
    end = min((day for side, day in bounds if side == "to"), default=None)
    if start is not None and end is not None:
        return Message.of(
            "explain.dates.between", column=column, start=_date(start), end=_date(end)
        )
    if start is not None:
        return Message.of("explain.dates.since", column=column, start=_date(start))
    assert end is not None
    return Message.of("explain.dates.until", column=column, end=_date(end))


def _date(day: dt.date) -> str:
    # ISO dates read the same in every language and cannot be mistaken for 1/2 vs 2/1.
    return day.isoformat()


def _condition(node: exp.Expr, names: dict[str, str]) -> Message | str:
    if isinstance(node, exp.Paren):
        return _condition(node.this, names)
    kind = _COMPARISONS.get(type(node))
    if kind is not None and isinstance(node.this, exp.Column):
        return Message.of(
            f"explain.cmp.{kind}", column=_column(node.this, names), value=_value(node.expression)
        )
    if (
        kind == "eq"
        and isinstance(node.this, exp.Year)
        and isinstance(node.expression, exp.Literal)
    ):
        column = _column(node.this.this, names)
        return Message.of("explain.dates.year", column=column, year=node.expression.this)
    if isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
        low, high = _day(node.args["low"]), _day(node.args["high"])
        column = _column(node.this, names)
        if low is not None and high is not None:
            return Message.of(
                "explain.dates.between", column=column, start=_date(low), end=_date(high)
            )
        return Message.of(
            "explain.between",
            column=column,
            low=_value(node.args["low"]),
            high=_value(node.args["high"]),
        )
    if isinstance(node, exp.In) and isinstance(node.this, exp.Column) and node.expressions:
        values = ", ".join(_value(value) for value in node.expressions)
        return Message.of("explain.in", column=_column(node.this, names), values=values)
    if isinstance(node, exp.Like) and isinstance(node.this, exp.Column):
        return Message.of(
            "explain.like", column=_column(node.this, names), pattern=_value(node.expression)
        )
    if isinstance(node, exp.Is) and isinstance(node.this, exp.Column):
        return Message.of("explain.is_null", column=_column(node.this, names))
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        return Message.of("explain.not_null", column=_column(node.this.this, names))
    return _quoted(node)


def _value(node: exp.Expr) -> str:
    if isinstance(node, exp.Literal):
        return f"'{node.this}'" if node.is_string else str(node.this)
    return _quoted(node)


def _grouping(select: exp.Select, names: dict[str, str]) -> Message | str:
    group = select.args.get("group")
    if group is None or not group.expressions:
        return ""
    keys = [_label(_unalias(node, select), names) for node in group.expressions]
    return Message.of("explain.by", columns=_list(keys))


def _unalias(node: exp.Expr, select: exp.Select) -> exp.Expr:
    """`GROUP BY country` naming an output alias: the expression behind the alias."""
    if isinstance(node, exp.Column) and not node.table:
        for projection in select.expressions:
            if isinstance(projection, exp.Alias) and projection.alias == node.name:
                aliased: exp.Expr = projection.this
                return aliased
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        position = int(node.this) - 1
        if 0 <= position < len(select.expressions):
            chosen: exp.Expr = select.expressions[position]  # sqlglot types args as Any
            if isinstance(chosen, exp.Alias):
                inner: exp.Expr = chosen.this
                return inner
            return chosen
    return node


def _ordering(select: exp.Select, names: dict[str, str]) -> Message | str:
    order = select.args.get("order")
    limit = select.args.get("limit")
    count = _limit(limit)
    if order is None or not order.expressions:
        return Message.of("explain.first", count=count) if count is not None else ""
    first = order.expressions[0]
    key = _unalias(first.this, select)
    measure = _aggregate(key, names)
    label: Message | str = measure if measure is not None else _label(key, names)
    direction = "desc" if first.args.get("desc") else "asc"
    if count is not None:
        return Message.of(f"explain.top.{direction}", count=count, key=label)
    return Message.of(f"explain.order.{direction}", key=label)


def _limit(limit: exp.Expr | None) -> int | None:
    if limit is None:
        return None
    value = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(value, exp.Literal) and value.this.isdigit():
        return int(value.this)
    return None


def _list(items: Sequence[Message | str]) -> Message | str:
    """'a', 'a and b', 'a, b and c' in the reader's language."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    head: Message | str = items[0]
    for item in items[1:-1]:
        head = Message.of("explain.comma", head=head, item=item)
    return Message.of("explain.and", head=head, last=items[-1])
