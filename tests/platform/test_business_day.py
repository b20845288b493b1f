"""The merchant's business day: dates come from the configured time zone, times stay naive UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.config import ConfigError, Settings, load_settings
from backend.ledger.models import JournalEntry
from backend.receivables.aging import aging
from backend.receivables.models import Invoice
from store import catalog
from store.services import fulfil_order, sell_on_account
from tests.platform.test_reports import _shop

D = dt.date
T = dt.datetime


@pytest.fixture
def merchant_zone() -> Iterator[None]:
    """Tests here set the zone themselves; put the default back for the rest of the suite."""
    yield
    clock.use_zone(clock.DEFAULT_ZONE)
    clock.reset()


def test_business_date_is_the_beijing_day_by_default(merchant_zone: None) -> None:
    assert clock.zone() == ZoneInfo("Asia/Shanghai")
    assert clock.business_date(T(2026, 3, 9, 16, 30)) == D(2026, 3, 10)  # 00:30 Beijing
    assert clock.business_date(T(2026, 3, 10, 15, 30)) == D(2026, 3, 10)  # 23:30 Beijing
    assert clock.business_date(T(2026, 3, 10, 16, 0)) == D(2026, 3, 11)  # midnight Beijing


def test_day_bounds_are_the_days_midnights_in_utc(merchant_zone: None) -> None:
    assert clock.day_bounds(D(2026, 3, 10)) == (T(2026, 3, 9, 16), T(2026, 3, 10, 16))
    assert clock.day_bounds(D(2026, 3, 10), ZoneInfo("UTC")) == (T(2026, 3, 10), T(2026, 3, 11))
    clock.use_zone("America/New_York")
    # 8 March 2026 is the spring-forward day in New York: 23 hours long; 1 November is 25 hours.
    assert clock.day_bounds(D(2026, 3, 8)) == (T(2026, 3, 8, 5), T(2026, 3, 9, 4))
    assert clock.day_bounds(D(2026, 11, 1)) == (T(2026, 11, 1, 4), T(2026, 11, 2, 5))
    assert clock.business_date(T(2026, 3, 9, 3, 59)) == D(2026, 3, 8)
    assert clock.business_date(T(2026, 3, 9, 4, 0)) == D(2026, 3, 9)


def test_today_follows_the_configured_zone(merchant_zone: None) -> None:
    clock.travel_to(T(2026, 3, 9, 16, 30))  # 00:30 on 10 March in Beijing, 12:30 on 9 March in New York
    assert clock.today() == D(2026, 3, 10)
    clock.use_zone("America/New_York")
    assert clock.today() == D(2026, 3, 9)
    clock.use_zone("UTC")
    assert clock.today() == D(2026, 3, 9)
    assert clock.now().replace(microsecond=0, second=0) == T(2026, 3, 9, 16, 30)


def test_the_setting_defaults_to_shanghai_and_refuses_unknown_zones() -> None:
    assert load_settings(environ={}).timezone == "Asia/Shanghai"
    assert load_settings(environ={"YECAI_TIMEZONE": "America/New_York"}).timezone == "America/New_York"
    with pytest.raises(ConfigError, match="YECAI_TIMEZONE: 'Asia/Beijing' is not a known IANA time zone"):
        load_settings(environ={"YECAI_TIMEZONE": "Asia/Beijing"})


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_an_unknown_zone_refuses_to_start_with_a_clear_message(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from backend.cli import main

    monkeypatch.setenv("YECAI_TIMEZONE", "Asia/Beijing")
    monkeypatch.setenv("YECAI_SECRET_KEY", "a-secret-key-for-this-test")
    monkeypatch.setenv("YECAI_INSTANCE_DIR", str(tmp_path))
    result = CliRunner().invoke(main, [command, "--port", "1"])
    assert result.exit_code == 1
    assert "YECAI_TIMEZONE: 'Asia/Beijing' is not a known IANA time zone" in result.output


# (zone, sale time in UTC, its business day, a neighbouring sale across the day's midnight, its day)
EDGES = [
    # 00:30 on 31 December in Beijing is 16:30 UTC on the 30th; the neighbour is 23:30 on the 30th.
    ("Asia/Shanghai", T(2026, 12, 30, 16, 30), D(2026, 12, 31), T(2026, 12, 30, 15, 30), D(2026, 12, 30)),
    # 23:30 on 31 December in Beijing is 15:30 UTC the same day; the neighbour is 00:30 on 1 January.
    ("Asia/Shanghai", T(2026, 12, 31, 15, 30), D(2026, 12, 31), T(2026, 12, 31, 16, 30), D(2027, 1, 1)),
    # The zone is the setting: 04:30 UTC on the 31st is still the 30th in New York (23:30).
    ("America/New_York", T(2026, 12, 31, 4, 30), D(2026, 12, 30), T(2026, 12, 31, 5, 30), D(2026, 12, 31)),
    ("UTC", T(2026, 12, 30, 16, 30), D(2026, 12, 30), T(2026, 12, 31, 0, 30), D(2026, 12, 31)),
]


@pytest.fixture
def settings(settings: Settings, zone: str, merchant_zone: None) -> Settings:
    return settings.with_overrides(timezone=zone)


def _on_account_sale(at: T, customer_id: int, sku_id: int, quantity: int) -> int:
    """A distributor's sale on credit at `at`, handed over at once."""
    clock.travel_to(at)
    order = sell_on_account(customer_id, [(sku_id, quantity)], channel="distributor")
    fulfil_order(order.id)
    return order.id


