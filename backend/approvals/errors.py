from __future__ import annotations

from backend.errors import DomainError


class UnknownApprovalKind(DomainError):
    code = "unknown_approval_kind"
    status = 422
    message_zh = "未知的审批类型"
    message_en = "Unknown kind of approval"


class ApprovalNotFound(DomainError):
    code = "approval_not_found"
    status = 404
    message_zh = "审批申请不存在"
    message_en = "No such approval request"


class AlreadyDecided(DomainError):
    code = "approval_already_decided"
    status = 409
    message_zh = "该申请已经处理过"
    message_en = "This request has already been decided"


class AlreadyRequested(DomainError):
    code = "approval_already_pending"
    status = 409
    message_zh = "已有一份同样的申请在等待审批"
    message_en = "The same request is already waiting for a decision"


class OwnRequest(DomainError):
    code = "own_request"
    status = 403
    message_zh = "不能审批自己提交的申请"
    message_en = "Nobody may decide their own request"


class OwnerOnly(DomainError):
    code = "owner_only"
    status = 403
    message_zh = "只有老板可以审批"
    message_en = "Only the owner decides approval requests"


class NoteRequired(DomainError):
    code = "note_required"
    status = 422
    message_zh = "驳回时请写明原因"
    message_en = "A rejection needs a note saying why"
