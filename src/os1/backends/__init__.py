"""Model backends: the Backend protocol and how backends are found."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Protocol, runtime_checkable

from os1.types import BackendEvent, ChatMessage, GenerationRequest

__all__ = ["Backend", "BackendEvent", "ChatMessage", "GenerationRequest"]


@runtime_checkable
class Backend(Protocol):
    """A chat model that streams a reply.

    `stream` yields `TextDelta`s and ends with one `Finish`. Closing the iterator (or cancelling the
    task that drives it) stops generation promptly. Capabilities are plain attributes:
    `name` is shown to users; `context_window` is in tokens; `keeps_prefix_cache` says whether a
    prompt that extends the previous one is cheaper (so the context builder keeps prefixes stable).
    """

    name: str
    context_window: int
    keeps_prefix_cache: bool

    def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        """Stream the reply to `request`."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` takes in this backend's model (an estimate is acceptable)."""
        ...

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        """Prepare for a prompt that starts with `messages` (fill caches); may do nothing."""
        ...

    def reply_coming(self) -> contextlib.AbstractContextManager[None]:
        """Inside it, background work gives way as it does to a waiting reply; may do nothing."""
        ...

    async def aclose(self) -> None:
        """Release the model or connection."""
        ...
