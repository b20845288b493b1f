"""POST /api/payments/wechat/notify under hostile input: whoever reaches the public endpoint, with
whatever body and headers, gets a clean 4xx (or WeChat's 204 "done with" for a genuine message
that pays nothing), never a 5xx, and nothing is booked. Then the genuine notification still pays
the order exactly once, however often it is replayed."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payments.sandbox.signing import encrypt_resource, signature_headers
from payments.wechat import NOTIFY_PATH
from tests.payments.conftest import checks_clean, snapshot


def _signed(sandbox: Any, body: str | bytes, key: Any = None) -> dict[str, str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    headers = signature_headers(
        key or sandbox.state.wechatpay_private_key, sandbox.credentials.wechatpay_public_key_id, text
    )
    return {**headers, "Content-Type": "application/json"}


def _seal(apiv3_key: str, plaintext: dict[str, Any]) -> dict[str, str]:
    """encrypt_resource, but for any JSON text: escapes (a lone surrogate) travel as written."""
    resource = encrypt_resource(apiv3_key, {}, "transaction")
    text = json.dumps(plaintext, ensure_ascii=True).encode()
    sealed = AESGCM(apiv3_key.encode()).encrypt(resource["nonce"].encode(), text, b"transaction")
    return {**resource, "ciphertext": base64.b64encode(sealed).decode()}


def _envelope(resource: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS", **extra: Any) -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "create_time": "2026-12-01T10:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": resource,
            **extra,
        },
        ensure_ascii=False,
    )


def _hostile(sandbox: Any, genuine: Any) -> list[tuple[str, bytes, dict[str, str], set[int]]]:
    """(what, body, headers, statuses that are a clean answer) for each hostile delivery."""
    key = sandbox.credentials.apiv3_key
    plain = genuine.resource

    def sealed(changes: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS") -> bytes:
        resource = copy.deepcopy(plain)
        for path, value in changes.items():
            target = resource
            *parents, last = path.split(".")
            for name in parents:
                target = target[name]
            target[last] = value
        return _envelope(_seal(key, resource), event_type).encode()

    refused = {400}  # signed by WeChat, but not ours or not what we asked for: logged, never applied
    done_with = {204}  # genuine and harmless: acknowledged so WeChat stops resending, changes nothing
    cases: list[tuple[str, bytes | str, dict[str, str] | None, set[int]]] = [
        ("no signature headers", genuine.body, {"Content-Type": "application/json"}, {401}),
        (
            "signed by someone else",
            genuine.body,
            _signed(sandbox, genuine.body, sandbox.state.forger_key),
            {401},
        ),
        (
            "signature of another body",
            genuine.body.replace("支付成功", "x"),
            _signed(sandbox, genuine.body),
            {401},
        ),
        ("garbage, correctly signed", b"\x00\xffnot json{{{", None, {401}),
        ("JSON without a resource", _envelope("nope"), None, {401}),  # type: ignore[arg-type]
        ("resource not encrypted", _envelope(plain), None, {401}),
        (
            "ciphertext tampered",
            _envelope({**json.loads(genuine.body)["resource"], "ciphertext": "AAAA" * 20}),
            None,
            {401},
        ),
        (
            "encrypted with another key",
            _envelope(encrypt_resource("k" * 32, plain, "transaction")),
            None,
            {401},
        ),
        ("JSON nested 100000 deep", "[" * 100_000 + "]" * 100_000, None, {401}),
        ("a body over the size limit", b'{"id":"' + b"x" * 2_000_000 + b'"}', None, {413}),
        ("another merchant", sealed({"mchid": "1900000109"}), None, refused),
        ("another mini-program", sealed({"appid": "wx0000000000000000"}), None, refused),
        ("a smaller amount", sealed({"amount.total": 1, "amount.payer_total": 1}), None, refused),
        (
            "an amount beyond 64 bits",
            sealed({"amount.total": 2**70, "amount.payer_total": 2**70}),
            None,
            refused,
        ),
        ("an amount of 4000 digits", sealed({"amount.total": 10**3999}), None, refused),
        ("an amount as a string", sealed({"amount.total": str(plain["amount"]["total"])}), None, refused),
        ("not paid (NOTPAY)", sealed({"trade_state": "NOTPAY"}), None, done_with),
        ("an order we never made", sealed({"out_trade_no": "YC" + "9" * 20}), None, done_with),
        (
            "an out_trade_no with NUL",
            sealed({"out_trade_no": "YC\x00" + plain["out_trade_no"]}),
            None,
            refused,
        ),
        ("an out_trade_no of 5000 chars", sealed({"out_trade_no": "Y" * 5000}), None, done_with),
        ("a lone surrogate", sealed({"out_trade_no": "\ud800"}), None, refused),
        ("a refund nobody asked for", sealed({"out_refund_no": "R" * 20}, "REFUND.SUCCESS"), None, done_with),
        ("an event type nobody sends", sealed({}, "TRANSACTION.WHATEVER"), None, done_with),
    ]
    out = []
    for what, body, headers, clean in cases:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        out.append((what, raw, headers if headers is not None else _signed(sandbox, raw), clean))
    return out


def test_hostile_notifications_are_refused_cleanly_and_book_nothing(
    client, shop, wechat_buyer, place, wechat_sandbox, live
):
    from backend.kernel.models import Order
    from backend.receivables.models import Payment
    from payments.models import WechatNotification

    sandbox = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    started = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert started.status_code == 200, started.json
    out_trade_no = started.json["payment"]["out_trade_no"]
    sandbox.inject_fault("lose", out_trade_no)  # WeChat's own delivery is held back; we send it below
    sandbox.approve(sandbox.state.orders[out_trade_no].prepay_id, buyer.openid)
    sandbox.deliver_due()
    (genuine,) = sandbox.state.notifications_for(out_trade_no, "TRANSACTION.SUCCESS")

    before = snapshot()
    answers = []
    for what, body, headers, clean in _hostile(sandbox, genuine):
        response = requests.post(live + NOTIFY_PATH, data=body, headers=headers, timeout=30)
        answers.append((what, response.status_code))
        assert response.status_code in clean, (what, response.status_code, response.text[:300])
    after = snapshot()
    assert after.pop("WechatNotification") >= before.pop("WechatNotification")  # kept for audit only
    assert after == before
    assert not WechatNotification.select().where(WechatNotification.outcome == "applied").exists()
    print(f"\nhostile notifications: {len(answers)} deliveries: {answers}")

    # The genuine one pays once, and replays of it (same body, fresh or the very same headers) don't.
    headers = _signed(sandbox, genuine.body)
    replies = [requests.post(live + NOTIFY_PATH, data=genuine.body.encode(), headers=headers, timeout=30)]
    replies += [
        requests.post(live + NOTIFY_PATH, data=genuine.body.encode(), headers=h, timeout=30)
        for h in (headers, headers, _signed(sandbox, genuine.body))
    ]
    assert [r.status_code for r in replies] == [204, 204, 204, 204]
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen) == ("paid", 1130)
    assert Payment.select().where(Payment.order == order_id).count() == 1
    (note,) = WechatNotification.select().where(
        WechatNotification.notification_id == json.loads(genuine.body)["id"]
    )
    assert (note.outcome, note.deliveries) == ("applied", 4)
    assert checks_clean() == []
