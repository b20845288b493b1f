"""What staff look up while billing at the counter: goods by name or barcode at the customer's price
with the stock on hand, and customers with what they owe, their credit headroom and what is overdue.

Reads only; each answer takes a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from backend import clock
from backend.auth.models import WechatIdentity
from backend.inventory.models import StockLevel
from backend.kernel.models import Customer, Product, Sku
from backend.ledger.services import tuples
from backend.receivables import advances
from backend.receivables.models import Invoice
from store import catalog, pricing

MAX_RESULTS = 50
COUNTER = "counter"  # the channel staff sell through


@dataclass(frozen=True)
class SkuForSale:
    sku: Sku
    product_name: str
    unit_price_fen: int  # what this customer pays for one, through the counter
    available: int  # in the counter's warehouse


@dataclass(frozen=True)
class CustomerStanding:
    customer: Customer
    balance_fen: int
    credit_limit_fen: int
    headroom_fen: int | None  # None: no credit limit is set (no sale on account)
    overdue_fen: int
    oldest_due_on: dt.date | None  # the earliest due date still open
    overdue_days: int
    wechat: bool = False  # has a WeChat login: the receipt can go to their WeChat


def find_skus(
    *, q: str | None, barcode: str | None, customer: Customer | None, limit: int = 20
) -> list[SkuForSale]:
    """Active SKUs whose barcode is `barcode`, or whose name or product's name contains `q`."""
    query = Sku.select(Sku, Product).join(Product).where(Sku.active == True)  # noqa: E712
    if barcode:
        query = query.where(Sku.barcode == barcode)
    if q:
        query = query.where(Sku.name.contains(q) | Product.name.contains(q))
    skus = list(query.order_by(Product.name, Sku.name, Sku.id).limit(min(limit, MAX_RESULTS)))
    warehouse = catalog.default_warehouse()
    available: dict[int, int] = {}
    if skus and warehouse is not None:
        levels = StockLevel.select(StockLevel.sku, StockLevel.on_hand - StockLevel.reserved).where(
            (StockLevel.warehouse == warehouse.id) & StockLevel.sku.in_([s.id for s in skus])
        )
        available = {sku_id: int(n) for sku_id, n in levels.tuples()}  # type: ignore[attr-defined]
    buyer = customer or catalog.walk_in_customer()
    # The price of one at the counter; a quantity break is applied when the bill is placed.
    prices = pricing.price_lines(buyer, COUNTER, [(s, 1) for s in skus])
    return [
        SkuForSale(s, s.product.name, price.unit_price_fen, available.get(s.id, 0))
        for s, price in zip(skus, prices, strict=True)
    ]


def standings(customers: list[Customer]) -> list[CustomerStanding]:
    """Each customer's balance, headroom and overdue invoices, in one aggregate query."""
    today = clock.today()
    ids = [c.id for c in customers]
    overdue: dict[int, tuple[int, dt.date | str | None]] = {}
    if ids:
        rows = (
            Invoice.select(Invoice.customer, pw.fn.SUM(Invoice.open_fen), pw.fn.MIN(Invoice.due_on))
            .where(Invoice.customer.in_(ids) & (Invoice.open_fen > 0) & (Invoice.due_on < today))
            .group_by(Invoice.customer)
        )
        overdue = {cid: (int(total or 0), due) for cid, total, due in rows.tuples()}  # type: ignore[attr-defined]
    credit = advances.balances_of(ids)  # paid ahead: the next sale on account takes it first
    users = [c.user_id for c in customers if c.user_id is not None]
    on_wechat = (
        {
            int(u)
            for (u,) in tuples(
                WechatIdentity.select(WechatIdentity.user).where(WechatIdentity.user.in_(users))
            )
        }
        if users
        else set()
    )
    answer = []
    for c in customers:
        fen, oldest = overdue.get(c.id, (0, None))
        if isinstance(oldest, str):  # SQLite answers an aggregate of dates as text
            oldest = dt.date.fromisoformat(oldest)
        answer.append(
            CustomerStanding(
                customer=c,
                balance_fen=c.balance_fen,
                credit_limit_fen=c.credit_limit_fen,
                headroom_fen=(
                    c.credit_limit_fen - c.balance_fen - c.uninvoiced_fen + credit.get(c.id, 0)
                    if c.credit_limit_fen > 0
                    else None
                ),
                overdue_fen=fen,
                oldest_due_on=oldest,
                overdue_days=(today - oldest).days if oldest is not None else 0,
                wechat=c.user_id in on_wechat,
            )
        )
    return answer


def find_customers(q: str | None, limit: int = 20) -> list[CustomerStanding]:
    """Customers (not the shared walk-in one) whose name contains `q` or whose phone starts with it."""
    query = Customer.select().where(Customer.kind != "walk_in")
    if q:
        query = query.where(Customer.name.contains(q) | Customer.phone.startswith(q))
    return standings(list(query.order_by(Customer.name, Customer.id).limit(min(limit, MAX_RESULTS))))
