"""The turn loop, top to bottom: clean, check policy, recall, persist, build context, stream
through the policies' gate, persist.

Memory recall and affect plug in as `ContextSource`s that add per-turn notes; safety policies
(os1.safety) see each message first and each reply before it is shown. The loop itself stays
the one obvious place where a turn happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from os1.backends import Backend
from os1.config import Settings
from os1.context import ContextBuilder, PromptWindow, clean_input, render_notes
from os1.errors import BackendError
from os1.heart import heart_for
from os1.heart.journal import GrowthJournal, chooses_own_name
from os1.heart.persona import opening_message
from os1.memory import memory_for
from os1.names import ASKS_NAME, NICE_TO_MEET, UNNAMED, name_from_answer, only_a_name
from os1.plugins import load_backend, load_store
from os1.safety import Policy, SafetyFloor, floor_policies
from os1.safety.disclosure import AI_DISCLOSURE
from os1.store import PersonaStore, SafetyStore, Store
from os1.types import (
    BackendEvent,
    CompanionProfile,
    Conversation,
    Finish,
    GenerationRequest,
    Message,
    MessageStatus,
    Notice,
    ReplyDelta,
    TextDelta,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    User,
)

if TYPE_CHECKING:
    from os1.memory.memories import Memories

__all__ = ["Companion", "ContextSource", "TurnInput", "TurnObserver"]

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TurnInput:
    """What a context source sees about the turn being prepared."""

    user_id: str
    conversation: Conversation
    profile: CompanionProfile
    text: str
    now: datetime


class ContextSource(Protocol):
    """Adds per-turn notes (recalled memories, mood, policy notes) next to the user's message."""

    async def notes(self, turn: TurnInput) -> Sequence[str]:
        """Lines of quoted data for this turn; empty when there is nothing to add."""
        ...

    def notes_dropped(self, turn: TurnInput) -> None:
        """A turn prepared ahead was dropped unsaid: forget that its notes were given, if kept."""
        ...


class TurnObserver(Protocol):
    """Hears about every stored turn (memory extraction, mood, counters), off the reply path.

    Observers run as background tasks after the reply is stored; anything slow must queue its
    work and return, never hold the model while a person waits.
    """

    async def turn_finished(self, turn: TurnInput, user_message: Message, reply: Message) -> None:
        """Called once per turn with the stored user message and reply."""
        ...


GREETINGS_FIRST = (
    "Hi, I'm {name}. I'm an AI, not a person, but I'm really glad to meet you. "
    "What should I call you?"
)
GREETING_NAMED = (
    "Hi, I'm {name}: I just chose that name for myself. I'm an AI, not a person, but I'm really "
    "glad to meet you. What should I call you?"
)
GREETING_BACK = "Hey{you}, welcome back. It's {name}, your AI companion. How have you been?"
GREETING_AGAIN = "Hi {you}, it's {name}, your AI companion. What's on your mind?"
"""A new conversation with someone she knows by name (not "glad to meet you", nor their name
asked again)."""
GREETING_GAP_S = 30 * 60
TIME_NOTE_GAP_S = 30 * 60


