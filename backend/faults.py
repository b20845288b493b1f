"""Named crash points: where the drills kill a process with SIGKILL, as a power cut or the OOM
killer would, to prove a sale or a job interrupted at that exact step lands once after a retry.

Inert in production: without YECAI_FAULTS_DIR every `crash_point()` returns at once. A drill sets
that folder and arms a point by creating a file named after it; the first process to pass the
point removes the file (so only one dies) and kills itself. Named points instead of kills timed at
random: each step is hit every run, on a 2-CPU CI machine as on a fast one.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

_FOLDER = os.environ.get("YECAI_FAULTS_DIR") or None


def crash_point(name: str) -> None:
    """Die here if a drill armed `name`; otherwise (always, in production) do nothing."""
    if _FOLDER is None:
        return
    try:
        os.unlink(os.path.join(_FOLDER, name))
    except FileNotFoundError:
        return
    log.warning("crash point %s: killing process %s", name, os.getpid())
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.kill(os.getpid(), signal.SIGKILL)
