"""`yecai worker` killed with -9 leaves no child behind: rq's scheduler child dies with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_killed_with_minus_9_takes_its_scheduler_child_with_it(tmp_path):
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.skip(f"Redis is not reachable: {exc}")
    env = {
        **os.environ,
        "YECAI_INSTANCE_DIR": str(tmp_path),
        "YECAI_DATABASE_URL": f"sqlite:///{tmp_path}/worker.sqlite3",
        "YECAI_REDIS_URL": REDIS_URL,
        "YECAI_RQ_QUEUE": f"yecai-test-worker-{uuid.uuid4().hex[:8]}",
    }
    run = [sys.executable, "-m", "backend.cli"]
    subprocess.run(
        [*run, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=60
    )
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([*run, "worker"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    children: list[int] = []
    try:
        assert _wait_for(lambda: bool(_children(worker.pid)), 30), (tmp_path / "worker.log").read_text()
        children = _children(worker.pid)
        assert len(children) == 1  # rq's scheduler, forked by the worker
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
        assert _wait_for(lambda: not any(_alive(c) for c in children), 10), (
            "the scheduler outlived its worker"
        )
    finally:
        for pid in [worker.pid, *children]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        log.close()
