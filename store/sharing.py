"""Share to friends (分享): a member makes a share link (a short code that is also the scene of a
mini-program code); a customer who arrives through it is recorded as brought by the sharer. The
first link that brings a customer wins, a customer cannot refer themselves, and the owner sees
which member brought which customer (`referrals`).
"""

from __future__ import annotations

import secrets
from typing import Any

import peewee as pw

from backend.db import savepoint, transaction
from backend.kernel.models import Customer, Product
from store.shop_errors import NotYours
from store.shop_models import Referral, ShareLink

PAGE = "pages/index/index"  # the mini-program page that reads the scene


def create_link(sharer_id: int, product_id: int | None = None) -> ShareLink:
    with transaction():
        if product_id is not None and not Product.select().where(Product.id == product_id).exists():
            raise NotYours(details={"product_id": product_id})
        return ShareLink.create(code=secrets.token_urlsafe(12)[:16], sharer=sharer_id, product_id=product_id)


def own_link(sharer_id: int, code: str) -> ShareLink:
    link = ShareLink.get_or_none((ShareLink.code == code) & (ShareLink.sharer == sharer_id))
    if link is None:
        raise NotYours(details={"code": code})
    return link


def arrive(customer_id: int, code: str) -> Referral | None:
    """Record who brought this customer; None when it is their own link. Repeat calls change nothing."""
    with transaction():
        link = ShareLink.get_or_none(ShareLink.code == code)
        if link is None:
            raise NotYours(details={"code": code})
        existing = Referral.get_or_none(Referral.customer == customer_id)
        if existing is not None:
            return existing
        if link.sharer_id == customer_id:
            return None
        try:
            with savepoint():
                return Referral.create(customer=customer_id, sharer=link.sharer_id, share_link=link.id)
        except pw.IntegrityError:  # a concurrent arrival recorded it first
            return Referral.get(Referral.customer == customer_id)


def as_dict(link: ShareLink) -> dict[str, Any]:
    path = f"{PAGE}?scene={link.code}"
    return {"code": link.code, "product_id": link.product_id, "path": path}


def tuples_as_dicts(query: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in query.dicts()]


def referrals() -> list[dict[str, Any]]:
    sharer = Customer.alias()
    rows = (
        Referral.select(Referral, Customer.name, sharer.name.alias("sharer_name"))
        .join(Customer, on=(Referral.customer == Customer.id))
        .switch(Referral)
        .join(sharer, on=(Referral.sharer == sharer.id))
        .order_by(Referral.id)
    )
    return [
        {
            "customer_id": r["customer"],
            "customer_name": r["name"],
            "sharer_customer_id": r["sharer"],
            "sharer_name": r["sharer_name"],
            "share_link_id": r["share_link"],
        }
        for r in tuples_as_dicts(rows)
    ]
