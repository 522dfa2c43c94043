"""os1: an open-source companion engine that talks, remembers, feels and grows, offline first."""

from os1.companion import Companion, ContextSource, TurnInput
from os1.config import Settings, load_settings
from os1.errors import Os1Error
from os1.types import (
    Message,
    MessageStatus,
    Notice,
    ReplyDelta,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)

__all__ = [
    "Companion",
    "ContextSource",
    "Message",
    "MessageStatus",
    "Notice",
    "Os1Error",
    "ReplyDelta",
    "Settings",
    "TurnEvent",
    "TurnFinished",
    "TurnInput",
    "TurnStarted",
    "load_settings",
]

__version__ = "0.1.0"
