"""Coupons (满减券): a fixed amount off an order whose goods (before discounts) reach a threshold,
valid between two times, claimed by a customer up to `per_customer_limit` times.

A claim is a `CustomerCoupon` row numbered 1..limit under a unique key, so two claims racing for the
last allowance cannot both succeed. Using one is a conditional UPDATE (`status = 'available'`); a
cancelled unpaid order gives it back; a refund does not (the discount was enjoyed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.db import savepoint, transaction
from store.shop_errors import CouponLimitReached, CouponNotUsable, NotYours
from store.shop_models import Coupon, CustomerCoupon


def create_coupon(
    name: str,
    *,
    amount_off_fen: int,
    threshold_fen: int = 0,
    per_customer_limit: int = 1,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    actor_id: int | None = None,
) -> Coupon:
    with transaction():
        coupon = Coupon.create(
            name=name,
            amount_off_fen=amount_off_fen,
            threshold_fen=threshold_fen,
            per_customer_limit=per_customer_limit,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        audit.record(
            actor_id,
            "coupon.create",
            "coupon",
            coupon.id,
            amount_off_fen=amount_off_fen,
            threshold_fen=threshold_fen,
            per_customer_limit=per_customer_limit,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        return coupon


def _valid_now(coupon: Coupon) -> bool:
    now = clock.now()
    return bool(coupon.active) and coupon.valid_from <= now < coupon.valid_until


def claim(customer_id: int, coupon_id: int) -> CustomerCoupon:
    with transaction():
        coupon = Coupon.get_or_none(Coupon.id == coupon_id)
        if coupon is None or not _valid_now(coupon):
            raise NotYours(details={"coupon_id": coupon_id})
        held = (
            CustomerCoupon.select()
            .where((CustomerCoupon.coupon == coupon_id) & (CustomerCoupon.customer == customer_id))
            .count()
        )
        if held >= coupon.per_customer_limit:
            raise CouponLimitReached(details={"per_customer_limit": coupon.per_customer_limit})
        try:
            with savepoint():
                return CustomerCoupon.create(coupon=coupon_id, customer=customer_id, seq=held + 1)
        except pw.IntegrityError:  # a concurrent claim took this allowance
            raise CouponLimitReached(details={"per_customer_limit": coupon.per_customer_limit})


def of_customer(customer_id: int) -> Any:
    return CustomerCoupon.select().where(CustomerCoupon.customer == customer_id)


def use(
    customer_id: int, customer_coupon_id: int, goods_fen: int, order_id: int
) -> tuple[CustomerCoupon, int]:
    """Spend one of the customer's coupons on an order; returns it and the amount off."""
    held = CustomerCoupon.get_or_none(
        (CustomerCoupon.id == customer_coupon_id) & (CustomerCoupon.customer == customer_id)
    )
    if held is None:
        raise NotYours(details={"customer_coupon_id": customer_coupon_id})
    coupon = Coupon.get_by_id(held.coupon_id)
    if not _valid_now(coupon) or goods_fen < coupon.threshold_fen:
        raise CouponNotUsable(
            details={
                "customer_coupon_id": held.id,
                "threshold_fen": coupon.threshold_fen,
                "valid_until": clock.rfc3339(coupon.valid_until),
            }
        )
    taken = (
        CustomerCoupon.update(status="used", order_id=order_id, used_at=clock.now())
        .where((CustomerCoupon.id == held.id) & (CustomerCoupon.status == "available"))
        .execute()
    )
    if taken != 1:
        raise CouponNotUsable(details={"customer_coupon_id": held.id, "status": "used"})
    return held, int(coupon.amount_off_fen)


def give_back(order_id: int) -> None:
    """An unpaid order cancelled: its coupon can be used again."""
    CustomerCoupon.update(status="available", order_id=None, used_at=None).where(
        (CustomerCoupon.order_id == order_id) & (CustomerCoupon.status == "used")
    ).execute()
