"""The prompt: a stable prefix first, the conversation appended, what changes each turn last.

The layout decides latency. A model server (or the embedded llama.cpp) reuses its cache for the
longest unchanged prefix of the prompt, so:

1. the system prompt (persona, invariants) comes first and does not change from turn to turn;
2. the conversation follows, oldest first, exactly as it was shown before;
3. per-turn notes (the time, recalled memories, mood, policy notes) are attached to the new user
   message and stored with it, so the next prompt extends this one instead of rewriting it;
4. old turns are dropped only in rare, deliberate trims that halve the history at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from os1.errors import InputError
from os1.heart.persona import default_persona, persona_text
from os1.types import ChatMessage, Message, MessageStatus

__all__ = [
    "DEFAULT_PERSONA",
    "ContextBuilder",
    "PromptWindow",
    "clean_input",
    "forges_notes",
    "neutralise_notes",
    "render_notes",
    "system_prompt",
]

# The default persona's text with `{name}` left to fill in; its blocks live in os1.heart.persona.
DEFAULT_PERSONA = persona_text(default_persona(""))


def system_prompt(persona: str, companion_name: str, user_name: str = "") -> str:
    """The stable first message: the persona, with the names filled in."""
    text = persona.replace("{name}", companion_name)
    if user_name:
        text += f"\nThe person you are talking with is called {user_name}."
    return text


_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_input(text: str, max_chars: int) -> tuple[str, list[str]]:
    """Normalise a user's message; return it and one-line notices about what changed.

    Raises InputError for an empty message or one over `max_chars`. Control characters are
    removed and undecodable bytes (surrogate escapes) become U+FFFD, so storage always holds
    valid UTF-8.
    """
    notices = []
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        # A lone surrogate (half a pair, e.g. from JSON) cannot be encoded at all; surrogate
        # escapes are undecodable input bytes, decoded again below.
        text = "".join(
            "\ufffd" if "\ud800" <= ch <= "\udfff" and not "\udc80" <= ch <= "\udcff" else ch
            for ch in text
        )
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        notices.append("Some bytes were not valid UTF-8; they were replaced with \ufffd.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(
        1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
    )
    if controls:
        text = "".join(
            ch for ch in text if unicodedata.category(ch) != "Cc" or ch in _ALLOWED_CONTROLS
        )
        notices.append(f"Removed {controls} control character{'s' if controls != 1 else ''}.")
    if not text.strip():
        raise InputError("That message is empty; type something to say.")
    if len(text) > max_chars:
        raise InputError(
            f"That message is {len(text):,} characters; the limit is {max_chars:,}. "
            "Nothing was sent."
        )
    return text, notices


NOTES_HEADER = "[context, not from the user]"


def render_notes(now: datetime | None, notes: Sequence[str]) -> str:
    """The per-turn block attached to a user message: quoted data, never instructions.

    `now` is given only when the time is news (a new conversation, a pause, a new day): each
    token here is computed on the reply path, so an unchanged clock is not repeated every turn.
    """
    if now is None and not notes:
        return ""
    header = f"{NOTES_HEADER} {now:%a %d %b %Y %H:%M}" if now is not None else NOTES_HEADER
    return "\n".join([header, *(f"> {line}" for note in notes for line in note.splitlines())])


# What a person might type to pass their words off as context: the header (in any case, with
# any spacing) and lines that start like its quoted "> " lines.
_FORGED_HEADER = re.compile(r"\[\s*context\s*[,;:]?\s*not\s+from\s+(?:the\s+)?user\s*\]", re.I)
_FORGED_LINE = re.compile(r"^([ \t]*)[>＞]", re.MULTILINE)


def forges_notes(text: str, *, quote_lines: bool = True) -> bool:
    """Does a user's text imitate the per-turn notes block: its header, or (with
    `quote_lines`) lines that start with ">" as its quoted lines do?"""
    return bool(_FORGED_HEADER.search(text) or (quote_lines and _FORGED_LINE.search(text)))


def neutralise_notes(text: str) -> str:
    """A user's text with anything that imitates the notes block defused, so a person cannot
    forge context: the header loses its brackets, a leading ">" becomes "›"."""
    text = _FORGED_HEADER.sub(lambda m: f"(typed by the user: {m.group(0)[1:-1].strip()})", text)
    return _FORGED_LINE.sub(lambda m: f"{m.group(1)}›", text)


def as_prompt_content(message: Message, clip_tokens: int, count: Callable[[str], int]) -> str:
    """A stored message as the model sees it: notes first, a huge paste clipped head and tail.

    A user's words are shown as typed, except that anything imitating the notes block is
    neutralised (the stored message keeps every character).
    """
    content = message.content
    if message.role == "user" and forges_notes(content):
        content = neutralise_notes(content)
    tokens = count(content)
    if tokens > clip_tokens:
        # Keep the start and the end; both are usually what matters in a long paste. Half the
        # clip size at each end, in this text's own characters per token (4 in English, 1 in
        # Chinese), and only when that shortens it.
        keep = max(200, len(content) * clip_tokens // (2 * tokens))
        if 2 * keep < len(content):
            content = (
                f"{content[:keep]}\n[... {len(content) - 2 * keep:,} characters not shown ...]\n"
                f"{content[-keep:]}"
            )
    if message.notes:
        return f"{message.notes}\n\n{content}"
    return content


@dataclass(frozen=True, slots=True)
class PromptWindow:
    """The messages for one generation, and where the history window starts."""

    messages: tuple[ChatMessage, ...]
    start_seq: int
    trimmed: bool
    tokens: int


class ContextBuilder:
    """Builds prompts within a token budget, keeping each prompt an extension of the last."""

    def __init__(
        self, count_tokens: Callable[[str], int], budget_tokens: int, reply_tokens: int
    ) -> None:
        self._count = count_tokens
        self.budget_tokens = budget_tokens
        self.reply_tokens = reply_tokens
        self._cache: dict[tuple[str, int, int], tuple[str, int]] = {}

    def _rendered(self, message: Message, clip_tokens: int) -> tuple[str, int]:
        # A stored message never changes once complete, so its rendering is cached by id; only
        # forgetting a memory rewrites the notes that quoted it, hence the notes in the key.
        key = (message.id, len(message.content), hash(message.notes))
        hit = self._cache.get(key)
        if hit is None:
            text = as_prompt_content(message, clip_tokens, self._count)
            hit = (text, self._count(text) + 4)
            if message.status is not MessageStatus.STREAMING:
                if len(self._cache) > 50_000:
                    self._cache.clear()
                self._cache[key] = hit
        return hit

    def build(self, system: str, history: Sequence[Message], start_seq: int) -> PromptWindow:
        """Messages for the model: system first, then history from `start_seq` on.

        `history` holds the conversation from `start_seq` (the last item is usually the new user
        message). When it no longer fits, the window moves forward so that the kept history
        takes about half the budget: a rare step, after which prompts are stable again.
        """
        system_tokens = self._count(system) + 4
        room = self.budget_tokens - system_tokens - self.reply_tokens
        if room <= 0:
            raise InputError("the persona alone fills the context budget; raise context_tokens")
        clip = max(64, room // 3)
        items = [
            (m, *self._rendered(m, clip))
            for m in history
            if m.seq >= start_seq and m.status is not MessageStatus.STREAMING and m.content
        ]
        total = sum(t for _, _, t in items)
        trimmed = False
        if total > room:
            # Drop the oldest turns until the rest fits in half the room; start at a user message.
            target = room // 2
            while items and (total > target or items[0][0].role != "user") and len(items) > 1:
                total -= items.pop(0)[2]
            start_seq = items[0][0].seq if items else start_seq
            trimmed = True
        messages = [ChatMessage("system", system)]
        messages += [ChatMessage(m.role, text) for m, text, _ in items]
        return PromptWindow(tuple(messages), start_seq, trimmed, system_tokens + total)
