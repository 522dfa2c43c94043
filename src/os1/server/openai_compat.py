"""`/v1/models` and `/v1/chat/completions`: an os1 companion as the "model" of any OpenAI client.

Other chat UIs (SillyTavern, Open WebUI, AIRI) keep their own copy of the conversation and send
all of it each time; os1 keeps the real one. So only the last message, which must be the user's,
becomes a new turn; everything before it is ignored, and the reply comes from the companion with
its own history, memory and safety. Which conversation it lands in:

1. the `X-OS1-Conversation` header, if given (a conversation id of yours, with that companion);
2. else the request's `user` field: each distinct value is its own conversation, kept for reuse;
3. else the companion's most recent conversation (as in `os1 chat`).

The model is a companion: its name as listed by /v1/models, or its id. Sampling fields
(temperature, max_tokens, ...) and other fields OpenAI defines are accepted and ignored: the
companion's settings decide. An `Idempotency-Key` header makes a retried request safe.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from os1.server.errors import ApiError
from os1.server.live import LiveTurn
from os1.server.openapi import Endpoint, openai_error_body
from os1.server.schema import read_json
from os1.server.state import Call
from os1.types import CompanionProfile, Conversation, ReplyDelta, TurnFinished

__all__ = ["endpoints"]

CONVERSATION_HEADER = "x-os1-conversation"


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What os1 takes from a chat completion request."""

    model: str
    text: str
    stream: bool
    user: str | None
    include_usage: bool


ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def _bad(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise _bad("only text content is supported")
            if not isinstance(part.get("text"), str):
                raise _bad("a text part needs 'text' as a string")
            pieces.append(part["text"])
        return "\n".join(pieces)
    raise _bad("the last message's 'content' must be a string or a list of text parts")


def _optional(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and type(value) is not kind:
        raise _bad(f"'{name}' must be {'true or false' if kind is bool else kind.__name__}")
    return value


def parse_chat_request(data: object) -> ChatRequest:
    """The parts of an OpenAI chat request os1 uses; a 400 naming what is wrong."""
    if not isinstance(data, dict):
        raise _bad("the body must be a JSON object")
    model = data.get("model")
    if not isinstance(model, str) or not 0 < len(model) <= 200:
        raise _bad("'model' must be a companion's name (see /v1/models)")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty list")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise _bad(f"each message needs a 'role' ({', '.join(ROLES)})")
    if messages[-1]["role"] != "user":
        raise _bad("the last message must be the user's: it is the new turn")
    text = _text(messages[-1].get("content"))
    if not text.strip():
        raise _bad("the last message is empty")
    if _optional(data, "n", int) not in (None, 1):
        raise _bad("'n' must be 1: a companion gives one reply")
    user = _optional(data, "user", str)
    if user is not None and len(user) > 256:
        raise _bad("'user' must be at most 256 characters")
    options = _optional(data, "stream_options", dict) or {}
    return ChatRequest(
        model=model,
        text=text,
        stream=bool(_optional(data, "stream", bool)),
        user=user or None,
        include_usage=bool(_optional(options, "include_usage", bool)),
    )


CHAT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "OpenAI's chat completion request; fields not listed are accepted and ignored",
    "required": ["model", "messages"],
    "properties": {
        "model": {"type": "string", "description": "a companion's name from /v1/models"},
        "messages": {
            "type": "array",
            "minItems": 1,
            "description": "only the last one (role 'user') is used: it is the new turn",
            "items": {
                "type": "object",
                "required": ["role"],
                "properties": {
                    "role": {"type": "string", "enum": list(ROLES)},
                    "content": {"type": ["string", "array", "null"]},
                },
            },
        },
        "stream": {"type": ["boolean", "null"]},
        "stream_options": {
            "type": ["object", "null"],
            "properties": {"include_usage": {"type": "boolean"}},
        },
        "user": {"type": ["string", "null"], "maxLength": 256,
                 "description": "each distinct value is its own conversation"},
        "n": {"type": ["integer", "null"], "enum": [1, None]},
    },
}  # fmt: skip


def model_names(profiles: list[CompanionProfile]) -> dict[str, CompanionProfile]:
    """Each companion under the name clients see: its own name, made unique where it is not."""
    counts: dict[str, int] = {}
    for profile in profiles:
        counts[profile.name.casefold()] = counts.get(profile.name.casefold(), 0) + 1
    return {
        (p.name if counts[p.name.casefold()] == 1 else f"{p.name}-{p.id[-6:]}"): p for p in profiles
    }


async def list_models(call: Call) -> dict[str, Any]:
    profiles = await call.state.store.list_companions(call.user_id)
    return {
        "object": "list",
        "data": [
            {
                "id": name,
                "object": "model",
                "created": int(profile.created_at.timestamp()),
                "owned_by": "os1",
            }
            for name, profile in model_names(profiles).items()
        ],
    }


async def _companion(call: Call, model: str) -> tuple[str, CompanionProfile]:
    profiles = await call.state.store.list_companions(call.user_id)
    names = model_names(profiles)
    if model in names:
        return model, names[model]
    for name, profile in names.items():
        if model == profile.id or model.casefold() == name.casefold():
            return name, profile
    if model.casefold() == "os1" and names:
        # (Apps that ask for a model name before listing any: "os1" is their first companion.)
        return next(iter(names.items()))
    raise ApiError(404, "model_not_found", f"no companion called '{model}'; see /v1/models")


async def _conversation(
    call: Call, request: ChatRequest, profile: CompanionProfile
) -> Conversation:
    store = call.state.store
    chosen = call.request.headers.get(CONVERSATION_HEADER)
    if chosen:
        conversation = await store.get_conversation(call.user_id, chosen.strip())
        if conversation.companion_id != profile.id:
            raise ApiError(400, "companion_mismatch", "that conversation is with another companion")
        return conversation
    if request.user:
        return await store.conversation_for_alias(call.user_id, profile.id, request.user)
    user = await store.get_user(call.user_id)
    return await call.state.companion.latest_conversation(user, profile)


async def chat_completions(call: Call) -> Response:
    data = await read_json(call.request, call.state.settings.max_request_bytes)
    request = parse_chat_request(data)
    model, profile = await _companion(call, request.model)
    conversation = await _conversation(call, request, profile)
    key = call.request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= 200:
        raise ApiError(400, "invalid_value", "Idempotency-Key must be 1 to 200 characters")
    turn = await call.state.live.start(
        call.user_id, conversation.id, request.text, key, watch=request.stream
    )
    started = await turn.started  # input errors surface here, before any streaming starts
    completion_id = f"chatcmpl-{started.user_message.id.removeprefix('msg_')}"
    headers = {CONVERSATION_HEADER: conversation.id}
    if request.stream:
        return StreamingResponse(
            _stream(call, turn, completion_id, model, request),
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    finished = await turn.finished
    if finished.error and not finished.reply.content:
        raise ApiError(502, "backend_error", finished.error)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": finished.reply.content},
                    "finish_reason": _finish_reason(finished),
                }
            ],
            "usage": _usage(call, request.text, finished.reply.content),
        },
        headers=headers,
    )


