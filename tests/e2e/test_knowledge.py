"""Browser test of the Knowledge page: the model drafts in the background (progress
shown), the admin edits a description and approves a draft, and both are saved."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from backend.knowledge.store import KnowledgeStore
from backend.sources import database_key
from testkit.scripted_ollama import ScriptedOllama, when
from tests.e2e.helpers import LOAD_MS, app_db_url, open_app, wait_idle
from tests.support.app_server import AppServer

DRAFT = {
    "table": {"description": "Client companies.", "en": ["client"], "es": ["cliente"]},
    "columns": {
        "segment": {
            "description": "Market segment of the client.",
            "en": ["tier"],
            "es": ["segmento"],
        },
        "country": {"description": "Country of the client.", "en": ["nation"], "es": ["país"]},
    },
}


def stored(app: AppServer) -> KnowledgeStore:
    engine = sa.create_engine(app_db_url(app))
    return KnowledgeStore(
        engine, database_key(f"sqlite:///{app.env['KESKINUBE_DATA_DIR']}/demo.sqlite")
    )


def test_admin_drafts_edits_and_approves_knowledge(
    page: Page, app: AppServer, admin_cookies: list[Any], e2e_ollama: ScriptedOllama
) -> None:
    # First among the rules: the other tests' rules match on words this prompt also holds.
    rule = when(regex=r"^CREATE TABLE customers \(", reply=json.dumps(DRAFT))
    e2e_ollama._state.rules.insert(0, rule)
    page.context.add_cookies(admin_cookies)
    open_app(page, app, "admin_knowledge")
    expect(page.get_by_role("heading", name="Knowledge", exact=True)).to_be_visible()
    page.get_by_role("button", name="Draft descriptions").click()
    # The run goes on in the background; the page polls it and shows the result.
    expect(page.get_by_text(re.compile(r"^Last run: \d+ tables drafted"))).to_be_visible(
        timeout=LOAD_MS
    )
    wait_idle(page)
    form = page.locator("[data-testid='stForm']").first  # the table picked: customers
    expect(form.get_by_text("Draft, not reviewed").first).to_be_visible()
    description = form.get_by_role("textbox", name="Description").first
    expect(description).to_have_value("Client companies.")
    description.fill("Companies that buy from us.")
    # Approve the 'segment' column's draft as it is (rows: table, customer_id, name, segment).
    form.locator("[data-testid='stCheckbox']").nth(3).click()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved (2 changed). The next question uses it.")).to_be_visible()

    knowledge = stored(app).load()
    table, segment = knowledge.entry("customers"), knowledge.entry("customers", "segment")
    assert table is not None and table.status == "edited"
    assert table.description == "Companies that buy from us."
    assert segment is not None and segment.status == "approved"
    assert knowledge.entry("customers", "country").status == "draft"  # type: ignore[union-attr]

    page.reload()
    wait_idle(page, timeout_ms=LOAD_MS)
    form = page.locator("[data-testid='stForm']").first
    expect(form.get_by_role("textbox", name="Description").first).to_have_value(
        "Companies that buy from us."
    )
    expect(form.get_by_text("Edited", exact=True)).to_be_visible()
    expect(form.get_by_text("Approved", exact=True).first).to_be_visible()


def test_admin_downloads_and_uploads_knowledge_yaml(
    page: Page, app: AppServer, admin_cookies: list[Any], tmp_path: Any
) -> None:
    page.context.add_cookies(admin_cookies)
    open_app(page, app, "admin_knowledge")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download YAML").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("database: demo\n") and "tables:" in text
    upload = tmp_path / "knowledge.yaml"
    upload.write_text(
        "tables:\n  suppliers:\n    description: Companies we buy products from.\n"
        "    synonyms: {en: [vendor], es: [proveedor]}\n  no_such_table:\n    description: x\n"
        "terms:\n  gross margin: Revenue minus the cost of the goods sold.\n",
        encoding="utf-8",
    )
    wait_idle(page, timeout_ms=LOAD_MS)
    # The page's first runs can still be settling (the cookie component asks for a rerun
    # after a load, and a run it interrupts drops what a widget just sent): offer the file
    # again until the page shows it.
    chooser = page.locator("[data-testid='stFileUploader'] input[type='file']")
    import_button = page.get_by_role("button", name="Import this file")
    for _ in range(3):
        chooser.set_input_files(str(upload))
        wait_idle(page, timeout_ms=LOAD_MS)
        try:
            import_button.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    import_button.click()
    expect(
        page.get_by_text("Imported 1 entries and 1 terms or notes; 1 unknown names")
    ).to_be_visible()
    knowledge = stored(app).load()
    suppliers = knowledge.entry("suppliers")
    assert suppliers is not None and suppliers.status == "edited"
    assert suppliers.synonyms_es == ("proveedor",)
    assert any(t.name == "gross margin" for t in knowledge.terms)
