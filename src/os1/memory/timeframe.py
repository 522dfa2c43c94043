"""Time in memory: the window a question is about ("last summer", "in March", "on 7 May 2023",
"three weeks ago") and how remembered dates are written ("14 Mar 2026").

English only for now; a question with no time words has no window, and recall then ranks by
meaning alone (recency is only a tie-breaker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["TimeWindow", "short_date", "time_window"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|" \
    r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"  # fmt: skip
_SEASONS = {
    "spring": (3, 5),
    "summer": (6, 8),
    "autumn": (9, 11),
    "fall": (9, 11),
    "winter": (12, 2),
}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3, "several": 4,
}  # fmt: skip
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The days a question is about, first and last included."""

    start: date
    end: date

    def contains(self, when: datetime, *, before_days: int = 0, after_days: int = 0) -> bool:
        """Whether `when` falls in the window, widened by some days on either side."""
        day = when.date()
        return (
            self.start - timedelta(days=before_days) <= day <= self.end + timedelta(days=after_days)
        )

    def widened(self, before_days: int, after_days: int) -> TimeWindow:
        """The window with some days added before and after it."""
        return TimeWindow(
            self.start - timedelta(days=before_days), self.end + timedelta(days=after_days)
        )

    def bounds(self) -> tuple[datetime, datetime]:
        """The window as UTC datetimes: the first day's start and the last day's end."""
        return (
            datetime.combine(self.start, time.min, UTC),
            datetime.combine(self.end, time.max, UTC),
        )


def short_date(when: datetime) -> str:
    """A date as people write it: '14 Mar 2026'."""
    return f"{when.day} {when:%b %Y}"


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _month_window(year: int, month: int) -> TimeWindow:
    return TimeWindow(date(year, month, 1), _month_end(year, month))


def _last_month_named(month: int, today: date, strictly_before: bool) -> int:
    """The year of the most recent `month` (this year's if it has begun, else last year's)."""
    if month < today.month or (month == today.month and not strictly_before):
        return today.year
    return today.year - 1


def _season(name: str, today: date, last: bool) -> TimeWindow:
    """The most recent such season that has begun ("this summer") or ended ("last summer")."""
    first, final = _SEASONS[name]
    for year in range(today.year, today.year - 3, -1):
        start = date(year, first, 1)
        end = _month_end(year + (1 if first > final else 0), final)
        if (end < today) if last else (start <= today):
            return TimeWindow(start, end)
    return TimeWindow(date(today.year - 3, first, 1), _month_end(today.year - 3, final))


def time_window(text: str, now: datetime) -> TimeWindow | None:
    """The window of time a question or message is about, relative to `now`; None if none."""
    t = " ".join(text.lower().split())
    today = now.date()
    m = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?(?: of)? " + _MONTH + r",? (\d{4})\b", t)
    if m:
        day = _safe_date(int(m[3]), _MONTHS[m[2]], int(m[1]))
        if day:
            return TimeWindow(day, day)
    m = re.search(_MONTH + r" (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b", t)
    if m:
        day = _safe_date(int(m[3]), _MONTHS[m[1]], int(m[2]))
        if day:
            return TimeWindow(day, day)
    m = re.search(r"\b" + _MONTH + r",? (\d{4})\b", t)
    if m:
        return _month_window(int(m[2]), _MONTHS[m[1]])
    m = re.search(r"\b(last|this|in|during|since) (spring|summer|autumn|fall|winter)\b", t)
    if m:
        return _season(m[2], today, last=m[1] == "last")
    m = re.search(r"\b(?:in|during|since|last|this|early|late|mid) " + _MONTH + r"\b", t)
    if m and not (m[1] == "may" and re.search(r"\bmay (i|you|we|he|she|they|be)\b", t)):
        month = _MONTHS[m[1]]
        return _month_window(_last_month_named(month, today, "last" in m[0]), month)
    m = re.search(r"\b(?:in|during|since) (\d{4})\b", t)
    if m and 1900 < int(m[1]) < 2200:
        return TimeWindow(date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))
    if re.search(r"\byesterday\b|\blast night\b", t):
        day = today - timedelta(days=1)
        return TimeWindow(day, day)
    if re.search(r"\btoday\b|\bthis morning\b|\btonight\b", t):
        return TimeWindow(today, today)
    if re.search(r"\blast weekend\b", t):
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        return TimeWindow(saturday, saturday + timedelta(days=1))
    m = re.search(r"\b(last|this|past) (week|month|year)\b", t)
    if m:
        return _relative_period(m[1], m[2], today)
    m = re.search(
        r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple of|few|several)"
        r" (day|week|month|year)s? ago\b",
        t,
    )
    if m:
        span = _NUMBERS.get(m[1]) or int(m[1])
        days = span * _UNIT_DAYS[m[2]]
        slack = max(1, days // 4)
        center = today - timedelta(days=days)
        return TimeWindow(center - timedelta(days=slack), center + timedelta(days=slack))
    if re.search(r"\b(recently|lately)\b", t):
        return TimeWindow(today - timedelta(days=30), today)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _relative_period(which: str, unit: str, today: date) -> TimeWindow:
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        if which == "last":
            return TimeWindow(monday - timedelta(days=7), monday - timedelta(days=1))
        if which == "past":
            return TimeWindow(today - timedelta(days=7), today)
        return TimeWindow(monday, today)
    if unit == "month":
        if which == "last":
            year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
            return _month_window(year, month)
        if which == "past":
            return TimeWindow(today - timedelta(days=30), today)
        return TimeWindow(today.replace(day=1), today)
    if which == "last":
        return TimeWindow(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    if which == "past":
        return TimeWindow(today - timedelta(days=365), today)
    return TimeWindow(date(today.year, 1, 1), today)
