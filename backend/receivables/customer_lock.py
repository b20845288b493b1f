"""The one way to lock a customer against other changes to what they owe, until commit.

Everything that moves a customer's balance, credit paid ahead or credit terms takes this lock first
(then, if it needs them, the customer's credit and invoices), so two such changes never wait on each
other in opposite orders. FOR NO KEY UPDATE: an order or invoice that only refers to the customer
takes a key-share lock on the row, which this does not block and is not blocked by."""

from __future__ import annotations

from backend.db import is_postgres
from backend.kernel.models import Customer
from backend.receivables.errors import UnknownCustomer


def lock_customer(customer_id: int) -> Customer:
    query = Customer.select().where(Customer.id == customer_id)
    if is_postgres():
        query = query.for_update("FOR NO KEY UPDATE")  # type: ignore[arg-type]
    customer = query.first()
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return customer
