"""The user's mood over time: one emotion reading per message, a summary per day, and a note
when a pattern is real ("they have sounded sad on 4 of the 5 days you talked this week").

Days are the person's calendar days: the machine's local time zone unless another is given (the
web page sends the browser's). A pattern needs enough evidence (messages and days) before it is
mentioned, and it is mentioned at most once a day, never every turn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from os1.store import HeartStore
    from os1.types import EmotionReading, MoodEntry

__all__ = [
    "FAMILIES",
    "Mood",
    "MoodDay",
    "MoodPattern",
    "days_since",
    "family_of",
    "summarise_days",
]

# GoEmotions labels grouped into the moods a friend would name. Labels outside (neutral,
# curiosity, confusion, surprise, realization) say little about mood and count for none.
FAMILIES: dict[str, frozenset[str]] = {
    "sad": frozenset({"sadness", "grief", "disappointment", "remorse", "embarrassment"}),
    "worried": frozenset({"fear", "nervousness"}),
    "frustrated": frozenset({"anger", "annoyance", "disapproval", "disgust"}),
    "happy": frozenset(
        {"joy", "amusement", "excitement", "gratitude", "love", "optimism", "pride"}
        | {"relief", "admiration", "approval", "caring", "desire"}
    ),
}
_FAMILY_OF = {label: name for name, labels in FAMILIES.items() for label in labels}
_SAID = {
    "sad": "sad or down",
    "worried": "worried or anxious",
    "frustrated": "frustrated",
    "happy": "in good spirits",
}


def family_of(reading: EmotionReading) -> str | None:
    """The mood family of a reading's strongest label above threshold (None: no clear mood)."""
    for label in reading.labels:
        if label in _FAMILY_OF:
            return _FAMILY_OF[label]
    return None


@dataclass(frozen=True, slots=True)
class MoodDay:
    """One day of the user's mood: how many messages, mean valence/arousal, what dominated."""

    day: date
    count: int
    valence: float
    arousal: float
    dominant: tuple[str, ...]
    family: str | None

    def as_json(self) -> dict[str, object]:
        """JSON-ready, for charts."""
        return {
            "day": self.day.isoformat(),
            "count": self.count,
            "valence": round(self.valence, 3),
            "arousal": round(self.arousal, 3),
            "dominant": list(self.dominant),
            "mood": self.family,
        }


@dataclass(frozen=True, slots=True)
class MoodPattern:
    """A mood that held on most of the days the user talked in the window."""

    family: str
    days: int
    of_days: int
    messages: int

    @property
    def note(self) -> str:
        """The line for the per-turn notes."""
        return (
            f"[mood] they have sounded {_SAID[self.family]} on {self.days} of the "
            f"{self.of_days} days you talked this past week"
        )


def days_since(now: datetime, days: int, tz: tzinfo | None = None) -> datetime:
    """Midnight starting the last `days` calendar days up to `now`, in `tz` (None: the machine's
    local time zone)."""
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    if tz is None:
        # A naive local time made aware takes that day's offset, so a DST change is respected.
        return datetime.combine(first, time()).astimezone()
    return datetime.combine(first, time(), tz)


def summarise_days(entries: Sequence[MoodEntry], tz: tzinfo | None = None) -> list[MoodDay]:
    """Group readings by calendar day in `tz` (None: the machine's local time zone): count, mean
    valence and arousal, top labels, mood."""
    by_day: defaultdict[date, list[EmotionReading]] = defaultdict(list)
    for entry in entries:
        by_day[entry.at.astimezone(tz).date()].append(entry.reading)
    days = []
    for day in sorted(by_day):
        readings = by_day[day]
        labels = Counter(label for r in readings for label in r.labels if label != "neutral")
        families = Counter(f for r in readings if (f := family_of(r)) is not None)
        family = None
        if families:
            name, count = families.most_common(1)[0]
            # A day's mood is what at least a third of its messages sounded like.
            if count * 3 >= len(readings):
                family = name
        days.append(
            MoodDay(
                day=day,
                count=len(readings),
                valence=sum(r.valence for r in readings) / len(readings),
                arousal=sum(r.arousal for r in readings) / len(readings),
                dominant=tuple(label for label, _ in labels.most_common(3)) or ("neutral",),
                family=family,
            )
        )
    return days


class Mood:
    """The user's mood: readings kept per message, summaries per day, patterns for the notes.
    Days are calendar days in `tz` (None: the machine's local time zone)."""

    def __init__(
        self,
        store: HeartStore,
        *,
        min_messages: int = 6,
        min_days: int = 3,
        window_days: int = 7,
        tz: tzinfo | None = None,
    ) -> None:
        self.store = store
        self.min_messages = min_messages
        self.min_days = min_days
        self.window_days = window_days
        self.tz = tz

    def in_zone(self, tz: tzinfo | None) -> Mood:
        """The same mood, with days in `tz` (for a person whose time zone is known)."""
        return Mood(
            self.store,
            min_messages=self.min_messages,
            min_days=self.min_days,
            window_days=self.window_days,
            tz=tz,
        )

    async def record(
        self, user_id: str, message_id: str, reading: EmotionReading, at: datetime
    ) -> None:
        """Keep the reading of one user message."""
        await self.store.add_mood(user_id, message_id, reading, at)

    async def mood_days(
        self, user_id: str, since: datetime, until: datetime | None = None
    ) -> list[MoodDay]:
        """The user's mood per day from `since` on (days without messages are left out)."""
        return summarise_days(await self.store.mood_entries(user_id, since, until), self.tz)

    async def pattern(self, user_id: str, now: datetime) -> MoodPattern | None:
        """The mood that held on most days of the past week (from local midnight), when there is
        enough to say so: at least `min_messages` readings over at least `min_days` days, and the
        same mood on `min_days` or more of them and on more than half."""
        start = days_since(now, self.window_days, self.tz)
        days = await self.mood_days(user_id, start, now + timedelta(seconds=1))
        messages = sum(d.count for d in days)
        if messages < self.min_messages or len(days) < self.min_days:
            return None
        families = Counter(d.family for d in days if d.family is not None)
        if not families:
            return None
        family, count = families.most_common(1)[0]
        if count < self.min_days or count * 2 <= len(days):
            return None
        return MoodPattern(family, count, len(days), messages)
