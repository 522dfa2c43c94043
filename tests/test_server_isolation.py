"""Two users, every route: nobody reads or changes another's data; bad input never writes.

The route lists come from the app itself, so a new endpoint without a rule here fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from conftest import Person, ServerHarness, error_of
from os1.config import Settings
from os1.server import api, openai_compat
from os1.server.openapi import Endpoint

ALL_ENDPOINTS = [*api.endpoints(), *openai_compat.endpoints()]


def _bodies(alice: Person, bob: Person) -> dict[str, Any]:
    """A valid body for each endpoint that takes one, aimed at Bob's things where it can be."""
    return {
        "login": {"key": alice.key},
        "update_me": {"name": "Alice B."},
        "create_key": {"label": "mine"},
        "create_companion": {"name": "Nova"},
        "update_companion": {"name": "Stolen"},
        "create_conversation": {"companion_id": bob.companion.id},
        "update_conversation": {"title": "Stolen"},
        "send_message": {"text": "I am in your conversation"},
        "chat_completions": {
            "model": bob.companion.id,
            "messages": [{"role": "user", "content": "hello?"}],
        },
    }


def _path(endpoint: Endpoint, bob: Person, bob_key_id: str) -> str:
    return endpoint.path.format(
        conversation_id=bob.conversation.id, companion_id=bob.companion.id, key_id=bob_key_id
    )


def _snapshot(server: ServerHarness, person: Person) -> str:
    exported = server.run(server.store.export_user, person.user.id)
    keys = server.run(server.store.api_keys, person.user.id)
    return json.dumps([exported, [(k.id, k.revoked_at) for k in keys]], default=str)


def test_no_route_lets_one_user_reach_anothers_data(server: ServerHarness) -> None:
    alice, bob = server.person("Alice"), server.person("Bob")
    bob_talks = f"/api/conversations/{bob.conversation.id}/messages"
    server.client.post(bob_talks, headers=bob.headers, json={"text": "my secret: blue door"})
    bob_key_id = server.run(server.store.api_keys, bob.user.id)[0].id
    before = _snapshot(server, bob)
    bodies = _bodies(alice, bob)
    bob_marks = [bob.user.id, bob.companion.id, bob.conversation.id, bob_key_id, "blue door"]

    checked = set()
    for endpoint in ALL_ENDPOINTS:
        name = endpoint.operation_id
        if endpoint.path in ("/api/health", "/api/session"):
            checked.add(name)  # no user data behind these
            continue
        headers = dict(alice.headers)
        if name == "chat_completions":
            headers["X-OS1-Conversation"] = bob.conversation.id
        body = bodies.get(name)
        needs_body = endpoint.body is not None or endpoint.body_schema is not None
        assert (body is not None) == needs_body, f"add a sample body for {name}"
        response = server.client.request(
            endpoint.method, _path(endpoint, bob, bob_key_id), headers=headers, json=body
        )
        if "{" in endpoint.path or name in ("create_conversation", "chat_completions"):
            assert response.status_code == 404, (name, response.text)
            error_of(response)
        else:
            assert response.is_success, (name, response.text)
            for mark in bob_marks:
                assert mark not in response.text, (name, mark)
        checked.add(name)

    assert checked == {e.operation_id for e in ALL_ENDPOINTS}
    # Asking for Bob's model by its listed name finds only Alice's own companions.
    named = server.client.post(
        "/v1/chat/completions",
        headers=alice.headers,
        json={"model": bob.companion.name, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert named.status_code == 404
    assert _snapshot(server, bob) == before


def test_the_same_alias_names_different_conversations_per_user(server: ServerHarness) -> None:
    alice, bob = server.person("Alice"), server.person("Bob")
    for who in (alice, bob):
        server.client.post(
            "/v1/chat/completions",
            headers=who.headers,
            json={"model": who.companion.name, "user": "tavern",
                  "messages": [{"role": "user", "content": f"I am {who.user.name}"}]},
        )  # fmt: skip
    for who in (alice, bob):
        listed = server.client.get("/api/conversations", headers=who.headers).json()
        tavern = [c for c in listed["conversations"] if c["title"] == "tavern"]
        assert len(tavern) == 1
        messages = server.client.get(
            f"/api/conversations/{tavern[0]['id']}/messages", headers=who.headers
        ).json()["messages"]
        assert [m["content"] for m in messages][:1] == [f"I am {who.user.name}"]


@pytest.fixture
def tight(make_server: Callable[..., ServerHarness], server_settings: Settings) -> ServerHarness:
    return make_server(server_settings.replace(max_request_bytes=4096))


def _bad_inputs(endpoint: Endpoint) -> list[tuple[str, dict[str, str], bytes, int]]:
    """(what, headers, raw body, expected status) for one endpoint that takes a body."""
    as_json = {"Content-Type": "application/json"}
    strict = endpoint.body is not None
    cases = [
        ("malformed JSON", as_json, b'{"text": "hi",', 400),
        ("not UTF-8", as_json, b'{"text": "\xff\xfe"}', 400),
        ("NaN", as_json, b'{"text": NaN}', 400),
        ("form post", {"Content-Type": "application/x-www-form-urlencoded"}, b"text=hi", 415),
        ("text/plain", {"Content-Type": "text/plain"}, b'{"text": "hi"}', 415),
        ("oversized", as_json, b'{"text": "' + b"x" * 5000 + b'"}', 413),
        ("an array", as_json, b"[1, 2]", 422 if strict else 400),
        ("null", as_json, b"null", 422 if strict else 400),
        ("deep nesting", as_json, b"[" * 2000 + b"]" * 2000, 400),
    ]
    if strict:
        first = next(iter(endpoint.body.__dataclass_fields__))  # type: ignore[union-attr]
        cases += [
            ("unknown field", as_json, b'{"surprise": 1}', 422),
            ("wrong type", as_json, json.dumps({first: 12}).encode(), 422),
            ("bool for text", as_json, json.dumps({first: True}).encode(), 422),
        ]
    return cases


def test_bad_bodies_get_clear_4xx_and_write_nothing(tight: ServerHarness) -> None:
    alice = tight.person("Alice")
    before = tight.run(tight.store.stats)
    keys_before = len(tight.run(tight.store.api_keys, alice.user.id))
    tried = 0
    for endpoint in ALL_ENDPOINTS:
        if endpoint.body is None and endpoint.body_schema is None:
            continue
        path = endpoint.path.format(
            conversation_id=alice.conversation.id, companion_id=alice.companion.id, key_id="x"
        )
        for what, headers, raw, status in _bad_inputs(endpoint):
            response = tight.client.request(
                endpoint.method, path, headers={**alice.headers, **headers}, content=raw
            )
            assert response.status_code == status, (endpoint.operation_id, what, response.text)
            error_of(response)
            tried += 1
    assert tried > 50
    assert tight.run(tight.store.stats) == before
    assert len(tight.run(tight.store.api_keys, alice.user.id)) == keys_before


def test_a_message_of_only_control_characters_is_refused_and_not_stored(
    server: ServerHarness,
) -> None:
    alice = server.person("Alice")
    path = f"/api/conversations/{alice.conversation.id}/messages"
    response = server.client.post(path, headers=alice.headers, json={"text": "\x00\x01 \x02"})
    assert response.status_code == 422
    assert "empty" in error_of(response)["message"]
    assert server.client.get(path, headers=alice.headers).json()["messages"] == []
