"""Refusals of the dashboard's reads."""

from __future__ import annotations

from backend.errors import ValidationFailed

# Two years and a leap day: the longest range the owner's charts are drawn over.
MAX_RANGE_DAYS = 731


class InvalidRange(ValidationFailed):
    code = "invalid_range"
    message_zh = f"日期范围无效：开始日不能晚于结束日，且最长 {MAX_RANGE_DAYS} 天"
    message_en = f"Invalid range: the first day must not be after the last, and at most {MAX_RANGE_DAYS} days"
