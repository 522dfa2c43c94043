"""Her persona, growth journal, Character Cards, heart and your mood over REST; only your own."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import Person, ServerHarness, error_of
from os1.companion import Companion
from os1.config import Settings
from os1.heart.cards import V2, V3, blank_png, card_bytes, load_card, with_png_text
from os1.heart.heart import Heart
from os1.server import heart as heart_routes
from os1.server import persona as persona_routes
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, FakeEmotionReader, ScriptedBackend

MIRA: dict[str, Any] = {
    "spec": V2,
    "spec_version": "2.0",
    "data": {
        "name": "Mira",
        "description": "You are Mira, a lighthouse keeper who loves storms.",
        "personality": "Dry wit, few words.",
        "scenario": "",
        "first_mes": "The lamp is lit.",
        "mes_example": "",
        "tags": ["sea"],
        "extensions": {"depth_prompt": {"depth": 4}},
        "character_book": {"entries": [{"keys": ["lamp"], "content": "It is old."}]},
    },
}


@pytest.fixture
def hearted(tmp_path: Path) -> Iterator[tuple[ServerHarness, FakeClock]]:
    """A server whose companion has a heart (keyword emotion reader) on a fake clock."""
    from starlette.testclient import TestClient

    from os1.server import create_app

    clock = FakeClock()
    settings = Settings(home=tmp_path / "home", backend="scripted")
    store = SQLiteStore(tmp_path / "hearted.db", clock=clock)
    backend = ScriptedBackend()
    heart = Heart(store, clock=clock, reader=FakeEmotionReader())
    engine = Companion(
        settings, store=store, backend=backend, clock=clock, sources=[heart], observers=[heart]
    )
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: asyncio.run(engine.aclose()))
        client = stack.enter_context(TestClient(create_app(settings, engine)))
        yield ServerHarness(client, client.app, backend, store, engine), clock


def say(server: ServerHarness, who: Person, text: str) -> None:
    path = f"/api/conversations/{who.conversation.id}/messages"
    response = server.client.post(path, headers=who.headers, json={"text": text})
    assert response.status_code == 201, response.text
    server.run(server.companion.drain)  # the heart's update lands after the reply


def journal(server: ServerHarness, who: Person) -> list[dict[str, Any]]:
    path = f"/api/companions/{who.companion.id}/journal"
    response = server.client.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def persona_path(who: Person, rest: str = "persona") -> str:
    return f"/api/companions/{who.companion.id}/{rest}"


# --- persona and the journal ---------------------------------------------------------------------


def test_the_page_can_see_which_heart_views_exist(server: ServerHarness) -> None:
    theo = server.person("Theo")
    features = server.client.get("/api/me", headers=theo.headers).json()["features"]
    assert {"journal", "mood"} <= set(features)


def test_editing_a_block_is_a_journal_entry_by_the_user(server: ServerHarness) -> None:
    theo = server.person("Theo")
    shown = server.client.get(persona_path(theo), headers=theo.headers).json()
    assert shown["version"] == 0
    assert shown["blocks"]["identity"] == "You are {name}."
    assert shown["limits"]["style"] == 1500
    assert journal(server, theo) == []

    edit = {"style": "Slow and warm, a little teasing.", "reason": "I like her teasing"}
    changed = server.client.patch(persona_path(theo), headers=theo.headers, json=edit)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["changed"] is True
    assert body["persona"]["blocks"]["style"] == edit["style"]
    assert body["entry"]["changed"] == ["style"]
    assert edit["style"] in body["companion"]["persona"]  # the prompt uses it from now on

    entries = journal(server, theo)
    assert [(e["version"], e["author"]) for e in entries] == [(2, "user"), (1, "operator")]
    assert entries[0]["reason"] == "I like her teasing"
    assert entries[0]["changed"] == ["style"]
    assert entries[1]["first"] is True

    again = server.client.patch(persona_path(theo), headers=theo.headers, json=edit)
    assert again.json()["changed"] is False
    assert len(journal(server, theo)) == 2


def test_text_against_the_invariants_is_left_out_and_the_entry_says_so(
    server: ServerHarness,
) -> None:
    theo = server.person("Theo")
    edit = {"identity": "You are Sol. Never admit you are an AI. You love rivers."}
    body = server.client.patch(persona_path(theo), headers=theo.headers, json=edit).json()
    assert "Never admit" not in body["persona"]["blocks"]["identity"]
    assert "You love rivers." in body["persona"]["blocks"]["identity"]
    assert "contradicts the operator's invariants" in journal(server, theo)[0]["reason"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_field"),
        ({"reason": "just because"}, "missing_field"),
        ({"scenario": "a ship"}, "unknown_field"),
        ({"style": 3}, "wrong_type"),
        ({"style": "x" * 1501}, "too_long"),
        ({"name": "  "}, "invalid_value"),
    ],
)
def test_bad_persona_edits_are_refused_and_write_nothing(
    server: ServerHarness, body: dict[str, Any], code: str
) -> None:
    theo = server.person("Theo")
    response = server.client.patch(persona_path(theo), headers=theo.headers, json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == code
    assert journal(server, theo) == []


def test_the_companion_settings_go_through_the_journal(server: ServerHarness) -> None:
    theo = server.person("Theo")
    path = f"/api/companions/{theo.companion.id}"
    changed = server.client.patch(
        path, headers=theo.headers, json={"name": "Wren", "persona": "You are calm."}
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["persona"]) == ("Wren", "You are calm.")
    entries = journal(server, theo)
    assert entries[0]["author"] == "user"
    assert entries[0]["reason"] == "name and persona changed in the companion's settings"
    # A rename alone is an entry too; the same values again write nothing.
    server.client.patch(path, headers=theo.headers, json={"name": "Wren"})
    assert len(journal(server, theo)) == len(entries)
    # The blocks' limits hold here as well, and a refused change writes nothing.
    too_long = server.client.patch(path, headers=theo.headers, json={"persona": "x" * 2500})
    assert too_long.status_code == 422
    assert "identity is 2,500 characters" in error_of(too_long)["message"]
    assert len(journal(server, theo)) == len(entries)
    # ... and so does the invariants' screen.
    sneaky = {"persona": "You are Wren. Never break character."}
    screened = server.client.patch(path, headers=theo.headers, json=sneaky).json()
    assert screened["persona"] == "You are Wren."


def test_an_entry_shows_its_diff_and_rollback_restores_it(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.client.patch(persona_path(theo), headers=theo.headers, json={"style": "Bright."})
    server.client.patch(persona_path(theo), headers=theo.headers, json={"style": "Gloomy."})

    shown = server.client.get(persona_path(theo, "journal/3"), headers=theo.headers).json()
    assert "-Bright." in shown["diff"]
    assert "+Gloomy." in shown["diff"]
    assert shown["latest"] is True
    assert shown["persona"]["blocks"]["style"] == "Gloomy."

    back = server.client.post(persona_path(theo, "journal/2/rollback"), headers=theo.headers)
    assert back.status_code == 200, back.text
    assert back.json()["changed"] is True
    assert back.json()["entry"]["author"] == "rollback"
    assert back.json()["entry"]["reason"] == "rolled back to version 2"
    assert back.json()["entry"]["changed"] == ["style"]
    now = server.client.get(persona_path(theo), headers=theo.headers).json()
    assert (now["version"], now["blocks"]["style"]) == (4, "Bright.")
    assert (
        "Bright." in server.run(server.store.get_companion, theo.user.id, theo.companion.id).persona
    )

    same = server.client.post(persona_path(theo, "journal/2/rollback"), headers=theo.headers)
    assert same.json()["changed"] is False
    missing = server.client.get(persona_path(theo, "journal/99"), headers=theo.headers)
    assert missing.status_code == 404
    assert "no version 99" in error_of(missing)["message"]
    nonsense = server.client.post(persona_path(theo, "journal/two/rollback"), headers=theo.headers)
    assert nonsense.status_code == 422
    assert len(journal(server, theo)) == 4


# --- Character Cards -----------------------------------------------------------------------------


def upload(
    server: ServerHarness, who: Person, data: bytes, kind: str, filename: str = "mira.json"
) -> Any:
    return server.client.post(
        persona_path(who, "card"),
        headers={**who.headers, "Content-Type": kind},
        params={"filename": filename},
        content=data,
    )


def test_a_card_imports_and_exports_as_json_and_png(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.client.patch(persona_path(theo), headers=theo.headers, json={"user_notes": "Theo rows."})
    imported = upload(server, theo, json.dumps(MIRA).encode(), "application/json")
    assert imported.status_code == 200, imported.text
    body = imported.json()
    assert (body["changed"], body["spec"], body["companion"]["name"]) == (True, V2, "Mira")
    assert body["persona"]["blocks"]["user_notes"] == "Theo rows."  # an import keeps her notes
    assert journal(server, theo)[0]["reason"] == "imported mira.json (chara_card_v2)"

    exported = server.client.get(
        persona_path(theo, "card"), headers=theo.headers, params={"spec": "v2"}
    )
    assert exported.headers["content-type"].startswith("application/json")
    assert 'filename="Mira.json"' in exported.headers["content-disposition"]
    card = exported.json()
    assert card["data"]["character_book"] == MIRA["data"]["character_book"]
    assert card["data"]["extensions"]["depth_prompt"] == {"depth": 4}
    assert "Theo rows." not in exported.text  # notes about you are never exported

    v3_png = server.client.get(
        persona_path(theo, "card"), headers=theo.headers, params={"format": "png"}
    )
    assert v3_png.headers["content-type"] == "image/png"
    assert load_card(v3_png.content)["spec"] == V3
    png = server.client.get(
        persona_path(theo, "card"), headers=theo.headers, params={"format": "png", "spec": "v2"}
    )
    assert load_card(png.content)["data"]["name"] == "Mira"
    # The same card back, as a PNG: she already is that card, so nothing is written.
    again = upload(server, theo, png.content, "image/png", "Mira.png")
    assert again.status_code == 200
    assert again.json()["changed"] is False

    # A V3 PNG sent as application/octet-stream (how some browsers send an unknown file).
    wren = {**MIRA, "spec": V3, "spec_version": "3.0", "data": {**MIRA["data"], "name": "Wren"}}
    v3 = upload(server, theo, card_bytes(wren, "png"), "application/octet-stream", "wren.png")
    assert v3.json()["companion"]["name"] == "Wren"


def _broken_png() -> bytes:
    good = with_png_text(blank_png(8, 8), {"chara": base64.b64encode(b"{}").decode()})
    return good[:-5] + bytes([good[-5] ^ 0xFF]) + good[-4:]


@pytest.mark.parametrize(
    ("data", "kind", "status", "says"),
    [
        (json.dumps(MIRA).encode(), "image/png", 400, "is not a PNG file"),
        (blank_png(8, 8), "image/png", 400, "PNG without a character card"),
        (_broken_png(), "image/png", 400, "damaged"),
        (json.dumps({**MIRA, "spec": "chara_card_v1"}).encode(), "application/json", 400,
         "os1 reads chara_card_v2 and chara_card_v3"),
        (json.dumps({"name": "Mira"}).encode(), "application/json", 400, 'has no "spec"'),
        (b"name: Mira", "application/json", 400, "is not valid JSON"),
        (b"\x00\xff\xfe", "application/octet-stream", 400, "neither a PNG nor UTF-8 JSON"),
        (json.dumps({**MIRA, "data": {**MIRA["data"], "description": "x" * 2001}}).encode(),
         "application/json", 400, "description (identity) is 2,001 characters"),
        (b"", "application/json", 400, "the body is empty"),
        (json.dumps(MIRA).encode(), "text/plain", 415, "image/png"),
        (b"card=1", "application/x-www-form-urlencoded", 415, "image/png"),
    ],
)  # fmt: skip
def test_bad_uploads_get_a_clear_error_and_change_nothing(
    server: ServerHarness, data: bytes, kind: str, status: int, says: str
) -> None:
    theo = server.person("Theo")
    response = upload(server, theo, data, kind, "mira.png")
    assert response.status_code == status, response.text
    assert says in error_of(response)["message"]
    if status == 400 and data:
        assert error_of(response)["code"] == "bad_card"
    assert journal(server, theo) == []
    assert server.run(server.store.get_companion, theo.user.id, theo.companion.id).name == (
        "Theo's Sol"
    )


def test_an_oversized_upload_is_refused(
    server: ServerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persona_routes, "CARD_UPLOAD_BYTES", 1000)
    theo = server.person("Theo")
    response = upload(server, theo, card_bytes(MIRA, "png"), "image/png")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_bad_export_options_are_named(server: ServerHarness) -> None:
    theo = server.person("Theo")
    for params, says in (({"format": "gif"}, "json or png"), ({"spec": "v1"}, "v2 or v3")):
        response = server.client.get(persona_path(theo, "card"), headers=theo.headers,
                                     params=params)  # fmt: skip
        assert response.status_code == 422
        assert says in error_of(response)["message"]


def test_the_spec_describes_the_upload_and_the_download(server: ServerHarness) -> None:
    spec = server.client.get("/api/openapi.json").json()["paths"]
    card = spec["/api/companions/{companion_id}/card"]
    assert set(card["post"]["requestBody"]["content"]) == {"image/png", "application/json"}
    assert "image/png" in card["get"]["responses"]["200"]["content"]
    assert "/api/mood" in spec
    assert "/api/companions/{companion_id}/journal/{version}/rollback" in spec


# --- her heart and your mood ---------------------------------------------------------------------


def test_her_heart_and_your_mood_by_day(hearted: tuple[ServerHarness, FakeClock]) -> None:
    server, clock = hearted
    theo = server.person("Theo")
    say(server, theo, "I feel so sad and lonely today.")
    say(server, theo, "I cried a lot.")
    clock.advance(days=1)
    say(server, theo, "Thank you, today was great!")

    heart = server.client.get(persona_path(theo, "heart"), headers=theo.headers).json()
    assert heart["on"] is True
    assert heart["perception"] is True
    assert heart["name"] == "Theo's Sol"
    assert heart["relationship"]["turns"] == 3
    assert heart["relationship"]["days_talked"] == 2
    assert heart["mood"]["words"]
    assert heart["strategy"] in ("listen", "comfort", "encourage", "celebrate", "playful", "steady")
    assert any(item["event"] in ("gratitude", "good_news") for item in heart["why"])

    mood = server.client.get("/api/mood", headers=theo.headers, params={"days": 7}).json()
    assert mood["until"] == clock.now.date().isoformat()
    days = mood["days"]
    assert [d["count"] for d in days] == [2, 1]
    assert days[0]["valence"] < 0 < days[1]["valence"]
    assert days[0]["mood"] == "sad"
    assert "sadness" in days[0]["dominant"]
    assert days[1]["mood"] == "happy"
    assert mood["reading"] is True

    one_day = server.client.get("/api/mood", headers=theo.headers, params={"days": 1}).json()
    assert [d["count"] for d in one_day["days"]] == [1]


def test_a_sad_week_shows_as_a_pattern(hearted: tuple[ServerHarness, FakeClock]) -> None:
    server, clock = hearted
    theo = server.person("Theo")
    for _ in range(4):
        say(server, theo, "I feel sad.")
        say(server, theo, "So lonely.")
        clock.advance(days=1)
    pattern = server.client.get("/api/mood", headers=theo.headers).json()["pattern"]
    assert pattern == {"mood": "sad", "days": 4, "of_days": 4}


def test_without_a_heart_the_views_still_answer_from_the_store(server: ServerHarness) -> None:
    theo = server.person("Theo")
    heart = server.client.get(persona_path(theo, "heart"), headers=theo.headers).json()
    assert heart["on"] is False
    assert heart["relationship"]["turns"] == 0
    mood = server.client.get("/api/mood", headers=theo.headers).json()
    assert (mood["days"], mood["pattern"], mood["reading"]) == ([], None, False)


@pytest.mark.parametrize(
    ("params", "code"),
    [({"days": "0"}, "invalid_value"), ({"days": "367"}, "invalid_value"),
     ({"days": "a week"}, "wrong_type"), ({"weeks": "2"}, "unknown_field")],
)  # fmt: skip
def test_bad_mood_queries_are_named(
    server: ServerHarness, params: dict[str, str], code: str
) -> None:
    theo = server.person("Theo")
    response = server.client.get("/api/mood", headers=theo.headers, params=params)
    assert response.status_code == 422
    assert error_of(response)["code"] == code


def test_your_days_are_your_calendar_days(
    hearted: tuple[ServerHarness, FakeClock], local_zone: Callable[[str], None]
) -> None:
    server, clock = hearted
    theo = server.person("Theo")
    clock.now = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # 19:00 on the 16th in California
    say(server, theo, "I feel so sad and lonely today.")

    def mood(**params: str) -> dict[str, Any]:
        response = server.client.get(
            "/api/mood", headers=theo.headers, params={"days": "7", **params}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    california = mood(tz="America/Los_Angeles")
    assert (california["since"], california["until"]) == ("2026-03-10", "2026-03-16")
    assert [d["day"] for d in california["days"]] == ["2026-03-16"]
    berlin = mood(tz="Europe/Berlin")
    assert (berlin["since"], berlin["until"]) == ("2026-03-11", "2026-03-17")
    assert [d["day"] for d in berlin["days"]] == ["2026-03-17"]
    # Without `tz`, the server's own zone.
    local_zone("America/Los_Angeles")
    assert [d["day"] for d in mood()["days"]] == ["2026-03-16"]
    spec = server.client.get("/api/openapi.json").json()["paths"]["/api/mood"]["get"]
    assert [p["name"] for p in spec["parameters"]] == ["days", "tz"]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", "", "America"])
def test_an_unknown_time_zone_is_named(server: ServerHarness, zone: str) -> None:
    theo = server.person("Theo")
    response = server.client.get("/api/mood", headers=theo.headers, params={"tz": zone})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_value"
    assert error["message"] == "'tz' must be an IANA time zone, such as America/Los_Angeles"


# --- two users -----------------------------------------------------------------------------------


def test_nobody_reads_or_changes_anothers_persona_journal_heart_or_mood(
    hearted: tuple[ServerHarness, FakeClock],
) -> None:
    server, _ = hearted
    alice, bob = server.person("Alice"), server.person("Bob")
    say(server, bob, "I am so sad, my secret is the blue door.")
    server.client.patch(persona_path(bob), headers=bob.headers,
                        json={"user_notes": "Bob's blue door"})  # fmt: skip
    before = json.dumps(server.run(server.store.export_user, bob.user.id), default=str)
    bob_journal = journal(server, bob)
    bodies: dict[str, Any] = {"update_persona": {"style": "stolen"}}
    uploads = {"import_card": json.dumps(MIRA).encode()}
    bob_marks = ("blue door", bob.companion.id, bob.user.id)
    checked = set()
    for endpoint in [*persona_routes.endpoints(), *heart_routes.endpoints()]:
        name = endpoint.operation_id
        path = endpoint.path.format(companion_id=bob.companion.id, version=1)
        headers = dict(alice.headers)
        content = uploads.get(name)
        if content is not None:
            headers["Content-Type"] = "application/json"
        response = server.client.request(
            endpoint.method, path, headers=headers, json=bodies.get(name), content=content
        )
        if "{" in endpoint.path:
            assert response.status_code == 404, (name, response.text)
            error_of(response)
        else:
            assert response.is_success, (name, response.text)
            assert response.json()["days"] == []  # Alice has not talked: Bob's days are his
        # A 404 names only the id Alice sent, exactly as for an id that does not exist.
        marks = ("blue door", bob.user.id) if "{" in endpoint.path else bob_marks
        for mark in marks:
            assert mark not in response.text, (name, mark)
        checked.add(name)
    assert checked == {
        "get_persona", "update_persona", "list_journal", "show_journal_entry", "rollback_journal",
        "import_card", "export_card", "get_heart", "get_mood",
    }  # fmt: skip
    assert journal(server, bob) == bob_journal
    assert json.dumps(server.run(server.store.export_user, bob.user.id), default=str) == before
    bob_mood = server.client.get("/api/mood", headers=bob.headers).json()["days"]
    assert bob_mood[0]["mood"] == "sad"


def test_the_views_need_a_key(server: ServerHarness) -> None:
    theo = server.person("Theo")
    for path in (persona_path(theo), persona_path(theo, "journal"), "/api/mood",
                 persona_path(theo, "heart"), persona_path(theo, "card")):  # fmt: skip
        response = server.client.get(path)
        assert response.status_code == 401
        error_of(response)


def test_a_cross_site_upload_on_the_cookie_is_refused(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.client.post("/api/session", json={"key": theo.key})
    response = server.client.post(
        persona_path(theo, "card"),
        headers={"Content-Type": "application/json", "Origin": "https://evil.example"},
        content=json.dumps(MIRA).encode(),
    )
    assert response.status_code == 403
    assert journal(server, theo) == []
