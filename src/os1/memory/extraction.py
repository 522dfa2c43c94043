"""Semantic memory: facts about the user and the companion, extracted by the model.

The model answers in JSON constrained by a schema (a llama.cpp grammar for the embedded model,
`response_format` for servers), so even a small local model writes parseable output; what still
comes back broken (a cut-off answer, a plugin backend without constraints) is salvaged item by
item or skipped, never fatal. A fact is kept only when the messages bear it out (`ground`:
most of its words were said, by the person it is about). Each new fact is checked against
related facts already known: a near-duplicate only adds its sources, and a fact that makes an
old one untrue ("I quit that job") marks the old one past (`invalid_at`) instead of
contradicting it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from os1.errors import BackendError
from os1.memory.memories import learnable
from os1.memory.recall import query_terms
from os1.memory.timeframe import short_date
from os1.types import ChatMessage, Finish, GenerationRequest, Memory, Message, TextDelta

if TYPE_CHECKING:
    from os1.backends import Backend
    from os1.memory.memories import Memories

__all__ = [
    "FACTS_SCHEMA",
    "ExtractedFact",
    "FactExtractor",
    "GaveWay",
    "attributed",
    "ground",
    "parse_facts",
    "same_thing",
]

log = logging.getLogger(__name__)

FACTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "about": {"type": "string", "enum": ["user", "companion"]},
                    "message": {"type": "integer"},
                    "fact": {"type": "string"},
                    "importance": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
                    "replaces": {"type": "array", "maxItems": 3, "items": {"type": "integer"}},
                },
                "required": ["about", "message", "fact", "importance", "replaces"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["facts"],
    "additionalProperties": False,
}

EXTRACT_SYSTEM = """\
You keep the long-term memory of {companion}, an AI companion who talks with {user}. Read the \
new messages and write down facts worth remembering weeks later. About {user}: people in their \
life and their names, family, pets, home, moves, work, school, health, plans, events and when \
they happened, likes and dislikes, feelings that last. About {companion}: tastes or opinions \
she shared. One short sentence per fact, in the third person, naming the person it is about; \
only what the messages say, never a guess. Write real dates (the messages are dated), never \
"yesterday". Skip greetings, small talk and anything the known facts already say. When a new \
fact makes a known fact no longer true (a job quit, a move, a breakup), list that known fact's \
number in "replaces". message: the number of the message the fact comes from. importance: 1 \
trivial, 3 useful, 5 life-changing. No new facts: {{"facts": []}}."""

DUPLICATE_SIMILARITY = 0.9
"""Facts this similar say the same thing, unless their numbers differ (`same_thing`)."""
GROUNDED_SHARE = 0.5
"""How many of a fact's words (names aside) the messages it comes from must contain."""
_RESTATED = frozenset({"like", "love", "live", "want", "plan", "enjo", "feel", "call", "name"})
"""Word stems a fact adds when it restates what was said ("I'm in Lisbon": "lives in Lisbon")."""
RELATED_FACTS = 8
COPIED_LINE_WORDS = 3
"""Content words a person's line copied out whole needs to be kept as a fact in their words
(it must also speak of themselves: "I", "my", "we")."""
_CHATTER = frozenset(
    {"haha", "lol", "glad", "than", "good", "grea", "nice", "awes", "cool", "sure", "yeah",
     "wow", "okay", "hey", "hell", "soun", "real", "amaz", "fun", "tota", "hear", "see", "bye"}
)  # fmt: skip
"""Stems of small talk ("Haha, thanks, so glad you liked it!"): not what a copied line says."""


class GaveWay(Exception):
    """A background generation stopped so a person could be answered; try again later."""


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """One fact as the model wrote it, checked for shape."""

    about: str
    text: str
    importance: int
    replaces: tuple[int, ...]
    message: int | None = None
    """The number of the new message it comes from (1 = the first shown), when given."""


