"""`os1 heart` and `os1 mood` as a person uses them: her mood and why, yours by day."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result

from os1.cli import main
from os1.companion import Companion
from os1.config import Settings
from os1.heart.heart import Heart
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, FakeEmotionReader, ScriptedBackend

WIDE = {"COLUMNS": "200"}


def os1(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env=WIDE, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


async def seed(home: Path, start: datetime | None = None) -> str:
    """Two sad days and a happy one, a day apart from `start` (by default ending just now).
    Returns the user's id."""
    clock = FakeClock(start or datetime.now(UTC) - timedelta(days=2, minutes=5))
    store = SQLiteStore(home / "os1.db", clock=clock)
    heart = Heart(store, clock=clock, reader=FakeEmotionReader())
    companion = Companion(
        Settings(home=home),
        store=store,
        backend=ScriptedBackend(),
        clock=clock,
        sources=[heart],
        observers=[heart],
    )
    user = await store.create_user("Theo")
    profile = await companion.default_profile(user)
    conversation = await companion.new_conversation(user, profile)
    for texts in (("I'm so sad", "still sad today"), ("sad again", "my cat died"), ("I'm happy!",)):
        for text in texts:
            await companion.reply(user.id, conversation.id, text)
            await companion.drain()
        clock.advance(days=1)
    await store.aclose()
    return user.id


def test_heart_shows_her_mood_why_and_the_relationship(os1_home: Path) -> None:
    asyncio.run(seed(os1_home))
    shown = os1("heart")
    assert shown.exit_code == 0, shown.output
    assert "Sol feels" in shown.stdout
    assert "strategy: celebrate" in shown.stdout
    assert "why, latest first:" in shown.stdout
    assert "loss: they said" in shown.stdout  # "my cat died", a day earlier
    assert "relationship: new" in shown.stdout
    assert "5 turns over 3 days" in shown.stdout

    data = json.loads(os1("heart", "--json").stdout)
    assert data["companion"] == "Sol"
    assert data["strategy"] == "celebrate"
    assert [w["event"] for w in data["why"]][:2] == ["good_news", "loss"]
    assert data["relationship"]["turns"] == 5


def test_mood_draws_your_days_and_gives_json_for_charts(os1_home: Path) -> None:
    user_id = asyncio.run(seed(os1_home))
    chart = os1("mood", "--days", "7")
    assert chart.exit_code == 0, chart.output
    rows = [line for line in chart.stdout.splitlines() if "│" in line]
    assert len(rows) == 3
    assert "█│" in rows[0]
    assert "sad" in rows[0]
    assert "│█" in rows[2]
    assert "happy" in rows[2]

    data = json.loads(os1("mood", "--json").stdout)
    assert data["user_id"] == user_id
    assert [d["count"] for d in data["days"]] == [2, 2, 1]
    assert [d["mood"] for d in data["days"]] == ["sad", "sad", "happy"]
    assert data["days"][0]["valence"] < 0 < data["days"][2]["valence"]
    assert len(json.loads(os1("mood", "--days", "1", "--json").stdout)["days"]) <= 1


def test_mood_counts_your_days_in_this_machines_time_zone(
    os1_home: Path, local_zone: Callable[[str], None]
) -> None:
    # Each message at 02:00 UTC: the evening before in California, the small hours in Berlin.
    today = datetime.now(UTC).date()
    asyncio.run(seed(os1_home, datetime.combine(today - timedelta(days=3), time(2), UTC)))

    def days_ago(*ns: int) -> list[str]:
        return [(today - timedelta(days=n)).isoformat() for n in ns]

    local_zone("America/Los_Angeles")
    data = json.loads(os1("mood", "--json").stdout)
    assert [d["day"] for d in data["days"]] == days_ago(4, 3, 2)
    california_today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    assert data["since"] == (california_today - timedelta(days=13)).isoformat()
    local_zone("Europe/Berlin")
    data = json.loads(os1("mood", "--json").stdout)
    assert [d["day"] for d in data["days"]] == days_ago(3, 2, 1)


def test_clear_errors_and_no_tracebacks(os1_home: Path) -> None:
    empty = os1("heart")
    assert empty.exit_code == 1
    assert "nobody has talked with her yet: start with `os1 chat`" in empty.output
    asyncio.run(seed(os1_home))
    stranger = os1("mood", "--user", "usr_nobody")
    assert stranger.exit_code == 1
    assert "no user usr_nobody" in stranger.output
    bad = os1("mood", "--days", "0")
    assert bad.exit_code == 2
    assert "0 is not in the range" in bad.output
    assert os1("heart", "train", "--help").exit_code == 0  # training lives under `os1 heart`
