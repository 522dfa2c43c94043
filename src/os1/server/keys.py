"""API keys: minted here, shown once, stored only as SHA-256 hashes.

Keys are 256 random bits, so a fast hash is enough and a lookup by hash never compares secrets
in Python. This module needs nothing from the `server` extra, so the CLI can mint keys anywhere.
"""

from __future__ import annotations

import hashlib
import secrets

from os1.store import AuthStore
from os1.types import ApiKey

__all__ = ["KEY_PREFIX", "hash_secret", "mint_key"]

KEY_PREFIX = "os1_"


def hash_secret(secret: str) -> str:
    """The stored form of a key or session token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


async def mint_key(store: AuthStore, user_id: str, label: str = "") -> tuple[ApiKey, str]:
    """Create a key for a user; returns the stored record and the secret (shown once only)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = await store.add_api_key(user_id, label, secret[:12], hash_secret(secret))
    return key, secret
