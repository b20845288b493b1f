"""What the drills do to the product: seed a shop, sell through the HTTP API as a till would
(retrying a failed request with the same Idempotency-Key), count what landed and what WeChat saw."""

from __future__ import annotations

import collections
import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.drills.stack import (
    AppNode,
    JobWorker,
    Nginx,
    PrivatePostgres,
    PrivateRedis,
    app_environment,
    yecai_check,
)

PASSWORD = "drill-password-1"
PRICE_FEN = 1130
# Answers that say "not now", after which the same request (same key) is sent again.
RETRIED_STATUSES = (502, 503, 504)


class Drill:
    """One drill's database, sandbox and processes."""

    def __init__(self, pg: PrivatePostgres, redis: PrivateRedis, sandbox: Any, url: str, folder: Path,
                 queue: str) -> None:  # fmt: skip
        self.pg, self.redis, self.sandbox, self.url, self.folder, self.queue = (
            pg,
            redis,
            sandbox,
            url,
            folder,
            queue,
        )
        self.database = url.rsplit("/", 1)[1]
        self.faults = folder / "faults"
        self.faults.mkdir()
        self.public_base_url = ""  # where WeChat's notifications go: set when the first node starts
        self.processes: list[Any] = []
        self.token = ""
        self.sku_ids: list[int] = []
        self.warehouse_id = 0

    def env(self) -> dict[str, str]:
        env = app_environment(self.url, self.redis.url, self.queue, self.sandbox.credentials.to_env(),
                              self.sandbox.base_url, self.folder, self.public_base_url or "http://127.0.0.1:9")  # fmt: skip
        env["YECAI_FAULTS_DIR"] = str(self.faults)
        env["YECAI_OUTBOX_REDELIVER_SECONDS"] = "2"
        return env

    def node(self, name: str = "web", workers: int = 2, threads: int = 4) -> AppNode:
        node = AppNode(name, self.env(), self.folder / f"{name}.log", workers, threads)
        if not self.public_base_url:  # WeChat's notifications go to the first node unless set before
            self.public_base_url = node.base_url
            node.env["YECAI_PUBLIC_BASE_URL"] = node.base_url
        node.start()
        self.processes.append(node)
        return node

    def worker(self, name: str = "worker") -> JobWorker:
        worker = JobWorker(name, self.env(), self.folder / f"{name}.log")
        worker.start()
        self.processes.append(worker)
        return worker

    def nginx(self, nodes: list[AppNode]) -> Nginx:
        proxy = Nginx(self.folder, [f"127.0.0.1:{n.port}" for n in nodes])
        proxy.start()
        self.processes.append(proxy)
        return proxy

    def stop_all(self) -> None:
        for p in reversed(self.processes):
            with contextlib.suppress(Exception):
                p.stop() if isinstance(p, Nginx) else p.kill()

    def arm(self, point: str) -> None:
        """The next process to pass this crash point dies there with SIGKILL (backend/faults.py)."""
        (self.faults / point).touch()

    def armed(self, point: str) -> bool:
        return (self.faults / point).exists()

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        return self.pg.execute(statement, self.database)

    def scalar(self, statement: str) -> Any:
        return self.sql(statement)[0][0]

    def check(self) -> tuple[int, str]:
        return yecai_check(self.env())

    def till(self, base_url: str, tally: Tally | None = None) -> Till:
        return Till(base_url, self.token, tally or Tally())


def here(drill: Drill) -> Any:
    """Bind this (the test's) process to the drill's database and Redis, as a worker would be."""
    from backend import wiring
    from backend.config import load_settings

    settings = load_settings(
        database_url=drill.url, redis_url=drill.redis.url, rq_queue=drill.queue,
        secret_key="drill-secret-key-0123456789abcdef", instance_dir=str(drill.folder),
    )  # fmt: skip
    return wiring.configure(settings)


def seed(drill: Drill) -> None:
    """A staff login, a warehouse and SKUs with stock, written through the services."""
    from backend import migrate, runtime
    from backend.auth import services as auth
    from backend.inventory.services import receive_purchase
    from store import catalog

    database = here(drill)
    migrate.upgrade(database)  # a no-op on the migrated template; proves it is current
    auth.create_user("staff", username="till", password=PASSWORD)
    drill.token = auth.login_with_password(
        "till", PASSWORD, 3600 * 6, guard=runtime.login_guard(), address="127.0.0.1"
    ).token
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("演练商品")
    for n in range(4):
        sku = catalog.create_sku(product.id, name=f"SKU {n}", price_fen=PRICE_FEN)
        receive_purchase(sku.id, warehouse.id, 100_000, 500)
        drill.sku_ids.append(sku.id)
    drill.warehouse_id = warehouse.id
    catalog.walk_in_customer()
    database.close_all()  # type: ignore[attr-defined]


