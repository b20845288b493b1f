"""The drills' own production stack: a private PostgreSQL cluster, a private Redis, gunicorn app
nodes, rq workers and nginx, each a real process on a free loopback port that a drill may kill.

Nothing here touches the machine's shared PostgreSQL (5432) or Redis (6379): the cluster is made by
initdb in a temporary folder and started with pg_ctl, Redis is a redis-server of our own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("YECAI_PG_BIN", "/usr/lib/postgresql/15/bin"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_programs(*names: str) -> None:
    """Fail (CI) or skip (a laptop without them) when a program the drill runs is missing."""
    missing = [n for n in names if not (Path(n).is_file() if "/" in n else shutil.which(n))]
    if missing:
        problem = f"{', '.join(missing)} (the drills run their own PostgreSQL, Redis and nginx)"
        if IN_CI:
            pytest.fail(f"CI requires {problem}", pytrace=False)
        pytest.skip(f"not installed: {problem}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, ready: Callable[[], bool], seconds: float = 30.0, every: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(every)
    raise TimeoutError(f"{what} not ready within {seconds} s")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _as_postgres_owner(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI containers and this machine run tests as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    """A PostgreSQL 15 cluster of our own: initdb in `root`, started and stopped with pg_ctl."""

    def __init__(self, root: Path) -> None:
        require_programs(str(PG_BIN / "initdb"), str(PG_BIN / "pg_ctl"), str(PG_BIN / "pg_dump"))
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            os.chmod(root, 0o755)  # the postgres user must reach its folder
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                 "--locale=C")  # fmt: skip

    def _pg(self, program: str, *args: str) -> None:
        command = _as_postgres_owner([str(PG_BIN / program), *args])
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            "-c fsync=off -c full_page_writes=off"  # the machine does not crash, only the server
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "30", "-o", options,
                 "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """fast: roll back open transactions and shut down; immediate: die as on a crash."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def create_database(self, name: str, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)

    def program(self, name: str) -> str:
        return str(PG_BIN / name)


class PrivateRedis:
    """A redis-server of our own, without persistence: a restart loses whatever was queued in it."""

    def __init__(self, root: Path) -> None:
        require_programs("redis-server")
        self.port = free_port()
        self.log = root / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_until("redis", lambda: _accepts(self.port), 10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


def app_environment(database_url: str, redis_url: str, queue: str, credentials_env: dict[str, str],
                    sandbox_base: str, instance: Path, public_base_url: str) -> dict[str, str]:  # fmt: skip
    return {
        **os.environ,
        **credentials_env,
        "YECAI_DATABASE_URL": database_url,
        "YECAI_REDIS_URL": redis_url,
        "YECAI_RQ_QUEUE": queue,
        "YECAI_SECRET_KEY": "drill-secret-key-0123456789abcdef",
        "YECAI_INSTANCE_DIR": str(instance),
        "YECAI_WECHAT_API_BASE": sandbox_base + "/wx",
        "YECAI_WECHATPAY_BASE": sandbox_base + "/pay",
        "YECAI_PUBLIC_BASE_URL": public_base_url,
        "YECAI_DB_POOL_SIZE": "8",
        "YECAI_COSTLY_REQUESTS_PER_MINUTE": "100000",
        "PYTHONUNBUFFERED": "1",
    }


class Process:
    """One supervised process (an app node or a worker) that a drill kills and starts again."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Its own process group, so a kill of the node takes its workers with it.
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (a node's master and its workers), as a crash would."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []


class AppNode(Process):
    """gunicorn with deploy/gunicorn.conf.py, as production runs it."""

    def __init__(self, name: str, env: dict[str, str], log: Path, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        env = {**env, "YECAI_BIND": f"127.0.0.1:{self.port}", "YECAI_WORKERS": str(workers),
               "YECAI_THREADS": str(threads)}  # fmt: skip
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--access-logfile",
                   "/dev/null", "backend.wsgi:app"]  # fmt: skip
        super().__init__(name, command, env, log)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_until(f"app node {self.name}", self.ready, 60, 0.2)

    def ready(self) -> bool:
        import requests

        try:
            return requests.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


class JobWorker(Process):
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        super().__init__(name, [str(BIN / "yecai"), "worker"], env, log)


def yecai_check(env: dict[str, str]) -> tuple[int, str]:
    """`yecai check` as an operator runs it: its exit status and what it printed."""
    result = subprocess.run([str(BIN / "yecai"), "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    return result.returncode, result.stdout + result.stderr


class Nginx:
    """Debian's nginx with a test variant of deploy/nginx.conf: the same server block, plain HTTP on a
    free port, the drill's app nodes as the upstream, logs and temp files in the drill's folder."""

    def __init__(self, root: Path, upstreams: list[str]) -> None:
        require_programs("nginx")
        self.root = root / "nginx"
        self.root.mkdir()
        os.chmod(self.root, 0o777)  # worker processes may run as another user
        self.port = free_port()
        self.conf = self.root / "nginx.conf"
        self.conf.write_text(test_variant(upstreams, self.port, self.root))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = ["nginx", "-p", str(self.root), "-c", str(self.conf), "-e", str(self.root / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx refused the generated config: {check.stderr}")
        self.process = subprocess.Popen(command, start_new_session=True)
        wait_until("nginx", lambda: _accepts(self.port), 10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def test_variant(upstreams: list[str], port: int, root: Path) -> str:
    """deploy/nginx.conf's upstream and server blocks, made runnable without TLS or root paths."""
    deployed = (ROOT / "deploy" / "nginx.conf").read_text()
    lines: list[str] = []
    upstream_written = False
    for line in deployed.splitlines():
        stripped = line.strip()
        if stripped.startswith(("server 127.0.0.1:", "# server ")):
            if not upstream_written:
                lines.extend(f"    server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)
                upstream_written = True
        elif stripped.startswith("listen "):
            lines.append(f"    listen 127.0.0.1:{port};")
        elif stripped.startswith(("ssl_", "server_name")):
            continue
        else:
            lines.append(line)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\ndaemon off;\npid {root}/nginx.pid;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n"
        f"  fastcgi_temp_path {root}/fastcgi;\n  uwsgi_temp_path {root}/uwsgi;\n  scgi_temp_path {root}/scgi;\n"
        + "\n".join(lines)
        + "\n}\n"
    )


@contextmanager
def running(*processes: Any) -> Iterator[None]:
    """Start them in order; on the way out kill whatever is still running, whatever happened."""
    started: list[Any] = []
    try:
        for p in processes:
            p.start()
            started.append(p)
        yield
    finally:
        for p in reversed(started):
            with suppress(Exception):
                p.stop() if isinstance(p, Nginx) else p.kill()
