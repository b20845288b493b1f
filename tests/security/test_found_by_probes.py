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
