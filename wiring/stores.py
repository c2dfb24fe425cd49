"""The app-database stores the chat, dashboards and examples pages share.

Built once per process on the auth services' engine, whose schema `appdb.migrate.upgrade`
brought to head at start-up (`auth.services.open_auth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from backend.conversations import ConversationStore
from backend.dashboards import DashboardStore
from backend.feedback import ExampleIndex, FeedbackStore


@dataclass(frozen=True)
class AppStores:
    """The stores the chat, dashboards and examples pages share."""

    conversations: ConversationStore
    dashboards: DashboardStore
    feedback: FeedbackStore


def build_app_stores(engine: sa.Engine, index: ExampleIndex, database: str) -> AppStores:
    """The stores on the app database at `engine`; feedback indexes examples in `index`
    under the business database `database`."""
    return AppStores(
        ConversationStore(engine),
        DashboardStore(engine),
        FeedbackStore(engine, index=index, database=database),
    )
