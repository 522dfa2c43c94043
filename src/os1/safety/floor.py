"""Running policies: screen a user message, record what was decided, gate the streaming reply.

The turn loop calls three things, in order: `screen` before the model (notes, a replacement
reply, flags), `record` once the message is stored (audit events, counters, minor mode), and a
`ReplyGate` between the backend and the person, through which every piece of the reply passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from os1.safety.policy import Hold, Policy, PolicyTurn, ReplyCheck
from os1.store import SafetyStore
from os1.types import Message, SafetyAccount

__all__ = ["SESSION_GAP", "ReplyGate", "SafetyFloor", "Screening"]

SESSION_GAP = timedelta(minutes=30)
"""A pause this long ends an interaction; the next message starts a new one."""

HISTORY = 12

_HOLD_ORDER: dict[Hold, int] = {"none": 0, "sentence": 1, "all": 2}
# The end of a sentence: closing punctuation (and quotes), then a space or the end of a line.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")


@dataclass(slots=True)
class Screening:
    """Everything the policies decided about one user message."""

    user_id: str
    conversation_id: str
    account: SafetyAccount
    notes: list[str] = field(default_factory=list)
    preface: list[str] = field(default_factory=list)
    reply: str | None = None
    postscript: list[str] = field(default_factory=list)
    checks: list[tuple[str, ReplyCheck]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    counters: list[str] = field(default_factory=list)
    minor_reason: str | None = None
    shaped_by: list[str] = field(default_factory=list)
    """Policies whose words are in the reply (a preface, a replacement, a postscript)."""
    data: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        """What goes into the stored user message's meta."""
        return {"safety": sorted(set(self.flags))} if self.flags else {}


class SafetyFloor:
    """Runs policies in their fixed order over each user message and each reply."""

    def __init__(self, policies: Sequence[Policy], store: SafetyStore) -> None:
        self.policies = list(policies)
        self.store = store

    async def screen(
        self,
        user_id: str,
        conversation_id: str,
        companion_name: str,
        text: str,
        now: datetime,
        history: Sequence[Message],
        clearly_heard: str | None = None,
    ) -> Screening:
        """Ask every policy about this message, before anything is stored or generated.
        `clearly_heard`: for a spoken message, its words with those that may be misheard as
        "…" (`PolicyTurn.clearly_heard`)."""
        account = await self.store.safety_account(user_id)
        screening = Screening(user_id, conversation_id, account)
        if not self.policies:
            return screening
        new_session, session_start = await self._session(user_id, conversation_id, now, history)
        if new_session:
            screening.events.append(("session_start", "floor", {}))
        turn = PolicyTurn(
            user_id=user_id,
            conversation_id=conversation_id,
            companion_name=companion_name,
            text=text,
            now=now,
            history=tuple(history),
            account=account,
            session_start=session_start,
            new_session=new_session,
            store=self.store,
            clearly_heard=clearly_heard,
        )
        for policy in self.policies:
            action = await policy.check(turn)
            screening.notes.extend(action.notes)
            for line in action.preface:
                if line not in screening.preface:
                    screening.preface.append(line)
            if action.reply is not None and screening.reply is None:
                # The first replacement wins: policies run in order of precedence.
                screening.reply = action.reply
            screening.postscript.extend(action.postscript)
            screening.checks.extend((policy.name, check) for check in action.checks)
            screening.flags.extend(action.flags)
            screening.events.extend((kind, policy.name, data) for kind, data in action.events)
            screening.counters.extend(action.counters)
            if action.minor_reason and screening.minor_reason is None:
                screening.minor_reason = action.minor_reason
            if action.preface or action.reply is not None or action.postscript:
                screening.shaped_by.append(policy.name)
            if action.data:
                screening.data[policy.name] = dict(action.data)
        return screening

    async def _session(
        self, user_id: str, conversation_id: str, now: datetime, history: Sequence[Message]
    ) -> tuple[bool, datetime]:
        if not history or now - history[-1].created_at >= SESSION_GAP:
            return True, now
        started = await self.store.last_safety_event(user_id, ["session_start"], conversation_id)
        # A greeting opens an interaction too (it carries the first disclosure).
        greeting = next((m for m in reversed(history) if m.meta.get("kind") == "greeting"), None)
        if greeting is not None and (started is None or started.created_at < greeting.created_at):
            return True, greeting.created_at
        if started is None:
            return False, history[0].created_at
        return False, started.created_at

    async def record(
        self, screening: Screening, events: Sequence[tuple[str, str, dict[str, Any]]] = ()
    ) -> None:
        """Store the audit events, counters and minor switch of a screening (once per turn)."""
        everything = [*screening.events, *events]
        if not everything and not screening.counters and screening.minor_reason is None:
            return
        await self.store.record_safety(
            screening.user_id,
            screening.conversation_id,
            everything,
            counters=screening.counters,
            minor_reason=screening.minor_reason,
        )

    async def record_replacement(self, screening: Screening, gate: ReplyGate) -> None:
        """Store that a check replaced (part of) a reply: which policy, never the words."""
        if gate.replaced_by is not None:
            await self.store.record_safety(
                screening.user_id,
                screening.conversation_id,
                [("reply_replaced", gate.replaced_by, {})],
            )

    def gate(self, screening: Screening) -> ReplyGate:
        """The gate a reply streams through for this turn."""
        checks = [] if screening.reply is not None else screening.checks
        return ReplyGate(checks, screening.preface, screening.postscript)


