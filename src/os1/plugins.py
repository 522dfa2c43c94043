"""How backends and stores are found: Python entry points, the built-ins included.

A plugin package registers `[project.entry-points."os1.backends"] name = "module:Factory"`, where
the factory takes a `Settings` and returns an object that satisfies the protocol. os1's own
backends are registered the same way in its pyproject.toml.
"""

from __future__ import annotations

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


def load_backend(settings: Settings) -> Backend:
    """Create the backend named by `settings.backend`."""
    backend: Backend = _factory("os1.backends", settings.backend)(settings)
    return backend


def load_store(settings: Settings) -> Store:
    """Create the store named by `settings.store`."""
    store: Store = _factory("os1.stores", settings.store)(settings)
    return store


def load_tts(settings: Settings) -> TextToSpeech:
    """Create the voice engine named by `settings.tts` (group 'os1.tts')."""
    tts: TextToSpeech = _factory("os1.tts", settings.tts)(settings)
    return tts


def load_stt(settings: Settings) -> SpeechToText:
    """Create the speech-to-text engine named by `settings.stt` (group 'os1.stt')."""
    stt: SpeechToText = _factory("os1.stt", settings.stt)(settings)
    return stt
