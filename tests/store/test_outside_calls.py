"""Nothing leaves the database while a transaction is open: the WeChat clients refuse to, checkout
and top-ups commit before they prepay, a slow prepay holds no stock row, and a replay or a retry
after a failed prepay finishes the same payment."""

from __future__ import annotations

import threading

import pytest
import requests

from backend.errors import DomainError, InternalError, OutsideCallInTransaction
from tests.store.conftest import add_to_cart


def test_the_wechat_pay_client_refuses_to_call_inside_a_transaction(app, wechat_sandbox):
    from backend.db import transaction
    from payments import wechat

    with transaction(), pytest.raises(OutsideCallInTransaction) as refused:
        wechat.client().query(out_trade_no="YC-never-sent")
    assert isinstance(refused.value, InternalError) and not isinstance(refused.value, DomainError)
    # Signing is local and stays allowed; outside a transaction the same query reaches the sandbox.
    with transaction():
        assert wechat.client().sign(["a", "b"])
    status, body = wechat.answer(wechat.client().query(out_trade_no="YC-never-sent"))
    assert (status, body["code"]) == (404, "ORDER_NOT_EXIST")


def test_the_miniprogram_client_refuses_to_call_inside_a_transaction(app, wechat_sandbox):
    from backend import runtime
    from backend.db import transaction

    code = wechat_sandbox.login_code()
    client = runtime.miniprogram_client()
    with transaction():
        with pytest.raises(OutsideCallInTransaction):
            client.fetch_access_token()
        with pytest.raises(OutsideCallInTransaction):
            client.wxa.code_to_session(code.code)
    assert wechat_sandbox.state.login_codes[code.code].openid == code.openid  # the code was not used
    assert client.wxa.code_to_session(code.code)["openid"] == code.openid


def _checkout(client, buyer, key):
    return client.post(
        "/api/checkout",
        json={"address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


def test_replaying_a_checkout_key_returns_the_same_payment_parameters(client, shop, shopper, wechat_sandbox):
    from backend.idempotency import IdempotencyRecord
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    buyer = shopper()
    assert add_to_cart(client, buyer, shop.sku.id, 2).status_code == 201
    first = _checkout(client, buyer, "pay-once")
    assert first.status_code == 201, first.json
    replay = _checkout(client, buyer, "pay-once")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_data() == first.get_data()  # the stored answer, signature and timestamp too
    record = PaymentRecord.get()
    assert first.json["payment"] == {
        "id": record.id,
        "out_trade_no": record.out_trade_no,
        "amount_fen": 2260,
        "status": "pending",
    }
    assert first.json["request_payment"]["package"] == f"prepay_id={record.prepay_id}"
    assert wechat_sandbox.state.orders[record.out_trade_no].prepay_id == record.prepay_id
    assert Order.select().count() == 1
    assert [(r.key, r.status_code) for r in IdempotencyRecord.select()] == [
        (f"addr-{buyer.user_id}", 201),
        (f"cart-{buyer.user_id}-{shop.sku.id}-2", 201),
        ("pay-once", 201),
    ]


def test_a_retry_after_a_failed_prepay_finishes_the_same_payment(
    client, shop, shopper, wechat_sandbox, monkeypatch
):
    from backend.idempotency import PARKED, IdempotencyRecord
    from backend.kernel.models import Order
    from payments import services
    from payments.models import PaymentRecord

    buyer = shopper()
    assert add_to_cart(client, buyer, shop.sku.id, 1).status_code == 201
    prepay = services.prepay_jsapi

    def crash(payment_id: int) -> None:
        raise RuntimeError("the process died before WeChat was asked")

    monkeypatch.setattr(services, "prepay_jsapi", crash)
    failed = _checkout(client, buyer, "k1")
    assert (failed.status_code, failed.json["error"]["code"]) == (500, "internal_error")
    # The order, its payment record and the claim are committed; WeChat has not heard of it.
    order = Order.get()
    record = PaymentRecord.get()
    assert (order.status, record.order_id, record.status, record.prepay_id) == (
        "pending_payment",
        order.id,
        "created",
        None,
    )
    assert record.out_trade_no not in wechat_sandbox.state.orders
    assert IdempotencyRecord.get(IdempotencyRecord.key == "k1").status_code == PARKED

    monkeypatch.setattr(services, "prepay_jsapi", prepay)
    retried = _checkout(client, buyer, "k1")
    assert retried.status_code == 201, retried.json
    record = PaymentRecord.get()
    assert (Order.select().count(), PaymentRecord.select().count()) == (1, 1)
    assert (retried.json["order"]["id"], retried.json["payment"]["id"]) == (order.id, record.id)
    assert retried.json["request_payment"]["package"] == f"prepay_id={record.prepay_id}"
    assert wechat_sandbox.state.orders[record.out_trade_no].prepay_id == record.prepay_id
    assert IdempotencyRecord.get(IdempotencyRecord.key == "k1").status_code == 201
    assert _checkout(client, buyer, "k1").get_data() == retried.get_data()


def test_a_top_up_commits_before_its_prepay_and_replays_its_parameters(client, shop, shopper, wechat_sandbox):
    from payments.models import TopUp

    buyer = shopper()
    headers = {**buyer.headers, "Idempotency-Key": "tu-1"}
    first = client.post("/api/me/stored-value/top-ups", json={"amount_fen": 5000}, headers=headers)
    assert first.status_code == 201, first.json
    replay = client.post("/api/me/stored-value/top-ups", json={"amount_fen": 5000}, headers=headers)
    assert replay.get_data() == first.get_data()
    record = TopUp.get()
    assert (TopUp.select().count(), record.status, record.amount_fen) == (1, "pending", 5000)
    assert first.json["request_payment"]["package"] == f"prepay_id={record.prepay_id}"
    assert wechat_sandbox.state.orders[record.out_trade_no].prepay_id == record.prepay_id


@pytest.mark.pg
def test_a_slow_prepay_holds_no_stock_lock_a_counter_sale_of_the_same_sku_goes_through(
    client, shop, shopper, wechat_sandbox, live
):
    from backend.db import db
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order
    from store import services as sales

    buyer = shopper()
    assert add_to_cart(client, buyer, shop.sku.id, 2).status_code == 201
    slow = wechat_sandbox.slow_down("jsapi", seconds=30)
    answers: list[requests.Response] = []
    checkout = threading.Thread(
        target=lambda: answers.append(
            requests.post(
                live + "/api/checkout",
                json={"address_id": buyer.address_id},
                headers={**buyer.headers, "Idempotency-Key": "slow"},
                timeout=60,
            )
        )
    )
    sold: list[int] = []

    def counter_sale() -> None:
        try:
            sold.append(sales.counter_cash_sale(None, [(shop.sku.id, 1)], reference="till-1").id)
        finally:
            db.close()

    checkout.start()
    try:
        assert slow.arrived.wait(10), "the checkout never asked WeChat for the prepay"
        sale = threading.Thread(target=counter_sale)
        sale.start()
        sale.join(10)
        # The sale is done while WeChat has still not answered the prepay.
        assert not sale.is_alive() and len(sold) == 1
        assert checkout.is_alive() and answers == []
    finally:
        slow.release()
        checkout.join(30)
    assert answers[0].status_code == 201, answers[0].text
    assert Order.get_by_id(sold[0]).status == "shipped"  # handed over at the counter
    level = StockLevel.get(StockLevel.sku == shop.sku.id)
    assert (level.on_hand, level.reserved) == (9, 2)  # one sold at the counter, two held by the checkout
