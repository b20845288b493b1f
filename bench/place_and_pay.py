"""Place-and-pay throughput: the app over HTTP under gunicorn vs the same SQL under pgbench.

Creates a fresh PostgreSQL database, migrates and seeds it, starts gunicorn against it, and drives
`POST /api/counter-sales` (a counter sale placed and paid in cash: one business transaction) from
N keep-alive client connections. Then runs pgbench with `place_and_pay.pgbench`, the bare SQL that
transaction writes, at the same client counts. Both runs spread sales over many SKUs, then hit one
hot SKU. Prints throughput, latency percentiles and the app/pgbench ratio. See bench/README.md.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRIPT = ROOT / "bench" / "place_and_pay.pgbench"
PASSWORD = "bench-password-1"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def admin(admin_url: str) -> Any:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    return conn


def seed(url: str, skus: int) -> dict[str, Any]:
    """Migrate and seed through the real services: a staff login, a warehouse, SKUs with stock."""
    from backend import migrate, runtime, wiring
    from backend.auth import services as auth
    from backend.config import load_settings
    from backend.inventory.services import receive_purchase
    from store import catalog

    database = wiring.configure(load_settings(database_url=url, secret_key="bench-secret-key-0123456789"))
    migrate.upgrade(database)
    auth.create_user("staff", username="bench", password=PASSWORD)
    token = auth.login_with_password(
        "bench", PASSWORD, 3600, guard=runtime.login_guard(), address="127.0.0.1"
    ).token
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("压测商品")
    ids = []
    for n in range(skus):
        sku = catalog.create_sku(product.id, name=f"SKU {n}", price_fen=1130)
        receive_purchase(sku.id, warehouse.id, 1_000_000, 500)
        ids.append(sku.id)
    walk_in = catalog.walk_in_customer()  # made once here, not raced by the first sales
    database.close_all()  # type: ignore[attr-defined]
    return {"token": token, "skus": ids, "warehouse": warehouse.id, "customer": walk_in.id}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(
    app: str, port: int, workers: int, threads: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-w", str(workers), "-k", "gthread", "--threads", str(threads),
        "-b", f"127.0.0.1:{port}", "--keep-alive", "60", "--log-level", "warning", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 404):  # the floor app has no /healthz
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn ({app}) did not start")


def app_env(url: str, threads: int, redis_url: str) -> dict[str, str]:
    return {
        "YECAI_DATABASE_URL": url,
        "YECAI_SECRET_KEY": "bench-secret-key-0123456789",
        "YECAI_INSTANCE_DIR": tempfile.mkdtemp(prefix="yecai-bench-"),
        "YECAI_DB_POOL_SIZE": str(threads + 2),
        "YECAI_REDIS_URL": redis_url,
    }


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """An rq worker, so the sales' outbox jobs are done during the run, not left queued."""
    command = [str(Path(sys.executable).parent / "yecai"), "worker"]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)


def drive(
    client: str, port: int, token: str, sku_ids: list[int], clients: int, seconds: float
) -> dict[str, float]:
    if client == "wrk":
        return drive_wrk(port, token, sku_ids, clients, seconds)
    return drive_python(port, token, sku_ids, clients, seconds)