def _finish_reason(finished: TurnFinished) -> str:
    return "length" if finished.reply.meta.get("finish") == "length" else "stop"


def _usage(call: Call, prompt: str, reply: str) -> dict[str, int]:
    # Estimates from the backend's tokenizer: the new message in, the reply out.
    count = call.state.companion.backend.count_tokens
    prompt_tokens, completion_tokens = count(prompt), count(reply)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


async def _stream(
    call: Call, turn: LiveTurn, completion_id: str, model: str, request: ChatRequest
) -> AsyncIterator[str]:
    created = int(time.time())

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    assert turn.events is not None
    try:
        yield chunk({"role": "assistant", "content": ""})
        while True:
            event = await turn.events.get()
            if isinstance(event, ApiError):
                yield f"data: {json.dumps(openai_error_body(event))}\n\n"
                break
            if isinstance(event, ReplyDelta):
                yield chunk({"content": event.text})
            elif isinstance(event, TurnFinished):
                yield chunk({}, _finish_reason(event))
                if request.include_usage:
                    usage = _usage(call, request.text, event.reply.content)
                    yield chunk(None, usage=usage)
                break
        yield "data: [DONE]\n\n"
    finally:
        if not turn.finished.done():
            # The client went away: stop the reply (what was said is kept, as interrupted).
            call.state.live.stop(turn.user_id, turn.conversation_id)


def endpoints() -> list[Endpoint]:
    """The OpenAI-compatible endpoints."""
    return [
        Endpoint("GET", "/v1/models", list_models, "Your companions, as OpenAI models", "openai",
                 style="openai"),
        Endpoint("POST", "/v1/chat/completions", chat_completions,
                 "Talk to a companion through the OpenAI chat API (streaming or not)", "openai",
                 style="openai", description=__doc__ or "", body_schema=CHAT_SCHEMA,
                 response="chat.completion, or text/event-stream of chat.completion.chunk"),
    ]  # fmt: skip
