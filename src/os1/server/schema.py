"""What goes in and out of the API: strict request bodies, and the JSON shapes of stored things.

Request bodies are frozen dataclasses. `decode` accepts exactly their fields with exactly their
types (no unknown fields, no coercion), and `json_schema` describes them for the OpenAPI spec, so
the validation and the documentation cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from starlette.requests import HTTPConnection, Request

from os1.server.errors import ApiError
from os1.types import ApiKey, CompanionProfile, Conversation, Message, User

__all__ = [
    "CompanionUpdate",
    "ConversationUpdate",
    "NewCompanion",
    "NewConversation",
    "NewKey",
    "NewMessage",
    "Profile",
    "SessionLogin",
    "decode",
    "json_schema",
    "read_json",
    "read_upload",
]

B = TypeVar("B")

NAME_CHARS = 80
TITLE_CHARS = 200
PERSONA_CHARS = 20_000
KEY_CHARS = 200


def string_field(
    doc: str, *, max_length: int, min_length: int = 0, optional: bool = False
) -> Any:  # Any: what dataclasses.field returns is assigned to a typed attribute
    """A string field with its limits and its line of documentation."""
    meta = {"doc": doc, "maxLength": max_length, "minLength": min_length}
    return field(default=None, metadata=meta) if optional else field(metadata=meta)


@dataclass(frozen=True, slots=True)
class SessionLogin:
    """Sign in to the web page with an API key; the answer sets a session cookie."""

    key: str = string_field(
        "an API key from `os1 users add` or `os1 keys create`", max_length=KEY_CHARS
    )


@dataclass(frozen=True, slots=True)
class Profile:
    """Change what you are called."""

    name: str = string_field("what your companions call you", max_length=NAME_CHARS, min_length=1)


@dataclass(frozen=True, slots=True)
class NewKey:
    """Create another API key for yourself."""

    label: str | None = string_field(
        "a note to recognise it by", max_length=NAME_CHARS, optional=True
    )


@dataclass(frozen=True, slots=True)
class NewCompanion:
    """Create a companion."""

    name: str = string_field("the companion's name", max_length=NAME_CHARS, min_length=1)
    persona: str | None = string_field(
        "who they are, in the second person ('You are ...'); {name} is replaced by the name",
        max_length=PERSONA_CHARS,
        optional=True,
    )


@dataclass(frozen=True, slots=True)
class CompanionUpdate:
    """Change a companion's name or persona."""

    at_least_one: ClassVar[bool] = True

    name: str | None = string_field(
        "the companion's name", max_length=NAME_CHARS, min_length=1, optional=True
    )
    persona: str | None = string_field(
        "who they are; {name} is replaced by the name", max_length=PERSONA_CHARS, optional=True
    )


@dataclass(frozen=True, slots=True)
class NewConversation:
    """Start a conversation (with your first companion unless one is named)."""

    companion_id: str | None = string_field("which companion", max_length=KEY_CHARS, optional=True)
    title: str | None = string_field("a title", max_length=TITLE_CHARS, optional=True)


@dataclass(frozen=True, slots=True)
class ConversationUpdate:
    """Give a conversation a title."""

    title: str = string_field("the new title", max_length=TITLE_CHARS)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """Say something; the answer is the stored turn once the reply is complete."""

    text: str = string_field("what you say", max_length=2_000_000, min_length=1)
    idempotency_key: str | None = string_field(
        "any unique string; sending it again returns the stored turn instead of a new one",
        max_length=KEY_CHARS,
        optional=True,
    )


# --- decoding ------------------------------------------------------------------------------------


