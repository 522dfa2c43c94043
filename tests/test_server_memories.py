"""Memories over REST: list, search, show, correct, forget; only ever your own."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Person, ServerHarness, error_of
from os1.config import Settings
from os1.server import memories


@pytest.fixture
def remembering(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> ServerHarness:
    """A server whose companion remembers (needs the memory extra)."""
    return make_server(server_settings, memory=True)


def talk(server: ServerHarness, who: Person, *lines: str) -> None:
    for line in lines:
        response = server.client.post(
            f"/api/conversations/{who.conversation.id}/messages",
            headers=who.headers,
            json={"text": line},
        )
        assert response.status_code == 201
    server.run(server.companion.drain)  # remembering happens after the reply, off its path


def test_memories_are_listed_searched_shown_edited_and_forgotten(
    remembering: ServerHarness,
) -> None:
    theo = remembering.person("Theo")
    talk(remembering, theo, "My sister Maya moved to Lisbon last spring.", "I love pottery.")
    client = remembering.client
    assert "memories" in client.get("/api/me", headers=theo.headers).json()["features"]
    listed = client.get("/api/memories", headers=theo.headers).json()
    assert listed["counts"]["episode"] >= 2
    texts = [m["text"] for m in listed["memories"]]
    assert any("Lisbon" in t for t in texts)

    found = client.get("/api/memories/search", headers=theo.headers,
                       params={"q": "where does my sister live"}).json()["memories"]  # fmt: skip
    assert "Lisbon" in found[0]["text"]
    assert found[0]["score"] > 0
    memory_id = found[0]["id"]

    shown = client.get(f"/api/memories/{memory_id}", headers=theo.headers).json()
    assert shown["memory"]["id"] == memory_id
    assert any("Lisbon" in s["content"] for s in shown["sources"])

    change = {"text": "My sister Maya lives in Porto.", "importance": 1}
    edited = client.patch(f"/api/memories/{memory_id}", headers=theo.headers, json=change)
    assert edited.status_code == 200
    assert (edited.json()["text"], edited.json()["importance"]) == (
        "My sister Maya lives in Porto.", 1.0)  # fmt: skip
    again = client.get("/api/memories/search", headers=theo.headers,
                       params={"q": "Porto"}).json()["memories"]  # fmt: skip
    assert again[0]["id"] == memory_id

    forgotten = client.delete(f"/api/memories/{memory_id}", headers=theo.headers)
    assert forgotten.json() == {"forgotten": 1}
    assert client.get(f"/api/memories/{memory_id}", headers=theo.headers).status_code == 404
    assert client.delete(f"/api/memories/{memory_id}", headers=theo.headers).status_code == 404
    after = client.get("/api/memories/search", headers=theo.headers,
                       params={"q": "Porto"}).json()["memories"]  # fmt: skip
    assert memory_id not in [m["id"] for m in after]


def test_nobody_reaches_anothers_memories(remembering: ServerHarness) -> None:
    alice, bob = remembering.person("Alice"), remembering.person("Bob")
    talk(remembering, bob, "My bank PIN hint is the blue door.")
    bob_memories = remembering.client.get("/api/memories", headers=bob.headers).json()
    bob_id = bob_memories["memories"][0]["id"]
    bodies = {"edit_memory": {"text": "changed"}}
    for endpoint in memories.endpoints():
        path = endpoint.path.format(memory_id=bob_id)
        params = {"q": "blue door"} if endpoint.operation_id == "search_memories" else None
        response = remembering.client.request(
            endpoint.method, path, headers=alice.headers, params=params,
            json=bodies.get(endpoint.operation_id),
        )  # fmt: skip
        if "{" in endpoint.path:
            assert response.status_code == 404, endpoint.operation_id
            error_of(response)
        else:
            assert response.is_success, response.text
            assert "blue door" not in response.text
            assert bob_id not in response.text
    assert remembering.client.get("/api/memories", headers=bob.headers).json() == bob_memories


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_field"),
        ({"importance": 2}, "invalid_value"),
        ({"importance": "high"}, "wrong_type"),
        ({"past": "yes"}, "wrong_type"),
        ({"text": "x", "why": "because"}, "unknown_field"),
    ],
)
def test_bad_memory_edits_are_refused(
    remembering: ServerHarness, body: dict[str, object], code: str
) -> None:
    theo = remembering.person("Theo")
    talk(remembering, theo, "I grow tomatoes on my balcony.")
    memory_id = remembering.client.get("/api/memories", headers=theo.headers).json()["memories"][0]
    response = remembering.client.patch(
        f"/api/memories/{memory_id['id']}", headers=theo.headers, json=body
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == code


def test_without_memory_there_are_no_memory_routes(server: ServerHarness) -> None:
    theo = server.person("Theo")
    assert "memories" not in server.client.get("/api/me", headers=theo.headers).json()["features"]
    assert server.client.get("/api/memories", headers=theo.headers).status_code == 404
    assert "/api/memories" not in server.client.get("/api/openapi.json").json()["paths"]
