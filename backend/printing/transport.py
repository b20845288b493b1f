"""Send bytes to a printer: raw TCP (the network port of a counter printer, 9100) or a cloud
printer's HTTP(S) endpoint that takes ESC/POS bytes.

A refusal before anything went out (connection refused, an HTTP error answer) is `NotDelivered`: the
outbox tries again later. A failure after the bytes may have gone out propagates, and the at-most-once
outbox flags the job for a person instead of printing it twice.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import requests

from backend.jobs.registry import NotDelivered

TIMEOUT_SECONDS = 10


def send(url: str, data: bytes, job_id: int) -> None:
    parts = urlsplit(url)
    if parts.scheme == "tcp":
        _send_tcp(parts.hostname or "", parts.port or 9100, data)
    elif parts.scheme in ("http", "https"):
        _send_http(url, data, job_id)
    else:
        raise NotDelivered(f"unknown printer address {url!r}")


def _send_tcp(host: str, port: int, data: bytes) -> None:
    try:
        conn = socket.create_connection((host, port), timeout=TIMEOUT_SECONDS)
    except OSError as exc:  # nothing went out
        raise NotDelivered(f"printer {host}:{port} unreachable: {exc}") from exc
    with conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


def _send_http(url: str, data: bytes, job_id: int) -> None:
    try:
        response = requests.post(
            url,
            data=data,
            headers={"Content-Type": "application/octet-stream", "X-Print-Job": str(job_id)},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.ConnectionError as exc:
        raise NotDelivered(f"cloud printer unreachable: {exc}") from exc
    if response.status_code >= 300:  # the service answered and did not take it
        raise NotDelivered(f"cloud printer answered {response.status_code}")
