"""Promotions to distributors (活动): a campaign gives chosen grades a price list for its window, with
limited stock per SKU and a policy document, and pushes a WeChat subscribe message to every
distributor of those grades.

- Prices: one price list per grade (scope grade, the campaign's priority and window), so pricing
  needs nothing new: a campaign price wins like any grade list, and the order line names the list.
- Limited stock: an order line priced by a campaign list takes its units from the campaign's quota
  in the order's own transaction, by a conditional UPDATE (`taken + n <= quota`), so the last units
  go to exactly one buyer; a line the quota cannot cover refuses the whole order (campaign_sold_out,
  with what is left) and nothing changes. A cancelled order gives its units back.
- Messages: pushing writes one recipient row and one outbox message per distributor with a login;
  each is sent at most once (AT_MOST_ONCE). WeChat's one-time grants are honoured: a distributor
  holding no grant for the template (43101) is recorded as no_grant, never retried. Opening the
  campaign page records `opened_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from backend import audit, clock
from backend.db import transaction
from backend.jobs.outbox import enqueue
from backend.jobs.registry import AT_MOST_ONCE, job
from backend.kernel.models import Customer, OrderLine
from store.distribution import price_lists
from store.distribution.errors import CampaignSoldOut, InvalidPriceList, PriceListNotFound
from store.distribution.models import (
    Campaign,
    CampaignGrade,
    CampaignRecipient,
    CampaignStock,
    CampaignTake,
    CustomerGradeMember,
)

CAMPAIGN_PRIORITY = 100  # above everyday grade lists: the campaign's price wins while it runs


def create_campaign(
    name: str,
    *,
    grade_ids: Sequence[int],
    items: Sequence[dict[str, int]],
    quotas: dict[int, int],
    policy: str = "",
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
    actor_id: int | None = None,
) -> Campaign:
    if not grade_ids or any(q < 0 for q in quotas.values()):
        raise InvalidPriceList(details={"grade_ids": list(grade_ids), "quotas": quotas})
    with transaction():
        campaign = Campaign.create(name=name, policy=policy, valid_from=valid_from, valid_to=valid_to)
        for grade_id in dict.fromkeys(grade_ids):
            price_list = price_lists.create_price_list(
                f"{name}"[:64],
                "grade",
                grade_id=grade_id,
                priority=CAMPAIGN_PRIORITY,
                valid_from=valid_from,
                valid_to=valid_to,
                items=items,
                actor_id=actor_id,
            )
            CampaignGrade.create(campaign=campaign.id, grade=grade_id, price_list=price_list.id)
        priced = {i["sku_id"] for i in items}
        for sku_id, quota in sorted(quotas.items()):
            if sku_id not in priced:
                raise InvalidPriceList(
                    details={"sku_id": sku_id, "why": "a quota for a SKU the campaign does not price"}
                )
            CampaignStock.create(campaign=campaign.id, sku=sku_id, quota=quota)
        audit.record(
            actor_id,
            "campaign.create",
            "campaign",
            campaign.id,
            name=name,
            grades=list(grade_ids),
            quotas=quotas,
        )
        return campaign


def get(campaign_id: int) -> Campaign:
    found = Campaign.get_or_none(Campaign.id == campaign_id)
    if found is None:
        raise PriceListNotFound(
            "No such campaign", "活动不存在", code="campaign_not_found", details={"campaign_id": campaign_id}
        )
    return found


def visible_to(campaign_id: int, customer_id: int) -> Campaign:
    """A campaign of the customer's grade; any other is a 404."""
    grade = price_lists.grade_of(customer_id)
    campaign = get(campaign_id)
    if (
        grade is None
        or not CampaignGrade.select()
        .where((CampaignGrade.campaign == campaign.id) & (CampaignGrade.grade == grade))
        .exists()
    ):
        raise PriceListNotFound(
            "No such campaign", "活动不存在", code="campaign_not_found", details={"campaign_id": campaign_id}
        )
    return campaign


# ---------------------------------------------------------------- limited stock


