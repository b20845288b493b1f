"""A stored-value top-up whose notification never comes (lost, or WeChat gave up) is still credited:
the periodic query asks WeChat and applies the success once. One never paid is closed at WeChat and
here once its prepay has expired, so the query does not ask about it for ever."""

from __future__ import annotations

from typing import Any

from tests.payments.conftest import checks_clean


def _start_top_up(client: Any, buyer: Any, amount_fen: int) -> Any:
    from payments.models import TopUp

    response = client.post(
        "/api/me/stored-value/top-ups",
        json={"amount_fen": amount_fen},
        headers={**buyer.headers, "Idempotency-Key": f"top-up-{amount_fen}"},
    )
    assert response.status_code == 201, response.json
    prepay_id = response.json["request_payment"]["package"].removeprefix("prepay_id=")
    return TopUp.get(TopUp.customer == buyer.customer.id), prepay_id


def _stored_value(customer_id: int) -> int:
    from store.shop_models import MemberAccount

    account = MemberAccount.get_or_none(MemberAccount.customer == customer_id)
    return 0 if account is None else int(account.stored_value_fen)


def test_a_top_up_whose_notification_is_lost_is_credited_by_the_query(
    client: Any, wechat_buyer: Any, wechat_sandbox: Any
) -> None:
    from backend import clock
    from payments.jobs import settle_pending
    from payments.models import TopUp

    buyer = wechat_buyer()
    record, prepay_id = _start_top_up(client, buyer, 3000)
    wechat_sandbox.inject_fault("lose", record.out_trade_no)
    wechat_sandbox.approve(prepay_id, buyer.openid)
    delivered = [a.kind for a in wechat_sandbox.deliver_due() if a.out_trade_no == record.out_trade_no]
    assert delivered == ["lost"]
    assert (TopUp.get_by_id(record.id).status, _stored_value(buyer.customer.id)) == ("pending", 0)

    clock.advance(61)
    assert settle_pending() == {"payments": 0, "refunds": 0, "top_ups": 1, "settled": 1}
    assert (TopUp.get_by_id(record.id).status, _stored_value(buyer.customer.id)) == ("succeeded", 3000)
    assert settle_pending() == {"payments": 0, "refunds": 0, "top_ups": 0, "settled": 0}
    assert _stored_value(buyer.customer.id) == 3000
    assert checks_clean() == []


def test_a_top_up_never_paid_is_closed_once_its_prepay_expires(
    client: Any, wechat_buyer: Any, wechat_sandbox: Any
) -> None:
    from backend import clock
    from payments.jobs import settle_pending
    from payments.models import TopUp

    buyer = wechat_buyer()
    record, _ = _start_top_up(client, buyer, 1000)
    clock.advance(61)
    assert settle_pending() == {"payments": 0, "refunds": 0, "top_ups": 1, "settled": 0}  # NOTPAY, young
    assert TopUp.get_by_id(record.id).status == "pending"

    clock.advance(7000)
    assert settle_pending() == {"payments": 0, "refunds": 0, "top_ups": 1, "settled": 1}
    assert TopUp.get_by_id(record.id).status == "closed"
    assert wechat_sandbox.state.orders[record.out_trade_no].trade_state == "CLOSED"
    assert settle_pending() == {"payments": 0, "refunds": 0, "top_ups": 0, "settled": 0}
    assert (_stored_value(buyer.customer.id), checks_clean()) == (0, [])
