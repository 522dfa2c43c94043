"""The heart in the turn loop: a `ContextSource` before the reply and a `TurnObserver` after it.

Before the reply (the notes step) it reads how the message sounds (the emotion classifier, in a
thread, alongside the store reads), appraises it, and adds a line with her mood and the
response strategy when they change (and every few turns); a line about familiarity when that
changes; a line about the user's mood when a pattern is real (at most once a day). After the
reply, off the reply path, it keeps the reading for the mood chart, saves her affect and the
relationship, and lets reflection weigh what is new.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from os1.errors import Os1Error
from os1.heart.affect import Affect, Appraisal, Values, appraise, approach_note, strategy_note
from os1.heart.mood import Mood
from os1.heart.reflection import Reflection, message_importance
from os1.heart.relationship import Relationship, is_disclosure, is_kept_promise
from os1.memory.extraction import GaveWay
from os1.names import UNNAMED

if TYPE_CHECKING:
    from os1.companion import TurnInput
    from os1.heart.emotion import EmotionReader
    from os1.types import EmotionReading, Message

__all__ = ["Heart"]

log = logging.getLogger(__name__)

MOOD_CHECK_EVERY = timedelta(hours=1)
# How long a turn's notes wait for the previous turn's update to land (it takes milliseconds;
# the wait only matters when background work runs late, as in the terminal chat).
SETTLE_WAIT_S = 0.25
# Her mood and approach are noted when they change; unchanged, they are said again after this
# many turns, so the note stays near the end of a long prompt without costing every turn.
AFFECT_NOTE_EVERY = 6


@dataclass(frozen=True, slots=True)
class _Read:
    """What the notes step worked out for a turn, handed to the observer."""

    text: str
    reading: EmotionReading | None
    appraisal: Appraisal
    mood_noted: str | None
    settled: asyncio.Event | None = None
    # What the notes step changed, as it was before: put back if the turn is dropped unsaid.
    before: tuple[asyncio.Event | None, _Noted | None, str | None] = (None, None, None)


@dataclass(frozen=True, slots=True)
class _Noted:
    """Her approach and mood as last noted in a conversation, and the turns since the note
    that gave the approach."""

    strategy: str
    mood: frozenset[str]
    turns: int


class Heart:
    """Her heart for one companion engine: perception, affect, relationship, mood, reflection.

    `reader` reads emotions (or `load_reader` makes one on first use); with neither, she still
    appraises what people say from their words.
    """

    def __init__(
        self,
        store: Any,
        *,
        clock: Callable[[], datetime],
        reader: EmotionReader | None = None,
        load_reader: Callable[[], EmotionReader] | None = None,
        reflection: Reflection | None = None,
        values: Values | None = None,
        mood: Mood | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.values = values or Values()
        self.mood = mood or Mood(store)
        self.reflection = reflection
        self._reader = reader
        # Called on first use, in a thread: loading the model takes a moment.
        self._reader_factory = load_reader if reader is None else None
        self._reader_lock = asyncio.Lock()
        self._turns: dict[tuple[str, str], _Read] = {}
        # Set once a turn's update has landed, so the next turn's notes start from it.
        self._settled: dict[tuple[str, str], asyncio.Event] = {}
        self._stage_noted: dict[str, str] = {}
        self._affect_noted: dict[str, _Noted] = {}

    @property
    def perceives(self) -> bool:
        """Does she read emotions (is a reader available)?"""
        return self._reader is not None or self._reader_factory is not None

    # --- before the reply ---------------------------------------------------------------------

    async def read(self, text: str) -> EmotionReading | None:
        """How a message sounds (None without perception); the model runs in a thread."""
        reader = await self._get_reader()
        if reader is None:
            return None
        try:
            return (await asyncio.to_thread(reader.read, [text]))[0]
        except Exception as err:  # a broken model must not take the conversation down
            log.warning("heart: emotion reading failed, reading turned off: %s", err)
            self._reader = None
            return None

    async def _get_reader(self) -> EmotionReader | None:
        if self._reader_factory is None:
            return self._reader
        async with self._reader_lock:
            factory, self._reader_factory = self._reader_factory, None
            if factory is not None:
                try:
                    self._reader = await asyncio.to_thread(factory)
                except Os1Error as err:
                    log.warning(
                        "heart: emotion perception is off (%s); her affect follows words only",
                        err,
                    )
                    self._reader = None
        return self._reader

    async def notes(self, turn: TurnInput) -> list[str]:
        """Her mood and the strategy for this reply when they are news; familiarity; the
        user's mood pattern."""
        user_id, companion_id = turn.user_id, turn.profile.id
        reading_task = asyncio.ensure_future(self.read(turn.text))
        settled = self._settled.get((user_id, companion_id))
        if settled is not None and not settled.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(settled.wait(), SETTLE_WAIT_S)
        try:
            affect_data = await self.store.heart_state(user_id, companion_id, "affect")
            relationship_data = await self.store.heart_state(user_id, companion_id, "relationship")
            mood_lines, mood_noted = await self._mood_lines(user_id, companion_id, turn.now)
        finally:
            reading = await reading_task
        before = Affect.from_json(affect_data)
        appraisal = appraise(turn.text, reading, before, turn.now, self.values)
        noted = (
            settled,
            self._affect_noted.get(turn.conversation.id),
            self._stage_noted.get(turn.conversation.id),
        )
        settled = self._settled[(user_id, companion_id)] = asyncio.Event()
        self._turns[(user_id, turn.conversation.id)] = _Read(
            turn.text, reading, appraisal, mood_noted, settled, noted
        )
        lines = self._affect_lines(turn.conversation.id, before.moved(appraisal))
        relationship = Relationship.from_json(relationship_data)
        stage = relationship.stage(turn.now)
        away = relationship.turns > 0 and relationship.absent_days(turn.now) >= 14
        if self._stage_noted.get(turn.conversation.id) != stage or away:
            if len(self._stage_noted) > 10_000:
                self._stage_noted.clear()
            self._stage_noted[turn.conversation.id] = stage
            lines += relationship.notes(turn.now)
        return lines + mood_lines

    def notes_dropped(self, turn: TurnInput) -> None:
        """A turn prepared ahead was dropped unsaid: her mood and familiarity count as not said,
        and the next turn does not wait for this one's update."""
        read = self._turns.pop((turn.user_id, turn.conversation.id), None)
        if read is None or read.text != turn.text:
            return
        settled, affect_noted, stage_noted = read.before
        conversation_id = turn.conversation.id
        if affect_noted is None:
            self._affect_noted.pop(conversation_id, None)
        else:
            self._affect_noted[conversation_id] = affect_noted
        if stage_noted is None:
            self._stage_noted.pop(conversation_id, None)
        else:
            self._stage_noted[conversation_id] = stage_noted
        key = (turn.user_id, turn.profile.id)
        if self._settled.get(key) is read.settled:
            if settled is None:
                self._settled.pop(key, None)
            else:
                self._settled[key] = settled
        if read.settled is not None:
            read.settled.set()

    def _affect_lines(self, conversation_id: str, affect: Affect) -> list[str]:
        """Her mood and approach, said only when they are news in this conversation: a new
        approach (with her mood, when that changed too), a new mood alone, or both after
        `AFFECT_NOTE_EVERY` turns. (Her approach follows each message, so it changed on about
        20 of `bench latency`'s 30 turns; the mood words cost about a dozen tokens each time.)"""
        words = affect.words()
        mood = frozenset(words.split(", "))
        said = self._affect_noted.get(conversation_id)
        if len(self._affect_noted) > 10_000:
            self._affect_noted.clear()
        if said is None or said.turns + 1 >= AFFECT_NOTE_EVERY:
            self._affect_noted[conversation_id] = _Noted(affect.strategy, mood, 0)
            return [strategy_note(affect)]
        if said.strategy != affect.strategy:
            self._affect_noted[conversation_id] = _Noted(affect.strategy, mood, said.turns + 1)
            return [approach_note(affect) if said.mood == mood else strategy_note(affect)]
        self._affect_noted[conversation_id] = _Noted(said.strategy, mood, said.turns + 1)
        if said.mood != mood:
            return [f"[your mood] {words}"]  # the approach noted before still stands
        return []

    async def _mood_lines(
        self, user_id: str, companion_id: str, now: datetime
    ) -> tuple[list[str], str | None]:
        # The pattern itself is worked out after turns (it reads a week of readings); here it is
        # only said, when it was found today and has not been said today.
        state = await self.store.heart_state(user_id, companion_id, "mood_note")
        # "Today" is the person's calendar day, as the mood's days are.
        day = self._day(now)
        today = day.isoformat()
        checked = state.get("checked_at")
        fresh = checked is not None and self._day(datetime.fromisoformat(checked)) == day
        if not fresh or not state.get("note") or state.get("said_on") == today:
            return [], None
        return [str(state["note"])], today

    def _day(self, when: datetime) -> date:
        return when.astimezone(self.mood.tz).date()

    async def _check_mood(self, user_id: str, companion_id: str, now: datetime) -> None:
        """Work out the user's mood pattern again, at most hourly."""
        state = await self.store.heart_state(user_id, companion_id, "mood_note")
        checked = state.get("checked_at")
        last = datetime.fromisoformat(checked) if checked else None
        if (
            last is None
            or self._day(last) != self._day(now)
            or not 0 <= (now - last).total_seconds() < MOOD_CHECK_EVERY.total_seconds()
        ):
            pattern = await self.mood.pattern(user_id, now)
            state["note"] = pattern.note if pattern else None
            state["checked_at"] = now.isoformat()
            await self.store.set_heart_state(user_id, companion_id, "mood_note", state)

    # --- after the reply ----------------------------------------------------------------------

    async def turn_finished(self, turn: TurnInput, user_message: Message, reply: Message) -> None:
        """Keep the reading, move her affect, grow the relationship, maybe reflect."""
        user_id, companion_id = turn.user_id, turn.profile.id
        read = self._turns.pop((user_id, turn.conversation.id), None)
        try:
            if read is None or read.text != turn.text:
                reading = await self.read(turn.text)
                before = Affect.from_json(
                    await self.store.heart_state(user_id, companion_id, "affect")
                )
                appraisal = appraise(turn.text, reading, before, turn.now, self.values)
                read = _Read(turn.text, reading, appraisal, None)
            # Read again: another conversation may have moved her since the notes step.
            affect = Affect.from_json(await self.store.heart_state(user_id, companion_id, "affect"))
            disclosure = is_disclosure(turn.text, read.reading)
            relationship = Relationship.from_json(
                await self.store.heart_state(user_id, companion_id, "relationship")
            ).after_turn(turn.now, disclosure=disclosure, kept_promise=is_kept_promise(turn.text))
            states = {
                "affect": affect.moved(read.appraisal).as_json(),
                "relationship": relationship.as_json(),
            }
            if read.mood_noted:
                said = await self.store.heart_state(user_id, companion_id, "mood_note")
                states["mood_note"] = {**said, "said_on": read.mood_noted}
            mood = None
            if read.reading is not None:
                mood = (user_message.id, read.reading, user_message.created_at)
            # One transaction: a turn's reading, affect and relationship land together, even
            # when quitting cancels the rest of this work.
            await self.store.record_heart_turn(user_id, companion_id, states, mood)
            if read.settled is not None:
                read.settled.set()
            await self._check_mood(user_id, companion_id, turn.now)
            if self.reflection is not None:
                await self.reflection.note_message(
                    user_id,
                    companion_id,
                    user_message,
                    message_importance(turn.text, read.reading, disclosure),
                )
                names = (await self._user_name(user_id), turn.profile.name)
                await self.reflection.maybe_reflect(user_id, companion_id, names)
        except GaveWay:
            pass  # a person is waiting for a reply; reflection tries again after a later turn
        except Os1Error as err:
            # Background work never takes the conversation down.
            log.warning("heart: %s", err)
        finally:
            if read is not None and read.settled is not None:
                read.settled.set()

    async def _user_name(self, user_id: str) -> str:
        user = await self.store.get_user(user_id)
        return user.name if user.name and user.name != UNNAMED else "the user"

    # --- inspection ---------------------------------------------------------------------------

    async def status(
        self, user_id: str, companion_id: str, now: datetime | None = None
    ) -> dict[str, Any]:
        """Her mood now (and why), the strategy, the relationship, the user's mood pattern and
        her latest insights: what `os1 heart` shows."""
        now = now or self.clock()
        affect = Affect.from_json(
            await self.store.heart_state(user_id, companion_id, "affect")
        ).decayed(now)
        relationship = Relationship.from_json(
            await self.store.heart_state(user_id, companion_id, "relationship")
        )
        pattern = await self.mood.pattern(user_id, now)
        insights = await self.store.insights(user_id, companion_id, limit=5)
        return {
            "mood": {
                "words": affect.words(),
                "valence": round(affect.valence, 3),
                "arousal": round(affect.arousal, 3),
                "feelings": {k: round(v, 3) for k, v in affect.feelings.items() if v >= 0.01},
            },
            "strategy": affect.strategy,
            "why": list(affect.recent),
            "relationship": relationship.summary(now),
            "user_mood": pattern.note if pattern else None,
            "perception": self.perceives,
            "insights": [
                {
                    "id": i.id,
                    "text": i.text,
                    "created_at": i.created_at.isoformat(),
                    "evidence": [*i.memory_ids, *i.message_ids],
                }
                for i in insights
            ],
        }
