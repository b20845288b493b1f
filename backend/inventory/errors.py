from __future__ import annotations

from backend.errors import DomainError, InternalError


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 409
    message_zh = "库存不足"
    message_en = "Not enough stock available"


class InvalidQuantity(DomainError):
    code = "invalid_quantity"
    status = 422
    message_zh = "数量无效"
    message_en = "The quantity is invalid"


class InvalidCost(DomainError):
    code = "invalid_cost"
    status = 422
    message_zh = "成本单价无效"
    message_en = "The unit cost is invalid"


class StockStateBroken(InternalError):
    """A release or issue found less reserved/on hand than the order holds: a bug, not user input."""

    message = "Stock does not match the order's reservation"
