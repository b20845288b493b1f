"""Demo shop: a warehouse, a small drinks catalog in categories with stock, a member level and a
welcome coupon for the mini-program, customers, and a distributor's restock on credit.

Runs once (it does nothing when the catalog already has products). Every figure goes through the
real services, so the demo's books, stock and receivables pass `yecai check`.
"""

from __future__ import annotations

import datetime as dt

from backend import clock
from backend.auth.models import User
from backend.inventory.services import receive_purchase
from backend.kernel.models import Product
from store import catalog, categories, members, on_account, promotions
from store.services import fulfil_order, sell_on_account

# category -> products in it
CATEGORIES = {
    "啤酒 Beer": ("青岛啤酒 经典 Tsingtao Classic",),
    "饮用水 Water": ("农夫山泉 Nongfu Spring",),
    "白酒 Baijiu": ("五粮液 普五 Wuliangye",),
}

# (product, sku name, barcode, unit, retail fen, distributor fen, units received, unit cost fen)
CATALOG = (
    ("青岛啤酒 经典 Tsingtao Classic", "330ml 单罐", "6901035603850", "罐", 450, 360, 480, 280),
    ("青岛啤酒 经典 Tsingtao Classic", "330ml×24 整箱", "6901035603867", "箱", 9800, 8200, 40, 6500),
    ("农夫山泉 Nongfu Spring", "550ml 单瓶", "6921168509256", "瓶", 200, 150, 600, 95),
    ("五粮液 普五 Wuliangye", "500ml 单瓶", "6901382000010", "瓶", 109900, 96900, 24, 82000),
)


def seed() -> None:
    if Product.select().exists():
        return
    warehouse = catalog.create_warehouse("MAIN", "门店仓 Shop stockroom")
    products: dict[str, int] = {}
    skus = []
    for product_name, sku_name, barcode, unit, price, dist_price, qty, cost in CATALOG:
        if product_name not in products:
            products[product_name] = catalog.create_product(product_name).id
        sku = catalog.create_sku(
            products[product_name],
            name=sku_name,
            price_fen=price,
            distributor_price_fen=dist_price,
            unit=unit,
            barcode=barcode,
        )
        receive_purchase(sku.id, warehouse.id, qty, cost, reference=f"demo-receipt-{barcode}")
        skus.append(sku)

    for category_name, product_names in CATEGORIES.items():
        category = categories.create_category(category_name)
        for name in product_names:
            categories.update_product(products[name], category_id=category.id)
    members.create_level("金卡会员 Gold member", rank=1, points_per_yuan=2)
    now = clock.now()
    promotions.create_coupon(
        "新人券 满50减5 Welcome: 5 off 50",
        amount_off_fen=500,
        threshold_fen=5000,
        valid_from=now,
        valid_until=now + dt.timedelta(days=90),
    )

    distributor_user = User.get_or_none(User.username == "distributor")
    distributor = catalog.create_customer(
        "distributor",
        "华联便利店 Hualian Mart",
        phone="13800000003",
        user_id=distributor_user.id if distributor_user else None,
        credit_limit_fen=500_000,
        payment_terms_days=30,
    )
    catalog.create_customer("member", "张三 Zhang San", phone="13900000001")

    # A distributor restock on credit, part paid (the till's cash sale is payments.demo's).
    credit = sell_on_account(distributor.id, [(skus[1].id, 10), (skus[3].id, 2)], channel="distributor")
    fulfil_order(credit.id)
    on_account.collect(distributor.id, 50_000, "bank_transfer", "demo-transfer-1")
