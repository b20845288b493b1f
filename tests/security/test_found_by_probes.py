"""Server errors the authorization matrix and schemathesis found, each pinned as a plain test: the
answer is a clear 4xx with its stable code, and nothing changed."""

from __future__ import annotations


def test_a_second_member_level_with_a_rank_in_use_is_a_conflict(client, make_user, login):
    from store.shop_models import MemberLevel

    staff = login(make_user("staff"))
    first = client.post(
        "/api/member-levels", json={"name": "金卡", "rank": 2}, headers={**staff, "Idempotency-Key": "l1"}
    )
    assert first.status_code == 201, first.json
    again = client.post(
        "/api/member-levels", json={"name": "银卡", "rank": 2}, headers={**staff, "Idempotency-Key": "l2"}
    )
    assert again.status_code == 409, again.json
    assert again.json["error"]["code"] == "level_rank_taken"
    assert again.json["error"]["details"] == {"rank": 2}
    assert [(lv.name, lv.rank) for lv in MemberLevel.select()] == [("金卡", 2)]


def test_putting_an_unknown_customer_or_on_an_unknown_level_is_refused(client, make_user, login):
    from backend.audit import AuditEntry
    from store import catalog
    from store.shop_models import MemberAccount, MemberLevel

    staff = login(make_user("staff"))
    level = MemberLevel.create(name="金卡", rank=2)
    customer = catalog.create_customer("member", "王小姐")
    audited = AuditEntry.select().count()

    unknown_customer = client.patch(
        f"/api/members/{customer.id + 1}", json={"level_id": level.id}, headers=staff
    )
    assert unknown_customer.status_code == 404, unknown_customer.json
    assert unknown_customer.json["error"]["code"] == "unknown_customer"
    unknown_level = client.patch(
        f"/api/members/{customer.id}", json={"level_id": level.id + 1}, headers=staff
    )
    assert unknown_level.status_code == 422, unknown_level.json
    assert unknown_level.json["error"]["code"] == "unknown_level"
    assert MemberAccount.select().count() == 0
    assert AuditEntry.select().count() == audited

    placed = client.patch(f"/api/members/{customer.id}", json={"level_id": level.id}, headers=staff)
    assert placed.status_code == 200, placed.json
    assert placed.json == {"customer_id": customer.id, "level_id": level.id, "points": 0}


def test_a_display_order_or_rank_beyond_32_bits_is_a_422(client, make_user, login):
    from backend.kernel.models import Category
    from store.shop_models import MemberLevel

    staff = login(make_user("staff"))
    big = 2**31
    category = client.post(
        "/api/categories", json={"name": "酒水", "sort": big}, headers={**staff, "Idempotency-Key": "c1"}
    )
    assert category.status_code == 422, category.json
    assert category.json["error"]["details"]["fields"]["json"] == {
        "sort": ["Must be greater than or equal to -2147483648 and less than or equal to 2147483647."]
    }
    level = client.post(
        "/api/member-levels",
        json={"name": "金卡", "rank": -big - 1},
        headers={**staff, "Idempotency-Key": "l1"},
    )
    assert level.status_code == 422, level.json
    assert list(level.json["error"]["details"]["fields"]["json"]) == ["rank"]
    assert (Category.select().count(), MemberLevel.select().count()) == (0, 0)
    largest = client.post(
        "/api/categories", json={"name": "酒水", "sort": big - 1}, headers={**staff, "Idempotency-Key": "c2"}
    )
    assert largest.status_code == 201, largest.json
    assert largest.json["sort"] == big - 1
