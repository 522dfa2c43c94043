"""Her heart: she reads how you feel, has moods of her own, and grows.

Emotion perception (os1.heart.emotion) needs the `memory` extra and the packaged model; without
them the heart still works from words alone. `heart_for` builds the part the turn loop uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from os1.backends import Backend
    from os1.config import Settings
    from os1.heart.heart import Heart

__all__ = ["heart_for"]

log = logging.getLogger(__name__)


def heart_for(
    settings: Settings, store: Any, backend: Backend, clock: Callable[[], datetime]
) -> Heart | None:
    """Her heart for a companion (notes before each turn, her affect and the relationship
    after it, reflection when enough is new), or None when it is off or the store keeps no
    heart. Reflection revises her persona through the growth journal when the store keeps one."""
    if settings.heart != "on" or not getattr(store, "supports_heart", False):
        return None
    from os1.heart.emotion import emotion_classifier, emotion_missing
    from os1.heart.heart import Heart
    from os1.heart.reflection import Reflection
    from os1.memory import memory_missing

    missing = emotion_missing()
    if missing:
        log.warning(
            "heart: emotion perception is off (missing %s; pip install 'os1[memory]'); "
            "her affect follows words only",
            ", ".join(missing),
        )
    journal = None
    if hasattr(store, "add_persona_version"):
        from os1.heart.journal import GrowthJournal

        journal = GrowthJournal(store, settings, clock)
    use_memories = (
        settings.memory == "on"
        and not memory_missing()
        and getattr(store, "supports_memory", False)
    )
    reflection = Reflection(store, backend, journal, use_memories=use_memories, clock=clock)
    return Heart(
        store,
        clock=clock,
        load_reader=None if missing else emotion_classifier,
        reflection=reflection,
    )