def drive_wrk(port: int, token: str, sku_ids: list[int], clients: int, seconds: float) -> dict[str, float]:
    """wrk (a C client, like pgbench's) with a fresh Idempotency-Key per request; see counter_sale.lua."""
    command = [
        "wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "-s", str(ROOT / "bench" / "counter_sale.lua"),
        f"http://127.0.0.1:{port}/api/counter-sales", "--", str(min(sku_ids)), str(max(sku_ids)), token,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
    return {
        "tps": float(found["ok"]) / float(found["seconds"]),
        "p50": float(found["p50_ms"]),
        "p99": float(found["p99_ms"]),
        "failed": float(found["requests"]) - float(found["ok"]),
    }


def drive_python(port: int, token: str, sku_ids: list[int], clients: int, seconds: float) -> dict[str, float]:
    """N keep-alive connections from Python threads, each posting counter sales back to back."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(i)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            body = json.dumps({"items": [{"sku_id": rng.choice(sku_ids), "quantity": 1}]})
            headers = {
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": "application/json",
            }
            began = time.perf_counter()
            conn.request("POST", "/api/counter-sales", body, headers)
            response = conn.getresponse()
            response.read()
            if response.status == 201:
                latencies[i].append(time.perf_counter() - began)
            else:
                failures[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    done = [x for per in latencies for x in per]
    return {
        "tps": len(done) / elapsed,
        "p50": percentile(done, 50) * 1000,
        "p99": percentile(done, 99) * 1000,
        "failed": float(sum(failures)),
    }


def run_pgbench(
    dbname: str, clients: int, seconds: int, lo: int, hi: int, seed_ids: dict[str, Any]
) -> dict[str, float]:
    pgbench = (
        "pgbench"
        if subprocess.run(["which", "pgbench"], capture_output=True).returncode == 0
        else ("/usr/lib/postgresql/15/bin/pgbench")
    )
    logdir = tempfile.mkdtemp(prefix="pgbench-")
    command = [
        pgbench, "-n", "-h", "127.0.0.1", "-U", "postgres", "-f", str(SCRIPT),
        "-c", str(clients), "-j", str(min(clients, 4)), "-T", str(seconds),
        "-D", f"lo={lo}", "-D", f"hi={hi}", "-D", f"wh={seed_ids['warehouse']}", "-D", f"cust={seed_ids['customer']}",
        "-l", "--log-prefix", f"{logdir}/tx", dbname,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", out)
    latencies = []
    for path in glob.glob(f"{logdir}/tx*"):
        with open(path) as f:
            latencies += [int(line.split()[2]) / 1000 for line in f if line.strip()]
    return {
        "tps": tps,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "failed": float(failed.group(1)) if failed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--clients", default="8,16,32")
    parser.add_argument("--hot-clients", default="8,32")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--skus", type=int, default=64)
    # Measured on 2 CPUs: one worker per CPU with 4 threads beat 4x8, 3x4 and 4x4 (fewer
    # PostgreSQL connections contend less, fewer threads fight less over the GIL).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="HTTP load generator (default: wrk when installed, a C client like pgbench's)",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="send outbox jobs to rq (a worker runs during the benchmark) instead of running them in-process",
    )
    parser.add_argument(
        "--floor", action="store_true", help="also serve bench/floor_app.py (bare Flask + the pgbench SQL)"
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    dbname = f"yecai_bench_{uuid.uuid4().hex[:8]}"
    base = args.admin_url.rsplit("/", 1)[0]
    conn = admin(args.admin_url)
    conn.cursor().execute(f'CREATE DATABASE "{dbname}"')
    url = f"{base}/{dbname}"
    rows = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        ids = seed(url, args.skus)
        env = app_env(url, args.threads, args.redis_url)
        port, floor_port = free_port(), free_port()
        processes.append(start_gunicorn("backend.wsgi:app", port, args.workers, args.threads, env))
        if args.redis_url:
            processes.append(start_worker(env))
        if args.floor:
            floor_env = {
                "FLOOR_DATABASE_URL": url,
                "FLOOR_WAREHOUSE": str(ids["warehouse"]),
                "FLOOR_CUSTOMER": str(ids["customer"]),
            }
            processes.append(
                start_gunicorn("bench.floor_app:app", floor_port, args.workers, args.threads, floor_env)
            )
        drive("python", port, ids["token"], ids["skus"], 4, 2)  # warm up every worker's pool and imports
        plans = [("spread", int(n), ids["skus"]) for n in args.clients.split(",") if n]
        plans += [("hot SKU", int(n), ids["skus"][:1]) for n in args.hot_clients.split(",") if n]
        for label, clients, skus in plans:
            app = drive(args.client, port, ids["token"], skus, clients, args.seconds)
            floor = drive(args.client, floor_port, "", skus, clients, args.seconds) if args.floor else None
            pg = run_pgbench(dbname, clients, args.seconds, min(skus), max(skus), ids)
            rows.append((label, clients, app, floor, pg))
            print(
                f"{label:8} c={clients:<3} app {app['tps']:7.1f} tps p99 {app['p99']:7.1f} ms | "
                + (f"floor {floor['tps']:7.1f} tps | " if floor else "")
                + f"pgbench {pg['tps']:7.1f} tps p99 {pg['p99']:6.1f} ms | ratio {app['tps'] / pg['tps']:.0%}",
                flush=True,
            )
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)
        if not args.keep_db:
            conn.cursor().execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
            conn.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}"')
    print()
    jobs = (
        f"outbox jobs via rq ({args.redis_url}, a worker running)"
        if args.redis_url
        else "outbox jobs in-process"
    )
    print(
        f"gunicorn -w {args.workers} -k gthread --threads {args.threads}; {jobs}; client {args.client}; "
        f"{args.seconds}s per run; {os.cpu_count()} CPUs"
    )
    floor_head = " floor tps | floor/pgbench |" if args.floor else ""
    print(
        "| scenario | clients | app tps | app p50 ms | app p99 ms | app errors |"
        + floor_head
        + " pgbench tps | pgbench p99 ms | app/pgbench |"
    )
    print("|---" * (9 + (2 if args.floor else 0)) + "|")
    for label, clients, app, floor, pg in rows:
        floor_cells = f" {floor['tps']:.0f} | {floor['tps'] / pg['tps']:.0%} |" if floor else ""
        print(
            f"| {label} | {clients} | {app['tps']:.0f} | {app['p50']:.1f} | {app['p99']:.1f} | {app['failed']:.0f} |"
            + floor_cells
            + f" {pg['tps']:.0f} | {pg['p99']:.1f} | {app['tps'] / pg['tps']:.0%} |"
        )


if __name__ == "__main__":
    main()
