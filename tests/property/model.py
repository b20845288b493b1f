"""What the state machine expects the books to say: a plain model of stock, receivables, money and
orders, written from the product's rules as a merchant would state them, never from its code.

Every event the machine drives asks the model first whether it should be accepted, then tells the
model what it did; after every step the machine compares the model with the database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

REFUNDABLE = ("paid", "shipped", "completed", "partially_refunded", "on_account")


@dataclass
class Level:
    on_hand: int
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass
class ModelOrder:
    id: int
    channel: str  # miniprogram | counter | distributor
    customer_id: int
    lines: dict[int, int]  # sku id -> quantity
    total: int
    status: str
    placed_at: dt.datetime  # the app's clock: the auto-cancel counts from it
    paid: int = 0
    refunded: int = 0
    shipped: bool = False
    returned: Counter[int] = field(default_factory=Counter)
    method: str | None = None  # how its money came in (cash, bank_transfer, stored_value, wechat)
    invoice_open: int = 0  # an on-account sale's open invoice
    discount: int = 0  # points spent at checkout (fen): the total is after it

    @property
    def on_account(self) -> bool:
        return self.channel == "distributor"

    def outstanding(self, sku_id: int) -> int:
        """Units of a line still with the customer (shipped and not returned)."""
        return self.lines[sku_id] - self.returned[sku_id] if self.shipped else 0


@dataclass
class Model:
    prices: dict[int, tuple[int, int | None]]  # sku id -> (retail, distributor price)
    stock: dict[int, Level]
    credit_limits: dict[int, int]  # distributor customer id -> limit
    balances: Counter[int] = field(default_factory=Counter)  # customer id -> open receivable
    advances: Counter[int] = field(default_factory=Counter)  # customer id -> unapplied credit (预收)
    stored_value: Counter[int] = field(default_factory=Counter)  # member customer id -> fen
    orders: dict[int, ModelOrder] = field(default_factory=dict)
    money_in: Counter[str] = field(default_factory=Counter)  # receivables' money in, by method
    money_out: Counter[str] = field(default_factory=Counter)  # receivables' money out, by method
    late_held: int = 0  # WeChat money that arrived for nothing and awaits its refund (2203)
    top_ups: int = 0  # WeChat money credited to stored value
    policy: str = "refund"  # YECAI_LATE_PAYMENT_POLICY

    # ------------------------------------------------------------ asking

    def price(self, sku_id: int, kind: str) -> int:
        retail, distributor = self.prices[sku_id]
        return distributor if kind == "distributor" and distributor is not None else retail

    def total(self, items: dict[int, int], kind: str) -> int:
        return sum(self.price(sku, kind) * q for sku, q in items.items())

    def in_stock(self, items: dict[int, int]) -> bool:
        return all(self.stock[sku].available >= q for sku, q in items.items())

    def within_credit(self, customer_id: int, amount: int) -> bool:
        return self.balances[customer_id] + amount <= self.credit_limits[customer_id]

    def cancellable(self, order: ModelOrder) -> bool:
        if order.shipped or order.status not in ("pending_payment", "on_account"):
            return False
        return not (order.on_account and order.paid)

    def fulfillable(self, order: ModelOrder) -> bool:
        return not order.shipped and order.status in ("paid", "on_account", "partially_refunded")

    def refundable(self, order: ModelOrder) -> int:
        """What may still be refunded now (0 when a refund must be refused)."""
        if order.status not in REFUNDABLE:
            return 0
        return order.paid - order.refunded + (order.invoice_open if order.on_account else 0)

    def returnable(self, order: ModelOrder) -> bool:
        return order.shipped and order.status in ("shipped", "completed", "partially_refunded")

    def open_invoices(self, customer_id: int) -> list[ModelOrder]:
        """A distributor's orders with money still open, oldest first (all share the same terms)."""
        return [
            o
            for o in sorted(self.orders.values(), key=lambda o: o.id)
            if o.customer_id == customer_id and o.on_account and o.invoice_open > 0
        ]

    # ------------------------------------------------------------ telling

    def placed(self, order: ModelOrder) -> None:
        self.orders[order.id] = order
        for sku, q in order.lines.items():
            self.stock[sku].reserved += q
        if order.on_account:
            order.invoice_open = order.total
            self.balances[order.customer_id] += order.total
            # Credit the customer paid ahead is applied at once, to their open invoices oldest first.
            credit = self.advances[order.customer_id]
            for invoice in self.open_invoices(order.customer_id):
                part = min(credit, invoice.invoice_open)
                invoice.invoice_open -= part
                invoice.paid += part
                credit -= part
            self.balances[order.customer_id] -= self.advances[order.customer_id] - credit
            self.advances[order.customer_id] = credit

    def received(self, sku_id: int, quantity: int) -> None:
        self.stock[sku_id].on_hand += quantity

    def paid(self, order: ModelOrder, method: str) -> None:
        """The order's amount due captured: the order is paid, its invoice posted and settled."""
        order.status, order.paid, order.method = "paid", order.total, method
        self.money_in[method] += order.total
        if method == "stored_value":
            self.stored_value[order.customer_id] -= order.total

    def sold_over_counter(self, order: ModelOrder, method: str, *, deliver_later: bool) -> None:
        """Placed, paid and (unless delivered later) handed over in one event."""
        self.placed(order)
        self.paid(order, method)
        if not deliver_later:
            self.shipped(order)

    def shipped(self, order: ModelOrder) -> None:
        for sku, q in order.lines.items():
            self.stock[sku].reserved -= q
            self.stock[sku].on_hand -= q
        order.shipped, order.status = True, "shipped"

    def completed(self, order: ModelOrder) -> None:
        order.status = "completed"

    def cancelled(self, order: ModelOrder) -> None:
        for sku, q in order.lines.items():
            self.stock[sku].reserved -= q
        if order.on_account:
            self.balances[order.customer_id] -= order.invoice_open
            order.invoice_open = 0
        order.status = "cancelled"

    def collected(self, customer_id: int, amount: int, method: str, only: ModelOrder | None = None) -> None:
        """Money on account, allocated to the open invoices oldest first (or to one invoice)."""
        left = amount
        for order in [only] if only is not None else self.open_invoices(customer_id):
            part = min(left, order.invoice_open)
            order.invoice_open -= part
            order.paid += part
            left -= part
        self.balances[customer_id] -= amount - left
        self.advances[customer_id] += left  # what no invoice took is kept as credit
        self.money_in[method] += amount

    def refunded(self, order: ModelOrder, amount: int, method: str) -> None:
        # An open invoice on account is netted first (settled by a credit note: counted as paid and
        # refunded); only the rest is money paid back.
        netted = min(amount, order.invoice_open) if order.on_account else 0
        order.invoice_open -= netted
        order.paid += netted
        self.balances[order.customer_id] -= netted
        order.refunded += amount
        everything = order.refunded == order.total
        order.status = "refunded" if everything else "partially_refunded"
        self.money_out[method] += amount - netted
        if method == "stored_value":
            self.stored_value[order.customer_id] += amount - netted
        if everything:
            for sku, q in order.lines.items():
                if order.shipped:
                    self.stock[sku].on_hand += q - order.returned[sku]
                    order.returned[sku] = q
                else:
                    self.stock[sku].reserved -= q

    def goods_returned(self, order: ModelOrder, sku_id: int, quantity: int) -> None:
        order.returned[sku_id] += quantity
        self.stock[sku_id].on_hand += quantity

    def reopenable(self, order: ModelOrder) -> bool:
        """reserve_again: money for an order cancelled unpaid takes it back while its stock is there."""
        return (
            self.policy == "reserve_again"
            and order.status == "cancelled"
            and not order.paid
            and not order.shipped
            and not order.on_account
            and not order.discount  # its points went back at the cancel
            and self.in_stock(order.lines)
        )

    def reopened(self, order: ModelOrder) -> None:
        for sku, q in order.lines.items():
            self.stock[sku].reserved += q
        order.status = "pending_payment"
