"""A refund job that failed after WeChat accepted the refund, before its own record was written, is
simply run again: WeChat deduplicates by out_refund_no, so the customer gets one refund."""

from __future__ import annotations

from tests.payments.conftest import checks_clean


def test_a_refund_accepted_by_wechat_before_its_job_failed_is_retried_and_refunded_once(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login, drain_jobs, monkeypatch
):
    from backend import clock
    from backend.jobs.models import OutboxMessage
    from payments import refunds
    from payments.models import RefundRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 2)])
    paying = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    out_trade_no = paying.json["payment"]["out_trade_no"]
    sb.approve(paying.json["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    sb.deliver_due()

    answered = []
    real_answer = refunds.wechat.answer

    def crash(response):  # WeChat has the refund; the worker dies before recording its answer
        answered.append(real_answer(response))
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(refunds.wechat, "answer", crash)
    staff = login(make_user("staff"))
    asked = client.post(
        f"/api/orders/{order_id}/wechat-refunds",
        json={"amount_fen": 1000},
        headers={**staff, "Idempotency-Key": "refund-1"},
    )
    assert asked.status_code == 201, asked.json
    drain_jobs()
    monkeypatch.undo()
    (job,) = OutboxMessage.select().where(OutboxMessage.job == "payments.request_refund")
    assert (job.status, job.attempts) == ("pending", 1)
    assert RefundRecord.get_by_id(asked.json["id"]).status == "requested"
    assert [(a[0], a[1]["amount"]["refund"]) for a in answered] == [(200, 1000)]

    clock.advance(11)
    drain_jobs()  # asked again with the same out_refund_no: WeChat answers with the same refund
    refund = RefundRecord.get_by_id(asked.json["id"])
    assert (refund.status, OutboxMessage.get_by_id(job.id).status) == ("processing", "done")
    mine = [r for r in sb.state.refunds.values() if r.out_trade_no == out_trade_no]
    assert [(r.out_refund_no, r.refund) for r in mine] == [(refund.out_refund_no, 1000)]
    sb.complete_refund(refund.out_refund_no)
    sb.deliver_due()
    assert RefundRecord.get_by_id(refund.id).status == "succeeded"
    assert checks_clean() == []
