"""Her persona, its growth journal and Character Cards, over REST (the `journal` feature).

A thin face on `os1.heart.journal.GrowthJournal`: every change made here (a block edited, a card
imported, a rollback) is a journal entry with its author, reason and diff, and every call names
the asking user, so another user's companions and versions are simply not found.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from starlette.responses import Response

from os1.errors import InputError
from os1.heart.cards import (
    PNG_SIGNATURE,
    V2,
    V3,
    Spec,
    card_bytes,
    card_to_persona,
    load_card,
    persona_to_card,
)
from os1.heart.journal import GrowthJournal, JournalEntry
from os1.heart.persona import BLOCKS, EDITABLE, LIMITS, Persona, changed_blocks
from os1.server.errors import ApiError
from os1.server.openapi import Endpoint
from os1.server.schema import companion_json, read_upload, string_field
from os1.server.state import Call

__all__ = ["CARD_UPLOAD_BYTES", "PersonaUpdate", "endpoints", "entry_json", "persona_json"]

# A card PNG carries a picture; the largest ones people share are a few megabytes.
CARD_UPLOAD_BYTES = 16 * 1024 * 1024
CARD_TYPES = ("image/png", "application/json", "application/octet-stream")
REASON_CHARS = 300


@dataclass(frozen=True, slots=True)
class PersonaUpdate:
    """Change blocks of her persona; the growth journal keeps the old ones and your reason."""

    at_least_one: ClassVar[bool] = True

    name: str | None = string_field(
        "her name", max_length=LIMITS["name"], min_length=1, optional=True
    )
    identity: str | None = string_field("who she is", max_length=LIMITS["identity"], optional=True)
    values: str | None = string_field(
        "what she holds to", max_length=LIMITS["values"], optional=True
    )
    style: str | None = string_field("how she talks", max_length=LIMITS["style"], optional=True)
    user_notes: str | None = string_field(
        "what she knows about you (never exported)", max_length=LIMITS["user_notes"],
        optional=True,
    )  # fmt: skip
    reason: str | None = string_field(
        "why, for the journal (default: which blocks you edited)", max_length=REASON_CHARS,
        optional=True,
    )  # fmt: skip


def persona_json(persona: Persona, companion_id: str, version: int) -> dict[str, Any]:
    """Her persona as the API shows it: every block, the limits, and what a card brought."""
    return {
        "companion_id": companion_id,
        "version": version,
        "name": persona.name,
        "blocks": {name: getattr(persona, name) for name in BLOCKS},
        "limits": dict(LIMITS),
        "editable": list(EDITABLE),
        "tags": list(persona.tags),
        "creator": persona.creator,
        "character_version": persona.character_version,
    }


def entry_json(entry: JournalEntry, before: Persona | None) -> dict[str, Any]:
    """A journal entry without its diff: who, when, why, on what evidence, which blocks."""
    return {
        "version": entry.version,
        "author": entry.author,
        "reason": entry.reason,
        "evidence": list(entry.evidence),
        "created_at": entry.created_at.isoformat(),
        "name": entry.persona.name,
        "changed": changed_blocks(before, entry.persona) if before is not None else [],
        "first": before is None,
    }


def _journal(call: Call) -> GrowthJournal:
    return call.state.companion.journal


def _version(call: Call) -> int:
    raw = call.path("version")
    if not raw.isdigit() or len(raw) > 9:
        raise ApiError(422, "invalid_value", "the version is a whole number (1, 2, 3…)")
    return int(raw)


async def _companion(call: Call) -> dict[str, Any]:
    profile = await call.state.store.get_companion(call.user_id, call.path("companion_id"))
    return companion_json(profile)


# --- persona -------------------------------------------------------------------------------------


async def get_persona(call: Call) -> dict[str, Any]:
    journal, companion_id = _journal(call), call.path("companion_id")
    persona = await journal.current(call.user_id, companion_id)
    version = await journal.version(call.user_id, companion_id)
    return persona_json(persona, companion_id, version)


async def update_persona(call: Call) -> dict[str, Any]:
    body = await call.body(PersonaUpdate)
    journal, companion_id = _journal(call), call.path("companion_id")
    changes = {name: getattr(body, name) for name in EDITABLE if getattr(body, name) is not None}
    if not changes:
        raise ApiError(422, "missing_field", f"name a block to change: {', '.join(EDITABLE)}")
    old = await journal.current(call.user_id, companion_id)
    before = await journal.version(call.user_id, companion_id)
    reason = (body.reason or "").strip() or f"{' and '.join(changes)} edited by the user"
    entry = await journal.revise(call.user_id, companion_id, changes, author="user", reason=reason)
    return {
        "persona": persona_json(entry.persona, companion_id, entry.version),
        "changed": entry.version > before and entry.author == "user",
        "entry": entry_json(entry, old),
        "companion": await _companion(call),
    }


# --- the growth journal --------------------------------------------------------------------------


async def list_journal(call: Call) -> dict[str, Any]:
    entries = await _journal(call).entries(call.user_id, call.path("companion_id"))
    shown = []
    before: Persona | None = None
    for entry in entries:
        shown.append(entry_json(entry, before))
        before = entry.persona
    shown.reverse()
    return {"entries": shown, "version": entries[-1].version if entries else 0}


async def show_journal_entry(call: Call) -> dict[str, Any]:
    journal, companion_id, version = _journal(call), call.path("companion_id"), _version(call)
    entry = await journal.entry(call.user_id, companion_id, version)
    before = None
    if version > 1:
        before = (await journal.entry(call.user_id, companion_id, version - 1)).persona
    latest = await journal.version(call.user_id, companion_id)
    return {
        **entry_json(entry, before),
        "diff": entry.diff,
        "latest": version == latest,
        "persona": persona_json(entry.persona, companion_id, version),
    }


async def rollback_journal(call: Call) -> dict[str, Any]:
    journal, companion_id, version = _journal(call), call.path("companion_id"), _version(call)
    before = await journal.version(call.user_id, companion_id)
    entry = await journal.rollback(call.user_id, companion_id, version)
    previous = None
    if entry.version > 1:
        previous = (await journal.entry(call.user_id, companion_id, entry.version - 1)).persona
    return {
        "changed": entry.version > before and entry.author == "rollback",
        "entry": entry_json(entry, previous),
        "companion": await _companion(call),
    }


# --- Character Cards -----------------------------------------------------------------------------


def _source(name: str | None) -> str:
    """The uploaded file's name, made safe to quote in a journal entry."""
    if not name:
        return "the upload"
    cleaned = "".join(c for c in name.rsplit("/", 1)[-1] if unicodedata.category(c)[0] != "C")
    return cleaned.strip()[:100] or "the upload"


