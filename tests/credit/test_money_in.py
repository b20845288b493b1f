"""Every way money arrives, recorded without hand edits: overpayments and advances kept as the
customer's credit (预收 2203) and applied to invoices later; batch collections (批量收款) over
several customers with an amount per invoice; refunds of on-account orders netted against the open
invoice."""

from __future__ import annotations

from typing import Any

from tests.credit.conftest import Books, breaks, post


def _sell(books: Books, quantity: int = 1) -> Any:
    from store import services as sales

    return sales.sell_on_account(books.distributor.id, [(books.sku.id, quantity)], channel="distributor")


def _invoice(order_id: int) -> Any:
    from backend.receivables import services as receivables

    return receivables.invoice_for_order(order_id)


def _entries(event: str) -> list[list[tuple[str, int, int]]]:
    from backend.ledger.models import JournalEntry
    from backend.ledger.services import entry_lines

    return [
        entry_lines(e.id)
        for e in JournalEntry.select().where(JournalEntry.event == event).order_by(JournalEntry.id)
    ]


def _advance(customer_id: int) -> int:
    from backend.receivables import advances

    return advances.balance_of(customer_id)


def _balance(customer_id: int) -> int:
    from backend.receivables import services as receivables

    return receivables.balance_of(customer_id)


def test_an_overpayment_is_kept_as_credit_and_taken_by_the_next_invoice(client: Any, books: Books) -> None:
    from backend.kernel.models import Order

    d = books.distributor.id
    first = _sell(books, 2)  # 2260
    paid = post(
        client, "/api/collections", books.staff, {"customer_id": d, "amount_fen": 3000, "method": "cash"}
    )
    assert paid.status_code == 201, paid.json
    assert (paid.json["balance_fen"], paid.json["unapplied_fen"], paid.json["advance_fen"]) == (0, 740, 740)
    assert _entries("receivable.collected") == [[("1001", 2260, 0), ("1122", 0, 2260)]]
    assert _entries("advance.received") == [[("1001", 740, 0), ("2203", 0, 740)]]
    assert Order.get_by_id(first.id).paid_fen == 2260

    account = client.get(f"/api/customers/{d}/account", headers=books.staff).json
    assert (account["balance_fen"], account["advance_fen"], account["open_items"]) == (0, 740, [])
    credit = client.get(f"/api/customers/{d}/credit", headers=books.staff).json
    assert (credit["balance_fen"], credit["advance_fen"]) == (0, 740)

    # The next sale on account takes the credit at once: 1130 open, 740 applied, 390 left open.
    second = _sell(books, 1)
    assert (_invoice(second.id).open_fen, _advance(d), _balance(d)) == (390, 0, 390)
    assert second.paid_fen == 740 and Order.get_by_id(second.id).paid_fen == 740
    assert _entries("advance.applied") == [[("2203", 740, 0), ("1122", 0, 740)]]
    assert breaks() == []


