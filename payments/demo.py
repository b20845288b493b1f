"""Demo money at the till: a counter sale rung up by the demo's staff login and paid in cash.

It goes through `offline.counter_sale`, the one path for cash, so the demo's sale has its payment
record like any sale a cashier makes. Runs once, after the shop's seeder has stocked the shelves.
"""

from __future__ import annotations

from backend.auth.models import User
from backend.kernel.models import Sku
from payments import offline
from payments.models import PaymentRecord
from store.demo import CATALOG

# (barcode, quantity): six cans of beer and two bottles of water, handed over at the counter.
BASKET = ((CATALOG[0][2], 6), (CATALOG[2][2], 2))


def seed() -> None:
    if PaymentRecord.select().where(PaymentRecord.method == "cash").exists():
        return
    skus = {sku.barcode: sku.id for sku in Sku.select().where(Sku.barcode.in_([b for b, _ in BASKET]))}
    if len(skus) != len(BASKET):
        return  # the shop's seeder did not run (an existing catalogue): nothing to sell from
    staff = User.get_or_none(User.username == "staff")
    offline.counter_sale(
        None,
        [(skus[barcode], quantity) for barcode, quantity in BASKET],
        staff_id=staff.id if staff else None,
    )
