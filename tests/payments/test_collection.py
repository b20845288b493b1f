"""Staff collection at the counter: a NATIVE QR the customer scans, and the customer's payment code."""

from __future__ import annotations

import pytest

from tests.payments.conftest import checks_clean, order_entries, snapshot


@pytest.fixture
def staff(make_user, login):
    return login(make_user("staff"))


@pytest.fixture
def counter_order(shop):
    from store import services as sales

    def make() -> int:
        return sales.place_order(None, [(shop.sku.id, 1)], channel="counter").id

    return make


@pytest.fixture
def sandbox_time(wechat_sandbox, monkeypatch):
    """Polling waits on the sandbox clock: the payer types the password in sandbox seconds."""
    from payments import codepay

    waited: list[float] = []

    def wait(seconds: float) -> None:
        waited.append(seconds)
        wechat_sandbox.advance(seconds)

    monkeypatch.setattr(codepay, "sleep", wait)
    return waited


def test_native_qr_png_scanned_and_paid(client, staff, counter_order, wechat_sandbox):
    from backend.kernel.models import Order

    sb = wechat_sandbox
    order_id = counter_order()
    response = client.post(f"/api/orders/{order_id}/wechat-native", headers=staff)
    assert response.status_code == 200, response.json
    code_url = response.json["code_url"]
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert (response.json["payment"]["method"], response.json["payment"]["amount_fen"]) == (
        "wechat_native",
        1130,
    )
    again = client.post(f"/api/orders/{order_id}/wechat-native", headers=staff)
    assert again.json["code_url"] == code_url

    png = client.get(response.json["qr_png_url"], headers=staff)
    assert (png.status_code, png.mimetype) == (200, "image/png")
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(response.json["qr_png_url"]).status_code == 401

    sb.scan_and_pay(code_url, sb.login_code().openid)
    sb.deliver_due()
    assert (Order.get_by_id(order_id).status, Order.get_by_id(order_id).paid_fen) == ("paid", 1130)
    assert order_entries(order_id) == [
        ("order.paid", [("1012", 1130, 0), ("5001", 0, 1000), ("2221", 0, 130)])
    ]
    assert checks_clean() == []


def test_payment_code_paid_at_once(client, staff, counter_order, wechat_sandbox):
    from backend.kernel.models import Order

    order_id = counter_order()
    auth_code = wechat_sandbox.payment_code(behaviour="success")
    response = client.post(
        f"/api/orders/{order_id}/payment-code", json={"auth_code": auth_code}, headers=staff
    )
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["method"]) == ("succeeded", "wechat_codepay")
    assert Order.get_by_id(order_id).status == "paid"
    assert checks_clean() == []


def test_payment_code_userpaying_then_success(client, staff, counter_order, wechat_sandbox, sandbox_time):
    from backend.kernel.models import Order

    order_id = counter_order()
    auth_code = wechat_sandbox.payment_code(behaviour="userpaying_then_success", userpaying_seconds=10)
    response = client.post(
        f"/api/orders/{order_id}/payment-code", json={"auth_code": auth_code}, headers=staff
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "succeeded"
    assert sandbox_time == [5.0, 5.0]  # polled until the payer confirmed
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen) == ("paid", 1130)
    wx = wechat_sandbox.state.orders[response.json["out_trade_no"]]
    assert (wx.trade_state, response.json["transaction_id"]) == ("SUCCESS", wx.transaction_id)
    assert order_entries(order_id) == [
        ("order.paid", [("1012", 1130, 0), ("5001", 0, 1000), ("2221", 0, 130)])
    ]
    assert checks_clean() == []


def test_payment_code_userpaying_then_fail_is_reversed(
    client, staff, counter_order, wechat_sandbox, sandbox_time
):
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    order_id = counter_order()
    auth_code = wechat_sandbox.payment_code(behaviour="userpaying_then_fail", userpaying_seconds=10)
    before = snapshot()
    response = client.post(
        f"/api/orders/{order_id}/payment-code", json={"auth_code": auth_code}, headers=staff
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "payment_code_failed"
    assert response.json["error"]["details"]["status"] == "reversed"
    (record,) = PaymentRecord.select().where(PaymentRecord.order == order_id)
    assert wechat_sandbox.state.orders[record.out_trade_no].trade_state == "REVOKED"
    assert Order.get_by_id(order_id).status == "pending_payment"
    after = snapshot()
    assert after.pop("PaymentRecord") == before.pop("PaymentRecord") + 1
    after.pop("payments"), before.pop("payments")
    assert after == before  # no money, no entries
    assert checks_clean() == []


def test_payment_code_never_confirmed_is_reversed_on_timeout(
    client, staff, counter_order, wechat_sandbox, sandbox_time
):
    from payments.models import PaymentRecord

    order_id = counter_order()
    auth_code = wechat_sandbox.payment_code(behaviour="userpaying_then_success", userpaying_seconds=600)
    response = client.post(
        f"/api/orders/{order_id}/payment-code", json={"auth_code": auth_code}, headers=staff
    )
    assert response.status_code == 409
    assert sandbox_time == [5.0] * 6
    (record,) = PaymentRecord.select().where(PaymentRecord.order == order_id)
    assert record.status == "reversed"
    assert wechat_sandbox.state.orders[record.out_trade_no].trade_state == "REVOKED"


def test_payment_code_with_insufficient_funds_fails(client, staff, counter_order, wechat_sandbox):
    from payments.models import PaymentRecord

    order_id = counter_order()
    auth_code = wechat_sandbox.payment_code(behaviour="insufficient_funds")
    response = client.post(
        f"/api/orders/{order_id}/payment-code", json={"auth_code": auth_code}, headers=staff
    )
    assert (response.status_code, response.json["error"]["details"]["status"]) == (409, "failed")
    (record,) = PaymentRecord.select().where(PaymentRecord.order == order_id)
    assert record.status == "failed"
    assert "NOTENOUGH" in record.last_error


class _Died(BaseException):
    """The process serving the request was killed at a crash point (backend/faults.py)."""


def test_payment_code_pressed_again_after_a_crash_books_what_wechat_took(
    client, staff, counter_order, wechat_sandbox, monkeypatch
):
    """WeChat charged the payment code, the web worker died before booking it; the retry reuses the
    payment's out_trade_no, WeChat refuses a second charge (ORDERPAID), and the payment is booked from
    WeChat's record of it, once, instead of being marked failed while the customer's money is gone."""
    from backend.kernel.models import Order
    from payments import codepay
    from payments.models import PaymentRecord

    def crash_at(name: str) -> None:
        if name == "codepay.answered" and not died:
            died.append(name)
            raise _Died(name)

    died: list[str] = []
    monkeypatch.setattr(codepay, "crash_point", crash_at)
    order_id = counter_order()
    body = {"auth_code": wechat_sandbox.payment_code(behaviour="success")}
    with pytest.raises(_Died):
        client.post(f"/api/orders/{order_id}/payment-code", json=body, headers=staff)
    assert Order.get_by_id(order_id).status == "pending_payment"  # taken at WeChat, not booked yet

    again = client.post(f"/api/orders/{order_id}/payment-code", json=body, headers=staff)
    assert again.status_code == 200, again.json
    assert (again.json["status"], again.json["amount_fen"]) == ("succeeded", 1130)
    assert [(p.status, p.amount_fen) for p in PaymentRecord.select()] == [("succeeded", 1130)]
    assert Order.get_by_id(order_id).paid_fen == 1130
    taken = wechat_sandbox.state.orders[again.json["out_trade_no"]]
    assert (taken.trade_state, taken.total) == ("SUCCESS", 1130)
    assert checks_clean() == []
