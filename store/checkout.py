"""Checkout, written down in one place: the shopper's cart becomes an order with its discounts.

    1. the cart must hold something, every SKU in it on sale; the address must be the shopper's own
    2. place the order at server prices (store.pricing), reserving its stock    -> InsufficientStock
    3. the coupon: the shopper's own, unused, valid now, goods over its threshold -> coupon_not_usable
    4. the points: 1 point = 1 fen off (100 points = 1 yuan), held by the member -> not_enough_points
    5. discounts must leave at least 1 fen to pay (WeChat cannot take 0)       -> discount_too_large
    6. spread the discount over the lines, write the checkout, empty the cart

All of it is one transaction: any refusal leaves no order, no reservation, no spent points or
coupon, and the cart as it was. Paying comes after (WeChat JSAPI through `payments`, or the
stored-value balance through `store.stored_value`).

How a discount lands in the books: the order's `total_fen` is what the customer pays, after every
discount; each line carries its share in `discount_fen` (largest-remainder apportioning by line
amount), and its `total_fen`, `net_fen` and `vat_fen` are recomputed on the discounted amount. So
revenue (5001) and output VAT (2221) are booked on the money actually received, no discount
account is needed, refunds reverse in proportion, and every existing invariant keeps holding. The
points and coupon themselves are recorded in the points ledger and on the `checkout` row.
"""

from __future__ import annotations

import json

from backend.db import locked, transaction
from backend.kernel.models import Order, OrderLine
from backend.money import split_vat
from store import addresses, cart, members, promotions
from store import services as sales
from store.shop_errors import DiscountTooLarge, EmptyCart, OffSale
from store.shop_models import Checkout, MemberAccount

PAY_WITH = ("wechat", "stored_value")


def apportion(discount_fen: int, amounts: list[int]) -> list[int]:
    """Split `discount_fen` over `amounts` in proportion, in whole fen, summing exactly.

    Largest remainder: each share is floor(discount x amount / total) and the fen left over go to
    the largest fractional parts (earlier lines first on a tie). No share exceeds its amount while
    the discount is below the total.
    """
    total = sum(amounts)
    if discount_fen == 0 or total == 0:
        return [0] * len(amounts)
    shares = [discount_fen * a // total for a in amounts]
    remainders = sorted(range(len(amounts)), key=lambda i: (-(discount_fen * amounts[i] % total), i))
    for i in remainders[: discount_fen - sum(shares)]:
        shares[i] += 1
    return shares


def _apply_discount(order: Order, discount_fen: int) -> None:
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    shares = apportion(discount_fen, [line.total_fen for line in lines])
    vat_total = 0
    for line, share in zip(lines, shares, strict=True):
        total = line.total_fen - share
        net, vat = split_vat(total, line.vat_rate_bp)
        vat_total += vat
        OrderLine.update(discount_fen=share, total_fen=total, net_fen=net, vat_fen=vat).where(
            OrderLine.id == line.id
        ).execute()
    Order.update(
        total_fen=order.total_fen - discount_fen, vat_fen=vat_total, discount_fen=discount_fen
    ).where(Order.id == order.id).execute()


def checkout(
    customer_id: int,
    *,
    address_id: int,
    points: int = 0,
    customer_coupon_id: int | None = None,
    pay_with: str = "wechat",
    placed_by: int | None = None,
) -> Order:
    members.check_points(points)
    with transaction():
        # One checkout per member at a time (the account row lock, taken before any stock, as
        # refunds do): a parallel second checkout of the same cart finds it empty.
        members.account(customer_id)
        locked(MemberAccount.select().where(MemberAccount.customer == customer_id)).first()
        items = cart.items(customer_id)
        if not items:
            raise EmptyCart()
        off_sale = [i.sku_id for i in items if not cart.on_sale(i)]
        if off_sale:
            raise OffSale(details={"sku_ids": off_sale})
        address = addresses.own(customer_id, address_id)
        order = sales.place_order(
            customer_id,
            [(i.sku_id, i.quantity) for i in items],
            channel="miniprogram",
            placed_by=placed_by,
        )
        goods = order.total_fen
        held, coupon_off = None, 0
        if customer_coupon_id is not None:
            held, coupon_off = promotions.use(customer_id, customer_coupon_id, goods, order.id)
        points_off = points * members.FEN_PER_POINT
        if coupon_off + points_off >= goods:
            raise DiscountTooLarge(
                details={"goods_fen": goods, "coupon_fen": coupon_off, "points_fen": points_off}
            )
        members.redeem(customer_id, points, order.id)
        _apply_discount(order, coupon_off + points_off)
        Checkout.create(
            order=order.id,
            customer=customer_id,
            address=address.id,
            ship_to=json.dumps(
                {
                    "name": address.name,
                    "phone": address.phone,
                    "region": address.region,
                    "detail": address.detail,
                },
                ensure_ascii=False,
            ),
            goods_fen=goods,
            points_used=points,
            points_discount_fen=points_off,
            customer_coupon=held.id if held is not None else None,
            coupon_discount_fen=coupon_off,
            pay_with=pay_with,
        )
        cart.clear(customer_id)
        return Order.get_by_id(order.id)
