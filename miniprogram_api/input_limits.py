"""Limits every request value is held to before any schema or the database sees it.

A hostile body must get a clear 4xx, never a 500: JSON nested deeper than any real request,
numbers too long for Python to parse, integers beyond what a 64-bit column stores, NUL characters
(PostgreSQL refuses them in text; SQLite stores them and a LIKE on one matches everything), lone
UTF-16 surrogates (no UTF-8 database text can hold one), and dates outside the business range.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from backend.errors import DomainError

MAX_DEPTH = 32  # the deepest real body (an order's items) is 3
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_ID_DIGITS = len(str(INT64_MAX))
# Dates a shop's sales, coupons, bills and reports can be about (documented in README).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class JsonTooDeep(DomainError):
    code = "json_too_deep"
    status = 400
    message_zh = f"请求体嵌套超过 {MAX_DEPTH} 层"
    message_en = f"The request body is nested deeper than {MAX_DEPTH} levels"


class NumberTooLong(DomainError):
    code = "number_too_long"
    status = 400
    message_zh = "请求体中的数字位数过多"
    message_en = "A number in the request body has too many digits"


class InvalidText(DomainError):
    code = "invalid_text"
    status = 422
    message_zh = "文本不能包含 NUL 字符或不成对的代理字符"
    message_en = "Text must not contain NUL characters or lone surrogates"


class NumberOutOfRange(DomainError):
    code = "number_out_of_range"
    status = 422
    message_zh = "数字超出 64 位整数范围"
    message_en = "A number is outside the signed 64-bit range"


class DateOutOfRange(DomainError):
    code = "date_out_of_range"
    status = 422
    message_zh = f"日期必须在 {FIRST_YEAR} 到 {LAST_YEAR} 年之间"
    message_en = f"Dates must fall in the years {FIRST_YEAR} to {LAST_YEAR}"


def load_json(text: str | bytes) -> Any:
    """json.loads, with its RecursionError and digit-limit ValueError turned into 400s."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise  # webargs answers malformed JSON itself
    except RecursionError as exc:
        raise JsonTooDeep() from exc
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise NumberTooLong() from exc
    check(value)
    return value


def check_date(value: dt.date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise DateOutOfRange(details={"value": value.isoformat()})


def _check_text(text: str) -> None:
    if "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text):
        raise InvalidText(details={"value": text.encode("utf-8", "backslashreplace").decode()[:64]})


def check(value: Any) -> None:
    """Walk a parsed body or loaded arguments (iteratively: depth is what is being checked)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise JsonTooDeep()
            for key, child in item.items():
                if isinstance(key, str):
                    _check_text(key)
                pending.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            if depth > MAX_DEPTH:
                raise JsonTooDeep()
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise NumberOutOfRange(details={"value": str(item)[:32]})
        elif isinstance(item, float):
            if not math.isfinite(item) or not INT64_MIN <= item <= INT64_MAX:
                raise NumberOutOfRange(details={"value": repr(item)})
        elif isinstance(item, dt.date):  # datetimes included
            check_date(item)
