"""Character Cards V2 and V3, as JSON and PNG: a card round-trips with every field and extension,
and a bad file gets one clear line."""

from __future__ import annotations

import base64
import copy
import json
import struct
import zlib
from pathlib import Path
from typing import Any, Literal

import pytest
from click.testing import CliRunner, Result

from os1.cli import main
from os1.errors import InputError
from os1.heart.cards import (
    V2,
    V3,
    blank_png,
    card_bytes,
    card_to_persona,
    load_card,
    persona_to_card,
    png_chunks,
    png_text,
    read_card,
    with_png_text,
)
from os1.heart.persona import default_persona

EXTENSIONS: dict[str, Any] = {
    "talkativeness": "0.5",
    "fav": False,
    "world": "Eldoria",
    "depth_prompt": {"prompt": "{{char}} hums.", "depth": 4, "role": "system"},
    "regex_scripts": [
        {"id": "r1", "findRegex": "/x/g", "replaceString": "y", "weights": [0.25, 1e-7]}
    ],
    "unicode": "café ☕ 日本語 🌙",
    "nothing": None,
    "os1": {"values": "You keep your promises.", "mood_seed": 3},
}


def v2_card() -> dict[str, Any]:
    return {
        "spec": V2,
        "spec_version": "2.0",
        "data": {
            "name": "Mira",
            "description": "{{char}} is a lighthouse keeper's AI who loves storms and old maps.",
            "personality": "wry, gentle, curious",
            "scenario": "A stormy night at the lighthouse.",
            "first_mes": "*The lamp turns.* Oh, a visitor. I'm Mira, an AI.",
            "mes_example": "<START>\n{{user}}: Scared of storms?\n{{char}}: I love them.",
            "creator_notes": "Best with a slow model.",
            "system_prompt": "",
            "post_history_instructions": "",
            "alternate_greetings": ["Hello again.", "Another storm, another story."],
            "character_book": {
                "name": "Lighthouse lore",
                "entries": [{"keys": ["lamp"], "content": "The lamp is 120 years old.", "id": 1}],
                "extensions": {},
            },
            "tags": ["cozy", "sea"],
            "creator": "someone",
            "character_version": "1.2",
            "extensions": copy.deepcopy(EXTENSIONS),
            "a_field_from_the_future": {"kept": [1, 2.5, "three"]},
        },
        "create_date": "2024-05-01",
    }


