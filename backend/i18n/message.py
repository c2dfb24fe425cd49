"""`Message`: a sentence to show later, in whichever language the reader has.

Errors and answers are made in the backend long before anyone knows who will read them
(and the same answer is reopened later, perhaps in the other language). They carry the
key and its parameters; the page renders them in the reader's language, and `str()`
gives English for logs, the CLI's `--json` and the model's retry prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.i18n.catalogue import t


@dataclass(frozen=True)
class Message:
    """A catalogue key and its parameters; parameters may be messages themselves."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, /, **params: Any) -> Message:
        return cls(key, tuple(sorted(params.items())))

    def render(self, language: str | None = None) -> str:
        values = {
            name: value.render(language) if isinstance(value, Message) else value
            for name, value in self.params
        }
        return t(self.key, language, **values)

    def __str__(self) -> str:
        return self.render("en")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for stored answers; `from_dict` reads it back."""
        return {
            "key": self.key,
            "params": {
                name: value.to_dict() if isinstance(value, Message) else value
                for name, value in self.params
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        params = {
            name: cls.from_dict(value) if isinstance(value, Mapping) else value
            for name, value in dict(data.get("params") or {}).items()
        }
        return cls.of(str(data["key"]), **params)


def render(text: str | Message | None, language: str | None) -> str | None:
    """A message in `language`; plain text (older stored answers, the model's) as is."""
    if isinstance(text, Message):
        return text.render(language)
    return text
