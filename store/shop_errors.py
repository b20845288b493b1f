"""Errors of the mini-program shop, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from backend.errors import DomainError


class NotYours(DomainError):
    """Another customer's (or an unknown) cart line, address, coupon or request: 404 either way."""

    code = "not_found"
    status = 404
    message_zh = "未找到"
    message_en = "Not found"


class UnknownCategory(DomainError):
    code = "unknown_category"
    status = 422
    message_zh = "分类不存在"
    message_en = "Unknown category"


class OffSale(DomainError):
    code = "off_sale"
    status = 422
    message_zh = "商品已下架或不存在"
    message_en = "This item is not on sale"


class EmptyCart(DomainError):
    code = "empty_cart"
    status = 422
    message_zh = "购物车是空的"
    message_en = "The cart is empty"


class InvalidImage(DomainError):
    code = "invalid_image"
    status = 422
    message_zh = "图片地址必须是 https 链接"
    message_en = "Image URLs must be https links"


class UnknownLevel(DomainError):
    code = "unknown_level"
    status = 422
    message_zh = "会员等级不存在"
    message_en = "No such member level"


class LevelRankTaken(DomainError):
    """Levels are ordered by rank (new members get the lowest), so two levels cannot share one."""

    code = "level_rank_taken"
    status = 409
    message_zh = "该等级序号已被其他会员等级使用"
    message_en = "Another member level already has this rank"


class NotEnoughPoints(DomainError):
    code = "not_enough_points"
    status = 409
    message_zh = "积分不足"
    message_en = "Not enough points"


class InvalidPoints(DomainError):
    code = "invalid_points"
    status = 422
    message_zh = "积分数必须是非负整数"
    message_en = "Points must be a whole number, zero or more"


class CouponNotUsable(DomainError):
    code = "coupon_not_usable"
    status = 409
    message_zh = "优惠券不可用（已用、过期或未达门槛）"
    message_en = "This coupon cannot be used (used, expired or below its threshold)"


class CouponLimitReached(DomainError):
    code = "coupon_limit_reached"
    status = 409
    message_zh = "已达到该优惠券的领取上限"
    message_en = "You already hold as many of this coupon as allowed"


class DiscountTooLarge(DomainError):
    code = "discount_too_large"
    status = 409
    message_zh = "优惠不能超过订单金额"
    message_en = "Discounts must leave something to pay"


class NotEnoughStoredValue(DomainError):
    code = "not_enough_stored_value"
    status = 409
    message_zh = "储值余额不足"
    message_en = "The stored-value balance is too low"


class InvalidAfterSale(DomainError):
    code = "invalid_aftersale"
    status = 422
    message_zh = "售后申请无效"
    message_en = "The after-sales request is invalid"


class AfterSaleDecided(DomainError):
    code = "aftersale_decided"
    status = 409
    message_zh = "该售后申请已处理"
    message_en = "This after-sales request has already been decided"