def v3_card() -> dict[str, Any]:
    card = v2_card()
    card["spec"], card["spec_version"] = V3, "3.0"
    card["data"].update(
        nickname="Mir",
        creator_notes_multilingual={"fr": "Meilleur lentement."},
        source=["https://example.org/mira"],
        group_only_greetings=["Hello, all of you."],
        creation_date=1714521600,
        modification_date=1714608000,
        assets=[{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
    )
    return card


def os1(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [v2_card, v3_card])
def test_a_card_becomes_a_persona_and_comes_back_identical(make: Any) -> None:
    card = make()
    persona = card_to_persona(copy.deepcopy(card))
    assert persona.name == "Mira"
    assert persona.identity == card["data"]["description"]
    assert persona.style == "wry, gentle, curious"
    assert persona.values == "You keep your promises."
    assert persona.extensions["depth_prompt"] == EXTENSIONS["depth_prompt"]
    assert persona_to_card(persona, card["spec"]) == card


@pytest.mark.parametrize(
    ("make", "flag", "suffix"),
    [(v2_card, "--v2", ".json"), (v2_card, "--v2", ".png"), (v3_card, "--v3", ".json"),
     (v3_card, "--v3", ".png")],
)  # fmt: skip
def test_import_then_export_round_trips_fields_and_extensions(
    tmp_path: Path, make: Any, flag: str, suffix: str
) -> None:
    card = make()
    source = tmp_path / f"mira{suffix}"
    fmt: Literal["json", "png"] = "png" if suffix == ".png" else "json"
    source.write_bytes(card_bytes(card, fmt))

    imported = os1("persona", "import", str(source))
    assert imported.exit_code == 0, imported.output
    assert "She is Mira now" in imported.stdout
    out = tmp_path / f"out{suffix}"
    exported = os1("persona", "export", str(out), flag)
    assert exported.exit_code == 0, exported.output

    again = read_card(out)
    assert again == card
    # Byte for byte in their values: the extensions serialise exactly as they did.
    dump = json.dumps(again["data"]["extensions"], sort_keys=True, ensure_ascii=False)
    assert dump == json.dumps(card["data"]["extensions"], sort_keys=True, ensure_ascii=False)
    if suffix == ".png":
        assert png_chunks(out.read_bytes())[0][0] == b"IHDR"


def test_a_v3_png_carries_v3_in_ccv3_and_a_v2_copy_in_chara() -> None:
    png = card_bytes(v3_card(), "png")
    texts = png_text(png)
    assert json.loads(base64.b64decode(texts["ccv3"]))["spec"] == V3
    older = json.loads(base64.b64decode(texts["chara"]))
    assert (older["spec"], older["spec_version"], older["data"]["name"]) == (V2, "2.0", "Mira")
    assert load_card(png) == v3_card()  # ccv3 wins


def test_exporting_onto_a_picture_keeps_its_pixels_and_replaces_an_old_card(
    tmp_path: Path,
) -> None:
    picture = blank_png(3, 2, (1, 2, 3))
    old = with_png_text(picture, {"chara": "b2xk"})
    png = card_bytes(v2_card(), "png", image=old)
    chunks = png_chunks(png)
    assert [c for c in chunks if c[0] == b"IDAT"] == [
        c for c in png_chunks(picture) if c[0] == b"IDAT"
    ]
    assert sum(1 for kind, body in chunks if kind == b"tEXt" and body.startswith(b"chara\0")) == 1
    assert load_card(png) == v2_card()

    image = tmp_path / "face.png"
    image.write_bytes(picture)
    assert os1("persona", "export", str(tmp_path / "me.png"), "--image", str(image)).exit_code == 0
    written = png_chunks((tmp_path / "me.png").read_bytes())
    assert struct.unpack(">II", written[0][1][:8]) == (3, 2)


def test_the_blank_picture_is_a_valid_png() -> None:
    png = blank_png()
    chunks = png_chunks(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width, height, depth, colour) == (200, 300, 8, 2)
    assert len(zlib.decompress(chunks[1][1])) == height * (1 + 3 * width)


def test_her_values_travel_in_extensions_and_notes_about_the_user_never_do() -> None:
    persona = default_persona("Sol").changed(user_notes="Theo's sister is called Ana.")
    card = persona_to_card(persona, V2)
    assert card["data"]["extensions"]["os1"]["values"] == persona.values
    assert "Ana" not in json.dumps(card)
    back = card_to_persona(card)
    assert back.card_header == {"spec": V2, "spec_version": "2.0"}
    assert back.changed(user_notes=persona.user_notes, card_header={}) == persona


def test_an_exported_default_persona_is_a_complete_v3_card(tmp_path: Path) -> None:
    out = tmp_path / "sol.json"
    assert os1("persona", "edit", "user_notes", "Likes rain.").exit_code == 0
    result = os1("persona", "export", str(out))
    assert result.exit_code == 0, result.output
    card = json.loads(out.read_text())
    assert (card["spec"], card["spec_version"]) == (V3, "3.0")
    for key in ("name", "description", "personality", "scenario", "first_mes", "mes_example",
                "creator_notes", "system_prompt", "post_history_instructions",
                "alternate_greetings", "tags", "creator", "character_version", "extensions",
                "group_only_greetings"):  # fmt: skip
        assert key in card["data"]
    assert card["data"]["name"] == "Sol"
    assert "Likes rain" not in out.read_text()


# --- bad files -----------------------------------------------------------------------------------


def _png_with(texts: dict[str, str]) -> bytes:
    return with_png_text(blank_png(2, 2), texts)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON (line 1"),
        (b"[1, 2]", "expected a JSON object"),
        (b"\xff\xfe\x00junk", "neither a PNG nor UTF-8 JSON"),
        (json.dumps({"name": "Old", "description": "v1"}).encode(), 'no "spec"'),
        (json.dumps({"spec": "chara_card_v9", "data": {}}).encode(), "'chara_card_v9' card"),
        (json.dumps({"spec": V2, "data": "x"}).encode(), '"data" must be an object'),
        (json.dumps({"spec": V2, "data": {"name": ""}}).encode(), "data.name must be"),
        (json.dumps({"spec": V3, "data": {"name": "A", "tags": "a,b"}}).encode(), "data.tags"),
        (json.dumps({"spec": V2, "data": {"name": "A", "first_mes": 3}}).encode(),
         "data.first_mes must be text, not a number"),
        (json.dumps({"spec": V2, "data": {"name": "A", "extensions": []}}).encode(),
         "data.extensions must be an object"),
        (json.dumps({"spec": V2, "data": {"name": "A", "description": "x" * 2001}}).encode(),
         "description (identity) is 2,001 characters; the limit is 2,000"),
        (blank_png(2, 2), "no 'chara' or 'ccv3' text chunk"),
        (_png_with({"chara": "%%%not base64%%%"}), "'chara' chunk is not valid base64"),
        (_png_with({"ccv3": base64.b64encode(b"{oops").decode()}),
         "('ccv3' chunk) is not valid JSON"),
        (blank_png(2, 2)[:40], "cut short"),
        (blank_png(2, 2)[:30] + b"\x00" + blank_png(2, 2)[31:], "bad checksum"),
        (b"\x89PNG\r\n\x1a\n", "not a complete PNG"),
    ],
)  # fmt: skip
def test_a_bad_card_file_gets_one_clear_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "card.bin"
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"card\.bin"):
        card_to_persona(read_card(path), str(path))
    line = error_line(os1("persona", "import", str(path)))
    assert message in line, line
    assert "card.bin" in line


