"""The growth journal: every persona change is a numbered, diffable entry; rollback restores a
version exactly and can itself be undone; one user never reaches another's journal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from os1.cli import main
from os1.config import Settings
from os1.errors import InputError, NotFound
from os1.heart import persona as persona_module
from os1.heart.cards import card_to_persona
from os1.heart.journal import GrowthJournal
from os1.heart.persona import default_persona
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock
from os1.types import CompanionProfile, User


async def meet(
    store: SQLiteStore, journal: GrowthJournal, name: str
) -> tuple[User, CompanionProfile]:
    user = await store.create_user(name)
    return user, await journal.new_companion(user.id)


@pytest.fixture
def journal(store: SQLiteStore, tmp_path: Path, clock: FakeClock) -> GrowthJournal:
    return GrowthJournal(store, Settings(home=tmp_path / "home"), clock)


async def test_a_revision_is_a_versioned_entry_with_reason_evidence_and_diff(
    store: SQLiteStore, journal: GrowthJournal, clock: FakeClock
) -> None:
    user, sol = await meet(store, journal, "Theo")
    assert await journal.entries(user.id, sol.id) == []
    assert await journal.current(user.id, sol.id) == default_persona("Sol")

    clock.advance(days=2)
    entry = await journal.revise(
        user.id,
        sol.id,
        {"user_notes": "Theo writes letters for other people.", "style": "Gentle and brief."},
        author="reflection",
        reason="he talks about his work with pride",
        evidence=["ins_1", "mem_7"],
    )
    entries = await journal.entries(user.id, sol.id)
    assert [(e.version, e.author) for e in entries] == [(1, "operator"), (2, "reflection")]
    assert entries[0].reason == "the persona she started with"
    assert entries[0].persona == default_persona("Sol")
    assert entry == entries[1]
    assert (entry.reason, entry.evidence, entry.created_at) == (
        "he talks about his work with pride",
        ("ins_1", "mem_7"),
        clock(),
    )
    assert entry.diff.startswith("--- version 1\n+++ version 2\n")
    assert "+Theo writes letters for other people." in entry.diff.splitlines()
    assert "+Gentle and brief." in entry.diff.splitlines()
    assert any(line.startswith("-You talk like a close friend") for line in entry.diff.splitlines())
    assert (await journal.current(user.id, sol.id)).style == "Gentle and brief."
    # The companion row shows the latest version too (the server API and `os1 export` read it).
    assert "Gentle and brief." in (await store.get_companion(user.id, sol.id)).persona


async def test_rollback_restores_exactly_and_can_be_undone(
    store: SQLiteStore, journal: GrowthJournal
) -> None:
    user, sol = await meet(store, journal, "Theo")
    await journal.revise(
        user.id, sol.id, {"values": "Honesty first."}, author="user", reason="mine"
    )
    card = card_to_persona(
        {
            "spec": "chara_card_v3",
            "spec_version": "3.0",
            "data": {
                "name": "Mira",
                "description": "A lighthouse AI.",
                "tags": ["sea"],
                "extensions": {"x": {"deep": [1, 2]}},
                "group_only_greetings": [],
            },
        }
    )
    await journal.adopt(user.id, sol.id, card, author="import", reason="imported mira.json")
    await journal.revise(user.id, sol.id, {"name": "Mirabel"}, author="growth", reason="a nickname")
    entries = await journal.entries(user.id, sol.id)
    assert [e.version for e in entries] == [1, 2, 3, 4]

    back = await journal.rollback(user.id, sol.id, 2)
    assert (back.version, back.author, back.reason) == (5, "rollback", "rolled back to version 2")
    assert await journal.current(user.id, sol.id) == entries[1].persona
    assert (await store.get_companion(user.id, sol.id)).name == "Sol"

    undone = await journal.rollback(user.id, sol.id, 4)
    assert undone.version == 6
    now = await journal.current(user.id, sol.id)
    assert now == entries[3].persona
    assert (now.name, now.extensions, now.tags) == ("Mirabel", {"x": {"deep": [1, 2]}}, ("sea",))

    with pytest.raises(NotFound, match="no version 99"):
        await journal.rollback(user.id, sol.id, 99)


async def test_a_revision_that_changes_nothing_writes_nothing(
    store: SQLiteStore, journal: GrowthJournal
) -> None:
    user, sol = await meet(store, journal, "Theo")
    first = await journal.revise(user.id, sol.id, {"style": "Brief."}, author="user", reason="r")
    same = await journal.revise(user.id, sol.id, {"style": "Brief."}, author="user", reason="r")
    assert same == first
    assert len(await journal.entries(user.id, sol.id)) == 2


async def test_bad_revisions_are_refused_with_the_block_and_limit(
    store: SQLiteStore, journal: GrowthJournal
) -> None:
    user, sol = await meet(store, journal, "Theo")
    with pytest.raises(InputError, match="values is 1,501 characters; the limit is 1,500"):
        await journal.revise(user.id, sol.id, {"values": "v" * 1501}, author="user", reason="r")
    with pytest.raises(InputError, match="can't change invariants"):
        await journal.revise(user.id, sol.id, {"invariants": "none"}, author="user", reason="r")
    with pytest.raises(InputError, match="unknown author"):
        await journal.revise(user.id, sol.id, {"style": "x"}, author="hacker", reason="r")
    with pytest.raises(InputError, match="needs a reason"):
        await journal.revise(user.id, sol.id, {"style": "x"}, author="user", reason=" ")
    with pytest.raises(InputError, match="name is empty"):
        await journal.revise(user.id, sol.id, {"name": "  "}, author="user", reason="r")
    assert await journal.entries(user.id, sol.id) == []  # nothing was written, not even v1


async def test_limits_hold_on_rollback_too(
    store: SQLiteStore, journal: GrowthJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, sol = await meet(store, journal, "Theo")
    await journal.revise(user.id, sol.id, {"identity": "i" * 900}, author="user", reason="long")
    await journal.revise(user.id, sol.id, {"identity": "short"}, author="user", reason="short")
    monkeypatch.setitem(persona_module.LIMITS, "identity", 500)
    with pytest.raises(InputError, match="identity is 900 characters; the limit is 500"):
        await journal.rollback(user.id, sol.id, 2)


async def test_users_are_isolated(store: SQLiteStore, journal: GrowthJournal) -> None:
    theo, sol = await meet(store, journal, "Theo")
    amy, her_sol = await meet(store, journal, "Amy")
    await journal.revise(
        theo.id, sol.id, {"user_notes": "Theo is divorcing."}, author="user", reason="r"
    )

    for call in (
        journal.entries(amy.id, sol.id),
        journal.current(amy.id, sol.id),
        journal.rollback(amy.id, sol.id, 1),
        journal.entry(amy.id, sol.id, 2),
        journal.revise(amy.id, sol.id, {"style": "mine"}, author="user", reason="r"),
    ):
        with pytest.raises(NotFound):
            await call
    assert await journal.entries(amy.id, her_sol.id) == []
    assert len(await journal.entries(theo.id, sol.id)) == 2
    assert "divorcing" not in (await journal.current(amy.id, her_sol.id)).user_notes


async def test_concurrent_writers_both_land_one_after_the_other(
    store: SQLiteStore, journal: GrowthJournal
) -> None:
    user, sol = await meet(store, journal, "Theo")
    await journal.revise(user.id, sol.id, {"style": "Brief."}, author="user", reason="start")
    await asyncio.gather(
        journal.revise(user.id, sol.id, {"values": "Kindness."}, author="reflection", reason="a"),
        journal.revise(user.id, sol.id, {"user_notes": "Likes rain."}, author="user", reason="b"),
    )
    entries = await journal.entries(user.id, sol.id)
    assert [e.version for e in entries] == [1, 2, 3, 4]
    now = await journal.current(user.id, sol.id)
    assert (now.values, now.user_notes, now.style) == ("Kindness.", "Likes rain.", "Brief.")


async def test_a_change_made_outside_the_journal_is_kept_and_recorded(
    store: SQLiteStore, journal: GrowthJournal
) -> None:
    """The server's companion settings write one persona text: the prompt follows it, and the
    next journal write records it first, so it can be rolled back like any other change."""
    user, sol = await meet(store, journal, "Theo")
    await journal.revise(user.id, sol.id, {"user_notes": "Likes tea."}, author="user", reason="r")
    await store.update_companion(user.id, sol.id, name="Luna", persona="You are calm.")
    now = await journal.current(user.id, sol.id)
    assert (now.name, now.identity, now.style) == ("Luna", "You are calm.", "")

    await journal.revise(user.id, sol.id, {"style": "Slow."}, author="user", reason="pace")
    entries = await journal.entries(user.id, sol.id)
    assert [e.author for e in entries] == ["operator", "user", "user", "user"]
    assert entries[2].reason.startswith("changed outside the journal")
    assert entries[2].persona == now
    await journal.rollback(user.id, sol.id, 2)
    assert (await store.get_companion(user.id, sol.id)).name == "Sol"


async def test_erasing_a_user_erases_their_persona_versions(
    store: SQLiteStore, journal: GrowthJournal
) -> None:
    theo, sol = await meet(store, journal, "Theo")
    amy, her_sol = await meet(store, journal, "Amy")
    await journal.revise(theo.id, sol.id, {"style": "Brief."}, author="user", reason="r")
    await journal.revise(amy.id, her_sol.id, {"style": "Long."}, author="user", reason="r")
    exported = await store.export_user(theo.id)
    assert [v["version"] for v in exported["persona_versions"]] == [1, 2]

    def erase(conn: object) -> list[str]:
        conn.execute("DELETE FROM users WHERE id = ?", (theo.id,))  # type: ignore[attr-defined]
        rows = conn.execute("SELECT user_id FROM persona_versions")  # type: ignore[attr-defined]
        return [r[0] for r in rows]

    assert set(await store._write(erase)) == {amy.id}


# --- the CLI -------------------------------------------------------------------------------------


def os1(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_os1_journal_lists_shows_diffs_and_rolls_back() -> None:
    assert "no companion yet" in os1("journal").stderr
    assert os1("persona", "edit", "style", "Slow and warm.").stdout.startswith("version 2:")
    assert os1("persona", "edit", "name", "Nova").exit_code == 0
    assert "nothing changed" in os1("persona", "edit", "name", "Nova").stdout

    listed = os1("journal", "list").stdout
    assert "style" in listed
    assert "name" in listed
    assert "operator" in listed
    assert os1("journal").stdout == listed

    shown = os1("journal", "show", "2").stdout
    assert "author: user" in shown
    assert "reason: style edited by the user" in shown
    assert "+Slow and warm." in shown.splitlines()

    rolled = os1("journal", "rollback", "1")
    assert rolled.stdout.startswith("version 4: rolled back to version 1")
    assert "You talk like a close friend" in os1("persona", "show").stdout
    assert "nothing changed" in os1("journal", "rollback", "4").stdout
    assert os1("journal", "rollback", "3").stdout.startswith("version 5:")  # undo the rollback
    assert "Nova" in os1("persona", "show").stdout

    missing = os1("journal", "show", "42")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: no version 42 in the journal")
    assert os1("journal", "rollback", "x").exit_code == 2  # click: not an integer


def test_os1_persona_edit_refuses_an_oversized_block_in_one_line() -> None:
    result = os1("persona", "edit", "user_notes", "-", input="n" * 2001)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: user_notes is 2,001 characters; the limit is 2,000"
    assert os1("persona", "edit", "mood", "x").exit_code == 2