def _allowed(hint: Any) -> tuple[type, ...]:
    """The runtime types a field accepts: `str`, or `str | None` and the like."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(t for t in typing.get_args(hint))
    return (hint,)


def _accepts(allowed: tuple[type, ...], value: object) -> bool:
    # bool is an int in Python, never in JSON; a JSON number with no fraction is still a number.
    if float in allowed and type(value) is int:
        return True
    return any(type(value) is t for t in allowed)


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


@functools.cache
def _fields(body_type: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    # Resolving annotations is slow; a body type's never change.
    return typing.get_type_hints(body_type), {f.name: f for f in dataclasses.fields(body_type)}


def decode(body_type: type[B], data: object) -> B:
    """`data` as a `body_type`, or a 422 that names the first field that is wrong."""
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    hints, known = _fields(typing.cast(type, body_type))
    unknown = sorted(set(data) - set(known))
    if getattr(body_type, "at_least_one", False) and not data:
        raise ApiError(422, "missing_field", f"give at least one of: {', '.join(known)}")
    if unknown:
        raise ApiError(
            422,
            "unknown_field",
            f"unknown field '{unknown[0]}' (allowed: {', '.join(known) or 'none'})",
        )
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in data:
            if spec.default is MISSING:
                raise ApiError(422, "missing_field", f"'{name}' is required")
            continue
        value = data[name]
        allowed = _allowed(hints[name])
        if not _accepts(allowed, value):
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in allowed)
            raise ApiError(422, "wrong_type", f"'{name}' must be {wanted}")
        if isinstance(value, float | int) and not isinstance(value, bool):
            low, high = spec.metadata.get("minimum"), spec.metadata.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ApiError(422, "invalid_value", f"'{name}' must be between {low} and {high}")
        if isinstance(value, str):
            low, high = spec.metadata.get("minLength", 0), spec.metadata.get("maxLength")
            if len(value.strip()) < low:
                raise ApiError(422, "invalid_value", f"'{name}' must not be empty")
            if high is not None and len(value) > high:
                raise ApiError(
                    422, "too_long", f"'{name}' is {len(value):,} characters; the limit is {high:,}"
                )
        values[name] = value
    return body_type(**values)


def json_schema(body_type: type) -> dict[str, Any]:
    """The JSON schema of a request body dataclass, for the OpenAPI spec."""
    hints = typing.get_type_hints(body_type)
    properties: dict[str, Any] = {}
    required = []
    for spec in dataclasses.fields(body_type):
        allowed = [t for t in _allowed(hints[spec.name]) if t is not type(None)]
        names = {str: "string", int: "integer", float: "number", bool: "boolean"}
        prop: dict[str, Any] = {"type": names[allowed[0]]}
        if spec.metadata.get("doc"):
            prop["description"] = spec.metadata["doc"]
        for limit in ("maxLength", "minimum", "maximum"):
            if limit in spec.metadata:
                prop[limit] = spec.metadata[limit]
        if spec.metadata.get("minLength"):
            prop["minLength"] = spec.metadata["minLength"]
        if len(allowed) < len(_allowed(hints[spec.name])):
            prop["type"] = [prop["type"], "null"]
        properties[spec.name] = prop
        if spec.default is MISSING:
            required.append(spec.name)
    schema: dict[str, Any] = {
        "type": "object",
        "description": (body_type.__doc__ or "").strip(),
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if getattr(body_type, "at_least_one", False):
        schema["minProperties"] = 1
    return schema


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | str) -> object:
    """Strict JSON (no NaN or Infinity), or a 400 saying what is wrong with it."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise ApiError(400, "bad_json", f"the body is not valid JSON: {err}") from None


def media_type(request: Request) -> str:
    """The request's Content-Type without parameters, lower-case."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request, limit: int) -> object:
    """The request's JSON body, read at most `limit` bytes far."""
    if media_type(request) != "application/json":
        # Also a CSRF guard: a cross-site form cannot send application/json without CORS.
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    return parse_json(await read_body(request, limit))


