"""Errors of selling to distributors, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from backend.errors import DomainError


class PriceListNotFound(DomainError):
    """An unknown price list, or one a distributor is not priced by: 404 either way."""

    code = "price_list_not_found"
    status = 404
    message_zh = "价格表不存在"
    message_en = "No such price list"


class InvalidPriceList(DomainError):
    code = "invalid_price_list"
    status = 422
    message_zh = "价格表设置无效"
    message_en = "The price list is not valid"


class PriceListOverlap(DomainError):
    code = "price_list_overlap"
    status = 409
    message_zh = "同一对象已有优先级相同、有效期重叠的价格表"
    message_en = "Another price list for the same target has the same priority and an overlapping validity"


class BreaksOutOfOrder(DomainError):
    code = "breaks_out_of_order"
    status = 422
    message_zh = "数量阶梯必须按起订数量递增排列，且价格不能随数量上升"
    message_en = "Quantity breaks must rise in minimum quantity, and the price must not rise with quantity"


class NegativePrice(DomainError):
    code = "negative_price"
    status = 422
    message_zh = "价格不能为负"
    message_en = "A price cannot be negative"


class UnknownGrade(DomainError):
    code = "unknown_grade"
    status = 422
    message_zh = "客户等级不存在"
    message_en = "Unknown customer grade"


class DuplicateGrade(DomainError):
    code = "duplicate_grade"
    status = 409
    message_zh = "客户等级名称已存在"
    message_en = "A grade with this name exists"


class InvalidPercent(DomainError):
    code = "invalid_percent"
    status = 422
    message_zh = "调价百分比无效"
    message_en = "The percentage is not valid"


class CaseMultiple(DomainError):
    code = "case_multiple"
    status = 422
    message_zh = "订购数量必须是整箱的倍数"
    message_en = "The quantity must be a whole number of cases"


class BelowMinimumOrder(DomainError):
    code = "below_minimum_order"
    status = 422
    message_zh = "订购数量低于起订量"
    message_en = "The quantity is below the minimum order quantity"


class InvalidTradeTerms(DomainError):
    code = "invalid_trade_terms"
    status = 422
    message_zh = "起订量或箱规无效"
    message_en = "The minimum order quantity or case size is not valid"


class CampaignSoldOut(DomainError):
    code = "campaign_sold_out"
    status = 409
    message_zh = "活动库存不足"
    message_en = "Not enough campaign stock left"


class InvalidRebateRule(DomainError):
    code = "invalid_rebate_rule"
    status = 422
    message_zh = "返利规则无效"
    message_en = "The rebate rule is invalid"


class RebateRuleNotFound(DomainError):
    code = "rebate_rule_not_found"
    status = 404
    message_zh = "未找到该返利规则"
    message_en = "No such rebate rule"


class InvalidRebatePeriod(DomainError):
    code = "invalid_rebate_period"
    status = 422
    message_zh = "返利期间无效：只能结算已结束的月份（YYYY-MM）"
    message_en = "The rebate period must be a month that has ended (YYYY-MM)"
