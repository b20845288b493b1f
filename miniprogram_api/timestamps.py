"""The API's one timestamp field: RFC 3339 with an offset out, either an offset or the merchant's
wall-clock time in. Stored times are naive UTC; a phone in Beijing must not read them as local."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

from backend import clock
from miniprogram_api.input_limits import check_date


class Timestamp(ma.fields.DateTime):
    def _serialize(self, value: dt.datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else clock.rfc3339(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        check_date(parsed)  # before the time-zone shift, which overflows at year 1
        return clock.from_local(parsed)
