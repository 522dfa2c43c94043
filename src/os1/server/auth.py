"""Who is asking: API keys (Bearer), browser sessions (a cookie), and the Origin check.

Sessions are kept like keys (os1.server.keys): the cookie holds a random token, the store holds
its hash and the key it was opened with, so revoking a key ends its sessions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from os1.server.errors import ApiError
from os1.server.keys import hash_secret
from os1.store import AuthStore
from os1.types import ApiKey

__all__ = ["SESSION_COOKIE", "Principal", "authenticate", "open_session", "origin_allowed"]

SESSION_COOKIE = "os1_session"
SESSION_LIFETIME = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind a request, how they proved it, and the hash of what they showed."""

    user_id: str
    key_id: str
    via: Literal["key", "session"]
    proof_hash: str = field(repr=False, default="")

    async def still_valid(self, store: AuthStore) -> bool:
        """Whether the key (or session) is still live: long-lived sockets ask now and then."""
        if self.via == "key":
            return await store.key_by_hash(self.proof_hash) is not None
        return await store.session_key(self.proof_hash) is not None


async def open_session(store: AuthStore, key: ApiKey, now: datetime) -> str:
    """Open a browser session for a key; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    await store.add_session(key.id, hash_secret(token), now + SESSION_LIFETIME)
    return token


def bearer(conn: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if there is one."""
    header = conn.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "use 'Authorization: Bearer <your os1 key>'")
    return token.strip()


async def authenticate(store: AuthStore, conn: HTTPConnection) -> Principal:
    """The user behind a request (Bearer key first, then session cookie), or a 401."""
    token = bearer(conn)
    if token is not None:
        if len(token) <= 200:
            proof = hash_secret(token)
            key = await store.key_by_hash(proof)
            if key is not None:
                return Principal(key.user_id, key.id, "key", proof)
        raise ApiError(401, "unauthorized", "that API key is not valid (revoked or mistyped?)")
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie and len(cookie) <= 200:
        proof = hash_secret(cookie)
        key = await store.session_key(proof)
        if key is not None:
            return Principal(key.user_id, key.id, "session", proof)
    raise ApiError(401, "unauthorized", "sign in, or send 'Authorization: Bearer <your os1 key>'")


def origin_allowed(conn: HTTPConnection, extra: frozenset[str]) -> bool:
    """Whether a browser's Origin may act here: this same site, or one the operator allowed.

    Browsers always send Origin on WebSocket handshakes and cross-site requests; a request
    without one comes from a program, which cannot ride on a browser's cookie.
    """
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in extra:
        return True
    parts = urlsplit(origin)
    host = conn.headers.get("host", "")
    return bool(parts.netloc) and parts.netloc.lower() == host.lower()


def allowed_origins(setting: str) -> frozenset[str]:
    """The operator's comma-separated origins, normalised."""
    return frozenset(o.strip().rstrip("/") for o in setting.split(",") if o.strip())
