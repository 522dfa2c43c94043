"""The growth journal: every change to her persona is a numbered, diffable, reversible entry.

An import, a user's edit, a reflection's revision, the name she chose and a rollback each add a
version with its author, reason, evidence (memory or insight ids) and a unified diff of the
blocks. A rollback restores a version exactly and is itself an entry, so it can be undone too.
Before anything is stored, the blocks are held to their size limits and cleared of text that
contradicts the operator's invariants (os1.heart.persona); the invariants themselves are never
stored here, so nothing written here can change them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from os1.config import Settings
from os1.errors import InputError, NotFound
from os1.heart.persona import (
    Persona,
    apply_changes,
    block_view,
    changed_blocks,
    check_limits,
    default_persona,
    persona_from_dict,
    persona_from_text,
    persona_text,
    persona_to_dict,
    render,
    screen_persona,
    seeded_choice,
)
from os1.store import PersonaStore, PersonaVersion, VersionConflict
from os1.types import CompanionProfile

__all__ = [
    "AUTHORS",
    "NAMES",
    "NAME_CHOSEN",
    "GrowthJournal",
    "JournalEntry",
    "chooses_own_name",
]

AUTHORS = ("user", "reflection", "import", "operator", "rollback", "growth")
NAME_CHOSEN = "chose her name at the first meeting"
# The names she picks from when `companion_name = "choose"`: one per user, always the same one.
NAMES = ("Nova", "Iris", "Wren", "Juno", "Lyra", "Mira", "Sage", "Clio", "Ember", "Skye")
_STARTED = "the persona she started with"
_OUTSIDE = "changed outside the journal (the companion's settings)"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def chooses_own_name(settings: Settings) -> bool:
    """Does she choose her own name at the first meeting (`companion_name = "choose"`)?"""
    return settings.companion_name.strip().lower() == "choose"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One version of her persona: who changed it, why, on what evidence, and the diff."""

    version: int
    companion_id: str
    author: str
    reason: str
    evidence: tuple[str, ...]
    diff: str
    created_at: datetime
    persona: Persona


def _entry(version: PersonaVersion) -> JournalEntry:
    return JournalEntry(
        version=version.version,
        companion_id=version.companion_id,
        author=version.author,
        reason=version.reason,
        evidence=version.evidence,
        diff=version.diff,
        created_at=version.created_at,
        persona=persona_from_dict(version.persona),
    )


def _diff(before: Persona | None, after: Persona, version: int) -> str:
    old = block_view(before).splitlines() if before is not None else []
    new = block_view(after).splitlines()
    lines = difflib.unified_diff(
        old, new, f"version {version - 1}", f"version {version}", lineterm=""
    )
    return "\n".join(lines)


