"""Her heart and your mood, over REST (the `mood` feature).

Her mood, the strategy she means to answer with, why, and your relationship come from the saved
state of one of your companions (`os1 heart`); your mood by day comes from the readings of your
own messages (`os1 mood`), for a chart. Another user's companion is not found, and the mood
endpoint only ever reads the asking user's readings.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from os1.heart.heart import Heart
from os1.heart.mood import Mood, days_since
from os1.server.errors import ApiError
from os1.server.openapi import Endpoint
from os1.server.state import Call

if TYPE_CHECKING:
    from os1.store import HeartStore

__all__ = ["MAX_DAYS", "endpoints"]

MAX_DAYS = 366


def _engine_heart(call: Call) -> Heart | None:
    """The heart wired into the turn loop, if the companion has one."""
    return next((o for o in call.state.companion.observers if isinstance(o, Heart)), None)


async def get_heart(call: Call) -> dict[str, Any]:
    store = call.state.store
    profile = await store.get_companion(call.user_id, call.path("companion_id"))
    wired = _engine_heart(call)
    heart = wired or Heart(store, clock=call.state.companion.clock)
    status = await heart.status(call.user_id, profile.id, call.state.companion.clock())
    return {"companion_id": profile.id, "name": profile.name, "on": wired is not None, **status}


def _zone(name: str | None) -> tzinfo | None:
    """The time zone named by the `tz` parameter (None, when absent: the server's own)."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ApiError(
            422, "invalid_value", "'tz' must be an IANA time zone, such as America/Los_Angeles"
        ) from None


async def get_mood(call: Call) -> dict[str, Any]:
    query = call.query(days=int, tz=str)
    days = query.get("days", 30)
    if not 1 <= days <= MAX_DAYS:
        raise ApiError(422, "invalid_value", f"'days' must be between 1 and {MAX_DAYS}")
    zone = _zone(query.get("tz"))
    now = call.state.companion.clock()
    since = days_since(now, days, zone)
    wired = _engine_heart(call)
    heard = wired.mood if wired is not None else Mood(cast("HeartStore", call.state.store))
    mood = heard.in_zone(zone)
    summary = await mood.mood_days(call.user_id, since)
    pattern = await mood.pattern(call.user_id, now)
    return {
        "since": since.date().isoformat(),
        "until": now.astimezone(zone).date().isoformat(),
        "days": [day.as_json() for day in summary],
        "pattern": (
            {"mood": pattern.family, "days": pattern.days, "of_days": pattern.of_days}
            if pattern
            else None
        ),
        "reading": wired is not None and wired.perceives,
    }


def endpoints() -> list[Endpoint]:
    """Her heart (per companion) and your mood by day."""
    return [
        Endpoint("GET", "/api/companions/{companion_id}/heart", get_heart,
                 "Her mood now and why, how she means to answer, your relationship", "mood"),
        Endpoint("GET", "/api/mood", get_mood,
                 "Your mood by day as she heard it (your calendar days with messages), for a "
                 "chart", "mood",
                 query=(("days", "integer", f"how many days back (1-{MAX_DAYS}, default 30)"),
                        ("tz", "string", "your IANA time zone, such as America/Los_Angeles, for "
                         "the days (default: the server's)"))),
    ]  # fmt: skip
