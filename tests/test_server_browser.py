"""The web page in a real browser: Debian's Chromium driven by playwright-core (tests/browser/).

Skips, saying why, where Chromium, Node or playwright-core is missing (./test.sh installs them).
Screenshots land in artifacts/browser/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import LiveServer
from os1.testing import ScriptedBackend
from os1.types import BackendEvent, GenerationRequest

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TESTS = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("OS1_CHROMIUM", "/usr/bin/chromium")
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


@pytest.mark.loopback
def test_the_page_works_end_to_end_in_chromium(live_server: Callable[..., LiveServer]) -> None:
    reason = missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    backend = AnswersByMessage(ANSWERS, delay_s=0.04, first_delay_s=0.3)
    served = live_server(["Theo"], backend=backend, memory=True)
    artifacts = ROOT / "artifacts" / "browser"
    env = {
        **os.environ,
        "OS1_URL": served.url,
        "OS1_KEY": served.people[0].key,
        "OS1_ARTIFACTS": str(artifacts),
        "OS1_CHROMIUM": CHROMIUM,
    }
    result = subprocess.run(
        ["node", str(BROWSER_TESTS / "chat.mjs")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (artifacts / "chat.png").stat().st_size > 10_000