def test_credit_applied_to_invoices_the_user_chooses_and_bad_choices_change_nothing(
    client: Any, books: Books, unchanged: Any, make_user: Any, login: Any
) -> None:
    from backend.kernel.models import Order
    from store import catalog

    d = books.distributor.id
    a, b = _sell(books, 1), _sell(books, 1)  # 1130 each, a due first
    # Money with no invoice named and more than is open: both invoices settle, the rest is credit.
    post(
        client,
        "/api/collections",
        books.staff,
        {"customer_id": d, "amount_fen": 3000, "method": "bank_transfer"},
    )
    assert (_advance(d), _balance(d)) == (740, 0)
    c, e = _sell(books, 1), _sell(books, 1)
    # The credit went to c (oldest first) on its posting: 740 of 1130.
    assert [(_invoice(o.id).open_fen) for o in (a, b, c, e)] == [0, 0, 390, 1130]
    assert _advance(d) == 0
    # More money ahead, then applied to e by choice, part of it.
    post(
        client,
        "/api/collections",
        books.staff,
        {"customer_id": d, "amount_fen": 500, "method": "cash", "invoice_ids": [a.id]},
    )
    assert _advance(d) == 500  # a was already settled: all of it is credit

    other = catalog.create_customer(
        "distributor", "城西批发部", credit_limit_fen=10_000, payment_terms_days=30
    )
    from store import services as sales

    foreign = sales.sell_on_account(other.id, [(books.sku.id, 1)], channel="distributor")
    url = f"/api/customers/{d}/advance/applications"
    bad = [
        (
            {"allocations": [{"invoice_id": _invoice(e.id).id, "amount_fen": 501}]},
            409,
            "advance_insufficient",
        ),
        (
            {"allocations": [{"invoice_id": _invoice(c.id).id, "amount_fen": 391}]},
            409,
            "allocation_exceeds_open",
        ),
        (
            {"allocations": [{"invoice_id": _invoice(foreign.id).id, "amount_fen": 1}]},
            422,
            "invoice_not_of_customer",
        ),
        ({"allocations": [{"invoice_id": _invoice(e.id).id, "amount_fen": 0}]}, 422, "invalid_amount"),
        (
            {
                "allocations": [
                    {"invoice_id": _invoice(e.id).id, "amount_fen": 1},
                    {"invoice_id": _invoice(e.id).id, "amount_fen": 1},
                ]
            },
            422,
            "duplicate_allocation",
        ),
    ]
    for body, status, code in bad:
        with unchanged():
            refused = post(client, url, books.staff, body)
            assert (refused.status_code, refused.json["error"]["code"]) == (status, code), body
    dist_user = make_user("distributor")
    assert post(client, url, login(dist_user), {}).status_code == 403

    applied = post(
        client, url, books.staff, {"allocations": [{"invoice_id": _invoice(e.id).id, "amount_fen": 300}]}
    )
    assert applied.status_code == 201, applied.json
    assert applied.json == {
        "customer_id": d,
        "applied_fen": 300,
        "advance_fen": 200,
        "balance_fen": 390 + 830,
    }
    assert Order.get_by_id(e.id).paid_fen == 300
    # The rest, oldest due first: c takes 200.
    rest = post(client, url, books.staff, {})
    assert rest.json == {"customer_id": d, "applied_fen": 200, "advance_fen": 0, "balance_fen": 190 + 830}
    assert [(_invoice(o.id).open_fen) for o in (c, e)] == [190, 830]
    assert breaks() == []


