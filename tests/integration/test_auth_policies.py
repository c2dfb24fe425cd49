"""Access rules on SQLite and MariaDB: role policies, row filters, the Actor handed to the
engine, and the demo defaults seeded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import current_revision, head_revision, upgrade
from appdb.seed import seed_default_policies
from auth.errors import InvalidPolicy, InvalidUserData
from auth.policies import DESCRIPTION_LIMIT, PolicyStore, RolePolicy
from auth.services import AuthServices
from backend.domain import AccessPolicy, Actor, RowFilter
from tests.support.auth_fixtures import ManualClock

REGION = "region_id = :user.region_id"


def test_demo_default_denies_salary_to_analysts_only(auth: AuthServices) -> None:
    analyst = auth.policies.policy_for_role("analyst")
    assert analyst == AccessPolicy(denied_columns=frozenset({("employees", "salary")}))
    assert not analyst.allows_column("Employees", "SALARY")
    assert auth.policies.policy_for_role("manager") == AccessPolicy()
    assert auth.policies.policy_for_role("admin") == AccessPolicy()


def test_defaults_are_seeded_once_and_admin_edits_survive(app_engine: sa.Engine) -> None:
    policies = PolicyStore(app_engine)
    policies.set_denied_columns("analyst", [])
    upgrade(app_engine)
    assert not seed_default_policies(app_engine)
    assert policies.role_policy("analyst").denied_columns == frozenset()


def test_allowed_tables_and_denied_columns_round_trip(
    auth: AuthServices, clock: ManualClock
) -> None:
    stored = auth.policies.set_allowed_tables("manager", ["Orders", "customers", "orders"])
    assert stored.allowed_tables == frozenset({"orders", "customers"})
    auth.policies.set_denied_columns("manager", ["customers.Email", ("orders", "margin")])
    assert auth.policies.role_policy("manager") == RolePolicy(
        role="manager",
        allowed_tables=frozenset({"orders", "customers"}),
        denied_columns=frozenset({("customers", "email"), ("orders", "margin")}),
    )
    assert auth.policies.set_allowed_tables("manager", None).allowed_tables is None
    assert auth.policies.set_allowed_tables("manager", []).allowed_tables == frozenset()


def test_bad_rules_are_refused_with_a_clear_message(auth: AuthServices) -> None:
    with pytest.raises(InvalidUserData, match="Unknown role"):
        auth.policies.set_allowed_tables("intern", ["orders"])
    with pytest.raises(InvalidPolicy, match=r"table\.column"):
        auth.policies.set_denied_columns("analyst", ["salary"])
    with pytest.raises(InvalidPolicy, match="not a table name"):
        auth.policies.set_allowed_tables("analyst", ["orders; drop"])
    with pytest.raises(InvalidPolicy, match="single condition"):
        auth.policies.add_row_filter("orders", "region_id = 1; DROP TABLE x", role="manager")
    with pytest.raises(InvalidPolicy, match="subquery"):
        auth.policies.add_row_filter("orders", "id IN (SELECT id FROM t)", role="manager")
    with pytest.raises(InvalidPolicy, match="exactly one"):
        auth.policies.add_row_filter("orders", REGION)


def test_policy_for_combines_role_rules_with_role_and_user_filters(auth: AuthServices) -> None:
    auth.users.create_user("rita", role="manager", attributes={"region_id": "3"})
    auth.users.create_user("mo", role="manager")
    auth.policies.set_allowed_tables("manager", ["orders", "customers"])
    auth.policies.add_row_filter("orders", "status <> 'test'", role="manager", by="root")
    auth.policies.add_row_filter("Orders", REGION, username="RITA", by="root")
    auth.policies.add_row_filter("orders", "1 = 0", role="analyst")
    rita = auth.users.get_user("rita")
    assert auth.policies.policy_for(rita) == AccessPolicy(
        allowed_tables=frozenset({"orders", "customers"}),
        row_filters=(RowFilter("orders", "status <> 'test'"), RowFilter("orders", REGION)),
    )
    mo_filters = auth.policies.policy_for(auth.users.get_user("mo")).row_filters
    assert mo_filters == (RowFilter("orders", "status <> 'test'"),)


def test_actor_for_carries_role_policy_and_attributes(auth: AuthServices) -> None:
    auth.users.create_user("rita", role="manager", attributes={"region_id": "3", "team": "b"})
    auth.policies.add_row_filter("orders", REGION, username="rita")
    actor = auth.policies.actor_for(auth.users.get_user("rita"))
    assert actor == Actor(
        username="rita",
        role="manager",
        policy=AccessPolicy(row_filters=(RowFilter("orders", REGION),)),
        attributes=(("region_id", "3"), ("team", "b")),
    )
    assert dict(actor.attributes)["region_id"] == "3"


def test_row_filters_are_listed_removed_and_deleted_with_their_user(auth: AuthServices) -> None:
    auth.users.create_user("rita", role="manager")
    auth.users.create_user("root", role="admin")
    for_role = auth.policies.add_row_filter("orders", "1 = 1", role="manager", by="root")
    auth.policies.add_row_filter("orders", REGION, username="rita")
    assert (for_role.role, for_role.username, for_role.created_by) == ("manager", None, "root")
    assert len(auth.policies.row_filters()) == 2
    assert [f.table for f in auth.policies.row_filters(username="rita")] == ["orders"]
    auth.policies.remove_row_filter(for_role.id)
    with pytest.raises(InvalidPolicy, match="no row filter"):
        auth.policies.remove_row_filter(for_role.id)
    auth.users.delete("rita")
    assert auth.policies.row_filters() == []


DESCRIBED = "Only orders of region :user.region_name are counted."


def test_a_filters_description_is_stored_tidied_and_handed_to_the_engine(
    auth: AuthServices,
) -> None:
    auth.users.create_user("rita", role="manager", attributes={"region_name": "Iberia"})
    stored = auth.policies.add_row_filter(
        "orders",
        REGION,
        role="manager",
        description="  Only orders of region\n :user.region_name  are counted. ",
    )
    assert stored.description == DESCRIBED
    assert (
        auth.policies.add_row_filter("orders", "1 = 1", role="manager", description=" ").description
        is None
    )
    assert [f.description for f in auth.policies.row_filters()] == [DESCRIBED, None]
    rita = auth.users.get_user("rita")
    assert auth.policies.policy_for(rita).row_filters == (
        RowFilter("orders", REGION, DESCRIBED),
        RowFilter("orders", "1 = 1"),
    )


def test_an_overlong_description_is_refused(auth: AuthServices) -> None:
    with pytest.raises(InvalidPolicy, match="at most 300 characters"):
        auth.policies.add_row_filter(
            "orders", REGION, role="manager", description="x" * (DESCRIPTION_LIMIT + 1)
        )
    assert auth.policies.row_filters() == []


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def old_filters_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An app database whose row_filters table is the previous release's (no description),
    holding one filter."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        url = request.getfixturevalue("mysql_url")
    engine = create_app_engine(url)
    sa.Table(
        "row_filters",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("predicate", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
    ).create(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO row_filters (role, table_name, predicate, created_at) "
                "VALUES ('manager', 'orders', :predicate, '2026-01-05 10:00:00')"
            ),
            {"predicate": REGION},
        )
    yield engine
    engine.dispose()


def test_upgrade_adds_the_description_to_an_older_row_filters_table(
    old_filters_engine: sa.Engine,
) -> None:
    engine = old_filters_engine
    assert "description" not in {c["name"] for c in sa.inspect(engine).get_columns("row_filters")}
    upgrade(engine)
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("row_filters")}
    assert columns["description"]["nullable"]
    policies = PolicyStore(engine)
    [old] = policies.row_filters()
    assert (old.predicate, old.description) == (REGION, None)
    added = policies.add_row_filter("orders", "1 = 1", role="manager", description=DESCRIBED)
    assert policies.row_filters()[-1].description == DESCRIBED == added.description
    assert current_revision(engine) == head_revision()
