"""Shoppers browse categories and products with their own price and available stock, search by name
and barcode, and keep a cart and addresses that no one else can reach; staff edit the catalog."""

from __future__ import annotations

from tests.platform.test_errors import assert_error
from tests.store.conftest import add_to_cart


def test_staff_edit_the_catalog_and_shoppers_see_what_is_on_sale(client, shop, shopper):
    staff = shop.staff
    made = client.post(
        "/api/categories", json={"name": "果汁", "sort": 2}, headers={**staff, "Idempotency-Key": "cat-1"}
    )
    assert made.status_code == 201, made.json
    juice = client.post(
        "/api/products", json={"name": "橙汁"}, headers={**staff, "Idempotency-Key": "p-juice"}
    ).json
    sku = client.post(
        "/api/skus",
        json={"product_id": juice["id"], "name": "单瓶 1L", "price_fen": 990, "barcode": "6900000000035"},
        headers={**staff, "Idempotency-Key": "s-juice"},
    ).json
    patched = client.patch(
        f"/api/products/{juice['id']}",
        json={
            "category_id": made.json["id"],
            "image_urls": ["https://img.example/oj.jpg"],
            "description": "鲜榨",
        },
        headers=staff,
    )
    assert patched.status_code == 200, patched.json
    assert (patched.json["category_id"], patched.json["image_urls"], patched.json["on_sale"]) == (
        made.json["id"],
        ["https://img.example/oj.jpg"],
        True,
    )
    assert_error(
        client.patch(f"/api/products/{juice['id']}", json={"image_urls": ["http://x/a.jpg"]}, headers=staff),
        422,
        "invalid_image",
    )
    assert (
        client.patch(f"/api/skus/{sku['id']}", json={"member_price_fen": 900}, headers=staff).json[
            "member_price_fen"
        ]
        == 900
    )

    buyer = shopper()
    cats = client.get("/api/shop/categories", headers=buyer.headers).json["items"]
    assert [(c["name"], c["sort"]) for c in cats] == [("酒水", 0), ("果汁", 2)]

    listed = client.get("/api/shop/products", headers=buyer.headers).json
    by_name = {p["name"]: p for p in listed["items"]}
    assert sorted(by_name) == ["干红葡萄酒", "橙汁"]
    wine = by_name["干红葡萄酒"]
    assert wine["image_urls"] == ["https://img.example/wine.jpg"]
    assert [(s["name"], s["price_fen"], s["your_price_fen"], s["available"]) for s in wine["skus"]] == [
        ("750ml", 1130, 1130, 10),
        ("1.5L", 565, 565, 5),
    ]
    # Members pay the member price; no stock received yet shows 0 available.
    assert [(s["your_price_fen"], s["available"]) for s in by_name["橙汁"]["skus"]] == [(900, 0)]

    def search(q: str) -> list[str]:
        found = client.get(f"/api/shop/products?q={q}", headers=buyer.headers).json["items"]
        return [p["name"] for p in found]

    assert search("干红") == ["干红葡萄酒"]
    assert search("6900000000035") == ["橙汁"]
    assert search("6900000000") == []  # barcodes match exactly
    by_cat = client.get(f"/api/shop/products?category_id={shop.category.id}", headers=buyer.headers).json
    assert [p["name"] for p in by_cat["items"]] == ["干红葡萄酒"]

    # Gold members see their level price; reserved stock is not available.
    client.patch(f"/api/members/{buyer.customer.id}", json={"level_id": shop.gold.id}, headers=staff)
    from store import services as sales

    sales.place_order(None, [(shop.sku.id, 3)], channel="counter")
    wine = client.get(f"/api/shop/products/{shop.wine.id}", headers=buyer.headers).json
    assert [(s["your_price_fen"], s["available"]) for s in wine["skus"]] == [(1000, 7), (565, 5)]

    # Off sale: gone from the list, its page is a 404, and the SKU cannot go into a cart.
    assert (
        client.patch(f"/api/products/{shop.wine.id}", json={"on_sale": False}, headers=staff).status_code
        == 200
    )
    assert search("干红") == []
    assert_error(client.get(f"/api/shop/products/{shop.wine.id}", headers=buyer.headers), 404, "not_found")
    assert_error(add_to_cart(client, buyer, shop.sku.id, 1), 422, "off_sale")
    client.patch(f"/api/products/{shop.wine.id}", json={"on_sale": True}, headers=staff)
    client.patch(f"/api/skus/{shop.sku2.id}", json={"active": False}, headers=staff)
    wine = client.get(f"/api/shop/products/{shop.wine.id}", headers=buyer.headers).json
    assert [s["name"] for s in wine["skus"]] == ["750ml"]

    # Every staff change of prices, listing and levels is in the audit log.
    from backend.audit import AuditEntry

    assert [
        (e.action, e.target_id)
        for e in AuditEntry.select()
        .where((AuditEntry.action != "user.create") & AuditEntry.actor_id.is_null(False))  # not set-up's
        .order_by(AuditEntry.id)
    ] == [
        ("product.update", str(juice["id"])),
        ("sku.update", str(sku["id"])),
        ("member.level", str(buyer.customer.id)),
        ("product.update", str(shop.wine.id)),
        ("product.update", str(shop.wine.id)),
        ("sku.update", str(shop.sku2.id)),
    ]

    # Customers cannot edit the catalog.
    assert_error(
        client.patch(f"/api/skus/{shop.sku.id}", json={"price_fen": 1}, headers=buyer.headers),
        403,
        "forbidden",
    )
    assert_error(
        client.post("/api/categories", json={"name": "x"}, headers={**buyer.headers, "Idempotency-Key": "c"}),
        403,
        "forbidden",
    )


