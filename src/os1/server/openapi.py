"""Endpoints as data, the routes made from them, and the OpenAPI spec made from the same data.

Because routes and spec come from one list, the spec cannot describe a route that does not
exist or miss one that does (a test checks this against the app's real routes too).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from os1.errors import Os1Error
from os1.server.errors import ApiError, api_error_from
from os1.server.schema import SHAPES, json_schema
from os1.server.state import Call, state_of

__all__ = ["Endpoint", "openai_error_body", "openapi_spec", "route"]

log = logging.getLogger("os1.server")

Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One HTTP endpoint: how it is reached, what it does, and what it takes and gives."""

    method: Literal["GET", "POST", "PATCH", "DELETE"]
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type | None = None
    body_schema: dict[str, Any] | None = None  # for bodies parsed by hand (OpenAI's)
    query: tuple[tuple[str, str, str], ...] = ()  # (name, "integer" | "string", description)
    required_query: tuple[str, ...] = ()
    response: str | None = None  # a schema name in SHAPES, or a description
    status: int = 200
    auth: bool = True
    rate_key: Callable[[Request], str] | None = None  # limits endpoints without sign-in
    style: Literal["os1", "openai"] = "os1"
    description: str = ""
    upload: tuple[str, ...] = ()  # media types of a file sent as the raw body
    produces: tuple[str, ...] = ()  # media types of a file answer (default: JSON)

    @property
    def operation_id(self) -> str:
        """A unique name for the spec."""
        return self.handler.__name__.strip("_")


def openai_error_body(err: ApiError) -> dict[str, Any]:
    """An error the way OpenAI client libraries expect it."""
    kinds = {
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        409: "conflict_error",
        429: "rate_limit_error",
    }
    kind = kinds.get(err.status, "invalid_request_error" if err.status < 500 else "server_error")
    return {"error": {"message": err.message, "type": kind, "param": None, "code": err.code}}


def _error_response(endpoint: Endpoint, err: ApiError) -> Response:
    if endpoint.style == "openai":
        return JSONResponse(openai_error_body(err), err.status, headers=err.headers())
    return err.response()


def route(endpoint: Endpoint) -> Route:
    """The Starlette route for an endpoint: sign-in, limits, errors as JSON (never a 500 page)."""

    async def handle(request: Request) -> Response:
        state = state_of(request)
        try:
            principal = None
            if endpoint.auth:
                principal = await state.authorize(request, request.method)
            elif endpoint.rate_key is not None:
                state.spend(endpoint.rate_key(request))
            result = await endpoint.handler(Call(request, state, principal))
        except ApiError as err:
            return _error_response(endpoint, err)
        except Os1Error as err:
            return _error_response(endpoint, api_error_from(err))
        if isinstance(result, Response):
            return result
        return JSONResponse(result, status_code=endpoint.status)

    handle.__name__ = endpoint.operation_id
    return Route(endpoint.path, handle, methods=[endpoint.method], name=endpoint.operation_id)


FILE = {"type": "string", "format": "binary"}

ERRORS = {
    "400": "malformed JSON, or a file that is not what it should be",
    "401": "not signed in",
    "404": "not found (or not yours: another user's ids look missing)",
    "413": "body too large",
    "415": "not application/json (for an upload: not one of its file types)",
    "422": "a field is unknown, missing, of the wrong type or out of range",
    "429": "rate limited, or too many replies at once (see Retry-After)",
}


def _error_codes(endpoint: Endpoint) -> list[str]:
    codes = ["401"] if endpoint.auth else []
    if "{" in endpoint.path:
        codes.append("404")
    has_body = endpoint.body is not None or endpoint.body_schema is not None
    if has_body or endpoint.upload:
        codes += ["400", "413", "415"]
    if has_body or endpoint.query:
        codes.append("422")
    return sorted([*codes, "429"])


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    error_ref = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
    ok: dict[str, Any] = {"description": endpoint.response or "OK"}
    if endpoint.response in SHAPES:
        ok["content"] = {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{endpoint.response}"}}
        }
    elif endpoint.produces:
        ok["content"] = {kind: {"schema": FILE} for kind in endpoint.produces}
    elif endpoint.status != 204:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(endpoint.status): ok}
    for code in _error_codes(endpoint):
        responses[code] = {"description": ERRORS[code], **error_ref}
    op: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": responses,
    }
    if endpoint.description:
        op["description"] = endpoint.description
    if not endpoint.auth:
        op["security"] = []
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_names(endpoint.path)
    ]
    params += [
        {"name": name, "in": "query", "required": name in endpoint.required_query,
         "schema": {"type": kind}, "description": doc}
        for name, kind, doc in endpoint.query
    ]  # fmt: skip
    if params:
        op["parameters"] = params
    schema = json_schema(endpoint.body) if endpoint.body is not None else endpoint.body_schema
    if schema is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    elif endpoint.upload:
        op["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": FILE} for kind in endpoint.upload},
        }
    return op


def _path_names(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def openapi_spec(endpoints: Sequence[Endpoint], version: str, extra_paths: dict[str, Any]) -> Any:
    """The OpenAPI 3.1 document for these endpoints (plus paths described by hand)."""
    paths: dict[str, Any] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    for path, item in extra_paths.items():
        paths.setdefault(path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "os1",
            "version": version,
            "description": (
                "The os1 companion server. Sign in with `Authorization: Bearer <key>` (keys come "
                "from `os1 users add` / `os1 keys create`) or a session cookie from "
                'POST /api/session. Errors are JSON: {"error": {"code", "message"}}; '
                "/v1 errors use OpenAI's shape. Another user's ids answer 404, like missing ones."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": SHAPES,
            "securitySchemes": {
                "key": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "os1_session"},
            },
        },
        "security": [{"key": []}, {"session": []}],
    }
