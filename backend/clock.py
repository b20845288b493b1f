"""The one source of "now" for business logic, so tests can move time (auto-cancel, due dates),
and of the merchant's business day.

Times are naive UTC datetimes throughout the database. Dates a merchant sees (a day's sales,
an invoice's issue and due dates, aging) are days in the merchant's time zone (`YECAI_TIMEZONE`,
Asia/Shanghai by default): a sale at 00:30 in Beijing is 16:30 UTC the day before, and belongs
to the Beijing day.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

_lock = threading.Lock()
_offset = dt.timedelta(0)
_zone: dt.tzinfo = ZoneInfo(DEFAULT_ZONE)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError names the setting's problem if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a known IANA time zone (e.g. Asia/Shanghai)") from exc


def use_zone(zone: dt.tzinfo | str) -> None:
    """Set the merchant's time zone (start-up, from settings; tests)."""
    global _zone
    _zone = zone_named(zone) if isinstance(zone, str) else zone


def zone() -> dt.tzinfo:
    return _zone


def now() -> dt.datetime:
    """Naive UTC, as stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + _offset


def business_date(ts_utc: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """The merchant's calendar day (or `tz`'s) of a stored naive-UTC timestamp."""
    return ts_utc.replace(tzinfo=dt.UTC).astimezone(tz or _zone).date()


def today() -> dt.date:
    """The merchant's business date now."""
    return business_date(now())


def day_bounds(day: dt.date, tz: dt.tzinfo | None = None) -> tuple[dt.datetime, dt.datetime]:
    """A business day (of the merchant, or of `tz`) as naive-UTC bounds [start, end).

    Query a day's rows with `start <= ts < end` so an index on the timestamp is used; a day is not
    always 24 hours long where clocks change (DST), so each end is computed from its own midnight.
    """
    here = tz or _zone

    def midnight(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), tzinfo=here).astimezone(dt.UTC).replace(tzinfo=None)

    return midnight(day), midnight(day + dt.timedelta(days=1))


def local(ts_utc: dt.datetime) -> dt.datetime:
    """A stored naive-UTC time as an aware time in the merchant's zone."""
    return ts_utc.replace(tzinfo=dt.UTC).astimezone(_zone)


def rfc3339(ts_utc: dt.datetime) -> str:
    """How a time is shown: the merchant's wall clock with its offset, '2026-12-31T00:30:00+08:00'."""
    return local(ts_utc).isoformat(timespec="seconds")


def from_local(value: dt.datetime) -> dt.datetime:
    """A time someone typed, as stored (naive UTC): with an offset it is exact; without one it is
    the merchant's wall-clock time (a coupon "from 2026-12-31 00:00" starts at midnight in Beijing)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=_zone)
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def advance(seconds: float) -> None:
    """Move the clock forward (tests and the demo's time-travel only)."""
    global _offset
    with _lock:
        _offset += dt.timedelta(seconds=seconds)


def travel_to(at_utc: dt.datetime) -> None:
    """Set the clock so that now() is `at_utc` (naive UTC) from here on (tests only)."""
    global _offset
    with _lock:
        _offset += at_utc - now()


def reset() -> None:
    global _offset
    with _lock:
        _offset = dt.timedelta(0)
