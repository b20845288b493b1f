from __future__ import annotations

from backend.auth.models import User
from tests.platform.test_errors import assert_error


def test_cursor_pages_walk_every_row_once_newest_first(client, make_user, login):
    owner = make_user("owner")
    for _ in range(6):
        make_user("staff")
    headers = login(owner)
    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/users", query_string=query, headers=headers).json
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [u.id for u in User.select().order_by(User.id.desc())]
    assert len(seen) == 7


def test_bad_cursor_and_limit_are_rejected(client, make_user, login):
    headers = login(make_user("owner"))
    assert_error(client.get("/api/users?cursor=%%%", headers=headers), 422, "invalid_cursor")
    assert_error(client.get("/api/users?limit=0", headers=headers), 422, "validation_failed")
    assert_error(client.get("/api/users?limit=101", headers=headers), 422, "validation_failed")


def test_an_unknown_query_parameter_is_a_422_not_an_unfiltered_list(client, make_user, login):
    owner = make_user("owner")
    headers = login(owner)
    error = assert_error(
        client.get("/api/users?limit=2&rolee=staff", headers=headers), 422, "validation_failed"
    )
    assert error["details"] == {"fields": {"query": {"rolee": ["Unknown field."]}}}
    # The same for every list, whatever schema it declares (shop lists included).
    for path in ("/api/audit-log", "/api/stock-levels", "/api/aftersales", "/api/shop/products"):
        error = assert_error(client.get(f"{path}?stauts=paid", headers=headers), 422, "validation_failed")
        assert error["details"] == {"fields": {"query": {"stauts": ["Unknown field."]}}}, path
    # Known parameters still work.
    assert client.get("/api/users?limit=2", headers=headers).status_code == 200
