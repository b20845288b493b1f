"""Receipts and delivery notes reach the counter's printer after commit, once, as ESC/POS in GB18030."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend import clock

SALE_TIME = dt.datetime(2026, 12, 1, 1, 30)  # UTC: 09:30 in Shanghai

RECEIPT_58 = """\
青柠便利店
销售小票 Receipt
单号 No.  {order:06d}
时间 Time 2026-12-01 09:30
收银 Staff 小王
客户 Customer 散客
--------------------------------
茶叶 龙井 250g
  2件 × ￥11.30         ￥22.60
茶叶 红茶 100g
  1件 × ￥5.65           ￥5.65
--------------------------------
合计 Total               ￥28.25
其中税额 VAT              ￥3.25
现金 Cash                ￥28.25
--------------------------------
谢谢惠顾 Thank you
\f"""


def _cash_sale(client: Any, shop: Any, key: str = "sale-1") -> dict[str, Any]:
    clock.travel_to(SALE_TIME)
    response = client.post(
        "/api/counter-sales",
        json={"items": [{"sku_id": shop.tea.id, "quantity": 2}, {"sku_id": shop.black.id, "quantity": 1}]},
        headers={**shop.staff, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_receipt_is_printed_once_after_commit(
    client: Any, shop: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    from backend.printing.models import PrintJob

    order = _cash_sale(client, shop)
    headers = {**shop.staff, "Idempotency-Key": "print-1"}
    first = client.post(
        f"/api/counter/orders/{order['id']}/prints", json={"kind": "receipt"}, headers=headers
    )
    assert first.status_code == 201, first.json
    assert (first.json["kind"], first.json["width_mm"]) == ("receipt", 58)
    assert first.json["text"] + "\n\f" == RECEIPT_58.format(order=order["id"])
    drain_jobs()
    # A double tap sends the same key: the same job, printed once.
    again = client.post(
        f"/api/counter/orders/{order['id']}/prints", json={"kind": "receipt"}, headers=headers
    )
    drain_jobs()
    assert again.json["id"] == first.json["id"]
    assert wechat_sandbox.printed() == [RECEIPT_58.format(order=order["id"])]
    assert PrintJob.get_by_id(first.json["id"]).printed_at is not None
    preview = client.get(f"/api/counter/orders/{order['id']}/document?width_mm=58", headers=shop.staff)
    assert preview.json["text"] == first.json["text"]


def test_the_printed_bytes_are_escpos_with_gb18030_text(
    client: Any, shop: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    from payments.sandbox.printer import log_of

    order = _cash_sale(client, shop)
    client.post(
        f"/api/counter/orders/{order['id']}/prints", json={}, headers={**shop.staff, "Idempotency-Key": "p"}
    )
    drain_jobs()
    (job,) = log_of(wechat_sandbox.app).jobs
    assert job.data.startswith(b"\x1b@\x1c&")  # initialise, Chinese character mode
    assert "青柠便利店".encode("gb18030") in job.data
    assert job.data.endswith(b"\x1dV\x00")  # cut
    assert job.job.isdigit()  # the print job's id, for a cloud service to deduplicate by


def test_a_delivery_note_to_a_network_printer(
    app: Any, client: Any, shop: Any, settings: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    from backend import runtime
    from payments.sandbox.printer import PrinterLog, RawPrinterServer

    log = PrinterLog()
    server = RawPrinterServer(log).start()
    try:
        runtime.configure(settings.with_overrides(printer_url=server.url, printer_width_mm=80))
        order = _cash_sale(client, shop)
        made = client.post(
            f"/api/counter/orders/{order['id']}/prints",
            json={"kind": "delivery_note"},
            headers={**shop.staff, "Idempotency-Key": "note-1"},
        )
        assert made.status_code == 201, made.json
        drain_jobs()
    finally:
        server.stop()
    (text,) = log.texts()
    rule = "-" * 48
    assert (
        text
        == "\n".join(
            [
                "青柠便利店",
                "送货单 Delivery note",
                f"单号 No.  {order['id']:06d}",
                "时间 Time 2026-12-01 09:30",
                "客户 Customer 散客",
                rule,
                "茶叶 龙井 250g" + " " * 31 + "2件",
                "茶叶 红茶 100g" + " " * 31 + "1件",
                rule,
                "件数 Items" + " " * 37 + "3",
                "",
                "收货人签字 Received by:",
                "",
                rule,
            ]
        )
        + "\n\f"
    )  # then the cut
    assert wechat_sandbox.printed() == []


def test_without_a_printer_nothing_is_queued(client: Any, shop: Any, settings: Any) -> None:
    from backend import runtime
    from backend.jobs.models import OutboxMessage
    from backend.printing.models import PrintJob

    runtime.configure(settings.with_overrides(printer_url=""))
    order = _cash_sale(client, shop)
    outbox_before = OutboxMessage.select().count()
    refused = client.post(
        f"/api/counter/orders/{order['id']}/prints", json={}, headers={**shop.staff, "Idempotency-Key": "p-1"}
    )
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "no_printer"
    assert (PrintJob.select().count(), OutboxMessage.select().count()) == (0, outbox_before)


@pytest.mark.parametrize("body", [{"kind": "invoice"}, {"kind": 1}])
def test_bad_print_requests_change_nothing(client: Any, shop: Any, body: Any) -> None:
    from backend.printing.models import PrintJob

    order = _cash_sale(client, shop)
    bad = client.post(
        f"/api/counter/orders/{order['id']}/prints", json=body, headers={**shop.staff, "Idempotency-Key": "b"}
    )
    assert bad.status_code == 422
    missing = client.post(
        "/api/counter/orders/999999/prints", json={}, headers={**shop.staff, "Idempotency-Key": "m"}
    )
    assert missing.status_code == 404
    assert PrintJob.select().count() == 0


def test_an_unreachable_printer_is_tried_again_later(
    client: Any, shop: Any, settings: Any, drain_jobs: Any
) -> None:
    from backend import runtime
    from backend.jobs.models import OutboxMessage
    from backend.printing.models import PrintJob

    runtime.configure(settings.with_overrides(printer_url="tcp://127.0.0.1:9"))  # nothing listens on discard
    order = _cash_sale(client, shop)
    made = client.post(
        f"/api/counter/orders/{order['id']}/prints", json={}, headers={**shop.staff, "Idempotency-Key": "u"}
    )
    drain_jobs()
    message = OutboxMessage.get(OutboxMessage.job == "printing.send")
    assert (message.status, message.attempts) == ("pending", 1)
    assert "unreachable" in message.last_error
    assert PrintJob.get_by_id(made.json["id"]).printed_at is None


def test_a_receipt_sent_to_the_customers_wechat_once(
    client: Any, shop: Any, make_user: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    import uuid

    from backend.auth.models import WechatIdentity
    from backend.jobs.models import OutboxMessage
    from store import catalog
    from store import services as sales

    member_user = make_user("customer")
    openid = f"o-receipt-{uuid.uuid4().hex[:8]}"
    WechatIdentity.create(openid=openid, user=member_user)
    member = catalog.create_customer("member", "会员 李女士", user_id=member_user.id)
    found = client.get("/api/counter/customers", query_string={"q": "李女士"}, headers=shop.staff).json
    assert [(c["id"], c["wechat"]) for c in found["items"]] == [(member.id, True)]
    clock.travel_to(SALE_TIME)
    waiting = sales.place_order(member.id, [(shop.tea.id, 1)], channel="counter")
    walk_in = _cash_sale(client, shop, "sale-walk-in")
    # Not paid yet, or a customer without WeChat: refused, nothing queued.
    before = OutboxMessage.select().count()
    for order_id, code in ((waiting.id, "invalid_transition"), (walk_in["id"], "customer_without_wechat")):
        refused = client.post(
            f"/api/counter/orders/{order_id}/wechat-receipt", headers={**shop.staff, "Idempotency-Key": code}
        )
        assert (refused.status_code, refused.json["error"]["code"]) == (409, code)
    assert OutboxMessage.select().count() == before

    sold = client.post(
        "/api/counter-sales",
        json={"customer_id": member.id, "items": [{"sku_id": shop.tea.id, "quantity": 2}]},
        headers={**shop.staff, "Idempotency-Key": "sale-member"},
    ).json
    assert sold["status"] == "shipped", sold  # paid and handed over at the counter
    url = f"/api/counter/orders/{sold['id']}/wechat-receipt"
    wechat_sandbox.subscribe(openid, "TPL_RECEIPT")
    first = client.post(url, headers={**shop.staff, "Idempotency-Key": "wx-receipt-1"})
    assert (first.status_code, first.json) == (202, {"order_id": sold["id"], "status": "queued"})
    drain_jobs()
    sent = [m for m in wechat_sandbox.state.sent_messages if m.touser == openid]
    assert [(m.template_id, m.page) for m in sent] == [("TPL_RECEIPT", f"pages/order/detail?id={sold['id']}")]
    assert sent[0].data == {
        "character_string1": {"value": str(sold["id"])},
        "amount2": {"value": "22.60元"},
        "time3": {"value": "2026-12-01 09:30"},
        "thing4": {"value": "1种商品 2件"},
    }
    # Asked again (another tap, another key): how the first went, and nothing sent twice.
    again = client.post(url, headers={**shop.staff, "Idempotency-Key": "wx-receipt-2"})
    assert (again.status_code, again.json["status"]) == (202, "sent")
    drain_jobs()
    assert len([m for m in wechat_sandbox.state.sent_messages if m.touser == openid]) == 1
