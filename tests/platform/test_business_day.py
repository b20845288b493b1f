"""The merchant's business day: dates come from the configured time zone, times stay naive UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.config import ConfigError, load_settings

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
