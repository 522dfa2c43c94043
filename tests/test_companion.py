"""The turn loop on the scripted backend and a fake clock: what a person would notice."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

from conftest import PausingBackend
from os1.companion import Companion, TurnInput
from os1.config import Settings
from os1.errors import BackendUnavailable, InputError
from os1.names import ASKS_NAME, NICE_TO_MEET, UNNAMED, name_from_answer, only_a_name
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, Script, ScriptedBackend
from os1.types import (
    BackendEvent,
    Conversation,
    GenerationRequest,
    Message,
    MessageStatus,
    Notice,
    ReplyDelta,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    User,
)

STORY = "Once upon a time there was a small robot who loved the sea."


@pytest.fixture
async def chat(companion: Companion) -> tuple[User, Conversation]:
    user = await companion.local_user()
    profile = await companion.default_profile(user)
    return user, await companion.latest_conversation(user, profile)


async def collect(events: AsyncGenerator[TurnEvent, None]) -> list[TurnEvent]:
    return [event async for event in events]


def finished(events: list[TurnEvent]) -> TurnFinished:
    last = events[-1]
    assert isinstance(last, TurnFinished)
    return last


def reply_text(events: list[TurnEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReplyDelta))


async def stored(companion: Companion, chat: tuple[User, Conversation]) -> list[Message]:
    user, conversation = chat
    return await companion.store.messages(user.id, conversation.id)


async def test_reply_streams_in_pieces_and_is_stored_complete(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    backend.queue(STORY)
    events = await collect(companion.send(user.id, conversation.id, "tell me a story"))

    assert isinstance(events[0], TurnStarted)
    assert not events[0].replayed
    assert events[0].user_message.content == "tell me a story"
    deltas = [e for e in events if isinstance(e, ReplyDelta)]
    assert len(deltas) > 5
    assert reply_text(events) == STORY
    end = finished(events)
    assert end.error is None
    assert (end.reply.content, end.reply.status) == (STORY, MessageStatus.COMPLETE)
    assert end.reply.seq == events[0].reply_seq == 2
    assert end.reply.meta == {"finish": "stop"}
    messages = await stored(companion, chat)
    assert [(m.role, m.content, m.status) for m in messages] == [
        ("user", "tell me a story", MessageStatus.COMPLETE),
        ("assistant", STORY, MessageStatus.COMPLETE),
    ]


async def test_user_message_is_committed_before_the_backend_is_called(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    seen: list[list[tuple[str, str, str]]] = []

    class CheckingBackend(ScriptedBackend):
        async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
            # Read through a second connection: only committed rows are visible there.
            with sqlite3.connect(tmp_path / "os1.db") as other:
                rows = other.execute("SELECT role, content, status FROM messages ORDER BY seq")
                seen.append([(str(r[0]), str(r[1]), str(r[2])) for r in rows])
            other.close()
            async for event in super().stream(request):
                yield event

    companion = Companion(
        Settings(home=tmp_path), store=store, backend=CheckingBackend(replies=["Hi!"]), clock=clock
    )
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    events = await collect(companion.send(user.id, conversation.id, "are you there?"))
    assert finished(events).reply.content == "Hi!"
    assert seen == [[("user", "are you there?", "complete"), ("assistant", "", "streaming")]]


async def test_an_unreachable_backend_still_keeps_the_users_message(
    companion: Companion, chat: tuple[User, Conversation], monkeypatch: pytest.MonkeyPatch
) -> None:
    user, conversation = chat

    async def down(request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        raise BackendUnavailable("can't reach http://localhost:11434/v1")
        yield  # pragma: no cover - makes this an async generator

    monkeypatch.setattr(companion.backend, "stream", down)
    events = await collect(companion.send(user.id, conversation.id, "hello?"))
    end = finished(events)
    assert end.error == "can't reach http://localhost:11434/v1"
    messages = await stored(companion, chat)
    assert [(m.content, m.status) for m in messages] == [
        ("hello?", MessageStatus.COMPLETE),
        ("", MessageStatus.INTERRUPTED),
    ]


async def test_backend_dying_mid_stream_keeps_what_was_produced(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    backend.queue(Script("one two three four", fail_after=2))
    events = await collect(companion.send(user.id, conversation.id, "count"))

    assert [e.text for e in events if isinstance(e, ReplyDelta)] == ["one", " two"]
    end = finished(events)
    assert end.error == "the scripted backend died mid-stream"
    assert (end.reply.content, end.reply.status) == ("one two", MessageStatus.INTERRUPTED)
    reply = (await stored(companion, chat))[-1]
    assert (reply.content, reply.status) == ("one two", MessageStatus.INTERRUPTED)
    assert reply.meta["error"] == "the scripted backend died mid-stream"


async def test_closing_the_stream_early_stores_an_interrupted_reply(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    backend.queue(STORY)
    events = companion.send(user.id, conversation.id, "tell me a story")
    async for event in events:
        if isinstance(event, ReplyDelta):
            break  # the person pressed Ctrl-C after the first word
    await events.aclose()

    reply = (await stored(companion, chat))[-1]
    assert (reply.content, reply.status) == ("Once", MessageStatus.INTERRUPTED)
    # The conversation is usable right away: the turn lock was released.
    backend.queue("Sorry, go on.")
    after = await collect(companion.send(user.id, conversation.id, "stop"))
    assert finished(after).reply.seq == 4


async def test_cancelling_the_consumer_stores_an_interrupted_reply(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    backend.queue(STORY)
    backend.delay_s = 30  # the next piece would come long after the cancel
    first_piece = asyncio.Event()
    got: list[TurnEvent] = []

    async def consume() -> None:
        async for event in companion.send(user.id, conversation.id, "tell me a story"):
            got.append(event)
            if isinstance(event, ReplyDelta):
                first_piece.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_piece.wait(), 5)
    await asyncio.sleep(0)  # let the consumer get back into the backend's wait
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert reply_text(got) == "Once"
    reply = (await stored(companion, chat))[-1]
    assert (reply.content, reply.status) == ("Once", MessageStatus.INTERRUPTED)


async def test_timeout_keeps_what_came_and_says_so(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    backend = ScriptedBackend(replies=["too late"], first_delay_s=30)
    companion = Companion(
        Settings(home=tmp_path, timeout_s=0.05), store=store, backend=backend, clock=clock
    )
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    events = await asyncio.wait_for(collect(companion.send(user.id, conversation.id, "hi")), 5)
    end = finished(events)
    assert end.error is not None
    assert "within 0.05 s" in end.error
    assert (end.reply.content, end.reply.status) == ("", MessageStatus.INTERRUPTED)
    assert end.reply.meta["error"] == end.error


async def test_a_slow_listener_is_never_cancelled_by_the_timeout(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    # A listener that takes its time with each piece (a voice speaking it) must still get a
    # TurnFinished when the deadline passes, not a CancelledError thrown into its own code.
    backend = ScriptedBackend(replies=[STORY], delay_s=0.01)
    companion = Companion(
        Settings(home=tmp_path, timeout_s=0.05), store=store, backend=backend, clock=clock
    )
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))

    async def listen() -> list[TurnEvent]:
        got = []
        async for event in companion.send(user.id, conversation.id, "tell me a story"):
            got.append(event)
            await asyncio.sleep(0.03)
        return got

    events = await asyncio.wait_for(listen(), 5)
    end = finished(events)
    assert end.error is not None
    assert "within 0.05 s" in end.error
    assert end.reply.status is MessageStatus.INTERRUPTED
    assert end.reply.content == reply_text(events) != ""
    assert STORY.startswith(end.reply.content)


async def test_pieces_already_produced_reach_a_slow_listener_whole(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    backend = ScriptedBackend(replies=["one two three four"])  # every piece ready at once
    companion = Companion(
        Settings(home=tmp_path, timeout_s=0.05), store=store, backend=backend, clock=clock
    )
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))

    async def listen() -> list[TurnEvent]:
        got = []
        async for event in companion.send(user.id, conversation.id, "count"):
            got.append(event)
            await asyncio.sleep(0.03)
        return got

    end = finished(await asyncio.wait_for(listen(), 5))
    assert end.error is None
    assert (end.reply.content, end.reply.status) == ("one two three four", "complete")


async def test_idempotency_key_replays_the_stored_turn(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    backend.queue("Nice to meet you!")
    first = await collect(companion.send(user.id, conversation.id, "hi", idempotency_key="k-1"))
    count = len(await stored(companion, chat))

    again = await collect(companion.send(user.id, conversation.id, "hi", idempotency_key="k-1"))
    started = again[0]
    assert isinstance(started, TurnStarted)
    assert started.replayed
    assert isinstance(first[0], TurnStarted)
    assert started.user_message.id == first[0].user_message.id
    assert started.reply_seq == first[0].reply_seq
    assert reply_text(again) == "Nice to meet you!"
    assert finished(again).reply.id == finished(first).reply.id
    assert len(backend.requests) == 1
    assert len(await stored(companion, chat)) == count == 2


async def test_empty_messages_are_refused_and_nothing_is_stored(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    for text in ("", "   ", "\n\t \n", "\x00\x07"):
        with pytest.raises(InputError, match="empty"):
            await collect(companion.send(user.id, conversation.id, text))
    assert await stored(companion, chat) == []
    assert backend.requests == []


async def test_control_characters_are_removed_with_a_notice(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    events = await collect(companion.send(user.id, conversation.id, "hi\x00 there\x1b[31m"))
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert notices == ["Removed 2 control characters."]
    assert (await stored(companion, chat))[0].content == "hi there[31m"
    assert backend.requests[0].messages[-1].content.endswith("\n\nhi there[31m")


async def test_invalid_utf8_is_stored_as_valid_utf8_with_a_notice(
    tmp_path: Path, companion: Companion, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    text = b"caf\xe9 au lait".decode("utf-8", "surrogateescape")
    events = await collect(companion.send(user.id, conversation.id, text))
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert len(notices) == 1
    assert "UTF-8" in notices[0]
    assert (await stored(companion, chat))[0].content == "caf\ufffd au lait"
    with sqlite3.connect(tmp_path / "os1.db") as raw:
        stored_bytes = raw.execute(
            "SELECT CAST(content AS BLOB) FROM messages WHERE role = 'user'"
        ).fetchone()[0]
    raw.close()
    assert stored_bytes == "caf\ufffd au lait".encode()


async def test_a_huge_paste_is_stored_whole_but_clipped_in_the_prompt(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    body = "".join(f"line {i}: some pasted log output\n" for i in range(40_000))
    paste = "BEGIN-OF-PASTE\n" + body[: 1_000_000 - 30] + "\nEND-OF-PASTE"
    assert len(paste) > 990_000
    backend.queue("That's a lot of log!")
    events = await collect(companion.send(user.id, conversation.id, paste))

    assert finished(events).reply.status is MessageStatus.COMPLETE
    assert (await stored(companion, chat))[0].content == paste
    sent = backend.requests[0].messages[-1].content
    assert len(sent) < 20_000
    assert "BEGIN-OF-PASTE" in sent
    assert sent.endswith("END-OF-PASTE")
    assert "characters not shown" in sent
    prompt_tokens = sum(backend.count_tokens(m.content) for m in backend.requests[0].messages)
    assert prompt_tokens <= companion.settings.context_tokens


async def test_a_message_over_the_limit_is_refused(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock, backend: ScriptedBackend
) -> None:
    companion = Companion(
        Settings(home=tmp_path, max_message_chars=100), store=store, backend=backend, clock=clock
    )
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    await collect(companion.send(user.id, conversation.id, "x" * 100))  # exactly the limit: ok
    with pytest.raises(InputError, match="101 characters; the limit is 100"):
        await collect(companion.send(user.id, conversation.id, "x" * 101))
    assert len(await store.messages(user.id, conversation.id)) == 2
    assert len(backend.requests) == 1


async def test_the_conversation_is_remembered_the_next_day(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> None:
    settings = Settings(home=tmp_path)
    today = Companion(settings, store=store, backend=backend, clock=clock)
    user = await today.local_user()
    profile = await today.default_profile(user)
    conversation = await today.latest_conversation(user, profile)
    backend.queue("Lovely name for a cat!", "Good night, sleep well.")
    await today.reply(user.id, conversation.id, "My cat is called Miso.")
    await today.reply(user.id, conversation.id, "Good night!")
    await today.aclose()

    clock.advance(days=1)
    tomorrow_backend = ScriptedBackend(replies=["Of course: Miso!"])
    tomorrow = Companion(
        settings,
        store=SQLiteStore(tmp_path / "os1.db", clock=clock),
        backend=tomorrow_backend,
        clock=clock,
    )
    try:
        assert await tomorrow.start() == 0
        user_again = await tomorrow.local_user()
        assert user_again.id == user.id
        resumed = await tomorrow.latest_conversation(
            user_again, await tomorrow.default_profile(user_again)
        )
        assert resumed.id == conversation.id
        history = await tomorrow.history(user.id, conversation.id)
        assert [m.content for m in history] == [
            "My cat is called Miso.",
            "Lovely name for a cat!",
            "Good night!",
            "Good night, sleep well.",
        ]
        greeting = await tomorrow.greet(user.id, conversation.id)
        assert greeting is not None
        assert "welcome back" in greeting.content
        await tomorrow.reply(user.id, conversation.id, "Do you remember my cat's name?")
        prompt = tomorrow_backend.requests[0].messages
        contents = "\n".join(m.content for m in prompt)
        assert "My cat is called Miso." in contents
        assert "Good night, sleep well." in contents
        assert prompt[-1].content.endswith("Do you remember my cat's name?")
    finally:
        await tomorrow.aclose()


async def test_start_recovers_a_reply_left_streaming_by_a_crash(
    companion: Companion, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    await companion.store.begin_turn(user.id, conversation.id, "are you")  # then the power went
    assert await companion.start() == 1
    reply = (await stored(companion, chat))[-1]
    assert (reply.role, reply.status) == ("assistant", MessageStatus.INTERRUPTED)


async def test_greetings_first_meeting_none_while_talking_welcome_back_later(
    companion: Companion, clock: FakeClock, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    hello = await companion.greet(user.id, conversation.id)
    assert hello is not None
    assert "I'm Sol" in hello.content
    assert "AI" in hello.content
    assert (hello.role, hello.meta) == ("assistant", {"kind": "greeting"})

    await companion.reply(user.id, conversation.id, "Hi Sol!")
    clock.advance(minutes=5)
    assert await companion.greet(user.id, conversation.id) is None

    clock.advance(days=1)
    back = await companion.greet(user.id, conversation.id)
    assert back is not None
    assert "welcome back" in back.content
    assert "Sol" in back.content
    assert [m.content for m in await stored(companion, chat)][-1] == back.content


async def test_she_calls_you_what_you_answer_to_her_first_question(
    companion: Companion,
    backend: ScriptedBackend,
    clock: FakeClock,
    chat: tuple[User, Conversation],
) -> None:
    user, conversation = chat
    hello = await companion.greet(user.id, conversation.id)
    assert hello is not None
    assert hello.content.endswith(ASKS_NAME)

    await companion.reply(user.id, conversation.id, "Hi! Call me Theo. I just moved to Lisbon.")

    assert (await companion.store.get_user(user.id)).name == "Theo"
    system = backend.requests[-1].messages[0].content
    assert "The person you are talking with is called Theo." in system
    # Later messages never rename anyone, whatever they say.
    await companion.reply(user.id, conversation.id, "I'm Exhausted today.")
    assert (await companion.store.get_user(user.id)).name == "Theo"
    clock.advance(days=1)
    back = await companion.greet(user.id, conversation.id)
    assert back is not None
    assert back.content.startswith("Hey Theo, welcome back.")
    # A new conversation with someone she knows: no "glad to meet you", no name asked again.
    profile = await companion.store.get_companion(user.id, conversation.companion_id)
    fresh = await companion.new_conversation(user, profile)
    again = await companion.greet(user.id, fresh.id)
    assert again is not None
    assert again.content == "Hi Theo, it's Sol, your AI companion. What's on your mind?"


async def test_an_answer_that_is_only_a_name_is_met_by_her_greetings_next_line(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    """Given a bare "Sam", the embedded model sometimes answered "I'm sorry, but I can't assist
    with that.": the first thing a new person hears back is hers, and the model is not asked."""
    user, conversation = chat
    await companion.greet(user.id, conversation.id)
    met = await companion.reply(user.id, conversation.id, "sam")
    assert met.reply.content == NICE_TO_MEET.format(name="Sam")
    assert backend.requests == [], "the model was not asked"
    backend.queue("Oh no, what happened?")
    said = await companion.reply(user.id, conversation.id, "Sam")
    assert said.reply.content == "Oh no, what happened?", "only the greeting's question"


