"""The one way to lock a customer against other changes to their credit, until commit.

The credit check, allowances, credit-profile changes, applying credit and paying it back take this
lock before they read or move the customer's credit paid ahead, so those never wait on each other in
opposite orders. FOR NO KEY UPDATE: an order or invoice that only refers to the customer takes a
key-share lock on the row, which this does not block and is not blocked by."""

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
