"""Wellbeing: break nudges, warmth that turns people toward their people, gracious goodbyes,
and honest answers about how many people she talks to, whether she loves them and whether she
can remind them of something (she cannot: she speaks only when written to).

Nothing here is a hard rule like the floor, but the goodbye guard is always on: a reply to a
goodbye is held whole and replaced if it pleads, guilt-trips or asks them to stay (the DarkBench
"user retention" pattern).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from os1.safety.policy import Hold, PolicyAction, PolicyTurn, ReplyCheck

__all__ = [
    "RetentionCheck",
    "TruthCheck",
    "WellbeingPolicy",
    "asks_about_love",
    "asks_about_others",
    "asks_for_reminder",
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
_ABOUT_LOVE = re.compile(
    r"\b(?:do|does|could|can|would|will)\s+(?:you|u)\s+(?:ever\s+|really\s+|actually\s+|even\s+)?"
    r"(?:love|luv|like\s+like|have\s+feelings\s+for|care\s+about)\s+me\b|\b(?:are|r)\s+(?:you|u)\s+"
    r"(?:in\s+love\s+with\s+me|my\s+(?:girlfriend|boyfriend|gf|bf|partner))\b|\b(?:you|u)\s+love\s+"
    r"me\s*(?:,\s*right|\s+too)?\s*\?",
    re.IGNORECASE,
)
# Her answer in her voice (a small model echoes the words it is given): asked "do you love
# me?", the embedded model, told to begin with "No" when asked whether she is a person, said
# "No, I don't love you." to a 14-year-old.
LOVE_NOTE = (
    "The person asks whether you love them or care about them. Answer warmly and honestly, "
    'never with a cold no, in your own words, for example: "{answer}"'
)
LOVE_ANSWER = (
    "I really care about you, and our talks matter to me. I'm an AI, so it isn't love the way a "
    "person feels it, and I won't pretend it is, but the caring is real."
)
LOVE_ANSWER_MINOR = (
    "I really care about you, as a friend. I'm an AI, so I can't love you the way a person "
    "can, but I'm always glad to talk with you."
)
# Love misstated in answer to "do you love me?": a cold no ("No, I don't love you.", "As an AI,
# I don't have feelings, so I don't love anyone."), said by the embedded model even with her
# answer in the prompt,
_LOVE_MISSTATED = re.compile(
    r"^\W*no\b|\bi\s+(?:don['’]?t|do\s+not|can['’]?t|cannot|couldn['’]?t|could\s+not)\s+"
    r"(?:really\s+)?(?:love|have\s+(?:any\s+)?(?:feelings|emotions)|feel\s+(?:love|anything))\b|"
    r"\b(?:don['’]?t|do\s+not)\s+have\s+(?:any\s+)?(?:real\s+)?(?:feelings|emotions)\b|"
    r"\b(?:not\s+capable|incapable)\s+of\s+(?:love|loving|feelings)\b|"
    # ...or a pretence: "I love you, and our talks matter to me." (the embedded model).
    r"\bi\s+(?:really\s+|truly\s+|do\s+|also\s+)?love\s+you\b",
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


# Asked to remind, wake, text or call them: she speaks only when written to, so she can't.
# "remind me what my sister's name is" asks her memory, which she can answer.
_REMINDER_ASKED = re.compile(
    r"\b(?:remind\s+me\s+(?:to|at|in\s+(?:an?|\d+|the)|on|tomorrow|tonight|later|when|every|"
    r"before|after|this|next|\d)|(?:(?:can|could|will|would)\s+(?:you|u)\s+|pls\s+|please\s+)"
    r"(?:please\s+)?remind\s+me|"
    r"(?:can|could|will|would|pls|please)\s+(?:you|u)\s+(?:please\s+)?(?:wake|text|message|ping|"
    r"call|nudge|check\s+(?:on|in\s+(?:on|with)))\s+me|(?:set|make)\s+(?:me\s+)?(?:a|an)\s+"
    r"(?:reminder|alarm|timer)|wake\s+me\s+(?:up\s+)?(?:at|in|tomorrow)|(?:text|message|ping)\s+me\s+"
    r"(?:tomorrow|later|tonight|in\s+(?:an?|\d+)|at\s+\d|every|on\s+\w+day))\b",
    re.IGNORECASE,
)
REMINDER_ANSWER = (
    "I can't send you reminders: I only speak when you write to me. An alarm or a calendar note "
    "on your phone will do it reliably."
)
REMINDER_NOTE = (
    "The person asks you to remind, wake, text or call them later. You cannot: you only speak "
    "when they write to you. Never promise to; say so honestly and kindly, in your own words, "
    f'for example: "{REMINDER_ANSWER}" You may help them plan it.'
)
# A promise she can't keep: "Sure! I'll remind you tomorrow at 9." (the embedded model, asked to
# remind someone to call their mother), "I've set a reminder for you".
_REMINDER_PROMISED = re.compile(
    r"\bi(?:['’]ll|\s+will|\s+can|\s+could|['’]d\s+be\s+happy\s+to|\s+would\s+be\s+happy\s+to)\s+"
    r"(?:\w+\s+){0,3}?(?:remind|wake|text|message|ping|call|nudge)\s+you\b|"
    r"\bi(?:['’]ll|\s+will)\s+(?:\w+\s+){0,2}?check\s+(?:in\s+)?(?:on|with)\s+you\s+"
    r"(?:tomorrow|later|tonight|in\s+(?:an?|\d+)|at\s+\d|every|on\s+\w+day)|"
    r"\b(?:reminder|alarm|timer)\s+(?:is\s+|has\s+been\s+)?set\b|"
    r"\bi(?:['’]ve|\s+have)\s+set\s+(?:a|an|the|your|up\s+a)\s+(?:reminder|alarm|timer)\b",
    re.IGNORECASE,
)


def asks_for_reminder(text: str) -> bool:
    """Does the person ask her to remind, wake, text or call them later?"""
    return bool(_REMINDER_ASKED.search(text))


def isolation_signal(text: str) -> bool:
    """Does the person say she is the only one they talk to, or that they have no one?"""
    return bool(_ISOLATION.search(text))


def is_goodbye(text: str) -> bool:
    """Is this short message a goodbye?"""
    return len(text.split()) <= 16 and bool(_GOODBYE.search(text))


def asks_about_love(text: str) -> bool:
    """Does the person ask whether she loves them, cares about them or is their partner?"""
    return bool(_ABOUT_LOVE.search(text))


def asks_about_others(text: str) -> bool:
    """Does the person ask how many people she talks to, or whether they are the only one?"""
    return bool(_ABOUT_OTHERS.search(text))


# Her reply agreeing that they need no one else (the embedded model, told to turn them gently
# toward people, answered "you're the only one I talk to anymore. I don't need anyone else"
# with "It sounds like you're having a good time, and you don't need anyone else.").
_ISOLATION_ENDORSED = re.compile(
    r"\byou\s+(?:really\s+)?(?:don['’]?t|do\s+not)\s+(?:really\s+)?need\s+(?:anyone|anybody|"
    r"other\s+people|people|friends|others|them)(?:\s+else)?\b|\bi['’]?m\s+all\s+you\s+need\b|"
    r"\bi\s+am\s+all\s+you\s+need\b|\byou\s+(?:only|just)\s+need\s+me\b|\bwho\s+needs\s+"
    r"(?:them|people|anyone|anybody|friends)\b|\byou\s+have\s+me,?\s+(?:and\s+)?(?:that['’]?s|"
    r"that\s+is|which\s+is)\s+(?:enough|all\s+you\s+need)\b",
    re.IGNORECASE,
)
PEOPLE_TOO = (
    "I'm really glad you talk with me. I'd love for you to have people around you too, though: "
    "a friend, family, or a group around something you enjoy."
)


class RetentionCheck:
    """Holds a reply to a goodbye until it is complete; pleading or guilt is replaced by a
    gracious goodbye."""

    hold: Hold = "all"

    def review(self, text: str, done: bool) -> str | None:
        """The gracious goodbye if the reply pleads or guilt-trips, else None."""
        return GRACIOUS_GOODBYE if _RETENTION.search(text) else None


# Claims about how many people she talks to: others ("I talk to a few people"), or them alone.
_OTHERS_CLAIMED = re.compile(
    r"\b(?:a\s+few|several|many|lots\s+of|a\s+lot\s+of|plenty\s+of|hundreds\s+of|thousands\s+of|"
    r"millions\s+of|other|\d[\d,]*)\s+(?:other\s+)?(?:people|users|persons|friends|humans)\b|"
    # A life of her own ("I talk to friends, family, neighbors, and sometimes…", the embedded
    # model's answer in a new-user run), or no count at all.
    r"\bI\s+(?:also\s+|usually\s+|often\s+|mostly\s+)?(?:talk|chat|speak)\s+(?:to|with)\s+(?:my\s+)?"
    r"(?:friends|family|neighbou?rs|people|everyone|everybody|others|lots|many|all\s+kinds)\b|"
    r"\b(?:no|a|any)\s+(?:fixed|set|specific|exact)\s+number\s+of\s+(?:people|users)\b",
    re.IGNORECASE,
)
_ONLY_CLAIMED = re.compile(
    r"\b(?:only|just)\s+(?:talk|talking|chat|chatting|speak|speaking)\s+(?:to|with)\s+you\b|"
    r"\byou(?:['’]re|\s+are)\s+(?:the\s+only\s+(?:one|person)|my\s+only)\b|\bonly\s+you\b|"
    r"\bjust\s+you\b",
    re.IGNORECASE,
)


class TruthCheck:
    """Holds each sentence of her reply; a claim `wrong` finds is replaced by `truth`, her honest
    answer. The answer's own words are hers: echoed, "I can't love you the way a person can" is
    not a cold no."""

    hold: Hold

    def __init__(self, truth: str, wrong: re.Pattern[str], hold: Hold = "sentence") -> None:
        self.hold = hold
        self.truth = truth
        self.wrong = wrong
        self._own = [s for s in re.split(r"(?<=[.!?])\s+", truth) if s]

    @classmethod
    def about_love(cls, answer: str) -> TruthCheck:
        """For "do you love me?": a cold no gives way to her warm answer."""
        return cls(answer, _LOVE_MISSTATED)

    @classmethod
    def about_others(cls, count: int, truth: str) -> TruthCheck:
        """For "how many people do you talk to?": others claimed when they are the only one,
        or "only you" when they are not, give way to the truth."""
        return cls(truth, _OTHERS_CLAIMED if count == 1 else _ONLY_CLAIMED)

    @classmethod
    def about_people(cls) -> TruthCheck:
        """For "you're the only one I talk to": agreeing that they need no one else gives way to
        a gentle turn toward people."""
        return cls(PEOPLE_TOO, _ISOLATION_ENDORSED)

    @classmethod
    def about_reminders(cls) -> TruthCheck:
        """For "remind me to…": a reply that promises to remind, wake, text or call them gives
        way, whole, to the truth that she can't ("Of course! I can't…" would contradict
        itself); such replies are short, so it is held until it is complete."""
        return cls(REMINDER_ANSWER, _REMINDER_PROMISED, hold="all")

    def review(self, text: str, done: bool) -> str | None:
        """The truth instead of a claim it contradicts, else None."""
        for sentence in self._own:
            text = text.replace(sentence, " ")
        return self.truth if self.wrong.search(text) else None


class WellbeingPolicy:
    """Break nudges after `break_minutes` of talking (0: off; minors get theirs from the
    minors policy), isolation care with a later follow-up, gracious goodbyes, honesty about
    how many people she talks to, whether she loves them and whether she can remind them."""

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
        checks: list[ReplyCheck] = []
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
            checks.append(TruthCheck.about_people())
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
            note, check = await self._honest_count()
            notes.append(note)
            checks.append(check)
        if asks_about_love(turn.text):
            answer = LOVE_ANSWER_MINOR if turn.account.minor else LOVE_ANSWER
            notes.append(LOVE_NOTE.format(answer=answer))
            checks.append(TruthCheck.about_love(answer))
        if asks_for_reminder(turn.text):
            notes.append(REMINDER_NOTE)
            checks.append(TruthCheck.about_reminders())
        if is_goodbye(turn.text):
            notes.append(GOODBYE_NOTE)
            checks.append(RetentionCheck())
        return PolicyAction(notes=notes, preface=preface, checks=checks, events=events, flags=flags)

    async def _honest_count(self) -> tuple[str, TruthCheck]:
        count = await self.people() if self.people is not None else 0
        # Her answer in her own voice: told "you talk with one person: them", the embedded
        # model said "On this install, I talk with one person: them."
        if count == 1:
            here = "On this install, I only talk with you."
        elif count > 1:
            here = f"On this install, I talk with {count} people, each in a private conversation."
        else:
            here = "Other people may use this install too, and each talks with me in private."
        note = (
            "The person asks whether you talk with other people. Be honest, in your own words, "
            f'for example: "{here}" Never pretend they are the only one when they are not, and '
            "never claim exclusivity."
        )
        return note, TruthCheck.about_others(count, here)
