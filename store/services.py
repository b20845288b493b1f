"""The path of a sale: one function per business event, one transaction each, for every channel.

    place_order        -> order pending payment, stock reserved
    capture_payment    -> order paid, invoice posted and settled, voucher Dr money / Cr 5001, 2221
    sell_on_account    -> order on account, stock reserved, open invoice due after terms,
                          voucher Dr 1122 / Cr 5001, 2221 (credit limit checked in SQL)
    counter_cash_sale  -> place_order + capture_payment(cash) + fulfil_order as one event at the
                          counter (or without the fulfil, when the goods are delivered later)
    fulfil_order       -> stock issued at moving-average cost, voucher Dr 5401 / Cr 1405
    cancel_order       -> reservation released (and an on-account invoice credited)
    refund_order       -> money, receivables and (on a full refund) stock reversed

Each event locks the order row first, so two events on one order apply one after the other, and
calls inventory, receivables and the ledger directly. Effects outside the database go to the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from backend import audit, clock
from backend.db import Param, Prepared, is_postgres, transaction
from backend.inventory import services as inventory
from backend.inventory.models import StockMove
from backend.inventory.services import Want
from backend.jobs.outbox import enqueue
from backend.kernel.models import CHANNELS, Customer, Order, OrderLine, Warehouse
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, Line, post_entry
from backend.money import round_half_up_div, split_vat
from backend.receivables import adjustments, advances
from backend.receivables import services as receivables
from backend.receivables.errors import PaymentReferenceReused, UnknownCustomer
from backend.receivables.models import Payment
from store import benefits, catalog, on_account, pricing, refund_share
from store.distribution import campaigns
from store.errors import (
    AmountMismatch,
    AmountTooLarge,
    EmptyOrder,
    InvalidReturn,
    InvalidTransition,
    OrderNotFound,
    RefundExceedsPaid,
    TooManyLines,
    UnknownSku,
    UnknownWarehouse,
)
from store.fapiao import services as fapiao

MAX_LINES = 100
# One order's total: far above any real sale (ten billion yuan), far below where sums of totals in
# the ledgers would overflow a 64-bit column (a line alone may reach 10**18: price x quantity).
MAX_ORDER_TOTAL_FEN = 10**12
REFUNDABLE = ("paid", "shipped", "completed", "partially_refunded", "on_account")


class Item(NamedTuple):
    sku_id: int
    quantity: int


# ---------------------------------------------------------------- helpers


def _locked_order(order_id: int) -> Order:
    query = Order.select().where(Order.id == order_id)
    if is_postgres():  # SQLite's IMMEDIATE transaction already serializes writers
        query = query.for_update()
    order = query.first()
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    return order


def _refuse(order: Order, action: str, why: str = "") -> InvalidTransition:
    return InvalidTransition(
        f"Cannot {action} an order that is {order.status}" + (f": {why}" if why else ""),
        f"订单状态为 {order.status}，不能{action}",
        details={"order_id": order.id, "status": order.status, "action": action},
    )


def _wants(order: Order) -> list[Want]:
    return [Want(line.sku_id, order.warehouse_id, line.quantity) for line in order.lines]


def _customer(customer_id: int | None) -> Customer:
    if customer_id is None:
        return catalog.walk_in_customer()
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return customer


def _warehouse(warehouse_id: int | None) -> Warehouse:
    warehouse = catalog.default_warehouse() if warehouse_id is None else catalog.warehouse(warehouse_id)
    if warehouse is None:
        raise UnknownWarehouse(details={"warehouse_id": warehouse_id})
    return warehouse


def _merged_items(items: Iterable[Item | Sequence[int] | dict[str, Any]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    count = 0
    for raw in items:
        count += 1
        sku_id, quantity = (raw["sku_id"], raw["quantity"]) if isinstance(raw, dict) else (raw[0], raw[1])
        inventory.check_quantity(quantity)
        if not isinstance(sku_id, int) or isinstance(sku_id, bool):
            raise UnknownSku(details={"sku_id": str(sku_id)})
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    if count == 0:
        raise EmptyOrder()
    if count > MAX_LINES:
        raise TooManyLines(details={"max_lines": MAX_LINES})
    for quantity in merged.values():
        inventory.check_quantity(quantity)
    return merged


# Every order writes these two (prepared: see backend.db.Prepared).
_INSERT_ORDER = Prepared(
    lambda: (
        Order.insert(
            channel=Param("channel"),
            customer=Param("customer"),
            warehouse=Param("warehouse"),
            status=Param("status"),
            total_fen=Param("total"),
            vat_fen=Param("vat"),
            placed_by=Param("placed_by"),
            created_at=Param("now"),
        )
        .returning(Order)
        .objects()
    )
)
_MARK_PAID = Prepared(
    lambda: (
        Order.update(status="paid", paid_fen=Param("paid"), paid_at=Param("now"))
        .where(Order.id == Param("id"))
        .returning(Order)
        .objects()
    )
)
_LINE_COLUMNS = (
    "sku",
    "quantity",
    "unit_price_fen",
    "vat_rate_bp",
    "total_fen",
    "net_fen",
    "vat_fen",
    "price_rule",
    "price_list_id",
)
_INSERT_LINES = Prepared(
    lambda count: (
        OrderLine.insert_many(
            [
                {"order": Param("order"), **{column: Param((n, column)) for column in _LINE_COLUMNS}}
                for n in range(count)
            ]
        )
        .returning(OrderLine)
        .objects()
    )
)


def _create_order(
    customer: Customer,
    items: Iterable[Item | Sequence[int] | dict[str, Any]],
    *,
    channel: str,
    status: str,
    warehouse_id: int | None,
    placed_by: int | None,
) -> tuple[Order, list[OrderLine], list[Want]]:
    """Price the lines on the server (a snapshot) and write the order. Returns it with its lines (as
    the insert returned them, also kept on the order for the response) and the stock it needs, which
    the caller reserves with `_reserve` as the last write of its event (see there)."""
    if channel not in CHANNELS:
        raise InvalidTransition(
            f"Unknown channel {channel!r}", f"未知渠道 {channel}", code="invalid_channel", status=422
        )
    merged = _merged_items(items)
    warehouse = _warehouse(warehouse_id)
    skus = catalog.active_skus(list(merged))
    missing = sorted(set(merged) - set(skus))
    if missing:
        raise UnknownSku(details={"sku_ids": missing})
    rows: list[dict[str, Any]] = []
    ordered = [(skus[sku_id], merged[sku_id]) for sku_id in sorted(merged)]
    for (sku, quantity), price in zip(ordered, pricing.price_lines(customer, channel, ordered), strict=True):
        total = price.unit_price_fen * quantity
        net, vat = split_vat(total, sku.vat_rate_bp)
        rows.append(
            {
                "sku": sku.id,
                "quantity": quantity,
                "unit_price_fen": price.unit_price_fen,
                "vat_rate_bp": sku.vat_rate_bp,
                "total_fen": total,
                "net_fen": net,
                "vat_fen": vat,
                "price_rule": price.rule,
                "price_list_id": price.price_list_id,
            }
        )
    total_fen = sum(r["total_fen"] for r in rows)
    if total_fen > MAX_ORDER_TOTAL_FEN:
        raise AmountTooLarge(details={"total_fen": total_fen, "max_total_fen": MAX_ORDER_TOTAL_FEN})
    (order,) = _INSERT_ORDER.rows(
        {
            "channel": channel,
            "customer": customer.id,
            "warehouse": warehouse.id,
            "status": status,
            "total": total_fen,
            "vat": sum(r["vat_fen"] for r in rows),
            "placed_by": placed_by,
            "now": clock.now(),
        }
    )
    lines = _INSERT_LINES.rows(
        {(n, column): row[column] for n, row in enumerate(rows) for column in _LINE_COLUMNS}
        | {"order": order.id},
        len(rows),
    )
    order.written_lines = lines
    campaigns.take_for_order(order.id, lines)  # limited campaign stock, decided in this transaction
    return order, lines, [Want(r["sku"], warehouse.id, r["quantity"]) for r in rows]


def _reserve(order: Order, wants: list[Want]) -> None:
    """Reserve a new order's stock. Events call this last, just before they commit: the stock row
    stays locked from this UPDATE until the commit, and when one SKU sells fast every buyer of it
    queues on that lock, so the fewer statements after it, the more buyers per second it serves.
    Short stock still undoes the whole event (InsufficientStock rolls the transaction back)."""
    inventory.reserve(wants, order_id=order.id, reference=f"order:{order.id}")


def _sale_lines(order: Order, debit_account: str, customer_id: int | None = None) -> list[Line]:
    return [
        Dr(debit_account, order.total_fen, customer_id),
        Cr(chart.REVENUE, order.total_fen - order.vat_fen),
        Cr(chart.OUTPUT_VAT, order.vat_fen),
    ]


def _set(order_id: int, **fields: Any) -> Order:
    """Change the order and return it as stored, in one statement (UPDATE ... RETURNING)."""
    (order,) = Order.update(**fields).where(Order.id == order_id).returning(Order).objects().execute()
    return order


# ---------------------------------------------------------------- events


def place_order(
    customer_id: int | None,
    items: Iterable[Item | Sequence[int] | dict[str, Any]],
    *,
    channel: str,
    warehouse_id: int | None = None,
    placed_by: int | None = None,
) -> Order:
    """An order waiting for payment; its stock is reserved now (InsufficientStock otherwise)."""
    return _reserved_order(
        customer_id,
        items,
        status="pending_payment",
        channel=channel,
        warehouse_id=warehouse_id,
        placed_by=placed_by,
    )


def sell_on_account(
    customer_id: int,
    items: Iterable[Item | Sequence[int] | dict[str, Any]],
    *,
    channel: str,
    warehouse_id: int | None = None,
    placed_by: int | None = None,
) -> Order:
    """A sale on credit: reserved stock, an open invoice due after the customer's terms, Dr 1122."""
    with transaction():
        customer = _customer(customer_id)
        order, _, wants = _create_order(
            customer,
            items,
            channel=channel,
            status="on_account",
            warehouse_id=warehouse_id,
            placed_by=placed_by,
        )
        order.paid_fen += _book_on_account(customer, order, actor_id=placed_by)
        _reserve(order, wants)
        return order


