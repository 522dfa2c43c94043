"""Cutting a streamed reply into clauses a voice can start speaking, and making text speakable.

The first chunk is cut as early as it can be said naturally, so she starts talking while the
model is still writing: at its first comma ("Oh, …"), a sentence end, where a phrase begins after
`first_phrase_words` words, or after `first_max_words` words at the latest. Later chunks end at
sentence ends (or at a clause mark after `clause_words` words), for better intonation. Chunks
join back to exactly the text that was fed, so what was heard can always be mapped back onto the
stored reply.
"""

from __future__ import annotations

import re

__all__ = ["ClauseChunker", "speakable"]

_ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "e.g", "i.e", "a.m", "p.m")
)
_PHRASE_STARTS = frozenset(
    (
        *("and", "but", "or", "so", "because", "if", "when", "while", "that", "which", "who"),
        *("to", "for", "with", "about", "in", "on", "at", "from", "after", "before", "until"),
    )
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s)")
_CLAUSE_END = re.compile(r"(?:[,;:]|\s[—–-]{1,2})(?=\s)|—(?=\S)|\n")


class ClauseChunker:
    """Feed text as it streams; get back chunks that end at sentence or clause boundaries."""

    def __init__(
        self,
        first_words: int = 1,
        clause_words: int = 8,
        max_words: int = 28,
        first_phrase_words: int = 4,
        first_max_words: int = 7,
    ) -> None:
        self.first_words = first_words
        self.first_phrase_words = first_phrase_words
        self.first_max_words = first_max_words
        self.clause_words = clause_words
        self.max_words = max_words
        self._buffer = ""
        self._emitted = 0

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the chunks now complete (possibly none)."""
        self._buffer += text
        chunks: list[str] = []
        while (cut := self._next_cut()) is not None:
            chunks.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
            self._emitted += 1
        return chunks

    def flush(self) -> str:
        """Whatever is left at the end of the reply (may be empty)."""
        rest, self._buffer = self._buffer, ""
        if rest:
            self._emitted += 1
        return rest

    def _next_cut(self) -> int | None:
        buffer = self._buffer
        wanted = self.first_words if self._emitted == 0 else self.clause_words
        cuts: list[int] = []
        for match in _SENTENCE_END.finditer(buffer):
            before = buffer[: match.start()].split()
            word = before[-1].lower().rstrip(".") if before else ""
            if match.group().startswith(".") and (word in _ABBREVIATIONS or len(word) == 1):
                continue  # "Dr. Lee", "J. R. R." and initials do not end a sentence
            cuts.append(match.end())
            break
        for match in _CLAUSE_END.finditer(buffer):
            if len(buffer[: match.start()].split()) >= wanted:
                cuts.append(match.end())
                break
        words = list(re.finditer(r"\S+\s+", buffer))
        if len(words) > self.max_words:
            cuts.append(words[self.max_words - 1].end())
        if self._emitted == 0:
            # She should start talking soon: a long first sentence is cut where a phrase begins
            # ("That sounds like a lovely idea | for a Sunday"), which a voice says naturally.
            for i in range(self.first_phrase_words, len(words)):
                if words[i].group().split()[0].lower() in _PHRASE_STARTS:
                    cuts.append(words[i].start())
                    break
            if len(words) >= self.first_max_words:
                cuts.append(words[self.first_max_words - 1].end())
        return _past_space(buffer, min(cuts)) if cuts else None


def _past_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3}|`+|~~)")
_ACTION = re.compile(r"\*[^*\n]{1,60}\*")  # *smiles*: stage directions are not spoken
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.!?;:])")
_HEADING = re.compile(r"^\s{0,3}([-*+]|\d+\.)\s+|#{1,6}(?=\s)", re.MULTILINE)


def speakable(text: str) -> str:
    """Text as a voice should say it: no markdown, links, stage directions or emoji."""
    text = _BOLD.sub(r"\2", text)
    text = _ACTION.sub(" ", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("a link", text)
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = "".join(ch for ch in text if _speakable_char(ch))
    return _SPACE_BEFORE_MARK.sub(r"\1", " ".join(text.split()))


def _speakable_char(ch: str) -> bool:
    code = ord(ch)
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0xFE00 <= code <= 0xFE0F:
        return False  # emoji and pictographs
    return ch.isprintable() or ch.isspace()
