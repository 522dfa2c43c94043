"""How backends and stores are found: Python entry points, the built-ins included.

A plugin package registers `[project.entry-points."os1.backends"] name = "module:Factory"`, where
the factory takes a `Settings` and returns an object that satisfies the protocol. os1's own
backends are registered the same way in its pyproject.toml. A store's factory also takes a
`clock` keyword (a callable returning an aware datetime) when os1 is built with one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any

from os1.backends import Backend
from os1.config import Settings
from os1.errors import ConfigError
from os1.store import Store
from os1.voice import SpeechToText, TextToSpeech

__all__ = ["available", "load_backend", "load_store", "load_stt", "load_tts"]


def available(group: str) -> list[str]:
    """Names registered under an entry-point group, e.g. 'os1.backends'."""
    return sorted({ep.name for ep in entry_points(group=group)})


def _factory(group: str, name: str) -> Any:
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        kind = group.split(".", 1)[1].rstrip("s")
        names = ", ".join(available(group)) or "none"
        raise ConfigError(f"unknown {kind} '{name}' (available: {names})")
    return found[0].load()


def _checked(made: Any, protocol: type, kind: str, name: str) -> Any:
    """`made`, or a ConfigError naming what it lacks of `protocol` (a plugin written against an
    older os1 would otherwise fail mid-conversation, when the missing method is first used)."""
    wanted = {
        member
        for cls in protocol.__mro__
        if cls.__module__.startswith("os1.")
        for member in vars(cls)
        if not member.startswith("_")
    }
    missing = sorted(member for member in wanted if not hasattr(made, member))
    if missing:
        raise ConfigError(
            f"the {kind} '{name}' lacks {', '.join(missing)} "
            f"(os1's {protocol.__name__} protocol asks for them)"
        )
    return made


def load_backend(settings: Settings) -> Backend:
    """Create the backend named by `settings.backend`."""
    made = _factory("os1.backends", settings.backend)(settings)
    backend: Backend = _checked(made, Backend, "backend", settings.backend)
    return backend


def load_store(settings: Settings, clock: Callable[[], datetime] | None = None) -> Store:
    """Create the store named by `settings.store`; a `clock` given is passed on as the
    factory's `clock` keyword (a fake one in tests and scripts), else the store keeps time by
    the wall clock."""
    factory = _factory("os1.stores", settings.store)
    made = factory(settings) if clock is None else factory(settings, clock=clock)
    store: Store = _checked(made, Store, "store", settings.store)
    return store


def load_tts(settings: Settings) -> TextToSpeech:
    """Create the voice engine named by `settings.tts` (group 'os1.tts')."""
    made = _factory("os1.tts", settings.tts)(settings)
    tts: TextToSpeech = _checked(made, TextToSpeech, "voice engine", settings.tts)
    return tts


def load_stt(settings: Settings) -> SpeechToText:
    """Create the speech-to-text engine named by `settings.stt` (group 'os1.stt')."""
    made = _factory("os1.stt", settings.stt)(settings)
    stt: SpeechToText = _checked(made, SpeechToText, "speech-to-text engine", settings.stt)
    return stt
