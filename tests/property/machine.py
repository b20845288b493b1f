"""Random sequences of every business event, driven through the domain services with the WeChat
sandbox as the outside world, and the books checked after every step.

One rule per event. A rule asks the model whether the event should be accepted, runs the product's
own service function, and tells the model what happened. WeChat money is the one thing the model
cannot know by itself (which notification got through, when a payer paid): after every step the
machine reads which WeChat payments and refunds the product has settled since the last step, and the
model says what each of them must have done (captured by the order, collected on the invoice,
credited to stored value, or held and refunded as a late payment). Then every invariant check that
`yecai check` runs must pass, and stock, receivables, money and orders must equal the model's.

To add an event: write one `@rule` that calls the product's function and tells the model, and give
the model the rule of that event in plain terms (tests/property/model.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from typing import Any, ClassVar

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from backend import clock
from backend.errors import DomainError
from backend.money import round_half_up_div
from tests.property.model import Level, Model, ModelOrder
from tests.property.world import World

REQUESTABLE = ("paid", "shipped", "completed", "partially_refunded")  # a refund may be asked for


def _pending(order: ModelOrder) -> bool:
    return order.status == "pending_payment"


ITEMS = st.dictionaries(st.integers(0, 2), st.integers(1, 3), min_size=1, max_size=2)
OFFLINE = st.sampled_from(["cash", "bank_transfer"])
FAULTS = st.sampled_from(
    [
        "duplicate",
        "concurrent_duplicates",
        "lose",
        "late",
        "wrong_amount",
        "forged",
        "out_of_order",
        "not_success",
    ]
)


def _note(what: str) -> None:
    """Count an outcome for `--hypothesis-show-statistics` (not when a kept sequence replays its steps)."""
    with contextlib.suppress(InvalidArgument):
        event(what)


class SaleMachine(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.model: Model | None = None
        self.references = 0
        self.seen_payments: set[int] = set()
        self.seen_top_ups: set[int] = set()
        self.finished_refunds: set[int] = set()
        self.refunds_in_flight: Counter[int] = Counter()  # order id -> fen asked of WeChat
        # after-sales requests waiting for staff: id -> (order id, sku id, quantity, amount)
        self.refund_requests: dict[int, tuple[int, int, int, int]] = {}

    # ------------------------------------------------------------------ set-up

    @initialize(policy=st.sampled_from(["refund", "reserve_again"]))
    def open_shop(self, policy: str) -> None:
        shop = self.world.fresh(policy)
        self.shop = shop
        self.sku_ids = sorted(shop.skus)
        self.model = Model(
            prices=dict(shop.skus),
            stock={sku: Level(on_hand) for sku, (on_hand, _) in shop.stock.items()},
            credit_limits={c: limit for c, _, _, limit in shop.distributors},
            policy=policy,
        )

    @property
    def m(self) -> Model:
        assert self.model is not None
        return self.model

    def _items(self, drawn: dict[int, int]) -> dict[int, int]:
        return {self.sku_ids[n]: q for n, q in drawn.items()}

    def _reference(self, prefix: str) -> str:
        self.references += 1
        return f"{prefix}-{self.references}"

    def _pick(self, data: st.DataObject, orders: list[ModelOrder], fit: Any = None) -> ModelOrder:
        """One of `orders`; three times in four one the event `fit`s, when there is one (an event
        on an order in the wrong state must be refused, and is tried too, just less often)."""
        fitting = [o for o in orders if fit(o)] if fit is not None else []
        if fitting and data.draw(st.integers(0, 3), label="fitting"):
            orders = fitting
        return data.draw(st.sampled_from(sorted(orders, key=lambda o: o.id)), label="order")

    def _model_order(
        self, order: Any, items: dict[int, int], kind: str, status: str, discount: int = 0
    ) -> ModelOrder:
        expected = self.m.total(items, kind) - discount
        assert order.total_fen == expected, "server prices differ from the price list"
        return ModelOrder(
            order.id,
            order.channel,
            order.customer_id,
            dict(items),
            order.total_fen,
            status,
            order.created_at,
            discount=discount,
        )

    def has_orders(self) -> bool:
        return bool(self.model and self.m.orders)

    def _orders_where(self, fit: Any) -> list[ModelOrder]:
        return [o for o in self.m.orders.values() if fit(o)] if self.model else []

    # WeChat's transactions and refunds are listed in the order WeChat created them (never by their
    # random numbers), so that a sequence replays the same choices when Hypothesis shrinks it.

    def _payable(self) -> list[str]:
        """WeChat transactions a payer could try to pay (a closed one is refused by WeChat)."""
        return [
            no
            for no, o in self.world.sandbox.state.orders.items()
            if (o.prepay_id or o.code_url) and o.trade_state in ("NOTPAY", "CLOSED")
        ]

    def _refunds_processing(self) -> list[str]:
        return [r for r, v in self.world.sandbox.state.refunds.items() if v.status == "PROCESSING"]

    def _wechat_owes_something(self) -> bool:
        state = self.world.sandbox.state
        return any(n.status == "pending" for n in state.notifications) or bool(self._refunds_processing())

    def _notified_transactions(self) -> list[str]:
        """WeChat transactions WeChat notifies us about (payment codes answer at once instead)."""
        return [no for no, o in self.world.sandbox.state.orders.items() if o.notify_url]

    def requests_waiting(self) -> bool:
        return bool(self.refund_requests)

    # ------------------------------------------------------------------ stock

    @rule(sku=st.integers(0, 2), quantity=st.integers(1, 6), unit_cost=st.integers(50, 900))
    def receive_stock(self, sku: int, quantity: int, unit_cost: int) -> None:
        from backend.inventory.services import receive_purchase

        sku_id = self.sku_ids[sku]
        receive_purchase(sku_id, self.shop.warehouse_id, quantity, unit_cost, reference=self._reference("PO"))
        self.m.received(sku_id, quantity)

    # ------------------------------------------------------------------ the mini-program

    @rule(
        member=st.integers(0, 1),
        drawn=ITEMS,
        pay_with=st.sampled_from(["wechat", "stored_value"]),
        points_quarters=st.integers(0, 4),
    )
    def check_out_cart(self, member: int, drawn: dict[int, int], pay_with: str, points_quarters: int) -> None:
        """A member checks out a cart, perhaps spending some of their points (1 point = 1 fen off),
        paying with WeChat (prepay after commit) or stored value."""
        from payments import cart_checkout, services
        from store import cart, members
        from store.shop_models import MemberAccount

        customer_id, user_id, address_id, _ = self.shop.members[member]
        items = self._items(drawn)
        account = MemberAccount.get_or_none(MemberAccount.customer == customer_id)
        held = max(int(account.points), 0) if account else 0  # earned by earlier payments
        points = held * points_quarters // 4
        discount = points * members.FEN_PER_POINT
        total = self.m.total(items, "member") - discount
        for sku_id, quantity in items.items():
            cart.add(customer_id, sku_id, quantity)

        def check_out() -> Any:
            return cart_checkout.check_out_cart(
                customer_id, user_id, address_id=address_id, points=points, pay_with=pay_with
            )

        accepted = (
            self.m.in_stock(items)
            and total > 0
            and (pay_with == "wechat" or self.m.stored_value[customer_id] >= total)
        )
        if not accepted:
            with pytest.raises(DomainError):
                check_out()
            cart.clear(customer_id)
            return
        done = check_out()
        order = self._model_order(done.order, items, "member", "pending_payment", discount)
        self.m.placed(order)
        if done.payment is None:
            self.m.paid(order, "stored_value")
        else:
            services.prepay_jsapi(done.payment.id)  # WeChat, after the checkout committed

    @rule(member=st.integers(0, 1), amount=st.sampled_from([500, 1000, 3000]))
    def start_top_up(self, member: int, amount: int) -> None:
        """A member starts a stored-value top-up; the money counts once WeChat says it was paid."""
        from payments import topups

        customer_id, user_id, _, _ = self.shop.members[member]
        record = topups.open_top_up(user_id, customer_id, amount)
        topups.prepay_top_up(record.id)

    # ------------------------------------------------------------------ the counter

    @rule(drawn=ITEMS, method=OFFLINE, deliver_later=st.booleans())
    def counter_sale(self, drawn: dict[int, int], method: str, deliver_later: bool) -> None:
        """Billed, paid in cash or by transfer, and handed over in one event."""
        from payments import offline

        items = self._items(drawn)
        if not self.m.in_stock(items):
            with pytest.raises(DomainError):
                offline.counter_sale(
                    None,
                    items.items(),
                    method=method,
                    staff_id=self.shop.staff_id,
                    deliver_later=deliver_later,
                )
            return
        placed = offline.counter_sale(
            None, items.items(), method=method, staff_id=self.shop.staff_id, deliver_later=deliver_later
        )
        order = self._model_order(placed, items, "walk_in", "pending_payment")
        self.m.sold_over_counter(order, method, deliver_later=deliver_later)

    @rule(drawn=ITEMS)
    def counter_order(self, drawn: dict[int, int]) -> None:
        """Staff ring up a sale to be paid by WeChat QR, payment code or cash."""
        from store import services as sales

        items = self._items(drawn)
        if not self.m.in_stock(items):
            with pytest.raises(DomainError):
                sales.place_order(None, items.items(), channel="counter", placed_by=self.shop.staff_id)
            return
        placed = sales.place_order(None, items.items(), channel="counter", placed_by=self.shop.staff_id)
        self.m.placed(self._model_order(placed, items, "walk_in", "pending_payment"))

    @precondition(has_orders)
    @rule(data=st.data(), method=OFFLINE, deliver_later=st.booleans())
    def take_offline_payment(self, data: st.DataObject, method: str, deliver_later: bool) -> None:
        """Cash or a transfer for an order's amount due; a counter order is handed over with it."""
        from payments import offline

        order = self._pick(data, list(self.m.orders.values()), _pending)
        if order.status != "pending_payment":
            with pytest.raises(DomainError):
                offline.record_offline_payment(
                    order.id, method, order.total, staff_id=self.shop.staff_id, deliver_later=deliver_later
                )
            return
        offline.record_offline_payment(
            order.id, method, order.total, staff_id=self.shop.staff_id, deliver_later=deliver_later
        )
        self.m.paid(order, method)
        if order.channel == "counter" and not deliver_later:
            self.m.shipped(order)

    @precondition(has_orders)
    @rule(data=st.data())
    def show_native_qr(self, data: st.DataObject) -> None:
        """Staff show a WeChat NATIVE QR code for an order; the payer may scan it later."""
        from payments import services

        order = self._pick(data, list(self.m.orders.values()), _pending)
        if order.status != "pending_payment":
            with pytest.raises(DomainError):
                services.start_native_collection(order.id, self.shop.staff_id)
            return
        services.start_native_collection(order.id, self.shop.staff_id)

    @precondition(has_orders)
    @rule(
        data=st.data(),
        behaviour=st.sampled_from(
            ["success", "success", "insufficient_funds", "userpaying_then_success", "userpaying_then_fail"]
        ),
    )
    def scan_payment_code(self, data: st.DataObject, behaviour: str) -> None:
        """Staff scan the customer's payment code; WeChat may make them wait for a password."""
        from payments import codepay

        order = self._pick(data, list(self.m.orders.values()), _pending)
        auth_code = self.world.sandbox.payment_code(behaviour=behaviour)
        if order.status != "pending_payment" or behaviour in ("insufficient_funds", "userpaying_then_fail"):
            with pytest.raises(DomainError):
                codepay.collect_with_payment_code(order.id, auth_code, staff_id=self.shop.staff_id)
            return
        record = codepay.collect_with_payment_code(order.id, auth_code, staff_id=self.shop.staff_id)
        assert record.outcome == "captured"

    # ------------------------------------------------------------------ distributors

    @rule(distributor=st.integers(0, 1), drawn=ITEMS)
    def sell_on_account(self, distributor: int, drawn: dict[int, int]) -> None:
        """A distributor orders on credit: an open invoice, within the credit limit."""
        from store import services as sales

        customer_id, user_id, _, _ = self.shop.distributors[distributor]
        items = self._items(drawn)
        total = self.m.total(items, "distributor")
        if not (self.m.within_credit(customer_id, total) and self.m.in_stock(items)):
            with pytest.raises(DomainError):
                sales.sell_on_account(customer_id, items.items(), channel="distributor", placed_by=user_id)
            return
        placed = sales.sell_on_account(customer_id, items.items(), channel="distributor", placed_by=user_id)
        self.m.placed(self._model_order(placed, items, "distributor", "on_account"))

    @rule(
        distributor=st.integers(0, 1),
        amount=st.integers(1, 7000),
        method=OFFLINE,
        one_invoice=st.booleans(),
        data=st.data(),
    )
    def collect_on_account(
        self, distributor: int, amount: int, method: str, one_invoice: bool, data: st.DataObject
    ) -> None:
        """Money on account (收款), against the oldest invoices or one chosen invoice."""
        from backend.receivables.services import invoice_for_order
        from store import on_account

        customer_id, user_id, _, _ = self.shop.distributors[distributor]
        open_orders = self.m.open_invoices(customer_id)
        only = self._pick(data, open_orders) if one_invoice and open_orders else None
        invoice_ids = [invoice_for_order(only.id).id] if only is not None else None
        reference = self._reference("COL")
        # More than is open is kept as the customer's credit, never refused.
        on_account.collect(customer_id, amount, method, reference, invoice_ids=invoice_ids, actor_id=user_id)
        self.m.collected(customer_id, amount, method, only)

    @precondition(lambda self: bool(self._orders_where(lambda o: o.on_account)))
    @rule(data=st.data())
    def pay_invoice_with_wechat(self, data: st.DataObject) -> None:
        """A distributor starts paying what is open on an invoice with WeChat (JSAPI)."""
        from backend.receivables.services import invoice_for_order
        from payments import services

        on_account = [o for o in self.m.orders.values() if o.on_account]
        order = self._pick(data, on_account, lambda o: o.invoice_open > 0)
        user_id = next(u for c, u, _, _ in self.shop.distributors if c == order.customer_id)
        invoice_id = invoice_for_order(order.id).id
        if order.invoice_open == 0:
            with pytest.raises(DomainError):
                services.start_jsapi_invoice_checkout(invoice_id, user_id)
            return
        services.start_jsapi_invoice_checkout(invoice_id, user_id)

    # ------------------------------------------------------------------ goods

    @precondition(has_orders)
    @rule(data=st.data())
    def hand_over(self, data: st.DataObject) -> None:
        """Goods leave: a mini-program order is shipped, any other handed over."""
        from store import fulfilment
        from store import services as sales

        order = self._pick(data, list(self.m.orders.values()), self.m.fulfillable)

        def run() -> Any:
            if order.channel == "miniprogram":
                return fulfilment.ship(
                    order.id, carrier="顺丰", tracking_no="SF1", staff_id=self.shop.staff_id
                )
            return sales.fulfil_order(order.id)

        if not self.m.fulfillable(order):
            with pytest.raises(DomainError):
                run()
            return
        run()
        self.m.shipped(order)

    @precondition(has_orders)
    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        """The customer has the goods (a mini-program order through its shipment)."""
        from store import fulfilment
        from store import services as sales

        order = self._pick(data, list(self.m.orders.values()), lambda o: o.status == "shipped")
        run = fulfilment.receive if order.channel == "miniprogram" else sales.complete_order
        if order.status != "shipped":
            with pytest.raises(DomainError):
                run(order.id)
            return
        run(order.id)
        self.m.completed(order)

    @precondition(has_orders)
    @rule(data=st.data(), quantity=st.integers(1, 3))
    def return_goods(self, data: st.DataObject, quantity: int) -> None:
        """Goods come back after shipping (退货), without money yet."""
        from backend.kernel.models import OrderLine
        from store import services as sales

        order = self._pick(data, list(self.m.orders.values()), self.m.returnable)
        sku_id = data.draw(st.sampled_from(sorted(order.lines)), label="sku")
        line = OrderLine.get((OrderLine.order == order.id) & (OrderLine.sku == sku_id))
        lines = [{"line_id": line.id, "quantity": quantity}]
        reference = self._reference("RET")
        if not (self.m.returnable(order) and quantity <= order.outstanding(sku_id)):
            with pytest.raises(DomainError):
                sales.return_goods(order.id, lines, reference=reference)
            return
        sales.return_goods(order.id, lines, reference=reference)
        self.m.goods_returned(order, sku_id, quantity)

    # ------------------------------------------------------------------ cancelling

    @precondition(has_orders)
    @rule(data=st.data(), by_staff=st.booleans())
    def cancel(self, data: st.DataObject, by_staff: bool) -> None:
        """Staff or the customer cancel an order (its open WeChat transactions are closed after commit)."""
        from store import services as sales

        order = self._pick(data, list(self.m.orders.values()), self.m.cancellable)
        actor = self.shop.staff_id if by_staff else None
        if not self.m.cancellable(order):
            with pytest.raises(DomainError):
                sales.cancel_order(order.id, actor_id=actor)
            return
        sales.cancel_order(order.id, actor_id=actor)
        self.m.cancelled(order)

    # ------------------------------------------------------------------ refunds

    @precondition(lambda self: bool(self._orders_where(lambda o: o.method != "wechat")))
    @rule(data=st.data(), whole=st.booleans())
    def refund_offline(self, data: st.DataObject, whole: bool) -> None:
        """Money back the way it came (cash, transfer, stored value); WeChat money is refunded through WeChat."""
        from store import services as sales

        orders = [o for o in self.m.orders.values() if o.method != "wechat"]
        order = self._pick(data, orders, lambda o: self.m.refundable(o) > 0)
        refundable = self.m.refundable(order)
        amount = None if whole else data.draw(st.integers(1, order.total), label="amount")
        reference = self._reference("RF")
        if refundable <= 0 or (amount or refundable) > refundable:
            with pytest.raises(DomainError):
                sales.refund_order(order.id, amount, reference=reference, actor_id=self.shop.staff_id)
            return
        sales.refund_order(order.id, amount, reference=reference, actor_id=self.shop.staff_id)
        self.m.refunded(order, amount or refundable, order.method or "cash")

    @precondition(has_orders)
    @rule(data=st.data(), whole=st.booleans())
    def request_wechat_refund(self, data: st.DataObject, whole: bool) -> None:
        """Staff refund WeChat money through WeChat; it counts once WeChat says it is done."""
        from payments import refunds

        order = self._pick(data, list(self.m.orders.values()), lambda o: o.method == "wechat")
        amount = None if whole else data.draw(st.integers(1, order.total), label="amount")
        refundable = order.paid - order.refunded - self.refunds_in_flight[order.id]
        if order.method != "wechat" or refundable <= 0 or (amount or refundable) > refundable:
            with pytest.raises(DomainError):
                refunds.request_refund(order.id, amount, requested_by=self.shop.staff_id)
            return
        refund = refunds.request_refund(order.id, amount, requested_by=self.shop.staff_id)
        self.refunds_in_flight[order.id] += refund.amount_fen

    @precondition(lambda self: bool(self._orders_where(lambda o: o.channel == "miniprogram")))
    @rule(data=st.data(), quantity=st.integers(1, 3))
    def ask_for_refund(self, data: st.DataObject, quantity: int) -> None:
        """A member asks for some units of a mini-program order back (售后); staff decide later."""
        from backend.kernel.models import OrderLine
        from store import aftersales

        orders = [o for o in self.m.orders.values() if o.channel == "miniprogram"]
        order = self._pick(data, orders, lambda o: o.status in REQUESTABLE)
        sku_id = data.draw(st.sampled_from(sorted(order.lines)), label="sku")
        line = OrderLine.get((OrderLine.order == order.id) & (OrderLine.sku == sku_id))
        lines = [{"line_id": line.id, "quantity": quantity}]
        waiting = sum(a for o, _, _, a in self.refund_requests.values() if o == order.id)
        # What the customer paid for those units: the line after its share of the discount.
        asked = round_half_up_div(line.total_fen * quantity, line.quantity)
        amount = min(asked, order.paid - order.refunded - waiting)
        if order.status not in REQUESTABLE or quantity > order.lines[sku_id] or amount <= 0:
            with pytest.raises(DomainError):
                aftersales.request(order.id, order.customer_id, lines)
            return
        request = aftersales.request(order.id, order.customer_id, lines)
        assert request.amount_fen == amount
        self.refund_requests[request.id] = (order.id, sku_id, quantity, amount)

    @precondition(requests_waiting)
    @rule(data=st.data(), approve=st.booleans(), goods_returned=st.booleans())
    def decide_refund_request(self, data: st.DataObject, approve: bool, goods_returned: bool) -> None:
        """Staff approve (the money goes back the way it came, the goods to stock if they came back)
        or reject a refund request."""
        from payments import aftersales as approvals
        from store import aftersales

        request_id = data.draw(st.sampled_from(sorted(self.refund_requests)), label="request")
        order_id, sku_id, quantity, amount = self.refund_requests[request_id]
        order = self.m.orders[order_id]
        if not approve:
            aftersales.reject(request_id, staff_id=self.shop.staff_id)
            del self.refund_requests[request_id]
            return
        goods_ok = not goods_returned or (self.m.returnable(order) and quantity <= order.outstanding(sku_id))
        if order.method == "wechat":
            money_ok = amount <= order.paid - order.refunded - self.refunds_in_flight[order.id]
        else:
            money_ok = amount <= self.m.refundable(order)
        if not (goods_ok and money_ok):
            with pytest.raises(DomainError):
                approvals.approve(request_id, staff_id=self.shop.staff_id, goods_returned=goods_returned)
            return
        approvals.approve(request_id, staff_id=self.shop.staff_id, goods_returned=goods_returned)
        del self.refund_requests[request_id]
        if goods_returned:
            self.m.goods_returned(order, sku_id, quantity)
        if order.method == "wechat":
            self.refunds_in_flight[order.id] += amount
        else:
            self.m.refunded(order, amount, order.method or "cash")

    @precondition(lambda self: bool(self.model and self._refunds_processing()))
    @rule(data=st.data(), status=st.sampled_from(["SUCCESS", "SUCCESS", "SUCCESS", "ABNORMAL", "CLOSED"]))
    def wechat_finishes_refund(self, data: st.DataObject, status: str) -> None:
        """WeChat finishes a refund in progress (its notification is owed to us)."""
        out_refund_no = data.draw(st.sampled_from(self._refunds_processing()), label="refund")
        self.world.sandbox.complete_refund(out_refund_no, status)

    # ------------------------------------------------------------------ WeChat's side

    @precondition(lambda self: bool(self.model and self._payable()))
    @rule()
    def payer_pays(self) -> None:
        """The payer confirms the latest JSAPI payment or scans the latest QR code still open (or, with
        none open, tries a closed one, which WeChat refuses)."""
        from payments.sandbox.transitions import SandboxError

        sandbox = self.world.sandbox
        payable = [sandbox.state.orders[no] for no in self._payable()]
        still_open = [o for o in payable if o.trade_state == "NOTPAY"]
        wx = (still_open or payable)[-1]
        openid = wx.payer_openid or self.shop.members[0][3]

        def pay() -> Any:
            return (
                sandbox.approve(wx.prepay_id, openid)
                if wx.prepay_id
                else sandbox.scan_and_pay(wx.code_url, openid)
            )

        if wx.trade_state == "CLOSED":
            with pytest.raises(SandboxError):
                pay()
            return
        pay()

    @precondition(lambda self: bool(self.model and self._wechat_owes_something()))
    @rule()
    def wechat_notifies(self) -> None:
        """WeChat delivers the notifications it owes."""
        self.world.sandbox.deliver_due()

    @precondition(lambda self: bool(self.model and self._notified_transactions()))
    @rule(data=st.data(), fault=FAULTS)
    def wechat_misbehaves(self, data: st.DataObject, fault: str) -> None:
        """WeChat's notifications for one transaction misbehave (twice, at once, late, lost, forged,
        with a wrong amount, held until a refund's, or a genuine one reporting a state that is not
        paid); then it delivers what it owes."""
        sandbox = self.world.sandbox
        out_trade_no = data.draw(st.sampled_from(self._notified_transactions()), label="out_trade_no")
        if fault == "not_success":
            state = data.draw(
                st.sampled_from(["NOTPAY", "CLOSED", "PAYERROR", "REVOKED", "USERPAYING"]),
                label="trade_state",
            )
            sandbox.notify_trade_state(out_trade_no, state)
        elif fault == "concurrent_duplicates":
            sandbox.inject_fault("duplicate", out_trade_no, copies=3, concurrent=True)
        elif fault == "late":
            sandbox.inject_fault("late", out_trade_no, delay_seconds=120)
        else:
            sandbox.inject_fault(fault, out_trade_no)
        sandbox.deliver_due()

    @rule(minutes=st.integers(1, 45))
    def time_passes(self, minutes: int) -> None:
        """Minutes pass and the periodic jobs run: the outbox relay, the query of WeChat payments and
        refunds not yet settled, and the auto-cancel of orders of any channel unpaid too long."""
        from backend import runtime
        from backend.jobs import dispatch
        from payments import auto_cancel, jobs

        self._time_passes(minutes * 60)
        dispatch.relay_due()
        jobs.settle_pending()
        self._absorb_wechat()  # what the query settled happened before the auto-cancel
        # Unpaid orders of every channel expire, each channel after its own time.
        expiry = runtime.settings().pending_expiry()
        now = clock.now()
        auto_cancel.cancel_unpaid()
        for order in self.m.orders.values():
            wait = dt.timedelta(seconds=expiry.get(order.channel, expiry["*"]))
            if order.status == "pending_payment" and order.placed_at <= now - wait:
                self.m.cancelled(order)

    @precondition(lambda self: bool(self.model and self._wechat_owes_something()))
    @rule()
    def everything_settles(self) -> None:
        """Enough time for WeChat to finish everything and for every job to run: then every fen WeChat
        moved is in the books, and WeChat's clearing account (1012) holds exactly what WeChat holds."""
        from backend.jobs import dispatch
        from payments import jobs

        sandbox = self.world.sandbox
        for _ in range(3):
            self._time_passes(601)
            sandbox.deliver_due()
            jobs.settle_pending()
            dispatch.relay_due()
        self._absorb_wechat()
        self._assert_wechat_matches_the_books()

    def _time_passes(self, seconds: int) -> None:
        clock.advance(seconds)
        self.world.sandbox.advance(seconds)

    # ------------------------------------------------------------------ WeChat money, as it lands

    def _absorb_wechat(self) -> None:
        """Tell the model about WeChat payments and refunds the product settled since the last step
        (in the order it settled them), checking that each did what the model says it must."""
        from backend.receivables.models import Invoice
        from payments.models import WECHAT_METHODS, PaymentRecord, RefundRecord, TopUp

        settled = (
            PaymentRecord.select()
            .where((PaymentRecord.status == "succeeded") & PaymentRecord.method.in_(WECHAT_METHODS))
            .order_by(PaymentRecord.succeeded_at, PaymentRecord.id)
        )
        for record in settled:
            if record.id in self.seen_payments:
                continue
            self.seen_payments.add(record.id)
            expected = self._wechat_money(record, Invoice)
            _note(f"WeChat payment {expected}")
            assert record.outcome == expected, (
                f"WeChat payment {record.out_trade_no} for order {record.order_id} / invoice "
                f"{record.invoice_id}: {record.outcome}, expected {expected}"
            )
        for top_up in TopUp.select().where(TopUp.status == "succeeded").order_by(TopUp.id):
            if top_up.id not in self.seen_top_ups:
                self.seen_top_ups.add(top_up.id)
                self.m.stored_value[top_up.customer_id] += top_up.amount_fen
                self.m.top_ups += top_up.amount_fen
        finished = RefundRecord.select().where(RefundRecord.status.in_(("succeeded", "failed")))
        for refund in finished.order_by(RefundRecord.completed_at, RefundRecord.id):
            if refund.id in self.finished_refunds:
                continue
            self.finished_refunds.add(refund.id)
            if refund.reason == "late_payment":
                if refund.status == "succeeded":
                    self.m.late_held -= refund.amount_fen
                continue
            self.refunds_in_flight[refund.order_id] -= refund.amount_fen
            if refund.status == "succeeded":
                self.m.refunded(self.m.orders[refund.order_id], refund.amount_fen, "wechat")

    def _wechat_money(self, record: Any, invoice_model: Any) -> str:
        """What WeChat money for an order or an invoice must do, given the model's state now."""
        if record.order_id is not None:
            order = self.m.orders[record.order_id]
            if order.status == "pending_payment" and record.amount_fen == order.total:
                self.m.paid(order, "wechat")
                return "captured"
            if self.m.reopenable(order):
                self.m.reopened(order)
                self.m.paid(order, "wechat")
                return "captured"
        else:
            # An invoice takes what it still has open; the rest is kept as the customer's credit.
            invoice = invoice_model.get_by_id(record.invoice_id)
            order = self.m.orders[invoice.order_id]
            self.m.collected(order.customer_id, record.amount_fen, "wechat", only=order)
            return "captured"
        self.m.late_held += record.amount_fen
        return "late_refund"

    def _assert_wechat_matches_the_books(self) -> None:
        from backend.ledger import chart
        from backend.ledger.services import account_balance
        from payments.models import PaymentRecord, RefundRecord, TopUp

        state = self.world.sandbox.state
        paid_at_wechat = {
            no: o.total for no, o in state.orders.items() if o.trade_state in ("SUCCESS", "REFUND")
        }
        refunded_at_wechat = {no: r.refund for no, r in state.refunds.items() if r.status == "SUCCESS"}
        ours = {
            r.out_trade_no: r.amount_fen
            for r in PaymentRecord.select().where(PaymentRecord.status == "succeeded")
        }
        ours.update({t.out_trade_no: t.amount_fen for t in TopUp.select().where(TopUp.status == "succeeded")})
        assert {no: ours.get(no) for no in paid_at_wechat} == paid_at_wechat, (
            "WeChat took money we did not book"
        )
        refunds = {
            r.out_refund_no: r.amount_fen
            for r in RefundRecord.select().where(RefundRecord.status == "succeeded")
        }
        assert refunds == refunded_at_wechat, "WeChat's refunds and ours differ"
        assert account_balance(chart.WECHAT_CLEARING) == sum(paid_at_wechat.values()) - sum(
            refunded_at_wechat.values()
        )

    # ------------------------------------------------------------------ after every step

    @invariant()
    def books_agree(self) -> None:
        if self.model is None:
            return
        from backend import checks
        from backend.inventory.models import StockLevel
        from backend.kernel.models import Customer, Order
        from backend.receivables.models import Payment
        from payments.models import PaymentRecord
        from store.shop_models import MemberAccount

        self._absorb_wechat()
        breaks = [f"{r.name}: {p}" for r in checks.run_all() for p in r.problems]
        assert breaks == [], breaks
        m = self.m
        levels = {lv.sku_id: (lv.on_hand, lv.reserved) for lv in StockLevel.select()}
        assert levels == {sku: (lv.on_hand, lv.reserved) for sku, lv in m.stock.items()}, "stock"
        balances = {c.id: c.balance_fen for c in Customer.select() if c.balance_fen or c.id in m.balances}
        assert balances == {c: b for c, b in m.balances.items() if b or c in balances}, "receivables"
        from backend.receivables.models import AdvanceAccount

        advances = {a.customer_id: a.balance_fen for a in AdvanceAccount.select() if a.balance_fen}
        assert advances == {c: v for c, v in m.advances.items() if v}, "customers' credit"
        stored = {a.customer_id: a.stored_value_fen for a in MemberAccount.select() if a.stored_value_fen}
        assert stored == {c: v for c, v in m.stored_value.items() if v}, "stored value"
        orders = {o.id: (o.status, o.paid_fen, o.refunded_fen) for o in Order.select()}
        assert orders == {o.id: (o.status, o.paid, o.refunded) for o in m.orders.values()}, "orders"
        money: Counter[tuple[str, str]] = Counter()
        for p in Payment.select():
            money[p.direction, p.method] += p.amount_fen
        expected = Counter({("in", k): v for k, v in m.money_in.items() if v})
        expected.update({("out", k): v for k, v in m.money_out.items() if v})
        assert +money == +expected, "money captured and refunded"
        held = sum(
            r.amount_fen - r.refunded_fen
            for r in PaymentRecord.select().where(PaymentRecord.outcome == "late_refund")
        )
        assert held == m.late_held, "late payments held for refund"
