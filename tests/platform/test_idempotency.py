"""Idempotency-Key on creating POSTs: replay, conflict, and concurrent twins on PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from backend.auth.models import User
from backend.idempotency import IdempotencyRecord
from tests.platform.test_errors import assert_error

BODY = {"role": "staff", "username": "li", "password": "long enough 9"}


def test_a_creating_post_without_a_key_is_400_and_creates_nothing(client, make_user, login):
    headers = login(make_user("owner"))
    before = User.select().count()
    assert_error(client.post("/api/users", json=BODY, headers=headers), 400, "idempotency_key_required")
    assert User.select().count() == before


def test_the_same_key_replays_the_stored_response(client, make_user, login):
    headers = {**login(make_user("owner")), "Idempotency-Key": "same"}
    first = client.post("/api/users", json=BODY, headers=headers)
    second = client.post("/api/users", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert User.select().where(User.username == "li").count() == 1


def test_the_same_key_with_another_body_is_409_and_creates_nothing(client, make_user, login):
    headers = {**login(make_user("owner")), "Idempotency-Key": "once"}
    assert client.post("/api/users", json=BODY, headers=headers).status_code == 201
    before = User.select().count()
    response = client.post("/api/users", json={**BODY, "username": "wang"}, headers=headers)
    assert_error(response, 409, "idempotency_key_reused")
    assert User.select().count() == before
    assert IdempotencyRecord.select().count() == 1


def test_keys_are_scoped_per_caller(client, make_user, login):
    a, b = login(make_user("owner")), login(make_user("owner"))
    assert client.post("/api/users", json=BODY, headers={**a, "Idempotency-Key": "k"}).status_code == 201
    response = client.post(
        "/api/users", json={**BODY, "username": "zhao"}, headers={**b, "Idempotency-Key": "k"}
    )
    assert response.status_code == 201


def test_a_failed_request_stores_nothing_so_a_corrected_retry_is_not_a_replay(client, make_user, login):
    headers = {**login(make_user("owner")), "Idempotency-Key": "retry"}
    make_user("staff", username="li")
    assert_error(client.post("/api/users", json=BODY, headers=headers), 409, "account_exists")
    assert IdempotencyRecord.select().count() == 0


@pytest.mark.pg
def test_concurrent_twins_create_once_and_answer_alike(app, make_user, login):
    headers = {**login(make_user("owner")), "Idempotency-Key": "twins"}
    results: list = []
    barrier = threading.Barrier(8)

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/users", json=BODY, headers=headers)
        results.append((response.status_code, response.json))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert User.select().where(User.username == "li").count() == 1