def parse_facts(raw: str) -> list[ExtractedFact]:
    """The facts in a model's JSON answer; malformed or cut-off parts are skipped."""
    items: list[Any]
    try:
        data = json.loads(raw)
        items = data.get("facts", []) if isinstance(data, dict) else []
    except ValueError:
        items = _salvage_objects(raw)
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        text = item.get("fact")
        about = item.get("about")
        if not isinstance(text, str) or len(text.split()) < 2 or about not in ("user", "companion"):
            continue
        if text.rstrip().endswith("?"):
            continue  # a question copied out of the conversation is not a fact
        importance = item.get("importance", 3)
        if not isinstance(importance, int) or isinstance(importance, bool):
            importance = 3
        replaces = item.get("replaces", [])
        numbers = tuple(
            n for n in (replaces if isinstance(replaces, list) else []) if isinstance(n, int)
        )
        message = item.get("message")
        if not isinstance(message, int) or isinstance(message, bool):
            message = None
        out.append(
            ExtractedFact(
                about, " ".join(text.split()), max(1, min(5, importance)), numbers, message
            )
        )
    return out


def same_thing(a: str, b: str, similarity: float) -> bool:
    """Whether two facts say the same thing: close in meaning and with the same numbers
    ("Theo is 34" and "Theo turned 35" are 0.91 alike, and not duplicates)."""
    return similarity >= DUPLICATE_SIMILARITY and _numbers(a) == _numbers(b)


# What ends a fact about someone's life, and what it ends: "quit her job as a pastry chef",
# "no longer lives in Boston", "broke up with Sam". (Not "left": "left the party early".)
_ENDING = re.compile(
    r"\b(?:quit|quitting|resigned\s+from|stopped\s+(?:working\s+(?:as|at|for)|being)|"
    r"no\s+longer\s+(?:works?\s+(?:as|at|for)|lives?\s+in|is|am|with|dating)|"
    r"(?:left|leaving)(?=\s+(?:my|her|his|their|the)\s+(?:job|position|role|company|firm)\b)|"
    r"moved\s+(?:out\s+of|away\s+from)|broke\s+up\s+with|split\s+up\s+with|divorced|"
    r"(?:got|was|been)\s+(?:fired|laid\s+off)\s+from|lost\s+(?:my|her|his|their)\s+job\s+"
    r"(?:as|at))\s+(.{3,80}?)(?=[.,;:!?\"]|\s+(?:and|but|last|this|in|on|to|because|since|"
    r"after|so|a\s+few|two|three|yesterday|today|recently|now)\b|$)",
    re.IGNORECASE,
)
_GENERIC = frozenset(
    {"job", "posi", "role", "work", "comp", "firm", "team", "my", "her", "his", "thei", "the"}
)


# Someone else in a fact ("Theo's sister is a nurse"): what Theo quits does not end it.
_OTHERS = frozenset(
    word[:4]
    for word in (
        *("sister", "brother", "mother", "mom", "dad", "father", "friend", "partner", "wife"),
        *("husband", "boyfriend", "girlfriend", "son", "daughter", "boss", "colleague"),
        *("cousin", "aunt", "uncle", "grandma", "grandpa", "roommate"),
    )
)


def ends(new: str, old: str) -> bool:
    """Whether the fact `new` says that what the fact `old` states has ended: "Maya quit her
    job as a pastry chef" ends "Maya works as a pastry chef" (every word of what was quit is
    in it). The embedded model often leaves the earlier fact current, and a job they left
    would come back as what they do; this catches the plain cases without it."""
    old_words = _stems(old)
    if _ENDING.search(old) or (old_words & _OTHERS) - _stems(new):
        return False
    for match in _ENDING.finditer(new):
        ended = _stems(match.group(1), _GENERIC)
        if ended and ended <= old_words:
            return True
    return False


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


# Scripts written without spaces between words (Chinese, Japanese, Thai): a "word" there is a
# whole phrase, so it is compared by pairs of characters instead.
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_RUNS = re.compile(f"[{_UNSPACED}]+|[^{_UNSPACED}]+")
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]{{3,}}")


def _stems(text: str, leave_out: Collection[str] = ()) -> set[str]:
    """The content words of `text`, cut to their first four letters ("moved", "move" meet);
    in scripts without spaces, its pairs of characters."""
    return set(_all_stems(text).difference(leave_out))


