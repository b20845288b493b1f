"""Notifications: signed and encrypted as wechatpayv3's callback() expects, retried on
WeChat's schedule on the sandbox clock, and misbehaving on request."""

from __future__ import annotations

import json

import requests
from wechatpayv3 import WeChatPayType

from payments.sandbox.notify import RETRY_SCHEDULE
from payments.sandbox.testing import RunningSandbox

from .conftest import Receiver


def _paid_jsapi(sandbox: RunningSandbox, receiver: Receiver, out_trade_no: str, total: int) -> str:
    """Place and pay a JSAPI order; returns the payer's openid."""
    pay = sandbox.pay_client(receiver.url)
    openid = sandbox.login_code().openid
    code, text = pay.pay(
        description="鲜花 1 束", out_trade_no=out_trade_no, amount={"total": total}, payer={"openid": openid}
    )
    assert code == 200, text
    sandbox.approve(json.loads(text)["prepay_id"], openid)
    return openid


def test_payment_notification_verifies_and_decrypts(sandbox: RunningSandbox, receiver: Receiver) -> None:
    openid = _paid_jsapi(sandbox, receiver, "SO-N-1", 3999)
    assert receiver.received == []  # nothing is sent until delivery runs

    attempts = sandbox.deliver_due()

    assert [(a.kind, a.round, a.status_code) for a in attempts] == [("genuine", 1, 200)]
    [result] = receiver.verified
    assert result["event_type"] == "TRANSACTION.SUCCESS"
    assert result["resource_type"] == "encrypt-resource"
    assert result["summary"] == "支付成功"
    resource = result["resource"]
    order = sandbox.state.orders["SO-N-1"]
    assert resource["out_trade_no"] == "SO-N-1"
    assert resource["transaction_id"] == order.transaction_id
    assert resource["trade_state"] == "SUCCESS"
    assert resource["trade_type"] == "JSAPI"
    assert resource["amount"] == {
        "total": 3999,
        "payer_total": 3999,
        "currency": "CNY",
        "payer_currency": "CNY",
    }
    assert resource["payer"] == {"openid": openid}
    assert resource["mchid"] == sandbox.credentials.mchid
    headers = receiver.received[0].headers
    assert headers["Wechatpay-Serial"] == sandbox.credentials.wechatpay_public_key_id
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"

    # Delivered: nothing more is due, ever.
    sandbox.advance(86400)
    assert sandbox.deliver_due() == []
    assert sandbox.state.notifications_for("SO-N-1")[0].status == "delivered"


def test_failed_delivery_is_retried_on_wechats_schedule(sandbox: RunningSandbox, receiver: Receiver) -> None:
    receiver.status = 500
    _paid_jsapi(sandbox, receiver, "SO-N-RETRY", 100)
    start = sandbox.clock.now()

    assert [a.round for a in sandbox.deliver_due()] == [1]
    offsets = []
    elapsed = 0
    for gap in RETRY_SCHEDULE[:5]:
        sandbox.advance(gap - 1)
        assert sandbox.deliver_due() == []  # one second early: nothing
        sandbox.advance(1)
        elapsed += gap
        attempts = sandbox.deliver_due()
        assert len(attempts) == 1
        offsets.append(int(attempts[0].at - start))
    assert offsets == [15, 30, 60, 240, 840]
    assert offsets == [elapsed for elapsed in (15, 30, 60, 240, 840)]

    # The merchant recovers: the next round (20 min later) is the last one.
    receiver.status = 204
    sandbox.advance(1200)
    assert [(a.round, a.status_code) for a in sandbox.deliver_due()] == [(7, 204)]
    assert sandbox.state.notifications_for("SO-N-RETRY")[0].status == "delivered"
    # All seven copies carried the same notification, and all verified.
    assert len(receiver.verified) == 7
    assert len({r["id"] for r in receiver.verified}) == 1


def test_wechat_gives_up_after_the_last_round(sandbox: RunningSandbox, receiver: Receiver) -> None:
    receiver.status = 500
    _paid_jsapi(sandbox, receiver, "SO-N-GIVEUP", 100)
    sandbox.deliver_due()
    sandbox.advance(sum(RETRY_SCHEDULE))  # 24h4m later, every overdue round goes out at once
    attempts = sandbox.deliver_due()
    assert [a.round for a in attempts] == list(range(2, 17))
    assert sum(RETRY_SCHEDULE) == 24 * 3600 + 4 * 60
    assert sandbox.state.notifications_for("SO-N-GIVEUP")[0].status == "failed"
    sandbox.advance(86400)
    assert sandbox.deliver_due() == []