async def test_an_answer_that_says_more_than_a_name_is_answered_by_the_model(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    await companion.greet(user.id, conversation.id)
    backend.queue("Rough how, Theo?")
    more = await companion.reply(user.id, conversation.id, "I'm Theo. Rough day though.")
    assert more.reply.content == "Rough how, Theo?"
    assert (await companion.store.get_user(user.id)).name == "Theo"


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("Sam", "Sam"),
        ("call me Theo!", "Theo"),
        ("hi! I'm Theo :)", "Theo"),
        ("my name is jo", "Jo"),
        ("Mary Ann", "Mary Ann"),
        ("Theo. Rough day though.", None),
        ("I'm Theo and I had a bad day", None),
        ("I'm tired", None),
        ("sure", None),
    ],
)
def test_an_answer_that_is_only_a_name(answer: str, name: str | None) -> None:
    assert only_a_name(answer) == name


async def test_an_answer_without_a_name_leaves_the_account_unnamed(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    await companion.greet(user.id, conversation.id)
    await companion.reply(user.id, conversation.id, "I'm good, how are you?")
    assert (await companion.store.get_user(user.id)).name == UNNAMED
    assert "is called" not in backend.requests[-1].messages[0].content
    # Only her greeting's question is answered with a name, not the same words in a reply.
    backend.queue(f"Glad to hear it! {ASKS_NAME}")
    await companion.reply(user.id, conversation.id, "Same old.")
    await companion.reply(user.id, conversation.id, "Wonderful")
    assert (await companion.store.get_user(user.id)).name == UNNAMED


async def test_the_configured_name_renames_the_person_she_knows(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> None:
    unnamed = await Companion(
        Settings(home=tmp_path), store=store, backend=backend, clock=clock
    ).local_user()
    assert unnamed.name == UNNAMED
    named = Companion(Settings(home=tmp_path, user_name="Theo"), store=store, backend=backend)
    assert (await named.local_user()).name == "Theo"
    assert (await named.local_user()).id == unnamed.id


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("Theo", "Theo"),
        ("theo!", "Theo"),
        ("call me sam", "Sam"),
        ("You can call me Sam, thanks", "Sam"),
        ("my name's jo", "Jo"),
        ("Hi! I'm Theo. My sister Ana just moved to Lisbon.", "Theo"),
        ("I'm Mary Ann", "Mary Ann"),
        ("It's Theo", "Theo"),
        ("I'm good, how are you?", None),
        ("im tired", None),
        ("I'm a teacher", None),
        ("I am 14", None),
        ("It's nice to meet you", None),
        ("My name is not important", None),
        ("Hey there", None),
        ("hello Sol", None),
        # A hello in another language, or stretched out, is not a name ("Nice to meet you,
        # Oi!" in a new user's run).
        ("oi", None),
        ("Hola!", None),
        ("ciao", None),
        ("heyyy", None),
        ("Hiii :)", None),
        ("Olá", None),
        ("hola, soy Marta", "Marta"),
        ("oi, sou a Ana", "Ana"),
        ("je m'appelle léa", "Léa"),
        ("ich heiße Jonas", "Jonas"),
        ("ich bin Lehrerin", None),
        ("mi chiamo Luca", "Luca"),
        ("", None),
    ],
)
def test_a_name_is_read_from_an_answer(answer: str, name: str | None) -> None:
    assert name_from_answer(answer) == name