async def import_card(call: Call) -> dict[str, Any]:
    query = call.query(filename=str)
    kind, data = await read_upload(call.request, CARD_UPLOAD_BYTES, CARD_TYPES)
    source = _source(query.get("filename"))
    try:
        if kind == "image/png" and not data.startswith(PNG_SIGNATURE):
            raise InputError(f"{source} was sent as a PNG but is not a PNG file")
        card = load_card(data, source)
        persona = card_to_persona(card, source)
    except InputError as err:
        raise ApiError(400, "bad_card", str(err)) from None
    journal, companion_id = _journal(call), call.path("companion_id")
    old = await journal.current(call.user_id, companion_id)
    before = await journal.version(call.user_id, companion_id)
    entry = await journal.adopt(
        call.user_id,
        companion_id,
        persona,
        author="import",
        reason=f"imported {source} ({card['spec']})",
    )
    return {
        "changed": entry.version > before and entry.author == "import",
        "spec": card["spec"],
        "entry": entry_json(entry, old),
        "persona": persona_json(entry.persona, companion_id, entry.version),
        "companion": await _companion(call),
    }


def _file_name(name: str, suffix: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "companion"
    return f"{ascii_name[:60]}.{suffix}"


async def export_card(call: Call) -> Response:
    query = call.query(format=str, spec=str)
    fmt = query.get("format", "json")
    if fmt not in ("json", "png"):
        raise ApiError(422, "invalid_value", "'format' is json or png")
    specs: dict[str, Spec] = {"v2": V2, "v3": V3}
    spec = specs.get(query.get("spec", "v3"))
    if spec is None:
        raise ApiError(422, "invalid_value", "'spec' is v2 or v3")
    persona = await _journal(call).current(call.user_id, call.path("companion_id"))
    card = persona_to_card(persona, spec)
    chosen: Literal["json", "png"] = "png" if fmt == "png" else "json"
    name = _file_name(persona.name, chosen)
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(persona.name)}.{fmt}"
    return Response(
        card_bytes(card, chosen),
        media_type="image/png" if chosen == "png" else "application/json",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def endpoints() -> list[Endpoint]:
    """Her persona, the growth journal and Character Cards."""
    one = "/api/companions/{companion_id}"
    entry = f"{one}/journal/{{version}}"
    return [
        Endpoint("GET", f"{one}/persona", get_persona,
                 "Her persona block by block, with each block's limit", "journal"),
        Endpoint("PATCH", f"{one}/persona", update_persona,
                 "Change blocks of her persona (a journal entry by you)", "journal",
                 body=PersonaUpdate, description=(
                     "Text that contradicts the operator's invariants is left out and the "
                     "entry says so; a change that changes nothing writes nothing.")),
        Endpoint("GET", f"{one}/journal", list_journal,
                 "The growth journal, newest first: who changed what, when and why", "journal"),
        Endpoint("GET", entry, show_journal_entry,
                 "One journal entry with its diff and the persona as it was", "journal"),
        Endpoint("POST", f"{entry}/rollback", rollback_journal,
                 "Restore her persona as it was at this version (a new entry)", "journal"),
        Endpoint("POST", f"{one}/card", import_card,
                 "Import a Character Card V2 or V3 (PNG or JSON) as her persona", "journal",
                 upload=("image/png", "application/json"),
                 query=(("filename", "string", "the file's name, for the journal entry"),),
                 description=(
                     "Send the file itself as the body. Her notes about you stay. A file that "
                     "is not a card (not a PNG, a PNG without one, another spec) is a 400 "
                     "with code bad_card; a block over its limit is named.")),
        Endpoint("GET", f"{one}/card", export_card,
                 "Her persona as a Character Card file (notes about you are never in it)",
                 "journal", produces=("application/json", "image/png"),
                 response="a Character Card, as a download",
                 query=(("format", "string", "json (default) or png"),
                        ("spec", "string", "v3 (default) or v2"))),
    ]  # fmt: skip
