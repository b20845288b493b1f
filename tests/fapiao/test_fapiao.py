"""Fapiao over HTTP with the sandbox provider: a distributor asks for a blue fapiao on their own order
with the title wx.chooseInvoiceTitle gave; it is issued after commit (number and PDF); a partial refund
files a red-letter fapiao for the refunded part and the full refund reverses what is left; someone
else's order is a 404 and a second request a 409, each changing nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from backend.audit import AuditEntry
from backend.jobs.models import OutboxMessage
from store import catalog, on_account
from store import services as sales
from store.fapiao import provider as providers
from store.fapiao.models import FapiaoFile, FapiaoRequest
from store.fapiao.services import valid_credit_code
from tests.helpers import unchanged_by
from tests.platform.test_openapi import assert_answer_documented

_keys = itertools.count(1)
COMPANY = {
    "errMsg": "chooseInvoiceTitle:ok",
    "type": "0",
    "title": "城东批发部有限公司",
    "taxNumber": "91350100M000100Y43",
    "companyAddress": "上海市浦东新区世纪大道 1 号",
    "telephone": "021-55550000",
    "bankName": "招商银行上海分行",
    "bankAccount": "6214830000000000",
}


def post(client: Any, url: str, headers: dict[str, str], body: Any) -> Any:
    return client.post(url, json=body, headers={**headers, "Idempotency-Key": f"fp-{next(_keys)}"})


def snapshot() -> Any:
    return (
        sorted((r.id, r.kind, r.status, r.amount_fen) for r in FapiaoRequest.select()),
        FapiaoFile.select().count(),
        OutboxMessage.select().count(),
        AuditEntry.select().count(),
    )


@pytest.fixture
def shop(app: Any, make_user: Any, login: Any) -> Any:
    from backend.inventory.services import receive_purchase

    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红葡萄酒").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 100, 700, reference="PO-1")
    people = {}
    for name in ("east", "west"):
        user = make_user("distributor")
        customer = catalog.create_customer(
            "distributor", f"{name} 批发部", user_id=user.id, credit_limit_fen=100_000, payment_terms_days=30
        )
        people[name] = (customer, login(user))
    staff = make_user("staff")
    return {"sku": sku, "people": people, "staff": login(staff), "staff_user": staff}


def _paid_order(shop: Any, who: str, units: int) -> Any:
    customer, _ = shop["people"][who]
    order = sales.sell_on_account(customer.id, [(shop["sku"].id, units)], channel="distributor")
    on_account.collect(customer.id, order.total_fen, "cash", f"collect-{order.id}", invoice_ids=None)
    return order


def test_tax_number_check() -> None:
    assert valid_credit_code("91350100M000100Y43")
    assert valid_credit_code("91310115MA1K3YJ12G")
    assert not valid_credit_code("91350100M000100Y44")  # wrong check character
    assert not valid_credit_code("91350100M000100Y4")  # 17 characters
    assert not valid_credit_code("91350100I000100Y43")  # I is not in the alphabet


def test_blue_then_red_letter_on_refunds(client: Any, shop: Any, drain_jobs: Any) -> None:
    order = _paid_order(shop, "east", 5)  # 5650, 650 VAT
    _, east = shop["people"]["east"]
    asked = post(client, "/api/fapiao-requests", east, {"order_id": order.id, "title": COMPANY})
    assert asked.status_code == 201, asked.json
    assert (
        asked.json["kind"],
        asked.json["amount_fen"],
        asked.json["vat_fen"],
        asked.json["tax_number"],
    ) == (
        "blue",
        5650,
        650,
        "91350100M000100Y43",
    )
    spec = client.get("/api/openapi.json").json
    assert_answer_documented(spec, "POST", "/api/fapiao-requests", asked)
    drain_jobs()
    listed = client.get("/api/my/fapiao-requests", headers=east)
    assert_answer_documented(spec, "GET", "/api/my/fapiao-requests", listed)
    mine = listed.json["items"]
    assert [(r["kind"], r["status"]) for r in mine] == [("blue", "issued")]
    blue = mine[0]
    assert len(blue["number"]) == 20 and blue["number"][6] == "0"
    assert blue["file_url"] == f"/api/fapiao-requests/{blue['id']}/file"
    pdf = client.get(blue["file_url"], headers=east)
    assert (pdf.status_code, pdf.mimetype, pdf.data[:5]) == (200, "application/pdf", b"%PDF-")
    assert client.get(blue["file_url"], headers=shop["staff"]).data == pdf.data

    partial = post(
        client, f"/api/orders/{order.id}/refunds", shop["staff"], {"amount_fen": 1130, "method": "cash"}
    )
    assert partial.status_code == 200, partial.json
    drain_jobs()
    rest = post(
        client, f"/api/orders/{order.id}/refunds", shop["staff"], {"amount_fen": 4520, "method": "cash"}
    )
    assert (rest.status_code, rest.json["status"]) == (200, "refunded")
    drain_jobs()
    rows = list(FapiaoRequest.select().order_by(FapiaoRequest.id))
    assert [(r.kind, r.status, r.amount_fen, r.vat_fen, r.blue_id) for r in rows] == [
        ("blue", "issued", 5650, 650, None),
        ("red", "issued", 1130, 130, rows[0].id),
        ("red", "issued", 4520, 520, rows[0].id),
    ]
    assert all(r.number and r.number[6] == "1" for r in rows[1:])
    sandbox = providers.current()
    issued = sandbox.issued()  # type: ignore[attr-defined]
    assert sorted((r["kind"], r["amount_fen"], r["blue_number"]) for r in issued) == [
        ("blue", 5650, None),
        ("red", -4520, rows[0].number),
        ("red", -1130, rows[0].number),
    ]
    staff_list = client.get("/api/fapiao-requests", headers=shop["staff"], query_string={"status": "issued"})
    assert [r["id"] for r in staff_list.json["items"]] == [r.id for r in reversed(rows)]
    red_pdf = client.get(f"/api/fapiao-requests/{rows[1].id}/file", headers=east)
    assert red_pdf.status_code == 200 and red_pdf.data[:5] == b"%PDF-"
    # Running a job again asks the provider with the same request id: the same fapiao, nothing new.
    from store.fapiao import services as fapiao

    FapiaoRequest.update(status="queued").where(FapiaoRequest.id == rows[1].id).execute()
    assert fapiao.issue(rows[1].id) == "issued"
    assert FapiaoRequest.get_by_id(rows[1].id).number == rows[1].number
    assert len(sandbox.issued()) == 3  # type: ignore[attr-defined]


def test_full_refund_reverses_the_whole_blue_one(client: Any, shop: Any, drain_jobs: Any) -> None:
    order = _paid_order(shop, "west", 3)  # 3390, 390 VAT
    _, west = shop["people"]["west"]
    person = {"type": 1, "title": "王小明"}
    from backend.receivables.models import Invoice

    invoice = Invoice.get(Invoice.order == order.id)
    asked = post(client, "/api/fapiao-requests", west, {"invoice_id": invoice.id, "title": person})
    assert asked.status_code == 201, asked.json
    assert (asked.json["order_id"], asked.json["invoice_id"], asked.json["buyer_type"]) == (
        order.id,
        invoice.id,
        1,
    )
    refunded = post(
        client, f"/api/orders/{order.id}/refunds", shop["staff"], {"amount_fen": 3390, "method": "cash"}
    )
    assert refunded.status_code == 200
    drain_jobs()
    rows = list(FapiaoRequest.select().order_by(FapiaoRequest.id))
    assert [(r.kind, r.status, r.amount_fen, r.vat_fen, r.title) for r in rows] == [
        ("blue", "issued", 3390, 390, "王小明"),
        ("red", "issued", 3390, 390, "王小明"),
    ]


def test_refused_requests_change_nothing(client: Any, shop: Any, drain_jobs: Any) -> None:
    order = _paid_order(shop, "east", 1)
    other = _paid_order(shop, "west", 1)
    _, east = shop["people"]["east"]
    first = post(client, "/api/fapiao-requests", east, {"order_id": order.id, "title": COMPANY})
    assert first.status_code == 201
    drain_jobs()
    unchanged = unchanged_by(snapshot)
    with unchanged():
        for body, status, code in (
            ({"order_id": other.id, "title": COMPANY}, 404, "order_not_found"),
            ({"order_id": 10**9, "title": COMPANY}, 404, "order_not_found"),
            ({"order_id": order.id, "title": COMPANY}, 409, "fapiao_already_requested"),
            (
                {"order_id": order.id, "title": {**COMPANY, "taxNumber": "91350100M000100Y44"}},
                422,
                "invalid_fapiao_title",
            ),
            ({"order_id": order.id, "title": {**COMPANY, "title": ""}}, 422, "invalid_fapiao_title"),
            (
                {
                    "order_id": order.id,
                    "title": {"type": "1", "title": "王", "taxNumber": "91350100M000100Y43"},
                },
                422,
                "invalid_fapiao_title",
            ),
            ({"order_id": order.id, "title": {**COMPANY, "type": "2"}}, 422, "invalid_fapiao_title"),
            ({"title": COMPANY}, 422, "validation_failed"),
            ({"order_id": order.id, "title": {**COMPANY, "type": ["0"]}}, 422, "invalid_fapiao_title"),
        ):
            answer = post(client, "/api/fapiao-requests", east, body)
            assert (answer.status_code, answer.json["error"]["code"]) == (status, code), (body, answer.json)
        mine = FapiaoRequest.get()
        assert (
            client.get(f"/api/fapiao-requests/{mine.id}/file", headers=shop["people"]["west"][1]).status_code
            == 404
        )
        assert client.get("/api/fapiao-requests", headers=east).status_code == 403


def test_blue_fapiao_is_for_the_adjusted_amount(client: Any, shop: Any, make_user: Any) -> None:
    from backend.receivables import adjustments
    from backend.receivables.models import Invoice

    customer, east = shop["people"]["east"]
    order = sales.sell_on_account(customer.id, [(shop["sku"].id, 5)], channel="distributor")  # 5650, 650 VAT
    invoice = Invoice.get(Invoice.order == order.id)
    owner = make_user("owner")
    adjustments.adjust(invoice.id, "discount", 500, "折让", actor_id=owner.id)  # 58 of it VAT
    adjustments.adjust(
        invoice.id, "rounding", 50, "抹零", actor_id=owner.id
    )  # a finance cost: not on the fapiao
    asked = post(client, "/api/fapiao-requests", east, {"invoice_id": invoice.id, "title": COMPANY})
    assert (asked.status_code, asked.json["amount_fen"], asked.json["vat_fen"]) == (201, 5150, 592)


def test_a_discount_after_the_blue_fapiao_files_a_red_one(
    client: Any, shop: Any, make_user: Any, drain_jobs: Any
) -> None:
    from backend.receivables import adjustments
    from backend.receivables.models import Invoice

    customer, east = shop["people"]["east"]
    order = sales.sell_on_account(customer.id, [(shop["sku"].id, 5)], channel="distributor")  # 5650, 650 VAT
    invoice = Invoice.get(Invoice.order == order.id)
    assert (
        post(client, "/api/fapiao-requests", east, {"order_id": order.id, "title": COMPANY}).status_code
        == 201
    )
    drain_jobs()
    owner = make_user("owner")
    discount = adjustments.adjust(invoice.id, "discount", 500, "折让", actor_id=owner.id)  # 58 of it VAT
    adjustments.adjust(invoice.id, "rounding", 50, "抹零", actor_id=owner.id)  # revenue unchanged: no red
    drain_jobs()
    rows = list(FapiaoRequest.select().order_by(FapiaoRequest.id))
    assert [(r.kind, r.status, r.amount_fen, r.vat_fen, r.blue_id, r.refund_reference) for r in rows] == [
        ("blue", "issued", 5650, 650, None, None),
        ("red", "issued", 500, 58, rows[0].id, f"adjustment:{discount.adjustment.id}"),  # type: ignore[union-attr]
    ]
    # A refund of the rest later reverses only what the blue fapiao still has.
    on_account.collect(customer.id, 5100, "cash", "pay-rest", invoice_ids=[invoice.id])
    refunded = post(client, f"/api/orders/{order.id}/refunds", shop["staff"], {"method": "cash"})
    assert (refunded.status_code, refunded.json["status"]) == (200, "refunded")
    drain_jobs()
    reds = [(r.amount_fen, r.vat_fen) for r in FapiaoRequest.select().where(FapiaoRequest.kind == "red")]
    assert reds == [(500, 58), (5150, 592)]