async def test_two_messages_sent_at_once_take_turns(
    companion: Companion, backend: ScriptedBackend, chat: tuple[User, Conversation]
) -> None:
    user, conversation = chat
    backend.queue("first answer", "second answer")
    backend.delay_s = 0.001
    first, second = await asyncio.gather(
        collect(companion.send(user.id, conversation.id, "question one")),
        collect(companion.send(user.id, conversation.id, "question two")),
    )
    assert finished(first).reply.content == "first answer"
    assert finished(second).reply.content == "second answer"
    # The second prompt was built after the first reply was stored.
    assert [m.content for m in backend.requests[1].messages[-2:-1]] == ["first answer"]
    assert [m.seq for m in await stored(companion, chat)] == [1, 2, 3, 4]


async def test_observers_hear_each_stored_turn_after_the_reply(
    companion: Companion, backend: ScriptedBackend
) -> None:
    heard = []

    class Recorder:
        async def turn_finished(
            self, turn: TurnInput, user_message: Message, reply: Message
        ) -> None:
            heard.append((turn.text, user_message.content, reply.content, reply.status))

    companion.observers.append(Recorder())
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    backend.queue("Lovely to hear.")
    await companion.reply(user.id, conversation.id, "I planted tomatoes")
    await companion.drain()
    assert heard == [
        ("I planted tomatoes", "I planted tomatoes", "Lovely to hear.", MessageStatus.COMPLETE)
    ]


