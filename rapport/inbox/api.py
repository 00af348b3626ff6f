"""/api/v1/ endpoints for conversations, messages, resolutions, macros, views, search."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, ValidationError

from rapport.accounts.models import Team, User
from rapport.inbox import selectors, services
from rapport.inbox.models import ComplaintResolution, Message
from rapport.inbox.schemas import (
    AcceptanceIn,
    ApplyMacroIn,
    BulkIn,
    ConversationDetailOut,
    ConversationPage,
    ConversationPatchIn,
    EscalateIn,
    MacroIn,
    MacroOut,
    MergeIn,
    MessageOut,
    NotificationOut,
    ReplyIn,
    ResolutionIn,
    ResolutionOut,
    SavedViewIn,
    SavedViewOut,
    SearchHit,
    SplitIn,
)
from rapport.lib import jsonout
from rapport.lib.errors import DomainError, NotFound

router = Router(tags=["inbox"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class ListQuery(Schema):
    status: list[str] = Field(default_factory=list)
    active: bool = False
    team: uuid.UUID | None = None
    assignee: uuid.UUID | None = None
    mine: bool = False
    unassigned: bool = False
    kind: list[str] = Field(default_factory=list)
    priority_at_least: int | None = Field(None, ge=1, le=4)
    channel: uuid.UUID | None = None
    customer: uuid.UUID | None = None
    tag: str = ""
    breaching_within_minutes: int | None = Field(None, ge=0, le=60 * 24 * 30)
    breached: bool = False
    q: str = Field("", max_length=200)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


@router.get("/conversations", response=ConversationPage, summary="The inbox, filtered")
def list_conversations(request: HttpRequest, query: Query[ListQuery]) -> Any:
    data = query.dict()
    cursor, limit = data.pop("cursor"), data.pop("limit")
    items, next_cursor = selectors.inbox_rows(
        _actor(request), selectors.InboxFilter(**data), cursor=cursor, limit=limit
    )
    # The rows are built in ConversationOut's shape (a test holds them to it); sending
    # them as they are skips a second validation pass that cost as much as the query.
    return jsonout.response({"items": items, "next_cursor": next_cursor})


# Registered before /conversations/{id} so that "bulk" is not taken for an id.
@router.post("/conversations/bulk", summary="Apply one change to many conversations")
def bulk_update(request: HttpRequest, payload: BulkIn) -> dict[str, int]:
    actor = _actor(request)
    rows = list(selectors.conversations_visible_to(actor).filter(public_id__in=payload.ids))
    if len(rows) != len(set(payload.ids)):
        raise DomainError("Some conversations do not exist.", code="unknown_conversation")
    return {"updated": services.bulk_update(actor, rows, **_changes(actor, payload.changes))}


@router.get("/conversations/{conversation_id}", response=ConversationDetailOut)
def get_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> Any:
    return selectors.get_conversation_for_user(_actor(request), conversation_id)


@router.get("/conversations/{conversation_id}/messages", response=list[MessageOut])
def list_messages(request: HttpRequest, conversation_id: uuid.UUID) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    return selectors.messages_of(actor, conversation)


def _user(actor: User, public_id: uuid.UUID | None) -> User | None:
    if public_id is None:
        return None
    found = User.objects.filter(organisation_id=actor.organisation_id, public_id=public_id).first()
    if found is None:
        raise DomainError("No such user.", code="unknown_user")
    return found


def _team(actor: User, public_id: uuid.UUID | None) -> Team | None:
    if public_id is None:
        return None
    found = Team.objects.filter(organisation_id=actor.organisation_id, public_id=public_id).first()
    if found is None:
        raise DomainError("No such team.", code="unknown_team")
    return found


def _changes(actor: User, payload: ConversationPatchIn) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    if "assignee" in changes:
        changes["assignee"] = _user(actor, changes["assignee"])
    if "team" in changes:
        changes["team"] = _team(actor, changes["team"])
    return changes


@router.patch("/conversations/{conversation_id}", response=ConversationDetailOut)
def update_conversation(
    request: HttpRequest, conversation_id: uuid.UUID, payload: ConversationPatchIn
) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    services.update_conversation(actor, conversation, **_changes(actor, payload))
    return selectors.get_conversation_for_user(actor, conversation_id)


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: MessageOut},
    summary="Reply (public or private) or add an internal note",
)
def create_message(request: HttpRequest, conversation_id: uuid.UUID, payload: ReplyIn) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    message = services.reply(actor, conversation, **payload.dict())
    return Status(201, message)


@router.post(
    "/conversations/{conversation_id}/messages/with-files",
    response={201: MessageOut},
    summary="Reply or add a note with attachments (multipart form)",
)
def create_message_with_files(
    request: HttpRequest,
    conversation_id: uuid.UUID,
    text: Form[str],
    files: File[list[UploadedFile]],
    public: Form[bool] = True,
    note: Form[bool] = False,
) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    message = services.reply(
        actor, conversation, text=text, public=public, note=note, attachments=files
    )
    return Status(201, message)


@router.post("/conversations/{conversation_id}/escalate", response=ConversationDetailOut)
def escalate(request: HttpRequest, conversation_id: uuid.UUID, payload: EscalateIn) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    services.escalate(actor, conversation, reason=payload.reason, team=_team(actor, payload.team))
    return selectors.get_conversation_for_user(actor, conversation_id)


@router.post("/conversations/{conversation_id}/merge", response=ConversationDetailOut)
def merge(request: HttpRequest, conversation_id: uuid.UUID, payload: MergeIn) -> Any:
    actor = _actor(request)
    source = selectors.get_conversation_for_user(actor, conversation_id)
    target = selectors.get_conversation_for_user(actor, payload.into)
    merged = services.merge_conversations(actor, source=source, target=target)
    return selectors.get_conversation_for_user(actor, merged.public_id)


@router.post("/conversations/{conversation_id}/split", response={201: ConversationDetailOut})
def split(request: HttpRequest, conversation_id: uuid.UUID, payload: SplitIn) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    new = services.split_conversation(actor, conversation, message_ids=payload.message_ids)
    return Status(201, selectors.get_conversation_for_user(actor, new.public_id))


@router.post(
    "/conversations/{conversation_id}/resolutions",
    response={201: ResolutionOut},
    summary="Record a complaint's resolution and resolve the conversation",
)
def resolve_complaint(
    request: HttpRequest, conversation_id: uuid.UUID, payload: ResolutionIn
) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    return Status(201, services.resolve_complaint(actor, conversation, **payload.dict()))


@router.patch("/resolutions/{resolution_id}", response=ResolutionOut)
def record_acceptance(request: HttpRequest, resolution_id: uuid.UUID, payload: AcceptanceIn) -> Any:
    actor = _actor(request)
    resolution = (
        ComplaintResolution.objects.filter(organisation_id=actor.organisation_id)
        .select_related("conversation")
        .filter(public_id=resolution_id)
        .first()
    )
    if resolution is None:
        raise NotFound("No such resolution.")
    return services.record_acceptance(actor, resolution, acceptance=payload.customer_acceptance)


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200)
    limit: int = Field(50, ge=1, le=200)


@router.get("/search", response=list[SearchHit], summary="Full-text search over messages")
def search(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    actor = _actor(request)
    ids = selectors.matching_message_ids(actor, query.q, limit=query.limit)
    rows = Message.objects.filter(pk__in=ids).select_related("conversation")
    by_id = {row.pk: row for row in rows}
    return [
        {
            "conversation": by_id[i].conversation.public_id,
            "message": by_id[i].public_id,
            "text": by_id[i].text[:500],
            "sent_at": by_id[i].sent_at,
        }
        for i in ids
        if i in by_id
    ]


class MacroQuery(Schema):
    q: str = Field("", max_length=100)


@router.get("/macros", response=list[MacroOut])
def list_macros(request: HttpRequest, query: Query[MacroQuery]) -> Any:
    return selectors.macros_for(_actor(request), query.q)


@router.post("/macros", response={201: MacroOut})
def create_macro(request: HttpRequest, payload: MacroIn) -> Any:
    return Status(201, services.create_macro(_actor(request), **payload.dict()))


@router.post("/conversations/{conversation_id}/macros/{macro_id}", response=ConversationDetailOut)
def apply_macro(
    request: HttpRequest, conversation_id: uuid.UUID, macro_id: uuid.UUID, payload: ApplyMacroIn
) -> Any:
    actor = _actor(request)
    conversation = selectors.get_conversation_for_user(actor, conversation_id)
    macro = selectors.macros_for(actor).filter(public_id=macro_id).first()
    if macro is None:
        raise NotFound("No such macro.")
    services.apply_macro(actor, conversation, macro, send=payload.send)
    return selectors.get_conversation_for_user(actor, conversation_id)


@router.get("/views", response=list[SavedViewOut], summary="Saved inbox views")
def list_views(request: HttpRequest) -> Any:
    return selectors.saved_views_for(_actor(request))


@router.post("/views", response={201: SavedViewOut})
def create_view(request: HttpRequest, payload: SavedViewIn) -> Any:
    try:
        ListQuery(**payload.filters)  # the filters must be ones the inbox list understands
    except ValidationError as exc:
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise DomainError(
            "The view's filters are not valid.", code="bad_filters", details=details
        ) from None
    return Status(201, services.create_saved_view(_actor(request), **payload.dict()))


@router.get("/notifications", response=list[NotificationOut], summary="Your unread notifications")
def list_notifications(request: HttpRequest) -> Any:
    return selectors.unread_notifications(_actor(request))[:100]


class ReadIn(Schema):
    ids: list[int] | None = None


@router.post("/notifications/read")
def read_notifications(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    return {"read": services.mark_notifications_read(_actor(request), payload.ids)}
