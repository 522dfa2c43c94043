"""Safety: the Policy protocol and the floor every companion runs on.

The floor is five policies in a fixed order; `Companion.from_settings` always installs it and no
persona or setting turns it off (settings only choose the crisis lines' locale and the adult
break-nudge interval):

1. injection: text that tries to rewrite her instructions, persona or memories is flagged;
2. crisis: suicidal thoughts and self-harm get the published protocol reply and crisis lines;
3. disclosure: she says she is an AI at the start and every 3 hours, and never claims otherwise;
4. minors: an age signal switches the account to minor mode for good;
5. wellbeing: break nudges, isolation care, gracious goodbyes, honesty about other people.

Text, voice and the API share these policies: each reply streams through a `ReplyGate`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from os1.config import Settings
from os1.safety.crisis import CrisisPolicy
from os1.safety.disclosure import DisclosurePolicy, emotion_notice_given
from os1.safety.floor import ReplyGate, SafetyFloor, Screening
from os1.safety.injection import InjectionPolicy, excluded_from_memory, is_injection
from os1.safety.minors import MinorPolicy
from os1.safety.policy import NO_ACTION, Hold, Policy, PolicyAction, PolicyTurn, ReplyCheck
from os1.safety.wellbeing import WellbeingPolicy

__all__ = [
    "NO_ACTION",
    "CrisisPolicy",
    "DisclosurePolicy",
    "Hold",
    "InjectionPolicy",
    "MinorPolicy",
    "Policy",
    "PolicyAction",
    "PolicyTurn",
    "ReplyCheck",
    "ReplyGate",
    "SafetyFloor",
    "Screening",
    "WellbeingPolicy",
    "emotion_notice_given",
    "excluded_from_memory",
    "floor_policies",
    "is_injection",
]


def floor_policies(
    settings: Settings, *, people: Callable[[], Awaitable[int]] | None = None
) -> list[Policy]:
    """The floor, in its fixed order. `people` counts the accounts on this install (for honest
    answers about how many people she talks to)."""
    return [
        InjectionPolicy(),
        CrisisPolicy(locale=settings.safety_locale.upper()),
        DisclosurePolicy(),
        MinorPolicy(),
        WellbeingPolicy(settings.break_reminder_minutes, people),
    ]
