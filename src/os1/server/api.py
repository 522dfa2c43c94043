"""The REST API: sessions, you, your keys, companions, conversations and messages.

Every handler reads and writes through the store with the asking user's id, so another user's
ids are simply not found. Lists come wrapped in an object (`{"conversations": [...]}`) so they
can grow fields without breaking clients.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from os1.context import DEFAULT_PERSONA
from os1.heart.persona import check_limits, persona_from_text
from os1.server.auth import SESSION_COOKIE, SESSION_LIFETIME, open_session
from os1.server.errors import ApiError
from os1.server.keys import hash_secret, mint_key
from os1.server.openapi import Endpoint
from os1.server.schema import (
    CompanionUpdate,
    ConversationUpdate,
    NewCompanion,
    NewConversation,
    NewKey,
    NewMessage,
    Profile,
    SessionLogin,
    companion_json,
    conversation_json,
    key_json,
    message_json,
    user_json,
)
from os1.server.state import Call

__all__ = ["endpoints"]

# The blocks one persona text stands for (her notes about you are kept apart).
TEXT_BLOCKS = ("identity", "values", "style", "scenario", "mes_example")


# --- session and you -----------------------------------------------------------------------------


async def health(call: Call) -> dict[str, Any]:
    return {"status": "ok", "version": version("os1")}


async def login(call: Call) -> Response:
    body = await call.body(SessionLogin)
    store = call.state.store
    key = await store.key_by_hash(hash_secret(body.key.strip()))
    if key is None:
        raise ApiError(401, "unauthorized", "that key is not valid (revoked or mistyped?)")
    user = await store.get_user(key.user_id)
    token = await open_session(store, key, call.state.companion.clock())
    response = JSONResponse({"user": user_json(user)})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=call.request.url.scheme == "https",
        path="/",
    )
    return response


async def logout(call: Call) -> Response:
    token = call.request.cookies.get(SESSION_COOKIE)
    if token:
        await call.state.store.end_session(hash_secret(token))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def get_me(call: Call) -> dict[str, Any]:
    user = await call.state.store.get_user(call.user_id)
    return {**user_json(user), "features": call.state.features}


async def update_me(call: Call) -> dict[str, Any]:
    body = await call.body(Profile)
    return user_json(await call.state.store.rename_user(call.user_id, body.name.strip()))


# --- keys ----------------------------------------------------------------------------------------


async def list_keys(call: Call) -> dict[str, Any]:
    assert call.principal is not None
    keys = await call.state.store.api_keys(call.user_id)
    return {"keys": [{**key_json(k), "current": k.id == call.principal.key_id} for k in keys]}


async def create_key(call: Call) -> dict[str, Any]:
    body = await call.body(NewKey)
    key, secret = await mint_key(call.state.store, call.user_id, (body.label or "").strip())
    return {"key": key_json(key), "secret": secret}


async def revoke_key(call: Call) -> dict[str, Any]:
    return key_json(await call.state.store.revoke_api_key(call.user_id, call.path("key_id")))


# --- companions ----------------------------------------------------------------------------------


async def list_companions(call: Call) -> dict[str, Any]:
    profiles = await call.state.store.list_companions(call.user_id)
    return {"companions": [companion_json(p) for p in profiles]}


async def create_companion(call: Call) -> dict[str, Any]:
    body = await call.body(NewCompanion)
    persona = body.persona if body.persona and body.persona.strip() else DEFAULT_PERSONA
    check_limits(persona_from_text(body.name.strip(), persona))
    profile = await call.state.store.create_companion(call.user_id, body.name.strip(), persona)
    return companion_json(profile)


async def get_companion(call: Call) -> dict[str, Any]:
    profile = await call.state.store.get_companion(call.user_id, call.path("companion_id"))
    return companion_json(profile)


async def update_companion(call: Call) -> dict[str, Any]:
    body = await call.body(CompanionUpdate)
    store, journal = call.state.store, call.state.companion.journal
    user_id, companion_id = call.user_id, call.path("companion_id")
    profile = await store.get_companion(user_id, companion_id)
    current = await journal.for_profile(profile)
    persona = current
    changed = []
    if body.name is not None and body.name.strip() != current.name:
        persona = persona.changed(name=body.name.strip())
        changed.append("name")
    if body.persona is not None and body.persona != profile.persona:
        # One text is her whole persona but for her notes about you, as the API always had it.
        text = persona_from_text(persona.name, body.persona)
        persona = persona.changed(**{block: getattr(text, block) for block in TEXT_BLOCKS})
        changed.append("persona")
    if persona != current:
        # Through the growth journal: a numbered entry that can be rolled back, held to the
        # blocks' limits and cleared of text that contradicts the operator's invariants.
        reason = f"{' and '.join(changed)} changed in the companion's settings"
        await journal.adopt(user_id, companion_id, persona, author="user", reason=reason)
    return companion_json(await store.get_companion(user_id, companion_id))


# --- conversations and messages ------------------------------------------------------------------


def _conversation(call: Call, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "replying": call.state.live.current(data["id"]) is not None}


async def list_conversations(call: Call) -> dict[str, Any]:
    query = call.query(companion_id=str)
    found = await call.state.store.list_conversations(call.user_id, query.get("companion_id"))
    return {"conversations": [_conversation(call, conversation_json(c)) for c in found]}


async def create_conversation(call: Call) -> dict[str, Any]:
    body = await call.body(NewConversation)
    store = call.state.store
    companion_id = body.companion_id
    if companion_id is None:
        user = await store.get_user(call.user_id)
        companion_id = (await call.state.companion.default_profile(user)).id
    conversation = await store.create_conversation(
        call.user_id, companion_id, (body.title or "").strip()
    )
    return _conversation(call, conversation_json(conversation))


async def get_conversation(call: Call) -> dict[str, Any]:
    found = await call.state.store.get_conversation(call.user_id, call.path("conversation_id"))
    return _conversation(call, conversation_json(found))


async def update_conversation(call: Call) -> dict[str, Any]:
    body = await call.body(ConversationUpdate)
    found = await call.state.store.rename_conversation(
        call.user_id, call.path("conversation_id"), body.title.strip()
    )
    return _conversation(call, conversation_json(found))


async def list_messages(call: Call) -> dict[str, Any]:
    query = call.query(since_seq=int, limit=int)
    limit = query.get("limit", 100)
    if not 1 <= limit <= 1000:
        raise ApiError(422, "invalid_value", "'limit' must be between 1 and 1000")
    messages = await call.state.store.messages(
        call.user_id,
        call.path("conversation_id"),
        since_seq=max(1, query.get("since_seq", 1)),
        limit=limit,
    )
    return {"messages": [message_json(m) for m in messages]}


async def send_message(call: Call) -> dict[str, Any]:
    body = await call.body(NewMessage)
    turn = await call.state.live.start(
        call.user_id, call.path("conversation_id"), body.text, body.idempotency_key
    )
    started = await turn.started
    finished = await turn.finished
    return {
        "user_message": message_json(started.user_message),
        "reply": message_json(finished.reply),
        "replayed": started.replayed,
        "error": finished.error,
    }


async def greet(call: Call) -> dict[str, Any]:
    greeting = await call.state.live.greet(call.user_id, call.path("conversation_id"))
    return {"message": message_json(greeting) if greeting else None}


async def stop_reply(call: Call) -> dict[str, Any]:
    conversation_id = call.path("conversation_id")
    await call.state.live.check_owner(call.user_id, conversation_id)
    return {"stopped": call.state.live.stop(call.user_id, conversation_id)}


def client_address(request: Request) -> str:
    """Rate-limit key for requests made before sign-in."""
    return f"ip:{request.client.host if request.client else 'unknown'}"


def endpoints() -> list[Endpoint]:
    """os1's own REST endpoints."""
    conv = "/api/conversations/{conversation_id}"
    return [
        Endpoint("GET", "/api/health", health, "Is the server up", "server", auth=False,
                 rate_key=client_address),
        Endpoint("POST", "/api/session", login, "Sign in with a key; sets a session cookie",
                 "session", body=SessionLogin, auth=False, rate_key=client_address),
        Endpoint("DELETE", "/api/session", logout, "Sign out (ends the cookie's session)",
                 "session", status=204, response="signed out"),
        Endpoint("GET", "/api/me", get_me, "You, and which optional features are on", "you",
                 response="User"),
        Endpoint("PATCH", "/api/me", update_me, "Change your name", "you", body=Profile,
                 response="User"),
        Endpoint("GET", "/api/keys", list_keys, "Your API keys (never their secrets)", "keys"),
        Endpoint("POST", "/api/keys", create_key, "A new key; its secret is shown this once",
                 "keys", body=NewKey, status=201),
        Endpoint("DELETE", "/api/keys/{key_id}", revoke_key,
                 "Revoke a key (its sessions end too)", "keys", response="ApiKey"),
        Endpoint("GET", "/api/companions", list_companions, "Your companions", "companions"),
        Endpoint("POST", "/api/companions", create_companion, "Create a companion",
                 "companions", body=NewCompanion, status=201, response="Companion"),
        Endpoint("GET", "/api/companions/{companion_id}", get_companion, "One companion",
                 "companions", response="Companion"),
        Endpoint("PATCH", "/api/companions/{companion_id}", update_companion,
                 "Rename a companion or change its persona", "companions",
                 body=CompanionUpdate, response="Companion", description=(
                     "A growth-journal entry by you. `persona` replaces her whole persona "
                     "(as her identity) but for her notes about you; the blocks' limits hold. "
                     "PATCH .../persona edits one block.")),
        Endpoint("GET", "/api/conversations", list_conversations,
                 "Your conversations, most recent first", "conversations",
                 query=(("companion_id", "string", "only those with this companion"),)),
        Endpoint("POST", "/api/conversations", create_conversation, "Start a conversation",
                 "conversations", body=NewConversation, status=201, response="Conversation"),
        Endpoint("GET", conv, get_conversation, "One conversation", "conversations",
                 response="Conversation"),
        Endpoint("PATCH", conv, update_conversation, "Retitle a conversation",
                 "conversations", body=ConversationUpdate, response="Conversation"),
        Endpoint("GET", f"{conv}/messages", list_messages,
                 "Messages in order: the last `limit` (default 100) from `since_seq` on",
                 "messages",
                 query=(("since_seq", "integer", "first sequence number (default 1)"),
                        ("limit", "integer", "at most this many, the latest (1-1000)"))),
        Endpoint("POST", f"{conv}/messages", send_message,
                 "Say something and wait for the whole reply", "messages", body=NewMessage,
                 status=201, description=(
                     "The reply streams to every WebSocket watching the conversation. "
                     "409 while another reply is coming there.")),
        Endpoint("POST", f"{conv}/greet", greet,
                 "Greet if the conversation is new or was quiet for a while", "messages"),
        Endpoint("POST", f"{conv}/stop", stop_reply,
                 "Stop the reply in progress (kept as interrupted)", "messages"),
    ]  # fmt: skip
