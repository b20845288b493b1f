"""Demo data for selling to distributors: an importer-sized wine catalogue (300 SKUs in a second
warehouse too, sold by the case), 500 distributors in four grades, each grade with its price list
and quantity breaks, a distributor-channel list, and own lists for twenty key accounts. The demo's
distributor login (华联便利店) is put in the first grade.

Runs once (nothing when grades exist). Fast: catalogue rows, customers and list items are written in
bulk inside one transaction; stock still comes in through the purchase receipt service, so the
books and stock pass `yecai check`; credit given to the 500 is written to the audit log.
"""

from __future__ import annotations

import json

from backend.audit import AuditEntry
from backend.auth.models import User
from backend.db import transaction
from backend.inventory.services import receive_purchase
from backend.kernel.models import Customer, Product, Sku, Warehouse
from store import catalog
from store.distribution import price_lists
from store.distribution.models import CustomerGrade, CustomerGradeMember, SkuTradeTerms

REGIONS = (
    "波尔多 Bordeaux",
    "勃艮第 Burgundy",
    "里奥哈 Rioja",
    "托斯卡纳 Tuscany",
    "纳帕 Napa",
    "巴罗萨 Barossa",
)
GRAPES = ("赤霞珠 Cabernet", "梅洛 Merlot", "黑皮诺 Pinot Noir", "西拉 Syrah", "霞多丽 Chardonnay")
# (name, units a case, retail fen) -> every product comes in these five
SIZES = (
    ("750ml", 6, 1),
    ("750ml×6 整箱", 1, 6),
    ("375ml", 12, 0.55),
    ("1.5L 大瓶", 3, 2.2),
    ("750ml 礼盒", 2, 1.3),
)
# grade -> share of the channel price it pays (basis points), breaks from 10 cases
GRADES = (
    ("一级经销商 Tier 1", 8200),
    ("二级经销商 Tier 2", 8800),
    ("三级经销商 Tier 3", 9300),
    ("特约店 Partner shop", 9600),
)
DISTRIBUTORS = 500


def seed() -> None:
    if CustomerGrade.select().exists():
        return
    with transaction():
        north = Warehouse.get_or_none(Warehouse.code == "NORTH") or catalog.create_warehouse(
            "NORTH", "北仓 North depot"
        )
        main = catalog.default_warehouse() or catalog.create_warehouse("MAIN", "门店仓 Shop stockroom")
        skus = _catalogue()
        for n, (sku, cost) in enumerate(skus):
            receive_purchase(sku.id, main.id, 600, cost, reference=f"demo-wine-{sku.id}")
            if n % 3 == 0:
                receive_purchase(sku.id, north.id, 240, cost, reference=f"demo-wine-n-{sku.id}")
        grades = [price_lists.create_grade(name) for name, _ in GRADES]
        customers = _distributors(grades)
        prices = {sku.id: int(sku.distributor_price_fen or sku.price_fen) for sku, _ in skus}
        price_lists.create_price_list(
            "经销渠道价 Distributor channel",
            "channel",
            channel="distributor",
            items=[{"sku_id": s, "price_fen": p} for s, p in prices.items()],
        )
        for grade, (name, share_bp) in zip(grades, GRADES, strict=True):
            items = []
            for sku_id, price in prices.items():
                items.append({"sku_id": sku_id, "min_quantity": 1, "price_fen": price * share_bp // 10000})
                items.append(
                    {"sku_id": sku_id, "min_quantity": 60, "price_fen": price * (share_bp - 300) // 10000}
                )
            price_lists.create_price_list(f"{name} 价格表", "grade", grade_id=grade.id, items=items)
        for customer_id in customers[:20]:
            items = [{"sku_id": s, "price_fen": p * 7800 // 10000} for s, p in list(prices.items())[:30]]
            price_lists.create_price_list(
                "大客户专属价 Key account", "customer", customer_id=customer_id, items=items
            )
        demo_login = User.get_or_none(User.username == "distributor")
        if demo_login is not None:
            mine = Customer.get_or_none(Customer.user == demo_login.id)
            if mine is not None:
                price_lists.set_grade(mine.id, grades[0].id)


def _catalogue() -> list[tuple[Sku, int]]:
    """300 SKUs (60 products x 5 sizes) with their trade terms; (sku, unit cost) each."""
    names = [f"{region} {grape}" for region in REGIONS for grape in GRAPES] * 2
    names = [f"{name} {'珍藏 Reserve' if n >= 30 else '经典 Classic'}" for n, name in enumerate(names)]
    Product.insert_many([{"name": name} for name in names]).execute()
    products = list(Product.select().where(Product.name.in_(names)).order_by(Product.id))
    rows: list[dict[str, object]] = []
    for p_index, product in enumerate(products):
        base = 9800 + 1700 * (p_index % 17)
        for size, _case, factor in SIZES:
            price = int(base * factor) // 100 * 100
            rows.append(
                {
                    "product": product.id,
                    "name": size,
                    "unit": "箱" if "整箱" in size else "瓶",
                    "price_fen": price,
                    "distributor_price_fen": price * 70 // 100,
                    "barcode": f"69{product.id:06d}{len(rows) % 5}{p_index:04d}"[:13],
                }
            )
    Sku.insert_many(rows).execute()
    skus = list(Sku.select().where(Sku.product.in_([p.id for p in products])).order_by(Sku.id))
    cases = {size: case for size, case, _ in SIZES}
    SkuTradeTerms.insert_many(
        [{"sku": s.id, "case_size": cases[s.name], "min_order_quantity": cases[s.name]} for s in skus]
    ).execute()
    return [(s, int(s.price_fen) * 42 // 100) for s in skus]


def _distributors(grades: list[CustomerGrade]) -> list[int]:
    """500 distributors spread over the grades, with credit and terms (audited as credit given)."""
    cities = ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "无锡", "温州", "福州", "厦门")
    rows = [
        {
            "kind": "distributor",
            "name": f"{cities[n % len(cities)]}酒行 {n + 1:03d}",
            "phone": f"1380{n:07d}",
            "credit_limit_fen": (5 + n % 10) * 1_000_000,
            "payment_terms_days": (30, 45, 60)[n % 3],
        }
        for n in range(DISTRIBUTORS)
    ]
    Customer.insert_many(rows).execute()
    customers = list(
        Customer.select().where(Customer.name.in_([r["name"] for r in rows])).order_by(Customer.id)
    )
    AuditEntry.insert_many(
        [
            {
                "actor_id": None,
                "action": "customer.credit",
                "target_type": "customer",
                "target_id": str(c.id),
                "detail": json.dumps(
                    {
                        "kind": c.kind,
                        "credit_limit_fen": c.credit_limit_fen,
                        "payment_terms_days": c.payment_terms_days,
                    }
                ),
            }
            for c in customers
        ]
    ).execute()
    CustomerGradeMember.insert_many(
        [{"customer": c.id, "grade": grades[n % len(grades)].id} for n, c in enumerate(customers)]
    ).execute()
    return [c.id for c in customers]