@functools.lru_cache(maxsize=256)
def _all_stems(text: str) -> frozenset[str]:
    # Cached: a batch's messages are read once for each fact the model wrote about them.
    stems: set[str] = set()
    for run in (run for word in query_terms(text) for run in _RUNS.findall(word)):
        if _UNSPACED_RUN.fullmatch(run):
            stems.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            stems.add(run if run.isdigit() else run[:4])
    return frozenset(stems)


def ground(
    fact: ExtractedFact, messages: Sequence[Message], names: dict[str, str]
) -> tuple[ExtractedFact, Message] | None:
    """The fact and the message it comes from, or None when the messages do not bear it out.

    A small model repeats known facts as new, copies its instructions or a whole line, gets the
    message number wrong, and takes her questions about the person for facts. So a fact stands
    only when most of its words (names aside) are in these messages (a line of theirs copied
    out whole stands in their own words if it has a few content words; one of hers never
    does); its source is the message
    that shares most of them (the model's number breaks ties); and it is about whoever said
    that message: her words about the person ("How is Anna settling in?") are not a fact
    about them, nor are their words a fact about her; what they say of their own life is
    about them, whichever subject the model named.
    """
    named = _stems(" ".join(names.values()))
    if _asked(fact.text, names):
        return None  # "Sol asked Maya about her new job": the talk itself, not a fact
    if fact.text.startswith(f"{names['assistant']}:"):
        return None  # her own line copied out whole: chat, not a fact about her
    if fact.text.startswith(prefix := f"{names['user']}:"):
        # Their line copied out whole ("Maya: I just started as a pastry chef…"): a fact in
        # their own words when it says something ("Maya: lol" does not).
        said_text = fact.text[len(prefix) :].strip()
        content = _stems(said_text, named | _CHATTER)
        if not _FIRST_PERSON.search(said_text) or len(content) < COPIED_LINE_WORDS:
            return None
        fact = replace(fact, text=said_text, about="user")
    words = _stems(fact.text, named | _RESTATED)
    batch = [_stems(m.content) for m in messages]
    said_words = set().union(*batch)
    if not words or len(words & said_words) < GROUNDED_SHARE * len(words):
        return None
    # (A capital at the start is any word's: "Painting is Maya's hobby".)
    names_in_fact = " ".join(m.group() for m in _NAME.finditer(fact.text) if m.start() > 0)
    if not (words - _stems(names_in_fact)) & said_words:
        # Only a name is borne out: "Anna is Anna's pet", from "what do you think of Anna?" (the
        # embedded model filled in the instructions' list: pets, home, moves).
        return None
    cited = (fact.message or 0) - 1
    # Content words tied, every word decides: "I'm not a human" is her "No, I'm an AI, not a
    # human.", not their "are you human?" (the embedded model wrote it about them); then the
    # model's number.
    every = _every_word(fact.text)
    best = max(
        range(len(messages)),
        key=lambda i: (
            len(words & batch[i]),
            len(every & _every_word(messages[i].content)),
            i == cited,
        ),
    )
    said = messages[best]
    if said.role == "assistant":
        return (fact, said) if fact.about == "companion" else None
    if _asks_only_about_her(said.content):
        return None  # "are you human?" says nothing of them: the model wrote "Jo is human"
    if fact.about == "companion" and _stems(names["assistant"]) & _stems(fact.text):
        return None
    return (replace(fact, about="user"), said)


_NAME = re.compile(r"\b[A-Z][a-z]+\b")
"""A capitalised word: a name, in a fact the model wrote."""


_YOU = re.compile(r"(?<![\w'’])(?:you|your|you['’](?:re|ve|d|ll)|u|ur)(?![\w'’])", re.IGNORECASE)


def _asks_only_about_her(text: str) -> bool:
    """A question of theirs about her alone ("are you human?", "do you like jazz?"): with
    "you" and without "I", "my" or "we"."""
    return "?" in text and bool(_YOU.search(text)) and not _FIRST_PERSON.search(text)


