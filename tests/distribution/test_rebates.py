"""Rebates (返利) over HTTP: the owner's rule for a grade (tiers of a month's sales: percent or fixed)
and a distributor's own rule that wins over it; November's run credits each distributor what their
November sales earned (Dr 5001, Dr 2221 / Cr 2203), once however often it runs (by the owner or the
periodic job); the credit pays the distributor's next invoice. Bad input changes nothing."""

from __future__ import annotations

import datetime as dt

from tests.payments.conftest import checks_clean
from tests.platform.test_errors import assert_error


def _post(client, path, body, headers, key):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def _voucher(source_id):
    from backend.ledger.models import JournalEntry, JournalLine

    entry = JournalEntry.get((JournalEntry.event == "rebate.accrued") & (JournalEntry.source_id == source_id))
    return sorted(
        (line.account_code, line.debit_fen, line.credit_fen, line.customer_id)
        for line in JournalLine.select().where(JournalLine.entry == entry.id)
    )


def _order(client, who, sku, quantity, key):
    added = _post(
        client,
        "/api/distributor/cart/items",
        {"sku_id": sku.id, "quantity": quantity},
        who.headers,
        f"c-{key}",
    )
    assert added.status_code == 201, added.json
    placed = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, who.headers, f"o-{key}")
    assert placed.status_code == 201, placed.json
    return placed.json


def _snapshot():
    from backend.receivables.models import AdvanceAccount, AdvanceMovement
    from store.distribution.models import RebateAccrual, RebateRule, RebateRun, RebateTier
    from tests.distribution.conftest import snapshot

    counts = snapshot()
    counts["rebates"] = [m.select().count() for m in (RebateRule, RebateTier, RebateRun, RebateAccrual)]
    counts["advances"] = sorted((a.customer_id, a.balance_fen) for a in AdvanceAccount.select())
    counts["advance_moves"] = AdvanceMovement.select().count()
    return counts


