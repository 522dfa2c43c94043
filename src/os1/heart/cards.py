"""Character Cards V2 and V3 (the SillyTavern formats), as JSON or inside a PNG.

A card's `description` becomes her identity and its `personality` her style; `scenario` and
`mes_example` reach the prompt too, and `first_mes` opens a new conversation (after os1's AI
disclosure). Everything else (other greetings, creator notes, a lorebook, V3
assets, fields os1 has never heard of, `data.extensions`) is kept as it was and written back on
export, so a card round-trips with the same fields and values. Her values travel in
`extensions.os1.values`; notes about the user are private and never exported.

PNG cards carry base64 JSON in a `tEXt` chunk: `chara` (V2) or `ccv3` (V3). The chunk reader and
writer here are a few lines of `struct` and `zlib`; no image library is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

from os1.errors import InputError
from os1.heart.persona import LIMITS, Persona

__all__ = [
    "V2",
    "V3",
    "blank_png",
    "card_bytes",
    "card_to_persona",
    "load_card",
    "persona_to_card",
    "png_text",
    "read_card",
    "with_png_text",
]

V2: Final = "chara_card_v2"
V3: Final = "chara_card_v3"
Spec = Literal["chara_card_v2", "chara_card_v3"]
SPEC_VERSIONS = {V2: "2.0", V3: "3.0"}
MAX_CARD_BYTES = 50 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_TEXT = (
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "creator",
    "character_version",
)
_LISTS = ("alternate_greetings", "tags")
# Card field -> persona field, where the names differ.
_RENAMED = {"description": "identity", "personality": "style"}
_USED = {"name", "extensions", *_RENAMED, *_TEXT, *_LISTS}


# --- card <-> persona ----------------------------------------------------------------------------


def card_to_persona(card: Any, source: str = "the card") -> Persona:
    """The persona a V2 or V3 card describes; InputError naming what is wrong with a bad one."""
    if not isinstance(card, dict):
        raise InputError(f"{source} is not a character card: expected a JSON object")
    spec = card.get("spec")
    if spec is None:
        raise InputError(f'{source} has no "spec": only Character Card V2 and V3 can be imported')
    if spec not in (V2, V3):
        raise InputError(f"{source} is a {spec!r} card; os1 reads {V2} and {V3}")
    data = card.get("data")
    if not isinstance(data, dict):
        raise InputError(f'{source}: "data" must be an object')
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{source}: data.name must be a non-empty text")
    fields: dict[str, Any] = {"name": name.strip()}
    for key in ("description", "personality", *_TEXT):
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(f"{source}: data.{key} must be text, not {_kind(value)}")
        fields[_RENAMED.get(key, key)] = value
    for key in _LISTS:
        value = data.get(key)
        value = [] if value is None else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{source}: data.{key} must be a list of texts")
        fields[key] = tuple(value)
    extensions = data.get("extensions")
    extensions = {} if extensions is None else extensions
    if not isinstance(extensions, dict):
        raise InputError(f"{source}: data.extensions must be an object")
    extensions = dict(extensions)
    ours = extensions.get("os1")
    if isinstance(ours, dict) and isinstance(ours.get("values"), str):
        fields["values"] = ours["values"]
        rest = {k: v for k, v in ours.items() if k != "values"}
        if rest:
            extensions["os1"] = rest
        else:
            del extensions["os1"]
    fields["extensions"] = extensions
    fields["card_fields"] = {k: v for k, v in data.items() if k not in _USED}
    fields["card_header"] = {k: v for k, v in card.items() if k != "data"}
    persona = Persona(**fields)
    for field_name, limit in LIMITS.items():
        size = len(getattr(persona, field_name))
        if size > limit:
            card_name = {v: k for k, v in _RENAMED.items()}.get(field_name, field_name)
            shown = f"{card_name} ({field_name})" if card_name != field_name else field_name
            raise InputError(
                f"{source}: {shown} is {size:,} characters; the limit is {limit:,}. "
                "Shorten it in the card and import it again."
            )
    return persona


def persona_to_card(persona: Persona, spec: Spec = V3) -> dict[str, Any]:
    """The persona as a card of `spec`, with every field an imported card had."""
    if spec not in (V2, V3):
        raise InputError(f"can't write a {spec!r} card; choose {V2} or {V3}")
    header = persona.card_header
    version = header.get("spec_version") if header.get("spec") == spec else None
    extensions = dict(persona.extensions)
    if persona.values:
        ours = extensions.get("os1")
        extensions["os1"] = {**(ours if isinstance(ours, dict) else {}), "values": persona.values}
    data: dict[str, Any] = {
        "name": persona.name,
        "description": persona.identity,
        "personality": persona.style,
        **{key: getattr(persona, key) for key in _TEXT},
        **{key: list(getattr(persona, key)) for key in _LISTS},
        "extensions": extensions,
        **persona.card_fields,
    }
    if spec == V3:
        data.setdefault("group_only_greetings", [])
    card: dict[str, Any] = {
        "spec": spec,
        "spec_version": version or SPEC_VERSIONS[spec],
        "data": data,
    }
    for key, value in header.items():
        card.setdefault(key, value)
    return card


def _kind(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


# --- files ---------------------------------------------------------------------------------------


def read_card(path: Path) -> dict[str, Any]:
    """The card in a .json or .png file; InputError naming the file and what is wrong."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CARD_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a card") from None
    except OSError as err:
        raise InputError(f"can't read {path}: {err.strerror or err}") from None
    if len(data) > MAX_CARD_BYTES:
        raise InputError(f"{path} is over {MAX_CARD_BYTES // 2**20} MB; that's no card")
    return load_card(data, str(path))