def _every_word(text: str) -> set[str]:
    """Every word of `text`, in lower case ("i'm", "not", "a" too)."""
    return set(re.findall(r"[\w'’]+", text.lower()))


def _asked(text: str, names: dict[str, str]) -> bool:
    """Whether `text` reports a question of the conversation: "Sol asked Maya about her job",
    "Maya asked Sol what she thinks" (not "Maya asked her boss for a raise")."""
    her, them = re.escape(names["assistant"]), re.escape(names["user"])
    verb = r"\s+(?:asked|wondered|inquired|wanted\s+to\s+know|was\s+curious)\b"
    text = text.strip()
    return bool(
        re.match(her + verb, text, re.IGNORECASE)
        or re.match(rf"{them}{verb}\s+(?:{her}|you)\b", text, re.IGNORECASE)
    )


_FIRST_PERSON = re.compile(
    r"(?<![\w'’])(?:I|I['’](?:m|ve|d|ll)|[Ii]m|[Mm]y|[Mm]e|[Ww]e|[Oo]ur|[Uu]s)(?![\w'’])"
)


def attributed(fact: ExtractedFact, names: dict[str, str]) -> ExtractedFact:
    """A fact the model copied in the first person ("I work nights.") says who said it:
    `Theo said: "I work nights."`. Quoted bare, "I" would read as her in her own notes."""
    if not _FIRST_PERSON.search(fact.text):
        return fact
    who = names["user" if fact.about == "user" else "assistant"]
    return replace(fact, text=f'{who} said: "{fact.text}"')


