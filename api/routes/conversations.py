"""GET /v1/conversations and /v1/conversations/{id}: the caller's own, and only theirs.

Another user's conversation is answered exactly as one that does not exist: 404. Each
names its data source; one on a source the caller may no longer use lists, but is not
read (404 `unknown_source`, as for any request on that source).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.errors import ApiRoute
from api.json_response import ApiJSONResponse
from api.presenting import turn_body
from api.schemas import (
    SOURCE_PATTERN,
    TOKEN_ERRORS,
    ConversationDetail,
    ConversationList,
    ErrorOut,
)
from api.security import CallerDep, api_of
from backend.conversations import Conversation

router = APIRouter(route_class=ApiRoute, prefix="/v1/conversations", tags=["conversations"])


@router.get("", response_model=ConversationList, responses=TOKEN_ERRORS)
def list_conversations(
    request: Request,
    caller: CallerDep,
    source: Annotated[
        str | None, Query(pattern=SOURCE_PATTERN, description="Only those on this source.")
    ] = None,
) -> ApiJSONResponse:
    """Your conversations, most recently used first, each with its data source."""
    found = api_of(request).conversations.list_for(caller.user.username, source=source)
    return ApiJSONResponse({"conversations": [_header(c) for c in found]})


@router.get(
    "/{conversation_id}",
    response_model=ConversationDetail,
    responses={
        **TOKEN_ERRORS,
        404: {
            "model": ErrorOut,
            "description": "Not yours, or gone (`not_found`); on a source you may no longer "
            "use (`unknown_source`).",
        },
    },
)
def read_conversation(conversation_id: int, request: Request, caller: CallerDep) -> ApiJSONResponse:
    """One of your conversations with every answer in it, oldest first."""
    api = api_of(request)
    username = caller.user.username
    conversation = api.conversations.get(username, conversation_id)
    on = caller.on(conversation.source)
    turns = api.conversations.turns(username, conversation_id)
    body = {**_header(conversation), "turns": [turn_body(on.door, caller, t) for t in turns]}
    return ApiJSONResponse(body)


def _header(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "title": conversation.title,
        "source": conversation.source,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }
