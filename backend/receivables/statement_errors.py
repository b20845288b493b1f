"""Errors of period statements (对账单), each with a stable code."""

from __future__ import annotations

from backend.errors import DomainError


class StatementNotFound(DomainError):
    code = "statement_not_found"
    status = 404
    message_zh = "对账单不存在"
    message_en = "No such statement"


class StatementLinkInvalid(DomainError):
    code = "statement_link_invalid"
    status = 404
    message_zh = "对账链接无效"
    message_en = "This statement link is not valid"


class StatementLinkExpired(DomainError):
    code = "statement_link_expired"
    status = 403
    message_zh = "对账链接已过期，请联系商家重新发送"
    message_en = "This statement link has expired; ask the merchant to send it again"


class DisputeNotFound(DomainError):
    code = "statement_dispute_not_found"
    status = 404
    message_zh = "对账争议不存在"
    message_en = "No such statement dispute"


class StatementFrozen(DomainError):
    code = "statement_frozen"
    status = 409
    message_zh = "该期间的对账单已确认，不能重新生成；更正将计入下一期"
    message_en = "A statement of this period is confirmed and frozen; corrections go into the next period"


class StatementAlreadyConfirmed(DomainError):
    code = "statement_already_confirmed"
    status = 409
    message_zh = "对账单已确认"
    message_en = "This statement is already confirmed"


class StatementSuperseded(DomainError):
    code = "statement_superseded"
    status = 409
    message_zh = "对账单已被新版本取代"
    message_en = "This statement was replaced by a newer version"


class StatementNotOpen(DomainError):
    code = "statement_not_open"
    status = 409
    message_zh = "对账单当前状态不允许此操作"
    message_en = "The statement is not in a state that allows this"


class DisputeAlreadyDecided(DomainError):
    code = "statement_dispute_decided"
    status = 409
    message_zh = "该争议已处理"
    message_en = "This dispute was already resolved"


class InvalidPeriod(DomainError):
    code = "invalid_statement_period"
    status = 422
    message_zh = "对账期间无效：开始日期不晚于结束日期，结束日期早于今天，最长 366 天"
    message_en = "The period must start on or before its end, end before today and span at most 366 days"


class InvalidDispute(DomainError):
    code = "invalid_statement_dispute"
    status = 422
    message_zh = "争议无效：请选择本对账单的行并填写说明"
    message_en = "A dispute names lines of this statement and gives a note"
