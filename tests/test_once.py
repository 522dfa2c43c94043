"""Slow things (the embedder, the models) load once per process and are shared."""

from __future__ import annotations

import threading
import time

import pytest

from os1.once import loaded_once


def test_the_first_call_loads_and_every_later_call_shares_it() -> None:
    loads: list[int] = []

    @loaded_once
    def model() -> object:
        """The model."""
        loads.append(1)
        time.sleep(0.05)  # slow, so that the threads below overlap
        return object()

    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(model())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1, "concurrent first calls load it once"
    assert all(s is seen[0] for s in seen)
    assert model() is seen[0]
    assert model.__doc__ == "The model."


def test_a_load_that_fails_is_tried_again() -> None:
    attempts: list[int] = []

    @loaded_once
    def model() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("the model file is missing")
        return "loaded"

    with pytest.raises(OSError, match="missing"):
        model()
    assert model() == "loaded"
    assert len(attempts) == 2
