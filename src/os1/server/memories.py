"""What she remembers, over REST: list, search, show, correct and forget (the `memories` feature).

A thin face on `os1.memory.Memories`, which reads and writes only the asking user's memories;
another user's memory ids are not found. Present when the companion has memory on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from os1.memory.memories import Memories
from os1.server.errors import ApiError
from os1.server.openapi import Endpoint
from os1.server.schema import string_field
from os1.server.state import Call
from os1.types import Memory, MemorySource

__all__ = ["MemoryUpdate", "endpoints"]

KINDS = ("episode", "fact", "summary")


@dataclass(frozen=True, slots=True)
class MemoryUpdate:
    """Correct a memory: its words, how much it matters, or whether it is still true."""

    at_least_one: ClassVar[bool] = True

    text: str | None = string_field("the corrected words", max_length=4000, optional=True)
    importance: float | None = field(
        default=None, metadata={"doc": "0 (trivial) to 1 (life-changing)", "minimum": 0.0,
                                "maximum": 1.0},
    )  # fmt: skip
    past: bool | None = field(
        default=None, metadata={"doc": "true: no longer true; false: true again"}
    )


def memory_json(memory: Memory, score: float | None = None) -> dict[str, Any]:
    """A memory as the API shows it."""
    data: dict[str, Any] = {
        "id": memory.id,
        "kind": memory.kind,
        "text": memory.text,
        "about": memory.about,
        "importance": memory.importance,
        "created_at": memory.created_at.isoformat(),
        "valid_at": memory.valid_at.isoformat(),
        "past_since": memory.invalid_at.isoformat() if memory.invalid_at else None,
        "conversation_id": memory.conversation_id,
        "seq": memory.seq,
    }
    if score is not None:
        data["score"] = round(score, 4)
    return data


def source_json(source: MemorySource) -> dict[str, Any]:
    """A message a memory came from."""
    return {
        "conversation_id": source.conversation_id,
        "seq": source.seq,
        "role": source.role,
        "content": source.content,
        "created_at": source.created_at.isoformat(),
    }


def _memories(call: Call) -> Memories:
    memories = call.state.companion.memories
    if memories is None:
        raise ApiError(404, "not_found", "memory is off on this server")
    return memories


async def list_memories(call: Call) -> dict[str, Any]:
    query = call.query(kind=str, limit=int, offset=int, current=bool)
    kind = query.get("kind")
    if kind is not None and kind not in KINDS:
        raise ApiError(422, "invalid_value", f"'kind' is one of: {', '.join(KINDS)}")
    limit = query.get("limit", 50)
    if not 1 <= limit <= 500:
        raise ApiError(422, "invalid_value", "'limit' must be between 1 and 500")
    memories = _memories(call)
    found = await memories.list(
        call.user_id,
        kind=kind,
        limit=limit,
        offset=query.get("offset", 0),
        include_past=not query.get("current", False),
    )
    counts = await memories.counts(call.user_id)
    return {"memories": [memory_json(m) for m in found], "counts": counts}


async def search_memories(call: Call) -> dict[str, Any]:
    query = call.query(q=str, limit=int)
    text = query.get("q", "")
    if not text.strip():
        raise ApiError(422, "missing_field", "'q' is what to search for")
    limit = query.get("limit", 10)
    if not 1 <= limit <= 100:
        raise ApiError(422, "invalid_value", "'limit' must be between 1 and 100")
    found = await _memories(call).search(call.user_id, text, limit=limit)
    return {"memories": [memory_json(r.memory, r.score) for r in found]}


async def show_memory(call: Call) -> dict[str, Any]:
    detail = await _memories(call).show(call.user_id, call.path("memory_id"))
    return {
        "memory": memory_json(detail.memory),
        "sources": [source_json(s) for s in detail.sources],
    }


async def edit_memory(call: Call) -> dict[str, Any]:
    body = await call.body(MemoryUpdate)
    memory = await _memories(call).edit(
        call.user_id, call.path("memory_id"), text=body.text, importance=body.importance,
        past=body.past,
    )  # fmt: skip
    return memory_json(memory)


async def forget_memory(call: Call) -> dict[str, Any]:
    query = call.query(with_sources=bool)
    count = await _memories(call).forget(
        call.user_id, [call.path("memory_id")], with_sources=query.get("with_sources", False)
    )
    return {"forgotten": count}


def endpoints() -> list[Endpoint]:
    """The memory endpoints."""
    one = "/api/memories/{memory_id}"
    return [
        Endpoint("GET", "/api/memories", list_memories, "What she remembers, newest first",
                 "memories", query=(
                     ("kind", "string", "episode, fact or summary"),
                     ("limit", "integer", "at most this many (1-500, default 50)"),
                     ("offset", "integer", "skip this many"),
                     ("current", "boolean", "leave out facts that are no longer true"))),
        Endpoint("GET", "/api/memories/search", search_memories,
                 "Find memories by meaning, words and time", "memories", required_query=("q",),
                 query=(("q", "string", "what to look for"),
                        ("limit", "integer", "at most this many (1-100, default 10)"))),
        Endpoint("GET", one, show_memory, "One memory and the messages it came from",
                 "memories"),
        Endpoint("PATCH", one, edit_memory, "Correct a memory", "memories", body=MemoryUpdate),
        Endpoint("DELETE", one, forget_memory, "Forget a memory for good", "memories",
                 query=(("with_sources", "boolean",
                         "also erase the messages it came from, everywhere"),)),
    ]  # fmt: skip
