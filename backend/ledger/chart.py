"""The chart of accounts (小企业会计准则, abridged to what a small merchant's sales touch).

Written once here; migration 0010 seeds the `account` table from a frozen copy of this list.
"""

from __future__ import annotations

from typing import NamedTuple


class AccountDef(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    kind: str  # asset | liability | equity | revenue | expense


CHART: tuple[AccountDef, ...] = (
    AccountDef("1001", "库存现金", "Cash on hand", "asset"),
    AccountDef("1002", "银行存款", "Bank deposits", "asset"),
    AccountDef("1012", "其他货币资金-微信支付", "WeChat Pay clearing", "asset"),
    AccountDef("1122", "应收账款", "Accounts receivable", "asset"),
    AccountDef("1405", "库存商品", "Inventory", "asset"),
    AccountDef("2202", "应付账款", "Accounts payable", "liability"),
    AccountDef("2203", "预收账款", "Customer prepayments", "liability"),
    AccountDef("2221", "应交税费-应交增值税(销项)", "Output VAT payable", "liability"),
    AccountDef("3103", "本年利润", "Current year profit", "equity"),
    AccountDef("5001", "主营业务收入", "Sales revenue", "revenue"),
    # Late interest charged, and written-off debts recovered (营业外收入).
    AccountDef("5301", "营业外收入", "Non-operating income", "revenue"),
    AccountDef("5401", "主营业务成本", "Cost of goods sold", "expense"),
    # Amounts let go when collecting (收款抹零), like cash discounts (现金折扣).
    AccountDef("5603", "财务费用", "Finance costs", "expense"),
    AccountDef("5711", "营业外支出-坏账", "Bad debt written off", "expense"),
)

BY_CODE: dict[str, AccountDef] = {a.code: a for a in CHART}

CASH = "1001"
BANK = "1002"
WECHAT_CLEARING = "1012"
RECEIVABLES = "1122"
INVENTORY = "1405"
PAYABLES = "2202"
PREPAYMENTS = "2203"  # 预收账款: late WeChat payments awaiting refund, and members' stored value
OUTPUT_VAT = "2221"
REVENUE = "5001"
COGS = "5401"
NON_OPERATING_INCOME = "5301"
BAD_DEBT = "5711"
FINANCE_COSTS = "5603"

# Where money lands for each payment method.
MONEY_ACCOUNT = {
    "cash": CASH,
    "bank_transfer": BANK,
    "wechat": WECHAT_CLEARING,
    "stored_value": PREPAYMENTS,  # paying from the balance uses up the prepayment
}
