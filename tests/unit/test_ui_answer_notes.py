"""What an answer says about its own shape, in AppTest: a capped result says "more than",
never the cap as the count, and how to get every row; an answer shaped by the reader's
access rules (a row filter, hidden columns) says so under the sentence, in their language.

The chat page runs on its own as a logged-in user (see `tests.support.apptest`); the
answers come from "Write SQL yourself", so no model is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from tests.support.apptest import clear_caches, open_page, page_services, texts


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    monkeypatch.setenv("ROW_LIMIT", "5")
    users = {"boss": ("admin", "Chief-unit-Passw0rd"), "mia": ("manager", "Manager-unit-Passw0rd")}
    for services in page_services(monkeypatch, tmp_path, users):
        services.users.set_attributes("mia", {"region_id": "2"})
        services.policies.add_row_filter("customers", "region_id = :user.region_id", role="manager")
        services.policies.set_denied_columns("manager", ["customers.email"])
        yield services


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    submit = [b for b in at.button if b.label in {"Run SQL", "Ejecutar SQL"}]
    return submit[0].click().run()


def plain(values: list[str]) -> list[str]:
    return [v.replace("\\", "").replace("\u2060", "") for v in values]


def test_a_capped_result_says_more_than_the_cap_and_points_to_the_csv(
    auth: AuthServices,
) -> None:
    at = run_own_sql(
        open_page("chat", timeout=90), "SELECT customer_name, city, email FROM customers"
    )
    assert not at.exception
    sentences, captions = plain(texts(at.markdown)), plain(texts(at.caption))
    assert "More than 5 rows." in sentences
    assert "5 rows." not in sentences
    assert any(c.startswith("More than 5 rows · ") for c in captions), captions
    assert not any(c.startswith("5 rows · ") for c in captions), captions
    assert (
        "The query matched more than 5 rows; only the first 5 are shown here. "
        "Download the CSV for all of them (up to 100,000 rows)."
    ) in captions
    assert [b.label for b in at.get("download_button")] == ["Download CSV"]


def test_an_uncapped_result_states_its_count(auth: AuthServices) -> None:
    sql = "SELECT region_id, name FROM regions WHERE region_id <= 3"
    at = run_own_sql(open_page("chat", timeout=90), sql)
    assert not at.exception
    captions = plain(texts(at.caption))
    assert any(c.startswith("3 rows · ") for c in captions), captions
    assert not any("more than" in c.lower() for c in captions), captions
    clear_caches()


ROWS_RULE = ":material/filter_alt: Only customers where region ID is 2 are included."
COLUMNS_RULE = (
    ":material/visibility_off: Access rule: your role can't see these columns of customers: email."
)


def test_a_filtered_answer_says_which_rule_shaped_it(auth: AuthServices) -> None:
    at = open_page("chat", username="mia", role="manager", timeout=90)
    at = run_own_sql(at, "SELECT COUNT(*) AS customers FROM customers")
    assert not at.exception
    captions = plain(texts(at.caption))
    assert ROWS_RULE in captions, captions
    assert COLUMNS_RULE in captions, captions
    sentences = plain(texts(at.markdown))
    assert any(re.fullmatch(r"There are \d+ customers\.", s) for s in sentences), sentences
    # Unrelated tables carry no note; the earlier answer keeps its own (redrawn from the store).
    at = run_own_sql(at, "SELECT name FROM regions")
    assert plain(texts(at.caption)).count(ROWS_RULE) == 1

    at.session_state["language"] = "es"
    at = at.run()
    captions = plain(texts(at.caption))
    assert (
        ":material/filter_alt: Solo se incluyen las filas de clientes en las que region ID "
        "es 2." in captions
    ), captions
    assert not any("Access rule" in c or "Only customers" in c for c in captions)
    sentences = plain(texts(at.markdown))
    assert any(re.fullmatch(r"Hay \d+ clientes\.", s) for s in sentences), sentences


DESCRIBED = "Only **customers** in your region (:user.region_name) are included."


def test_the_admins_description_is_the_notice_filled_in_and_never_markup(
    auth: AuthServices,
) -> None:
    [undescribed] = [f for f in auth.policies.row_filters() if f.table == "customers"]
    auth.policies.remove_row_filter(undescribed.id)
    auth.policies.add_row_filter(
        "customers", "region_id = :user.region_id", role="manager", description=DESCRIBED
    )
    auth.users.set_attributes("mia", {"region_id": "2", "region_name": "[Iberia](https://x.test)"})
    at = open_page("chat", username="mia", role="manager", timeout=90)
    at = run_own_sql(at, "SELECT COUNT(*) AS customers FROM customers")
    assert not at.exception
    notices = [c for c in texts(at.caption) if c.startswith(":material/filter_alt: ")]
    assert plain(notices) == [
        ":material/filter_alt: Only **customers** in your region ([Iberia](https://x.test)) "
        "are included."
    ]
    assert "\\*\\*customers\\*\\*" in notices[0] and "\\[Iberia\\]\\(" in notices[0]


def test_an_unrestricted_answer_has_no_rule_note(auth: AuthServices) -> None:
    at = run_own_sql(open_page("chat", timeout=90), "SELECT COUNT(*) AS customers FROM customers")
    assert not at.exception
    assert not any(c.startswith(":material/filter_alt:") for c in texts(at.caption))
    assert not any("Access rule" in c for c in plain(texts(at.caption)))


MODEL_DOWN = (
    "The language model isn't answering right now. Try again in a minute, or write the SQL "
    "yourself below; if it keeps happening, tell your admin."
)


def test_a_failed_question_reads_for_people_and_only_admins_get_the_detail(
    auth: AuthServices,
) -> None:
    at = open_page("chat", username="mia", role="manager", timeout=90)
    at = at.chat_input[0].set_value("Which products sell best?").run()  # Ollama is down
    assert not at.exception
    assert plain(texts(at.warning)) == [MODEL_DOWN]
    assert "Technical detail" not in [e.label for e in at.expander]

    at = open_page("chat", timeout=90)
    at = at.chat_input[0].set_value("Which products sell best?").run()
    assert plain(texts(at.warning)) == [MODEL_DOWN]
    [detail] = [e for e in at.expander if e.label == "Technical detail"]
    shown = " ".join(plain(texts(detail.caption)))
    assert "Ollama isn't reachable at http://127.0.0.1:9" in shown


def test_own_sql_keeps_the_engines_message_about_it(auth: AuthServices) -> None:
    at = run_own_sql(
        open_page("chat", username="mia", role="manager", timeout=90), "SELECT email FROM customers"
    )
    warnings = plain(texts(at.warning))
    assert len(warnings) == 1 and "customers.email" in warnings[0], warnings
