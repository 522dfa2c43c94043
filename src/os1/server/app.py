"""The ASGI app: REST, WebSocket, the OpenAI-compatible endpoints and the web page, in one process.

`create_app(settings)` builds everything from settings passed in; nothing is read from the
environment on import. `app_from_environment` is the factory uvicorn's worker processes call.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from os1.companion import Companion
from os1.config import Settings, load_settings
from os1.server import api, openai_compat
from os1.server.errors import ApiError
from os1.server.openapi import Endpoint, openapi_spec, route
from os1.server.state import ServerState
from os1.server.voice import close_voice, voice_endpoint
from os1.server.websocket import websocket_endpoint

__all__ = ["OVERRIDES_VARIABLE", "app_from_environment", "create_app"]

log = logging.getLogger("os1.server")

STATIC = Path(__file__).parent / "static"
OVERRIDES_VARIABLE = "OS1_SERVE_OVERRIDES"

PAGE_POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# The WebSocket routes, described in the spec by their modules' docstrings (the frame types).
SOCKETS = [
    ("/api/ws", websocket_endpoint, "Live turns: typed JSON frames, streaming, resume"),
    ("/api/voice", voice_endpoint, "Talk by voice: utterances in, her spoken reply out"),
]


def _socket_doc(endpoint: Any, summary: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": endpoint.__name__,
            "summary": f"{summary} (WebSocket upgrade)",
            "tags": ["live"],
            "description": (sys.modules[endpoint.__module__].__doc__ or "").strip(),
            "responses": {
                "101": {"description": "switching to the WebSocket protocol"},
                "403": {"description": "Origin not allowed"},
            },
        }
    }


class SecurityHeaders:
    """Headers every answer carries: no sniffing, no framing, no referrer; a CSP for the page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", PAGE_POLICY.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    error = ApiError(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
    response = error.response()
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return ApiError(500, "internal", "something went wrong on the server; it was logged").response()


async def _index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def _protocol_page(locale: str) -> str:
    """The published safety protocol, for anyone (no sign-in), with this server's crisis lines."""
    from html import escape

    from os1.safety.protocol import published_protocol

    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>os1 safety protocol</title>"
        '<link rel="stylesheet" href="/static/app.css"></head>'
        f'<body><main class="protocol"><pre>{escape(published_protocol(locale))}</pre></main>'
        "</body></html>\n"
    )


def create_app(
    settings: Settings,
    companion: Companion | None = None,
    *,
    sections: Sequence[tuple[str, Sequence[Endpoint]]] = (),
) -> Starlette:
    """The os1 server around `companion` (built from `settings` when not given).

    `sections` adds endpoints under a feature name the page can look for (memories, journal,
    mood): `[("memories", [Endpoint(...), ...])]`. They get sign-in, limits, JSON errors and a
    place in the OpenAPI spec like the built-in ones. A companion built here is closed on
    shutdown; one passed in belongs to the caller.
    """
    owned = companion is None
    engine = companion if companion is not None else Companion.from_settings(settings)
    state = ServerState.build(settings, engine)
    endpoints = [*api.endpoints(), *openai_compat.endpoints()]
    built_in: list[tuple[str, Sequence[Endpoint]]] = []
    if engine.memories is not None:
        from os1.server import memories

        built_in.append(("memories", memories.endpoints()))
    if hasattr(engine.store, "add_persona_version"):
        from os1.server import persona

        built_in.append(("journal", persona.endpoints()))
    if getattr(engine.store, "supports_heart", False):
        from os1.server import heart

        built_in.append(("mood", heart.endpoints()))
    sections = [*built_in, *sections]
    for feature, extra in sections:
        state.features.append(feature)
        endpoints += extra
    sockets = {path: _socket_doc(fn, summary) for path, fn, summary in SOCKETS}
    spec = openapi_spec(endpoints, version("os1"), sockets)

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    protocol = _protocol_page(settings.safety_locale)

    async def safety(request: Request) -> Response:
        return Response(protocol, media_type="text/html; charset=utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        recovered = await engine.start()
        if recovered:
            log.info("%d replies cut short last time were kept as interrupted", recovered)
        try:
            yield
        finally:
            await state.live.aclose()
            await close_voice(app)
            if owned:
                await engine.aclose()

    routes: list[BaseRoute] = [route(e) for e in endpoints]
    routes += [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        *(WebSocketRoute(path, fn) for path, fn, _ in SOCKETS),
        Route("/", _index, methods=["GET"]),
        Route("/safety", safety, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.os1 = state
    return app


def app_from_environment() -> Starlette:
    """The app for a uvicorn worker process: settings from the CLI's overrides, passed as JSON."""
    overrides = json.loads(os.environ.get(OVERRIDES_VARIABLE, "{}"))
    settings, _ = load_settings(overrides=overrides)
    return create_app(settings)