def test_a_batch_over_several_customers_with_partial_payments(
    client: Any, books: Books, unchanged: Any
) -> None:
    from backend.kernel.models import Order
    from backend.receivables.models import Payment
    from store import catalog
    from store import services as sales

    d = books.distributor.id
    other = catalog.create_customer(
        "distributor", "城西批发部", credit_limit_fen=10_000, payment_terms_days=30
    )
    a, b = _sell(books, 2), _sell(books, 1)  # 2260, 1130
    c = sales.sell_on_account(other.id, [(books.sku.id, 3)], channel="distributor")  # 3390
    ia, ib, ic = _invoice(a.id).id, _invoice(b.id).id, _invoice(c.id).id
    body = {
        "reference": "BATCH-2026-12-01",
        "method": "bank_transfer",
        "memo": "12月1日 银行到账",
        "lines": [
            {
                "customer_id": d,
                "amount_fen": 3000,
                "allocations": [
                    {"invoice_id": ia, "amount_fen": 2000},
                    {"invoice_id": ib, "amount_fen": 1000},
                ],
            },
            {
                "customer_id": other.id,
                "amount_fen": 4000,
                "allocations": [{"invoice_id": ic, "amount_fen": 3390}],
            },
        ],
    }
    # Bad batches change nothing: over the payment, over an invoice's open amount, another's invoice.
    over_payment = {**body, "lines": [{**body["lines"][0], "amount_fen": 2999}, body["lines"][1]]}
    over_open = {
        **body,
        "lines": [
            body["lines"][0],
            {**body["lines"][1], "allocations": [{"invoice_id": ic, "amount_fen": 3391}]},
        ],
    }
    foreign = {
        **body,
        "lines": [
            {"customer_id": d, "amount_fen": 10, "allocations": [{"invoice_id": ic, "amount_fen": 10}]}
        ],
    }
    unknown_customer = {**body, "lines": [{"customer_id": 999999, "amount_fen": 10}]}
    for bad, status, code in [
        (over_payment, 422, "allocation_exceeds_payment"),
        (over_open, 409, "allocation_exceeds_open"),
        (foreign, 422, "invoice_not_of_customer"),
        (unknown_customer, 404, "unknown_customer"),
        ({**body, "lines": []}, 422, "validation_failed"),
        ({**body, "method": "wechat"}, 422, "validation_failed"),
    ]:
        with unchanged():
            refused = post(client, "/api/collections/batches", books.staff, bad)
            assert (refused.status_code, refused.json["error"]["code"]) == (status, code), bad
    assert Payment.select().where(Payment.direction == "in").count() == 0

    done = post(client, "/api/collections/batches", books.staff, body)
    assert done.status_code == 201, done.json
    batch = done.json
    assert (batch["reference"], batch["method"], batch["total_fen"], batch["memo"]) == (
        "BATCH-2026-12-01",
        "bank_transfer",
        7000,
        "12月1日 银行到账",
    )
    assert [
        (ln["customer_id"], ln["amount_fen"], ln["advance_fen"], ln["allocations"]) for ln in batch["lines"]
    ] == [
        (d, 3000, 0, [{"invoice_id": ia, "amount_fen": 2000}, {"invoice_id": ib, "amount_fen": 1000}]),
        (other.id, 4000, 610, [{"invoice_id": ic, "amount_fen": 3390}]),
    ]
    assert [(_invoice(o.id).open_fen) for o in (a, b, c)] == [260, 130, 0]
    assert [Order.get_by_id(o.id).paid_fen for o in (a, b, c)] == [2000, 1000, 3390]
    assert (_balance(d), _advance(d), _balance(other.id), _advance(other.id)) == (390, 0, 0, 610)
    assert _entries("receivable.collected") == [
        [("1002", 3000, 0), ("1122", 0, 3000)],
        [("1002", 3390, 0), ("1122", 0, 3390)],
    ]
    assert _entries("advance.received") == [[("1002", 610, 0), ("2203", 0, 610)]]

    # The same batch again (another request) is applied once; the same reference with other content is a 409.
    with unchanged():
        again = post(client, "/api/collections/batches", books.staff, body)
        assert (again.status_code, again.json) == (200, batch)
        reused = post(
            client, "/api/collections/batches", books.staff, {**body, "memo": "x", "lines": body["lines"][:1]}
        )
        assert (reused.status_code, reused.json["error"]["code"]) == (409, "batch_reference_reused")
    read = client.get(f"/api/collections/batches/{batch['id']}", headers=books.staff)
    assert (read.status_code, read.json) == (200, batch)
    assert client.get("/api/collections/batches/999999", headers=books.staff).status_code == 404
    assert client.get(f"/api/collections/batches/{batch['id']}", headers=books.owner).status_code == 200
    assert breaks() == []


