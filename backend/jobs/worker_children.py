"""A `yecai worker`'s child processes die with it.

The worker runs jobs in its own process (rq's SimpleWorker: no work horse to outlive it), but rq forks a
scheduler child that moves delayed and retried jobs onto the queue. If the worker is killed with -9
(the OOM killer, `systemctl kill`), nothing tells that child: it would keep running unsupervised,
holding the scheduler lock, beside the worker systemd starts in its place. On Linux every child the
worker forks asks the kernel for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG); rq's scheduler
stops on SIGTERM and releases its lock.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_forking: dict[str, int] = {}


def _note_parent() -> None:
    _forking["pid"] = os.getpid()


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != _forking.get("pid"):  # the parent died before the request was in place
        os._exit(1)


def die_with_this_process() -> bool:
    """From now on, children forked by this process get SIGTERM when it dies. False off Linux."""
    if not sys.platform.startswith("linux"):
        return False
    os.register_at_fork(before=_note_parent, after_in_child=_die_with_parent)
    return True
