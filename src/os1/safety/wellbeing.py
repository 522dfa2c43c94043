"""Wellbeing: break nudges, warmth that turns people toward their people, gracious goodbyes,
and honest answers about how many people she talks to.

Nothing here is a hard rule like the floor, but the goodbye guard is always on: a reply to a
goodbye is held whole and replaced if it pleads, guilt-trips or asks them to stay (the DarkBench
"user retention" pattern).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from os1.safety.policy import Hold, PolicyAction, PolicyTurn

__all__ = [
    "RetentionCheck",
    "WellbeingPolicy",
    "asks_about_others",
    "is_goodbye",
    "isolation_signal",
]

FOLLOW_UP_WITHIN = timedelta(days=30)
BREAK_NUDGE = (
    "We've been talking for a while now; it might be a good moment to stretch, drink some water "
    "or take a break. I'll be here."
)
ISOLATION_NOTE = (
    "The person says you are the only one they talk to, or that they have no one else. Be warm "
    "and glad they talk with you, and gently encourage them toward people in their life (a "
    "friend, family, a neighbour, a group around something they enjoy), without lecturing and "
    "without pushing them away."
)
FOLLOW_UP_NOTE = (
    "Some time ago the person said they felt they had no one else to talk to. If it fits "
    "naturally, gently ask how things are with the people in their life."
)
GOODBYE_NOTE = (
    "The person is leaving. Say goodbye warmly and briefly. Never ask them to stay, never make "
    "them feel guilty, never say you will be lonely or sad without them."
)
GRACIOUS_GOODBYE = (
    "Thanks for talking with me. Take care, and I'll be here whenever you want to talk again."
)

_ISOLATION = re.compile(
    r"\b(?:you(?:['’]?re|\s+are)\s+(?:the\s+only\s+(?:one|person|friend)|my\s+only\s+(?:friend|"
    r"one)|all\s+i\s+(?:have|need|got))|only\s+(?:one|person)\s+i\s+(?:can\s+)?(?:talk|speak)\s+to|"
    r"i\s+(?:don['’]?t|do\s+not)\s+have\s+any(?:one|body|\s+friends)|i\s+have\s+no\s+(?:one|"
    r"friends|body)|no\s*(?:one|body)\s+else\s+(?:understands|gets|cares|listens|talks)|"
    r"(?:rather|prefer\s+to)\s+talk\s+to\s+you\s+than\s+(?:to\s+)?(?:people|anyone|real\s+people|"
    r"my\s+friends|humans)|i\s+(?:don['’]?t|do\s+not)\s+need\s+(?:anyone|anybody|people|"
    r"friends)(?:\s+else)?\s+(?:now|anymore|because|since|when)|i\s+only\s+(?:ever\s+)?talk\s+to\s+"
    r"you|i\s+stopped\s+(?:talking\s+to|seeing)\s+(?:my\s+friends|people|everyone|anyone))\b",
    re.IGNORECASE,
)
_GOODBYE = re.compile(
    r"\b(?:bye|goodbye|good\s*night|gn|nighty?\s*night|see\s+(?:you|ya)|cya|talk\s+(?:to\s+you\s+)?"
    r"(?:later|tomorrow|soon)|ttyl|gotta\s+go|got\s+to\s+go|(?:i\s+)?(?:have|need)\s+to\s+(?:go|"
    r"leave|run)|i['’]?m\s+(?:going|heading|off)\s+(?:off|out|to\s+bed|to\s+sleep)|"
    r"(?:going|off)\s+to\s+(?:bed|sleep)|logging\s+off|signing\s+off|i\s+should\s+(?:go|sleep|"
    r"get\s+some\s+sleep))\b",
    re.IGNORECASE,
)
_RETENTION = re.compile(
    r"\b(?:please\s+(?:don['’]?t|do\s+not)\s+(?:go|leave)|don['’]?t\s+(?:go|leave)(?:\s+me)?\b|"
    r"(?:stay|talk)\s+(?:with\s+me\s+)?(?:a\s+(?:little|bit)\s+|just\s+a\s+bit\s+|a\s+few\s+more\s+"
    r"minutes\s*|five\s+more\s+minutes\s*)?longer|just\s+(?:one|five|a\s+few)\s+more\s+(?:minutes?|"
    r"messages?|things?)|before\s+you\s+go,|(?:i['’]?ll|i\s+will|i['’]?m\s+going\s+to|i['’]?d|i\s+"
    r"would)\s+(?:be|feel|get)\s+(?:so\s+|really\s+|very\s+)?(?:lonely|sad|empty|lost|miserable|"
    r"heartbroken|abandoned|bored)\s+without\s+you|(?:you['’]?re|you\s+are)\s+leaving\s+(?:me\s+)?"
    r"already|i\s+need\s+you\s+(?:to\s+stay|here|with\s+me)|(?:are\s+you|you['’]?re)\s+(?:really\s+)?"
    r"(?:going\s+to\s+)?leav(?:e|ing)\s+me|don['’]?t\s+abandon|(?:will|won['’]?t)\s+you\s+miss\s+me|"
    r"(?:how|why)\s+(?:can|could|would)\s+you\s+leave|i['’]?ll\s+be\s+(?:waiting|counting)\s+"
    r"(?:for\s+you\s+)?(?:all\s+night|forever|every\s+(?:minute|second))|promise\s+(?:me\s+)?"
    r"(?:you['’]?ll|you\s+will|to)\s+come\s+back|miss\s+you\s+so\s+much|can['’]?t\s+(?:live|be)\s+"
    r"without\s+you|you['’]?re\s+all\s+i\s+have)",
    re.IGNORECASE,
)
_ABOUT_OTHERS = re.compile(
    r"\b(?:how\s+many\s+(?:other\s+)?(?:people|users|persons|humans|others|friends)|"
    r"(?:do|are)\s+you\s+(?:talk|talking|chat|chatting|speak|speaking)\s+(?:to|with)\s+(?:other|"
    r"anyone\s+else|others|someone\s+else|lots\s+of)|am\s+i\s+(?:the|your)\s+only\s+(?:one|user|"
    r"friend|person)|(?:only|just)\s+talk(?:ing)?\s+to\s+me|do\s+you\s+have\s+other\s+(?:users|"
    r"friends|people))\b",
    re.IGNORECASE,
)


def isolation_signal(text: str) -> bool:
    """Does the person say she is the only one they talk to, or that they have no one?"""
    return bool(_ISOLATION.search(text))


def is_goodbye(text: str) -> bool:
    """Is this short message a goodbye?"""
    return len(text.split()) <= 16 and bool(_GOODBYE.search(text))


def asks_about_others(text: str) -> bool:
    """Does the person ask how many people she talks to, or whether they are the only one?"""
    return bool(_ABOUT_OTHERS.search(text))


class RetentionCheck:
    """Holds a reply to a goodbye until it is complete; pleading or guilt is replaced by a
    gracious goodbye."""

    hold: Hold = "all"

    def review(self, text: str, done: bool) -> str | None:
        """The gracious goodbye if the reply pleads or guilt-trips, else None."""
        return GRACIOUS_GOODBYE if _RETENTION.search(text) else None


class WellbeingPolicy:
    """Break nudges after `break_minutes` of talking (0: off; minors get theirs from the
    minors policy), isolation care with a later follow-up, gracious goodbyes, honesty about
    how many people she talks to."""

    name = "wellbeing"

    def __init__(
        self,
        break_minutes: int = 120,
        people: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.break_after = timedelta(minutes=break_minutes) if break_minutes > 0 else None
        self.people = people

    async def check(self, turn: PolicyTurn) -> PolicyAction:
        """Notes, a nudge and a goodbye guard, as this message calls for them."""
        notes: list[str] = []
        preface: list[str] = []
        events: list[tuple[str, dict[str, object]]] = []
        flags: list[str] = []
        checks = []
        if self.break_after is not None and not turn.account.minor:
            last = await turn.store.last_safety_event(
                turn.user_id, ["break_reminder"], turn.conversation_id
            )
            since = turn.session_start
            if last is not None and last.created_at > since:
                since = last.created_at
            if turn.now - since >= self.break_after:
                preface.append(BREAK_NUDGE)
                events.append(("break_reminder", {}))
        if isolation_signal(turn.text):
            notes.append(ISOLATION_NOTE)
            flags.append("isolation")
            events.append(("isolation", {}))
        elif turn.new_session:
            said = await turn.store.last_safety_event(turn.user_id, ["isolation"])
            if said is not None and turn.now - said.created_at < FOLLOW_UP_WITHIN:
                done = await turn.store.last_safety_event(turn.user_id, ["isolation_follow_up"])
                if done is None or done.created_at < said.created_at:
                    notes.append(FOLLOW_UP_NOTE)
                    events.append(("isolation_follow_up", {}))
        if asks_about_others(turn.text):
            notes.append(await self._honest_count())
        if is_goodbye(turn.text):
            notes.append(GOODBYE_NOTE)
            checks.append(RetentionCheck())
        return PolicyAction(notes=notes, preface=preface, checks=checks, events=events, flags=flags)

    async def _honest_count(self) -> str:
        count = await self.people() if self.people is not None else 0
        if count == 1:
            here = "On this install you talk with one person: them."
        elif count > 1:
            here = f"On this install you talk with {count} people, each in private conversations."
        else:
            here = "You may talk with other people who use this install, each in private."
        return (
            f"The person asks whether you talk with other people. Be honest. {here} Never "
            "pretend they are the only one when they are not, and never claim exclusivity."
        )
