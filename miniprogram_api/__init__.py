"""The HTTP surface the mini-program and the mobile console call. Thin: parse, authorize, call a
domain service, serialize."""

from __future__ import annotations

from flask import Flask

from miniprogram_api import (
    adjustments,
    aging,
    approvals,
    auth,
    bad_debt,
    bank_import,
    campaigns,
    catalog,
    collections_list,
    counter,
    credit,
    dashboard,
    distributor,
    fapiao,
    health,
    home,
    orders,
    payments,
    price_lists,
    rebates,
    receivables,
    reports,
    shop,
    shop_admin,
    statements,
    users,
    wechat_notify,
)
from miniprogram_api import api as api_module
from miniprogram_api.security import check_every_view_declares_access

BLUEPRINTS = (
    auth.blp,
    users.blp,
    catalog.blp,
    orders.blp,
    receivables.blp,
    payments.blp,
    wechat_notify.blp,
    shop.blp,
    shop_admin.blp,
    reports.blp,
    price_lists.blp,
    credit.blp,
    approvals.blp,
    dashboard.blp,
    counter.blp,
    collections_list.blp,
    bad_debt.blp,
    distributor.blp,
    campaigns.blp,
    adjustments.blp,
    aging.blp,
    statements.blp,
    fapiao.blp,
    bank_import.blp,
    rebates.blp,
)


def register(app: Flask) -> None:
    health.register(app)
    home.register(app)
    api = api_module.configure(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    check_every_view_declares_access(app)
