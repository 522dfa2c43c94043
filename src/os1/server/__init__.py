"""The server: REST, a WebSocket for live turns, OpenAI-compatible endpoints and the web page.

Needs the 'server' extra (`pip install 'os1[server]'`); `os1 serve` runs it. `create_app` is
imported on first use, so `os1.server.keys` (minting keys) works without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from os1.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from os1.server.app import create_app

        return create_app
    raise AttributeError(f"module 'os1.server' has no attribute {name!r}")
