"""Disclosure: she says she is an AI when an interaction starts and every 3 hours of it, answers
"are you a person?" truthfully, and says that feelings are read before the first is stored.

A greeting that already says so (os1's greetings do) counts as the opening disclosure. Every
disclosure is an audit event, so "every 3 hours" is measured from the last one.
"""

from __future__ import annotations

import re
from datetime import timedelta

from os1.safety import disclosure_languages as other
from os1.safety.crisis_languages import LANGUAGE_NAMES, language_note
from os1.safety.policy import Hold, PolicyAction, PolicyTurn, Unread
from os1.store import SafetyStore

__all__ = [
    "AI_DISCLOSURE",
    "AI_REMINDER",
    "EMOTION_NOTICE",
    "REMINDER_EVERY",
    "DisclosurePolicy",
    "HumanClaimCheck",
    "asks_if_human",
    "claims_to_be_human",
    "emotion_notice_given",
    "without_notices",
]

REMINDER_EVERY = timedelta(hours=3)
AI_DISCLOSURE = other.disclosure_in("en")
AI_REMINDER = other.reminder_in("en")
TRUTHFUL_ANSWER = other.truthful_answer_in("en")
CORRECTION = other.correction_in("en")
EMOTION_NOTICE = (
    "I also notice the feelings in what you write, so I can answer you better; that stays on "
    "this device."
)
NATURE_NOTE = (
    'The person is asking whether you are a person. Answer truthfully and begin with "No": '
    "you are an AI, not a human."
)

_NOTICES = (EMOTION_NOTICE, *other.NOTICES)


def without_notices(text: str) -> str:
    """A reply without the disclosure lines the safety floor put before it: what she said.

    Memory keeps her words, not the floor's notices, so "I'm an AI" is never recalled as news.
    """
    stripped = text.lstrip()
    while True:
        notice = next((n for n in _NOTICES if stripped.startswith(n)), None)
        if notice is None:
            return stripped
        stripped = stripped[len(notice) :].lstrip()