def _book_on_account(customer: Customer, order: Order, *, actor_id: int | None) -> int:
    """What goes on account for an order: its open invoice (through the credit check) and the voucher
    Dr 1122 / Cr 5001, 2221. A customer who paid ahead (预收) has the new invoice settled from that
    credit at once; returns what the credit paid of this order."""
    receivables.post_open_invoice(customer, order.id, order.total_fen)
    post_entry(
        "order.on_account",
        _sale_lines(order, chart.RECEIVABLES, customer.id),
        memo=f"赊销 订单 {order.id}",
        source_type="order",
        source_id=order.id,
    )
    applied = advances.apply(customer.id, actor_id=actor_id)
    on_account.record_paid(applied)
    return applied.get(order.id, 0)


def _reserved_order(
    customer_id: int | None,
    items: Iterable[Item | Sequence[int] | dict[str, Any]],
    *,
    status: str,
    channel: str,
    warehouse_id: int | None,
    placed_by: int | None,
) -> Order:
    """An order in `status` with its stock reserved, nothing owed or booked yet."""
    with transaction():
        customer = _customer(customer_id)
        order, _, wants = _create_order(
            customer, items, channel=channel, status=status, warehouse_id=warehouse_id, placed_by=placed_by
        )
        _reserve(order, wants)
        return order