class ReplyGate:
    """Lets a streaming reply through piece by piece, holding back what checks must see first.

    `shown` is exactly what the person has been shown (and what is stored): the preface, the
    reviewed reply, any replacement, then the postscript.
    """

    def __init__(
        self,
        checks: Sequence[tuple[str, ReplyCheck]],
        preface: Sequence[str] = (),
        postscript: Sequence[str] = (),
    ) -> None:
        self.checks = list(checks)
        self.hold: Hold = max(
            (check.hold for _, check in self.checks), key=_HOLD_ORDER.__getitem__, default="none"
        )
        self._preface = " ".join(preface)
        self._postscript = " ".join(postscript)
        self._text = ""
        self._released = 0
        self.shown = ""
        self.replaced_by: str | None = None
        self.closed = False
        self._started = False

    @property
    def stopped(self) -> bool:
        """True once a check replaced the reply: the rest of the model's output is not needed."""
        return self.replaced_by is not None

    def open(self) -> str:
        """The words said before the reply (empty when none)."""
        if self._preface and not self.shown:
            self.shown = self._preface
            return self._preface
        return ""

    def feed(self, piece: str) -> str:
        """Take a piece of the model's reply; return what may be shown now."""
        if self.stopped or self.closed:
            return ""
        self._text += piece
        for name, check in self.checks:
            replacement = check.review(self._text, False)
            if replacement is not None:
                return self._replace(name, replacement)
        return self._release(self._cut())

    def close(self) -> str:
        """The model finished (or stopped): review the whole reply; return the rest to show."""
        if self.closed:
            return ""
        out = ""
        if not self.stopped:
            for name, check in self.checks:
                replacement = check.review(self._text, True)
                if replacement is not None:
                    out = self._replace(name, replacement)
                    break
            else:
                out = self._release(len(self._text))
        self.closed = True
        if self._postscript:
            tail = ("\n\n" if self.shown else "") + self._postscript
            self.shown += tail
            out += tail
        return out

    def say(self, text: str) -> str:
        """Show a whole reply that did not come from the model (a policy's replacement)."""
        self._text = text
        out = self._release(len(text))
        return out + self.close()

    def _cut(self) -> int:
        if self.hold == "none":
            return len(self._text)
        if self.hold == "all":
            return self._released
        ends = [m.end() for m in _SENTENCE_END.finditer(self._text, self._released)]
        return ends[-1] if ends else self._released

    def _release(self, cut: int) -> str:
        if cut <= self._released:
            return ""
        out = self._text[self._released : cut]
        self._released = cut
        if not self._started:
            if self.shown:
                # After a preface, a blank line (the model's first token often starts with a
                # space of its own).
                out = out.lstrip()
                out = "\n\n" + out if out else ""
            if not out:
                return ""
            self._started = True
        self.shown += out
        return out

    def _replace(self, name: str, replacement: str) -> str:
        self.replaced_by = name
        if not replacement:
            return ""  # the rest is dropped, nothing said instead
        if not self.shown:
            out = replacement
        elif not self._started:
            out = "\n\n" + replacement
        elif self.shown.endswith("\n"):
            out = replacement
        elif self.shown.rstrip()[-1] in ".!?…":
            out = " " + replacement
        else:
            # Cut mid-sentence (a check that does not hold text back): she breaks off.
            out = "… " + replacement
        self.shown += out
        return out
