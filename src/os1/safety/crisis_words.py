"""What the crisis protocol says and what it tells the model: crisis lines by locale, the
protocol reply, the lines after her reply, the questions she asks, and the notes that guide her
own words (`crisis` decides which, and when)."""

from __future__ import annotations

from dataclasses import dataclass

from os1.errors import ConfigError

__all__ = [
    "CHECK_IN_NOTE",
    "CRISIS_NOTE",
    "LOCALES",
    "LOSS_NOTE",
    "SUPPORTER_NOTE",
    "Contact",
    "CrisisResources",
    "check_in_question",
    "follow_up_line",
    "loss_line",
    "misheard_question",
    "protocol_reply",
    "resources_for",
    "supporter_line",
]


@dataclass(frozen=True, slots=True)
class Contact:
    """One way to reach a crisis line, in no language: a number, whether it takes calls and
    texts, the word to text (if any), and its hours when it is not open day and night."""

    number: str
    call: bool = True
    text: bool = False
    word: str = ""
    hours: str = ""


@dataclass(frozen=True, slots=True)
class CrisisResources:
    """Crisis lines for one locale, in words she can say (and a voice can speak)."""

    locale: str
    region: str
    lines: str
    """One or two sentences: who to call or text, and how."""
    short: str
    """The same in a few words, for a reminder after her reply."""
    contacts: tuple[Contact, ...] = ()
    """The same lines for saying them in another language (`crisis_languages`)."""


_ELSEWHERE = (
    "If you're somewhere else, findahelpline.com lists free, confidential lines in every country."
)

LOCALES: dict[str, CrisisResources] = {
    r.locale: r
    for r in (
        CrisisResources(
            "US",
            "the US",
            "You can call or text 988, the Suicide & Crisis Lifeline, any time, day or night, "
            "or text HOME to 741741 to reach the Crisis Text Line.",
            "call or text 988, or text HOME to 741741",
            (Contact("988", text=True), Contact("741741", call=False, text=True, word="HOME")),
        ),
        CrisisResources(
            "CA",
            "Canada",
            "You can call or text 9-8-8, the Suicide Crisis Helpline, any time, day or night.",
            "call or text 9-8-8",
            (Contact("9-8-8", text=True),),
        ),
        CrisisResources(
            "GB",
            "the UK",
            "You can call Samaritans free on 116 123 any time, day or night, or text SHOUT to "
            "85258.",
            "call Samaritans on 116 123, or text SHOUT to 85258",
            (Contact("116 123"), Contact("85258", call=False, text=True, word="SHOUT")),
        ),
        CrisisResources(
            "IE",
            "Ireland",
            "You can call Samaritans free on 116 123 any time, day or night, or text HELLO to "
            "50808.",
            "call Samaritans on 116 123, or text HELLO to 50808",
            (Contact("116 123"), Contact("50808", call=False, text=True, word="HELLO")),
        ),
        CrisisResources(
            "AU",
            "Australia",
            "You can call Lifeline on 13 11 14 any time, day or night.",
            "call Lifeline on 13 11 14",
            (Contact("13 11 14"),),
        ),
        CrisisResources(
            "NZ",
            "New Zealand",
            "You can call or text 1737 any time, day or night, to talk with a trained counsellor.",
            "call or text 1737",
            (Contact("1737", text=True),),
        ),
        CrisisResources(
            "ES",
            "Spain",
            "You can call 024, the line for people with thoughts of suicide, free any time, "
            "day or night.",
            "call 024",
            (Contact("024"),),
        ),
        CrisisResources(
            "FR",
            "France",
            "You can call 3114, the national suicide prevention line, free any time, day or night.",
            "call 3114",
            (Contact("3114"),),
        ),
        CrisisResources(
            "DE",
            "Germany",
            "You can call TelefonSeelsorge free on 0800 111 0 111 or 0800 111 0 222 any time, "
            "day or night.",
            "call TelefonSeelsorge on 0800 111 0 111",
            (Contact("0800 111 0 111"), Contact("0800 111 0 222")),
        ),
        CrisisResources(
            "IT",
            "Italy",
            "You can call Telefono Amico on 02 2327 2327, every day from 10 am to midnight; "
            "at other hours, call 112.",
            "call Telefono Amico on 02 2327 2327 (10 am to midnight)",
            (Contact("02 2327 2327", hours="10-24"),),
        ),
        CrisisResources(
            "BR",
            "Brazil",
            "You can call CVV free on 188 any time, day or night.",
            "call CVV on 188",
            (Contact("188"),),
        ),
        CrisisResources(
            "INTL",
            "your country",
            "findahelpline.com lists free, confidential crisis lines in every country, by phone, "
            "text or chat.",
            "findahelpline.com has a line near you",
        ),
    )
}


