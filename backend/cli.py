"""The `yecai` command: serve, demo, db upgrade, worker, check, create-user, sandbox."""

from __future__ import annotations

import errno
import getpass
import os
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from backend.config import ConfigError, Settings, load_settings, require_secrets

if TYPE_CHECKING:
    from flask import Flask


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc))


def _database(settings: Settings) -> Any:
    from backend import wiring

    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    return wiring.configure(settings)


@click.group()
def main() -> None:
    """业财 yecai — sales, receivables, stock and books for a small merchant."""


@main.group()
def db() -> None:
    """Database schema: migrations and the drift check."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from backend import migrate

    database = _database(_settings())
    applied = migrate.upgrade(database)
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


@db.command("status")
def db_status() -> None:
    """List migrations and whether each is applied."""
    from backend import migrate

    database = _database(_settings())
    for m in migrate.runner(database).status():
        click.echo(f"{'applied' if m.applied else 'pending'}  {m.name}")


@db.command("check-drift")
def db_check_drift() -> None:
    """Exit non-zero if the migrated schema differs from the models (run on a migrated database)."""
    from backend import migrate

    database = _database(_settings())
    pending = migrate.pending(database)
    if pending:
        raise click.ClickException("pending migrations: " + ", ".join(pending))
    problems = migrate.drift(database)
    for line in problems:
        click.echo(f"drift: {line}", err=True)
    if problems:
        sys.exit(1)
    click.echo("no drift: models and migrations agree")


@main.command()
@click.option("--orders", default=1_000_000, show_default=True, type=click.IntRange(1, 50_000_000))
@click.option("--days", default=730, show_default=True, type=click.IntRange(1, 3650))
@click.option(
    "--on-account",
    default=0.15,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="share of orders sold to distributors on account",
)
@click.option(
    "--partial",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="share of on-account invoices paid in two parts (aging benchmarks: 0.3)",
)
def generate(orders: int, days: int, on_account: float, partial: float) -> None:
    """Write a busy shop's history in bulk (PostgreSQL, empty database): for benchmarks."""
    import time

    from backend.dashboard.generate import Plan
    from backend.dashboard.generate import generate as write_history

    _database(_settings())
    started = time.perf_counter()
    try:
        write_history(Plan(orders=orders, days=days, on_account=on_account, partial=partial), echo=click.echo)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"generated {orders} orders over {days} days in {time.perf_counter() - started:.1f} s")


@main.command()
def check() -> None:
    """Verify every invariant of the data; exit non-zero and name each break."""
    from backend import checks

    _database(_settings())
    results = checks.run_all()
    broken = 0
    for result in results:
        if result.ok:
            click.echo(f"ok     {result.name}")
        else:
            for problem in result.problems:
                broken += 1
                click.echo(f"BROKEN {result.name}: {problem}")
    click.echo(f"{len(results)} checks, {broken} breaks")
    if broken:
        sys.exit(1)


@main.command("create-user")
@click.option("--role", type=click.Choice(["owner", "staff", "distributor", "customer"]), required=True)
@click.option("--username")
@click.option("--phone")
@click.option("--name", "display_name", default="")
@click.option("--password", help="prompted for when omitted")
def create_user(
    role: str, username: str | None, phone: str | None, display_name: str, password: str | None
) -> None:
    """Create an account (e.g. the first owner)."""
    from backend.auth import services
    from backend.errors import DomainError

    _database(_settings())
    if password is None:
        password = getpass.getpass("password: ")
    try:
        user = services.create_user(
            role, username=username, phone=phone, display_name=display_name, password=password
        )
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message_zh} / {exc.message_en}")
    click.echo(f"created {role} #{user.id}")


def _listen(host: str, port: int, retry: str) -> socket.socket:
    """Take the port before anything else, so a busy port fails at once with the way out.

    ``retry`` is the command to suggest, with ``{port}`` where the next port goes.
    """
    from werkzeug.serving import get_sockaddr, select_address_family

    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server would: TIME_WAIT is fine
    try:
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            hint = retry.format(port=port + 1)
            raise click.ClickException(f"端口 {port} 已被占用 / port {port} is in use: try `{hint}`")
        raise click.ClickException(f"无法监听 / cannot listen on {host}:{port}: {exc.strerror}")
    return sock