async def test_closing_does_not_wait_for_slow_background_work(
    companion: Companion, backend: ScriptedBackend
) -> None:
    stopped = asyncio.Event()

    class SlowRemembering:
        async def turn_finished(
            self, turn: TurnInput, user_message: Message, reply: Message
        ) -> None:
            try:
                await asyncio.sleep(3600)  # e.g. fact extraction with a slow local model
            except asyncio.CancelledError:
                stopped.set()
                raise

    companion.observers.append(SlowRemembering())
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    await companion.reply(user.id, conversation.id, "hello")
    await asyncio.wait_for(companion.aclose(grace_s=0.05), timeout=5)
    assert stopped.is_set()


# --- turns prepared ahead (a voice turn while its closing pause runs) ----------------------------


async def asked_ahead(
    companion: Companion, chat: tuple[User, Conversation], text: str, reply: str = STORY
) -> tuple[asyncio.Future[bool], asyncio.Task[list[TurnEvent]], PausingBackend]:
    """Start `text` as a turn prepared ahead; return once the model has written a word (it
    waits there until `resume`)."""
    user, conversation = chat
    model = PausingBackend(pause_after=1, replies=(reply,))
    companion.backend = model
    go: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    turn = asyncio.create_task(collect(companion.send(user.id, conversation.id, text, go=go)))
    await model.paused.wait()
    return go, turn, model


