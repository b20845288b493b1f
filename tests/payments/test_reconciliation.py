"""Daily reconciliation against WeChat's trade bill: exact fen from yuan strings, and exactly the
differences we plant."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from payments.errors import BillFormatError
from payments.reconciliation import yuan_to_fen


def test_yuan_strings_become_exact_fen():
    assert [yuan_to_fen(t) for t in ("0.01", "12.34", "19.99", "100", "`0.07000", "-3.40", "1.5")] == [
        1,
        1234,
        1999,
        10000,
        7,
        -340,
        150,
    ]
    for bad in ("1.005", "abc", "", "1,000.00"):
        with pytest.raises(BillFormatError):
            yuan_to_fen(bad)


def _fresh_sandbox_day(sb) -> dt.date:
    """Move the sandbox to 01:00 of a new China day, so its bill holds only this test's trades."""
    now = sb.clock.datetime()
    next_day = (now + dt.timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
    sb.advance((next_day - now).total_seconds())
    return sb.clock.datetime().date()


def _pay(client, sb, buyer, order_id) -> str:
    checkout = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers).json
    sb.approve(checkout["request_payment"]["package"][10:], buyer.openid)
    sb.deliver_due()
    return checkout["payment"]["out_trade_no"]


def test_a_clean_day_has_no_differences(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login, drain_jobs
):
    sb = wechat_sandbox
    day = _fresh_sandbox_day(sb)
    buyer = wechat_buyer()
    owner = login(make_user("owner"))
    first = place(buyer, [(shop.sku.id, 1)], key="a")
    second = place(buyer, [(shop.sku2.id, 3)], key="b")
    _pay(client, sb, buyer, first)
    _pay(client, sb, buyer, second)
    refund = client.post(
        f"/api/orders/{second}/wechat-refunds",
        json={"amount_fen": 565},
        headers={**login(make_user("staff")), "Idempotency-Key": "r"},
    ).json
    drain_jobs()
    sb.complete_refund(refund["out_refund_no"])
    sb.deliver_due()

    response = client.post(
        "/api/payments/reconciliations", json={"bill_date": day.isoformat()}, headers=owner
    )
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["wechat_rows"], report["our_rows"], report["difference_count"]) == (3, 3, 0)
    assert (report["wechat_paid_fen"], report["wechat_refunded_fen"]) == (1130 + 1695, 565)
    assert report["differences"] == []
    stored = client.get(f"/api/payments/reconciliations/{day.isoformat()}", headers=owner)
    assert stored.json == report


def test_reconciliation_finds_exactly_the_planted_differences(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login, live
):
    from wechatpayv3 import WeChatPayType

    from payments.models import PaymentRecord
    from payments.wechat import NOTIFY_PATH

    sb = wechat_sandbox
    day = _fresh_sandbox_day(sb)
    buyer = wechat_buyer()
    owner = login(make_user("owner"))
    _pay(client, sb, buyer, place(buyer, [(shop.sku.id, 1)], key="fine"))
    tampered = _pay(client, sb, buyer, place(buyer, [(shop.sku.id, 2)], key="tampered"))
    # Planted: our record says 2200 where WeChat took 2260...
    PaymentRecord.update(amount_fen=2200).where(PaymentRecord.out_trade_no == tampered).execute()
    # ...and a payment WeChat has that we never recorded.
    stranger_no = f"ZZ{uuid.uuid4().hex[:20]}"
    status, _ = sb.pay_client(notify_url=live + NOTIFY_PATH).pay(
        description="not ours", out_trade_no=stranger_no, amount={"total": 888}, pay_type=WeChatPayType.NATIVE
    )
    assert status == 200
    sb.scan_and_pay(sb.state.orders[stranger_no].code_url, "o-someone")
    assert [a.status_code for a in sb.deliver_due() if a.out_trade_no == stranger_no] == [
        204
    ]  # unknown to us

    response = client.post(
        "/api/payments/reconciliations", json={"bill_date": day.isoformat()}, headers=owner
    )
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["wechat_rows"], report["our_rows"], report["difference_count"]) == (3, 2, 2)
    found = sorted(
        (d["kind"], d["out_trade_no"], d["wechat_amount_fen"], d["our_amount_fen"])
        for d in report["differences"]
    )
    assert found == sorted(
        [
            ("amount_mismatch", tampered, 2260, 2200),
            ("missing_ours", stranger_no, 888, None),
        ]
    )
    # Running it again replaces the day's report rather than adding to it.
    again = client.post("/api/payments/reconciliations", json={"bill_date": day.isoformat()}, headers=owner)
    assert again.json["difference_count"] == 2
    assert client.get(f"/api/payments/reconciliations/{day.isoformat()}", headers=owner).json == again.json
    staff = login(make_user("staff"))
    assert client.get(f"/api/payments/reconciliations/{day.isoformat()}", headers=staff).status_code == 403
    assert client.get("/api/payments/reconciliations/2001-01-01", headers=owner).status_code == 404