@pytest.mark.parametrize(("zone", "at", "day", "neighbour_at", "neighbour_day"), EDGES)
def test_a_sale_lands_on_the_merchants_day_in_reports_invoices_and_aging(
    client, make_user, login, zone: str, at: T, day: D, neighbour_at: T, neighbour_day: D
) -> None:
    assert clock.zone() == ZoneInfo(zone)  # start-up applied the setting
    _, tea, black, dealer = _shop()  # both dealers buy on 30 days' credit
    other = catalog.create_customer(
        "distributor", "城西批发部", credit_limit_fen=100_000, payment_terms_days=30
    )
    order_id = _on_account_sale(at, dealer.id, tea.id, 2)  # 2260 incl. 260 VAT, cost 1400
    neighbour_id = _on_account_sale(neighbour_at, other.id, black.id, 1)  # 565 incl. 65 VAT, cost 300

    invoice = Invoice.get(Invoice.order == order_id)
    assert (invoice.issued_on, invoice.due_on) == (day, day + dt.timedelta(days=30))
    neighbour = Invoice.get(Invoice.order == neighbour_id)
    assert (neighbour.issued_on, neighbour.due_on) == (neighbour_day, neighbour_day + dt.timedelta(days=30))
    assert {
        e.posted_on
        for e in JournalEntry.select().where(
            JournalEntry.source_type == "order", JournalEntry.source_id == order_id
        )
    } == {day}

    clock.travel_to(at)
    owner = login(make_user("owner"))
    assert client.get("/api/reports/sales", headers=owner).json == {  # today is the sale's day
        "day": day.isoformat(),
        "orders": 1,
        "revenue_fen": 2000,
        "output_vat_fen": 260,
        "cogs_fen": 1400,
        "gross_margin_fen": 600,
    }
    assert client.get(f"/api/reports/sales?day={neighbour_day}", headers=owner).json == {
        "day": neighbour_day.isoformat(),
        "orders": 1,
        "revenue_fen": 500,
        "output_vat_fen": 65,
        "cogs_fen": 300,
        "gross_margin_fen": 200,
    }

    def dealer_buckets(as_of: D | None = None) -> dict[str, int]:
        (row,) = [r for r in aging(as_of).customers if r.customer_id == dealer.id]
        assert row.oldest_due_on == day + dt.timedelta(days=30)
        return {label: fen for label, fen in row.buckets.items() if fen}

    assert dealer_buckets(day + dt.timedelta(days=30)) == {"current": 2260}  # due that day
    assert dealer_buckets(day + dt.timedelta(days=31)) == {"1_30": 2260}
    assert dealer_buckets(day + dt.timedelta(days=60)) == {"1_30": 2260}
    assert dealer_buckets(day + dt.timedelta(days=61)) == {"31_60": 2260}
    clock.travel_to(at + dt.timedelta(days=30))  # the same time of day, 30 days on: the due date
    assert dealer_buckets() == {"current": 2260}
    clock.travel_to(at + dt.timedelta(days=31))
    assert dealer_buckets() == {"1_30": 2260}


@pytest.mark.parametrize(
    ("zone", "shown", "typed_from", "stored_from"),
    [
        ("Asia/Shanghai", "2026-12-31T00:30:00+08:00", "2026-12-31T00:00:00+08:00", T(2026, 12, 30, 16)),
        ("America/New_York", "2026-12-30T11:30:00-05:00", "2026-12-31T00:00:00-05:00", T(2026, 12, 31, 5)),
    ],
)
def test_times_are_shown_and_read_on_the_merchants_clock(
    client, make_user, login, zone: str, shown: str, typed_from: str, stored_from: T
) -> None:
    from store.shop_models import Coupon

    _, tea, _, dealer = _shop()
    order_id = _on_account_sale(T(2026, 12, 30, 16, 30), dealer.id, tea.id, 1)
    staff = login(make_user("staff"))
    assert client.get(f"/api/orders/{order_id}", headers=staff).json["created_at"] == shown

    # A coupon typed as "from 2026-12-31 00:00" starts at the merchant's midnight; an offset is exact.
    for key, valid_from in (("naive", "2026-12-31T00:00:00"), ("utc", "2026-12-30T16:00:00+00:00")):
        body = {
            "name": "元旦券",
            "amount_off_fen": 500,
            "valid_from": valid_from,
            "valid_until": "2027-01-31T00:00:00",
        }
        created = client.post("/api/coupons", json=body, headers={**staff, "Idempotency-Key": key})
        assert created.status_code == 201, created.json
        coupon = Coupon.get_by_id(created.json["id"])
        expected = stored_from if key == "naive" else T(2026, 12, 30, 16)
        assert coupon.valid_from == expected
        assert created.json["valid_from"] == (typed_from if key == "naive" else clock.rfc3339(expected))