def _salvage_objects(raw: str) -> list[Any]:
    """Complete JSON objects found inside broken text (an answer cut off at max_tokens)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    start = raw.find("{", 1)
    while start != -1:
        try:
            obj, end = decoder.raw_decode(raw, start)
        except ValueError:
            start = raw.find("{", start + 1)
            continue
        if isinstance(obj, dict) and "fact" in obj:
            found.append(obj)
        start = raw.find("{", end)
    return found


async def generate_in_background(
    backend: Backend,
    messages: tuple[ChatMessage, ...],
    user_id: str,
    schema: dict[str, Any],
    max_tokens: int,
    what: str,
) -> str:
    """Schema-constrained background generation under the user's memory cache key.

    Raises GaveWay when a person started waiting for a reply; a backend failure is logged and
    gives "" (memory work is retried later, never fatal).
    """
    request = GenerationRequest(
        messages=messages,
        max_tokens=max_tokens,
        temperature=0.0,
        cache_key=f"memory:{user_id}",
        json_schema=schema,
        background=True,
    )
    parts: list[str] = []
    try:
        # Closed at once, so the model is released before GaveWay reaches the caller (a reply
        # waits on it), not whenever the abandoned generator is collected.
        async with contextlib.aclosing(backend.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                elif isinstance(event, Finish) and event.reason == "cancelled":
                    raise GaveWay
    except BackendError as err:
        log.warning("%s failed: %s", what, err)
        return ""
    return "".join(parts)


class FactExtractor:
    """Turns new messages into facts, in the background, one batch at a time.

    Progress (the last message read, per conversation) is stored, so extraction resumes where
    it stopped after a crash, a kill or a generation that gave way to a reply.
    """

    job = "extract"

    def __init__(
        self,
        memories: Memories,
        backend: Backend,
        *,
        batch_messages: int = 8,
        max_tokens: int = 384,
    ) -> None:
        self.memories = memories
        self.backend = backend
        self.batch_messages = batch_messages
        self.max_tokens = max_tokens

    async def extract_pending(self, user_id: str, conversation_id: str) -> int:
        """Extract facts from the messages not read yet; returns how many facts were written.

        Raises GaveWay when the model was needed for a reply (progress so far is kept).
        """
        store = self.memories.store
        progress = await store.memory_progress(user_id, self.job)
        done = int(progress.get(conversation_id, "0"))
        pending = [
            m
            for m in await store.messages(user_id, conversation_id, since_seq=done + 1)
            if learnable(m)
        ]
        written = 0
        for start in range(0, len(pending), self.batch_messages):
            batch = pending[start : start + self.batch_messages]
            if any(m.role == "user" for m in batch):
                written += len(await self.extract(user_id, batch))
            await store.set_memory_progress(user_id, self.job, conversation_id, str(batch[-1].seq))
        return written

    async def extract(self, user_id: str, messages: Sequence[Message]) -> list[Memory]:
        """Facts from these messages (one conversation), deduplicated and written."""
        memories = self.memories
        conversation = await memories.store.get_conversation(user_id, messages[0].conversation_id)
        names = await memories.speaker_names(user_id, conversation.id)
        known = await self._related_facts(user_id, messages)
        prompt = self._prompt(names, known, messages)
        raw = await self._generate(prompt, user_id)
        written: list[Memory] = []
        for fact in parse_facts(raw):
            checked = ground(fact, messages, names)
            if checked is None:
                continue
            fact, said = checked
            fact = attributed(fact, names)
            # The message it came from: its own time and source, not the whole batch's.
            stored = await self._write(user_id, fact, said.created_at, [said.id], known)
            if stored is not None:
                written.append(stored)
        return written

    async def _related_facts(self, user_id: str, messages: Sequence[Message]) -> list[Memory]:
        text = (
            " ".join(m.content for m in messages if m.role == "user")[:2000] or messages[0].content
        )
        found = await self.memories.recall(
            user_id, text, limit=RELATED_FACTS, kinds=("fact",), now=messages[-1].created_at
        )
        return [r.memory for r in found if r.memory.invalid_at is None]

    def _prompt(
        self, names: dict[str, str], known: list[Memory], messages: Sequence[Message]
    ) -> tuple[ChatMessage, ...]:
        user, companion = names["user"], names["assistant"]
        facts = "\n".join(f"[{i}] {m.text}" for i, m in enumerate(known, 1)) or "(none)"
        lines = "\n".join(
            f"({n}) [{short_date(m.created_at)}] {names[m.role]}: "
            f"{' '.join(m.content.split())[:1500]}"
            for n, m in enumerate(messages, 1)
        )
        return (
            ChatMessage("system", EXTRACT_SYSTEM.format(user=user, companion=companion)),
            ChatMessage("user", f"Known facts:\n{facts}\n\nNew messages:\n{lines}"),
        )

    async def _generate(self, messages: tuple[ChatMessage, ...], user_id: str) -> str:
        return await generate_in_background(
            self.backend, messages, user_id, FACTS_SCHEMA, self.max_tokens, "memory extraction"
        )

    async def _write(
        self,
        user_id: str,
        fact: ExtractedFact,
        when: datetime,
        sources: list[str],
        known: list[Memory],
    ) -> Memory | None:
        memories = self.memories
        vector = (await memories.embed([fact.text]))[0]
        hits = await memories.store.memory_vector_search(user_id, vector, 64)
        near = await memories.store.get_memories(user_id, [i for i, _ in hits[:64]])
        similarity = dict(hits)
        for other in near:
            if (
                other.kind == "fact"
                and other.invalid_at is None
                and other.about == fact.about
                and same_thing(fact.text, other.text, similarity[other.id])
            ):
                # Said again: the memory it already is gains a source and, maybe, importance.
                await memories.store.update_memory(
                    user_id,
                    other.id,
                    importance=max(other.importance, fact.importance / 5),
                    add_sources=sources,
                )
                return None
        stored = await memories.add_fact(
            user_id,
            fact.text,
            about=fact.about,
            valid_at=when,
            importance=fact.importance / 5,
            sources=sources,
            vector=vector,
        )
        replaced = [
            known[number - 1]
            for number in fact.replaces
            if 1 <= number <= len(known) and known[number - 1].invalid_at is None
        ]
        replaced += [
            other
            for other in near
            if other.kind == "fact"
            and other.invalid_at is None
            and other.about == fact.about
            and other not in replaced
            and ends(fact.text, other.text)
        ]
        for old in replaced:
            await memories.store.update_memory(
                user_id, old.id, invalid_at=when, meta={"replaced_by": stored.id}
            )
        return stored