def test_a_month_of_rebates_is_credited_once(client, trade, distributor):
    from backend import clock, wiring
    from backend.receivables.advances import balance_of
    from backend.receivables.models import Invoice

    a = distributor("甲酒行", grade=trade.grade_a)
    b = distributor("乙酒行", grade=trade.grade_a)
    c = distributor("丙酒行", grade=trade.grade_a)
    grade_rule = _post(
        client,
        "/api/rebate-rules",
        {
            "name": "一级月返",
            "scope": "grade",
            "grade_id": trade.grade_a.id,
            "tiers": [
                {"min_sales_fen": 50000, "percent_bp": 100},
                {"min_sales_fen": 200000, "percent_bp": 250},
                {"min_sales_fen": 1000000, "fixed_fen": 30000},
            ],
        },
        trade.owner,
        "r-1",
    )
    assert grade_rule.status_code == 201, grade_rule.json
    assert [(t["min_sales_fen"], t["percent_bp"], t["fixed_fen"]) for t in grade_rule.json["tiers"]] == [
        (50000, 100, None),
        (200000, 250, None),
        (1000000, None, 30000),
    ]
    own = _post(
        client,
        "/api/rebate-rules",
        {
            "name": "丙专享",
            "scope": "customer",
            "customer_id": c.customer.id,
            "tiers": [{"min_sales_fen": 0, "fixed_fen": 1000}],
        },
        trade.owner,
        "r-2",
    )
    assert own.status_code == 201, own.json

    before = _snapshot()
    for body, status, code, headers in (
        (
            {
                "name": "x",
                "scope": "grade",
                "grade_id": trade.grade_a.id,
                "tiers": [{"min_sales_fen": 0, "percent_bp": 100, "fixed_fen": 5}],
            },
            422,
            "invalid_rebate_rule",
            trade.owner,
        ),
        (
            {
                "name": "x",
                "scope": "grade",
                "grade_id": trade.grade_a.id,
                "tiers": [{"min_sales_fen": 0, "percent_bp": 0}],
            },
            422,
            "invalid_rebate_rule",
            trade.owner,
        ),
        (
            {
                "name": "x",
                "scope": "grade",
                "grade_id": trade.grade_a.id,
                "tiers": [{"min_sales_fen": 5, "percent_bp": 10}, {"min_sales_fen": 5, "percent_bp": 20}],
            },
            422,
            "invalid_rebate_rule",
            trade.owner,
        ),
        (
            {
                "name": "x",
                "scope": "customer",
                "grade_id": trade.grade_a.id,
                "tiers": [{"min_sales_fen": 0, "percent_bp": 10}],
            },
            422,
            "invalid_rebate_rule",
            trade.owner,
        ),
        (
            {
                "name": "x",
                "scope": "grade",
                "grade_id": 999999,
                "tiers": [{"min_sales_fen": 0, "percent_bp": 10}],
            },
            422,
            "unknown_grade",
            trade.owner,
        ),
        (
            {
                "name": "x",
                "scope": "grade",
                "grade_id": trade.grade_a.id,
                "tiers": [{"min_sales_fen": 0, "percent_bp": 10}],
            },
            403,
            "forbidden",
            trade.staff,
        ),
    ):
        assert_error(
            _post(client, "/api/rebate-rules", body, headers, f"bad-{len(str(body))}-{status}"), status, code
        )
    assert _snapshot() == before

    # November (merchant days): a buys 30 red (240000 fen), b 5 white (30000: below the first tier),
    # c one white (6000: their own rule); a's cancelled order and a's December order do not count.
    clock.travel_to(dt.datetime(2026, 11, 10, 2, 0))
    try:
        first = _order(client, a, trade.red, 30, "a1")
        _order(client, b, trade.white, 5, "b1")
        _order(client, c, trade.white, 1, "c1")
        cancelled = _order(client, a, trade.white, 10, "a2")
        assert client.post(f"/api/orders/{cancelled['id']}/cancel", headers=trade.staff).status_code == 200
        clock.travel_to(dt.datetime(2026, 11, 30, 15, 59))  # 23:59 in Shanghai: still November
        last_minute = _order(client, b, trade.white, 1, "b2")
        clock.travel_to(dt.datetime(2026, 11, 30, 16, 0))  # 00:00 on 1 December in Shanghai
        _order(client, a, trade.red, 50, "a3")
        assert first["vat_fen"] == 27611 and last_minute["total_fen"] == 6000

        before = _snapshot()
        assert_error(
            _post(client, "/api/rebate-runs", {"period": "2026-12"}, trade.owner, "run-0"),
            422,
            "invalid_rebate_period",
        )
        assert_error(
            _post(client, "/api/rebate-runs", {"period": "2026-13"}, trade.owner, "run-00"),
            422,
            "invalid_rebate_period",
        )
        assert_error(
            _post(client, "/api/rebate-runs", {"period": "2026-11"}, trade.staff, "run-000"), 403, "forbidden"
        )
        assert _snapshot() == before

        run = _post(client, "/api/rebate-runs", {"period": "2026-11"}, trade.owner, "run-1")
        assert run.status_code == 201, run.json
        assert (run.json["period"], run.json["accrued_count"], run.json["accrued_fen"]) == (
            "2026-11",
            2,
            7000,
        )
        # a: 240000 reaches the 2.5% tier -> 6000; b: 36000 reaches none; c: own rule, fixed 1000
        assert [
            (x["customer_name"], x["sales_fen"], x["tier_min_sales_fen"], x["amount_fen"], x["vat_fen"])
            for x in sorted(run.json["accruals"], key=lambda x: x["customer_id"])
        ] == [("甲酒行", 240000, 200000, 6000, 690), ("丙酒行", 6000, 0, 1000, 115)]
        accrual_a = next(x for x in run.json["accruals"] if x["customer_id"] == a.customer.id)
        # VAT in November's proportion for a: 6000 x 27611 / 240000 = 690.3 -> 690
        assert _voucher(accrual_a["id"]) == [
            ("2203", 0, 6000, a.customer.id),
            ("2221", 690, 0, None),
            ("5001", 5310, 0, None),
        ]
        assert (balance_of(a.customer.id), balance_of(b.customer.id), balance_of(c.customer.id)) == (
            6000,
            0,
            1000,
        )

        # Twice, by the owner (another key) and by the periodic job: nothing more.
        after = _snapshot()
        again = _post(client, "/api/rebate-runs", {"period": "2026-11"}, trade.owner, "run-2")
        assert again.status_code == 201 and again.json["id"] == run.json["id"]
        wiring.run_periodic("distribution.rebates")
        wiring.run_periodic("distribution.rebates")
        assert _snapshot() == after

        mine = client.get("/api/my/rebates", headers=a.headers).json["items"]
        assert [(x["period"], x["amount_fen"]) for x in mine] == [("2026-11", 6000)]
        assert client.get("/api/my/rebates", headers=b.headers).json["items"] == []
        runs = client.get("/api/rebate-runs", headers=trade.owner).json["items"]
        assert [(r["period"], r["accrued_fen"]) for r in runs] == [("2026-11", 7000)]

        # The credit is applied as soon as a's next order goes on account: to a's open invoices, the
        # oldest due first, so what a owes grows by the new order less the rebate.
        def owed() -> int:
            return sum(i.open_fen for i in Invoice.select().where(Invoice.customer == a.customer.id))

        owed_before = owed()
        _order(client, a, trade.white, 2, "a4")
        assert owed() == owed_before + 12000 - 6000
        assert balance_of(a.customer.id) == 0
    finally:
        clock.reset()
    assert checks_clean() == []


def test_the_periodic_job_runs_the_month_that_ended(app, trade, distributor):
    from backend import clock, wiring
    from store.distribution import rebates
    from store.distribution.models import RebateAccrual, RebateRun

    a = distributor("甲酒行", grade=trade.grade_a)
    rebates.create_rule(
        "一级", "grade", [{"min_sales_fen": 0, "percent_bp": 1000}], grade_id=trade.grade_a.id
    )
    from store import services as sales

    clock.travel_to(dt.datetime(2026, 10, 31, 15, 30))  # 23:30 on 31 October in Shanghai
    try:
        sales.sell_on_account(a.customer.id, [(trade.white.id, 3)], channel="distributor")
        clock.travel_to(dt.datetime(2026, 11, 1, 1, 0))
        wiring.run_periodic("distribution.rebates")
        wiring.run_periodic("distribution.rebates")
    finally:
        clock.reset()
    assert [(r.period, r.accrued_count, r.accrued_fen) for r in RebateRun.select()] == [("2026-10", 1, 1800)]
    assert [(x.customer_id, x.sales_fen, x.amount_fen) for x in RebateAccrual.select()] == [
        (a.customer.id, 18000, 1800)
    ]
    assert checks_clean() == []
