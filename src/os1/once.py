"""Something slow to load, loaded once per process and shared (the embedder, the models)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["loaded_once"]

T = TypeVar("T")


def loaded_once(load: Callable[[], T]) -> Callable[[], T]:
    """`load` turned into a function that loads on its first call and then returns the same
    object; concurrent first calls load it once. A load that fails is tried again next time."""
    lock = threading.Lock()
    loaded: list[T] = []

    @functools.wraps(load)
    def shared() -> T:
        with lock:
            if not loaded:
                loaded.append(load())
            return loaded[0]

    return shared
