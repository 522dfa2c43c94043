"""Errors that reach users: each carries a clear one-line message, never a stack trace."""

from __future__ import annotations


class Os1Error(Exception):
    """Base of every error os1 shows to a person; `str(err)` is the one-line message."""


class InputError(Os1Error):
    """The user's input cannot be used as given (empty, too long)."""


class ConfigError(Os1Error):
    """A setting or config file is invalid."""


class BackendError(Os1Error):
    """The model backend failed; the stored reply keeps what was produced."""


class BackendUnavailable(BackendError):
    """The backend cannot be reached or loaded at all."""


class ModelError(Os1Error):
    """A model file is missing, incomplete or corrupt."""


class StoreError(Os1Error):
    """The store cannot read or write (a full disk, a locked or corrupt database)."""


class StoreFullError(StoreError):
    """The disk (or the database's size limit) is full; nothing was half-written."""


class NotFound(Os1Error):
    """A user, companion, conversation or message does not exist (or is not yours)."""


class MissingExtra(Os1Error):
    """An optional part of os1 is not installed."""

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'os1[{extra}]'")
        self.extra = extra
