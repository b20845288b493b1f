"""A small shop with someone behind every role, each owning one of everything a person can own.

Two shoppers, two distributors, staff and the owner (plus anonymous): the authorization matrix
probes every operation as each of them, and schemathesis logs in as them. The shoppers own the
same kinds of things as each other (an address, a cart line, a paid and a pending order, an
after-sales request, a held coupon, a share link, stored value and points, a spare session), and
so do the distributors (an order on account with its invoice, a spare session), so every probe of
someone else's object has an owner's probe of the same object beside it.

What the world knows about objects is here; what each role may do is not: that comes from the
`x-roles` every operation declares in the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

# Path and body parameters that name an object belonging to one customer (or, for sessions, one
# login). A non-staff caller naming someone else's is answered 404 and nothing changes. Staff and
# the owner act on every customer's objects, but a session is its login's own for every role.
OWNED = {
    "order_id": "order",
    "address_id": "address",
    "item_id": "cart_item",
    "invoice_id": "invoice",
    "customer_coupon_id": "held_coupon",
    "code": "share_link",
    "session_id": "session",
    "customer_id": "customer",
    "line_id": "order_line",
    "price_list_id": "price_list",  # a list for one customer is theirs; a grade's or channel's is shared
    "statement_id": "statement",
    "fapiao_request_id": "fapiao_request",
}
PER_LOGIN = {"session"}

# Path parameters that name something everyone may see (the catalog) or that only staff reach.
NOT_OWNED = {
    "product_id",
    "coupon_id",
    "category_id",
    "sku_id",
    "level_id",
    "request_id",
    "payment_id",
    "refund_id",
    "bill_date",
    # A campaign is addressed to customer grades, not to one person; campaigns.visible_to() refuses a
    # distributor outside its grades (tests/distribution/test_campaigns.py).
    "campaign_id",
    # Only staff resolve a statement dispute.
    "dispute_id",
    # A statement's signed link names one statement by design (shared with its customer's phone); a
    # tampered or unknown token is a 404 (tests/receivables/test_statements.py).
    "token",
    # Staff-only: a batch of collections, a bank statement import and its lines.
    "batch_id",
    "bank_import_id",
    "bank_line_id",
}

# Response objects (OpenAPI component names) that are one of a person's objects: a list that shows
# someone else's is a leak. Any object with a `customer_id` is checked too, whatever its name.
KIND_OF_SCHEMA = {
    "AddressOut": "address",
    "CartLineOut": "cart_item",
    "ShopOrderOut": "order",
    "OrderOut": "order",
    "OrderDetailOut": "order",
    "InvoiceOut": "invoice",
    "HeldCouponOut": "held_coupon",
    "SessionOut": "session",
    "AfterSaleOut": "aftersale",
    "PointsEntryOut": "points_entry",
    "StoredValueEntryOut": "stored_value_entry",
    "ShareLinkOut": "share_link",
    "PriceListOut": "price_list",
    "PriceListDetailOut": "price_list",
    "StatementOut": "statement",
    "StatementDetailOut": "statement",
    "FapiaoRequestOut": "fapiao_request",
}


@dataclass
class Principal:
    name: str
    role: str | None  # None: anonymous
    headers: dict[str, str] = field(default_factory=dict)
    user_id: int | None = None
    customer_id: int | None = None
    openid: str | None = None
    username: str | None = None
    password: str | None = None
    marker: str = ""  # a string only this person's objects carry
    owns: dict[str, list[Any]] = field(default_factory=dict)  # kind -> ids (codes for share links)


@dataclass
class World:
    principals: list[Principal]
    shop: Any  # tests.store.conftest.Shop
    coupon_id: int

    def by_name(self, name: str) -> Principal:
        return next(p for p in self.principals if p.name == name)

    def owners_of(self, kind: str) -> list[Principal]:
        return [p for p in self.principals if p.owns.get(kind)]


PASSWORD = "correct horse 1"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _with_key(principal: Principal, key: str) -> dict[str, str]:
    return {**principal.headers, "Idempotency-Key": f"world-{principal.name}-{key}"}


def relogin(client: Any, sandbox: Any, principal: Principal) -> str:
    """A fresh session for `principal`; answers the new token (its headers are updated)."""
    if principal.openid is not None:
        code = sandbox.login_code(principal.openid).code
        body = _ok(client.post("/api/auth/wechat-login", json={"code": code}))
    else:
        body = _ok(
            client.post(
                "/api/auth/password-login", json={"login": principal.username, "password": principal.password}
            )
        )
    principal.headers = {"Authorization": f"Bearer {body['token']}"}
    return body["token"]


def _spare_session(client: Any, sandbox: Any, principal: Principal) -> None:
    """A second session the matrix may revoke, while the current one stays in use."""
    current = dict(principal.headers)
    relogin(client, sandbox, principal)
    sessions = _ok(client.get("/api/auth/sessions", headers=principal.headers))["items"]
    principal.owns["session"] = [s["id"] for s in sessions if s["current"]]
    principal.headers = current


def _shopper_goods(client: Any, sandbox: Any, shop: Any, me: Principal, coupon_id: int) -> None:
    from tests.store.conftest import top_up

    addresses = _ok(client.get("/api/addresses", headers=me.headers))["items"]
    me.owns["address"] = [a["id"] for a in addresses]
    top_up(client, sandbox, _as_buyer(me), 5000, key=f"world-{me.name}-top-up")
    # A paid order (stored value) with an after-sales request on it.
    _ok(
        client.post(
            "/api/cart/items", json={"sku_id": shop.sku2.id, "quantity": 1}, headers=_with_key(me, "c1")
        ),
        201,
    )
    paid = _ok(
        client.post(
            "/api/checkout",
            json={"address_id": me.owns["address"][0], "pay_with": "stored_value"},
            headers=_with_key(me, "paid"),
        ),
        201,
    )["order"]
    line_id = paid["lines"][0]["id"]
    request = _ok(
        client.post(
            f"/api/shop/orders/{paid['id']}/aftersales",
            json={"lines": [{"line_id": line_id, "quantity": 1}], "reason": me.marker},
            headers=_with_key(me, "aftersale"),
        ),
        201,
    )
    # A held coupon, and a pending order waiting for WeChat Pay.
    held = _ok(client.post(f"/api/coupons/{coupon_id}/claim", headers=_with_key(me, "claim")), 201)
    _ok(
        client.post(
            "/api/cart/items", json={"sku_id": shop.sku.id, "quantity": 1}, headers=_with_key(me, "c2")
        ),
        201,
    )
    pending = _ok(
        client.post(
            "/api/checkout", json={"address_id": me.owns["address"][0]}, headers=_with_key(me, "pending")
        ),
        201,
    )["order"]
    # A line left in the cart, and a share link.
    cart = _ok(
        client.post(
            "/api/cart/items", json={"sku_id": shop.sku.id, "quantity": 2}, headers=_with_key(me, "c3")
        ),
        201,
    )
    link = _ok(
        client.post("/api/share-links", json={"product_id": shop.wine.id}, headers=_with_key(me, "share")),
        201,
    )
    me.owns.update(
        order=[paid["id"], pending["id"]],
        order_line=[line_id],
        aftersale=[request["id"]],
        held_coupon=[held["id"]],
        cart_item=[i["id"] for i in cart["items"]],
        share_link=[link["code"]],
        customer=[me.customer_id],
        points_entry=_ids("/api/me/points", client, me),
        stored_value_entry=_ids("/api/me/stored-value", client, me),
    )


def _ids(url: str, client: Any, me: Principal) -> list[int]:
    return [item["id"] for item in _ok(client.get(url, headers=me.headers))["items"]]


def _as_buyer(me: Principal) -> Any:
    from tests.payments.conftest import Buyer

    return Buyer(me.headers, me.user_id or 0, me.openid or "", None)


def _distributor(client: Any, sandbox: Any, shop: Any, name: str, marker: str) -> Principal:
    from backend.auth import services as auth
    from store import catalog

    user = auth.create_user("distributor", password=PASSWORD, username=f"dist-{name}", display_name=marker)
    customer = catalog.create_customer(
        "distributor", marker, user_id=user.id, credit_limit_fen=1_000_000, payment_terms_days=30
    )
    me = Principal(
        name,
        "distributor",
        user_id=user.id,
        customer_id=customer.id,
        username=user.username,
        password=PASSWORD,
    )
    me.marker = marker
    relogin(client, sandbox, me)
    order = _ok(
        client.post(
            "/api/orders",
            json={"items": [{"sku_id": shop.sku2.id, "quantity": 1}], "on_account": True},
            headers=_with_key(me, "on-account"),
        ),
        201,
    )
    account = _ok(client.get("/api/my/account", headers=me.headers))
    fapiao = _ok(
        client.post(
            "/api/fapiao-requests",
            json={"order_id": order["id"], "title": {"type": "1", "title": marker}},
            headers=_with_key(me, "fapiao"),
        ),
        201,
    )
    from store.fapiao import services as fapiao_services

    fapiao_services.issue(fapiao["id"])  # issued now, whether jobs run in-process or through rq
    me.owns.update(
        fapiao_request=[fapiao["id"]],
        order=[order["id"]],
        order_line=[order["lines"][0]["id"]],
        invoice=[i["id"] for i in account["open_items"]],
        customer=[customer.id],
        statement=[_sent_statement(customer.id)],
    )
    _spare_session(client, sandbox, me)
    return me


def _sent_statement(customer_id: int) -> int:
    """A statement of yesterday, sent to the customer (what they may read, confirm and dispute)."""
    from backend import clock
    from backend.receivables import statements

    yesterday = clock.today() - dt.timedelta(days=1)
    made = statements.generate(customer_id, yesterday, yesterday)
    return statements.send(made.id).id


def _login_user(client: Any, sandbox: Any, role: str, name: str) -> Principal:
    from backend.auth import services as auth

    user = auth.create_user(role, password=PASSWORD, username=f"{role}-{name}")
    me = Principal(name, role, user_id=user.id, username=user.username, password=PASSWORD)
    relogin(client, sandbox, me)
    _spare_session(client, sandbox, me)
    return me


def _own_price_list(shop: Any, me: Principal) -> None:
    from store.distribution import price_lists

    created = price_lists.create_price_list(
        f"{me.marker} 专属价",
        "customer",
        customer_id=me.customer_id,
        items=[{"sku_id": shop.sku.id, "price_fen": 1100}],
    )
    me.owns["price_list"] = [created.id]


def build(client: Any, sandbox: Any, shop: Any, shopper: Any) -> World:
    """Everyone, and everything they own. `shop` and `shopper` are tests.store.conftest's fixtures."""
    from backend import clock
    from store import promotions

    now = clock.now()
    coupon = promotions.create_coupon(
        "满10减1",
        amount_off_fen=100,
        threshold_fen=1000,
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
    )
    principals = [Principal("anonymous", None)]
    for name in ("shopper_a", "shopper_b"):
        marker = f"{name}-{uuid.uuid4().hex[:8]}"
        buyer = shopper(marker)
        me = Principal(
            name,
            "customer",
            headers=buyer.headers,
            user_id=buyer.user_id,
            customer_id=buyer.customer.id,
            openid=buyer.openid,
            marker=marker,
        )
        _shopper_goods(client, sandbox, shop, me, coupon.id)
        _spare_session(client, sandbox, me)
        principals.append(me)
    for name in ("distributor_a", "distributor_b"):
        principals.append(_distributor(client, sandbox, shop, name, f"{name}-{uuid.uuid4().hex[:8]}"))
    for me in principals[1:]:
        _own_price_list(shop, me)
    principals.append(_login_user(client, sandbox, "staff", "staff"))
    principals.append(_login_user(client, sandbox, "owner", "owner"))
    return World(principals, shop, coupon.id)