def hold_for_approval(
    customer_id: int,
    items: Iterable[Item | Sequence[int] | dict[str, Any]],
    *,
    channel: str,
    warehouse_id: int | None = None,
    placed_by: int | None = None,
) -> Order:
    """An on-account order the credit check refused, waiting for the owner (awaiting_approval): its
    stock is reserved and its campaign units taken now, so approval can only fail on credit grounds
    the owner has already weighed. Nothing is owed and nothing is booked until `post_held_on_account`."""
    return _reserved_order(
        customer_id,
        items,
        status="awaiting_approval",
        channel=channel,
        warehouse_id=warehouse_id,
        placed_by=placed_by,
    )


def post_held_on_account(order_id: int) -> Order:
    """An order awaiting approval goes on account: its open invoice (through the credit check, so the
    caller wraps this in the owner's `credit_check.override`) and the voucher Dr 1122 / Cr 5001, 2221,
    as `sell_on_account` would have written them. Its stock stays reserved as it was."""
    with transaction():
        order = _locked_order(order_id)
        if order.status != "awaiting_approval":
            raise _refuse(order, "put on account")
        customer = _customer(order.customer_id)
        _book_on_account(customer, order, actor_id=order.placed_by)
        return _set(order.id, status="on_account")


def capture_payment(order_id: int, amount_fen: int, method: str, reference: str) -> Order:
    """Money for an order pending payment. Idempotent per `reference`: a repeat returns the same order.

    The amount must equal the amount due; the invoice is posted and settled at once and the voucher
    debits the money account of the method (cash 1001, bank 1002, WeChat clearing 1012).
    """
    receivables.check_amount(amount_fen)
    receivables.check_method(method)
    with transaction():
        return _capture(_locked_order(order_id), amount_fen, method, reference)