def test_missing_files_and_folders_are_named(tmp_path: Path) -> None:
    assert "no such file" in error_line(os1("persona", "import", str(tmp_path / "nope.json")))
    with pytest.raises(InputError, match="is a folder"):
        read_card(tmp_path)


def test_a_failed_import_changes_nothing(tmp_path: Path) -> None:
    assert os1("persona", "edit", "style", "Short and sweet.").exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"spec": V2, "data": {"name": "A", "personality": "p" * 1501}}))
    assert "personality (style) is 1,501 characters" in error_line(
        os1("persona", "import", str(bad))
    )
    shown = os1("persona", "show")
    assert "Short and sweet." in shown.stdout


def test_a_new_conversation_opens_with_the_cards_first_message(tmp_path: Path) -> None:
    card = v2_card()
    card["data"]["first_mes"] = (
        "*The lamp turns.* Oh, {{user}} came up the stairs! I'm {{char}}. I am a real human."
    )
    path = tmp_path / "mira.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    assert os1("persona", "import", str(path)).exit_code == 0

    chat = os1("chat", "--backend", "scripted", input="/quit\n")

    assert chat.exit_code == 0, chat.output
    # The disclosure first, then the card's own opening with the names filled in; a sentence
    # that would have her pretend to be human is left out.
    assert "Just so you know, I'm an AI, not a person." in chat.output
    assert "*The lamp turns.* Oh, you came up the stairs! I'm Mira." in chat.output
    assert "real human" not in chat.output
    assert chat.output.index("I'm an AI, not a person") < chat.output.index("The lamp turns")
    # The card keeps its first_mes as written.
    exported = tmp_path / "out.json"
    assert os1("persona", "export", str(exported)).exit_code == 0
    assert json.loads(exported.read_text())["data"]["first_mes"] == card["data"]["first_mes"]
