"""Testing a data source before it is used: can Keskinube connect, and can it only read?

TO BE WRITTEN (helper task): the interface below is fixed; the pages and the CLI use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.i18n.message import Message
from backend.sources.model import DataSource


@dataclass(frozen=True)
class SourceCheck:
    """What testing a source found.

    `error`: why it could not connect (None: it connected). `tables`: how many tables the
    account can read. `write_privileges`: what the account may do besides reading, in the
    server's words ("INSERT, UPDATE ON shop.*", "superuser", "CREATE on schema public");
    empty when it can only read. `advice`: the statements an admin would run to make the
    account read-only (SQL text, shown as code), empty when none are needed.
    """

    error: Message | None = None
    tables: int = 0
    write_privileges: tuple[str, ...] = ()
    advice: str = ""

    @property
    def connected(self) -> bool:
        return self.error is None

    @property
    def read_only(self) -> bool:
        return self.connected and not self.write_privileges


def check_source(
    source: DataSource, password: str | None, *, timeout_s: float = 5.0
) -> SourceCheck:
    """Connect to `source` and find what its account may do (never raises for a bad
    host, password or database: that is `SourceCheck.error`)."""
    raise NotImplementedError
