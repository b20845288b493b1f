"""The sandbox's state on disk: a sandbox built on the same file carries on where the last one stopped."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
from wechatpayv3 import WeChatPayType

from payments.sandbox import bill as bills
from payments.sandbox.clock import CHINA_TZ, SandboxClock
from payments.sandbox.credentials import generate_credentials
from payments.sandbox.persistence import SandboxStore, SandboxStoreError
from payments.sandbox.testing import RunningSandbox, running_sandbox
from payments.sandbox.transitions import SandboxError

MAY_FIRST_10AM = datetime(2024, 5, 1, 10, 0, 0, tzinfo=CHINA_TZ).timestamp()
NOWHERE = "http://127.0.0.1:9/notify"  # nothing listens there


@pytest.fixture
def store(tmp_path: Path) -> SandboxStore:
    return SandboxStore(tmp_path / "instance" / "wechat-sandbox.json")


def _paid_jsapi(sb: RunningSandbox, out_trade_no: str) -> tuple[str, str]:
    """A JSAPI order of 2.00 placed over HTTP and paid on the phone: (prepay_id, openid)."""
    openid = sb.login_code().openid
    _, text = sb.pay_client(NOWHERE).pay(
        description="水", out_trade_no=out_trade_no, amount={"total": 200}, payer={"openid": openid}
    )
    prepay_id: str = json.loads(text)["prepay_id"]
    sb.approve(prepay_id, openid)
    return prepay_id, openid


def test_a_new_sandbox_on_the_same_file_knows_everything_the_first_one_did(store: SandboxStore) -> None:
    credentials = store.credentials()
    with running_sandbox(credentials, SandboxClock.frozen_at(MAY_FIRST_10AM), store=store) as first:
        pay = first.pay_client(NOWHERE)
        unused_login = first.login_code()
        buyer = first.login_code().openid
        first.subscribe(buyer, "TPL_PAID", 2)
        _, text = pay.pay(
            description="草莓 2 盒",
            out_trade_no="SO-KEEP-1",
            amount={"total": 2590},
            payer={"openid": buyer},
        )
        first.approve(json.loads(text)["prepay_id"], buyer)
        _, text = pay.pay(
            description="柜台收款",
            out_trade_no="POS-KEEP-2",
            amount={"total": 100},
            pay_type=WeChatPayType.NATIVE,
        )
        code_url = json.loads(text)["code_url"]
        auth_code = first.payment_code(buyer)
        first.advance(120)
        # The last thing is a request over HTTP: the sandbox saves after every request.
        status, _ = pay.refund(
            out_refund_no="RF-KEEP-1",
            amount={"refund": 590, "total": 2590, "currency": "CNY"},
            out_trade_no="SO-KEEP-1",
        )
        assert status == 200
        saved = first.state
        paid_at = saved.orders["SO-KEEP-1"].transaction_id

    # A fresh clock that starts earlier than where the first sandbox stopped.
    with running_sandbox(credentials, SandboxClock.frozen_at(MAY_FIRST_10AM), store=store) as second:
        kept = second.state
        assert kept.orders == saved.orders and set(kept.orders) == {"SO-KEEP-1", "POS-KEEP-2"}
        assert kept.refunds == saved.refunds and kept.refunds["RF-KEEP-1"].status == "PROCESSING"
        assert kept.users == saved.users and kept.login_codes == saved.login_codes
        assert kept.payment_codes == saved.payment_codes and not kept.payment_codes[auth_code].used
        assert kept.subscriptions == saved.subscriptions and kept.subscriptions[(buyer, "TPL_PAID")] == 2
        assert kept.notifications == saved.notifications and len(kept.notifications) == 1
        assert second.clock.now() == MAY_FIRST_10AM + 120  # WeChat's clock does not rewind

        # ...and it answers for them over the protocol, as WeChat would after our restart.
        pay = second.pay_client(NOWHERE)
        status, text = pay.query(out_trade_no="SO-KEEP-1")
        assert status == 200
        assert (json.loads(text)["trade_state"], json.loads(text)["transaction_id"]) == ("SUCCESS", paid_at)
        session = second.miniprogram_client().wxa.code_to_session(unused_login.code)
        assert session["openid"] == unused_login.openid
        assert second.scan_and_pay(code_url, buyer).trade_state == "SUCCESS"
        rows = bills.build_trade_bill(kept, "2024-05-01")
        assert rows is not None
        assert sorted(r[6] for r in rows[1:-2]) == ["`POS-KEEP-2", "`SO-KEEP-1"]


def test_the_delivery_thread_saves_what_it_sent(store: SandboxStore) -> None:
    credentials = store.credentials()
    options = {"deliver_in_background": True, "delivery_interval": 0.05, "store": store}
    with running_sandbox(credentials, **options) as sb:
        _paid_jsapi(sb, "SO-SENT-1")  # no request follows the payment: only the thread saves
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            notes = json.loads(store.path.read_text())["state"]["notifications"]
            if notes and notes[0]["rounds"] == 1:
                break
            time.sleep(0.05)
        logged = json.loads(store.path.read_text())["state"]["delivery_log"]
    assert [(n["out_trade_no"], n["status"], n["rounds"]) for n in notes] == [("SO-SENT-1", "pending", 1)]
    assert [(a["out_trade_no"], a["kind"], a["status_code"]) for a in logged] == [
        ("SO-SENT-1", "genuine", None)
    ]


def test_a_notification_caught_mid_delivery_is_sent_again(store: SandboxStore) -> None:
    credentials = store.credentials()
    with running_sandbox(credentials, store=store) as sb:
        _paid_jsapi(sb, "SO-MID-1")
        sb.state.notifications[0].status = "in_flight"  # the process stops while posting it
        assert store.save(sb.state) is True
    with running_sandbox(credentials, store=store) as again:
        assert [n.status for n in again.state.notifications] == ["pending"]


def test_saving_writes_only_when_something_changed(store: SandboxStore) -> None:
    credentials = store.credentials()
    assert store.path.stat().st_mode & 0o777 == 0o600  # the merchant's private keys are in it
    with running_sandbox(credentials, store=store) as sb:
        assert store.save(sb.state) is True
        written = store.path.stat().st_ino  # every write renames a new file into place
        assert store.save(sb.state) is False
        assert store.path.stat().st_ino == written
        sb.login_code()
        assert store.save(sb.state) is True
        assert store.path.stat().st_ino != written
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert SandboxStore(store.path).credentials() == credentials


def test_another_merchants_file_or_a_damaged_one_is_refused(store: SandboxStore, tmp_path: Path) -> None:
    credentials = store.credentials()
    with running_sandbox(credentials, store=store) as sb:
        sb.login_code()
        store.save(sb.state)
    with (
        pytest.raises(SandboxStoreError, match="another merchant"),
        running_sandbox(generate_credentials(), store=store),
    ):
        pass
    broken = SandboxStore(tmp_path / "broken.json")
    broken.path.write_text("{not json")
    with pytest.raises(SandboxStoreError, match=str(broken.path)):
        broken.credentials()


def test_a_running_clock_keeps_its_lead_and_a_frozen_one_never_rewinds() -> None:
    running = SandboxClock()
    running.advance(3600)
    later = SandboxClock()
    later.resume(running.reading())
    assert 3599 < later.now() - time.time() < 3601
    frozen = SandboxClock.frozen_at(1000.0)
    frozen.resume(SandboxClock.frozen_at(900.0).reading())
    assert frozen.now() == 1000.0
    frozen.resume(SandboxClock.frozen_at(1500.0).reading())
    assert frozen.now() == 1500.0


def test_restoring_does_not_change_what_a_refused_payment_left(store: SandboxStore) -> None:
    credentials = store.credentials()
    with running_sandbox(credentials, store=store) as sb:
        prepay_id, openid = _paid_jsapi(sb, "SO-TWICE-1")
        store.save(sb.state)
    with running_sandbox(credentials, store=store) as again:
        with pytest.raises(SandboxError, match="ORDERPAID"):
            again.approve(prepay_id, openid)  # paid before the restart: not twice
        assert len(again.state.notifications) == 1


def test_printed_receipts_and_the_daily_cap_are_kept(store: SandboxStore) -> None:
    import requests

    credentials = store.credentials()
    receipt = "小票 ¥28.25\n".encode("gb18030") + b"\x1dV\x00"  # text, then a cut
    with running_sandbox(credentials, SandboxClock.frozen_at(MAY_FIRST_10AM), store=store) as first:
        first.set_subscribe_quota(5)
        answer = requests.post(first.printer_url, data=receipt, headers={"X-Print-Job": "7"}, timeout=5)
        assert answer.status_code == 200
    with running_sandbox(credentials, SandboxClock.frozen_at(MAY_FIRST_10AM), store=store) as second:
        assert second.printed() == ["小票 ¥28.25\n\f"]
        assert second.state.subscribe_daily_quota == 5
        requests.post(second.printer_url, data=receipt, timeout=5)
        assert len(second.printed()) == 2  # the log it records into is the one it restored