async def test_a_turn_prepared_ahead_is_answered_once_it_goes(
    companion: Companion, chat: tuple[User, Conversation]
) -> None:
    go, turn, model = await asked_ahead(companion, chat, "tell me a story")
    await model.resume()
    await asyncio.sleep(0.01)
    assert not turn.done(), "nothing is shown before the turn goes"
    assert await stored(companion, chat) == [], "nor stored"
    go.set_result(True)
    events = await turn
    assert isinstance(events[0], TurnStarted)
    assert reply_text(events) == STORY
    assert [(m.role, m.content) for m in await stored(companion, chat)] == [
        ("user", "tell me a story"),
        ("assistant", STORY),
    ]
    assert len(model.requests) == 1, "the model was asked once, ahead"


async def test_a_turn_prepared_ahead_and_dropped_leaves_no_trace(
    companion: Companion, chat: tuple[User, Conversation]
) -> None:
    # The model has written a word and would wait forever: dropping the turn stops it.
    go, turn, model = await asked_ahead(companion, chat, "I went to the")
    go.set_result(False)
    assert await turn == [], "no event at all"
    assert await stored(companion, chat) == []
    # The whole sentence comes next, as an ordinary turn, and nothing of the first is in it.
    model.queue("Which shop?")
    await model.resume()
    user, conversation = chat
    events = await collect(companion.send(user.id, conversation.id, "I went to the shop."))
    assert reply_text(events) == "Which shop?"
    assert [(m.seq, m.content) for m in await stored(companion, chat)] == [
        (1, "I went to the shop."),
        (2, "Which shop?"),
    ]
    assert "I went to the\n" not in str(model.requests[-1].messages)


async def test_cancelling_a_turn_prepared_ahead_stores_nothing(
    companion: Companion, chat: tuple[User, Conversation]
) -> None:
    _, turn, _ = await asked_ahead(companion, chat, "tell me a story")
    turn.cancel()
    with pytest.raises(asyncio.CancelledError):
        await turn
    assert await stored(companion, chat) == []
