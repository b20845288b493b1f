"""The console's home menu and who may open each page.

One `Page` per console page: its area and name (the template `<area>/<name>.html`, served at
`/m/<area>/<name>`), its title in Chinese and English, and the roles that may open it (the area's
roles unless said otherwise). The home page lists the pages the signed-in user's role may open,
grouped by area in the order below. The API enforces the same roles; the page only refuses early.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Who may open an area's pages unless a page says otherwise.
AREA_ROLES: dict[str, tuple[str, ...]] = {
    "staff": ("staff", "owner"),
    "owner": ("owner",),
    "dist": ("distributor",),
}
AREA_TITLES: dict[str, str] = {
    "staff": "门店 Counter",
    "owner": "老板 Owner",
    "dist": "经销商 Distributor",
}


@dataclass(frozen=True)
class Page:
    area: str
    name: str
    title: str
    icon: str = "apps-o"  # a Vant icon name
    roles: tuple[str, ...] = field(default=())
    in_menu: bool = True  # False for pages reached from another page (a detail, a receipt)

    @property
    def path(self) -> str:
        return f"/m/{self.area}/{self.name}"

    @property
    def allowed_roles(self) -> tuple[str, ...]:
        return self.roles or AREA_ROLES[self.area]


# Add one line per page, in the area's block.
PAGES: tuple[Page, ...] = (
    # staff/
    Page("staff", "bill", "开单收款 Bill and take payment", icon="cart-o"),
    Page("staff", "receipt", "小票 Receipt", icon="description", in_menu=False),
    Page("staff", "collect", "收款 Collect on account", icon="gold-coin-o"),
    Page("staff", "ship", "待发货 To ship", icon="logistics"),
    Page("staff", "returns", "退货退款 Returns and refunds", icon="revoke"),
    Page("staff", "shift", "交班 Shift handover", icon="balance-list-o"),
    Page("staff", "collections", "今日催收 Collections", icon="phone-o"),
    Page("staff", "credit", "客户信用 Customer credit", icon="balance-o"),
    Page("staff", "adjust", "应收调整 Adjust an invoice", icon="edit"),
    Page("staff", "aging", "应收账龄 Receivables aging", icon="clock-o"),
    Page("staff", "statements", "对账单 Statements", icon="records-o"),
    Page("staff", "fapiao", "发票 Fapiao requests", icon="description"),
    Page("staff", "batch-collect", "批量收款 Batch collection", icon="cash-back-record"),
    Page("staff", "bank-import", "银行流水 Bank statement", icon="records"),
    Page("staff", "dist-aftersales", "经销商售后 Distributor after-sales", icon="after-sale"),
    # owner/
    Page("owner", "dashboard", "经营概况 Dashboard", icon="chart-trending-o"),
    Page("owner", "shifts", "交班记录 Handovers", icon="records-o"),
    Page("owner", "credit", "信用总览 Credit overview", icon="warning-o"),
    Page("owner", "price-lists", "价格表 Price lists", icon="label-o"),
    Page("owner", "campaigns", "活动 Campaigns", icon="fire-o"),
    Page("owner", "rebates", "返利 Rebates", icon="gift-o"),
    # dist/
    Page("dist", "catalog", "订货 Order stock", icon="shop-o"),
    Page("dist", "cart", "订货车 Cart", icon="cart-o"),
    Page("dist", "orders", "我的订单 My orders (再来一单 reorder)", icon="orders-o"),
    Page("dist", "account", "账户与账单 Account & invoices", icon="balance-o"),
    Page("dist", "statements", "对账单 Statements (对账)", icon="records-o"),
    Page("dist", "fapiao", "发票 Fapiao", icon="description"),
    Page("dist", "aftersales", "售后 Returns & price claims", icon="after-sale"),
)


def find(area: str, name: str) -> Page | None:
    return next((p for p in PAGES if p.area == area and p.name == name), None)


def menu_json() -> list[dict[str, object]]:
    """The home page's menu: every page with its area title and roles; the page filters by role."""
    return [
        {
            "area": p.area,
            "area_title": AREA_TITLES[p.area],
            "title": p.title,
            "icon": p.icon,
            "path": p.path,
            "roles": list(p.allowed_roles),
        }
        for p in PAGES
        if p.in_menu
    ]
