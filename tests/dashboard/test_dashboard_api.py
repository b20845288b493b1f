"""The owner's dashboard, to the fen: the day against yesterday and last week, a range by channel
and payment method, top lists, receivables, reconciliation, on the merchant's (Shanghai) days, the
same figures before and after the closed days are rolled up, and `yecai check` on the roll-up."""

from __future__ import annotations

import datetime as dt

from backend import checks, clock
from backend.dashboard import rollup
from backend.dashboard.models import DaySales, RolledDay
from backend.inventory.services import receive_purchase
from payments.models import ReconciliationReport
from store import catalog
from store.services import counter_cash_sale, fulfil_order, refund_order, sell_on_account
from tests.platform.test_errors import assert_error

T = dt.datetime  # naive UTC
D = dt.date
DAY = D(2026, 3, 10)  # "today" in Shanghai, a Tuesday


def shanghai(day: D, hour: int, minute: int = 0) -> T:
    return clock.from_local(dt.datetime.combine(day, dt.time(hour, minute)))


def _shop():
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("茶叶")
    tea = catalog.create_sku(product.id, name="龙井 250g", price_fen=1130, barcode="6900000000011")
    black = catalog.create_sku(product.id, name="红茶 100g", price_fen=565, barcode="6900000000028")
    clock.travel_to(shanghai(DAY - dt.timedelta(days=8), 9))
    receive_purchase(tea.id, warehouse.id, 20, 700, reference="PO-1")
    receive_purchase(black.id, warehouse.id, 10, 300, reference="PO-2")
    dealer = catalog.create_customer(
        "distributor", "城东批发部", credit_limit_fen=100_000, payment_terms_days=30
    )
    return tea, black, dealer


def _sell(tea, black, dealer) -> dict[str, int]:
    """Last week one tea in cash; yesterday at 23:30 one tea by transfer; today at 00:30 two teas in
    cash (half refunded), and four black teas on account to the dealer, handed over."""
    clock.travel_to(shanghai(DAY - dt.timedelta(days=7), 12))
    week_ago = counter_cash_sale(None, [(tea.id, 1)], reference="w1")
    clock.travel_to(shanghai(DAY - dt.timedelta(days=1), 23, 30))  # 15:30 UTC on the 9th
    late = counter_cash_sale(None, [(tea.id, 1)], reference="y1", method="bank_transfer")
    clock.travel_to(shanghai(DAY, 0, 30))  # 16:30 UTC on the 9th: Shanghai's 10th
    early = counter_cash_sale(None, [(tea.id, 2)], reference="t1")
    clock.travel_to(shanghai(DAY, 10))
    refund_order(early.id, 1130, reference="t1-back")
    credit = sell_on_account(dealer.id, [(black.id, 4)], channel="distributor")
    fulfil_order(credit.id)
    clock.travel_to(shanghai(DAY, 20))
    return {"week_ago": week_ago.id, "late": late.id, "early": early.id, "credit": credit.id}


def _figures(sales: int, revenue: int, vat: int, cogs: int, orders: int, **extra) -> dict:
    return {
        **extra,
        "sales_fen": sales,
        "revenue_fen": revenue,
        "vat_fen": vat,
        "cogs_fen": cogs,
        "margin_fen": revenue - cogs,
        "orders": orders,
    }


# Today: two teas (2260 = 2000 + 260 VAT, cost 1400) less 1130 refunded (1000 + 130 VAT), four
# black teas on account (2260 = 2000 + 260, cost 1200). Yesterday: one tea (1130, cost 700).
TODAY = _figures(3390, 3000, 390, 2600, 2, day="2026-03-10")
YESTERDAY = _figures(1130, 1000, 130, 700, 1, day="2026-03-09")
WEEK_AGO = _figures(1130, 1000, 130, 700, 1, day="2026-03-03")
ZERO = _figures(0, 0, 0, 0, 0)


def _range(client, owner) -> dict:
    return client.get("/api/dashboard/sales?from=2026-03-03&to=2026-03-10", headers=owner).json


