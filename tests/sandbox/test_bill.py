"""Trade bills: requested and downloaded through wechatpayv3, parsed as WeChat's CSV."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from wechatpayv3 import WeChatPayType

from payments.sandbox.clock import CHINA_TZ, SandboxClock
from payments.sandbox.credentials import SandboxCredentials
from payments.sandbox.testing import RunningSandbox, running_sandbox

MAY_FIRST_10AM = datetime(2024, 5, 1, 10, 0, 0, tzinfo=CHINA_TZ).timestamp()


@pytest.fixture
def sandbox(credentials: SandboxCredentials) -> Iterator[RunningSandbox]:
    with running_sandbox(credentials, SandboxClock.frozen_at(MAY_FIRST_10AM)) as sb:
        yield sb


def _sell(sandbox: RunningSandbox) -> tuple[str, str, str]:
    pay = sandbox.pay_client("http://127.0.0.1:9/notify")
    openid = sandbox.login_code().openid
    _, text = pay.pay(
        description="草莓", out_trade_no="SO-B-1", amount={"total": 2590}, payer={"openid": openid}
    )
    sandbox.approve(json.loads(text)["prepay_id"], openid)
    sandbox.advance(60)
    _, text = pay.pay(
        description="柜台收款", out_trade_no="POS-B-2", amount={"total": 100}, pay_type=WeChatPayType.NATIVE
    )
    sandbox.scan_and_pay(json.loads(text)["code_url"], openid)
    sandbox.advance(60)
    code, _ = pay.refund(
        out_refund_no="RF-B-1",
        amount={"refund": 590, "total": 2590, "currency": "CNY"},
        out_trade_no="SO-B-1",
    )
    assert code == 200
    refund = sandbox.complete_refund("RF-B-1")
    first = sandbox.state.orders["SO-B-1"].transaction_id
    second = sandbox.state.orders["POS-B-2"].transaction_id
    assert first and second
    return first, second, refund.refund_id


def test_trade_bill_rows_and_totals(sandbox: RunningSandbox) -> None:
    tx1, tx2, refund_id = _sell(sandbox)
    openid = sandbox.state.orders["SO-B-1"].payer_openid
    c = sandbox.credentials
    pay = sandbox.pay_client()

    code, text = pay.trade_bill(bill_date="2024-05-01")
    assert code == 200
    info = json.loads(text)
    assert info["download_url"].startswith(sandbox.pay_base + "/v3/billdownload/file?token=")

    code, content = pay.download_bill(info["download_url"])
    assert code == 200
    assert info["hash_type"] == "SHA1" and info["hash_value"] == hashlib.sha1(content).hexdigest()
    rows = list(csv.reader(io.StringIO(gzip.decompress(content).decode("utf-8"))))

    assert rows[0][:10] == ["交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号",
                            "用户标识", "交易类型", "交易状态"]  # fmt: skip
    assert len(rows[0]) == 27
    body = [[field.removeprefix("`") for field in row] for row in rows[1:4]]
    assert all(field.startswith("`") for field in rows[1])
    assert body[0] == [
        "2024-05-01 10:00:00", c.appid, c.mchid, "0", "", tx1, "SO-B-1", openid, "JSAPI", "SUCCESS", "OTHERS",
        "CNY", "25.90", "0.00", "0", "0", "0.00", "0.00", "", "", "草莓", "", "0.16000", "0.60%", "25.90",
        "0.00", "",
    ]  # fmt: skip
    assert body[1][:13] == ["2024-05-01 10:01:00", c.appid, c.mchid, "0", "", tx2, "POS-B-2", openid, "NATIVE",
                            "SUCCESS", "OTHERS", "CNY", "1.00"]  # fmt: skip
    assert body[1][22] == "0.01000"  # 0.6 fen rounds half-up to 1 fen
    assert body[2][:20] == ["2024-05-01 10:02:00", c.appid, c.mchid, "0", "", tx1, "SO-B-1", openid, "JSAPI",
                            "REFUND", "OTHERS", "CNY", "0.00", "0.00", refund_id, "RF-B-1", "5.90", "0.00",
                            "ORIGINAL", "SUCCESS"]  # fmt: skip
    assert body[2][22:26] == ["-0.04000", "0.60%", "0.00", "5.90"]
    assert rows[4] == ["总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额",
                       "申请退款总金额"]  # fmt: skip
    assert rows[5] == ["`3", "`26.90", "`5.90", "`0.00", "`0.13000", "`26.90", "`5.90"]
    assert len(rows) == 6


def test_bill_types_and_empty_days(sandbox: RunningSandbox) -> None:
    _sell(sandbox)
    pay = sandbox.pay_client()

    code, text = pay.trade_bill(bill_date="2024-05-01", bill_type="REFUND", tar_type=None)
    assert code == 200
    code, content = pay.download_bill(json.loads(text)["download_url"])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))  # not gzipped this time
    assert [r[15] for r in rows[1:-2]] == ["`RF-B-1"]

    code, text = pay.trade_bill(bill_date="2024-04-30")
    assert (code, json.loads(text)["code"]) == (400, "NO_STATEMENT_EXIST")
    code, text = pay.trade_bill(bill_date="2024-05-02")  # tomorrow on the sandbox clock
    assert (code, json.loads(text)["code"]) == (400, "PARAM_ERROR")