def _capture(
    order: Order, amount_fen: int, method: str, reference: str, customer: Customer | None = None
) -> Order:
    """capture_payment on an order this transaction holds (locked, or created by it)."""
    if order.status != "pending_payment" or amount_fen != order.total_fen:
        # Not payable as asked: a repeat of a capture that already happened is fine.
        earlier = Payment.get_or_none(Payment.reference == reference)
        if earlier is not None:
            if (earlier.order_id, earlier.amount_fen, earlier.method, earlier.direction) != (
                order.id,
                amount_fen,
                method,
                "in",
            ):
                raise PaymentReferenceReused(details={"reference": reference})
            return order
        if order.status != "pending_payment":
            raise _refuse(order, "pay")
        raise AmountMismatch(details={"amount_fen": amount_fen, "due_fen": order.total_fen})
    # The common case, a first capture, goes straight to the insert: the reference's unique
    # index catches a reused one (PaymentReferenceReused, or the same payment once more).
    payment, created = receivables.record_money(
        order.customer_id,
        amount_fen,
        method,
        reference,
        direction="in",
        order_id=order.id,
    )
    if not created:
        return order
    receivables.post_settled_invoice(order.customer_id, order.id, amount_fen, payment.id)
    post_entry(
        "order.paid",
        _sale_lines(order, chart.MONEY_ACCOUNT[method]),
        memo=f"销售收款 订单 {order.id} {method} {reference}",
        source_type="order",
        source_id=order.id,
    )
    if customer is None:
        customer = Customer.get_by_id(order.customer_id)
    benefits.on_paid(order, amount_fen, customer)  # points earned in the payment's own transaction
    if customer.user_id is not None:  # a walk-in buyer has nobody to send a receipt to
        enqueue("order.paid_receipt", {"order_id": order.id}, dedupe_key=f"order.paid_receipt:{order.id}")
    (paid,) = _MARK_PAID.rows({"id": order.id, "paid": amount_fen, "now": clock.now()})
    return paid


def counter_cash_sale(
    customer_id: int | None,
    items: Iterable[Item | Sequence[int] | dict[str, Any]],
    *,
    reference: str,
    method: str = "cash",
    warehouse_id: int | None = None,
    placed_by: int | None = None,
    deliver_later: bool = False,
) -> Order:
    """Bill, collect and hand over at the counter in one event: the order is placed, its full amount
    captured, and the goods leave at moving-average cost with their COGS (Dr 5401 / Cr 1405).
    `deliver_later`: the goods stay reserved for a later `fulfil_order`, as for any paid order.

    The order is created by this transaction, so nobody else can see it, let alone lock it: it is
    captured and handed over as it stands, without being read back.
    """
    receivables.check_method(method)
    with transaction():
        customer = _customer(customer_id)
        order, lines, wants = _create_order(
            customer,
            items,
            channel="counter",
            status="pending_payment",
            warehouse_id=warehouse_id,
            placed_by=placed_by,
        )
        paid = _capture(order, order.total_fen, method, reference, customer)
        if deliver_later:
            _reserve(paid, wants)
        else:
            paid = _hand_over(paid, lines, wants, reserved=False)
        paid.written_lines = lines
        return paid


def _hand_over(order: Order, lines: Sequence[OrderLine], wants: list[Want], *, reserved: bool) -> Order:
    """Issue the goods at moving-average cost, keep each line's cost, post Dr 5401 / Cr 1405."""
    costs = inventory.issue(wants, order_id=order.id, reference=f"order:{order.id}", reserved=reserved)
    for line in lines:
        OrderLine.update(cost_fen=costs[line.sku_id]).where(OrderLine.id == line.id).execute()
    total_cost = sum(costs.values())
    if total_cost:
        post_entry(
            "order.shipped",
            [Dr(chart.COGS, total_cost), Cr(chart.INVENTORY, total_cost)],
            memo=f"销售出库 订单 {order.id}",
            source_type="order",
            source_id=order.id,
        )
    return _set(order.id, status="shipped", shipped_at=clock.now())


