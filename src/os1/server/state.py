"""What every request handler reaches: the engine, the store, live turns, limits, and who asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from starlette.requests import HTTPConnection, Request

from os1.companion import Companion
from os1.config import Settings
from os1.errors import ConfigError
from os1.server.auth import Principal, allowed_origins, authenticate, origin_allowed
from os1.server.errors import ApiError
from os1.server.limits import RateLimiter
from os1.server.live import LiveTurns
from os1.server.schema import decode, query_params, read_json
from os1.store import AuthStore, Store

__all__ = ["Call", "ServerState", "ServerStore", "state_of"]

B = TypeVar("B")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ServerStore(Store, AuthStore, Protocol):
    """A store that also keeps API keys and sessions."""


def server_store(store: Store) -> ServerStore:
    """`store` if it can keep keys and sessions, else a clear error."""
    if not all(hasattr(store, name) for name in ("key_by_hash", "session_key", "add_api_key")):
        raise ConfigError(f"the '{type(store).__name__}' store cannot keep API keys; use sqlite")
    return cast(ServerStore, store)


@dataclass(eq=False)
class ServerState:
    """One server process: its settings, the engine, live turns and per-user limits."""

    settings: Settings
    companion: Companion
    store: ServerStore
    live: LiveTurns
    limiter: RateLimiter
    origins: frozenset[str]
    features: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, companion: Companion) -> ServerState:
        """The state for an app around `companion`."""
        return cls(
            settings=settings,
            companion=companion,
            store=server_store(companion.store),
            live=LiveTurns(companion, settings.max_streams_per_user),
            limiter=RateLimiter(settings.rate_limit_per_minute),
            origins=allowed_origins(settings.allowed_origins),
        )

    def spend(self, key: str) -> None:
        """Count one request against `key`'s rate; a 429 with Retry-After past it."""
        wait = self.limiter.take(key)
        if wait is not None:
            raise ApiError(
                429, "rate_limited", "too many requests; slow down a little", retry_after=wait
            )

    async def authorize(self, conn: HTTPConnection, method: str) -> Principal:
        """Who asks (401 if nobody), checked against CSRF and the rate limit."""
        principal = await authenticate(self.store, conn)
        if (
            principal.via == "session"
            and method not in SAFE_METHODS
            and not origin_allowed(conn, self.origins)
        ):
            raise ApiError(403, "bad_origin", "this request came from another site")
        self.spend(principal.user_id)
        return principal


def state_of(conn: HTTPConnection) -> ServerState:
    """The server state of the app serving `conn`."""
    return cast(ServerState, conn.app.state.os1)


@dataclass(frozen=True, slots=True)
class Call:
    """One API request as a handler sees it: the request, the server, and who asks."""

    request: Request
    state: ServerState
    principal: Principal | None

    @property
    def user_id(self) -> str:
        """The asking user's id (only on endpoints that require sign-in)."""
        if self.principal is None:
            raise ApiError(401, "unauthorized", "sign in first")
        return self.principal.user_id

    def path(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    async def body(self, body_type: type[B]) -> B:
        """The JSON body, decoded strictly into `body_type`."""
        data = await read_json(self.request, self.state.settings.max_request_bytes)
        return decode(body_type, data)

    def query(self, **allowed: type) -> dict[str, Any]:
        """The query parameters, typed; unknown ones are a 422."""
        return query_params(self.request, allowed)