def test_a_refund_of_an_on_account_order_nets_against_its_open_invoice(
    client: Any, books: Books, unchanged: Any
) -> None:
    from backend.kernel.models import Order
    from backend.receivables.models import Payment

    d = books.distributor.id
    order = _sell(books, 3)  # 3390 incl. 390 VAT
    post(client, "/api/collections", books.staff, {"customer_id": d, "amount_fen": 1000, "method": "cash"})
    assert _invoice(order.id).open_fen == 2390
    # 1130 back (one bottle): the open invoice is lowered; no money goes out.
    netted = post(
        client, f"/api/orders/{order.id}/refunds", books.staff, {"amount_fen": 1130, "method": "cash"}
    )
    assert netted.status_code == 200, netted.json
    assert (netted.json["status"], netted.json["refunded_fen"], netted.json["paid_fen"]) == (
        "partially_refunded",
        1130,
        2130,
    )
    assert (_invoice(order.id).open_fen, _balance(d)) == (1260, 1260)
    assert Payment.select().where(Payment.direction == "out").count() == 0
    assert _entries("order.refunded") == [[("5001", 1000, 0), ("2221", 130, 0), ("1122", 0, 1130)]]
    # More than is open: 1260 netted, 500 of the money paid is handed back.
    with unchanged():
        too_much = post(
            client, f"/api/orders/{order.id}/refunds", books.staff, {"amount_fen": 2261, "method": "cash"}
        )
        assert (too_much.status_code, too_much.json["error"]["code"]) == (409, "refund_exceeds_paid")
    rest = post(
        client, f"/api/orders/{order.id}/refunds", books.staff, {"amount_fen": 1760, "method": "cash"}
    )
    assert rest.status_code == 200, rest.json
    assert (rest.json["status"], rest.json["refunded_fen"]) == ("partially_refunded", 2890)
    (out,) = Payment.select().where(Payment.direction == "out")
    assert (out.amount_fen, out.method) == (500, "cash")
    assert _entries("order.refunded")[1] == [
        ("5001", 1558, 0),
        ("2221", 202, 0),
        ("1122", 0, 1260),
        ("1001", 0, 500),
    ]
    assert (_invoice(order.id).open_fen, _balance(d), Order.get_by_id(order.id).refunded_fen) == (0, 0, 2890)
    final = post(
        client, f"/api/orders/{order.id}/refunds", books.staff, {"amount_fen": 500, "method": "cash"}
    )
    assert (final.status_code, final.json["status"]) == (200, "refunded")
    assert breaks() == []


def test_credit_paid_back_in_money_by_the_owner_only_and_never_beyond_it(
    client: Any, books: Books, unchanged: Any
) -> None:
    d = books.distributor.id
    paid = post(
        client,
        "/api/collections",
        books.staff,
        {"customer_id": d, "amount_fen": 3000, "method": "bank_transfer"},
    )
    assert paid.json["advance_fen"] == 3000
    url = f"/api/customers/{d}/advance/pay-backs"
    body = {"amount_fen": 1200, "method": "bank_transfer", "reference": "退款-0001"}
    bad = [
        (books.staff, body, 403, "forbidden"),
        (books.owner, {**body, "amount_fen": 3001}, 409, "advance_insufficient"),
        (books.owner, {**body, "amount_fen": 0}, 422, "validation_failed"),
        (books.owner, {**body, "method": "wechat"}, 422, "validation_failed"),
        (books.owner, {**body, "reference": ""}, 422, "validation_failed"),
    ]
    for headers, wrong, status, code in bad:
        with unchanged():
            refused = post(client, url, headers, wrong)
        assert (refused.status_code, refused.json["error"]["code"]) == (status, code), wrong
    assert post(client, "/api/customers/999999/advance/pay-backs", books.owner, body).status_code == 404

    done = post(client, url, books.owner, body, key="pay-back-1")
    assert done.status_code == 201, done.json
    assert (done.json["paid_back_fen"], done.json["advance_fen"]) == (1200, 1800)
    assert post(client, url, books.owner, body, key="pay-back-1").json == done.json  # a double tap
    again = post(client, url, books.owner, body)  # the same reference under another key: once only
    assert (again.status_code, _advance(d)) == (201, 1800)
    with unchanged():
        reused = post(client, url, books.owner, {**body, "amount_fen": 100})
    assert (reused.status_code, reused.json["error"]["code"]) == (409, "payment_reference_reused")
    assert _entries("advance.paid_back") == [[("2203", 1200, 0), ("1002", 0, 1200)]]
    assert breaks() == []
