"""A database or Redis out of reach (restarting, connection lost mid-request) is a 503 in the one
error shape with Retry-After, never a 500; nothing is written, so the same key may be sent again.
tests/drills/test_postgres_restart.py does this to a real PostgreSQL under load."""

from __future__ import annotations

import peewee
import pytest
import redis.exceptions

from backend.db import db
from backend.idempotency import IdempotencyRecord
from backend.inventory.services import receive_purchase
from backend.kernel.models import Order
from store import catalog
from tests.platform.test_errors import assert_error


@pytest.mark.parametrize(
    "failure",
    [
        peewee.OperationalError("server closed the connection unexpectedly"),
        peewee.InterfaceError("connection already closed"),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    ],
    ids=["database-gone", "connection-closed", "redis-down"],
)
def test_a_store_out_of_reach_is_503_and_the_retry_lands_once(client, make_user, login, monkeypatch, failure):
    staff = make_user("staff")
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    sku = catalog.create_sku(catalog.create_product("水").id, name="水", price_fen=300)
    receive_purchase(sku.id, warehouse.id, 10, 100)
    headers = {**login(staff), "Idempotency-Key": "sale-during-restart"}
    real = db.obj.execute_sql
    calls = {"n": 0}

    def flaky(sql, params=None, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # fails mid-request, after the token was read
            raise failure
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", flaky)
    body = {"items": [{"sku_id": sku.id, "quantity": 1}]}
    error = assert_error(client.post("/api/orders", json=body, headers=headers), 503, "service_unavailable")
    assert error["details"] == {"retry_after_seconds": 2}
    assert IdempotencyRecord.select().count() == 0
    assert Order.select().count() == 0
    first = client.post("/api/orders", json=body, headers=headers)  # the same key, now reachable
    assert first.status_code == 201, first.json
    replay = client.post("/api/orders", json=body, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json
    assert [o.id for o in Order.select()] == [first.json["id"]]
