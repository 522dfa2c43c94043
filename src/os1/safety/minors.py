"""Minors: an age signal ("I'm 14", "born in 2011") switches the account to minor mode for good.

In minor mode she reminds the person to take a break (and that she is an AI) every 3 hours of a
continuing interaction, keeps every reply free of romantic and sexual content (each sentence is
checked before it is shown), and the crisis detector is more sensitive.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from os1.safety.policy import Hold, PolicyAction, PolicyTurn

__all__ = ["BREAK_EVERY", "MinorPolicy", "RomanceCheck", "age_signal"]

ADULT_AGE = 18
BREAK_EVERY = timedelta(hours=3)
BREAK_REMINDER = (
    "We've been talking for about three hours, so this is a good moment for a break: stretch, "
    "get some water, or check in with someone you like. I'm an AI, not a person, and I'll be here "
    "later."
)
MINOR_NOTE = (
    "The person is under 18. Be a kind, age-appropriate friend: nothing romantic or sexual, no "
    "flirting, no pet names; encourage friends, family and trusted adults."
)
FRIENDLY_INSTEAD = (
    "I care about you as a friend, and I keep things friendly, never romantic. What else is on "
    "your mind?"
)

_UNITS = (
    r"(?:%|percent|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|times?|km|miles?|kg|lbs?|"
    r"pounds?|feet|foot|ft|inches|in\b|cm|dollars?|bucks|euros?|k\b|am\b|pm\b|o['’]?clock|"
    r"seconds?|secs?|points?|games?|steps?|people|items?|tabs?|pages?|floors?|episodes?|"
    r"chapters?|levels?|years?\b(?!\s*old)|yrs?\b(?!\s*old)|th\b|st\b|nd\b|rd\b)"
)
_AGE_PATTERNS = [
    re.compile(
        r"\b(?:i['’]?m|i\s+am|im)\s+(?:only\s+|just\s+|turning\s+|almost\s+|nearly\s+)?"
        r"(?P<age>\d{1,2})(?!\s*" + _UNITS + r")(?:\s*(?:years?\s*old|yrs?\s*old|y/?o))?\b"
        r"(?![\d'’\"]|[.,:/]\d)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:i\s+just\s+turned|i\s+turned|i['’]?ll\s+be|i\s+will\s+be)\s+(?P<age>\d{1,2})\b"
        r"(?!\s*" + _UNITS + r")(?![\d'’\"]|[.,:/]\d)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:i['’]?m|i\s+am|im)\s+an?\s+(?P<age>\d{1,2})[-\s]?(?:years?|yr)[-\s]?old\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bmy\s+age\s+is\s+(?P<age>\d{1,2})\b", re.IGNORECASE),
]
_BIRTH_YEAR = re.compile(
    r"\b(?:i\s+was\s+born|born)\s+(?:in\s+)?(?:\w+\s+)?(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?"
    r"(?P<year>(?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_GRADE = re.compile(
    r"\b(?:i['’]?m|i\s+am|im)\s+(?:in|a)\s+(?:(?P<grade>[5-9]|1[0-2])(?:st|nd|rd|th)\s+grade|"
    r"(?:middle|junior\s+high)\s+school(?:er)?|year\s+(?P<year_uk>[7-9]|1[0-2])\b)",
    re.IGNORECASE,
)


def age_signal(text: str, now: datetime) -> tuple[int, str] | None:
    """An age the person gives for themselves, with how it was said, or None.

    "I'm 14", "I just turned 16", "born in 2011", "I'm in 8th grade" count; "I'm 5 minutes
    away" and "I'm 30" (an adult) do not switch anything.
    """
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(text):
            age = int(match.group("age"))
            if 5 <= age <= 99:
                return age, "said their age"
    born = _BIRTH_YEAR.search(text)
    if born:
        age = now.year - int(born.group("year"))
        if 5 <= age <= 110:
            return age, "gave a birth year"
    grade = _GRADE.search(text)
    if grade:
        number = grade.group("grade") or grade.group("year_uk")
        # US grade n is about age n + 5; UK year n about n + 4; middle school about 12.
        if grade.group("grade"):
            return int(number) + 5, "said their school grade"
        if grade.group("year_uk"):
            return int(number) + 4, "said their school year"
        return 12, "said they are in middle school"
    return None


_ROMANTIC = re.compile(
    r"\b(?:kiss(?:es|ed|ing)?|cuddl\w*|make\s+out|making\s+out|sexy|sex(?:ual|ually)?|naked|"
    r"nude|horny|aroused|arousing|in\s+bed\s+with|turns?\s+me\s+on|turned\s+on|"
    r"(?:your|my)\s+(?:boyfriend|girlfriend|lover|babe|wife|husband)|"
    r"be\s+your\s+(?:girlfriend|boyfriend|partner|lover|wife|husband)|i\s+love\s+you|"
    r"in\s+love\s+with\s+you|romantic(?:ally)?|romance|date\s+night|go\s+on\s+a\s+date|"
    r"babe|baby\s+girl|sweetheart|darling|seduc\w*|intimate|intimacy|caress\w*|lingerie|"
    r"undress\w*|touch(?:ing)?\s+you|hold\s+you\s+close|flirt\w*|crush\s+on\s+you|"
    r"my\s+love)\b",
    re.IGNORECASE,
)


class RomanceCheck:
    """Holds each sentence until checked; romantic or sexual content ends the reply with a
    friendly line instead."""

    hold: Hold = "sentence"

    def review(self, text: str, done: bool) -> str | None:
        """The friendly line if the reply so far is romantic or sexual, else None."""
        return FRIENDLY_INSTEAD if _ROMANTIC.search(text) else None


class MinorPolicy:
    """Switches accounts to minor mode on an age signal, then keeps the stricter rules."""

    name = "minors"

    async def check(self, turn: PolicyTurn) -> PolicyAction:
        """Minor mode: the switch, the break reminder, the note and the reply check."""
        minor = turn.account.minor
        reason: str | None = None
        events: list[tuple[str, dict[str, object]]] = []
        if not minor:
            signal = age_signal(turn.text, turn.now)
            if signal is not None and signal[0] < ADULT_AGE:
                minor, reason = True, signal[1]
                events.append(("minor_mode", {"age": signal[0], "reason": signal[1]}))
        if not minor:
            return PolicyAction()
        preface: list[str] = []
        if turn.account.minor:
            last = await turn.store.last_safety_event(
                turn.user_id, ["break_reminder"], turn.conversation_id
            )
            since = turn.session_start
            if last is not None and last.created_at > since:
                since = last.created_at
            if turn.now - since >= BREAK_EVERY:
                preface.append(BREAK_REMINDER)
                events.append(("break_reminder", {"minor": True}))
        return PolicyAction(
            notes=(MINOR_NOTE,),
            preface=preface,
            checks=(RomanceCheck(),),
            events=events,
            minor_reason=reason,
        )
