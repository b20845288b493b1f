"""The `yecai` command: serve, demo, db upgrade, worker, check, create-user, sandbox."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import click

from backend.config import ConfigError, Settings, load_settings, require_secrets


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc))


def _database(settings: Settings) -> Any:
    from backend import runtime

    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    return runtime.configure(settings)


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


def _serve(app: Any, settings: Settings, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    scheduler = None
    if not settings.uses_redis:
        from backend.jobs.schedule import InProcessScheduler

        scheduler = InProcessScheduler()
        scheduler.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler:
            scheduler.stop()


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def serve(host: str, port: int) -> None:
    """Run the app (single process). In production run gunicorn: see deploy/."""
    from backend import create_app

    settings = _settings()
    try:
        require_secrets(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    _serve(create_app(settings), settings, host, port)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--instance", default="instance/demo", help="folder for the demo database and logins")
def demo(host: str, port: int, instance: str) -> None:
    """Start the whole product on the embedded default with demo data and the WeChat sandbox."""
    from backend import create_app, demo, migrate
    from payments.sandbox import create_sandbox_app, generate_credentials

    base = f"http://{host}:{port}"
    credentials = generate_credentials()
    env = {**os.environ, **credentials.to_env()}
    settings = _settings(
        environ=env,
        instance_dir=str(Path(instance).resolve()),
        secret_key=os.environ.get("YECAI_SECRET_KEY") or secrets.token_urlsafe(32),
        wechat_api_base=f"{base}/sandbox/wx",
        wechatpay_base=f"{base}/sandbox/pay",
        public_base_url=base,
        mount_sandbox=True,
    )
    database = _database(settings)
    applied = migrate.upgrade(database)
    logins = demo.load(settings.instance_dir)
    # The sandbox delivers payment notifications to our notify URL on WeChat's retry schedule.
    app = create_app(settings, sandbox=create_sandbox_app(credentials, deliver_in_background=True))
    click.echo(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")
    click.echo(f"yecai demo: {base}/api/docs  (WeChat sandbox at {base}/sandbox)")
    click.echo(f"database: {settings.database_url}")
    for username, password in logins.items():
        click.echo(f"  login {username:12s} password {password}")
    click.echo(f"verify the books: YECAI_INSTANCE_DIR={instance} .venv/bin/yecai check")
    _serve(app, settings, host, port)


@main.command()
@click.option("--burst", is_flag=True, help="drain the queue and exit")
def worker(burst: bool) -> None:
    """Run an rq worker with the scheduler and the periodic jobs (needs YECAI_REDIS_URL)."""
    from rq import SimpleWorker

    from backend.jobs import dispatch
    from backend.jobs.schedule import RqPeriodicEnqueuer

    settings = _settings()
    if not settings.uses_redis:
        raise click.ClickException("YECAI_REDIS_URL is not set: without Redis, jobs run inside `yecai serve`")
    _database(settings)
    queue = dispatch.rq_queue()
    # SimpleWorker runs jobs in this process: no fork, so pooled database connections stay valid.
    rq_worker = SimpleWorker([queue], connection=dispatch.redis_connection(), serializer=queue.serializer)
    enqueuer = RqPeriodicEnqueuer()
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