async def read_upload(request: Request, limit: int, kinds: tuple[str, ...]) -> tuple[str, bytes]:
    """A file sent as the raw body: its media type (one of `kinds`) and bytes, at most `limit`.

    Form posts are refused (415), so a cross-site form cannot upload on a visitor's cookie.
    """
    kind = media_type(request)
    if kind not in kinds:
        raise ApiError(
            415, "unsupported_media_type", f"send the file as the body, as {' or '.join(kinds)}"
        )
    data = await read_body(request, limit)
    if not data:
        raise ApiError(400, "empty_body", "the body is empty: send the file")
    return kind, data


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, read at most `limit` bytes far (413 past it)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise ApiError(413, "too_large", f"the body is over the {limit:,}-byte limit")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body is over the {limit:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def query_params(conn: HTTPConnection, allowed: Mapping[str, type]) -> dict[str, Any]:
    """The query string as typed values (str, int, bool); unknown names or bad values: a 422."""
    out: dict[str, Any] = {}
    for name, value in conn.query_params.multi_items():
        kind = allowed.get(name)
        if kind is None:
            raise ApiError(422, "unknown_field", f"unknown query parameter '{name}'")
        if name in out:
            raise ApiError(422, "invalid_value", f"'{name}' is given twice")
        if kind is int:
            if not value.isdigit() or len(value) > 12:
                raise ApiError(422, "wrong_type", f"'{name}' must be a whole number")
            out[name] = int(value)
        elif kind is bool:
            if value not in ("true", "false"):
                raise ApiError(422, "wrong_type", f"'{name}' must be true or false")
            out[name] = value == "true"
        else:
            if len(value) > 1000:
                raise ApiError(422, "too_long", f"'{name}' is too long")
            out[name] = value
    return out


# --- what stored things look like --------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_json(user: User) -> dict[str, Any]:
    """A user as the API shows it."""
    return {"id": user.id, "name": user.name, "created_at": _when(user.created_at)}


def companion_json(profile: CompanionProfile) -> dict[str, Any]:
    """A companion as the API shows it."""
    return {
        "id": profile.id,
        "name": profile.name,
        "persona": profile.persona,
        "created_at": _when(profile.created_at),
    }


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    """A conversation as the API shows it."""
    return {
        "id": conversation.id,
        "companion_id": conversation.companion_id,
        "title": conversation.title,
        "created_at": _when(conversation.created_at),
        "updated_at": _when(conversation.updated_at),
    }


def message_json(message: Message) -> dict[str, Any]:
    """A message as the API shows it; the per-turn prompt notes stay inside the engine."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "role": message.role,
        "content": message.content,
        "status": message.status.value,
        "created_at": _when(message.created_at),
        "idempotency_key": message.idempotency_key,
        "meta": message.meta,
    }


def key_json(key: ApiKey) -> dict[str, Any]:
    """An API key as the API shows it: never the secret, which is shown once at creation."""
    return {
        "id": key.id,
        "label": key.label,
        "prefix": key.prefix,
        "created_at": _when(key.created_at),
        "last_used_at": _when(key.last_used_at),
        "revoked": key.revoked_at is not None,
    }


SHAPES: dict[str, dict[str, Any]] = {
    "User": {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("id", "name", "created_at")},
    },
    "Companion": {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("id", "name", "persona", "created_at")},
    },
    "Conversation": {
        "type": "object",
        "properties": {
            k: {"type": "string"}
            for k in ("id", "companion_id", "title", "created_at", "updated_at")
        },
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "conversation_id": {"type": "string"},
            "seq": {"type": "integer", "description": "gap-free within the conversation, from 1"},
            "role": {"type": "string", "enum": ["system", "user", "assistant"]},
            "content": {"type": "string"},
            "status": {"type": "string", "enum": ["complete", "streaming", "interrupted"]},
            "created_at": {"type": "string"},
            "idempotency_key": {"type": ["string", "null"]},
            "meta": {"type": "object"},
        },
    },
    "ApiKey": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "prefix": {"type": "string", "description": "the key's first characters"},
            "created_at": {"type": "string"},
            "last_used_at": {"type": ["string", "null"]},
            "revoked": {"type": "boolean"},
        },
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "retry_after": {"type": "number"},
                },
                "required": ["code", "message"],
            }
        },
    },
}
