"""What a failed question tells the person who asked it: what went wrong, one thing to do.

The engine's errors are written for whoever has to fix them (the admin, the model on a
retry, the CLI): they name hosts and URLs, quote the database, give shell commands.
`for_people` maps such an error, by its catalogue key, to one sentence for the asker in
plain words (`people.*` keys), without raw database text; the original stays on the answer
for the log, the CLI and the admin's technical detail. A refusal by the asker's access
rules keeps what it was about ("employees.salary"), since only that can be acted on.
Errors that are already for people (an empty question, a missing user attribute) pass
through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

from backend.i18n.message import Message

# Refusals by the asker's own access rules: the question needs data their role can't see.
_RESTRICTED = {"guard.table.denied", "guard.column.denied", "guard.column.star"}
# Already written for the asker: shown as they are.
_FOR_PEOPLE = {"guard.rule.attribute_missing", "engine.ask.empty"}


def for_people(error: str | Message | None) -> Message:
    """The asker's sentence for a failed question's `error` (see module)."""
    if not isinstance(error, Message):
        return Message.of("people.failed")
    if error.key in _FOR_PEOPLE:
        return error
    if error.key == "engine.ask.gave_up":
        return _gave_up(dict(error.params).get("reason"))
    if error.key == "engine.db.timeout":
        return Message.of("people.timeout", **dict(error.params))
    if error.key == "engine.db.unreachable":
        return Message.of("people.database_down")
    if error.key.startswith("engine.ollama."):
        return Message.of("people.model_down")
    if error.key == "engine.schema.not_indexed":
        return Message.of("people.not_indexed")
    return Message.of("people.failed")


def _gave_up(reason: object) -> Message:
    for part in _nested(reason):
        if part.key in _RESTRICTED:
            params = dict(part.params)
            table, column = params.get("table") or params.get("name"), params.get("column")
            what = f"{table}.{column}" if column else str(table)
            return Message.of("people.restricted", what=what)
        if part.key in _FOR_PEOPLE:
            return part
        if part.key == "engine.db.timeout":
            return Message.of("people.timeout", **dict(part.params))
    return Message.of("people.no_query")


def _nested(value: object) -> Iterator[Message]:
    """`value` and every message inside its parameters, outermost first."""
    if isinstance(value, Message):
        yield value
        for _, inner in value.params:
            yield from _nested(inner)
