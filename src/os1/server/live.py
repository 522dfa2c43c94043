"""Live turns: each reply runs on its own task, apart from the connection that asked for it.

A closed tab or a dropped phone connection does not cut a reply short: the turn goes on, is
stored whole, and whoever watches the conversation (any socket of that user, an SSE stream)
sees it as frames. Frames carry the conversation's sequence numbers, so a socket that joins late
gets the stored messages it missed from the store and the reply in progress from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from os1.companion import Companion
from os1.errors import NotFound, Os1Error
from os1.server.errors import ApiError, api_error_from
from os1.server.schema import message_json
from os1.types import (
    Message,
    MessageStatus,
    Notice,
    ReplyDelta,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)

__all__ = ["Frame", "LiveTurn", "LiveTurns", "frame"]

log = logging.getLogger("os1.server")

Frame = dict[str, Any]
Listener = Callable[[Frame], None]

OWNERS_KEPT = 100_000


def frame(kind: str, conversation_id: str | None, seq: int | None, **fields: Any) -> Frame:
    """A server frame: its type, the conversation and the sequence number it is about, then data."""
    return {"type": kind, "conversation_id": conversation_id, "seq": seq, **fields}


def message_frame(message: Message) -> Frame:
    """A stored message in its final form (complete or interrupted)."""
    return frame("message", message.conversation_id, message.seq, message=message_json(message))


def _settle(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
        future.exception()  # marks it seen: nobody may be waiting on this one


@dataclass(eq=False)
class LiveTurn:
    """A reply being produced: where it stands, and futures for whoever started it."""

    user_id: str
    conversation_id: str
    started: asyncio.Future[TurnStarted]
    finished: asyncio.Future[TurnFinished]
    events: asyncio.Queue[TurnEvent | ApiError] | None = None
    task: asyncio.Task[None] | None = None
    reply_seq: int | None = None
    parts: list[str] = field(default_factory=list)
    length: int = 0
    stop_requested: bool = False

    def snapshot(self) -> list[Frame]:
        """Frames that bring a late watcher up to date with the reply so far."""
        if self.reply_seq is None:
            return []
        frames = [frame("reply_started", self.conversation_id, self.reply_seq)]
        if self.parts:
            text = "".join(self.parts)
            frames.append(frame("delta", self.conversation_id, self.reply_seq, offset=0, text=text))
        return frames


class LiveTurns:
    """Every reply in progress in this process, and who is watching which conversation.

    One reply at a time per conversation, and at most `max_per_user` at once per user, so one
    heavy user cannot hold the whole model.
    """

    def __init__(self, companion: Companion, max_per_user: int) -> None:
        self.companion = companion
        self.max_per_user = max_per_user
        self._turns: dict[str, LiveTurn] = {}
        self._listeners: defaultdict[str, set[Listener]] = defaultdict(set)
        self._per_user: Counter[str] = Counter()
        # Who owns which conversation, as the store said: owners never change, and checking
        # here saves a store round trip on every turn and every watch.
        self._owners: OrderedDict[str, str] = OrderedDict()

    async def check_owner(self, user_id: str, conversation_id: str) -> None:
        """Raise NotFound unless the conversation is the user's (another's looks missing)."""
        owner = self._owners.get(conversation_id)
        if owner is None:
            await self.companion.store.get_conversation(user_id, conversation_id)
            self._owners[conversation_id] = user_id
            if len(self._owners) > OWNERS_KEPT:
                self._owners.popitem(last=False)
        elif owner != user_id:
            raise NotFound(f"no conversation {conversation_id}")

    def current(self, conversation_id: str) -> LiveTurn | None:
        """The reply in progress in a conversation, if any."""
        return self._turns.get(conversation_id)

    def streams(self, user_id: str) -> int:
        """How many replies of this user are in progress."""
        return self._per_user[user_id]

    async def start(
        self,
        user_id: str,
        conversation_id: str,
        text: str,
        idempotency_key: str | None = None,
        *,
        watch: bool = False,
    ) -> LiveTurn:
        """Start a turn; with `watch`, its events also go to `turn.events` for the caller.

        Raises 404 for a conversation that is not the user's, 409 while one is in progress there,
        and 429 past the user's cap on replies at once.
        """
        # Ownership first: another user's id must look missing, never busy.
        await self.check_owner(user_id, conversation_id)
        if conversation_id in self._turns:
            raise ApiError(
                409, "busy", "a reply is still coming in this conversation; wait or cancel it"
            )
        if self._per_user[user_id] >= self.max_per_user:
            raise ApiError(
                429,
                "too_many_streams",
                f"{self.max_per_user} replies are already coming at once; wait for one to end",
                retry_after=1,
            )
        loop = asyncio.get_running_loop()
        turn = LiveTurn(
            user_id,
            conversation_id,
            started=loop.create_future(),
            finished=loop.create_future(),
            events=asyncio.Queue() if watch else None,
        )
        self._turns[conversation_id] = turn
        self._per_user[user_id] += 1
        turn.task = loop.create_task(self._drive(turn, text, idempotency_key))
        return turn

    def stop(self, user_id: str, conversation_id: str) -> bool:
        """Stop the reply in progress (it is stored as interrupted); False if there is none."""
        turn = self._turns.get(conversation_id)
        if turn is None or turn.user_id != user_id:
            return False
        if turn.stop_requested:
            return True  # one cancel only: a second would cut the engine's own save short
        turn.stop_requested = True
        # Before the reply is reserved, cancelling could leave a half-begun turn; _drive stops
        # as soon as it is.
        if turn.reply_seq is not None and turn.task is not None:
            turn.task.cancel()
        return True

    def listen(self, conversation_id: str, listener: Listener) -> list[Frame]:
        """Watch a conversation; returns frames for the reply in progress, if any."""
        self._listeners[conversation_id].add(listener)
        turn = self._turns.get(conversation_id)
        return turn.snapshot() if turn else []

    def unlisten(self, conversation_id: str, listener: Listener) -> None:
        """Stop watching a conversation."""
        listeners = self._listeners.get(conversation_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[conversation_id]

    def publish(self, conversation_id: str, data: Frame) -> None:
        """Hand a frame to everyone watching the conversation."""
        for listener in list(self._listeners.get(conversation_id, ())):
            listener(data)

    async def greet(self, user_id: str, conversation_id: str) -> Message | None:
        """Greet in a conversation that is new or was quiet for a while (never mid-reply)."""
        if conversation_id in self._turns:
            await self.check_owner(user_id, conversation_id)
            return None
        greeting = await self.companion.greet(user_id, conversation_id)
        if greeting is not None:
            self.publish(conversation_id, message_frame(greeting))
        return greeting

    async def aclose(self) -> None:
        """Stop every reply in progress (each is stored as interrupted) and wait for them."""
        tasks = []
        for turn in list(self._turns.values()):
            self.stop(turn.user_id, turn.conversation_id)
            if turn.task is not None:
                tasks.append(turn.task)
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- the turn ----------------------------------------------------------------------------

    async def _drive(self, turn: LiveTurn, text: str, idempotency_key: str | None) -> None:
        events = self.companion.send(
            turn.user_id, turn.conversation_id, text, idempotency_key=idempotency_key
        )
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    self._on_event(turn, event)
                    # A stop asked for before the reply was reserved lands now, at the
                    # engine's next wait.
                    stop_now = turn.stop_requested and isinstance(event, TurnStarted)
                    if stop_now and turn.task is not None:
                        turn.task.cancel()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            try:
                await self._stopped(turn)
            except Os1Error as err:
                self._failed(turn, api_error_from(err))
        except Os1Error as err:
            self._failed(turn, api_error_from(err))
        except Exception:
            log.exception("a turn failed in conversation %s", turn.conversation_id)
            self._failed(turn, ApiError(500, "internal", "the reply failed; it was kept as is"))
        finally:
            del self._turns[turn.conversation_id]
            self._per_user[turn.user_id] -= 1
            if not self._per_user[turn.user_id]:
                del self._per_user[turn.user_id]
            _settle(turn.started, ApiError(500, "internal", "the turn ended before it began"))
            _settle(turn.finished, ApiError(500, "internal", "the turn ended without a reply"))

    def _on_event(self, turn: LiveTurn, event: TurnEvent) -> None:
        conversation_id = turn.conversation_id
        if turn.events is not None:
            turn.events.put_nowait(event)
        if isinstance(event, TurnStarted):
            turn.reply_seq = event.reply_seq
            turn.started.set_result(event)
            self.publish(conversation_id, message_frame(event.user_message))
            self.publish(conversation_id, frame("reply_started", conversation_id, event.reply_seq))
        elif isinstance(event, ReplyDelta):
            offset = turn.length
            turn.parts.append(event.text)
            turn.length += len(event.text)
            self.publish(
                conversation_id,
                frame("delta", conversation_id, turn.reply_seq, offset=offset, text=event.text),
            )
        elif isinstance(event, Notice):
            self.publish(conversation_id, frame("notice", conversation_id, turn.reply_seq,
                                                text=event.text))  # fmt: skip
        elif isinstance(event, TurnFinished):
            self.publish(conversation_id, message_frame(event.reply))
            turn.finished.set_result(event)

    async def _stopped(self, turn: LiveTurn) -> None:
        """After a stop: the engine stored the reply as interrupted; show it as stored."""
        if turn.reply_seq is None:
            self._failed(turn, ApiError(409, "stopped", "stopped before the reply began"))
            return
        stored = await self.companion.store.messages(
            turn.user_id, turn.conversation_id, since_seq=turn.reply_seq, limit=None
        )
        reply = next((m for m in stored if m.seq == turn.reply_seq), None)
        if reply is None:
            self._failed(turn, ApiError(500, "internal", "the stopped reply was not found"))
            return
        if reply.status is MessageStatus.STREAMING:
            # Stopped between reserving the reply and streaming it: nothing was said yet.
            reply = await self.companion.store.finish_reply(
                reply.id, "", MessageStatus.INTERRUPTED, {"finish": "cancelled"}
            )
        self._on_event(turn, TurnFinished(reply, "stopped"))

    def _failed(self, turn: LiveTurn, error: ApiError) -> None:
        if turn.events is not None:
            turn.events.put_nowait(error)
        if turn.reply_seq is not None:
            self.publish(
                turn.conversation_id,
                frame("error", turn.conversation_id, turn.reply_seq, **error.fields()),
            )
        _settle(turn.started, error)
        _settle(turn.finished, error)
