"""Migrations and drift, health, offline docs, every endpoint declaring its roles, the CLI, demo data."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from backend import migrate
from backend.cli import main
from backend.db import db
from backend.jobs.models import OutboxMessage


def test_migrated_schema_has_no_drift_and_drift_is_detected(app):
    assert migrate.pending(db.obj) == []
    assert migrate.drift(db.obj) == []
    db.execute_sql("ALTER TABLE app_user ADD COLUMN nickname VARCHAR(10)")
    try:
        assert migrate.drift(db.obj) == ["drop column app_user.nickname"]
    finally:
        db.execute_sql("ALTER TABLE app_user DROP COLUMN nickname")  # the PostgreSQL database is shared
    assert migrate.drift(db.obj) == []


def test_health_and_readiness(client, settings):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    expected = {"database": "ok", **({"redis": "ok"} if settings.uses_redis else {})}
    assert ready.status_code == 200 and ready.json == {"status": "ready", "checks": expected}


def test_readiness_fails_when_the_database_is_gone(tmp_path, wechat_sandbox):
    from backend import create_app

    app = create_app({"database_url": "postgresql://nobody@127.0.0.1:1/none", "instance_dir": str(tmp_path)})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("error")


def test_api_docs_render_without_the_internet(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/api/docs-assets/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"] == "3.0.3"
    create_user = spec["paths"]["/api/users"]["post"]
    assert {"in": "header", "name": "Idempotency-Key"}.items() <= create_user["parameters"][0].items()
    assert create_user["security"] == [{"bearerAuth": []}]


def test_every_api_endpoint_declares_its_roles(app):
    from flask import Flask

    from miniprogram_api.security import check_every_view_declares_access

    undeclared = [
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/") and not hasattr(app.view_functions[r.endpoint], "_yecai_roles")
    ]
    assert undeclared == ["/api/openapi.json", "/api/docs"]  # the spec and its viewer are public by nature
    bare = Flask("probe")
    bare.add_url_rule("/api/sneaky", "sneaky", lambda: "")
    with pytest.raises(RuntimeError, match="/api/sneaky"):
        check_every_view_declares_access(bare)


def _cli_env(settings) -> dict[str, str]:
    return {"YECAI_DATABASE_URL": settings.database_url, "YECAI_INSTANCE_DIR": settings.instance_dir}


def test_cli_upgrade_check_and_create_user(app, settings):
    runner = CliRunner()
    env = _cli_env(settings)
    upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0 and "up to date" in upgraded.output
    assert runner.invoke(main, ["db", "check-drift"], env=env).exit_code == 0
    created = runner.invoke(
        main, ["create-user", "--role", "owner", "--username", "boss", "--password", "long enough 9"], env=env
    )
    assert created.exit_code == 0, created.output
    ok = runner.invoke(main, ["check"], env=env)
    assert ok.exit_code == 0 and "0 breaks" in ok.output
    OutboxMessage.create(job="x", status="dead", attempts=7, last_error="boom")
    broken = runner.invoke(main, ["check"], env=env)
    assert broken.exit_code == 1
    assert "BROKEN outbox: no dead messages" in broken.output and "1 breaks" in broken.output


def test_demo_data_loads_once_and_checks_clean(app, settings):
    from backend import checks, demo
    from backend.auth.models import User

    first = demo.load(settings.instance_dir)
    second = demo.load(settings.instance_dir)
    assert first == second and set(first) == {"owner", "staff", "distributor"}
    assert User.select().count() == 3
    assert {r.name: r.problems for r in checks.run_all() if not r.ok} == {}
    # The demo shop's figures, to the fen: the distributor restocked 10 cases at 82.00 and 2 bottles at
    # 969.00 on credit (2758.00) and paid 500.00 by transfer; the counter sold 6 cans and 2 waters.
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Customer, Order, Sku

    distributor = Customer.select().where(Customer.kind == "distributor").order_by(Customer.id).get()
    first_restock = Order.select().where(Order.customer == distributor.id).order_by(Order.id).first()
    assert (first_restock.total_fen, first_restock.paid_fen) == (275_800, 50_000)
    assert [o.total_fen for o in Order.select().where(Order.channel == "counter")] == [6 * 450 + 2 * 200]
    shop = {"6901035603850": 474, "6901035603867": 30, "6921168509256": 598, "6901382000010": 22}
    on_hand = {
        s.barcode: StockLevel.get(StockLevel.sku == s.id).on_hand
        for s in Sku.select().where(Sku.barcode.in_(list(shop)))
    }
    assert on_hand == shop
    # The importer's catalogue beside it: 300 wine SKUs, 500 distributors in grades (and the demo's own).
    assert (Sku.select().count(), Customer.select().where(Customer.kind == "distributor").count()) == (
        304,
        501,
    )
    # The counter sale took its cash through the one offline path: a payment record, rung up by staff.
    from payments.models import PaymentRecord

    counter = Order.get(Order.channel == "counter")
    (cash,) = PaymentRecord.select().where(PaymentRecord.order == counter.id)
    staff = User.get(User.username == "staff")
    assert (cash.method, cash.status, cash.amount_fen, cash.created_by) == (
        "cash",
        "succeeded",
        3100,
        staff.id,
    )
    assert (counter.status, counter.placed_by) == ("shipped", staff.id)
    _assert_demo_history()


def _assert_demo_history() -> None:
    """Four months of 13 distributors trading on account (store/distribution/demo_history.py)."""
    import datetime as dt

    from backend import clock
    from backend.kernel.models import Customer, Order
    from backend.receivables.credit.models import CreditScore, PromiseToPay
    from backend.receivables.models import Invoice, Payment

    history = Order.select().where(
        (Order.channel == "distributor") & (Order.created_at < clock.now() - dt.timedelta(days=1))
    )
    buyers = {o.customer_id for o in history}
    assert len(buyers) == 13 and history.count() >= 80
    assert Payment.select().where(Payment.reference.startswith("demo-history-")).count() >= 40
    overdue_60 = {
        i.customer_id
        for i in Invoice.select().where(
            (Invoice.open_fen > 0) & (Invoice.due_on < clock.today() - dt.timedelta(days=60))
        )
    }
    assert len(overdue_60) >= 2  # the two who stopped paying
    assert PromiseToPay.select().where(PromiseToPay.status == "open").count() == 1
    assert CreditScore.select().where(CreditScore.scored_on == clock.today()).count() >= 13
    hualian = Customer.select().where(Customer.kind == "distributor").order_by(Customer.id).get()
    assert hualian.id in buyers


def test_every_creating_post_takes_an_idempotency_key(client):
    spec = client.get("/api/openapi.json").json
    creating = [
        path
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if method == "post" and "201" in operation.get("responses", {})
    ]
    assert "/api/users" in creating
    missing = [
        path
        for path in creating
        if not any(
            p.get("name") == "Idempotency-Key" for p in spec["paths"][path]["post"].get("parameters", [])
        )
    ]
    assert missing == []


def test_settings_come_from_the_environment_and_refuse_nonsense():
    from backend.config import ConfigError, load_settings

    settings = load_settings(
        environ={
            "YECAI_ORDER_AUTO_CANCEL_SECONDS": "600",
            "YECAI_LATE_PAYMENT_POLICY": "reserve_again",
            "YECAI_DATABASE_URL": "postgresql://u@h/db",
        }
    )
    assert (settings.order_auto_cancel_seconds, settings.late_payment_policy) == (600, "reserve_again")
    assert settings.is_postgres and not settings.uses_redis
    with pytest.raises(ConfigError, match="YECAI_LATE_PAYMENT_POLICY"):
        load_settings(environ={"YECAI_LATE_PAYMENT_POLICY": "keep_it"})
    with pytest.raises(ConfigError, match="YECAI_ORDER_AUTO_CANCEL_SECONDS must be an integer"):
        load_settings(environ={"YECAI_ORDER_AUTO_CANCEL_SECONDS": "soon"})
