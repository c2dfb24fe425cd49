"""A start-up that cannot go on: one line in the page and the same line in the terminal.

Bad settings (a malformed URL, an ADMIN_PASSWORD that breaks the password rules) or an
app database that cannot be opened stop every page run before anything else is drawn.
The page shows the line alone — registered as the only, hidden page, so every URL lands
on it and the sidebar lists no pages — and the server's terminal gets it once per process and
message (each run of a page would repeat it otherwise). `keskinube serve` checks the same
before starting the server at all (`auth.startup.check_startup`).
"""

from __future__ import annotations

import sys
from functools import cache
from typing import NoReturn

import streamlit as st

from auth.startup import startup_message
from backend.errors import KeskinubeError
from backend.i18n import Language
from cli.language import cli_language
from ui.components.markdown import escape_markdown, md_error


def refuse_to_start(error: BaseException, language: Language | None) -> NoReturn:
    """Show why Keskinube cannot start, print it in the terminal, and stop the run."""
    _print_once(startup_message(error, cli_language()))
    line = startup_message(error, language)
    shown = md_error(error, language) if isinstance(error, KeskinubeError) else None
    text = " ".join((shown or escape_markdown(line)).split())

    def explain() -> None:
        st.error(text)

    page = st.Page(explain, title="Keskinube", url_path="error")  # i18n: not prose
    st.navigation([page], position="hidden").run()
    st.stop()


@cache
def _print_once(line: str) -> None:
    print(f"keskinube: {line}", file=sys.stderr, flush=True)