def _expected_range() -> dict:
    days = [dict(ZERO, day=(DAY - dt.timedelta(days=n)).isoformat()) for n in range(7, -1, -1)]
    days[0], days[6], days[7] = WEEK_AGO, YESTERDAY, TODAY
    return {
        "from": "2026-03-03",
        "to": "2026-03-10",
        "total": _figures(5650, 5000, 650, 4000, 4),
        "days": days,
        "by_channel": [
            _figures(3390, 3000, 390, 2800, 3, key="counter"),
            _figures(0, 0, 0, 0, 0, key="miniprogram"),
            _figures(2260, 2000, 260, 1200, 1, key="distributor"),
        ],
        "by_method": [  # cost of goods moves no money: margin by method is revenue
            _figures(2260, 2000, 260, 0, 2, key="cash"),
            _figures(0, 0, 0, 0, 0, key="wechat"),
            _figures(0, 0, 0, 0, 0, key="stored_value"),
            _figures(1130, 1000, 130, 0, 1, key="bank_transfer"),
            _figures(2260, 2000, 260, 0, 1, key="on_account"),
        ],
    }


def test_the_owner_sees_each_shanghai_day_to_the_fen(client, make_user, login):
    tea, black, dealer = _shop()
    _sell(tea, black, dealer)
    owner = login(make_user("owner"))

    assert client.get("/api/dashboard/today", headers=owner).json == {
        "today": TODAY,
        "yesterday": YESTERDAY,  # the 23:30 sale is yesterday's; the 00:30 one today's
        "same_day_last_week": WEEK_AGO,
    }
    assert _range(client, owner) == _expected_range()
    top = client.get("/api/dashboard/top?from=2026-03-03&to=2026-03-10&limit=5", headers=owner).json
    assert top["products"] == [
        {"sku_id": tea.id, "sku_name": "龙井 250g", "product_name": "茶叶", "quantity": 4, "sales_fen": 4520},
        {
            "sku_id": black.id,
            "sku_name": "红茶 100g",
            "product_name": "茶叶",
            "quantity": 4,
            "sales_fen": 2260,
        },
    ]
    walk_in = catalog.walk_in_customer()
    assert top["customers"] == [
        {"customer_id": walk_in.id, "name": walk_in.name, "kind": "walk_in", "sales_fen": 3390, "orders": 3},
        {
            "customer_id": dealer.id,
            "name": "城东批发部",
            "kind": "distributor",
            "sales_fen": 2260,
            "orders": 1,
        },
    ]

    # The closed days are rolled up ten minutes after midnight; the figures do not move.
    clock.travel_to(shanghai(DAY + dt.timedelta(days=1), 0, 5))
    assert rollup.roll_up_closed_days() == 8  # from the first voucher (stock received on the 2nd) on
    assert _range(client, owner) == _expected_range()  # the 10th still within the grace period
    clock.travel_to(shanghai(DAY + dt.timedelta(days=1), 0, 11))
    assert rollup.roll_up_closed_days() == 1
    assert rollup.roll_up_closed_days() == 0
    assert RolledDay.select().count() == 9 and DaySales.select().count() == 8
    assert _range(client, owner) == _expected_range()
    again = client.get("/api/dashboard/top?from=2026-03-03&to=2026-03-10&limit=5", headers=owner).json
    assert again == top
    assert client.get("/api/dashboard/today?day=2026-03-10", headers=owner).json["today"] == TODAY
    # A sale on the new day is read from the journal beside the roll-up.
    counter_cash_sale(None, [(black.id, 3)], reference="n1")
    assert client.get("/api/dashboard/today", headers=owner).json["today"] == _figures(
        1695, 1500, 195, 900, 1, day="2026-03-11"
    )
    # The roll-up's best customer of the 10th is the dealer (2260); the walk-in buyer's 1130 that day
    # and 1695 today beat it.
    one = client.get("/api/dashboard/top?from=2026-03-10&to=2026-03-11&limit=1", headers=owner).json
    assert [(c["customer_id"], c["sales_fen"], c["orders"]) for c in one["customers"]] == [
        (walk_in.id, 1130 + 1695, 2)
    ]
    assert [(p["sku_id"], p["quantity"], p["sales_fen"]) for p in one["products"]] == [(black.id, 7, 3955)]
    assert {r.name: r.problems for r in checks.run_all()}[
        "dashboard: every rolled-up day equals its journal entries"
    ] == []