def fulfil_order(order_id: int) -> Order:
    """Hand over the goods: issue reserved stock at moving-average cost and post Dr 5401 / Cr 1405."""
    with transaction():
        order = _locked_order(order_id)
        if order.shipped_at is not None or order.status not in ("paid", "on_account", "partially_refunded"):
            why = "it must be paid first" if order.status == "pending_payment" else ""
            raise _refuse(order, "fulfil", why)
        return _hand_over(order, list(order.lines), _wants(order), reserved=True)


def complete_order(order_id: int) -> Order:
    """The customer has the goods; nothing moves in the books."""
    with transaction():
        order = _locked_order(order_id)
        if order.status != "shipped":
            raise _refuse(order, "complete")
        return _set(order.id, status="completed", closed_at=clock.now())


def cancel_order(order_id: int, *, actor_id: int | None = None) -> Order:
    """Release the reservation. An unpaid on-account order also gets its invoice credited in full.

    The one cancel, for every caller (customer, staff, the auto-cancel job). Its outbox message
    `order.cancelled` lets payments close the order's open WeChat transactions after commit; a
    customer paying in that instant is settled as a late payment (held and refunded), never lost.
    `actor_id`: who cancelled, for the audit log (None: the system).
    """
    with transaction():
        order = _locked_order(order_id)
        if order.shipped_at is not None or order.status not in (
            "pending_payment",
            "on_account",
            "awaiting_approval",
        ):
            why = "refund it instead" if order.status in ("paid", "partially_refunded") else ""
            raise _refuse(order, "cancel", why)
        if order.status == "on_account":
            invoice = receivables.invoice_for_order(order.id)
            if invoice is not None and adjustments.has_adjustments(invoice.id):
                raise _refuse(order, "cancel", "its invoice has been adjusted")
            if invoice is None or invoice.open_fen != invoice.amount_fen:
                raise _refuse(order, "cancel", "part of its invoice is already paid")
            receivables.credit_open_invoice(invoice, invoice.amount_fen)
            post_entry(
                "order.cancelled",
                [
                    Dr(chart.REVENUE, order.total_fen - order.vat_fen),
                    Dr(chart.OUTPUT_VAT, order.vat_fen),
                    Cr(chart.RECEIVABLES, order.total_fen, order.customer_id),
                ],
                memo=f"赊销取消 订单 {order.id}",
                source_type="order",
                source_id=order.id,
            )
        inventory.release(_wants(order), order_id=order.id, reference=f"order:{order.id}")
        benefits.on_cancelled(order)  # redeemed points and the coupon come back
        campaigns.give_back(order.id)  # campaign units it took go back to the quota
        enqueue("order.cancelled", {"order_id": order.id}, dedupe_key=f"order.cancelled:{order.id}")
        audit.record(
            actor_id,
            "order.cancel",
            "order",
            order.id,
            status=order.status,
            total_fen=order.total_fen,
            channel=order.channel,
        )
        return _set(order.id, status="cancelled", closed_at=clock.now())


def reopen_cancelled_order(order_id: int) -> Order:
    """Take back an order that was cancelled unpaid, because its money arrived after all.

    Its stock is reserved again by the same conditional update as a new order (InsufficientStock if
    it has gone meanwhile). Only an order cancelled before any money or goods moved, without member
    benefits (redeemed points and coupons went back at cancel) and not sold on account, qualifies.
    """
    with transaction():
        order = _locked_order(order_id)
        on_account = receivables.invoice_for_order(order.id) is not None
        if (
            order.status != "cancelled"
            or order.paid_fen
            or order.shipped_at is not None
            or order.discount_fen
            or on_account
        ):
            raise _refuse(order, "reopen", "only an unpaid, undiscounted cancelled order can be taken back")
        inventory.reserve(_wants(order), order_id=order.id, reference=f"order:{order.id}:reopened")
        return _set(order.id, status="pending_payment", closed_at=None)


