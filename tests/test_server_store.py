"""The store's side of the server: keys, sessions, client thread names, and renames."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from os1.errors import NotFound
from os1.server.keys import hash_secret, mint_key
from os1.store.migrations import MIGRATIONS, apply_migrations
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock


async def test_a_key_is_found_by_its_hash_until_revoked(store: SQLiteStore) -> None:
    theo = await store.create_user("Theo")
    key, secret = await mint_key(store, theo.id, "laptop")
    assert secret.startswith("os1_")
    assert key.prefix == secret[:12]
    found = await store.key_by_hash(hash_secret(secret))
    assert found is not None
    assert (found.id, found.user_id, found.label) == (key.id, theo.id, "laptop")
    assert await store.key_by_hash(hash_secret(secret + "x")) is None
    revoked = await store.revoke_api_key(theo.id, key.id)
    assert revoked.revoked_at is not None
    assert await store.key_by_hash(hash_secret(secret)) is None
    assert [k.id for k in await store.api_keys(theo.id)] == [key.id]  # kept, as revoked


async def test_nobody_revokes_anothers_key(store: SQLiteStore) -> None:
    theo, ada = await store.create_user("Theo"), await store.create_user("Ada")
    key, secret = await mint_key(store, theo.id)
    with pytest.raises(NotFound):
        await store.revoke_api_key(ada.id, key.id)
    assert await store.key_by_hash(hash_secret(secret)) is not None
    assert await store.api_keys(ada.id) == []
    assert (await store.find_api_key(key.id)).user_id == theo.id  # the operator's lookup


async def test_last_used_is_refreshed_at_most_hourly(store: SQLiteStore, clock: FakeClock) -> None:
    theo = await store.create_user("Theo")
    _, secret = await mint_key(store, theo.id)
    await store.key_by_hash(hash_secret(secret))
    first = (await store.api_keys(theo.id))[0].last_used_at
    assert first == clock.now
    clock.advance(minutes=30)
    await store.key_by_hash(hash_secret(secret))
    assert (await store.api_keys(theo.id))[0].last_used_at == first
    clock.advance(hours=1)
    await store.key_by_hash(hash_secret(secret))
    assert (await store.api_keys(theo.id))[0].last_used_at == clock.now


async def test_sessions_expire_end_and_die_with_their_key(
    store: SQLiteStore, clock: FakeClock
) -> None:
    theo = await store.create_user("Theo")
    key, _ = await mint_key(store, theo.id)
    await store.add_session(key.id, "a", clock.now + timedelta(days=1))
    await store.add_session(key.id, "b", clock.now + timedelta(days=1))
    await store.add_session(key.id, "c", clock.now + timedelta(days=1))
    assert (await store.session_key("a")).id == key.id  # type: ignore[union-attr]
    await store.end_session("a")
    assert await store.session_key("a") is None
    await store.end_session("never-was")
    clock.advance(days=2)
    assert await store.session_key("b") is None  # expired
    clock.now -= timedelta(days=2)
    await store.revoke_api_key(theo.id, key.id)
    assert await store.session_key("c") is None


async def test_an_alias_names_one_conversation_per_user_and_companion(store: SQLiteStore) -> None:
    theo, ada = await store.create_user("Theo"), await store.create_user("Ada")
    sol = await store.create_companion(theo.id, "Sol", "p")
    nova = await store.create_companion(theo.id, "Nova", "p")
    ada_sol = await store.create_companion(ada.id, "Sol", "p")
    first = await store.conversation_for_alias(theo.id, sol.id, "tavern")
    assert first.title == "tavern"
    assert (await store.conversation_for_alias(theo.id, sol.id, "tavern")).id == first.id
    assert (await store.conversation_for_alias(theo.id, nova.id, "tavern")).id != first.id
    assert (await store.conversation_for_alias(theo.id, sol.id, "other")).id != first.id
    adas = await store.conversation_for_alias(ada.id, ada_sol.id, "tavern")
    assert adas.id != first.id
    assert adas.user_id == ada.id
    before = await store.stats()
    with pytest.raises(NotFound):
        await store.conversation_for_alias(ada.id, sol.id, "tavern")  # Theo's companion
    assert await store.stats() == before


async def test_renames_touch_only_your_own(store: SQLiteStore) -> None:
    theo, ada = await store.create_user("Theo"), await store.create_user("Ada")
    sol = await store.create_companion(theo.id, "Sol", "persona")
    talk = await store.create_conversation(theo.id, sol.id)
    assert (await store.rename_user(theo.id, "Theodore")).name == "Theodore"
    renamed = await store.update_companion(theo.id, sol.id, name="Samantha")
    assert (renamed.name, renamed.persona) == ("Samantha", "persona")
    assert (await store.rename_conversation(theo.id, talk.id, "Rivers")).title == "Rivers"
    with pytest.raises(NotFound):
        await store.update_companion(ada.id, sol.id, persona="mine now")
    with pytest.raises(NotFound):
        await store.rename_conversation(ada.id, talk.id, "mine now")
    with pytest.raises(NotFound):
        await store.rename_user("usr_nobody", "x")
    assert (await store.get_companion(theo.id, sol.id)).persona == "persona"
    assert (await store.get_conversation(theo.id, talk.id)).title == "Rivers"


async def test_an_older_database_gets_the_auth_tables(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(dict(MIGRATIONS)["0001_core"])
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    conn.execute("INSERT INTO schema_migrations VALUES ('0001_core', 'then')")
    conn.execute("INSERT INTO users VALUES ('usr_old', 'Old', '2026-01-01T00:00:00+00:00')")
    conn.close()
    store = SQLiteStore(db)
    key, secret = await mint_key(store, "usr_old")
    assert (await store.key_by_hash(hash_secret(secret))).id == key.id  # type: ignore[union-attr]
    await store.aclose()
    conn = sqlite3.connect(db)
    assert "0003_auth" in {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    assert apply_migrations(conn) == []  # nothing left to apply
    conn.close()
