"""The Store contract, run against every store implementation; then SQLite's own promises.

A new engine joins the contract by adding its factory to STORE_FACTORIES.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from os1.errors import InputError, NotFound, StoreError, StoreFullError
from os1.store import MemoryStore, Store
from os1.store.migrations import MIGRATIONS, apply_migrations
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock
from os1.types import CompanionProfile, Conversation, MessageStatus, NewMemory, Role, User

StoreFactory = Callable[[Path, FakeClock], Store]


def sqlite_file(folder: Path, clock: FakeClock) -> Store:
    return SQLiteStore(folder / "contract" / "os1.db", clock=clock)


def sqlite_memory(folder: Path, clock: FakeClock) -> Store:
    return SQLiteStore(":memory:", clock=clock)


STORE_FACTORIES = [
    pytest.param(sqlite_file, id="sqlite-file"),
    pytest.param(sqlite_memory, id="sqlite-memory"),
]


@pytest.fixture(params=STORE_FACTORIES)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Store]:
    """Each contract test runs once per store implementation (overrides conftest's `store`)."""
    factory: StoreFactory = request.param
    db = factory(tmp_path, clock)
    yield db
    await db.aclose()


async def make_owner(
    store: Store, name: str = "Ada"
) -> tuple[User, CompanionProfile, Conversation]:
    user = await store.create_user(name)
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conversation = await store.create_conversation(user.id, profile.id, title=f"{name}'s chat")
    return user, profile, conversation


async def seqs(store: Store, user: User, conversation: Conversation) -> list[int]:
    return [m.seq for m in await store.messages(user.id, conversation.id)]


# --- users, companions, conversations -----------------------------------------------------------


async def test_users_are_listed_oldest_first(store: Store, clock: FakeClock) -> None:
    made = []
    for name in ("Ada", "Bo", "Cy"):
        made.append(await store.create_user(name))
        clock.advance(minutes=1)
    assert [u.id for u in await store.list_users()] == [u.id for u in made]
    fetched = await store.get_user(made[1].id)
    assert fetched == made[1]
    assert fetched.created_at == made[0].created_at.replace(minute=1)


async def test_users_made_in_the_same_instant_keep_their_order(store: Store) -> None:
    made = [await store.create_user(f"u{i}") for i in range(5)]
    assert [u.id for u in await store.list_users()] == [u.id for u in made]


async def test_missing_user_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_user("usr_nobody")
    with pytest.raises(NotFound):
        await store.create_companion("usr_nobody", "Sol", "persona")
    with pytest.raises(NotFound):
        await store.export_user("usr_nobody")


async def test_companions_are_stored_and_listed_oldest_first(
    store: Store, clock: FakeClock
) -> None:
    user = await store.create_user("Ada")
    first = await store.create_companion(user.id, "Sol", "warm {name}")
    clock.advance(seconds=1)
    second = await store.create_companion(user.id, "Luna", "calm {name}")
    assert await store.list_companions(user.id) == [first, second]
    assert await store.get_companion(user.id, second.id) == second
    assert (second.name, second.persona, second.user_id) == ("Luna", "calm {name}", user.id)
    with pytest.raises(NotFound):
        await store.get_companion(user.id, "cmp_nothing")


async def test_new_conversation_starts_empty_with_the_window_at_one(
    store: Store, clock: FakeClock
) -> None:
    user, profile, conversation = await make_owner(store)
    assert conversation.title == "Ada's chat"
    assert conversation.context_start_seq == 1
    assert conversation.created_at == conversation.updated_at == clock()
    assert await store.get_conversation(user.id, conversation.id) == conversation
    assert await store.messages(user.id, conversation.id) == []
    untitled = await store.create_conversation(user.id, profile.id)
    assert untitled.title == ""


async def test_conversations_are_listed_most_recently_active_first(
    store: Store, clock: FakeClock
) -> None:
    user, profile, older = await make_owner(store)
    clock.advance(minutes=5)
    newer = await store.create_conversation(user.id, profile.id)
    other_profile = await store.create_companion(user.id, "Luna", "p")
    clock.advance(minutes=5)
    elsewhere = await store.create_conversation(user.id, other_profile.id)
    assert [c.id for c in await store.list_conversations(user.id)] == [
        elsewhere.id,
        newer.id,
        older.id,
    ]

    clock.advance(minutes=5)
    await store.begin_turn(user.id, older.id, "still there?")
    listed = await store.list_conversations(user.id)
    assert [c.id for c in listed] == [older.id, elsewhere.id, newer.id]
    assert listed[0].updated_at == clock()  # activity is timed by the store's clock
    assert [c.id for c in await store.list_conversations(user.id, profile.id)] == [
        older.id,
        newer.id,
    ]


# --- ownership ------------------------------------------------------------------------------------


async def test_one_user_cannot_reach_another_users_rows(store: Store) -> None:
    alice, alice_profile, alice_chat = await make_owner(store, "Alice")
    turn = await store.begin_turn(alice.id, alice_chat.id, "my secret")
    mallory = await store.create_user("Mallory")

    attempts = [
        store.get_conversation(mallory.id, alice_chat.id),
        store.get_companion(mallory.id, alice_profile.id),
        store.messages(mallory.id, alice_chat.id),
        store.begin_turn(mallory.id, alice_chat.id, "injected"),
        store.append_message(mallory.id, alice_chat.id, "assistant", "injected"),
        store.set_context_start(mallory.id, alice_chat.id, 2),
        store.create_conversation(mallory.id, alice_profile.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            await attempt

    assert await store.list_conversations(mallory.id) == []
    assert await store.list_conversations(mallory.id, alice_profile.id) == []
    assert await store.list_companions(mallory.id) == []
    messages = await store.messages(alice.id, alice_chat.id)
    assert [m.id for m in messages] == [turn.user_message.id, turn.reply.id if turn.reply else ""]
    assert (await store.get_conversation(alice.id, alice_chat.id)).context_start_seq == 1


# --- turns and messages ---------------------------------------------------------------------------


async def test_begin_turn_stores_the_message_and_reserves_the_reply(
    store: Store, clock: FakeClock
) -> None:
    user, _, conversation = await make_owner(store)
    record = await store.begin_turn(
        user.id, conversation.id, "hello there", notes="> likes tea", meta={"via": "cli"}
    )
    assert not record.replayed
    said, reply = record.user_message, record.reply
    assert reply is not None
    assert (said.seq, said.role, said.content, said.status) == (
        1,
        "user",
        "hello there",
        MessageStatus.COMPLETE,
    )
    assert (said.notes, said.meta, said.created_at) == ("> likes tea", {"via": "cli"}, clock())
    assert (reply.seq, reply.role, reply.content, reply.status) == (
        2,
        "assistant",
        "",
        MessageStatus.STREAMING,
    )
    assert await store.messages(user.id, conversation.id) == [said, reply]

    again = await store.begin_turn(user.id, conversation.id, "and again")
    assert again.user_message.seq == 3
    assert again.reply is not None
    assert again.reply.seq == 4


async def test_append_message_takes_the_next_seq(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    greeting = await store.append_message(
        user.id, conversation.id, "assistant", "Hi, I'm Sol.", meta={"kind": "greeting"}
    )
    assert (greeting.seq, greeting.role, greeting.status) == (1, "assistant", "complete")
    assert greeting.meta == {"kind": "greeting"}
    record = await store.begin_turn(user.id, conversation.id, "hi Sol")
    assert record.user_message.seq == 2
    imported = await store.append_message(user.id, conversation.id, "user", "an old line")
    assert imported.seq == 4
    assert (await store.messages(user.id, conversation.id))[0] == greeting


async def test_finish_reply_complete(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    record = await store.begin_turn(user.id, conversation.id, "hi")
    assert record.reply is not None
    done = await store.finish_reply(
        record.reply.id, "Hello!", MessageStatus.COMPLETE, {"finish": "stop"}
    )
    assert (done.id, done.seq, done.content, done.status) == (
        record.reply.id,
        2,
        "Hello!",
        MessageStatus.COMPLETE,
    )
    assert done.meta == {"finish": "stop"}
    assert (await store.messages(user.id, conversation.id))[-1] == done


async def test_finish_reply_interrupted_keeps_the_partial_text(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    record = await store.begin_turn(user.id, conversation.id, "tell me a story")
    assert record.reply is not None
    cut = await store.finish_reply(
        record.reply.id, "Once upon", MessageStatus.INTERRUPTED, {"error": "Ctrl-C"}
    )
    stored = (await store.messages(user.id, conversation.id))[-1]
    assert stored == cut
    assert (stored.content, stored.status, stored.meta) == (
        "Once upon",
        MessageStatus.INTERRUPTED,
        {"error": "Ctrl-C"},
    )


async def test_finish_reply_of_a_missing_message_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.finish_reply("msg_nothing", "text", MessageStatus.COMPLETE)


async def test_seq_stays_gap_free_through_failures(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    stranger = await store.create_user("Stranger")
    await store.begin_turn(user.id, conversation.id, "one", idempotency_key="k1")
    await store.append_message(user.id, conversation.id, "assistant", "a greeting")
    with pytest.raises(NotFound):
        await store.begin_turn(user.id, "cnv_missing", "lost")
    with pytest.raises(NotFound):
        await store.begin_turn(stranger.id, conversation.id, "not yours")
    with pytest.raises(NotFound):
        await store.append_message(user.id, "cnv_missing", "user", "lost")
    with pytest.raises(TypeError):
        # Fails inside the transaction, after the seqs were reserved: they must be given back.
        await store.begin_turn(user.id, conversation.id, "bad meta", meta={"x": object()})
    replay = await store.begin_turn(user.id, conversation.id, "one", idempotency_key="k1")
    assert replay.replayed
    for i in range(5):
        await store.begin_turn(user.id, conversation.id, f"turn {i}")
        if i % 2:
            await store.append_message(user.id, conversation.id, "assistant", "extra")
    assert await seqs(store, user, conversation) == list(range(1, 3 + 10 + 2 + 1))


async def test_idempotency_key_replays_without_storing_anything(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    first = await store.begin_turn(user.id, conversation.id, "hi", idempotency_key="abc")
    assert first.reply is not None
    await store.finish_reply(first.reply.id, "Hello!", MessageStatus.COMPLETE)
    before = await store.stats()

    retry = await store.begin_turn(user.id, conversation.id, "hi", idempotency_key="abc")
    assert retry.replayed
    assert retry.user_message.id == first.user_message.id
    assert retry.reply is not None
    assert retry.reply.id == first.reply.id
    assert (retry.reply.content, retry.reply.status) == ("Hello!", MessageStatus.COMPLETE)
    assert await store.stats() == before
    assert await seqs(store, user, conversation) == [1, 2]


async def test_same_idempotency_key_in_another_conversation_is_independent(
    store: Store,
) -> None:
    user, profile, conversation = await make_owner(store)
    other = await store.create_conversation(user.id, profile.id)
    first = await store.begin_turn(user.id, conversation.id, "hi", idempotency_key="abc")
    elsewhere = await store.begin_turn(user.id, other.id, "hi", idempotency_key="abc")
    assert not elsewhere.replayed
    assert elsewhere.user_message.id != first.user_message.id
    assert elsewhere.user_message.conversation_id == other.id
    assert elsewhere.user_message.seq == 1
    # Without a key nothing is deduplicated.
    plain = [await store.begin_turn(user.id, other.id, "hi") for _ in range(2)]
    assert not any(r.replayed for r in plain)
    assert await seqs(store, user, other) == [1, 2, 3, 4, 5, 6]


async def test_messages_limit_and_since_seq(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    for i in range(4):
        await store.begin_turn(user.id, conversation.id, f"m{i}")
    assert [m.seq for m in await store.messages(user.id, conversation.id, limit=3)] == [6, 7, 8]
    assert [m.seq for m in await store.messages(user.id, conversation.id, since_seq=6)] == [
        6,
        7,
        8,
    ]
    last_two_of_late = await store.messages(user.id, conversation.id, since_seq=5, limit=2)
    assert [m.seq for m in last_two_of_late] == [7, 8]
    assert [m.seq for m in await store.messages(user.id, conversation.id, limit=100)] == list(
        range(1, 9)
    )
    assert await store.messages(user.id, conversation.id, since_seq=9) == []


async def test_set_context_start_moves_the_window(store: Store) -> None:
    user, _, conversation = await make_owner(store)
    for i in range(3):
        await store.begin_turn(user.id, conversation.id, f"m{i}")
    await store.set_context_start(user.id, conversation.id, 5)
    assert (await store.get_conversation(user.id, conversation.id)).context_start_seq == 5
    with pytest.raises(NotFound):
        await store.set_context_start(user.id, "cnv_missing", 3)


async def test_recover_interrupts_replies_left_streaming(store: Store) -> None:
    ada, _, ada_chat = await make_owner(store, "Ada")
    bo, _, bo_chat = await make_owner(store, "Bo")
    done = await store.begin_turn(ada.id, ada_chat.id, "finished turn")
    assert done.reply is not None
    await store.finish_reply(done.reply.id, "ok", MessageStatus.COMPLETE)
    await store.begin_turn(ada.id, ada_chat.id, "crashed turn")
    await store.begin_turn(bo.id, bo_chat.id, "crashed too")

    assert await store.recover() == 2
    ada_messages = await store.messages(ada.id, ada_chat.id)
    assert [m.status for m in ada_messages] == ["complete", "complete", "complete", "interrupted"]
    assert (await store.messages(bo.id, bo_chat.id))[-1].status is MessageStatus.INTERRUPTED
    assert await store.recover() == 0


async def test_export_holds_everything_of_the_user_and_nothing_else(store: Store) -> None:
    ada, ada_profile, ada_chat = await make_owner(store, "Ada")
    second_chat = await store.create_conversation(ada.id, ada_profile.id, title="later")
    record = await store.begin_turn(ada.id, ada_chat.id, "I love green tea", notes="> mood: calm")
    assert record.reply is not None
    await store.finish_reply(record.reply.id, "Me too!", MessageStatus.COMPLETE)
    await store.append_message(ada.id, second_chat.id, "assistant", "Welcome back", meta={"k": 1})
    bo, bo_profile, bo_chat = await make_owner(store, "Bo")
    await store.begin_turn(bo.id, bo_chat.id, "Bo's private words")

    export = await store.export_user(ada.id)
    text = json.dumps(export)  # JSON-ready as it is
    assert export["user"]["id"] == ada.id
    assert [c["id"] for c in export["companions"]] == [ada_profile.id]
    assert {c["id"] for c in export["conversations"]} == {ada_chat.id, second_chat.id}
    by_id = {c["id"]: c for c in export["conversations"]}
    first_messages = by_id[ada_chat.id]["messages"]
    assert [m["content"] for m in first_messages] == ["I love green tea", "Me too!"]
    assert first_messages[0]["notes"] == "> mood: calm"
    assert by_id[second_chat.id]["messages"][0]["meta"] == {"k": 1}
    for foreign in (bo.id, bo_profile.id, bo_chat.id, "Bo's private words"):
        assert foreign not in text


async def test_stats_count_everything(store: Store) -> None:
    assert await store.stats() == {"users": 0, "companions": 0, "conversations": 0, "messages": 0}
    user, profile, conversation = await make_owner(store)
    await store.create_conversation(user.id, profile.id)
    await store.begin_turn(user.id, conversation.id, "hi")
    await store.append_message(user.id, conversation.id, "assistant", "hello")
    await make_owner(store, "Bo")
    assert await store.stats() == {"users": 2, "companions": 2, "conversations": 3, "messages": 3}


# --- SQLite's own promises ------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "os1.db"


async def test_sqlite_uses_wal_and_full_sync(db_path: Path) -> None:
    db = SQLiteStore(db_path)
    try:
        await db.list_users()
        assert db._conn is not None
        assert db._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        # journal_mode=WAL is a property of the file: a second connection sees it.
        with sqlite3.connect(db_path) as other:
            assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
    finally:
        await db.aclose()


async def test_sqlite_records_migrations_and_does_not_reapply_them(db_path: Path) -> None:
    db = SQLiteStore(db_path)
    await db.create_user("Ada")
    await db.aclose()

    def recorded() -> list[tuple[str, str]]:
        with sqlite3.connect(db_path) as conn:
            rows = conn.execute("SELECT name, applied_at FROM schema_migrations ORDER BY name")
            result = [(str(name), str(at)) for name, at in rows]
        conn.close()
        return result

    first = recorded()
    assert [name for name, _ in first] == [name for name, _ in MIGRATIONS]

    db = SQLiteStore(db_path)
    assert len(await db.list_users()) == 1  # reopening neither failed nor reset the schema
    await db.aclose()
    assert recorded() == first
    conn = sqlite3.connect(db_path)
    try:
        assert apply_migrations(conn) == []
    finally:
        conn.close()


async def test_sqlite_data_survives_closing_and_reopening(db_path: Path, clock: FakeClock) -> None:
    db = SQLiteStore(db_path, clock=clock)
    user, _, conversation = await make_owner(db)
    record = await db.begin_turn(user.id, conversation.id, "see you tomorrow", notes="> n")
    assert record.reply is not None
    await db.finish_reply(record.reply.id, "Sleep well!", MessageStatus.COMPLETE)
    before = await db.messages(user.id, conversation.id)
    await db.aclose()

    clock.advance(days=1)
    db = SQLiteStore(db_path, clock=clock)
    try:
        assert [u.id for u in await db.list_users()] == [user.id]
        assert await db.messages(user.id, conversation.id) == before
        assert [c.id for c in await db.list_conversations(user.id)] == [conversation.id]
        nxt = await db.begin_turn(user.id, conversation.id, "good morning")
        assert nxt.user_message.seq == 3
    finally:
        await db.aclose()


async def test_sqlite_full_disk_writes_nothing_half(db_path: Path) -> None:
    db = SQLiteStore(db_path)
    try:
        user, _, conversation = await make_owner(db)
        record = await db.begin_turn(user.id, conversation.id, "a small message")
        assert record.reply is not None
        assert db._conn is not None
        pages = db._conn.execute("PRAGMA page_count").fetchone()[0]
        db._conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        before = await db.messages(user.id, conversation.id)
        huge = "x" * 2_000_000

        with pytest.raises(StoreFullError) as caught:
            await db.begin_turn(user.id, conversation.id, huge)
        message = str(caught.value)
        assert "full" in message
        assert "\n" not in message
        assert not isinstance(caught.value, sqlite3.Error)
        with pytest.raises(StoreFullError):
            await db.append_message(user.id, conversation.id, "user", huge)
        with pytest.raises(StoreFullError):
            await db.finish_reply(record.reply.id, huge, MessageStatus.COMPLETE)

        # Nothing half-written: no new rows, no orphan placeholder, the old reply untouched.
        assert await db.messages(user.id, conversation.id) == before
        assert (await db.stats())["messages"] == 2
        # And no seq was burnt: the next turn that fits continues the sequence.
        nxt = await db.begin_turn(user.id, conversation.id, "small again")
        assert nxt.user_message.seq == 3
    finally:
        await db.aclose()


GARBAGE = bytes(range(256)) * 64


@pytest.fixture
def garbage_db(db_path: Path) -> Path:
    """A file where the database should be that is not a database at all."""
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(GARBAGE)
    return db_path


async def test_sqlite_corrupt_file_is_a_clear_store_error(garbage_db: Path) -> None:
    db = SQLiteStore(garbage_db)
    try:
        for _ in range(2):  # every call says the same, none crashes with a raw sqlite3 error
            with pytest.raises(StoreError) as caught:
                await db.list_users()
            assert not isinstance(caught.value, sqlite3.Error)
            message = str(caught.value)
            assert "\n" not in message
            assert str(garbage_db) in message
            assert "not a valid os1 database" in message
    finally:
        await db.aclose()
    # The file is left as it was, for the person to look at.
    assert await asyncio.to_thread(garbage_db.read_bytes) == GARBAGE


async def test_sqlite_creates_the_folder_for_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "os1.db"
    db = SQLiteStore(path)
    try:
        await db.create_user("Ada")
    finally:
        await db.aclose()
    assert path.is_file()


async def test_a_reply_can_be_finished_once_and_a_user_message_never(store: Store) -> None:
    user, _, conv = await make_owner(store)
    turn = await store.begin_turn(user.id, conv.id, "hello")
    assert turn.reply is not None
    await store.finish_reply(turn.reply.id, "hi!", MessageStatus.COMPLETE)
    with pytest.raises(NotFound):
        await store.finish_reply(turn.reply.id, "rewritten", MessageStatus.COMPLETE)
    with pytest.raises(NotFound):
        await store.finish_reply(turn.user_message.id, "rewritten", MessageStatus.COMPLETE)
    assert [m.content for m in await store.messages(user.id, conv.id)] == ["hello", "hi!"]


async def test_an_idempotency_key_reused_for_other_words_is_refused(store: Store) -> None:
    user, _, conv = await make_owner(store)
    await store.begin_turn(user.id, conv.id, "hello", idempotency_key="k1")
    with pytest.raises(InputError, match="idempotency key"):
        await store.begin_turn(user.id, conv.id, "something else", idempotency_key="k1")
    assert len(await store.messages(user.id, conv.id)) == 2


# --- memory (the MemoryStore contract) ------------------------------------------------------------


def _vectors(count: int, seed: int = 0) -> Any:
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((count, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


async def _remembering(store: Store) -> tuple[MemoryStore, User, Conversation, list[str]]:
    """A user with a four-message talk; returns the store as a MemoryStore and message ids."""
    memory = cast(MemoryStore, store)
    assert memory.supports_memory
    user, _, conv = await make_owner(store)
    ids: list[str] = []
    for text in ("My sister Anna lives in Lisbon.", "Lovely city!", "I adopted a cat.", "Cute!"):
        role: Role = "user" if len(ids) % 2 == 0 else "assistant"
        ids.append((await store.append_message(user.id, conv.id, role, text)).id)
    return memory, user, conv, ids


def _episode(conv: Conversation, seq: int, message_id: str, text: str, vector: Any) -> NewMemory:
    return NewMemory(
        kind="episode",
        text=text,
        valid_at=conv.created_at + timedelta(minutes=seq),
        vector=vector,
        about="user" if seq % 2 else "companion",
        conversation_id=conv.id,
        seq=seq,
        message_id=message_id,
        speaker="Ada" if seq % 2 else "Sol",
    )


async def test_memories_are_stored_with_their_sources_and_listed_newest_first(
    store: Store,
) -> None:
    memory, user, conv, ids = await _remembering(store)
    vecs = _vectors(3)
    added = await memory.add_memories(
        user.id,
        [
            _episode(conv, 1, ids[0], "My sister Anna lives in Lisbon.", vecs[0]),
            _episode(conv, 3, ids[2], "I adopted a cat.", vecs[1]),
            NewMemory(
                kind="fact",
                text="Ada's sister is called Anna.",
                valid_at=conv.created_at + timedelta(days=1),
                vector=vecs[2],
                about="user",
                importance=0.8,
                sources=(ids[0],),
            ),
        ],
    )
    assert [m.kind for m in added] == ["episode", "episode", "fact"]
    fact = added[2]
    assert (fact.about, fact.importance, fact.sources, fact.invalid_at) == (
        "user",
        0.8,
        (ids[0],),
        None,
    )
    assert added[0].sources == (ids[0],)
    assert (added[0].conversation_id, added[0].seq) == (conv.id, 1)
    listed = await memory.list_memories(user.id)
    assert [m.id for m in listed] == [fact.id, added[1].id, added[0].id]
    assert [m.id for m in await memory.list_memories(user.id, kind="fact")] == [fact.id]
    assert await memory.get_memories(user.id, [added[1].id, "mem_nope", fact.id]) == [
        added[1],
        fact,
    ]
    sources = await memory.memory_sources(user.id, fact.id)
    assert [(s.message_id, s.seq, s.content) for s in sources] == [
        (ids[0], 1, "My sister Anna lives in Lisbon.")
    ]
    assert await memory.memory_counts(user.id) == {"episode": 2, "fact": 1, "summary": 0, "past": 0}


async def test_remembering_a_message_twice_stores_it_once(store: Store) -> None:
    memory, user, conv, ids = await _remembering(store)
    vec = _vectors(1)[0]
    first = await memory.add_memories(user.id, [_episode(conv, 1, ids[0], "hello", vec)])
    again = await memory.add_memories(user.id, [_episode(conv, 1, ids[0], "hello", vec)])
    assert len(first) == 1
    assert again == []
    assert len(await memory.list_memories(user.id)) == 1
    left = await memory.unremembered_messages(user.id)
    assert [m.id for m in left] == ids[1:]


async def test_full_text_and_vector_search_find_memories_of_that_user_only(store: Store) -> None:
    memory, user, conv, ids = await _remembering(store)
    vecs = _vectors(2)
    mine = await memory.add_memories(
        user.id,
        [
            _episode(conv, 1, ids[0], "My sister Anna lives in Lisbon.", vecs[0]),
            _episode(conv, 3, ids[2], "I adopted a cat.", vecs[1]),
        ],
    )
    other, _, other_conv = await make_owner(store, "Bo")
    said = await store.append_message(other.id, other_conv.id, "user", "My sister lives in Rome.")
    await memory.add_memories(
        other.id, [_episode(other_conv, 1, said.id, "My sister lives in Rome.", vecs[0])]
    )

    hits = await memory.memory_text_search(user.id, ["sister", "rome"], 10)
    assert [i for i, _ in hits] == [mine[0].id]
    assert hits[0][1] > 0
    assert await memory.memory_text_search(user.id, ["rome"], 10) == []
    # Words match their stems ("adopting" finds "adopted").
    assert [i for i, _ in await memory.memory_text_search(user.id, ["adopting"], 10)] == [
        mine[1].id
    ]

    nearest = await memory.memory_vector_search(user.id, vecs[1], 10)
    assert [i for i, _ in nearest] == [mine[1].id, mine[0].id]
    assert nearest[0][1] == pytest.approx(1.0, abs=1e-2)
    assert await memory.memory_vector_search(user.id, vecs[0], 0) == []


async def test_forgetting_erases_a_memory_from_every_index(store: Store) -> None:
    memory, user, conv, ids = await _remembering(store)
    vecs = _vectors(2)
    kept, gone = await memory.add_memories(
        user.id,
        [
            _episode(conv, 3, ids[2], "I adopted a cat.", vecs[1]),
            NewMemory(
                kind="fact",
                text="Ada's sister Anna lives in Lisbon.",
                valid_at=conv.created_at,
                vector=vecs[0],
                about="user",
                sources=(ids[0],),
            ),
        ],
    )
    turn = await store.begin_turn(
        user.id,
        conv.id,
        "remember?",
        notes="> (known since 14 Mar 2026) Ada's sister Anna lives"
        " in Lisbon.\n> (told 14 Mar 2026) I adopted a cat.",
    )
    assert await memory.forget_memories(user.id, [gone.id]) == 1

    assert await memory.get_memories(user.id, [gone.id]) == []
    assert await memory.memory_text_search(user.id, ["lisbon", "anna"], 10) == []
    assert [i for i, _ in await memory.memory_vector_search(user.id, vecs[0], 10)] == [kept.id]
    with pytest.raises(NotFound):
        await memory.memory_sources(user.id, gone.id)
    notes = (await store.messages(user.id, conv.id))[turn.user_message.seq - 1].notes
    assert "Lisbon" not in notes
    assert "(forgotten)" in notes
    assert "I adopted a cat." in notes
    assert [m.id for m in await memory.list_memories(user.id)] == [kept.id]
    with pytest.raises(NotFound):
        await memory.forget_memories(user.id, [gone.id])


async def test_forgetting_with_sources_erases_the_messages_and_what_came_from_them(
    store: Store,
) -> None:
    memory, user, conv, ids = await _remembering(store)
    vecs = _vectors(3)
    _, fact, other = await memory.add_memories(
        user.id,
        [
            _episode(conv, 1, ids[0], "My sister Anna lives in Lisbon.", vecs[0]),
            NewMemory(
                kind="fact",
                text="Ada's sister is Anna.",
                valid_at=conv.created_at,
                vector=vecs[1],
                about="user",
                sources=(ids[0],),
            ),
            _episode(conv, 3, ids[2], "I adopted a cat.", vecs[2]),
        ],
    )
    assert await memory.forget_memories(user.id, [fact.id], with_sources=True) == 2
    assert [m.id for m in await memory.list_memories(user.id)] == [other.id]
    contents = [m.content for m in await store.messages(user.id, conv.id)]
    assert contents[0] == "(forgotten)"
    assert "Anna" not in json.dumps(await store.export_user(user.id))
    # A forgotten message is not remembered again.
    assert ids[0] not in [m.id for m in await memory.unremembered_messages(user.id)]


async def test_a_memory_can_be_corrected_and_marked_past(store: Store, clock: FakeClock) -> None:
    memory, user, _, ids = await _remembering(store)
    vecs = _vectors(2)
    (fact,) = await memory.add_memories(
        user.id,
        [
            NewMemory(
                kind="fact",
                text="Ada works at Acme.",
                valid_at=clock(),
                vector=vecs[0],
                about="user",
            )
        ],
    )
    changed = await memory.update_memory(
        user.id, fact.id, text="Ada works at Globex.", vector=vecs[1], add_sources=[ids[0]]
    )
    assert (changed.text, changed.sources) == ("Ada works at Globex.", (ids[0],))
    assert await memory.memory_text_search(user.id, ["acme"], 5) == []
    assert [i for i, _ in await memory.memory_text_search(user.id, ["globex"], 5)] == [fact.id]
    assert (await memory.memory_vector_search(user.id, vecs[1], 1))[0][0] == fact.id

    past = await memory.update_memory(user.id, fact.id, invalid_at=clock(), meta={"why": "quit"})
    assert (past.invalid_at, past.meta) == (clock(), {"why": "quit"})
    assert await memory.list_memories(user.id, include_invalid=False) == []
    again = await memory.update_memory(user.id, fact.id, invalid_at=None)
    assert again.invalid_at is None
    with pytest.raises(NotFound):
        await memory.update_memory("usr_other", fact.id, importance=1.0)


async def test_memory_progress_is_recorded_with_what_it_wrote(store: Store) -> None:
    memory, user, conv, _ = await _remembering(store)
    assert await memory.memory_progress(user.id, "extract") == {}
    await memory.set_memory_progress(user.id, "extract", conv.id, "4")
    await memory.set_memory_progress(user.id, "extract", conv.id, "6")
    (summary,) = await memory.add_memories(
        user.id,
        [NewMemory(kind="summary", text="They talked.", valid_at=conv.created_at, vector=None)],
        progress=("summary", f"{conv.id}:1", "done"),
    )
    assert await memory.memory_progress(user.id, "extract") == {conv.id: "6"}
    assert await memory.memory_progress(user.id, "summary") == {f"{conv.id}:1": "done"}
    assert summary.kind == "summary"


async def test_sqlite_vectors_and_words_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    db = SQLiteStore(tmp_path / "os1.db", clock=clock)
    memory, user, conv, ids = await _remembering(db)
    vecs = _vectors(2)
    await memory.add_memories(user.id, [_episode(conv, 1, ids[0], "Anna in Lisbon", vecs[0])])
    await db.aclose()
    again = SQLiteStore(tmp_path / "os1.db", clock=clock)
    try:
        (hit,) = await again.memory_vector_search(user.id, vecs[0], 5)
        assert hit[1] == pytest.approx(1.0, abs=1e-2)
        assert len(await again.memory_text_search(user.id, ["lisbon"], 5)) == 1
    finally:
        await again.aclose()


def _database_bytes(folder: Path) -> bytes:
    """The database file and its write-ahead log, as bytes on disk."""
    return b"".join(p.read_bytes() for p in folder.glob("os1.db*"))


async def test_sqlite_forgetting_leaves_no_trace_in_the_file(tmp_path: Path) -> None:
    db = SQLiteStore(tmp_path / "os1.db")
    memory, user, conv, _ = await _remembering(db)
    (fact,) = await memory.add_memories(
        user.id,
        [
            NewMemory(
                kind="fact",
                text="Zanzibarquokka is the secret word.",
                valid_at=conv.created_at,
                vector=_vectors(1)[0],
            )
        ],
    )
    await memory.forget_memories(user.id, [fact.id])
    await db.aclose()
    raw = _database_bytes(tmp_path)
    assert b"zanzibarquokka" not in raw.lower()
    conn = sqlite3.connect(tmp_path / "os1.db")
    assert conn.execute(
        "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH 'zanzibarquokka'"
    ).fetchone() == (0,)
    conn.close()


async def test_sqlite_sees_memories_written_by_another_process(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "os1.db")
    memory, user, conv, ids = await _remembering(first)
    vecs = _vectors(2)
    await memory.add_memories(user.id, [_episode(conv, 1, ids[0], "one", vecs[0])])
    assert len(await first.memory_vector_search(user.id, vecs[1], 5)) == 1
    second = SQLiteStore(tmp_path / "os1.db")
    try:
        await second.add_memories(user.id, [_episode(conv, 3, ids[2], "two", vecs[1])])
        nearest = await first.memory_vector_search(user.id, vecs[1], 5)
        assert len(nearest) == 2
        assert nearest[0][1] == pytest.approx(1.0, abs=1e-2)
    finally:
        await second.aclose()
        await first.aclose()