class Companion:
    """The companion engine: many users, many conversations, one backend and one store."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store,
        backend: Backend,
        clock: Clock = _utcnow,
        sources: Sequence[ContextSource] = (),
        observers: Sequence[TurnObserver] = (),
        policies: Sequence[Policy] = (),
    ) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.clock = clock
        self.sources = list(sources)
        self.observers = list(observers)
        # Every user message and every reply passes these, in order (os1.safety).
        self.safety = SafetyFloor(policies, cast(SafetyStore, store))
        self._background: set[asyncio.Task[None]] = set()
        # Her persona and its history (os1.heart.journal); the system prompt comes from it.
        self.journal = GrowthJournal(cast(PersonaStore, store), settings, clock)
        self.context = ContextBuilder(
            backend.count_tokens,
            min(settings.context_tokens, backend.context_window),
            settings.max_tokens,
        )
        self._turn_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # What she remembers (the library API of os1.memory); None with memory off.
        self.memories: Memories | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: object) -> Companion:
        """Build the store and backend that `settings` name, through the plugin registry;
        with memory on (and its extra installed), recall and remembering are added. The safety
        floor is always installed first; `policies` given here run after it."""
        backend = load_backend(settings)
        store = load_store(settings, cast(Clock | None, kwargs.get("clock")))

        async def people() -> int:
            return (await store.stats())["users"]

        extra = cast(Sequence[Policy], kwargs.get("policies", ()))
        kwargs["policies"] = [*floor_policies(settings, people=people), *extra]
        clock = cast(Clock, kwargs.get("clock", _utcnow))
        memory = memory_for(settings, store, backend, clock)
        if memory is not None:
            sources = cast(Sequence[ContextSource], kwargs.get("sources", ()))
            observers = cast(Sequence[TurnObserver], kwargs.get("observers", ()))
            kwargs["sources"] = [memory[1], *sources]
            kwargs["observers"] = [*observers, memory[2]]
        heart = heart_for(settings, store, backend, clock)
        if heart is not None:
            # After recall: her mood and the strategy for the reply are the last notes.
            sources = cast(Sequence[ContextSource], kwargs.get("sources", ()))
            observers = cast(Sequence[TurnObserver], kwargs.get("observers", ()))
            kwargs["sources"] = [*sources, heart]
            kwargs["observers"] = [*observers, heart]
        companion = cls(settings, store=store, backend=backend, **kwargs)  # type: ignore[arg-type]
        companion.memories = memory[0] if memory is not None else None
        return companion

    async def start(self) -> int:
        """Recover from a crash: replies left mid-stream become `interrupted`. Returns how many."""
        return await self.store.recover()

    async def aclose(self, grace_s: float = 2.0) -> None:
        """Give background work `grace_s` to finish, stop the rest, close backend and store.

        Background work is resumable (`os1 memory sleep` reads what was not read), so quitting
        never waits minutes for fact extraction to finish.
        """
        if self._background:
            _, pending = await asyncio.wait(list(self._background), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.backend.aclose()
        await self.store.aclose()

    # --- who and where ------------------------------------------------------------------

    async def local_user(self) -> User:
        """The single local user of a desktop install, created on first use."""
        users = await self.store.list_users()
        if not users:
            return await self.store.create_user(self.settings.user_name or UNNAMED)
        if self.settings.user_name and users[0].name != self.settings.user_name:
            # `os1 config set user_name` renames the person she already knows.
            return await self.store.rename_user(users[0].id, self.settings.user_name)
        return users[0]

    async def default_profile(self, user: User) -> CompanionProfile:
        """The user's first companion, created from the settings on first use."""
        profiles = await self.store.list_companions(user.id)
        if profiles:
            return profiles[0]
        return await self.journal.new_companion(user.id)

    async def latest_conversation(self, user: User, profile: CompanionProfile) -> Conversation:
        """The most recent conversation with this companion, or a new one."""
        conversations = await self.store.list_conversations(user.id, profile.id)
        if conversations:
            return conversations[0]
        return await self.store.create_conversation(user.id, profile.id)

    async def new_conversation(self, user: User, profile: CompanionProfile) -> Conversation:
        """Start a fresh conversation."""
        return await self.store.create_conversation(user.id, profile.id)

    async def history(self, user_id: str, conversation_id: str, limit: int = 20) -> list[Message]:
        """The last `limit` messages of a conversation."""
        return await self.store.messages(user_id, conversation_id, limit=limit)

    async def greet(self, user_id: str, conversation_id: str) -> Message | None:
        """Greet at the start of a conversation or after a pause; None if talking just now."""
        conversation = await self.store.get_conversation(user_id, conversation_id)
        profile = await self.store.get_companion(user_id, conversation.companion_id)
        last = await self.store.messages(user_id, conversation_id, limit=1)
        if last and (self.clock() - last[0].created_at).total_seconds() < GREETING_GAP_S:
            return None
        user = await self.store.get_user(user_id)
        user_name = user.name if user.name and user.name != UNNAMED else ""
        if last:
            you = f" {user_name}" if user_name else ""
            text = GREETING_BACK.format(name=profile.name, you=you)
        elif opening := opening_message(await self.journal.for_profile(profile), user_name):
            # A card's own first message, after the disclosure os1's greetings always carry.
            text = f"{AI_DISCLOSURE}\n\n{opening}"
        elif user_name and len(await self.store.list_conversations(user_id, profile.id)) > 1:
            text = GREETING_AGAIN.format(name=profile.name, you=user_name)
        else:
            first = GREETINGS_FIRST
            if chooses_own_name(self.settings) and await self._first_meeting(profile):
                first = GREETING_NAMED
            text = first.format(name=profile.name)
        return await self.store.append_message(
            user_id, conversation_id, "assistant", text, meta={"kind": "greeting"}
        )

    async def prepare(self, user_id: str, conversation_id: str) -> None:
        """Warm the backend's cache with the conversation so far, while the person types."""
        conversation = await self.store.get_conversation(user_id, conversation_id)
        profile = await self.store.get_companion(user_id, conversation.companion_id)
        history = await self.store.messages(
            user_id, conversation_id, since_seq=conversation.context_start_seq
        )
        system = await self._system(profile)
        window = self.context.build(system, history, conversation.context_start_seq)
        await self.backend.warm(window.messages, cache_key=conversation_id)

    def reply_coming(self) -> contextlib.AbstractContextManager[object]:
        """Inside: a person is about to want a reply (they stopped talking), so the model's
        background work (memory, reflection) gives way now, leaving the CPU to speech-to-text."""
        return self.backend.reply_coming()

    async def _system(self, profile: CompanionProfile) -> str:
        user = await self.store.get_user(profile.user_id)
        name = user.name if user.name != UNNAMED else self.settings.user_name
        return await self.journal.system_prompt(profile, name)

    async def _learn_name(self, user_id: str, recent: Sequence[Message], text: str) -> None:
        """Their answer to her first "What should I call you?" names an unnamed account (her
        greeting's question only: a model may write those words anywhere)."""
        if not _asked_name(recent):
            return
        user = await self.store.get_user(user_id)
        if user.name == UNNAMED and (name := name_from_answer(text)):
            await self.store.rename_user(user_id, name)

    async def _first_meeting(self, profile: CompanionProfile) -> bool:
        """Has she just named herself and never talked with this person before?"""
        conversations = await self.store.list_conversations(profile.user_id, profile.id)
        return len(conversations) <= 1 and await self.journal.named_herself(
            profile.user_id, profile.id
        )

    # --- the turn -------------------------------------------------------------------------

    async def send(
        self,
        user_id: str,
        conversation_id: str,
        text: str,
        *,
        idempotency_key: str | None = None,
        delivered: Callable[[str], Awaitable[str]] | None = None,
        go: asyncio.Future[bool] | None = None,
        clearly_heard: str | None = None,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Take one user message and stream the reply as turn events.

        The user's message is committed before the model is called. The reply is stored when it
        ends: `complete`, or `interrupted` with what was produced if the backend fails, times out,
        or the caller stops iterating (Ctrl-C, a closed socket). A repeated idempotency key
        replays the stored turn instead of storing anything twice. `delivered`, when given, is
        awaited with the produced text as the reply ends and returns what the person actually
        got (a voice pipeline waits for playback and returns what was heard); a shorter text is
        stored instead, as `interrupted`.

        With `go`, the turn is prepared ahead (a voice turn while the pause that ends it is still
        running): the policies' screen, the notes and the model's first tokens are worked out at
        once, but nothing is stored, recorded or yielded until `go` gives True. False (or
        cancelling) drops the turn without a trace: no event, nothing stored.

        A spoken message gives `clearly_heard`: its words with those speech-to-text may have
        misheard as "…", so the safety floor can ask rather than act on a mishearing.
        """
        text, notices = clean_input(text, self.settings.max_message_chars)
        async with self._turn_locks[conversation_id]:
            conversation = await self.store.get_conversation(user_id, conversation_id)
            profile = await self.store.get_companion(user_id, conversation.companion_id)
            now = self.clock()
            turn = TurnInput(user_id, conversation, profile, text, now)
            # Policies see the message before anything else: notes, flags, maybe the reply.
            recent = await self.store.messages(user_id, conversation_id, limit=12)
            screening = await self.safety.screen(
                user_id, conversation_id, profile.name, text, now, recent, clearly_heard
            )
            notes = await self._gather_notes(turn, screening.notes)
            # A policy's reply (the crisis protocol), or her greeting's next line when they
            # answered its question with only a name: the model is not asked.
            scripted = screening.reply
            if scripted is None and _asked_name(recent) and (name := only_a_name(text)):
                scripted = NICE_TO_MEET.format(name=name)
            ahead: _StreamAhead | None = None
            if go is not None:
                ahead = await self._ahead(turn, notes, scripted is None)
                going = False
                try:
                    going = await go
                finally:
                    if not going:
                        await ahead.aclose()
                        self._drop_notes(turn)
                if not going:
                    return
            record = await self.store.begin_turn(
                user_id,
                conversation_id,
                text,
                idempotency_key=idempotency_key,
                notes=notes,
                meta=screening.meta,
            )
            if record.replayed:
                if ahead is not None:
                    await ahead.aclose()
                async for event in self._replay(record.user_message, record.reply):
                    yield event
                return
            assert record.reply is not None
            await self._learn_name(user_id, recent, text)
            await self.safety.record(screening)
            yield TurnStarted(record.user_message, record.reply.seq)
            for notice in notices:
                yield Notice(notice)

            window = await self._window(user_id, conversation, profile)
            if window.trimmed:
                await self.store.set_context_start(user_id, conversation_id, window.start_seq)
            request = self._request(conversation_id, window)
            if ahead is not None and ahead.request != request:
                await ahead.aclose()  # the prompt came out otherwise once stored: start again
                ahead = None
            # Every piece passes the policies' checks before it is shown (or spoken).
            gate = self.safety.gate(screening)
            status = MessageStatus.INTERRUPTED
            error: str | None = None
            finish: Finish | None = None
            deadline = asyncio.get_running_loop().time() + self.settings.timeout_s
            try:
                try:
                    if opening := gate.open():
                        yield ReplyDelta(opening)
                    if scripted is not None:
                        yield ReplyDelta(gate.say(scripted))
                    else:
                        stream = (
                            ahead.pieces() if ahead is not None else self.backend.stream(request)
                        )
                        async with contextlib.aclosing(stream) as pieces:
                            while not gate.stopped:
                                # Only the wait on the backend is timed: a deadline that fired
                                # while the caller holds a piece would cancel the caller's task.
                                async with asyncio.timeout_at(deadline):
                                    piece = await anext(pieces, None)
                                if piece is None:
                                    break
                                if isinstance(piece, TextDelta):
                                    if shown := gate.feed(piece.text):
                                        yield ReplyDelta(shown)
                                else:
                                    finish = piece
                    status = MessageStatus.COMPLETE
                except BackendError as err:
                    error = str(err)
                except TimeoutError:
                    error = (
                        f"no complete reply within {self.settings.timeout_s:g} s; kept what came"
                    )
                # The rest the checks allow (and any postscript), after a failure too.
                if rest := gate.close():
                    yield ReplyDelta(rest)
            finally:
                if ahead is not None:
                    await ahead.aclose()
                # Runs on Ctrl-C and closed sockets too: what was shown is never lost.
                content = gate.shown
                if delivered is not None:
                    heard = await delivered(content)
                    if heard != content:
                        content, status = heard, MessageStatus.INTERRUPTED
                meta: dict[str, Any] = {"finish": finish.reason} if finish else {}
                if error:
                    meta["error"] = error
                if shaped := [*screening.shaped_by, *filter(None, [gate.replaced_by])]:
                    meta["safety"] = shaped
                reply = await asyncio.shield(
                    self.store.finish_reply(record.reply.id, content, status, meta)
                )
                if gate.replaced_by:
                    await asyncio.shield(self.safety.record_replacement(screening, gate))
                self._notify(turn, record.user_message, reply)
            yield TurnFinished(reply, error)

    async def reply(self, user_id: str, conversation_id: str, text: str) -> TurnFinished:
        """Send a message and wait for the whole reply."""
        finished: TurnFinished | None = None
        async for event in self.send(user_id, conversation_id, text):
            if isinstance(event, TurnFinished):
                finished = event
        assert finished is not None
        return finished

    def _notify(self, turn: TurnInput, user_message: Message, reply: Message) -> None:
        for observer in self.observers:
            task = asyncio.get_running_loop().create_task(
                observer.turn_finished(turn, user_message, reply)
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work started by finished turns (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _gather_notes(self, turn: TurnInput, policy_notes: Sequence[str] = ()) -> str:
        lines: list[str] = []
        for source in self.sources:
            lines.extend(await source.notes(turn))
        lines.extend(policy_notes)
        last = await self.store.messages(turn.user_id, turn.conversation.id, limit=1)
        time_is_news = (
            not last
            or last[0].meta.get("kind") == "greeting"
            or (turn.now - last[0].created_at).total_seconds() >= TIME_NOTE_GAP_S
            or turn.now.date() != last[0].created_at.date()
        )
        return render_notes(turn.now if time_is_news else None, lines)

    def _request(self, conversation_id: str, window: PromptWindow) -> GenerationRequest:
        return GenerationRequest(
            messages=window.messages,
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            cache_key=conversation_id,
        )

    async def _ahead(self, turn: TurnInput, notes: str, ask_model: bool) -> _StreamAhead:
        """Start the reply to a turn not stored yet: the prompt it will have once stored."""
        conversation = turn.conversation
        history = await self.store.messages(
            turn.user_id, conversation.id, since_seq=conversation.context_start_seq
        )
        last = await self.store.messages(turn.user_id, conversation.id, limit=1)
        unsaid = Message(
            id=f"ahead_{uuid.uuid4().hex}",
            conversation_id=conversation.id,
            seq=last[0].seq + 1 if last else 1,
            role="user",
            content=turn.text,
            status=MessageStatus.COMPLETE,
            created_at=turn.now,
            notes=notes,
        )
        system = await self._system(turn.profile)
        window = self.context.build(system, [*history, unsaid], conversation.context_start_seq)
        request = self._request(conversation.id, window)
        return _StreamAhead(self.backend, request, start=ask_model)

    def _drop_notes(self, turn: TurnInput) -> None:
        for source in self.sources:
            source.notes_dropped(turn)

    async def _window(
        self, user_id: str, conversation: Conversation, profile: CompanionProfile
    ) -> PromptWindow:
        history = await self.store.messages(
            user_id, conversation.id, since_seq=conversation.context_start_seq
        )
        system = await self._system(profile)
        return self.context.build(system, history, conversation.context_start_seq)

    async def _replay(
        self, user_message: Message, reply: Message | None
    ) -> AsyncIterator[TurnEvent]:
        seq = reply.seq if reply else user_message.seq + 1
        yield TurnStarted(user_message, seq, replayed=True)
        if reply is not None:
            if reply.content:
                yield ReplyDelta(reply.content)
            yield TurnFinished(reply, reply.meta.get("error"))


def _asked_name(recent: Sequence[Message]) -> bool:
    """Whether the last message is her first greeting, which asks what to call them (her
    greeting's question only: a model may write those words anywhere)."""
    asked = recent[-1] if recent else None
    return asked is not None and asked.meta.get("kind") == "greeting" and ASKS_NAME in asked.content


class _StreamAhead:
    """A reply started before its turn is stored: the backend streams into a queue until the
    turn loop reads it (`pieces`) or drops it (`aclose`, which stops the backend)."""

    def __init__(self, backend: Backend, request: GenerationRequest, *, start: bool) -> None:
        self.request = request
        self._queue: asyncio.Queue[BackendEvent | Exception | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(backend, request)) if start else None

    async def _run(self, backend: Backend, request: GenerationRequest) -> None:
        try:
            async with contextlib.aclosing(backend.stream(request)) as stream:
                async for piece in stream:
                    self._queue.put_nowait(piece)
        except Exception as err:  # raised where the turn loop reads it
            self._queue.put_nowait(err)
        finally:
            self._queue.put_nowait(None)

    async def pieces(self) -> AsyncGenerator[BackendEvent, None]:
        """What the backend produced so far, then the rest as it comes."""
        if self._task is None:
            return
        try:
            while (item := await self._queue.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop the backend (it gives the model back before this returns)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
