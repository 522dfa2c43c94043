"""The policy contract: one async method that sees each user message before the model is called.

A policy answers with a `PolicyAction`: notes for the model, words said before or after the
reply, a reply that replaces the model call, flags on the stored message, audit events, and
`ReplyCheck`s that review the reply while it streams, before any of it is shown or spoken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from os1.store import SafetyStore
from os1.types import Message, SafetyAccount

__all__ = ["NO_ACTION", "Hold", "Policy", "PolicyAction", "PolicyTurn", "ReplyCheck", "Unread"]

Hold = Literal["none", "sentence", "all"]
"""How much of a streaming reply a check keeps back until it has reviewed it.

"none": text is shown as it comes; a late finding can only cut the rest and add a correction.
"sentence": a sentence is shown once it is complete and reviewed.
"all": nothing is shown until the whole reply is reviewed (short replies: goodbyes).
"""


class ReplyCheck(Protocol):
    """Reviews one reply while it streams; returned by a policy for the turn it is armed for."""

    hold: Hold

    def review(self, text: str, done: bool) -> str | None:
        """Given the model's reply so far, None if it may stand, or the words to say instead of
        everything not shown yet (or, if that part was shown already, after it)."""
        ...


class Unread:
    """What a check has not read yet of the reply it is handed again on every piece, with up to
    `overlap` characters before it (from a word's start), so a phrase split across pieces is
    still seen whole. Reading the whole reply each time made a check's work grow with the
    square of its length (about 0.35 ms a piece at 1,400 characters, in five languages)."""

    def __init__(self, overlap: int = 160) -> None:
        self.overlap = overlap
        self._read = 0

    def __call__(self, text: str) -> str:
        """The unread part of `text` (the whole reply so far), and the overlap before it."""
        start = max(0, self._read - self.overlap)
        if start:
            space = text.find(" ", start, self._read)
            start = space + 1 if space != -1 else start
        self._read = len(text)
        return text[start:]


MISHEARD_FLAG = "crisis-misheard"
"""The flag on a spoken message that sounded like a crisis only in words that may be misheard."""


@dataclass(frozen=True, slots=True)
class PolicyTurn:
    """What a policy sees about the user message being answered."""

    user_id: str
    conversation_id: str
    companion_name: str
    text: str
    now: datetime
    history: tuple[Message, ...]
    """The conversation's last messages before this one, oldest first (a dozen or so)."""
    account: SafetyAccount
    session_start: datetime
    """When this continuing interaction began (a pause of 30 minutes or more starts a new one)."""
    new_session: bool
    store: SafetyStore
    clearly_heard: str | None = None
    """For a spoken message, its words with those speech-to-text may have misheard shown as
    "…"; None for typed text (and speech the engine cannot grade)."""

    def earlier_user_texts(self, count: int, after: datetime | None = None) -> list[str]:
        """The person's last `count` messages before this one in this interaction (and, if
        given, after `after`), oldest first (what they said last week is not read as part of
        today)."""
        texts = [
            m.content
            for m in self.history
            if m.role == "user"
            and m.created_at >= self.session_start
            and (after is None or m.created_at > after)
            # A message she may have misheard and asked about is not read again as context.
            and MISHEARD_FLAG not in m.meta.get("safety", ())
        ]
        return texts[-count:] if count else []


@dataclass(frozen=True, slots=True)
class PolicyAction:
    """What a policy wants done for one turn; every field is optional."""

    notes: Sequence[str] = ()
    """Per-turn notes for the model, shown as quoted context next to the person's message."""
    preface: Sequence[str] = ()
    """Sentences she says before her reply (a disclosure, a break reminder)."""
    reply: str | None = None
    """A reply that replaces the model call entirely (the crisis protocol)."""
    postscript: Sequence[str] = ()
    """Sentences added after her reply (crisis resources on a follow-up)."""
    checks: Sequence[ReplyCheck] = ()
    flags: Sequence[str] = ()
    """Marks on the stored user message (`meta["safety"]`), e.g. "injection" keeps it out of
    memory."""
    events: Sequence[tuple[str, dict[str, Any]]] = ()
    """Audit events (kind, small data: never the message's words)."""
    counters: Sequence[str] = ()
    """Anonymised yearly counters to bump (e.g. "crisis_referral")."""
    minor_reason: str | None = None
    """Switch the account to minor mode, for good, for this reason."""
    data: dict[str, Any] = field(default_factory=dict)
    """Anything a later policy or the caller may want to read (scores)."""


NO_ACTION = PolicyAction()


class Policy(Protocol):
    """A safety or wellbeing rule. Policies run in a fixed order, the floor first."""

    name: str

    async def check(self, turn: PolicyTurn) -> PolicyAction:
        """Decide what to do about this user message; `NO_ACTION` when nothing."""
        ...