def take_for_order(order_id: int, lines: Sequence[OrderLine]) -> None:
    """Take campaign stock for the order's lines priced by a campaign list (the order's transaction).
    Two queries when no line is a campaign's, whatever the number of lines."""
    list_ids = {line.price_list_id for line in lines if line.price_list_id is not None}
    if not list_ids:
        return
    campaigns = {
        row.price_list_id: row.campaign_id
        for row in CampaignGrade.select(CampaignGrade.price_list, CampaignGrade.campaign).where(
            CampaignGrade.price_list.in_(list(list_ids))
        )
    }
    for line in sorted(lines, key=lambda ln: ln.sku_id):  # a fixed order: no deadlock between two orders
        campaign_id = campaigns.get(line.price_list_id)
        if campaign_id is None:
            continue
        stock = CampaignStock.get_or_none(
            (CampaignStock.campaign == campaign_id) & (CampaignStock.sku == line.sku_id)
        )
        if stock is None:  # priced by the campaign without a limit on this SKU
            continue
        took = (
            CampaignStock.update(taken=CampaignStock.taken + line.quantity)
            .where(
                (CampaignStock.id == stock.id) & (CampaignStock.taken + line.quantity <= CampaignStock.quota)
            )
            .execute()
        )
        if not took:
            left = CampaignStock.get_by_id(stock.id)
            raise CampaignSoldOut(
                details={
                    "campaign_id": campaign_id,
                    "sku_id": line.sku_id,
                    "asked": line.quantity,
                    "left": left.quota - left.taken,
                }
            )
        CampaignTake.create(stock=stock.id, order_id=order_id, quantity=line.quantity)


def give_back(order_id: int) -> None:
    """A cancelled order's campaign units go back to the quota (the cancel's transaction)."""
    taken: dict[int, int] = {}
    for take in CampaignTake.select().where(CampaignTake.order_id == order_id):
        taken[take.stock_id] = taken.get(take.stock_id, 0) + take.quantity
    for stock_id, quantity in sorted(taken.items()):
        if quantity > 0:
            CampaignStock.update(taken=CampaignStock.taken - quantity).where(
                CampaignStock.id == stock_id
            ).execute()
            CampaignTake.create(stock=stock_id, order_id=order_id, quantity=-quantity)


# ---------------------------------------------------------------- messages


def push(campaign_id: int, *, actor_id: int | None = None) -> int:
    """Queue the campaign's message to every distributor (with a login) of its grades who has not
    had it; returns how many were queued. Pushing again reaches only new members of the grades."""
    with transaction():
        campaign = get(campaign_id)
        grades = CampaignGrade.select(CampaignGrade.grade).where(CampaignGrade.campaign == campaign.id)
        already = CampaignRecipient.select(CampaignRecipient.customer).where(
            CampaignRecipient.campaign == campaign.id
        )
        customers = [
            c.id
            for c in Customer.select(Customer.id)
            .join(CustomerGradeMember, on=(CustomerGradeMember.customer == Customer.id))
            .where(
                CustomerGradeMember.grade.in_(grades)
                & Customer.user.is_null(False)
                & Customer.id.not_in(already)
            )
            .order_by(Customer.id)
        ]
        if customers:
            CampaignRecipient.insert_many(
                [{"campaign": campaign.id, "customer": c} for c in customers]
            ).execute()
        for customer_id in customers:
            enqueue(
                "campaign.notify",
                {"campaign_id": campaign.id, "customer_id": customer_id},
                dedupe_key=f"campaign:{campaign.id}:{customer_id}",
            )
        audit.record(actor_id, "campaign.push", "campaign", campaign.id, recipients=len(customers))
        return len(customers)


@job("campaign.notify", delivery=AT_MOST_ONCE)
def notify(payload: dict[str, Any]) -> None:
    from store import notify as messages  # the WeChat client is only needed here

    campaign = get(int(payload["campaign_id"]))
    customer_id = int(payload["customer_id"])
    outcome = messages.send(
        f"campaign:{campaign.id}:{customer_id}",
        customer_id,
        "campaign",
        {"thing1": campaign.name, "time2": (campaign.valid_to or clock.now()).strftime("%Y-%m-%d")},
        page=f"pages/campaign/detail?id={campaign.id}",
    )
    status = {"sent": "sent", "refused": "no_grant", "no_wechat": "no_wechat"}.get(outcome)
    if status is not None:
        CampaignRecipient.update(status=status, sent_at=clock.now() if status == "sent" else None).where(
            (CampaignRecipient.campaign == campaign.id) & (CampaignRecipient.customer == customer_id)
        ).execute()


def mark_opened(campaign_id: int, customer_id: int) -> None:
    """The distributor opened the campaign page: the first time is kept."""
    with transaction():
        visible_to(campaign_id, customer_id)
        CampaignRecipient.update(opened_at=clock.now()).where(
            (CampaignRecipient.campaign == campaign_id)
            & (CampaignRecipient.customer == customer_id)
            & CampaignRecipient.opened_at.is_null()
        ).execute()
