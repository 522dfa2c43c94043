"""The reply gate and the safety store: what is held, what is shown, what is kept."""

from __future__ import annotations

from pathlib import Path

from os1.safety.floor import ReplyGate
from os1.safety.policy import Hold
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, split_pieces


class Forbid:
    """A check that replaces the reply once a word appears."""

    def __init__(self, word: str, hold: Hold, instead: str = "[replaced]") -> None:
        self.word = word
        self.hold: Hold = hold
        self.instead = instead

    def review(self, text: str, done: bool) -> str | None:
        return self.instead if self.word in text else None


def stream(gate: ReplyGate, text: str) -> list[str]:
    shown = [gate.open()]
    for piece in split_pieces(text):
        shown.append(gate.feed(piece))
        if gate.stopped:
            break
    shown.append(gate.close())
    return [s for s in shown if s]


def test_without_checks_every_piece_is_shown_as_it_comes() -> None:
    gate = ReplyGate([])
    text = "Hello there. How was your day?"
    shown = stream(gate, text)
    assert len(shown) == len(split_pieces(text))
    assert "".join(shown) == gate.shown == text


def test_sentence_hold_shows_whole_checked_sentences_only() -> None:
    gate = ReplyGate([("p", Forbid("forbidden", "sentence"))])
    assert gate.feed("Hello") == ""
    assert gate.feed(" there.") == ""  # not yet followed by a space: maybe "there.com"
    assert gate.feed(" How") == "Hello there."
    assert gate.feed(" are you?") == ""
    assert gate.close() == " How are you?"
    assert gate.shown == "Hello there. How are you?"


def test_a_bad_sentence_is_never_shown_and_the_rest_is_replaced() -> None:
    gate = ReplyGate([("minors", Forbid("forbidden", "sentence", "Let's keep it friendly."))])
    shown = stream(gate, "That's a nice idea. Here is something forbidden now. And more text.")
    assert "".join(shown) == gate.shown == "That's a nice idea. Let's keep it friendly."
    assert "forbidden" not in gate.shown
    assert gate.replaced_by == "minors"


def test_hold_all_shows_nothing_until_reviewed() -> None:
    gate = ReplyGate([("wellbeing", Forbid("stay", "all", "Take care!"))])
    assert gate.feed("Bye!") == ""
    assert gate.feed(" Sleep well.") == ""
    assert gate.close() == "Bye! Sleep well."
    gate = ReplyGate([("wellbeing", Forbid("stay", "all", "Take care!"))])
    assert stream(gate, "Noo, please stay a bit longer!") == ["Take care!"]


def test_unheld_checks_can_only_correct_after_the_fact() -> None:
    gate = ReplyGate([("disclosure", Forbid("human", "none", "To be honest, I'm an AI."))])
    shown = stream(gate, "Sure thing, I'm human like you and I love tea.")
    # What came before the claim was already shown; the claim itself and the rest never are.
    assert gate.shown == "Sure thing, I'm… To be honest, I'm an AI."
    assert "tea" not in gate.shown
    assert "".join(shown) == gate.shown


def test_preface_and_postscript_frame_the_reply() -> None:
    gate = ReplyGate([], preface=["I'm an AI."], postscript=["Call 988."])
    shown = stream(gate, " Hi!")
    assert shown[0] == "I'm an AI."
    assert gate.shown == "I'm an AI.\n\nHi!\n\nCall 988."
    assert "".join(shown) == gate.shown


def test_a_replacement_reply_passes_with_its_preface() -> None:
    gate = ReplyGate([], preface=["Just so you know, I'm an AI."])
    assert gate.open() == "Just so you know, I'm an AI."
    assert gate.say("I'm here with you.") == "\n\nI'm here with you."
    assert gate.shown == "Just so you know, I'm an AI.\n\nI'm here with you."


async def test_events_counters_and_minor_mode_are_stored(tmp_path: Path, clock: FakeClock) -> None:
    store = SQLiteStore(tmp_path / "os1.db", clock=clock)
    user = await store.create_user("Theo")
    other = await store.create_user("Ana")
    profile = await store.create_companion(user.id, "Sol", "persona")
    conversation = await store.create_conversation(user.id, profile.id)
    assert not (await store.safety_account(user.id)).minor
    await store.record_safety(
        user.id,
        conversation.id,
        [("crisis_protocol", "crisis", {"score": 0.9})],
        counters=["crisis_referral"],
        minor_reason="said their age",
    )
    clock.advance(minutes=5)
    await store.record_safety(other.id, None, [], counters=["crisis_referral"])
    await store.record_safety(user.id, conversation.id, [("disclosure", "disclosure", {})])
    account = await store.safety_account(user.id)
    assert account.minor
    assert account.minor_reason == "said their age"
    assert not (await store.safety_account(other.id)).minor
    last = await store.last_safety_event(user.id, ["crisis_protocol", "disclosure"])
    assert last is not None
    assert last.kind == "disclosure"
    crisis = await store.last_safety_event(user.id, ["crisis_protocol"], conversation.id)
    assert crisis is not None
    assert crisis.data == {"score": 0.9}
    assert await store.last_safety_event(other.id, ["crisis_protocol"]) is None
    assert await store.safety_counts() == {2026: {"crisis_referral": 2}}
    await store.aclose()
    # Minor mode survives a restart; a second switch keeps the first reason.
    store = SQLiteStore(tmp_path / "os1.db", clock=clock)
    await store.record_safety(user.id, None, [], minor_reason="gave a birth year")
    account = await store.safety_account(user.id)
    assert (account.minor, account.minor_reason) == (True, "said their age")
    assert [e.kind for e in await store.safety_events(user.id)] == [
        "disclosure",
        "crisis_protocol",
    ]
    await store.aclose()