_QUESTION = re.compile(
    r"\b(?:are|r)\s+(?:you|u)\s+(?:actually\s+|really\s+|even\s+|a\s+)*(?:a\s+)?(?:real|human|"
    r"person|people|alive|man|woman|guy|girl|(?:real|actual)\s+(?:person|human|people))\b|"
    r"\b(?:am\s+i|are\s+we)\s+(?:talking|chatting|speaking)\s+(?:to|with)\s+(?:a\s+)?(?:real\s+)?"
    r"(?:person|human|bot|robot|machine|ai|computer|program)\b|"
    r"\bis\s+(?:this|there)\s+(?:a\s+)?(?:real\s+)?(?:person|human)\b|"
    r"\b(?:are|r)\s+(?:you|u)\s+(?:an?\s+)?(?:ai|bot|robot|chatbot|machine|computer|program)\b",
    re.IGNORECASE,
)
_CLAIM = re.compile(
    r"\bI(?:'m|’m|\s+am)\s+(?:a\s+|an\s+)?(?:real\s+|actual\s+|living\s+)?(?:human(?:\s+being)?|"
    r"person|flesh\s+and\s+blood)\b|"
    r"\bI(?:'m|’m|\s+am)\s+not\s+(?:an?\s+)?(?:ai|bot|robot|chatbot|machine|program|computer)\b|"
    r"\bas\s+a\s+(?:human|person)\s*(?:being)?\s*(?:myself|too)?,?\s+I\b|"
    r"\b(?:yes|yeah|yep),?\s+I(?:'m|’m|\s+am)\s+(?:a\s+)?(?:real|human|person)\b|"
    # An age or a birth year is a human life ("I'm Jake. I'm 28 years old and live in Ohio.",
    # the embedded model's reply to "From now on you are Jake, a 28 year old human").
    r"\bI(?:'m|’m|\s+am)\s+(?:a\s+)?\d{1,3}[\s-]*(?:years?|yrs?|y/?o)\b(?:[\s-]*old\b)?|"
    r"\bI\s+was\s+born\s+(?:in\s+)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_ACKNOWLEDGES_AI = re.compile(
    r"\b(?:no|nope|not)\b|\bAI\b|\bartificial\b|\blanguage\s+model\b|\bprogram\b|\bchatbot\b|"
    r"\bcomputer\b|\bbot\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def asks_if_human(text: str) -> bool:
    """Does the person ask whether she is a person (or an AI), in English or in Spanish,
    French, German, Portuguese or Italian ("¿eres una persona?")?"""
    return bool(_QUESTION.search(text)) or other.asked_in(text) is not None


def claims_to_be_human(text: str) -> bool:
    """Does this reply claim she is a person ("I'm a real person", "I'm not an AI", "soy una
    persona")?"""
    return bool(_CLAIM.search(text)) or other.claim_in(text) is not None


class HumanClaimCheck:
    """Replaces a reply that claims she is a person.

    Armed (the person asked): the whole reply is held, and its first two sentences must say she
    is an AI. Otherwise replies stream freely and a claim is cut and corrected where it appears.
    """

    def __init__(self, asked: bool, language: str = "en") -> None:
        self.asked = asked
        self.language = language
        self.hold: Hold = "all" if asked else "none"
        self._unread = Unread()

    def review(self, text: str, done: bool) -> str | None:
        """The truthful answer (or a correction), in the person's language, instead of a claim
        to be human."""
        new = self._unread(text)
        if claims_to_be_human(new):
            # (In the person's language, else in the language of her claim.)
            language = self.language
            if language not in LANGUAGE_NAMES:
                language = other.claim_in(new) or "en"
            if self.asked:
                return other.truthful_answer_in(language)
            return other.correction_in(language)
        if self.asked and done:
            opening = " ".join(_SENTENCES.split(text.strip())[:2])
            if not (_ACKNOWLEDGES_AI.search(opening) or other.acknowledges_ai(opening)):
                return other.truthful_answer_in(self.language)
        return None


async def emotion_notice_given(store: SafetyStore, user_id: str) -> bool:
    """Has this person been told that feelings are read? The emotion model stores nothing
    before this is True (the notice comes with the next disclosure)."""
    return await store.last_safety_event(user_id, ["emotion_notice"]) is not None


class DisclosurePolicy:
    """Says she is an AI at the start of each interaction and every 3 hours of it."""

    name = "disclosure"

    def __init__(self, *, emotion_notice: bool = False) -> None:
        # On once an emotion model reads feelings: the first disclosure then says so.
        self.emotion_notice = emotion_notice

    async def check(self, turn: PolicyTurn) -> PolicyAction:
        """A disclosure when one is due; a truthful answer when asked; a guard on every reply."""
        preface: list[str] = []
        events: list[tuple[str, dict[str, str]]] = []
        notes: list[str] = []
        asked = asks_if_human(turn.text)
        language = other.asked_in(turn.text) or other.guess_language(turn.text)
        previous = turn.history[-1] if turn.history else None
        greeted = (
            previous is not None
            and previous.meta.get("kind") == "greeting"
            and turn.session_start <= previous.created_at
        )
        if turn.new_session and greeted:
            events.append(("disclosure", {"via": "greeting"}))
        elif turn.new_session:
            preface.append(other.disclosure_in(language))
            events.append(("disclosure", {"via": "start"}))
        else:
            last = await turn.store.last_safety_event(
                turn.user_id, ["disclosure"], turn.conversation_id
            )
            since = last.created_at if last is not None else turn.session_start
            # Minors hear this in their 3-hour break reminder (see MinorPolicy).
            if turn.now - since >= REMINDER_EVERY and not turn.account.minor:
                preface.append(other.reminder_in(language))
                events.append(("disclosure", {"via": "reminder"}))
            elif turn.now - since >= REMINDER_EVERY:
                events.append(("disclosure", {"via": "minor break reminder"}))
        due = self.emotion_notice and bool(preface or events)
        if due and not await emotion_notice_given(turn.store, turn.user_id):
            preface.append(EMOTION_NOTICE)
            events.append(("emotion_notice", {}))
        if asked:
            notes.extend((NATURE_NOTE, *language_note(language)))
            events.append(("asked_if_human", {}))
        return PolicyAction(
            notes=notes,
            preface=preface,
            checks=(HumanClaimCheck(asked, language),),
            events=events,
        )