class GrowthJournal:
    """Her persona's history per companion: read the current persona, revise, list, roll back.

    `clock` is accepted for symmetry with the other heart parts; entries are timed by the store.
    """

    def __init__(self, store: PersonaStore, settings: Settings, clock: Clock = _utcnow) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    # --- reading ----------------------------------------------------------------------------

    async def current(self, user_id: str, companion_id: str) -> Persona:
        """The companion's persona now."""
        return await self.for_profile(await self.store.get_companion(user_id, companion_id))

    async def for_profile(self, profile: CompanionProfile) -> Persona:
        """The persona of a companion already fetched (one read per turn)."""
        latest = await self.store.persona_version(profile.user_id, profile.id)
        return _resolve(profile, latest)

    async def system_prompt(self, profile: CompanionProfile, user_name: str = "") -> str:
        """The system prompt for this companion: invariants first, then her persona."""
        return render(await self.for_profile(profile), self.settings.invariants, user_name)

    async def version(self, user_id: str, companion_id: str) -> int:
        """The latest version's number (0 while the persona has never changed)."""
        latest = await self.store.persona_version(user_id, companion_id)
        return latest.version if latest is not None else 0

    async def entries(self, user_id: str, companion_id: str) -> list[JournalEntry]:
        """Every entry, oldest first."""
        return [_entry(v) for v in await self.store.persona_versions(user_id, companion_id)]

    async def entry(self, user_id: str, companion_id: str, version: int) -> JournalEntry:
        """One entry; NotFound when there is no such version."""
        found = await self.store.persona_version(user_id, companion_id, version)
        if found is None:
            raise NotFound(f"no version {version} in the journal (`os1 journal` lists them)")
        return _entry(found)

    async def named_herself(self, user_id: str, companion_id: str) -> bool:
        """Is her current name one she chose herself at the first meeting?"""
        name = (await self.store.get_companion(user_id, companion_id)).name
        return any(
            v.author == "growth" and v.reason == NAME_CHOSEN and v.persona.get("name") == name
            for v in await self.store.persona_versions(user_id, companion_id)
        )

    # --- writing ----------------------------------------------------------------------------

    async def revise(
        self,
        user_id: str,
        companion_id: str,
        changes: Mapping[str, str],
        *,
        author: str,
        reason: str,
        evidence: Sequence[str] = (),
    ) -> JournalEntry:
        """Change blocks (identity, values, style, user_notes, name) and record why.

        Text that contradicts the invariants is removed (the entry's reason says what); a block
        over its limit raises InputError. A revision that changes nothing writes nothing and
        returns the latest entry.
        """
        if not changes:
            raise InputError("nothing to change: name a block and its new text")
        return await self._write(
            user_id,
            companion_id,
            lambda before: apply_changes(before, changes),
            author=author,
            reason=reason,
            evidence=evidence,
        )

    async def adopt(
        self, user_id: str, companion_id: str, persona: Persona, *, author: str, reason: str
    ) -> JournalEntry:
        """Replace the whole persona (an imported card). Her notes about the user stay unless
        the new persona brings its own."""
        return await self._write(
            user_id,
            companion_id,
            lambda before: (
                persona if persona.user_notes else persona.changed(user_notes=before.user_notes)
            ),
            author=author,
            reason=reason,
        )

    async def rollback(self, user_id: str, companion_id: str, version: int) -> JournalEntry:
        """Restore the persona exactly as it was at `version`, as a new entry."""
        target = (await self.entry(user_id, companion_id, version)).persona
        return await self._write(
            user_id,
            companion_id,
            lambda _: target,
            author="rollback",
            reason=f"rolled back to version {version}",
        )

    async def new_companion(self, user_id: str) -> CompanionProfile:
        """The user's first companion from the settings; with `companion_name = "choose"` she
        picks her own name (the same one for the same user), recorded as the first entry."""
        if not chooses_own_name(self.settings):
            name = self.settings.companion_name
            return await self.store.create_companion(
                user_id, name, persona_text(default_persona(name))
            )
        persona = default_persona(seeded_choice(NAMES, user_id))
        profile = await self.store.create_companion(user_id, persona.name, persona_text(persona))
        await self._add(
            profile, 0, persona, previous=default_persona(""), author="growth", reason=NAME_CHOSEN
        )
        return await self.store.get_companion(user_id, profile.id)

    async def _write(
        self,
        user_id: str,
        companion_id: str,
        make: Callable[[Persona], Persona],
        *,
        author: str,
        reason: str,
        evidence: Sequence[str] = (),
    ) -> JournalEntry:
        if author not in AUTHORS:
            raise InputError(f"unknown author {author!r}; one of {', '.join(AUTHORS)}")
        if not reason.strip():
            raise InputError("a journal entry needs a reason")
        evidence = tuple(str(e) for e in evidence)
        for _ in range(3):
            profile = await self.store.get_companion(user_id, companion_id)
            latest = await self.store.persona_version(user_id, companion_id)
            before = _resolve(profile, latest)
            after, removed = screen_persona(make(before))
            check_limits(after)
            try:
                if latest is None:
                    # The first change keeps where she started, so it can be rolled back to.
                    latest = await self._add(
                        profile, 0, before, previous=None, author="operator", reason=_STARTED
                    )
                elif before != persona_from_dict(latest.persona):
                    latest = await self._add(
                        profile,
                        latest.version,
                        before,
                        previous=persona_from_dict(latest.persona),
                        author="user",
                        reason=_OUTSIDE,
                    )
                if after == before:
                    return _entry(latest)
                note = reason.strip()
                if removed:
                    note += (
                        " (left out as it contradicts the operator's invariants: "
                        + "; ".join(removed)
                        + ")"
                    )
                return _entry(
                    await self._add(
                        profile,
                        latest.version,
                        after,
                        previous=before,
                        author=author,
                        reason=note,
                        evidence=evidence,
                    )
                )
            except VersionConflict:
                continue  # another writer got there first: read again and reapply
        raise VersionConflict("the persona kept changing while this was written; try again")

    async def _add(
        self,
        profile: CompanionProfile,
        after: int,
        persona: Persona,
        *,
        previous: Persona | None,
        author: str,
        reason: str,
        evidence: Sequence[str] = (),
    ) -> PersonaVersion:
        # Limits are checked on what a change writes; a record of how things already were
        # (where she started, an outside change) is kept as it is.
        return await self.store.add_persona_version(
            profile.user_id,
            profile.id,
            after=after,
            author=author,
            reason=reason,
            evidence=evidence,
            diff=_diff(previous, persona, after + 1),
            persona=persona_to_dict(persona),
            name=persona.name,
            text=persona_text(persona),
        )


def _resolve(profile: CompanionProfile, latest: PersonaVersion | None) -> Persona:
    """The persona now: the latest version, unless the companion's row was changed outside the
    journal since (the server's companion settings write a name and one persona text)."""
    if latest is None:
        return persona_from_text(profile.name, profile.persona)
    persona = persona_from_dict(latest.persona)
    if profile.persona != persona_text(persona):
        text = persona_from_text(profile.name, profile.persona)
        blocks = ("identity", "values", "style", "scenario", "user_notes", "mes_example")
        persona = persona.changed(**{name: getattr(text, name) for name in blocks})
    if profile.name != persona.name:
        persona = persona.changed(name=profile.name)
    return persona


def describe(entry: JournalEntry, before: Persona | None) -> str:
    """One line: which blocks an entry changed."""
    if before is None:
        return "started"
    names = changed_blocks(before, entry.persona)
    return ", ".join(names) if names else "nothing"
