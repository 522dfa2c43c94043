"""Errors a client sees: a status, a stable code and one sentence, always as JSON."""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse

from os1.errors import (
    BackendError,
    InputError,
    MissingExtra,
    NotFound,
    Os1Error,
    StoreError,
    StoreFullError,
)
from os1.store import VersionConflict

__all__ = ["ApiError", "api_error_from"]


class ApiError(Exception):
    """A request that cannot be served: `status`, a machine-readable `code`, a human `message`.

    `retry_after` (seconds) is sent as a Retry-After header on 429 and 503 answers.
    """

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """Headers that go with the answer (Retry-After, WWW-Authenticate)."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="os1"'
        return headers

    def fields(self) -> dict[str, Any]:
        """What the error says: code, message, and retry_after when there is one."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.retry_after is not None:
            error["retry_after"] = round(self.retry_after, 3)
        return error

    def body(self) -> dict[str, Any]:
        """The JSON body of os1's own API."""
        return {"error": self.fields()}

    def response(self) -> JSONResponse:
        """This error as an HTTP answer of os1's own API."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers())


def api_error_from(err: Os1Error) -> ApiError:
    """The HTTP face of an engine error; another user's ids look exactly like missing ones."""
    if isinstance(err, NotFound):
        return ApiError(404, "not_found", str(err))
    if isinstance(err, InputError):
        return ApiError(422, "invalid_input", str(err))
    if isinstance(err, VersionConflict):
        return ApiError(409, "conflict", str(err))
    if isinstance(err, StoreFullError):
        return ApiError(507, "store_full", str(err))
    if isinstance(err, StoreError):
        return ApiError(503, "store_unavailable", str(err), retry_after=5)
    if isinstance(err, BackendError):
        return ApiError(502, "backend_error", str(err))
    if isinstance(err, MissingExtra):
        return ApiError(501, "not_installed", str(err))
    return ApiError(500, "internal", str(err))
