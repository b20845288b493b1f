"""Cursor pagination: `?limit=&cursor=`; responses carry `items` and `next_cursor` (null at the end).

The cursor is an opaque token wrapping the last id seen, so pages stay stable while rows are
added (unlike offsets). Lists are ordered newest first.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import marshmallow as ma
import peewee as pw

from backend.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = ma.fields.String(load_default=None)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id":
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("The cursor is invalid", "分页游标无效", code="invalid_cursor")


def page(
    query: pw.ModelSelect[Any],
    id_field: pw.Field,
    args: dict[str, Any],
    present: Callable[[list[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of `query`, newest first, after the cursor in `args`.

    `present` turns the page's rows into its items all at once, so whatever the items need beyond
    the rows is read with a fixed number of queries per page, not one per row.
    """
    limit = args["limit"]
    if args.get("cursor"):
        query = query.where(id_field < decode_cursor(args["cursor"]))
    rows = list(query.order_by(id_field.desc()).limit(limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id) if has_more and rows else None
    return {"items": present(rows) if present is not None else rows, "next_cursor": next_cursor}


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "next_cursor": ma.fields.String(allow_none=True),
        },
    )