def load_card(data: bytes, source: str = "the card") -> dict[str, Any]:
    """The card in PNG or JSON bytes (PNG: the `ccv3` chunk if present, else `chara`)."""
    if data.startswith(PNG_SIGNATURE):
        texts = png_text(data, source)
        key = "ccv3" if "ccv3" in texts else "chara" if "chara" in texts else None
        if key is None:
            raise InputError(
                f"{source} is a PNG without a character card (no 'chara' or 'ccv3' text chunk)"
            )
        try:
            raw = base64.b64decode("".join(texts[key].split()), validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{source}: its '{key}' chunk is not valid base64") from None
        source = f"{source} ('{key}' chunk)"
    else:
        raw = data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{source} is neither a PNG nor UTF-8 JSON") from None
    try:
        card = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{source} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    if not isinstance(card, dict):
        raise InputError(f"{source} is not a character card: expected a JSON object")
    return card


def card_bytes(
    card: Mapping[str, Any], fmt: Literal["json", "png"], image: bytes | None = None
) -> bytes:
    """A card as a file: pretty JSON, or a PNG (`image`, else a small plain one) carrying it.

    A V3 PNG carries the V3 card in `ccv3` and a V2 copy in `chara` for older readers.
    """
    if fmt == "json":
        return (json.dumps(card, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt != "png":
        raise InputError(f"unknown card format {fmt!r}; json or png")
    texts = {"chara": _b64(card)}
    if card.get("spec") == V3:
        texts["chara"] = _b64({**card, "spec": V2, "spec_version": SPEC_VERSIONS[V2]})
        texts["ccv3"] = _b64(card)
    return with_png_text(image if image is not None else blank_png(), texts, "the image")


def _b64(card: Mapping[str, Any]) -> str:
    return base64.b64encode(json.dumps(card, ensure_ascii=False).encode()).decode("ascii")


# --- PNG chunks ----------------------------------------------------------------------------------


def png_chunks(data: bytes, source: str = "the image") -> list[tuple[bytes, bytes]]:
    """The (type, body) chunks of a PNG, checksums checked; InputError for a damaged file."""
    if not data.startswith(PNG_SIGNATURE):
        raise InputError(f"{source} is not a PNG file")
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise InputError(f"{source} is cut short (a chunk header runs past the end)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise InputError(f"{source} is cut short (its {_name(kind)} chunk runs past the end)")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise InputError(f"{source} is damaged (a bad checksum in its {_name(kind)} chunk)")
        chunks.append((kind, body))
        pos = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise InputError(f"{source} is not a complete PNG (IHDR first and IEND last)")
    return chunks


def _name(kind: bytes) -> str:
    return kind.decode("latin-1", "replace")


def build_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """PNG bytes from (type, body) chunks."""
    out = [PNG_SIGNATURE]
    for kind, body in chunks:
        out.append(struct.pack(">I", len(body)) + kind + body)
        out.append(struct.pack(">I", zlib.crc32(kind + body)))
    return b"".join(out)


def png_text(data: bytes, source: str = "the image") -> dict[str, str]:
    """The PNG's `tEXt` chunks as {keyword: text} (Latin-1, as the PNG standard has it)."""
    texts: dict[str, str] = {}
    for kind, body in png_chunks(data, source):
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            texts[keyword.decode("latin-1")] = text.decode("latin-1")
    return texts


def with_png_text(data: bytes, texts: Mapping[str, str], source: str = "the image") -> bytes:
    """The PNG with `tEXt` chunks set to `texts` (old ones of those keywords are removed)."""
    keys = {k.lower() for k in texts}
    kept = [
        (kind, body)
        for kind, body in png_chunks(data, source)
        if not (kind == b"tEXt" and body.partition(b"\0")[0].decode("latin-1").lower() in keys)
    ]
    added = [
        (b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
        for key, value in texts.items()
    ]
    return build_png(kept[:-1] + added + kept[-1:])


def blank_png(
    width: int = 200, height: int = 300, rgb: tuple[int, int, int] = (238, 98, 74)
) -> bytes:
    """A small valid PNG of one warm colour: the picture of a card that has none."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\0" + bytes(rgb) * width
    pixels = zlib.compress(row * height, 9)
    return build_png([(b"IHDR", header), (b"IDAT", pixels), (b"IEND", b"")])
