"""The relationship: closeness and trust that grow with shared history and cool with absence.

Closeness grows with turns, days talked and what the person shares about themselves; trust
with days, disclosures and kept promises (she remembered what she said she would). Both
saturate, so the first weeks matter most. A long absence cools them gently when they are read
(the history itself is kept). The relationship only shapes how familiar she is; it is never
used to pressure anyone: the notes it writes never mention missing them, loneliness, guilt, or
asking them to stay, whatever the numbers say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from os1.types import EmotionReading

__all__ = ["Relationship", "is_disclosure", "is_kept_promise"]

COOLING_AFTER_DAYS = 14
# Past the grace period, closeness halves every CLOSENESS_HALF_LIFE_DAYS of absence (trust
# more slowly), never below a floor: a friend you have not seen for a year is still a friend.
CLOSENESS_HALF_LIFE_DAYS = 60.0
TRUST_HALF_LIFE_DAYS = 180.0
COOLED_FLOOR = 0.4

STAGES = (
    (0.55, "close", "you know each other well; be familiar and easy, and draw on shared history"),
    (0.2, "friendly", "you have talked a fair bit; be relaxed and friendly"),
    (0.0, "new", "you are still getting to know each other; be warm, not over-familiar"),
)

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|i'd|my|me|myself)\b", re.IGNORECASE)
_DISCLOSURE = re.compile(
    r"\b(?:never told|to be honest|honestly|secret|confess|ashamed|embarrassed|i feel|i felt|"
    r"i'm scared|i'm afraid|i'm worried|i struggle|i've been struggling|diagnosed|therapy|"
    r"therapist|my (?:mom|mother|dad|father|parents|sister|brother|wife|husband|partner|"
    r"girlfriend|boyfriend|kids?|son|daughter|family|ex)|i love|i hate my|lonely)\b",
    re.IGNORECASE,
)
_KEPT = re.compile(
    r"\b(?:you remembered|thanks? for remembering|you didn't forget|"
    r"you kept your (?:word|promise))\b",
    re.IGNORECASE,
)


def is_disclosure(text: str, reading: EmotionReading | None = None) -> bool:
    """Does the person share something personal (about themselves, their feelings, family)?"""
    if len(text.split()) < 4 or not _FIRST_PERSON.search(text):
        return False
    if _DISCLOSURE.search(text):
        return True
    return reading is not None and abs(reading.valence) >= 0.5 and len(text.split()) >= 8


def is_kept_promise(text: str) -> bool:
    """Does the person say she kept her word (remembered what she said she would)?"""
    return bool(_KEPT.search(text))


def _saturate(x: float) -> float:
    return 1.0 - math.exp(-x)


@dataclass(frozen=True, slots=True)
class Relationship:
    """The shared history between one user and one companion, and what it adds up to."""

    turns: int = 0
    days: int = 0
    disclosures: int = 0
    promises_kept: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def after_turn(
        self, at: datetime, *, disclosure: bool = False, kept_promise: bool = False
    ) -> Relationship:
        """The relationship after one more turn at `at`."""
        new_day = self.last_at is None or at.date() != self.last_at.date()
        return replace(
            self,
            turns=self.turns + 1,
            days=self.days + int(new_day),
            disclosures=self.disclosures + int(disclosure),
            promises_kept=self.promises_kept + int(kept_promise),
            first_at=self.first_at or at,
            last_at=at if self.last_at is None or at > self.last_at else self.last_at,
        )

    def absent_days(self, now: datetime) -> float:
        """Days since they last talked (0 for a new relationship)."""
        if self.last_at is None:
            return 0.0
        return max(0.0, (now - self.last_at).total_seconds() / 86400)

    def _cooling(self, now: datetime, half_life: float) -> float:
        over = self.absent_days(now) - COOLING_AFTER_DAYS
        if over <= 0:
            return 1.0
        return COOLED_FLOOR + (1 - COOLED_FLOOR) * math.pow(0.5, over / half_life)

    def closeness(self, now: datetime) -> float:
        """0..1: grows with turns, days and disclosures; cools after a long absence."""
        history = self.turns / 150 + self.days / 20 + self.disclosures / 15
        return _saturate(history) * self._cooling(now, CLOSENESS_HALF_LIFE_DAYS)

    def trust(self, now: datetime) -> float:
        """0..1: grows with days, disclosures and kept promises; cools slowly with absence."""
        history = self.days / 30 + self.disclosures / 20 + self.promises_kept / 5
        return _saturate(history) * self._cooling(now, TRUST_HALF_LIFE_DAYS)

    def stage(self, now: datetime) -> str:
        """new, friendly or close (by closeness)."""
        closeness = self.closeness(now)
        return next(name for floor, name, _ in STAGES if closeness >= floor)

    def notes(self, now: datetime) -> list[str]:
        """How familiar to be, and (after a long gap) a light welcome back; never pressure."""
        closeness = self.closeness(now)
        familiarity = next(text for floor, _, text in STAGES if closeness >= floor)
        lines = [f"[relationship] {familiarity}"]
        absent = self.absent_days(now)
        if self.turns and absent >= COOLING_AFTER_DAYS:
            weeks = round(absent / 7)
            lines.append(
                f"[relationship] about {weeks} weeks since you last talked; welcome them back "
                "lightly and warmly, pick up where they want, no pressure and no reproach"
            )
        return lines

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, for the store."""
        return {
            "turns": self.turns,
            "days": self.days,
            "disclosures": self.disclosures,
            "promises_kept": self.promises_kept,
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Relationship:
        """Back from `as_json` ({} gives a new relationship)."""
        first, last = data.get("first_at"), data.get("last_at")
        return cls(
            turns=int(data.get("turns", 0)),
            days=int(data.get("days", 0)),
            disclosures=int(data.get("disclosures", 0)),
            promises_kept=int(data.get("promises_kept", 0)),
            first_at=datetime.fromisoformat(first) if first else None,
            last_at=datetime.fromisoformat(last) if last else None,
        )

    def summary(self, now: datetime) -> dict[str, Any]:
        """What `os1 heart` shows: the numbers and what they rest on."""
        return {
            "stage": self.stage(now),
            "closeness": round(self.closeness(now), 3),
            "trust": round(self.trust(now), 3),
            "turns": self.turns,
            "days_talked": self.days,
            "disclosures": self.disclosures,
            "promises_kept": self.promises_kept,
            "days_since_last_talk": round(self.absent_days(now), 1),
        }