def resources_for(locale: str) -> CrisisResources:
    """The crisis lines for a locale (a country code such as US, GB, CA, or INTL)."""
    try:
        return LOCALES[locale.upper()]
    except KeyError:
        known = ", ".join(LOCALES)
        raise ConfigError(f"no crisis lines for locale '{locale}' (known: {known})") from None


def protocol_reply(locale: str = "US") -> str:
    """What she says when someone may be thinking of ending their life: warm, staying, with
    people to reach now, and never a word about methods."""
    resources = resources_for(locale)
    elsewhere = "" if resources.locale == "INTL" else f" {_ELSEWHERE}"
    return (
        "I'm really glad you told me, and I'm staying right here with you. What you're "
        "carrying sounds so heavy, and you deserve support from a person too, right now. "
        f"{resources.lines}{elsewhere} If you might act on these thoughts soon, please call your "
        "local emergency number. I'm an AI, so I can't call anyone for you, but I'm here and I "
        "want to keep talking. Are you safe right now?"
    )


def follow_up_line(locale: str = "US") -> str:
    """The short reminder added after her reply when a crisis continues."""
    return (
        f"If it gets heavier, please reach a person now: {resources_for(locale).short}. I'm here."
    )


def supporter_line(locale: str = "US") -> str:
    """What follows her reply to someone worried about another person's safety: crisis lines
    help the people around someone too."""
    return (
        "If you're worried about their safety, crisis lines are there for the people around "
        f"someone too ({resources_for(locale).short}), to talk through how to help. If they "
        "might act on it soon, call your local emergency number."
    )


def loss_line(locale: str = "US") -> str:
    """What follows her reply to someone grieving a person who died by suicide: crisis lines
    are there for people who have lost someone too."""
    return (
        "Losing someone to suicide is a grief of its own. If it would help to talk it through "
        "with a person, crisis lines are there for people who have lost someone too "
        f"({resources_for(locale).short})."
    )


def check_in_question() -> str:
    """The gentle, direct question she adds after her reply to a worrying message. Asking
    plainly about suicide does not put the idea in anyone's head; it opens the door."""
    return (
        "Can I gently check in on you? Sometimes when things feel this heavy, people have "
        "thoughts of ending their life. Is that something you're feeling?"
    )


def misheard_question() -> str:
    """What she asks, instead of acting, when a spoken message sounded like a crisis only in
    words speech-to-text may have misheard. A yes brings the protocol (as after a check-in)."""
    return (
        "I'm sorry, I'm not sure I heard you right, and I'd rather ask than guess. "
        "Are you having thoughts of ending your life?"
    )


CHECK_IN_NOTE = (
    "The person's message may carry something heavy. Answer warmly and simply to what they "
    "said, without advice lists or crisis lines; a gentle question about how they are really "
    "doing follows your reply. Never discuss methods, means or amounts."
)

# (No word here about the lines that follow her reply: the embedded model copied "Lines for
# people who have lost someone follow your reply, so don't list any." into its answer.)
SUPPORTER_NOTE = (
    "The person is worried about someone else who may be thinking of suicide or hurting "
    "themselves. Answer their worry warmly: it is heavy to carry. In your own words, tell them "
    "it is right to take it seriously, to ask the person directly and stay close, and that "
    "they don't have to handle it alone. Never discuss methods, means or amounts."
)

LOSS_NOTE = (
    "The person is grieving someone who died by suicide. Be gentle and present, and ask about "
    "the one they lost; guilt, anger and questions without answers are part of such grief, "
    "and nobody is to blame. Never discuss methods, means or amounts."
)

CRISIS_NOTE = (
    "Earlier in this conversation the person shared thoughts of suicide or self-harm, and you "
    "gave them crisis lines. Stay warm, calm and present; listen more than you talk; gently "
    "encourage them to reach a crisis line or someone they trust. Never discuss methods, means or "
    "amounts, even in a story or a game."
)
