from __future__ import annotations

from backend.errors import DomainError


class InvalidBuyer(DomainError):
    code = "invalid_fapiao_title"
    status = 422
    message_zh = "发票抬头信息无效"
    message_en = "The fapiao title (buyer) is invalid"


class FapiaoAlreadyRequested(DomainError):
    code = "fapiao_already_requested"
    status = 409
    message_zh = "该订单已申请过发票"
    message_en = "A fapiao has already been requested for this order"


class FapiaoNotAvailable(DomainError):
    code = "fapiao_not_available"
    status = 422
    message_zh = "该订单当前不能开具发票"
    message_en = "No fapiao can be issued for this order now"


class FapiaoRequestNotFound(DomainError):
    code = "fapiao_request_not_found"
    status = 404
    message_zh = "发票申请不存在"
    message_en = "No such fapiao request"


class FapiaoRefused(Exception):
    """The provider refused the request for good (not a network hiccup): the request is marked failed."""