def test_check_names_a_rolled_up_day_that_differs_from_the_journal(client):
    tea, black, dealer = _shop()
    _sell(tea, black, dealer)
    clock.travel_to(shanghai(DAY + dt.timedelta(days=2), 12))
    rollup.roll_up_closed_days()
    DaySales.update(revenue_fen=DaySales.revenue_fen + 1).where(
        (DaySales.day == DAY) & (DaySales.channel == "distributor") & (DaySales.method == "on_account")
    ).execute()
    problems = {r.name: r.problems for r in checks.run_all()}[
        "dashboard: every rolled-up day equals its journal entries"
    ]
    assert problems == [
        "sales 2026-03-10 distributor on_account: rolled up (2001, 260, 0, 1) "
        "but the journal sums to (2000, 260, 0, 1)"
    ]


def test_receivables_aging_overdue_list_and_reconciliation_days(client, make_user, login):
    tea, black, dealer = _shop()
    orders = _sell(tea, black, dealer)
    ReconciliationReport.create(
        bill_date=DAY - dt.timedelta(days=2), difference_count=0, wechat_paid_fen=1130
    )
    ReconciliationReport.create(bill_date=DAY - dt.timedelta(days=1), difference_count=2)
    owner = login(make_user("owner"))
    assert client.get("/api/dashboard/receivables", headers=owner).json == {
        "as_of": "2026-03-10",
        "total_open_fen": 2260,
        "total_overdue_fen": 0,
        "open_invoices": 1,
        "buckets": {"current": 2260, "1_30": 0, "31_60": 0, "61_90": 0, "over_90": 0},
        "overdue": [],
    }
    assert orders["credit"]
    clock.travel_to(shanghai(DAY + dt.timedelta(days=30 + 45), 9))  # 45 days past due
    owner = login(make_user("owner", username="boss2"))
    assert client.get("/api/dashboard/receivables", headers=owner).json == {
        "as_of": "2026-05-24",
        "total_open_fen": 2260,
        "total_overdue_fen": 2260,
        "open_invoices": 1,
        "buckets": {"current": 0, "1_30": 0, "31_60": 2260, "61_90": 0, "over_90": 0},
        "overdue": [
            {
                "customer_id": dealer.id,
                "name": "城东批发部",
                "phone": None,
                "overdue_fen": 2260,
                "open_fen": 2260,
                "oldest_due_on": "2026-04-09",
            }
        ],
    }
    clock.travel_to(shanghai(DAY, 20))
    owner = login(make_user("owner", username="boss3"))
    days = client.get("/api/dashboard/reconciliation?from=2026-03-07&to=2026-03-10", headers=owner).json
    assert days == {
        "days": [  # today's bill is not out yet
            {
                "day": "2026-03-09",
                "status": "differences",
                "difference_count": 2,
                "wechat_paid_fen": 0,
                "wechat_refunded_fen": 0,
            },
            {
                "day": "2026-03-08",
                "status": "reconciled",
                "difference_count": 0,
                "wechat_paid_fen": 1130,
                "wechat_refunded_fen": 0,
            },
            {
                "day": "2026-03-07",
                "status": "not_yet",
                "difference_count": 0,
                "wechat_paid_fen": 0,
                "wechat_refunded_fen": 0,
            },
        ]
    }


def test_only_the_owner_reads_it_and_a_bad_range_is_refused(client, make_user, login):
    staff = login(make_user("staff"))
    for path in ("today", "sales", "top", "receivables", "stock-alerts", "reconciliation"):
        assert_error(client.get(f"/api/dashboard/{path}", headers=staff), 403, "forbidden")
        assert_error(client.get(f"/api/dashboard/{path}"), 401, "unauthenticated")
    owner = login(make_user("owner"))
    assert_error(
        client.get("/api/dashboard/sales?from=2026-03-10&to=2026-03-09", headers=owner), 422, "invalid_range"
    )
    assert_error(
        client.get("/api/dashboard/top?from=2024-01-01&to=2026-03-09", headers=owner), 422, "invalid_range"
    )