def test_cart_and_addresses_are_each_customers_own(client, shop, shopper, unchanged):
    alice, bob = shopper("王小姐"), shopper("李先生")
    first = add_to_cart(client, alice, shop.sku.id, 2)
    assert first.status_code == 201, first.json
    again = add_to_cart(client, alice, shop.sku.id, 1)
    add_to_cart(client, alice, shop.sku2.id, 1)
    assert again.status_code == 201
    cart = client.get("/api/cart", headers=alice.headers).json
    assert [(i["sku_id"], i["quantity"], i["unit_price_fen"], i["total_fen"]) for i in cart["items"]] == [
        (shop.sku.id, 3, 1130, 3390),
        (shop.sku2.id, 1, 565, 565),
    ]
    assert cart["goods_fen"] == 3955
    item_id = cart["items"][0]["id"]
    assert client.get("/api/cart", headers=bob.headers).json == {"items": [], "goods_fen": 0}

    with unchanged():
        assert_error(
            client.patch(f"/api/cart/items/{item_id}", json={"quantity": 9}, headers=bob.headers),
            404,
            "not_found",
        )
        assert_error(client.delete(f"/api/cart/items/{item_id}", headers=bob.headers), 404, "not_found")
        assert_error(
            client.patch(f"/api/addresses/{alice.address_id}", json={"detail": "x"}, headers=bob.headers),
            404,
            "not_found",
        )
        assert_error(
            client.delete(f"/api/addresses/{alice.address_id}", headers=bob.headers), 404, "not_found"
        )
        assert_error(add_to_cart(client, alice, 99999, 1), 422, "off_sale")
        assert_error(add_to_cart(client, alice, shop.sku.id, 0), 422, "invalid_quantity")
        # A price or an owner cannot be sent in.
        response = client.post(
            "/api/cart/items",
            json={"sku_id": shop.sku.id, "quantity": 1, "unit_price_fen": 1},
            headers={**alice.headers, "Idempotency-Key": "cart-price"},
        )
        assert_error(response, 422, "validation_failed")
        response = client.patch(
            f"/api/addresses/{alice.address_id}", json={"customer_id": bob.customer.id}, headers=alice.headers
        )
        assert_error(response, 422, "validation_failed")
    assert [a["id"] for a in client.get("/api/addresses", headers=bob.headers).json["items"]] == [
        bob.address_id
    ]

    assert (
        client.patch(f"/api/cart/items/{item_id}", json={"quantity": 1}, headers=alice.headers).json[
            "goods_fen"
        ]
        == 1695
    )
    assert client.delete(f"/api/cart/items/{item_id}", headers=alice.headers).json["goods_fen"] == 565

    second = client.post(
        "/api/addresses",
        json={
            "name": "王小姐",
            "phone": "13800000002",
            "region": "上海市",
            "detail": "南京路 2 号",
            "is_default": True,
        },
        headers={**alice.headers, "Idempotency-Key": "addr-2"},
    )
    assert second.status_code == 201
    listed = client.get("/api/addresses", headers=alice.headers).json["items"]
    assert [(a["id"], a["is_default"]) for a in listed] == [
        (second.json["id"], True),
        (alice.address_id, False),
    ]
    assert client.delete(f"/api/addresses/{second.json['id']}", headers=alice.headers).status_code == 200
    assert [a["id"] for a in client.get("/api/addresses", headers=alice.headers).json["items"]] == [
        alice.address_id
    ]