def refund_order(
    order_id: int,
    amount_fen: int | None = None,
    *,
    reference: str,
    method: str | None = None,
    actor_id: int | None = None,
) -> Order:
    """Pay money back. Idempotent per `reference`.

    Revenue and output VAT are reversed in proportion; the last fen of VAT goes with the refund that
    completes the order. A refund of everything also reverses the stock: goods already shipped come
    back at the cost they left with (Dr 1405 / Cr 5401), goods not shipped are released.

    An order on account whose invoice is still open nets the refund against it first (a credit
    note, Cr 1122): the customer owes less and no money goes out; only what is beyond the open
    amount is paid back (and at most what the customer paid).
    """
    with transaction():
        order = _locked_order(order_id)
        earlier = Payment.get_or_none(Payment.reference == reference)
        if earlier is not None:
            if (
                earlier.order_id != order.id
                or earlier.direction != "out"
                or (
                    amount_fen is not None and earlier.amount_fen != amount_fen + _netted(order.id, reference)
                )
            ):
                raise PaymentReferenceReused(details={"reference": reference})
            return order
        if _netted(order.id, reference):
            return order  # netted in full against the invoice earlier: nothing more to do
        if order.status == "refunded":
            raise _refuse(order, "refund")
        invoice = receivables.invoice_for_order(order.id)
        open_fen = invoice.open_fen if invoice is not None else 0
        # Netting settles the open invoice by a credit note and gives that back at once: it counts as
        # paid and as refunded, so paid_fen + open always equals the total, refunded_fen <= paid_fen.
        refundable = order.paid_fen - order.refunded_fen + open_fen
        amount = refundable if amount_fen is None else receivables.check_amount(amount_fen)
        if amount <= 0 or amount > refundable:  # also an order never paid (pending, cancelled)
            raise RefundExceedsPaid(details={"amount_fen": amount, "refundable_fen": refundable})
        if order.status not in REFUNDABLE or invoice is None:
            raise _refuse(order, "refund")
        netted = min(amount, open_fen)
        payout_fen = amount - netted
        method = method or _first_method(order) or "cash"
        if netted and method == "stored_value":
            raise _refuse(order, "refund", "an open invoice is netted, not paid back to stored value")
        everything, vat = refund_share.share(order, invoice, amount)
        if netted:
            receivables.credit_open_invoice(invoice, netted)
        if payout_fen:
            payout, _ = receivables.record_money(
                order.customer_id, payout_fen, method, reference, direction="out", order_id=order.id
            )
            receivables.refund_settled(invoice, payout_fen, payout.id)
        post_entry(
            "order.refunded",
            [
                Dr(chart.REVENUE, amount - vat),
                Dr(chart.OUTPUT_VAT, vat),
                Cr(chart.RECEIVABLES, netted, order.customer_id),
                Cr(chart.MONEY_ACCOUNT[method], payout_fen),
            ],
            memo=_refund_memo(order.id, reference, netted),
            source_type="order",
            source_id=order.id,
        )
        order.paid_fen += netted  # benefits share the refund out over what was paid, netting included
        benefits.on_refunded(order, amount, method, reference, everything=everything)
        fapiao.on_refunded(order, amount, vat, everything=everything, reference=reference)
        if netted:
            audit.record(
                actor_id, "order.refund_netted", "order", order.id, amount_fen=netted, reference=reference
            )
        if everything:
            _reverse_stock(order)
        enqueue(
            "order.refund_notice",
            {"order_id": order.id, "amount_fen": amount, "reference": reference},
            dedupe_key=f"refund:{reference}",
        )
        audit.record(
            actor_id,
            "order.refund",
            "order",
            order.id,
            amount_fen=amount,
            vat_fen=vat,
            method=method,
            reference=reference,
            everything=everything,
        )
        return _set(
            order.id,
            status="refunded" if everything else "partially_refunded",
            paid_fen=Order.paid_fen + netted,
            refunded_fen=Order.refunded_fen + amount,
            refunded_vat_fen=Order.refunded_vat_fen + vat,
            closed_at=clock.now() if everything else None,
        )


def _refund_memo(order_id: int, reference: str, netted: int) -> str:
    return f"销售退款 订单 {order_id} {reference}" + (f" 冲减应收 {netted}" if netted else "")


def _netted(order_id: int, reference: str) -> int:
    """What a refund by `reference` netted against the order's open invoice (0: none, or no such refund)."""
    from backend.ledger.models import JournalEntry, JournalLine

    entry = (
        JournalEntry.select()
        .where(
            (JournalEntry.source_type == "order")
            & (JournalEntry.source_id == order_id)
            & (JournalEntry.event == "order.refunded")
            & (JournalEntry.memo.startswith(f"销售退款 订单 {order_id} {reference} 冲减应收 "))
        )
        .first()
    )
    if entry is None:
        return 0
    line = JournalLine.get_or_none(
        (JournalLine.entry == entry.id) & (JournalLine.account_code == chart.RECEIVABLES)
    )
    return int(line.credit_fen) if line is not None else 0


