"""Remembering each turn off the reply path: a `TurnObserver`.

The two messages of a finished turn become searchable at once (embedding them takes a few
milliseconds); fact extraction follows in the same background task, one user at a time, and
gives the model back whenever a person is waiting for a reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from os1.errors import Os1Error
from os1.memory.extraction import FactExtractor, GaveWay

if TYPE_CHECKING:
    from os1.companion import TurnInput
    from os1.memory.memories import Memories
    from os1.types import Message

__all__ = ["MemoryObserver"]

log = logging.getLogger(__name__)


class MemoryObserver:
    """Hears every stored turn: remembers its messages, then extracts facts (if it can)."""

    def __init__(
        self,
        memories: Memories,
        extractor: FactExtractor | None = None,
        *,
        retry_s: float = 2.0,
        retries: int = 30,
    ) -> None:
        self.memories = memories
        self.extractor = extractor
        self.retry_s = retry_s
        self.retries = retries
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def turn_finished(self, turn: TurnInput, user_message: Message, reply: Message) -> None:
        """Remember the turn; extract facts from what has not been read yet."""
        try:
            await self.memories.remember_messages(turn.user_id, [user_message, reply])
            if self.extractor is None:
                return
            async with self._locks[turn.user_id]:
                for _ in range(self.retries):
                    try:
                        await self.extractor.extract_pending(turn.user_id, turn.conversation.id)
                        return
                    except GaveWay:
                        # A person is waiting for a reply; read the rest once the model is free.
                        await asyncio.sleep(self.retry_s)
        except Os1Error as err:
            # Background work never takes the conversation down; `os1 memory sleep` catches up.
            log.warning("memory: %s", err)
