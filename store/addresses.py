"""Delivery addresses of a customer. Deleting hides an address (checkouts keep pointing at it)."""

from __future__ import annotations

from typing import Any

from backend.db import transaction
from store.shop_errors import NotYours
from store.shop_models import Address

MAX_ADDRESSES = 20


def of_customer(customer_id: int) -> Any:
    return Address.select().where((Address.customer == customer_id) & (Address.deleted == False))  # noqa: E712


def own(customer_id: int, address_id: int) -> Address:
    """The customer's own live address; anyone else's (or a deleted one) is a 404."""
    found = of_customer(customer_id).where(Address.id == address_id).first()
    if found is None:
        raise NotYours(details={"address_id": address_id})
    return found


def _only_default(customer_id: int, address_id: int) -> None:
    Address.update(is_default=False).where(
        (Address.customer == customer_id) & (Address.id != address_id)
    ).execute()


def create(
    customer_id: int, *, name: str, phone: str, region: str, detail: str, is_default: bool = False
) -> Address:
    with transaction():
        if of_customer(customer_id).count() >= MAX_ADDRESSES:
            raise NotYours("Too many addresses", "地址数量已达上限", code="too_many_addresses", status=409)
        first = not of_customer(customer_id).exists()
        address = Address.create(
            customer=customer_id,
            name=name,
            phone=phone,
            region=region,
            detail=detail,
            is_default=is_default or first,
        )
        if address.is_default:
            _only_default(customer_id, address.id)
        return address


def update(customer_id: int, address_id: int, **fields: Any) -> Address:
    with transaction():
        own(customer_id, address_id)
        if fields:
            Address.update(**fields).where(Address.id == address_id).execute()
        if fields.get("is_default"):
            _only_default(customer_id, address_id)
        return Address.get_by_id(address_id)


def delete(customer_id: int, address_id: int) -> None:
    with transaction():
        own(customer_id, address_id)
        Address.update(deleted=True, is_default=False).where(Address.id == address_id).execute()


def default_of(customer_id: int) -> Address | None:
    return of_customer(customer_id).order_by(Address.is_default.desc(), Address.id).first()
