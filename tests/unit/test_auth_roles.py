"""Roles and the pages each may open; and that auth/ never imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from appdb.seed import DEFAULT_POLICIES
from auth import roles
from backend.feedback import REVIEWER_ROLES

AUTH_DIR = Path(__file__).resolve().parents[2] / "auth"


def test_each_role_sees_only_its_pages() -> None:
    assert roles.pages_for_role("analyst") == ("chat", "examples", "api_tokens")
    assert roles.pages_for_role("manager") == ("chat", "dashboards", "api_tokens")
    assert roles.pages_for_role("admin") == (
        "chat",
        "dashboards",
        "examples",
        "api_tokens",
        "admin_users",
        "admin_sources",
        "admin_access",
        "admin_audit",
        "admin_knowledge",
        "admin_monitoring",
    )
    assert roles.pages_for_role("intruder") == ()


@pytest.mark.parametrize(
    ("role", "page", "allowed"),
    [
        ("analyst", roles.PAGE_CHAT, True),
        ("analyst", roles.PAGE_DASHBOARDS, False),
        ("analyst", roles.PAGE_ADMIN_USERS, False),
        ("manager", roles.PAGE_DASHBOARDS, True),
        ("manager", roles.PAGE_EXAMPLES, False),
        ("analyst", roles.PAGE_EXAMPLES, True),
        ("manager", roles.PAGE_ADMIN_AUDIT, False),
        ("admin", roles.PAGE_ADMIN_ACCESS, True),
        ("analyst", roles.PAGE_API_TOKENS, True),
        ("manager", roles.PAGE_API_TOKENS, True),
        ("Admin", roles.PAGE_CHAT, False),  # roles are exact, lower-case
    ],
)
def test_can_open(role: str, page: str, allowed: bool) -> None:
    assert roles.can_open(role, page) is allowed


def test_auth_never_imports_streamlit() -> None:
    for path in AUTH_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0].startswith("streamlit")], path


def test_role_names_below_auth_are_spelt_as_auth_spells_them() -> None:
    """appdb and the core sit below auth, so they spell role names themselves."""
    assert set(DEFAULT_POLICIES) <= set(roles.ROLES)
    assert set(REVIEWER_ROLES) == {roles.ADMIN}
