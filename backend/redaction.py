"""Keep secrets out of every log line the product writes.

WeChat's protocol puts the app secret, access tokens and login codes in query strings, so every
access log (werkzeug's, gunicorn's, the sandbox's) would record them, and an exception about a
failed call quotes its URL. ``install`` wraps the log record factory once per process: every
record, from any logger to any handler (gunicorn's access log and pytest's caplog included), is
redacted when it is made, before a handler formats it. Known secret values (the app's settings)
are scrubbed wherever they appear; named parameters and JSON fields are scrubbed by name.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable
from typing import Any

MASK = "[redacted]"

# Names whose values are secret wherever they appear as key=value (query strings, form bodies).
SECRET_NAMES = (
    "secret",
    "appsecret",
    "access_token",
    "js_code",
    "session_key",
    "password",
    "token",
    "sandbox_token",
    "apiv3_key",
    "auth_code",
)
_NAMES = "|".join(SECRET_NAMES)
_PATTERNS = (
    # ?secret=...&access_token=... (stops at the next separator or quote)
    (re.compile(rf"(?i)\b({_NAMES})=([^&\s\"'<>]+)"), rf"\1={MASK}"),
    # "session_key": "...", 'token': '...'
    (re.compile(rf"(?i)([\"']({_NAMES})[\"']\s*:\s*)([\"'])(.*?)\3"), rf"\1\3{MASK}\3"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {MASK}"),
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
        f"-----PRIVATE KEY {MASK}-----",
    ),
)
# Values shorter than this are not scrubbed literally (they would match ordinary text).
MIN_LITERAL = 8

_lock = threading.Lock()
_literals: tuple[str, ...] = ()  # replaced whole under _lock, so readers never see it change
_installed = False


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-named value masked."""
    for literal in _literals:
        if literal in text:
            text = text.replace(literal, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it for the handler to report
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when it is set: the traceback (and the URL an exception quotes)
        # is rendered once, here, and redacted.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    return record


def install(secrets: Iterable[str] = ()) -> None:
    """Redact every log record made from now on in this process; ``secrets`` adds known values.

    Safe to call again (each app and sandbox does): the factory is wrapped only once.
    """
    global _installed, _literals
    with _lock:
        known = set(_literals)
        for value in secrets:
            if value and len(value) >= MIN_LITERAL:
                known.add(value)
                # A PEM: also its body lines, which a log might show one at a time.
                known.update(line for line in value.splitlines() if len(line) >= 32)
        # Longest first, so a PEM is masked whole before its lines are.
        _literals = tuple(sorted(known, key=len, reverse=True))
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return _redacted(make_record(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
