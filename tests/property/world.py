"""The world a sale sequence runs in: a small shop in a fresh database, the WeChat sandbox as the
outside world, and the app served over real HTTP so the sandbox can post its notifications.

Each sequence starts from the same shop. On SQLite the shop is set up once in a template file that
every sequence copies; on PostgreSQL the tables are emptied and the shop set up again.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from backend import clock, migrate, wiring
from backend.config import Settings, load_settings
from backend.db import db

STOCK = (  # name, retail price, distributor price, units on hand, unit cost (fen)
    ("龙井 250g", 1130, 904, 6, 700),
    ("红茶 100g", 565, 452, 4, 300),
    ("矿泉水 550ml", 199, None, 10, 120),
)
MEMBERS = 2
DISTRIBUTORS = ((6000, 30), (3000, 15))  # credit limit (fen), payment terms (days)


@dataclass
class Shop:
    """Ids of what every sequence starts with (the same on every copy)."""

    warehouse_id: int
    staff_id: int
    skus: dict[int, tuple[int, int | None]]  # sku id -> (retail, distributor price)
    stock: dict[int, tuple[int, int]]  # sku id -> (on hand, value fen)
    members: list[tuple[int, int, int, str]]  # (customer id, user id, address id, openid)
    distributors: list[tuple[int, int, str, int]]  # (customer id, user id, openid, credit limit)


def set_up_shop(sandbox: Any) -> Shop:
    from backend import runtime
    from backend.auth import services as auth
    from backend.inventory.services import receive_purchase
    from store import addresses, catalog

    def exchange(code: str) -> dict[str, Any]:
        return runtime.miniprogram_client().wxa.code_to_session(code)

    settings = runtime.settings()
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    staff = auth.create_user("staff", username="counter")
    catalog.walk_in_customer()
    product = catalog.create_product("茶与水")
    skus, stock = {}, {}
    for n, (name, price, distributor_price, on_hand, cost) in enumerate(STOCK):
        sku = catalog.create_sku(
            product.id,
            name=name,
            price_fen=price,
            barcode=f"69000000000{n}",
            distributor_price_fen=distributor_price,
        )
        receive_purchase(sku.id, warehouse.id, on_hand, cost, reference=f"PO-{n}")
        skus[sku.id] = (price, distributor_price)
        stock[sku.id] = (on_hand, on_hand * cost)
    members = []
    for n in range(MEMBERS):
        login = sandbox.login_code()
        token = auth.login_with_wechat(login.code, exchange, 3600, settings.secret_key)
        user_id = token.user.id
        customer = catalog.create_customer("member", f"会员{n}", user_id=user_id)
        address = addresses.create(
            customer.id, name=f"会员{n}", phone="13900000000", region="上海市", detail=f"{n} 号"
        )
        members.append((customer.id, user_id, address.id, login.openid))
    distributors = []
    for n, (limit, terms) in enumerate(DISTRIBUTORS):
        user = auth.create_user("distributor", username=f"dist{n}")
        login = sandbox.login_code()
        auth.bind_wechat(user, login.code, exchange, settings.secret_key)
        customer = catalog.create_customer(
            "distributor", f"批发部{n}", user_id=user.id, credit_limit_fen=limit, payment_terms_days=terms
        )
        distributors.append((customer.id, user.id, login.openid, limit))
    return Shop(warehouse.id, staff.id, skus, stock, members, distributors)


@dataclass
class World:
    """Where sequences run: `fresh()` gives each one a database holding the same shop."""

    kind: str  # sqlite | pg
    base: Settings
    sandbox: Any
    scratch: Path
    template: Path | None = None
    shop: Shop | None = None
    sequences: int = 0
    progress: int = 0  # print a line every this many sequences (the soak)
    current: Path | None = field(default=None)

    def fresh(self, late_payment_policy: str) -> Shop:
        """A new database with the shop in it, the clocks reset, WeChat forgetting the last sequence."""
        self.sequences += 1
        if self.progress and self.sequences % self.progress == 0:
            print(f"{self.sequences} sequences", flush=True)
        clock.reset()
        _forget(self.sandbox)
        if not db.is_closed():
            db.close()
        if self.kind == "sqlite":
            assert self.template is not None
            previous = self.current
            self.current = self.scratch / f"sequence-{self.sequences}.sqlite3"
            shutil.copy(self.template, self.current)
            wiring.configure(
                self.base.with_overrides(
                    database_url=f"sqlite:///{self.current}", late_payment_policy=late_payment_policy
                )
            )
            if previous is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{previous}{suffix}").unlink(missing_ok=True)
            assert self.shop is not None
            return self.shop
        from tests.conftest import _truncate_all

        db.obj.close_all()  # type: ignore[attr-defined]
        wiring.configure(self.base.with_overrides(late_payment_policy=late_payment_policy))
        _truncate_all(db.obj)
        return set_up_shop(self.sandbox)


def _forget(sandbox: Any) -> None:
    """WeChat's memory of the last sequence's payments (its database is gone): nothing is owed."""
    state = sandbox.state
    with state.lock:
        state.notifications.clear()
        state.faults.clear()
        state.orders.clear()
        state.refunds.clear()
        state.payment_codes.clear()
        state.delivery_log.clear()


class _Dispatch:
    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def serving() -> Iterator[tuple[_Dispatch, int]]:
    """The app over real HTTP on a free port (the sandbox posts notifications to it)."""
    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield dispatch, server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def world(kind: str, sandbox: Any, scratch: Path, pg_url: str | None = None) -> Iterator[World]:
    from backend import create_app

    with serving() as (dispatch, port):
        base = load_settings(
            environ=dict(sandbox.credentials.to_env()),
            secret_key="test-secret-key-not-for-production",
            instance_dir=str(scratch),
            testing=True,
            wechat_api_base=sandbox.wx_base,
            wechatpay_base=sandbox.pay_base,
            public_base_url=f"http://127.0.0.1:{port}",
            database_url=pg_url or f"sqlite:///{scratch / 'template.sqlite3'}",
        )
        if kind == "sqlite":
            migrate.upgrade(wiring.configure(base))
        dispatch.app = create_app(base)
        here = World(kind, base, sandbox, scratch)
        if kind == "sqlite":
            here.shop = set_up_shop(sandbox)
            db.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            here.template = scratch / "template.sqlite3"
        try:
            yield here
        finally:
            clock.reset()
            _forget(sandbox)
            if not db.is_closed():
                db.close()
            if kind == "pg":
                from tests.conftest import _truncate_all

                _truncate_all(db.obj)
                db.obj.close_all()  # type: ignore[attr-defined]