def test_connection_refused_counts_as_a_failure(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client("http://127.0.0.1:9/nobody-listens")
    openid = sandbox.login_code().openid
    _code, text = pay.pay(
        description="x", out_trade_no="SO-N-DOWN", amount={"total": 1}, payer={"openid": openid}
    )
    sandbox.approve(json.loads(text)["prepay_id"], openid)
    [attempt] = sandbox.deliver_due()
    assert attempt.status_code is None and attempt.error is not None and not attempt.ok
    assert sandbox.state.notifications_for("SO-N-DOWN")[0].due_at == sandbox.clock.now() + 15


def test_refund_notification(sandbox: RunningSandbox, receiver: Receiver) -> None:
    _paid_jsapi(sandbox, receiver, "SO-N-REF", 1000)
    pay = sandbox.pay_client(receiver.url)
    code, text = pay.refund(
        out_refund_no="RF-N-1",
        amount={"refund": 300, "total": 1000, "currency": "CNY"},
        out_trade_no="SO-N-REF",
    )
    assert (code, json.loads(text)["status"]) == (200, "PROCESSING")
    sandbox.deliver_due()
    assert [r["event_type"] for r in receiver.verified] == ["TRANSACTION.SUCCESS"]

    sandbox.advance(5)  # WeChat finishes the refund
    sandbox.deliver_due()
    events = [r["event_type"] for r in receiver.verified]
    assert events == ["TRANSACTION.SUCCESS", "REFUND.SUCCESS"]
    resource = receiver.verified[1]["resource"]
    assert resource["out_refund_no"] == "RF-N-1"
    assert resource["out_trade_no"] == "SO-N-REF"
    assert resource["refund_status"] == "SUCCESS"
    assert resource["amount"] == {"total": 1000, "refund": 300, "payer_total": 1000, "payer_refund": 300}


def test_codepay_success_notifies_when_configured(sandbox: RunningSandbox, receiver: Receiver) -> None:
    pay = sandbox.pay_client()
    # wechatpayv3 sends no notify_url with CODEPAY; the sandbox can be told where to notify.
    sandbox.state.codepay_notify_url = receiver.url
    auth_code = sandbox.payment_code(behaviour="userpaying_then_success")
    code, _ = pay.pay(
        description="柜台收款",
        out_trade_no="POS-N-1",
        amount={"total": 700},
        payer={"auth_code": auth_code},
        pay_type=WeChatPayType.CODEPAY,
    )
    assert code == 200
    assert sandbox.deliver_due() == []  # still USERPAYING
    sandbox.advance(10)
    assert [a.status_code for a in sandbox.deliver_due()] == [200]
    assert receiver.verified[0]["resource"]["trade_type"] == "MICROPAY"


# --- fault injection ---------------------------------------------------------------------------


def test_duplicates_arrive_n_times(sandbox: RunningSandbox, receiver: Receiver) -> None:
    sandbox.inject_fault("duplicate", "SO-N-DUP", copies=3)
    _paid_jsapi(sandbox, receiver, "SO-N-DUP", 1234)
    attempts = sandbox.deliver_due()
    assert [a.kind for a in attempts] == ["genuine", "duplicate", "duplicate"]
    assert len(receiver.verified) == 3
    assert {r["resource"]["amount"]["total"] for r in receiver.verified} == {1234}
    assert len({r["id"] for r in receiver.verified}) == 1


def test_concurrent_duplicates(sandbox: RunningSandbox, receiver: Receiver) -> None:
    _paid_jsapi(sandbox, receiver, "SO-N-RACE", 500)
    # Injected after the payment, before delivery: still applies.
    sandbox.inject_fault("duplicate", "SO-N-RACE", copies=5, concurrent=True)
    attempts = sandbox.deliver_due()
    assert len(attempts) == 5 and all(a.ok for a in attempts)
    assert len(receiver.verified) == 5


def test_late_notification_is_held_until_the_clock_passes(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    sandbox.inject_fault("late", "SO-N-LATE", delay_seconds=600)
    _paid_jsapi(sandbox, receiver, "SO-N-LATE", 100)
    assert sandbox.deliver_due() == []
    sandbox.advance(599)
    assert sandbox.deliver_due() == []
    sandbox.advance(1)
    assert [a.status_code for a in sandbox.deliver_due()] == [200]


def test_lost_notification_never_arrives_but_the_order_is_paid(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    sandbox.inject_fault("lose", "SO-N-LOST")
    _paid_jsapi(sandbox, receiver, "SO-N-LOST", 100)
    [attempt] = sandbox.deliver_due()
    assert attempt.kind == "lost"
    sandbox.advance(86400 * 2)
    assert sandbox.deliver_due() == []
    assert receiver.received == []
    # The merchant must query to find out.
    _code, text = sandbox.pay_client().query(out_trade_no="SO-N-LOST")
    assert json.loads(text)["trade_state"] == "SUCCESS"


def test_out_of_order_refund_before_payment(sandbox: RunningSandbox, receiver: Receiver) -> None:
    sandbox.inject_fault("out_of_order", "SO-N-OOO")
    _paid_jsapi(sandbox, receiver, "SO-N-OOO", 900)
    assert sandbox.deliver_due() == []  # held
    pay = sandbox.pay_client(receiver.url)
    pay.refund(
        out_refund_no="RF-OOO",
        amount={"refund": 900, "total": 900, "currency": "CNY"},
        out_trade_no="SO-N-OOO",
    )
    sandbox.complete_refund("RF-OOO")
    sandbox.deliver_due()
    assert [r["event_type"] for r in receiver.verified] == ["REFUND.SUCCESS", "TRANSACTION.SUCCESS"]


def test_forged_copy_fails_verification(sandbox: RunningSandbox, receiver: Receiver) -> None:
    sandbox.inject_fault("forged", "SO-N-FORGED")
    _paid_jsapi(sandbox, receiver, "SO-N-FORGED", 100)
    attempts = sandbox.deliver_due()
    assert [a.kind for a in attempts] == ["forged", "genuine"]
    assert len(receiver.received) == 2
    assert receiver.received[0].result is None  # callback() refused the forged signature
    assert receiver.received[1].result is not None
    assert receiver.received[0].body == receiver.received[1].body  # same body, wrong key


def test_wrong_amount_copy_verifies_but_carries_the_altered_amount(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    sandbox.inject_fault("wrong_amount", "SO-N-FAKE", total=1)
    _paid_jsapi(sandbox, receiver, "SO-N-FAKE", 9900)
    attempts = sandbox.deliver_due()
    assert [a.kind for a in attempts] == ["wrong_amount", "genuine"]
    fake, real = receiver.verified
    assert fake["resource"]["amount"]["total"] == 1
    assert fake["resource"]["amount"]["payer_total"] == 1
    assert real["resource"]["amount"]["total"] == 9900
    assert fake["resource"]["out_trade_no"] == real["resource"]["out_trade_no"] == "SO-N-FAKE"


def test_control_endpoints_drive_clock_and_delivery(sandbox: RunningSandbox, receiver: Receiver) -> None:
    control = sandbox.control_base
    ctl = requests.Session()  # a script that knows the sandbox's control token
    ctl.headers.update(sandbox.control_headers)
    pay = sandbox.pay_client(receiver.url)
    openid = ctl.post(control + "/login-code", json={}, timeout=5).json()["openid"]
    _code, text = pay.pay(
        description="x", out_trade_no="SO-N-CTL", amount={"total": 42}, payer={"openid": openid}
    )
    prepay_id = json.loads(text)["prepay_id"]
    fault = ctl.post(control + "/faults", json={"kind": "late", "out_trade_no": "SO-N-CTL",
                                                     "delay_seconds": 30}, timeout=5)  # fmt: skip
    assert fault.status_code == 200
    paid = ctl.post(f"{control}/prepay/{prepay_id}/approve", json={"openid": openid}, timeout=5)
    assert paid.json()["trade_state"] == "SUCCESS"
    assert ctl.post(control + "/notifications/deliver", timeout=5).json() == {"attempts": []}
    assert ctl.post(control + "/clock/advance", json={"seconds": 30}, timeout=5).status_code == 200
    attempts = ctl.post(control + "/notifications/deliver", timeout=5).json()["attempts"]
    assert [(a["kind"], a["status_code"], a["ok"]) for a in attempts] == [("genuine", 200, True)]
    assert receiver.verified[0]["resource"]["amount"]["total"] == 42

    wrong = ctl.post(f"{control}/prepay/{prepay_id}/approve", json={"openid": "oOther"}, timeout=5)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "OPENID_MISMATCH")


def test_background_delivery_thread(credentials: object) -> None:
    """The demo delivers from a thread on the real clock."""
    import time

    from payments.sandbox.clock import SandboxClock
    from payments.sandbox.testing import running_sandbox

    with running_sandbox(clock=SandboxClock(), deliver_in_background=True, delivery_interval=0.05) as sb:
        received: list[str] = []
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request, Response

        pay = sb.pay_client()

        @Request.application
        def app(request: Request) -> Response:
            result = pay.callback(dict(request.headers), request.get_data(as_text=True))
            received.append(result["resource"]["out_trade_no"])
            return Response(status=204)

        import threading

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        try:
            client = sb.pay_client(f"http://127.0.0.1:{server.server_port}/n")
            openid = sb.login_code().openid
            _, text = client.pay(
                description="x", out_trade_no="SO-BG-1", amount={"total": 5}, payer={"openid": openid}
            )
            sb.approve(json.loads(text)["prepay_id"], openid)
            deadline = time.monotonic() + 5
            while not received and time.monotonic() < deadline:
                time.sleep(0.02)
            assert received == ["SO-BG-1"]
        finally:
            server.shutdown()
            server.server_close()