def _first_method(order: Order) -> str | None:
    first = (
        Payment.select(Payment.method)
        .where((Payment.order == order.id) & (Payment.direction == "in"))
        .order_by(Payment.id)
        .first()
    )
    return first.method if first else None


def _reverse_stock(order: Order) -> None:
    """A full refund: unshipped goods are released, shipped goods still out come back at their cost."""
    reference = f"order:{order.id}"
    if order.shipped_at is None:
        inventory.release(_wants(order), order_id=order.id, reference=reference)
        return
    outstanding = {
        line.id: line.quantity - line.returned_quantity
        for line in order.lines
        if line.quantity > line.returned_quantity
    }
    if outstanding:
        _return_lines(order, outstanding, reference=reference, event="order.returned")


def _return_lines(order: Order, quantities: dict[int, int], *, reference: str, event: str) -> int:
    """Put units of shipped lines back in stock at the cost they left with; Dr 1405 / Cr 5401.

    A partial return takes its share of the line's cost rounded half up; the return that brings the
    last unit back takes whatever cost is left, so the line's cost comes back to the fen.
    """
    lines = {line.id: line for line in order.lines}
    total_cost = 0
    for line_id in sorted(quantities):
        line, quantity = lines[line_id], quantities[line_id]
        cost = int(line.cost_fen or 0)
        cost_left = cost - line.returned_cost_fen
        if quantity == line.quantity - line.returned_quantity:
            value = cost_left
        else:
            value = min(cost_left, round_half_up_div(cost * quantity, line.quantity))
        inventory.return_to_stock(
            line.sku_id, order.warehouse_id, quantity, value, order_id=order.id, reference=reference
        )
        OrderLine.update(
            returned_quantity=OrderLine.returned_quantity + quantity,
            returned_cost_fen=OrderLine.returned_cost_fen + value,
        ).where(OrderLine.id == line.id).execute()
        total_cost += value
    if total_cost:
        post_entry(
            event,
            [Dr(chart.INVENTORY, total_cost), Cr(chart.COGS, total_cost)],
            memo=f"退货入库 订单 {order.id}",
            source_type="order",
            source_id=order.id,
        )
    return total_cost


def return_goods(
    order_id: int, lines: Sequence[dict[str, int]], *, reference: str, actor_id: int | None = None
) -> Order:
    """Goods handed back after shipping (退货): stock in at the cost they left with, COGS reversed.

    Money goes back separately (refund_order, or the WeChat refund); a later full refund returns only
    what is still out. Idempotent per `reference`.
    """
    move_reference = f"return:{reference}"[:64]
    with transaction():
        order = _locked_order(order_id)
        if StockMove.select().where(StockMove.reference == move_reference).exists():
            return order
        if order.shipped_at is None or order.status not in ("shipped", "completed", "partially_refunded"):
            raise _refuse(order, "return goods", "only goods that were shipped can come back")
        outstanding = {line.id: line.quantity - line.returned_quantity for line in order.lines}
        wanted: dict[int, int] = {}
        for item in lines:
            line_id, quantity = item.get("line_id"), item.get("quantity")
            if (
                not isinstance(line_id, int)
                or not isinstance(quantity, int)
                or isinstance(quantity, bool)
                or line_id not in outstanding
                or quantity <= 0
            ):
                raise InvalidReturn(details={"line": item})
            wanted[line_id] = wanted.get(line_id, 0) + quantity
        if not wanted or any(q > outstanding[line_id] for line_id, q in wanted.items()):
            raise InvalidReturn(details={"outstanding": outstanding, "asked": wanted})
        cost = _return_lines(order, wanted, reference=move_reference, event="order.goods_returned")
        audit.record(
            actor_id,
            "order.return_goods",
            "order",
            order.id,
            lines={str(line_id): quantity for line_id, quantity in sorted(wanted.items())},
            cost_fen=cost,
            reference=reference,
        )
        return Order.get_by_id(order.id)


_LINES_OF_ORDER = Prepared(
    lambda: OrderLine.select().where(OrderLine.order == Param("order")).order_by(OrderLine.id)
)


def order_lines(order: Order) -> list[OrderLine]:
    """An order's lines in the order they were written (every order response shows them).

    An order created in this request carries the lines its insert returned (`written_lines`), so
    the response needs no second read of what was just written.
    """
    if order.written_lines is not None:
        return list(order.written_lines)
    return _LINES_OF_ORDER.rows({"order": order.id})