@dataclass
class Tally:
    """Every attempt the clients made, by what came back."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    requests: int = 0  # distinct requests (keys), however many attempts each took
    accepted: int = 0
    gave_up: int = 0

    def attempt(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def request(self, accepted: bool, gave_up: bool = False) -> None:
        with self.lock:
            self.requests += 1
            self.accepted += accepted
            self.gave_up += gave_up

    def summary(self) -> str:
        attempts = sum(self.outcomes.values())
        return (f"{self.requests} requests ({attempts} attempts), {self.accepted} accepted, {self.gave_up} given up;"
                f" attempts by answer: {dict(sorted(self.outcomes.items()))}")  # fmt: skip


@dataclass
class Answer:
    status: int
    body: Any
    attempts: int
    failures: list[str]
    sent_at: float = 0.0  # time.monotonic() when first sent, and when answered
    answered_at: float = 0.0


class Till:
    """A staff member's device: each request carries one Idempotency-Key, sent again after a
    connection failure or a 502/503/504 until a real answer comes or the deadline passes."""

    def __init__(self, base_url: str, token: str, tally: Tally) -> None:
        self.base_url, self.tally = base_url, tally
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: dict[str, Any], key: str | None = None, deadline: float = 45.0,
             keyed: bool = True) -> Answer:  # fmt: skip
        headers = {"Idempotency-Key": key or uuid.uuid4().hex} if keyed else {}
        return self._send("POST", path, body, headers, deadline)

    def get(self, path: str, deadline: float = 30.0) -> Answer:
        return self._send("GET", path, None, {}, deadline)

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str], deadline: float) -> Answer:
        failures: list[str] = []
        sent_at = time.monotonic()
        give_up_at = sent_at + deadline
        while True:
            try:
                response = self.session.request(
                    method, self.base_url + path, json=body, headers=headers, timeout=20
                )
            except requests.RequestException as exc:
                outcome = f"connection lost ({type(exc).__name__})"
                self.session.close()  # a fresh connection next time
            else:
                outcome = str(response.status_code)
                if response.status_code not in RETRIED_STATUSES:
                    self.tally.attempt(outcome)
                    self.tally.request(accepted=response.status_code < 300)
                    return Answer(response.status_code, _json(response), len(failures) + 1, failures, sent_at,
                                  time.monotonic())  # fmt: skip
                code = (
                    (_json(response) or {}).get("error", {}).get("code") if _is_json(response) else "not JSON"
                )
                outcome = f"{response.status_code} {code}"
            self.tally.attempt(outcome)
            failures.append(outcome)
            if time.monotonic() > give_up_at:
                self.tally.request(accepted=False, gave_up=True)
                return Answer(0, None, len(failures), failures)
            time.sleep(0.2)


def _is_json(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").startswith("application/json")


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def sale_body(drill: Drill, sku_index: int = 0, quantity: int = 1) -> dict[str, Any]:
    return {"items": [{"sku_id": drill.sku_ids[sku_index], "quantity": quantity}]}


class Load:
    """N tills selling back to back (each sale a new key, retried until answered) until stopped."""

    def __init__(self, drill: Drill, base_url: str, clients: int, make: Any = None) -> None:
        self.tally = Tally()
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._make = make or (
            lambda till, i: till.post("/api/counter-sales", sale_body(drill, i % len(drill.sku_ids)))
        )
        self._threads = [
            threading.Thread(target=self._run, args=(drill.till(base_url, self.tally), i), daemon=True)
            for i in range(clients)
        ]

    def _run(self, till: Till, i: int) -> None:
        while not self._stop.is_set():
            answer = self._make(till, i)
            with self._lock:
                self.answers.append(answer)

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(90)

    def accepted_ids(self) -> list[int]:
        return [a.body["id"] for a in self.answers if 200 <= a.status < 300]


def settle_wechat(drill: Drill) -> None:
    """WeChat's side catches up: refunds finish, due notifications go out, failed ones are retried."""
    for _ in range(3):
        drill.sandbox.advance(60)  # past WeChat's retry gaps (15 s, 15 s, 30 s) and a refund's time
        drill.sandbox.deliver_due()


def wait_for_jobs(drill: Drill, seconds: float = 60.0, restart: Any = None) -> None:
    """Until every outbox row is finished (done or flagged for a person); `restart` revives a killed
    worker, as systemd's Restart=always does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if restart is not None:
            restart()
        open_rows = drill.scalar("SELECT count(*) FROM outbox_message WHERE status IN ('pending', 'sending')")
        if open_rows == 0:
            return
        time.sleep(0.3)
    rows = drill.sql(
        "SELECT id, job, status, attempts, last_error FROM outbox_message WHERE status <> 'done'"
    )
    raise TimeoutError(f"outbox rows still open after {seconds} s: {rows}")


def wechat_books(drill: Drill) -> dict[str, Any]:
    """What WeChat's own records say, next to what the books say, for the same payments and refunds."""
    state = drill.sandbox.state
    with state.lock:
        paid = {
            o.out_trade_no: o.total for o in state.orders.values() if o.trade_state in ("SUCCESS", "REFUND")
        }
        refunds = {r.out_refund_no: r.refund for r in state.refunds.values() if r.status == "SUCCESS"}
        messages = collections.Counter((m.touser, m.template_id, str(m.data)) for m in state.sent_messages)
    booked = dict(
        drill.sql(
            "SELECT out_trade_no, amount_fen FROM payment_record WHERE method LIKE 'wechat%' AND status "
            "= 'succeeded'"
        )
    )
    booked_refunds = dict(
        drill.sql("SELECT out_refund_no, amount_fen FROM refund_record WHERE status = 'succeeded'")
    )
    return {"paid": paid, "booked": booked, "refunds": refunds, "booked_refunds": booked_refunds,
            "messages": messages}  # fmt: skip
