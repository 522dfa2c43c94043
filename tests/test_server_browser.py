"""The web page in a real browser: Debian's Chromium driven by playwright-core (tests/browser/).

Skips, saying why, where Chromium, Node or playwright-core is missing (./test.sh installs them).
Screenshots land in artifacts/browser/.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import subprocess
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import LiveServer, Person
from os1.testing import FakeClock, FakeEmotionReader, ScriptedBackend
from os1.types import BackendEvent, GenerationRequest

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TESTS = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("OS1_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
ANSWERS = {
    "by the river.": "That sounds peaceful. Was the river busy, or did you have it mostly to "
    "yourself?",
    "after work.": "Quiet like that can be such a relief after a long day. What made work feel "
    "heavy today?",
    "long story.": "Once, a lighthouse keeper kept a journal of every ship that passed, and one "
    "winter night she noticed a ship that was not on any chart, its lights blinking in a pattern "
    "she knew from her grandmother's stories, so she climbed to the lamp room and answered it.",
}


class AnswersByMessage(ScriptedBackend):
    """Answers chosen by how the person's last message ends; anything else is echoed.

    Memory's own model calls (fact extraction) share the backend, so replies cannot simply be
    queued in order.
    """

    def __init__(self, answers: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answers = answers

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        for ending, answer in self.answers.items():
            if last.endswith(ending):
                self.queue(answer)
                break
        async for event in super().stream(request):
            yield event


def missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not Path(CHROMIUM).exists():
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if not (BROWSER_TESTS / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed (cd tests/browser && npm ci)"
    return None


def run_page_script(
    script: str, served: LiveServer, timeout: int = 240, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run tests/browser/SCRIPT with node against a live server; artifacts go to ARTIFACTS."""
    env = {
        **os.environ,
        "OS1_URL": served.url,
        "OS1_KEY": served.people[0].key,
        "OS1_ARTIFACTS": str(ARTIFACTS),
        "OS1_CHROMIUM": CHROMIUM,
        **extra,
    }
    result = subprocess.run(
        ["node", str(BROWSER_TESTS / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.loopback
def test_the_page_works_end_to_end_in_chromium(live_server: Callable[..., LiveServer]) -> None:
    reason = missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    backend = AnswersByMessage(ANSWERS, delay_s=0.04, first_delay_s=0.3)
    served = live_server(["Theo"], backend=backend, memory=True, heart=True)
    run_page_script("chat.mjs", served)
    assert (ARTIFACTS / "chat.png").stat().st_size > 10_000


# Two weeks of how Theo sounded, a day a line ("" = a day he did not talk).
DAYS = [
    "I'm so happy, great news at work!",
    "",
    "Thank you for yesterday.",
    "I feel sad and lonely tonight.|I cried a bit.",
    "Still sad.|I'm worried about mum.",
    "",
    "Feeling hopeful today.",
    "lol that was funny|Thank you!",
    "I'm nervous about the trip.",
    "",
    "Great walk by the sea!|I'm proud of myself.",
    "Annoyed at the train again.",
    "Thank you, I love our talks.",
]


def seed_history(db_path: Path, theo: Person) -> None:
    """Two weeks of mood readings, how the relationship grew, and a few journal entries."""
    from os1.config import Settings
    from os1.heart.journal import GrowthJournal
    from os1.store.sqlite import SQLiteStore

    async def seed() -> None:
        today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
        clock = FakeClock(today - timedelta(days=len(DAYS) + 1))  # the last day: yesterday
        store = SQLiteStore(db_path, clock=clock)
        reader = FakeEmotionReader()
        uid = theo.user.id
        past = await store.create_conversation(uid, theo.companion.id, "Last two weeks")
        said = []
        for line in DAYS:
            clock.advance(days=1)
            for text in filter(None, line.split("|")):
                clock.advance(minutes=7)
                message = await store.append_message(uid, past.id, "user", text)
                await store.add_mood(uid, message.id, reader.read([text])[0], clock.now)
                said.append(message)
            clock.now = clock.now.replace(hour=10, minute=0)
        await store.set_heart_state(uid, theo.companion.id, "relationship", {
            "turns": 46, "days": 10, "disclosures": 7, "promises_kept": 1,
            "first_at": (today - timedelta(days=len(DAYS))).isoformat(),
            "last_at": clock.now.isoformat(),
        })  # fmt: skip
        insight = await store.add_insight(
            uid, theo.companion.id, "Theo finds calm by the water.", 0.7,
            message_ids=[said[-3].id],
        )  # fmt: skip
        journal = GrowthJournal(store, Settings(home=db_path.parent / "home"), clock)
        clock.now = today - timedelta(days=9)
        await journal.revise(uid, theo.companion.id, {"style": "Warm and unhurried; a little "
                             "teasing when he is in good spirits."}, author="user",
                             reason="style edited by the user")  # fmt: skip
        clock.now = today - timedelta(days=2)
        await journal.revise(
            uid, theo.companion.id,
            {"user_notes": "Theo loves walks by the sea; they calm him after long weeks."},
            author="reflection", reason="what I have learned about Theo this week",
            evidence=[insight.id, said[-3].id],
        )  # fmt: skip
        await store.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, seed()).result()


@pytest.mark.loopback
def test_the_journal_and_mood_views_work_in_chromium(
    live_server: Callable[..., LiveServer],
) -> None:
    reason = missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    served = live_server(["Theo"], backend=ScriptedBackend(delay_s=0.01), heart=True)
    seed_history(served.db_path, served.people[0])
    run_page_script("heart.mjs", served)
    assert (ARTIFACTS / "journal.png").stat().st_size > 10_000
    assert (ARTIFACTS / "mood.png").stat().st_size > 10_000
