"""Default rows a new app database starts with, written once per database.

Default for the demo: analysts may not read `employees.salary`. `seed_default_policies`
writes that once per app database (remembered in `app_meta`), so an admin who changes or
removes the rule later is never overridden. The first admin is not seeded here: it needs a
password from the operator, so `auth.users.ensure_first_admin` makes it at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from appdb.clock import utc_now
from appdb.meta import meta_value, set_meta_value
from appdb.tables import MAIN_SOURCE, role_policies

# Role names as `auth.roles` spells them (appdb sits below auth; a test keeps them in step).
DEFAULT_POLICIES: Mapping[str, Mapping[str, Any]] = {
    "analyst": {"allowed_tables": None, "denied_columns": [["employees", "salary"]]},
}
SEEDED_KEY = "default_policies_seeded"


def seed_default_policies(engine: sa.Engine) -> bool:
    """Write `DEFAULT_POLICIES` once per database; True when written by this call."""
    with engine.begin() as conn:
        if meta_value(conn, SEEDED_KEY) is not None:
            return False
        main = role_policies.c.source == MAIN_SOURCE
        existing = set(conn.execute(sa.select(role_policies.c.role).where(main)).scalars())
        for role, values in DEFAULT_POLICIES.items():
            if role not in existing:
                row = {
                    "source": MAIN_SOURCE,
                    "role": role,
                    "updated_at": utc_now(),
                    "updated_by": None,
                    **values,
                }
                conn.execute(sa.insert(role_policies).values(**row))
        set_meta_value(conn, SEEDED_KEY, json.dumps(sorted(DEFAULT_POLICIES)))
    return True
