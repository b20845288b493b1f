"""A shopper's cart checked out and its payment opened, as one event in one transaction.

Paying with WeChat needs a prepay, which is a call to WeChat and so comes after commit
(`services.prepay_jsapi`): this event commits the order, its reservation and discounts, and the
payment record whose out_trade_no the prepay will use. Paying from stored value needs no outside
call and completes here.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.db import transaction
from backend.kernel.models import Order
from payments import services
from payments.models import PaymentRecord
from store import checkout as checkouts
from store import stored_value


@dataclass(frozen=True)
class CheckedOut:
    order: Order
    payment: PaymentRecord | None  # to prepay after commit; None when paid from stored value


def check_out_cart(
    customer_id: int,
    user_id: int,
    *,
    address_id: int,
    points: int = 0,
    customer_coupon_id: int | None = None,
    pay_with: str = "wechat",
) -> CheckedOut:
    with transaction():
        order = checkouts.checkout(
            customer_id,
            address_id=address_id,
            points=points,
            customer_coupon_id=customer_coupon_id,
            pay_with=pay_with,
            placed_by=user_id,
        )
        if pay_with == "wechat":
            return CheckedOut(order, services.open_jsapi_payment(order.id, user_id))
        return CheckedOut(stored_value.pay_order(order.id, customer_id), None)
