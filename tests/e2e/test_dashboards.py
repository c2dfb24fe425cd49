"""Browser tests of dashboards: a manager pins answers' charts, opens the dashboard (each
tile re-run as the viewer), refreshes it, reorders and unpins tiles; a dashboard just made
is offered by every answer's pin menu at once."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from testkit.scripted_ollama import ScriptedOllama
from tests.e2e.helpers import ensure_user, login
from tests.e2e.test_chat import answers, ask, settle
from tests.support.app_server import AppServer

MANAGER = ("e2e-dash-manager", "Manager-dash-Passw0rd")
SEGMENT_SQL = (
    "SELECT segment, COUNT(*) AS customers FROM customers GROUP BY segment ORDER BY customers DESC"
)
STATUS_SQL = "SELECT status, COUNT(*) AS orders FROM orders GROUP BY status ORDER BY orders DESC"


@pytest.fixture
def manager(app: AppServer, e2e_ollama: ScriptedOllama) -> tuple[str, str]:
    ensure_user(app, MANAGER[0], "manager", MANAGER[1])
    e2e_ollama.add(
        answers("How many customers in each segment", SEGMENT_SQL),
        answers("How many orders in each status", STATUS_SQL),
    )
    return MANAGER


def pin(page: Page, question: str, dashboard: str, *, new: bool) -> None:
    answer = ask(page, question)
    answer.get_by_role("button", name="Pin to dashboard").click()
    popover = page.get_by_test_id("stPopoverBody")
    if new:
        popover.get_by_role("combobox", name="Dashboard").click()
        page.get_by_role("option", name="New dashboard…").click()
        settle(page)
        popover.get_by_role("textbox", name="Name").fill(dashboard)
    else:
        expect(popover.get_by_role("combobox", name="Dashboard")).to_be_visible()
    popover.get_by_role("button", name="Pin").click()
    expect(page.get_by_text(f"Pinned to “{dashboard}”")).to_be_visible()
    page.keyboard.press("Escape")
    settle(page)


def tile_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".st-key-dashboard_grid strong").all_inner_texts()]


def test_manager_pins_charts_and_opens_the_dashboard(
    page: Page, app: AppServer, manager: tuple[str, str]
) -> None:
    login(page, app, *manager)
    pin(page, "How many customers in each segment?", "Sales e2e", new=True)
    pin(page, "How many orders in each status?", "Sales e2e", new=False)

    page.locator("[data-testid='stSidebarNavLink']", has_text="Dashboards").click()
    expect(page.get_by_role("heading", name="Dashboards", exact=True)).to_be_visible()
    settle(page)
    grid = page.locator(".st-key-dashboard_grid")
    expect(grid.get_by_test_id("stPlotlyChart")).to_have_count(2)
    assert tile_titles(page) == ["Customers by segment", "Orders by status"]
    expect(page.get_by_text("Last refreshed")).to_be_visible()

    page.get_by_role("button", name="Refresh").click()
    settle(page)
    expect(grid.get_by_test_id("stPlotlyChart")).to_have_count(2)

    grid.get_by_role("button", name="Move down").first.click()
    settle(page)
    assert tile_titles(page) == ["Orders by status", "Customers by segment"]

    grid.get_by_role("button", name="Unpin").first.click()
    settle(page)
    assert tile_titles(page) == ["Customers by segment"]
    expect(grid.get_by_test_id("stPlotlyChart")).to_have_count(1)


def pin_menu_dashboards(page: Page, answer: Locator) -> list[str]:
    """The dashboards an answer's pin menu offers (the menu is closed again after)."""
    answer.get_by_role("button", name="Pin to dashboard").click()
    page.get_by_test_id("stPopoverBody").get_by_role("combobox", name="Dashboard").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [name.strip() for name in options.all_inner_texts()]
    page.keyboard.press("Escape")  # the list
    page.keyboard.press("Escape")  # the menu
    settle(page)
    return names


def test_a_new_dashboard_is_in_every_pin_menu_without_a_reload(
    page: Page, app: AppServer, manager: tuple[str, str]
) -> None:
    board = f"Stock e2e {secrets.token_hex(3)}"
    login(page, app, *manager)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    first = ask(page, "How many customers in each segment, for the pin menu?")
    assert board not in pin_menu_dashboards(page, first)
    pin(page, "How many orders in each status, for the pin menu?", board, new=True)
    # The answer drawn above the pinned one offers the dashboard just made.
    assert board in pin_menu_dashboards(page, first)
    # So does it after a look at the dashboard and back to the same conversation.
    page.locator("[data-testid='stSidebarNavLink']", has_text="Dashboards").click()
    expect(page.get_by_role("heading", name="Dashboards", exact=True)).to_be_visible()
    settle(page)
    page.locator("[data-testid='stSidebarNavLink']", has_text="Chat").click()
    first = page.locator("[class*='st-key-chat_turn_']").first
    expect(first.get_by_text("for the pin menu?").first).to_be_visible()
    settle(page)
    assert board in pin_menu_dashboards(page, first)
