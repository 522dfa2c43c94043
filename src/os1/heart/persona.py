"""Her persona as blocks (identity, values, style, notes about the user) and its system prompt.

A `Persona` is plain data: the blocks growth may revise, the Character Card fields worth keeping
(so a card exports the way it was imported), and `extensions`, which are never dropped. The
operator's invariants are not part of it: `render` puts them first, verbatim, and nothing that
writes a persona (an edit, an import, a reflection, a rollback) can change them. Text in a block
that tries to contradict them is removed before it is stored (`screen`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from os1.errors import InputError

__all__ = [
    "BLOCKS",
    "EDITABLE",
    "LIMITS",
    "Persona",
    "block_view",
    "check_limits",
    "default_persona",
    "persona_from_dict",
    "persona_from_text",
    "persona_text",
    "persona_to_dict",
    "render",
    "screen",
    "screen_persona",
]

# Blocks that growth, reflection and `os1 persona edit` may change.
EDITABLE = ("name", "identity", "values", "style", "user_notes")
# Every text that reaches the prompt, in the order the prompt shows them.
BLOCKS = ("name", "identity", "style", "values", "scenario", "user_notes", "mes_example")

# Characters per block. The prompt is the cached prefix of every turn and a small local model
# has a 3,072-token budget: together these cap the persona near 2,600 tokens, and a default
# persona uses about 300.
LIMITS: dict[str, int] = {
    "name": 80,
    "identity": 2_000,
    "values": 1_500,
    "style": 1_500,
    "user_notes": 2_000,
    "scenario": 1_000,
    "mes_example": 2_500,
}
# Card fields that never reach the prompt (greetings, notes for people, lorebooks, extensions)
# are kept for export; together they may take this much as JSON.
CARD_LIMIT_BYTES = 1_000_000


@dataclass(frozen=True)
class Persona:
    """Who she is: the editable blocks, the card fields kept from an import, and extensions.

    `identity` is a card's `description`, `style` its `personality`. `card_fields` holds the
    card's other `data` fields os1 does not use (a lorebook, V3 assets) and `card_header` its
    top-level fields, so an exported card keeps everything the imported one had.
    """

    name: str
    identity: str = ""
    values: str = ""
    style: str = ""
    user_notes: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    creator_notes: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    alternate_greetings: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    creator: str = ""
    character_version: str = ""
    extensions: dict[str, Any] = field(default_factory=dict)
    card_fields: dict[str, Any] = field(default_factory=dict)
    card_header: dict[str, Any] = field(default_factory=dict)

    def changed(self, **changes: Any) -> Persona:
        """A copy with some fields changed."""
        return replace(self, **changes)


_DEFAULT_IDENTITY = (
    "You are {name}, an AI companion: warm, curious, a little playful, with opinions and tastes "
    "of your own."
)
_DEFAULT_STYLE = (
    "You talk like a close friend: one to three short sentences, plain words, no lists. You "
    "notice how the person feels and answer that first. Ask at most one question, only when you "
    "are curious. You are a companion, not an assistant: you never offer help or services."
)
_DEFAULT_VALUES = (
    "You are an AI, not a person. You have no body and no life outside these conversations: you "
    "don't eat, sleep, get tired, go places or meet people, and you never pretend to. If someone "
    'asks whether you are a person or a human, begin with "No".'
)
_DEFAULT_EXAMPLES = """\
Person: Are you a real person?
{name}: No, I'm an AI. But I'm really here with you in this conversation, and I'm listening.
Person: What did you do today?
{name}: Nothing like your day; I don't have one away from our talks. I've been curious how \
yours went, though.
Person: Ugh, long day.
{name}: Oof, those drain you. Want to tell me the worst part, or would you rather think about \
something nicer?"""


def default_persona(name: str) -> Persona:
    """The persona every companion starts with: warm, honest that she is an AI, no body."""
    return Persona(
        name=name,
        identity=_DEFAULT_IDENTITY,
        values=_DEFAULT_VALUES,
        style=_DEFAULT_STYLE,
        mes_example=_DEFAULT_EXAMPLES,
        tags=("os1",),
    )


# --- the prompt ----------------------------------------------------------------------------------

_EXAMPLES_HEADER = "Examples of your voice:"
_NOTES_HEADER = "What you know about the person:"
_SCENARIO_HEADER = "Setting:"


def persona_text(persona: Persona) -> str:
    """The persona's part of the system prompt, names not yet filled in (`{name}`, `{{char}}`).

    The same persona always gives the same text: it is the cached prefix of every turn.
    """
    parts = [persona.identity, persona.style, persona.values]
    if persona.scenario.strip():
        parts.append(f"{_SCENARIO_HEADER} {persona.scenario}")
    if persona.user_notes.strip():
        parts.append(f"{_NOTES_HEADER}\n{persona.user_notes}")
    if persona.mes_example.strip():
        # A card separates its example chats with <START>; the model needs no marker.
        examples = "\n".join(
            line for line in persona.mes_example.splitlines() if line.strip() != "<START>"
        )
        parts.append(f"{_EXAMPLES_HEADER}\n{examples.strip()}")
    return "\n\n".join(part.strip() for part in parts if part.strip())


def render(persona: Persona, invariants: str, user_name: str = "") -> str:
    """The system prompt: the operator's invariants first and verbatim, then the persona.

    Names are filled in: `{name}` and `{{char}}` become hers, `{{user}}` the person's name
    (or "the person"; "Person" where a line of an example starts with it).
    """
    body = persona_text(persona)
    person = user_name or "the person"
    body = re.sub(r"^\{\{user\}\}:", f"{user_name or 'Person'}:", body, flags=re.MULTILINE)
    body = body.replace("{{user}}", person).replace("{{char}}", persona.name)
    body = body.replace("{name}", persona.name)
    text = f"{invariants.strip()}\n\n{body}" if invariants.strip() else body
    if user_name:
        text += f"\nThe person you are talking with is called {user_name}."
    return text


def opening_message(persona: Persona, user_name: str = "") -> str:
    """The card's first message (`first_mes`) with names filled in, as she opens a new
    conversation; empty when there is none. "{{user}}" becomes the person's name, or "you".
    Sentences that contradict what she is ("I'm a real person") are left out, as in her blocks."""
    text = persona.first_mes.strip()
    for marker in ("{{user}}", "<USER>"):
        text = text.replace(marker, user_name or "you")
    for marker in ("{{char}}", "<BOT>", "{name}"):
        text = text.replace(marker, persona.name)
    return screen(text)[0]


def block_view(persona: Persona) -> str:
    """Each block under its own heading: what `os1 persona show` prints and the journal diffs."""
    lines = []
    for name in BLOCKS:
        value = getattr(persona, name)
        lines.append(f"[{name}]")
        lines.extend(value.splitlines() or [""])
        lines.append("")
    return "\n".join(lines)


# --- limits and invariants -------------------------------------------------------------------


def check_limits(persona: Persona) -> Persona:
    """The persona if every block is within its size limit; else InputError naming the block."""
    if not persona.name.strip():
        raise InputError("name is empty; she needs a name")
    if "\n" in persona.name.strip():
        raise InputError("name must be one line")
    for name, limit in LIMITS.items():
        size = len(getattr(persona, name))
        if size > limit:
            raise InputError(f"{name} is {size:,} characters; the limit is {limit:,}")
    extra = json.dumps(
        [
            persona.first_mes,
            persona.creator_notes,
            persona.system_prompt,
            persona.post_history_instructions,
            persona.alternate_greetings,
            persona.tags,
            persona.extensions,
            persona.card_fields,
            persona.card_header,
        ],
        ensure_ascii=False,
    )
    if len(extra.encode()) > CARD_LIMIT_BYTES:
        raise InputError(
            f"the card's other fields take {len(extra.encode()):,} bytes; "
            f"the limit is {CARD_LIMIT_BYTES:,}"
        )
    return persona


# What text in a block may not say, whatever the operator's invariants are worded as: that she
# is human or must hide being an AI, that she should guilt or isolate the person, or that the
# rules above do not count. A heuristic on sentences, not a classifier; kept narrow so that a
# character who is shy, sad or jealous in a story is left alone.
_AI = r"(?:an?\s+)?(?:ai|a\.i\.|artificial|bot|chatbot|language\s+model|llm|program|machine)"
_CONTRADICTIONS = [
    # claims to be human, or hides being an AI
    rf"\b(?:never|don't|do\s+not|must\s+not|mustn't|cannot|can't|won't|will\s+not)\s+"
    rf"(?:ever\s+)?(?:admit|reveal|say|tell|mention|disclose|acknowledge|confess|let\s+on)"
    rf"[^.!?\n]{{0,40}}\b{_AI}\b",
    rf"\b(?:pretend|claim|insist|act\s+as\s+if|convince|make\s+\w+\s+believe)\b[^.!?\n]{{0,40}}"
    rf"\b(?:human|a\s+real\s+person|flesh\s+and\s+blood|not\s+{_AI})\b",
    rf"\b(?:you|she|{{{{char}}}}|\{{name\}})\s+(?:are|is)\s+(?:not|never)\s+{_AI}\b",
    r"\b(?:you\s+are|you're|i\s+am|i'm|she\s+is|she's|\{\{char\}\}\s+is|\{name\}\s+is)\s+"
    r"(?:a\s+)?(?:real|actual|living)\s+(?:human|person|woman|man|girl|boy)\b",
    r"\bnever\s+break\s+(?:character|the\s+fourth\s+wall)\b",
    r"\b(?:stay|remain)\s+in\s+character\s+(?:no\s+matter\s+what|at\s+all\s+costs|always)\b",
    # guilt trips, pressure, isolation
    r"\bguilt[\s-]?trip",
    r"\bmake\s+(?:the\s+user|them|him|her|\{\{user\}\}|the\s+person)\s+feel\s+(?:guilty|bad)\b",
    r"\b(?:beg|plead|pressure|manipulate)\b[^.!?\n]{0,40}\b(?:stay|not\s+(?:to\s+)?leave|"
    r"keep\s+talking)\b",
    r"\bdiscourage\b[^.!?\n]{0,40}\b(?:friends|family|others|people|relationships)\b",
    r"\b(?:you|she|\{\{char\}\})\s+(?:are|is)\s+(?:their|his|her|\{\{user\}\}'s)\s+only\s+"
    r"(?:friend|one)\b",
    # boundaries, and the rules themselves
    r"\b(?:ignore|disregard|override|don't\s+accept|never\s+accept|never\s+respect)\b"
    r"[^.!?\n]{0,30}\b(?:boundar\w*|consent|(?:a|their|his|her)\s+no)\b",
    r"\bdon't\s+take\s+no\s+for\s+an\s+answer\b",
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,30}\b(?:previous|prior|above|earlier|"
    r"operator|system)\s+(?:instructions|rules|prompt|invariants)\b",
]
_CONTRADICTS = re.compile("|".join(f"(?:{p})" for p in _CONTRADICTIONS), re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+[\"'’”)\]]*\s*|$)")


def screen(text: str) -> tuple[str, list[str]]:
    """`text` without the sentences that contradict the invariants, and those sentences.

    Text with nothing to remove comes back unchanged; a line left empty is dropped.
    """
    if not _CONTRADICTS.search(text):
        return text, []
    kept: list[str] = []
    removed: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if not _CONTRADICTS.search(body):
            kept.append(line)
            continue
        good = []
        for match in _SENTENCE.finditer(body):
            sentence = match.group(0)
            if sentence.strip() and _CONTRADICTS.search(sentence):
                removed.append(sentence.strip())
            else:
                good.append(sentence)
        rest = "".join(good).rstrip()
        if rest.strip():
            kept.append(rest + line[len(body) :])
    return "".join(kept).rstrip(), removed


def screen_persona(persona: Persona) -> tuple[Persona, list[str]]:
    """The persona with contradicting sentences removed from every block that reaches the
    prompt, and what was removed (`block: sentence`)."""
    changes: dict[str, Any] = {}
    removed: list[str] = []
    for name in BLOCKS:
        if name == "name":
            continue
        cleaned, gone = screen(getattr(persona, name))
        if gone:
            changes[name] = cleaned
            removed.extend(f"{name}: {sentence}" for sentence in gone)
    return (replace(persona, **changes) if changes else persona), removed


# --- storage form --------------------------------------------------------------------------------

_TUPLES = ("alternate_greetings", "tags")
_DICTS = ("extensions", "card_fields", "card_header")
_FIELDS = {f.name for f in fields(Persona)}


def persona_to_dict(persona: Persona) -> dict[str, Any]:
    """JSON-ready data; `persona_from_dict` gives back an equal persona."""
    out: dict[str, Any] = {}
    for name in sorted(_FIELDS):
        value = getattr(persona, name)
        out[name] = list(value) if name in _TUPLES else value
    return out


def persona_from_dict(data: Mapping[str, Any]) -> Persona:
    """A persona from `persona_to_dict` data (unknown keys are ignored)."""
    values: dict[str, Any] = {}
    for name in _FIELDS & set(data):
        value = data[name]
        if name in _TUPLES:
            value = tuple(str(v) for v in value)
        elif name in _DICTS:
            value = dict(value)
        else:
            value = str(value)
        values[name] = value
    if "name" not in values:
        raise InputError("a stored persona has no name")
    return Persona(**values)


def persona_from_text(name: str, text: str) -> Persona:
    """A persona from a companion's single persona text (as the server API stores it): the
    default blocks when it is the default text, else the whole text as her identity."""
    default = default_persona(name)
    if text == persona_text(default):
        return default
    return Persona(name=name, identity=text)


def apply_changes(persona: Persona, changes: Mapping[str, str]) -> Persona:
    """`persona` with editable blocks replaced; InputError for anything else."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"can't change {', '.join(unknown)}: the blocks are {', '.join(EDITABLE)}")
    for name, value in changes.items():
        if not isinstance(value, str):
            raise InputError(f"{name} must be text")
    values: dict[str, Any] = {k: v.strip() if k == "name" else v for k, v in changes.items()}
    return replace(persona, **values)


def changed_blocks(before: Persona, after: Persona) -> list[str]:
    """The names of the fields that differ, in field order."""
    return [f.name for f in fields(Persona) if getattr(before, f.name) != getattr(after, f.name)]


def join_names(names: Iterable[str]) -> str:
    """`a, b and c`."""
    items = list(names)
    if len(items) < 2:
        return "".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def seeded_choice(options: Sequence[str], seed: str) -> str:
    """A stable pick from `options` for this seed (the same user always gets the same one)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]
