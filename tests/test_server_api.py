"""The REST API in-process: sessions, keys, companions, conversations, messages, limits, spec."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from conftest import PausingBackend, ServerHarness, error_of
from os1.config import Settings


def test_health_needs_no_key(server: ServerHarness) -> None:
    response = server.client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_every_api_route_needs_a_key(server: ServerHarness) -> None:
    response = server.client.get("/api/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    bad = server.client.get("/api/me", headers={"Authorization": "Bearer os1_not-a-key"})
    assert bad.status_code == 401
    basic = server.client.get("/api/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


def test_me_and_rename(server: ServerHarness) -> None:
    theo = server.person("Theo")
    me = server.client.get("/api/me", headers=theo.headers).json()
    assert me["id"] == theo.user.id
    assert me["name"] == "Theo"
    assert me["features"] == ["journal", "mood"]  # the SQLite store keeps both
    renamed = server.client.patch("/api/me", headers=theo.headers, json={"name": " Theodore "})
    assert renamed.json()["name"] == "Theodore"
    assert server.run(server.store.get_user, theo.user.id).name == "Theodore"


def test_companions_create_update_and_default_persona(server: ServerHarness) -> None:
    theo = server.person("Theo")
    created = server.client.post("/api/companions", headers=theo.headers, json={"name": "Ava"})
    assert created.status_code == 201
    ava = created.json()
    assert "{name}" in ava["persona"]  # the default persona, filled in per prompt
    listed = server.client.get("/api/companions", headers=theo.headers).json()["companions"]
    assert [c["name"] for c in listed] == ["Theo's Sol", "Ava"]
    path = f"/api/companions/{ava['id']}"
    changed = server.client.patch(path, headers=theo.headers, json={"persona": "You are calm."})
    assert changed.json()["persona"] == "You are calm."
    assert changed.json()["name"] == "Ava"
    empty = server.client.patch(path, headers=theo.headers, json={})
    assert empty.status_code == 422
    assert server.client.get(path, headers=theo.headers).json()["persona"] == "You are calm."


def test_conversations_start_list_and_retitle(server: ServerHarness) -> None:
    theo = server.person("Theo")
    started = server.client.post("/api/conversations", headers=theo.headers, json={})
    assert started.status_code == 201
    new = started.json()
    assert new["companion_id"] == theo.companion.id  # the first companion by default
    listed = server.client.get("/api/conversations", headers=theo.headers).json()
    assert {c["id"] for c in listed["conversations"]} == {new["id"], theo.conversation.id}
    path = f"/api/conversations/{new['id']}"
    retitled = server.client.patch(path, headers=theo.headers, json={"title": "Rivers"})
    assert retitled.json()["title"] == "Rivers"
    assert server.client.get(path, headers=theo.headers).json()["title"] == "Rivers"
    only = server.client.get(
        "/api/conversations", headers=theo.headers, params={"companion_id": "cmp_nope"}
    )
    assert only.json()["conversations"] == []


def test_send_waits_for_the_whole_reply_and_stores_it(server: ServerHarness) -> None:
    theo = server.person("Theo")
    path = f"/api/conversations/{theo.conversation.id}/messages"
    sent = server.client.post(path, headers=theo.headers, json={"text": "Hello there"})
    assert sent.status_code == 201
    body = sent.json()
    assert body["user_message"]["seq"] == 1
    assert body["reply"] == {**body["reply"], "seq": 2, "content": "You said: Hello there",
                             "status": "complete"}  # fmt: skip
    listed = server.client.get(path, headers=theo.headers).json()["messages"]
    assert [(m["seq"], m["role"]) for m in listed] == [(1, "user"), (2, "assistant")]
    assert "notes" not in listed[0]  # the prompt's per-turn notes stay inside


def test_send_with_the_same_idempotency_key_stores_once(server: ServerHarness) -> None:
    theo = server.person("Theo")
    path = f"/api/conversations/{theo.conversation.id}/messages"
    body = {"text": "Only once", "idempotency_key": "k-1"}
    first = server.client.post(path, headers=theo.headers, json=body).json()
    again = server.client.post(path, headers=theo.headers, json=body).json()
    assert again["replayed"] is True
    assert again["reply"]["id"] == first["reply"]["id"]
    assert len(server.client.get(path, headers=theo.headers).json()["messages"]) == 2
    other = server.client.post(
        path, headers=theo.headers, json={"text": "Different", "idempotency_key": "k-1"}
    )
    assert other.status_code == 422


def test_messages_paging(server: ServerHarness) -> None:
    theo = server.person("Theo")
    path = f"/api/conversations/{theo.conversation.id}/messages"
    for i in range(3):
        server.client.post(path, headers=theo.headers, json={"text": f"line {i}"})
    last_two = server.client.get(path, headers=theo.headers, params={"limit": 2}).json()
    assert [m["seq"] for m in last_two["messages"]] == [5, 6]
    since = server.client.get(path, headers=theo.headers, params={"since_seq": 4}).json()
    assert [m["seq"] for m in since["messages"]] == [4, 5, 6]
    for params in ({"limit": 0}, {"limit": "ten"}, {"since_seq": "-1"}, {"page": 2}):
        response = server.client.get(path, headers=theo.headers, params=params)
        assert response.status_code == 422, params


def test_greet_once_then_quiet(server: ServerHarness) -> None:
    theo = server.person("Theo")
    path = f"/api/conversations/{theo.conversation.id}/greet"
    first = server.client.post(path, headers=theo.headers).json()["message"]
    assert first["role"] == "assistant"
    assert "AI" in first["content"]  # she says she is an AI when you meet
    assert server.client.post(path, headers=theo.headers).json()["message"] is None


def test_keys_are_shown_once_listed_without_secret_and_revocable(server: ServerHarness) -> None:
    theo = server.person("Theo")
    created = server.client.post("/api/keys", headers=theo.headers, json={"label": "phone"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("os1_")
    listed = server.client.get("/api/keys", headers=theo.headers).json()["keys"]
    assert len(listed) == 2
    assert all(secret not in str(k) for k in listed)
    assert [k["current"] for k in listed] == [True, False]
    phone = {"Authorization": f"Bearer {secret}"}
    assert server.client.get("/api/me", headers=phone).status_code == 200
    key_id = created.json()["key"]["id"]
    revoked = server.client.delete(f"/api/keys/{key_id}", headers=theo.headers)
    assert revoked.json()["revoked"] is True
    assert server.client.get("/api/me", headers=phone).status_code == 401


def test_the_stored_key_is_only_a_hash(server: ServerHarness) -> None:
    theo = server.person("Theo")
    dump = "\n".join(
        str(tuple(row))
        for row in server.run(
            server.store._run, lambda conn: conn.execute("SELECT * FROM api_keys").fetchall()
        )
    )
    assert theo.key not in dump
    assert theo.key[:12] in dump  # the recognisable prefix only


def test_cookie_session_login_logout(server: ServerHarness) -> None:
    theo = server.person("Theo")
    client = server.client
    bad = client.post("/api/session", json={"key": "os1_wrong"})
    assert bad.status_code == 401
    good = client.post("/api/session", json={"key": theo.key})
    assert good.status_code == 200
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert client.get("/api/me").json()["id"] == theo.user.id
    assert client.delete("/api/session").status_code == 204
    assert client.get("/api/me").status_code == 401


def test_cookie_sessions_reject_cross_site_writes(server: ServerHarness) -> None:
    theo = server.person("Theo")
    client = server.client
    client.post("/api/session", json={"key": theo.key})
    evil = {"Origin": "https://evil.example"}
    attempt = client.post("/api/conversations", json={}, headers=evil)
    assert attempt.status_code == 403
    assert error_of(attempt)["code"] == "bad_origin"
    assert client.get("/api/conversations", headers=evil).status_code == 200  # reads are safe
    same = client.post("/api/conversations", json={}, headers={"Origin": "http://testserver"})
    assert same.status_code == 201


def test_revoking_a_key_ends_its_sessions(server: ServerHarness) -> None:
    theo = server.person("Theo")
    client = server.client
    client.post("/api/session", json={"key": theo.key})
    key_id = client.get("/api/keys").json()["keys"][0]["id"]
    assert client.delete(f"/api/keys/{key_id}", headers={"Origin": "http://testserver"}).is_success
    assert client.get("/api/me").status_code == 401


def test_rate_limit_answers_429_with_retry_after(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    harness = make_server(server_settings.replace(rate_limit_per_minute=3))
    theo, ada = harness.person("Theo"), harness.person("Ada")
    codes = [harness.client.get("/api/me", headers=theo.headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = harness.client.get("/api/me", headers=theo.headers)
    assert int(limited.headers["retry-after"]) >= 1
    assert error_of(limited)["code"] == "rate_limited"
    assert error_of(limited)["retry_after"] > 0
    # Other people are not slowed down by one who is.
    assert harness.client.get("/api/me", headers=ada.headers).status_code == 200


def test_one_reply_at_a_time_per_conversation_and_a_cap_per_user(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    backend = PausingBackend(pause_after=1)
    harness = make_server(server_settings.replace(max_streams_per_user=1), backend=backend)
    theo = harness.person("Theo")
    live = harness.app.state.os1.live
    started = harness.run(live.start, theo.user.id, theo.conversation.id, "a long one")
    harness.run(backend.paused.wait)
    busy = harness.client.post(
        f"/api/conversations/{theo.conversation.id}/messages", headers=theo.headers,
        json={"text": "me too"},
    )  # fmt: skip
    assert busy.status_code == 409
    assert error_of(busy)["code"] == "busy"
    other = harness.client.post("/api/conversations", headers=theo.headers, json={}).json()
    capped = harness.client.post(
        f"/api/conversations/{other['id']}/messages", headers=theo.headers, json={"text": "hi"}
    )
    assert capped.status_code == 429
    assert error_of(capped)["code"] == "too_many_streams"
    assert "retry-after" in capped.headers
    stop = harness.client.post(
        f"/api/conversations/{theo.conversation.id}/stop", headers=theo.headers
    )
    assert stop.json() == {"stopped": True}
    finished = harness.run(lambda: started.finished)
    assert (finished.reply.status, finished.reply.content) == ("interrupted", "You")


def test_unknown_routes_and_methods_answer_json(server: ServerHarness) -> None:
    missing = server.client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong = server.client.put("/api/me")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "method_not_allowed"


def test_the_page_is_served_with_a_strict_policy(server: ServerHarness) -> None:
    page = server.client.get("/")
    assert page.status_code == 200
    assert "<title>os1</title>" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    script = server.client.get("/static/app.js")
    assert script.status_code == 200
    assert "innerHTML" not in script.text  # model and user text only ever go in as textContent


def test_the_safety_protocol_is_published_to_anyone(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    """No sign-in: the law asks that the protocol be public. The crisis lines are this
    server's (`safety_locale`), and the sign-in card links to it."""
    from os1.safety.crisis_words import resources_for

    server = make_server(server_settings.replace(safety_locale="GB"))
    page = server.client.get("/safety")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "# os1 safety protocol" in page.text
    assert html.escape(resources_for("GB").lines) in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert 'href="/safety"' in server.client.get("/").text


def test_openapi_spec_matches_the_routes(server: ServerHarness) -> None:
    spec = server.client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    served = set()
    for route in server.app.routes:
        if isinstance(route, Route) and route.path not in ("/", "/safety", "/api/openapi.json"):
            served |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, WebSocketRoute):
            served.add(("GET", route.path))
        else:
            assert isinstance(route, Mount | Route)
    assert documented == served
    send = spec["paths"]["/api/conversations/{conversation_id}/messages"]["post"]
    schema = send["requestBody"]["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["text"]


@pytest.mark.parametrize("path", ["/api/me", "/v1/models"])
def test_security_headers_on_api_answers(server: ServerHarness, path: str) -> None:
    theo = server.person("Theo")
    response = server.client.get(path, headers=theo.headers)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
