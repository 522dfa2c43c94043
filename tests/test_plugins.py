"""Plugins: a backend or store from another package is checked against os1's protocol."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest

from os1 import plugins
from os1.config import Settings
from os1.errors import ConfigError


class OldBackend:
    """A plugin backend written before `warm` and `reply_coming` were part of the protocol."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def stream(self, request: Any) -> AsyncGenerator[Any, None]:
        yield None

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def aclose(self) -> None:
        return None


def test_a_plugin_backend_missing_methods_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugins, "_factory", lambda group, name: OldBackend)
    settings = Settings(home=tmp_path, backend="old")
    with pytest.raises(ConfigError, match=r"backend 'old' lacks reply_coming, warm \(os1's"):
        plugins.load_backend(settings)


def test_the_built_in_backend_and_store_pass_the_check(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, backend="scripted")
    assert plugins.load_backend(settings) is not None
    assert plugins.load_store(settings) is not None


async def test_a_companion_built_with_a_fake_clock_gives_it_to_the_store_too(
    tmp_path: Path,
) -> None:
    """A script that drives `Companion.from_settings` with a fake clock sees one conversation
    across turns minutes apart: her messages are dated by the clock she greets by."""
    from os1.companion import Companion
    from os1.testing import FakeClock

    clock = FakeClock()
    settings = Settings(home=tmp_path, backend="scripted", memory="off", heart="off")
    companion = Companion.from_settings(settings, clock=clock)
    try:
        user = await companion.local_user()
        assert user.created_at == clock.now
        conversation = await companion.latest_conversation(
            user, await companion.default_profile(user)
        )
        async for _ in companion.send(user.id, conversation.id, "I got a new job today!"):
            pass
        said = await companion.history(user.id, conversation.id)
        assert [m.role for m in said] == ["user", "assistant"]
        assert all(m.created_at == clock.now for m in said)
        clock.advance(minutes=5)
        assert await companion.greet(user.id, conversation.id) is None
        clock.advance(hours=8)
        assert await companion.greet(user.id, conversation.id) is not None
    finally:
        await companion.drain()
        await companion.aclose()