def _serve(app: Any, settings: Settings, host: str, port: int, sock: socket.socket) -> None:
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True, fd=sock.fileno())
    sock.close()  # the server works on its own duplicate of the socket
    scheduler = None
    if not settings.uses_redis:
        from backend.jobs.schedule import InProcessScheduler
        from backend.wiring import PERIODIC

        scheduler = InProcessScheduler(PERIODIC)
        scheduler.start()
    try:
        server.log_startup()
        server.serve_forever()
    finally:
        if scheduler:
            scheduler.stop()


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int, show_default=True)
def serve(host: str, port: int) -> None:
    """Run the app (single process). In production run gunicorn: see deploy/."""
    from backend import create_app

    settings = _settings()
    try:
        require_secrets(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    sock = _listen(host, port, "yecai serve --port {port}")
    _serve(create_app(settings), settings, host, port, sock)


# Refunds stay "in progress" this long in the demo, so there is time to see them pending and
# finish one from the payer page (WeChat itself takes seconds to days).
DEMO_REFUND_SECONDS = 300.0
DEMO_SANDBOX_FILE = "wechat-sandbox.json"


@dataclass
class Demo:
    app: Flask
    sandbox: Flask
    settings: Settings
    logins: dict[str, Any]
    applied: list[str]
    sandbox_token: str  # the sandbox's control endpoints and payer page need it


def build_demo(instance: str, base: str, *, deliver_in_background: bool = True) -> Demo:
    """The whole product on the embedded default: migrated database, demo data, and the WeChat
    sandbox at ``/sandbox``, restored from (and saving to) the instance folder so a restart keeps
    every earlier payment, refund and login."""
    from backend import create_app, demo, migrate
    from payments.sandbox import create_sandbox_app
    from payments.sandbox.persistence import SandboxStore, SandboxStoreError

    instance_dir = Path(instance).resolve()
    store = SandboxStore(instance_dir / DEMO_SANDBOX_FILE)
    sandbox_token = demo.sandbox_token(str(instance_dir))
    try:
        credentials = store.credentials()
        sandbox = create_sandbox_app(
            credentials,
            deliver_in_background=deliver_in_background,
            refund_seconds=DEMO_REFUND_SECONDS,
            store=store,
            control_token=sandbox_token,
        )
    except SandboxStoreError as exc:
        raise click.ClickException(str(exc))
    env = {**os.environ, **credentials.to_env()}
    settings = _settings(
        environ=env,
        instance_dir=str(instance_dir),
        secret_key=os.environ.get("YECAI_SECRET_KEY") or secrets.token_urlsafe(32),
        wechat_api_base=f"{base}/sandbox/wx",
        wechatpay_base=f"{base}/sandbox/pay",
        public_base_url=base,
        mount_sandbox=True,
        printer_url=f"{base}/sandbox/printer/counter",  # receipts print into the sandbox
    )
    database = _database(settings)
    applied = migrate.upgrade(database)
    logins = demo.load(settings.instance_dir)
    # The sandbox delivers payment notifications to our notify URL on WeChat's retry schedule.
    app = create_app(settings, sandbox=sandbox)
    return Demo(app, sandbox, settings, logins, applied, sandbox_token)


@main.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--instance", default="instance/demo", help="folder for the demo database, logins and sandbox")
def demo_command(host: str, port: int, instance: str) -> None:
    """Start the whole product on the embedded default with demo data and the WeChat sandbox."""
    from backend import demo
    from payments.sandbox.guard import TOKEN_HEADER

    sock = _listen(host, port, "python3 dev.py demo --port {port}")
    base = f"http://{host}:{port}"
    built = build_demo(instance, base)
    settings = built.settings
    click.echo(f"migrations applied: {', '.join(built.applied) or 'none (up to date)'}")
    click.echo(f"yecai demo: {base}/  (首页 start here)")
    click.echo(f"  API docs 接口文档      {base}/api/docs")
    click.echo(f"  payer page 付款页面    {base}/sandbox/unlock?token={built.sandbox_token}")
    click.echo("    (opening it once lets this browser in; 打开一次后本浏览器即可使用)")
    click.echo(f"sandbox control token 沙箱口令 ({demo.sandbox_token_file(settings.instance_dir)}):")
    click.echo(f"  {TOKEN_HEADER}: {built.sandbox_token}")
    click.echo(f"database: {settings.database_url}")
    click.echo(f"WeChat sandbox state: {Path(settings.instance_dir) / DEMO_SANDBOX_FILE}")
    click.echo(f"logins ({demo.logins_file(settings.instance_dir)}):")
    for username, password in built.logins.items():
        click.echo(f"  login {username:12s} password {password}")
    click.echo(f"verify the books: YECAI_INSTANCE_DIR={instance} .venv/bin/yecai check")
    _serve(built.app, settings, host, port, sock)


@main.command()
@click.option("--burst", is_flag=True, help="drain the queue and exit")
def worker(burst: bool) -> None:
    """Run an rq worker with the scheduler and the periodic jobs (needs YECAI_REDIS_URL)."""
    from backend.jobs import dispatch
    from backend.jobs.rq_worker import Worker
    from backend.jobs.schedule import RqPeriodicEnqueuer
    from backend.jobs.worker_children import die_with_this_process
    from backend.wiring import PERIODIC

    settings = _settings()
    if not settings.uses_redis:
        raise click.ClickException("YECAI_REDIS_URL is not set: without Redis, jobs run inside `yecai serve`")
    _database(settings)
    queue = dispatch.rq_queue()
    rq_worker = Worker([queue], connection=dispatch.redis_connection(), serializer=queue.serializer)
    die_with_this_process()  # rq's scheduler child must not outlive a worker killed with -9
    enqueuer = RqPeriodicEnqueuer(PERIODIC)
    if not burst:
        enqueuer.start()
    try:
        rq_worker.work(burst=burst, with_scheduler=True)
    finally:
        enqueuer.stop()


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8090, type=int)
def sandbox(host: str, port: int) -> None:
    """Run the WeChat simulator alone; prints the YECAI_* settings that point the app at it."""
    from payments.sandbox import serve

    serve(host, port)


if __name__ == "__main__":
    main()
