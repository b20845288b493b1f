"""Promotions to distributors: the owner creates a campaign (a price list per chosen grade, limited
stock, a policy document) and pushes it over WeChat subscribe messages; staff see who received and
who opened it. A distributor sees the campaigns of their grade (opening one is recorded); any other
campaign is a 404."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.kernel.models import Customer
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.price_lists import BreakIn
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import catalog
from store.distribution import campaigns, price_lists
from store.distribution.models import Campaign, CampaignGrade, CampaignRecipient, CampaignStock

blp = Blueprint("campaigns", __name__, url_prefix="/api", description="活动 Promotions to distributors")


class QuotaIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True, strict=True)
    quota = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=0, max=10**9))


class CampaignIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    policy = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    grade_ids = ma.fields.List(
        ma.fields.Integer(strict=True), required=True, validate=ma.validate.Length(min=1, max=20)
    )
    items = ma.fields.List(ma.fields.Nested(BreakIn), required=True, validate=ma.validate.Length(min=1))
    quotas = ma.fields.List(ma.fields.Nested(QuotaIn), load_default=list)
    valid_from = Timestamp(load_default=None, allow_none=True)
    valid_to = Timestamp(load_default=None, allow_none=True)


class CampaignStockOut(ma.Schema):
    sku_id = ma.fields.Integer()
    quota = ma.fields.Integer()
    taken = ma.fields.Integer()
    left = ma.fields.Integer()


class RecipientsOut(ma.Schema):
    queued = ma.fields.Integer()
    sent = ma.fields.Integer()
    no_grant = ma.fields.Integer()
    no_wechat = ma.fields.Integer()
    opened = ma.fields.Integer()


class CampaignOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    policy = ma.fields.String()
    valid_from = Timestamp(allow_none=True)
    valid_to = Timestamp(allow_none=True)
    grade_ids = ma.fields.List(ma.fields.Integer())
    price_list_ids = ma.fields.List(ma.fields.Integer())
    stock = ma.fields.List(ma.fields.Nested(CampaignStockOut))
    recipients = ma.fields.Nested(RecipientsOut, allow_none=True, metadata={"description": "staff only"})


class CampaignList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CampaignOut))


class PushOut(ma.Schema):
    campaign_id = ma.fields.Integer()
    queued = ma.fields.Integer()


def _dict(campaign: Campaign, *, staff: bool) -> dict[str, Any]:
    grades = list(
        CampaignGrade.select().where(CampaignGrade.campaign == campaign.id).order_by(CampaignGrade.id)
    )
    stock = list(
        CampaignStock.select().where(CampaignStock.campaign == campaign.id).order_by(CampaignStock.sku)
    )
    recipients = None
    if staff:
        rows = list(CampaignRecipient.select().where(CampaignRecipient.campaign == campaign.id))
        recipients = {
            s: sum(1 for r in rows if r.status == s) for s in ("queued", "sent", "no_grant", "no_wechat")
        }
        recipients["opened"] = sum(1 for r in rows if r.opened_at is not None)
    return {
        **campaign.__data__,
        "grade_ids": [g.grade_id for g in grades],
        "price_list_ids": [g.price_list_id for g in grades],
        "stock": [
            {"sku_id": s.sku_id, "quota": s.quota, "taken": s.taken, "left": s.quota - s.taken} for s in stock
        ],
        "recipients": recipients,
    }


@blp.route("/campaigns", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(CampaignIn)
@blp.response(201, CampaignOut)
def create_campaign(data: dict[str, Any]) -> Any:
    """新建活动 A campaign: its price for the chosen grades, limited stock per SKU, the policy document."""
    campaign = campaigns.create_campaign(
        data["name"],
        grade_ids=data["grade_ids"],
        items=data["items"],
        quotas={q["sku_id"]: q["quota"] for q in data["quotas"]},
        policy=data["policy"],
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        actor_id=current_user().id,
    )
    return _dict(campaign, staff=True)


@blp.route("/campaigns/<int:campaign_id>/push", methods=["POST"])
@access("owner")
@idempotent
@blp.response(201, PushOut)
def push(campaign_id: int) -> Any:
    """推送活动 Send the campaign's subscribe message to its grades' distributors (each at most once)."""
    return {"campaign_id": campaign_id, "queued": campaigns.push(campaign_id, actor_id=current_user().id)}


@blp.route("/campaigns", methods=["GET"])
@access("staff", "owner", "distributor")
@blp.response(200, CampaignList)
def list_campaigns() -> Any:
    """活动 Staff: every campaign with who received and opened it. A distributor: their grade's."""
    user = current_user()
    if user.role in STAFF:
        return {"items": [_dict(c, staff=True) for c in Campaign.select().order_by(Campaign.id.desc())]}
    me: Customer = catalog.customer_of_user(user.id)
    grade = price_lists.grade_of(me.id)
    mine = (
        Campaign.select().join(CampaignGrade).where(CampaignGrade.grade == grade).order_by(Campaign.id.desc())
    )
    return {"items": [_dict(c, staff=False) for c in mine]}


@blp.route("/campaigns/<int:campaign_id>", methods=["GET"])
@access("staff", "owner", "distributor")
@blp.response(200, CampaignOut)
def get_campaign(campaign_id: int) -> Any:
    """活动详情 A campaign and its policy; a distributor opening it is recorded (opened)."""
    user = current_user()
    if user.role in STAFF:
        return _dict(campaigns.get(campaign_id), staff=True)
    me = catalog.customer_of_user(user.id)
    campaigns.mark_opened(campaign_id, me.id)
    return _dict(campaigns.visible_to(campaign_id, me.id), staff=False)


class RecipientOut(ma.Schema):
    customer_id = ma.fields.Integer()
    name = ma.fields.String()
    status = ma.fields.String(metadata={"description": "queued | sent | no_grant | no_wechat"})
    sent_at = Timestamp(allow_none=True)
    opened_at = Timestamp(allow_none=True)


class RecipientList(ma.Schema):
    campaign_id = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(RecipientOut))


@blp.route("/campaigns/<int:campaign_id>/recipients", methods=["GET"])
@access(*STAFF)
@blp.response(200, RecipientList)
def recipients(campaign_id: int) -> Any:
    """活动触达 Who the campaign was sent to, by name: its status and when they opened it."""
    campaign = campaigns.get(campaign_id)
    rows = (
        CampaignRecipient.select(CampaignRecipient, Customer)
        .join(Customer)
        .where(CampaignRecipient.campaign == campaign.id)
        .order_by(Customer.name, Customer.id)
    )
    return {
        "campaign_id": campaign.id,
        "items": [
            {
                "customer_id": r.customer.id,
                "name": r.customer.name,
                "status": r.status,
                "sent_at": r.sent_at,
                "opened_at": r.opened_at,
            }
            for r in rows
        ],
    }
