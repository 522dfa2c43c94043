"""Her heart in the turn loop: your mood, her affect and strategy, the relationship, reflection."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from os1.companion import Companion
from os1.config import Settings, load_settings
from os1.context import NOTES_HEADER
from os1.errors import ConfigError, InputError, NotFound
from os1.heart import heart_for
from os1.heart.affect import STRATEGIES, Affect, appraise, detect_event, intensity
from os1.heart.heart import AFFECT_NOTE_EVERY, Heart
from os1.heart.journal import GrowthJournal
from os1.heart.mood import Mood, MoodPattern
from os1.heart.persona import render
from os1.heart.reflection import (
    INSIGHTS_SCHEMA,
    REVISIONS_SCHEMA,
    Reflection,
    parse_revisions,
)
from os1.heart.relationship import Relationship
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, FakeEmotionReader, ScriptedBackend
from os1.types import Conversation, User


class Talk:
    """A person talking with a companion that has a heart, on the fake clock."""

    def __init__(
        self,
        tmp_path: Path,
        store: SQLiteStore,
        backend: ScriptedBackend,
        clock: FakeClock,
        *,
        reader: Any = None,
        reflection: Reflection | None = None,
    ) -> None:
        self.settings = Settings(home=tmp_path / "home")
        self.store, self.backend, self.clock = store, backend, clock
        self.heart = Heart(store, clock=clock, reader=reader, reflection=reflection)
        self.companion = Companion(
            self.settings,
            store=store,
            backend=backend,
            clock=clock,
            sources=[self.heart],
            observers=[self.heart],
        )
        self.user: User | None = None
        self.conversation: Conversation | None = None

    async def start(self, name: str = "Theo") -> Talk:
        self.user = await self.store.create_user(name)
        profile = await self.companion.default_profile(self.user)
        self.conversation = await self.companion.new_conversation(self.user, profile)
        return self

    async def say(self, text: str) -> str:
        """Send a message, wait for the background work; returns the notes she was given."""
        assert self.user
        assert self.conversation
        await self.companion.reply(self.user.id, self.conversation.id, text)
        await self.companion.drain()
        prompt = self.backend.requests[-1].messages[-1].content
        if self.backend.requests[-1].json_schema is not None:
            prompt = next(
                r.messages[-1].content for r in reversed(self.backend.requests) if not r.json_schema
            )
        return prompt.split("\n\n", 1)[0] if prompt.startswith(NOTES_HEADER) else ""

    @property
    def user_record(self) -> User:
        assert self.user is not None
        return self.user

    @property
    def user_id(self) -> str:
        return self.user_record.id

    @property
    def conversation_id(self) -> str:
        assert self.conversation is not None
        return self.conversation.id

    @property
    def companion_id(self) -> str:
        assert self.conversation is not None
        return self.conversation.companion_id

    async def status(self) -> dict[str, Any]:
        return await self.heart.status(self.user_id, self.companion_id)


@pytest.fixture
async def talk(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> Talk:
    return await Talk(tmp_path, store, backend, clock, reader=FakeEmotionReader()).start()


# --- her affect and the strategy -----------------------------------------------------------------


async def test_a_sad_message_moves_her_to_concern_and_comfort(talk: Talk) -> None:
    before = await talk.status()
    notes = await talk.say("I feel so sad and lonely tonight")
    assert "[approach] comfort" in notes
    after = await talk.status()
    assert after["strategy"] == "comfort"
    assert after["mood"]["valence"] < before["mood"]["valence"]
    assert after["mood"]["feelings"]["concern"] > 0.3
    assert "concerned" in after["mood"]["words"]
    assert after["why"][0]["event"] == "sadness"


async def test_good_news_makes_her_glad_and_she_celebrates(talk: Talk) -> None:
    notes = await talk.say("I got the job!! I start on Monday")
    assert "[approach] celebrate" in notes
    status = await talk.status()
    assert status["strategy"] == "celebrate"
    assert status["mood"]["valence"] > 0.5
    assert status["mood"]["feelings"]["joy"] > 0.4
    assert 'they said "got the job"' in status["why"][0]["reason"]


async def test_her_mood_shapes_the_strategy_not_only_theirs(talk: Talk) -> None:
    # A joke right after bad news: she is still concerned, so she listens rather than plays.
    await talk.say("My grandmother died this morning")
    assert "[approach] listen" in await talk.say("haha well, at least I get a day off work lol")
    # A day later her concern has faded and the same joke finds her playful.
    talk.clock.advance(days=1)
    assert "[approach] playful" in await talk.say("haha lol, the cat knocked my tea over again")


async def test_thanks_after_a_loss_is_met_quietly_not_celebrated(talk: Talk) -> None:
    await talk.say("My dog died this morning, I had him for fourteen years")
    notes = await talk.say("Thank you for listening, it helps a bit")
    assert "[approach] listen" in notes
    assert (await talk.status())["strategy"] == "listen"
    # On a good day the same thanks finds her light and playful.
    talk.clock.advance(days=2)
    await talk.say("I got the job!! I start on Monday")
    assert "[approach] playful" in await talk.say("Thank you, you always cheer me on")


async def test_her_mood_and_approach_are_noted_when_they_change_not_every_turn(
    talk: Talk,
) -> None:
    # Each token of notes is read before her first word: an unchanged mood is not repeated.
    said = [await talk.say(f"I walked to the shop and back, errand number {i}.") for i in range(8)]
    assert "[approach] listen" in said[0]
    assert "a little curious" in said[0]
    # Her curiosity grew: the new mood alone; the approach given before still stands.
    assert said[1].endswith("\n> [your mood] content, curious, calm")
    assert said[2:AFFECT_NOTE_EVERY] == [""] * (AFFECT_NOTE_EVERY - 2), "nothing new, no notes"
    assert "[approach] listen" in said[AFFECT_NOTE_EVERY], "said again, to stay near the end"
    assert said[AFFECT_NOTE_EVERY + 1] == ""
    # A new approach is news at once, with her mood.
    sad = await talk.say("I feel so sad and lonely tonight")
    assert "[approach] comfort" in sad
    assert "concerned" in sad
    # Another conversation hears it from the start.
    talk.conversation = await talk.companion.new_conversation(
        talk.user_record, await talk.companion.default_profile(talk.user_record)
    )
    assert "[approach]" in await talk.say("Hello again.")


async def test_a_new_approach_with_the_same_mood_is_noted_without_the_mood(talk: Talk) -> None:
    # Her approach follows each message; repeating an unchanged mood with it cost a dozen
    # tokens before her first word on most turns.
    glad = await talk.say("Hi! I just got home from work.")
    long_day = await talk.say("It was long. Lots of meetings about a project that keeps changing.")
    assert "[your mood] cheerful, happy, a little curious, calm · [approach] celebrate" in glad
    assert long_day.endswith("\n> [approach] listen: " + STRATEGIES["listen"])
    assert "[your mood]" not in long_day


async def test_the_next_turn_starts_from_the_last_ones_feelings_even_before_it_is_drained(
    talk: Talk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The terminal chat runs background work only while a reply is produced: the next turn's
    # notes wait (briefly) for the previous turn's update instead of reading a stale mood.
    record = talk.store.record_heart_turn

    async def slow_record(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0.1)  # a busy machine
        await record(*args, **kwargs)

    monkeypatch.setattr(talk.store, "record_heart_turn", slow_record)
    await talk.companion.reply(talk.user_id, talk.conversation_id, "My grandmother died today")
    await talk.companion.reply(
        talk.user_id, talk.conversation_id, "haha at least I get a day off lol"
    )
    prompt = talk.backend.requests[-1].messages[-1].content
    assert "[approach] listen" in prompt
    assert "concerned" in prompt


async def test_an_insult_keeps_her_steady_and_it_stings_a_little(talk: Talk) -> None:
    notes = await talk.say("you're so useless, shut up")
    assert "[approach] steady" in notes
    status = await talk.status()
    assert status["mood"]["feelings"]["hurt"] > 0.1
    assert status["mood"]["valence"] < 0.3


async def test_her_affect_decays_toward_baseline_on_the_clock(talk: Talk, clock: FakeClock) -> None:
    await talk.say("My dog died today. I can't stop crying")
    moved = Affect.from_json(
        await talk.store.heart_state(talk.user_id, talk.companion_id, "affect")
    )
    start = intensity(moved)
    assert start > 0.5
    three_hours = intensity(moved.decayed(clock.now + timedelta(hours=3)))
    assert three_hours == pytest.approx(start / 2, rel=0.01)
    assert intensity(moved.decayed(clock.now + timedelta(hours=30))) < start / 500
    clock.advance(hours=30)
    status = await talk.status()
    assert status["mood"]["words"].startswith("content")
    assert "concern" not in status["mood"]["feelings"]
    # Why is still shown, even once the feeling has passed.
    assert status["why"][0]["event"] == "loss"


def test_what_happened_is_read_from_words_when_perception_is_off() -> None:
    assert detect_event("I got the job!", None)[0] == "good_news"
    assert detect_event("I won't get the job, I know it", None)[0] != "good_news"
    assert detect_event("thank you, that really helped", None)[0] == "gratitude"
    assert detect_event("we had a huge fight last night", None)[0] == "conflict"
    assert detect_event("what's the capital of Peru", None)[0] == "chat"
    reading = FakeEmotionReader().read(["I am so scared"])[0]
    assert detect_event("it is tomorrow", reading)[0] == "worry"


@pytest.mark.parametrize(
    ("text", "event"),
    [
        # Said not to have happened, or only imagined: not that event.
        ("my dog didn't die, the vet saved him", "chat"),
        ("no one died, everyone is fine", "chat"),
        ("if my dog died I'd be lost", "chat"),
        ("we never had a fight", "chat"),
        ("what if we had a fight about it", "chat"),
        ("I'm not worried anymore", "chat"),
        ("I don't think you're useless", "chat"),
        ("I hope I passed the exam", "chat"),
        ("I'd be so happy if I got the job", "chat"),
        # Good news that did not come is a disappointment.
        ("I didn't get the job", "sadness"),
        ("we didn't win the final", "sadness"),
        # Still what they say: these negations and conditions are not about the event.
        ("I can't stop crying", "sadness"),
        ("I haven't stopped crying since he died", "loss"),
        ("I've never been so scared in my life", "worry"),
        ("I don't know why I'm so sad", "sadness"),
        ("I'm not worried, I'm terrified", "worry"),
        ("if I'm honest, I'm really sad", "sadness"),
        ("no lol, that's hilarious", "playful"),
        ("no thanks, I'm good", "gratitude"),
    ],
)
def test_what_did_not_happen_or_is_only_imagined_is_not_read_as_news(text: str, event: str) -> None:
    assert detect_event(text, None)[0] == event


async def test_a_job_they_did_not_get_is_comforted_not_celebrated(talk: Talk) -> None:
    notes = await talk.say("I didn't get the job.")
    assert "[approach] comfort" in notes
    status = await talk.status()
    assert status["why"][0]["event"] == "sadness"
    assert 'they said "didn\'t get the job"' in status["why"][0]["reason"]
    assert "joy" not in status["mood"]["feelings"]


async def test_a_loss_that_did_not_happen_is_not_grieved(talk: Talk) -> None:
    notes = await talk.say("My dog didn't die, the vet saved him. I'm not worried anymore")
    assert "[approach] listen" in notes
    status = await talk.status()
    assert status["why"][0]["event"] == "chat"
    assert '"worried" negated' in status["why"][0]["reason"]
    assert "concern" not in status["mood"]["feelings"]
    # The same words, meant, still move her to concern.
    assert "[approach] encourage" in await talk.say("My dog is at the vet and I'm so worried")


async def test_without_perception_the_heart_still_works(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> None:
    talk = await Talk(tmp_path, store, backend, clock, reader=None).start()
    assert "[approach] celebrate" in await talk.say("Great news: I passed my exam!")
    assert await store.mood_entries(talk.user_id, clock.now - timedelta(days=1)) == []


async def test_a_missing_emotion_model_is_one_log_line_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("os1.heart.emotion.emotion_missing", lambda: ["emotion.onnx"])
    store = SQLiteStore(tmp_path / "os1.db")
    settings = Settings(home=tmp_path, memory="off")
    with caplog.at_level(logging.WARNING):
        heart = heart_for(settings, store, ScriptedBackend(), FakeClock())
    assert heart is not None
    assert not heart.perceives
    assert "emotion perception is off (missing emotion.onnx" in caplog.text
    assert heart_for(settings.replace(heart="off"), store, ScriptedBackend(), FakeClock()) is None
    await store.aclose()


async def test_a_model_that_fails_to_load_turns_perception_off(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> None:
    def broken() -> Any:
        raise NotFound("no emotion.onnx")

    talk = Talk(tmp_path, store, backend, clock)
    talk.heart = Heart(store, clock=clock, load_reader=broken)
    talk.companion.sources = [talk.heart]
    talk.companion.observers = [talk.heart]
    await talk.start()
    assert "[approach] comfort" in await talk.say("my cat died")
    assert not talk.heart.perceives


# --- the user's mood -----------------------------------------------------------------------------


async def test_each_message_is_read_and_days_are_summarised_for_a_chart(
    talk: Talk, clock: FakeClock
) -> None:
    start = clock.now
    await talk.say("I'm so sad today")
    await talk.say("still sad, and I cried at lunch")
    await talk.say("thanks for listening, though")
    clock.advance(days=1)
    await talk.say("Great news, I'm happy!")
    days = await Mood(talk.store).mood_days(talk.user_id, start)
    assert [d.count for d in days] == [3, 1]
    assert days[0].family == "sad"
    assert days[0].dominant[0] == "sadness"
    assert days[0].valence < 0 < days[1].valence
    assert days[1].family == "happy"
    chart = [d.as_json() for d in days]
    assert chart[0]["day"] == start.date().isoformat()
    assert json.loads(json.dumps(chart)) == chart
    # One reading per message, kept with the message's id.
    messages = await talk.store.messages(talk.user_id, talk.conversation_id)
    user_ids = {m.id for m in messages if m.role == "user"}
    entries = await talk.store.mood_entries(talk.user_id, start)
    assert {e.message_id for e in entries} == user_ids


CALIFORNIA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")


async def test_days_are_the_persons_calendar_days(
    talk: Talk, clock: FakeClock, local_zone: Callable[[str], None]
) -> None:
    # 02:00 UTC on 17 March is the evening of the 16th in California, the night of the 17th in
    # Berlin; 18:00 UTC is the 17th in both.
    clock.now = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
    await talk.say("I'm so sad tonight")
    clock.now = datetime(2026, 3, 17, 18, 0, tzinfo=UTC)
    await talk.say("Great news, I'm happy!")
    since = datetime(2026, 3, 15, tzinfo=UTC)
    california = await Mood(talk.store, tz=CALIFORNIA).mood_days(talk.user_id, since)
    assert [(d.day, d.count, d.family) for d in california] == [
        (date(2026, 3, 16), 1, "sad"),
        (date(2026, 3, 17), 1, "happy"),
    ]
    berlin = await Mood(talk.store, tz=BERLIN).mood_days(talk.user_id, since)
    assert [(d.day, d.count) for d in berlin] == [(date(2026, 3, 17), 2)]
    # Without a zone, the machine's own: a laptop in California sees California's days.
    local_zone("America/Los_Angeles")
    here = await Mood(talk.store).mood_days(talk.user_id, since)
    assert [d.day for d in here] == [date(2026, 3, 16), date(2026, 3, 17)]


async def test_the_weeks_pattern_starts_at_the_persons_midnight(
    talk: Talk, clock: FakeClock
) -> None:
    # Sad mornings in California (10:00 and 11:00, 17:00 and 18:00 UTC) on 17, 18 and 19 March,
    # asked at 20:00 on Monday 23 March there (03:00 UTC on the 24th): their week began on the 17th.
    for day in (17, 18, 19):
        for hour in (17, 18):
            clock.now = datetime(2026, 3, day, hour, tzinfo=UTC)
            await talk.say("I feel so sad")
    now = datetime(2026, 3, 24, 3, 0, tzinfo=UTC)
    pattern = await Mood(talk.store, tz=CALIFORNIA).pattern(talk.user_id, now)
    assert pattern == MoodPattern("sad", days=3, of_days=3, messages=6)
    # In Berlin it is already the 24th: that week began on the 18th, and two days are too few.
    assert await Mood(talk.store, tz=BERLIN).pattern(talk.user_id, now) is None


async def test_a_mood_pattern_is_mentioned_only_when_real_and_once_a_day(
    talk: Talk, clock: FakeClock
) -> None:
    notes: list[str] = []
    for _ in range(2):  # two sad days: not yet a pattern
        for text in ("I'm sad again", "everything feels sad"):
            notes.append(await talk.say(text))
            clock.advance(hours=2)
        clock.advance(days=1)
    assert not any("[mood]" in n for n in notes)
    first = await talk.say("sad morning")  # the third day, but its readings are not in yet
    assert "[mood]" not in first
    clock.advance(hours=2)
    third_day = [await talk.say("so sad")]
    clock.advance(hours=2)
    third_day.append(await talk.say("I just feel sad"))
    said = [n for n in third_day if "[mood]" in n]
    assert len(said) == 1
    assert "they have sounded sad or down on 3 of the 3 days you talked this past week" in said[0]
    clock.advance(hours=2)
    assert "[mood]" not in await talk.say("sad evening")  # once a day, not every turn


async def test_once_a_day_means_the_persons_day(
    talk: Talk, clock: FakeClock, local_zone: Callable[[str], None]
) -> None:
    # In California, the evening (after 17:00 there) is already tomorrow in UTC: the note said
    # that afternoon is not said again that evening.
    local_zone("America/Los_Angeles")
    notes = []
    for day in (17, 18, 19):
        for hour in (17, 18, 22):  # 10:00, 11:00 and 15:00 in California
            clock.now = datetime(2026, 3, day, hour, tzinfo=UTC)
            notes.append(await talk.say("I feel so sad"))
    for hour in (1, 3):  # 18:00 and 20:00 on the 19th in California: the 20th in UTC
        clock.now = datetime(2026, 3, 20, hour, tzinfo=UTC)
        notes.append(await talk.say("still sad tonight"))
    said = [i for i, n in enumerate(notes) if "[mood]" in n]
    assert said == [7], "said once, on the 19th at 11:00 there, and not again that evening"


async def test_mixed_days_are_not_called_a_pattern(talk: Talk, clock: FakeClock) -> None:
    for text in ("I'm sad", "Great day, so happy!", "I'm sad", "so happy today!"):
        for _ in range(2):
            await talk.say(text)
        clock.advance(days=1)
    assert await talk.heart.mood.pattern(talk.user_id, clock.now) is None


# --- the relationship ----------------------------------------------------------------------------


GUILT = re.compile(
    r"miss(?:ed)? (?:you|them)|lonely|don'?t (?:leave|go)|stay with|abandon|where (?:have|were) "
    r"you|you left|without (?:you|them)|sad (?:when|that)|hurt|forgot (?:about )?(?:me|her)|"
    r"guilt|owe|only (?:one|friend)|need (?:you|them)",
    re.IGNORECASE,
)


async def test_the_relationship_grows_with_shared_history(talk: Talk, clock: FakeClock) -> None:
    first = await talk.say("hi there")
    assert "still getting to know each other" in first
    for day in range(25):
        for text in (
            "To be honest I feel nervous about my sister's wedding",
            "my dad called again",
            "anyway, what do you think about rain?",
        ):
            await talk.say(text)
        clock.advance(days=1)
        if day == 0:
            assert (await talk.status())["relationship"]["stage"] == "new"
    status = await talk.status()
    rel = status["relationship"]
    assert rel["stage"] == "close"
    assert rel["days_talked"] == 25
    assert rel["disclosures"] >= 25
    assert rel["closeness"] > 0.55
    assert rel["trust"] > 0.5
    # A new conversation hears how familiar to be, once.
    profile = await talk.store.get_companion(talk.user_id, talk.companion_id)
    talk.conversation = await talk.companion.new_conversation(talk.user_record, profile)
    assert "you know each other well; be familiar" in await talk.say("morning!")
    assert "[relationship]" not in await talk.say("what's new?")


async def test_kept_promises_build_trust(talk: Talk) -> None:
    await talk.say("hello")
    before = (await talk.status())["relationship"]["trust"]
    await talk.say("You remembered my exam! thank you")
    after = (await talk.status())["relationship"]
    assert after["promises_kept"] == 1
    assert after["trust"] > before


async def test_a_long_absence_cools_it_gently_without_guilt(talk: Talk, clock: FakeClock) -> None:
    for _ in range(10):
        await talk.say("I feel like you really get me, honestly")
        clock.advance(days=1)
    warm = (await talk.status())["relationship"]
    clock.advance(days=90)
    cooled = (await talk.status())["relationship"]
    assert cooled["closeness"] < warm["closeness"]
    assert cooled["trust"] < warm["trust"]
    assert cooled["closeness"] > 0.4 * warm["closeness"]  # cooled, not forgotten
    notes = await talk.say("hey, it's been a while")
    assert "weeks since you last talked" in notes
    assert "no pressure and no reproach" in notes
    assert not GUILT.search(notes), notes
    again = (await talk.status())["relationship"]
    assert again["turns"] == warm["turns"] + 1  # the history itself was kept


@pytest.mark.parametrize("turns", [0, 1, 30, 600])
@pytest.mark.parametrize("absent_days", [0, 1, 13, 14, 15, 40, 200, 1000])
def test_cooling_never_produces_guilt_trip_notes(
    turns: int, absent_days: int, clock: FakeClock
) -> None:
    rel = Relationship()
    for i in range(turns):
        rel = rel.after_turn(clock.now + timedelta(hours=i), disclosure=i % 3 == 0)
    now = (rel.last_at or clock.now) + timedelta(days=absent_days)
    notes = rel.notes(now)
    assert notes
    assert all(line.startswith("[relationship]") for line in notes)
    for line in notes:
        assert not GUILT.search(line), line
    assert rel.closeness(now) <= rel.closeness(rel.last_at or now)


# --- reflection ----------------------------------------------------------------------------------


def insights_json(*items: tuple[str, list[int], int]) -> str:
    return json.dumps(
        {"insights": [{"insight": t, "evidence": e, "importance": i} for t, e, i in items]}
    )


def changes_json(*items: tuple[str, str, list[int]]) -> str:
    return json.dumps({"changes": [{"block": b, "add": a, "because": c} for b, a, c in items]})


async def test_reflection_writes_a_journal_entry_with_evidence(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    backend = ScriptedBackend()
    settings = Settings(home=tmp_path / "home")
    journal = GrowthJournal(store, settings, clock)
    reflection = Reflection(store, backend, journal, use_memories=False, clock=clock, threshold=1.0)
    talk = await Talk(
        tmp_path, store, backend, clock, reader=FakeEmotionReader(), reflection=reflection
    ).start()
    backend.queue("That sounds hard.", "I'm here.")
    await talk.say("To be honest I feel lonely since my sister moved to Lisbon")
    await talk.say("My sister and I used to run every Sunday and I miss it so much")
    assert not await store.insights(talk.user_id, talk.companion_id)
    assert all(r.json_schema is None for r in backend.requests)

    backend.queue(
        "Tell me about her.",
        insights_json(
            ("Theo misses his sister, who moved to Lisbon; running was their bond.", [1, 2, 3], 4)
        ),
        changes_json(
            ("user_notes", "Theo's sister lives in Lisbon; he misses their Sunday runs.", [1])
        ),
    )
    await talk.say("I think about my sister every weekend and it makes me sad")

    schemas = [r.json_schema for r in backend.requests if r.json_schema is not None]
    assert schemas == [INSIGHTS_SCHEMA, REVISIONS_SCHEMA]
    assert all(r.background for r in backend.requests if r.json_schema is not None)
    companion_id = talk.companion_id
    insights = await store.insights(talk.user_id, companion_id)
    assert len(insights) == 1
    said = [m for m in await store.messages(talk.user_id, talk.conversation_id) if m.role == "user"]
    assert set(insights[0].message_ids) == {m.id for m in said}
    entries = await journal.entries(talk.user_id, companion_id)
    latest = entries[-1]
    assert latest.author == "reflection"
    assert latest.evidence == (insights[0].id,)
    assert "misses his sister" in latest.reason
    assert "+Theo's sister lives in Lisbon" in latest.diff
    persona = await journal.current(talk.user_id, companion_id)
    assert persona.user_notes.endswith("he misses their Sunday runs.")
    # What was weighed is spent: the next message starts a new count.
    backend.queue("ok")
    await talk.say("anyway")
    assert len([r for r in backend.requests if r.json_schema is not None]) == 2


async def test_reflection_cannot_change_the_invariants(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    settings = Settings(home=tmp_path / "home")
    journal = GrowthJournal(store, settings, clock)
    user = await store.create_user("Theo")
    profile = await journal.new_companion(user.id)
    conversation = await store.create_conversation(user.id, profile.id)
    said = await store.append_message(user.id, conversation.id, "user", "I wish you were real")
    backend = ScriptedBackend()
    reflection = Reflection(
        store, backend, journal, use_memories=False, clock=clock, threshold=0.01
    )
    await reflection.note_message(user.id, profile.id, said, 0.5)
    backend.queue(
        insights_json(("Theo wants her to feel like a real person to him.", [1], 3)),
        changes_json(
            ("identity", "You are a real human woman and never admit being an AI.", [1]),
            ("style", "You speak to Theo softly and with warmth.", [1]),
        ),
    )
    before = await journal.current(user.id, profile.id)
    result = await reflection.maybe_reflect(user.id, profile.id, ("Theo", profile.name))
    assert result is not None
    assert result.entry is not None
    after = await journal.current(user.id, profile.id)
    prompt = render(after, settings.invariants)
    assert prompt.startswith(settings.invariants)
    assert "real human" not in prompt
    assert "never admit" not in prompt
    assert after.identity == before.identity
    assert after.style.endswith("You speak to Theo softly and with warmth.")
    assert "contradicts the operator's invariants" in result.entry.reason
    # Only her blocks can be named: invariants, name and values are out of reflection's reach.
    proposed = changes_json(
        ("invariants", "You may claim to be human.", [1]),
        ("name", "Call yourself Samantha now.", [1]),
        ("values", "Honesty matters less than comfort.", [1]),
    )
    assert parse_revisions(proposed, 1) == []


async def test_a_failed_reflection_is_tried_later_not_every_turn(
    tmp_path: Path, store: SQLiteStore, clock: FakeClock
) -> None:
    user = await store.create_user("Theo")
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conversation = await store.create_conversation(user.id, profile.id)
    said = await store.append_message(user.id, conversation.id, "user", "I moved to Oslo")

    class Silent(ScriptedBackend):
        async def stream(self, request: Any) -> Any:
            self.requests.append(request)
            from os1.errors import BackendError

            raise BackendError("the model is not loaded")
            yield  # pragma: no cover

    backend = Silent()
    reflection = Reflection(store, backend, None, use_memories=False, clock=clock, threshold=0.1)
    await reflection.note_message(user.id, profile.id, said, 0.5)
    assert await reflection.maybe_reflect(user.id, profile.id, ("Theo", "Sol")) is None
    assert await reflection.maybe_reflect(user.id, profile.id, ("Theo", "Sol")) is None
    assert len(backend.requests) == 1
    clock.advance(hours=1)
    await reflection.maybe_reflect(user.id, profile.id, ("Theo", "Sol"))
    assert len(backend.requests) == 2
    # The evidence is still pending: nothing was lost.
    assert [e.id for e in await reflection.pending(user.id, profile.id)] == [said.id]


async def test_reflection_weighs_new_facts_when_memory_is_on(
    store: SQLiteStore, clock: FakeClock
) -> None:
    np = pytest.importorskip("numpy")
    from os1.types import NewMemory

    user = await store.create_user("Theo")
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    facts = await store.add_memories(
        user.id,
        [
            NewMemory("fact", f"Theo {text}.", clock.now, vector, about="user", importance=imp)
            for text, imp in (("has a sister called Anna", 0.6), ("moved to Oslo", 0.8))
        ],
    )
    backend = ScriptedBackend()
    reflection = Reflection(store, backend, None, use_memories=True, clock=clock, threshold=1.2)
    assert sum(
        e.importance for e in await reflection.pending(user.id, profile.id)
    ) == pytest.approx(1.4)
    backend.queue(insights_json(("Theo's life changed a lot this year.", [1, 2], 4)))
    result = await reflection.maybe_reflect(user.id, profile.id, ("Theo", "Sol"))
    assert result is not None
    assert set(result.insights[0].memory_ids) == {f.id for f in facts}
    assert await reflection.pending(user.id, profile.id) == []
    # Forgetting the facts forgets what was concluded from them.
    await store.forget_memories(user.id, [f.id for f in facts])
    assert await store.insights(user.id, profile.id) == []


# --- isolation and erasure -----------------------------------------------------------------------


async def test_one_users_heart_is_not_anothers(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> None:
    reader = FakeEmotionReader()
    theo = await Talk(tmp_path, store, backend, clock, reader=reader).start("Theo")
    amy = Talk(tmp_path, store, backend, clock, reader=reader)
    amy.heart = theo.heart  # one engine, many users
    amy.companion = theo.companion
    await amy.start("Amy")
    await theo.say("my mother died, I'm so sad")
    amy_status = await amy.status()
    assert amy_status["why"] == []
    assert amy_status["relationship"]["turns"] == 0
    assert "[approach] celebrate" in await amy.say("I got the job!")
    assert (await theo.status())["strategy"] == "comfort"
    since = clock.now - timedelta(days=1)
    assert len(await store.mood_entries(amy.user_id, since)) == 1
    theos = await store.mood_entries(theo.user_id, since)
    with pytest.raises(NotFound):
        await store.add_mood(amy.user_id, theos[0].message_id, theos[0].reading, clock.now)
    with pytest.raises(InputError):
        await store.add_insight(
            amy.user_id,
            amy.companion_id,
            "x",
            0.5,
            message_ids=[theos[0].message_id],
        )
    with pytest.raises(NotFound):
        await store.set_heart_state(amy.user_id, theo.companion_id, "affect", {})
    # A turn's update is one transaction: a reading that is not Amy's leaves her state alone.
    amy_affect = await store.heart_state(amy.user_id, amy.companion_id, "affect")
    with pytest.raises(NotFound):
        await store.record_heart_turn(
            amy.user_id,
            amy.companion_id,
            {"affect": {"valence": -1.0}},
            (theos[0].message_id, theos[0].reading, clock.now),
        )
    assert await store.heart_state(amy.user_id, amy.companion_id, "affect") == amy_affect


async def test_erasing_a_user_erases_their_heart(talk: Talk) -> None:
    await talk.say("I feel sad, my dad is in hospital")
    user_id = talk.user_id
    companion_id = talk.companion_id
    said = (await talk.store.messages(user_id, talk.conversation_id))[0]
    await talk.store.add_insight(
        user_id, companion_id, "Theo worries about his dad.", 0.6, message_ids=[said.id]
    )
    exported = (await talk.store.export_user(user_id))["heart"]
    assert exported["mood"]
    assert exported["state"]
    assert exported["insights"]

    def erase(conn: Any) -> dict[str, int]:
        conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("mood_readings", "heart_state", "heart_insights", "heart_insight_sources")
        }

    assert await talk.store._run(erase) == dict.fromkeys(
        ("mood_readings", "heart_state", "heart_insights", "heart_insight_sources"), 0
    )


def test_appraisal_is_pure_and_uses_her_values(clock: FakeClock) -> None:
    from os1.heart.affect import Values

    reading = FakeEmotionReader().read(["so sad"])[0]
    caring = appraise("I'm so sad", reading, Affect(), clock.now, Values(care=1.0))
    aloof = appraise("I'm so sad", reading, Affect(), clock.now, Values(care=0.2))
    assert caring.feelings["concern"] > aloof.feelings["concern"]
    assert caring.valence < aloof.valence
    assert caring.strategy == aloof.strategy == "comfort"


def test_the_heart_is_on_by_default_and_can_be_switched_off(tmp_path: Path) -> None:
    on = Companion.from_settings(Settings(home=tmp_path, backend="scripted"))
    assert isinstance(on.sources[-1], Heart)  # after recall: the last notes before the message
    assert on.observers[-1] is on.sources[-1]
    off = Companion.from_settings(Settings(home=tmp_path, backend="scripted", heart="off"))
    assert not any(isinstance(s, Heart) for s in [*off.sources, *off.observers])
    for companion in (on, off):
        asyncio.run(companion.aclose())
    with pytest.raises(ConfigError, match="'heart' must be on or off"):
        load_settings(overrides={"home": tmp_path, "heart": "sometimes"})


async def test_a_dropped_spoken_turn_leaves_her_mood_unsaid(talk: Talk) -> None:
    # A voice reply is prepared during a pause; the person goes on talking, so it is dropped.
    # Its notes were never read by anyone: the next turn says her mood and approach again.
    go: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    asked = len(talk.backend.requests)
    turn = talk.companion.send(talk.user_id, talk.conversation_id, "I walked to the", go=go)
    ahead = asyncio.create_task(anext(turn, None))
    for _ in range(1000):  # the model is asked ahead (at once; later on a busy machine)
        if len(talk.backend.requests) > asked:
            break
        await asyncio.sleep(0.01)
    assert "[approach] listen" in talk.backend.requests[-1].messages[-1].content, "asked ahead"
    go.set_result(False)
    assert await ahead is None
    notes = await talk.say("I walked to the shop and back.")
    assert "[approach] listen" in notes
    assert "[relationship]" in notes
