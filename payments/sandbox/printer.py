"""A receipt printer for the demo and the tests: it takes ESC/POS bytes the way a counter printer
does and records what it would have printed, so a test reads the receipt's text back.

- Cloud printer: ``POST <sandbox>/printer/<name>`` with the bytes as the body (``YECAI_PRINTER_URL``
  = ``http://…/sandbox/printer/counter``).
- Network printer: ``RawPrinterServer`` listens on a TCP port as a printer's port 9100 does
  (``tcp://127.0.0.1:<port>``).
- What was printed: ``GET <sandbox>/control/printer/jobs`` (needs the sandbox token), newest last,
  each with its text decoded from GB18030 with the ESC/POS commands taken out.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

EXTENSION = "sandbox_printer"
bp = Blueprint("printer", __name__)
control_bp = Blueprint("printer_control", __name__)

ESC, GS, FS = 0x1B, 0x1D, 0x1C
# ESC/POS commands by their second byte, with how many parameter bytes follow.
_ESC_PARAMS = {ord("@"): 0, ord("2"): 0, ord("!"): 1, ord("E"): 1, ord("a"): 1, ord("t"): 1, ord("d"): 1,
               ord("-"): 1, ord("G"): 1, ord("M"): 1, ord("{"): 1, ord("3"): 1, ord("J"): 1, ord("V"): 1,
               ord("r"): 1, ord("p"): 3}  # fmt: skip
_GS_PARAMS = {ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("H"): 1, ord("h"): 1, ord("w"): 1, ord("f"): 1}
_FS_PARAMS = {ord("&"): 0, ord("."): 0, ord("!"): 1}


def decode(data: bytes, encoding: str = "gb18030") -> str:
    """The text an ESC/POS stream prints: commands dropped, text decoded, a cut as a form feed."""
    text = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte in (ESC, GS, FS) and i + 1 < len(data):
            command = data[i + 1]
            if byte == GS and command == ord("V"):  # cut: GS V m, and a feed count when m is 65 or 66
                i += 4 if i + 2 < len(data) and data[i + 2] in (65, 66) else 3
                text += b"\f"
                continue
            params = {ESC: _ESC_PARAMS, GS: _GS_PARAMS, FS: _FS_PARAMS}[byte].get(command, 0)
            i += 2 + params
            continue
        text.append(byte)
        i += 1
    return text.decode(encoding, errors="replace")


@dataclass
class Printed:
    printer: str
    via: str  # http | tcp
    data: bytes
    job: str = ""

    @property
    def text(self) -> str:
        return decode(self.data)

    def as_json(self) -> dict[str, Any]:
        return {
            "printer": self.printer,
            "via": self.via,
            "job": self.job,
            "bytes": len(self.data),
            "text": self.text,
        }


@dataclass
class PrinterLog:
    jobs: list[Printed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, printed: Printed) -> None:
        with self.lock:
            self.jobs.append(printed)

    def texts(self, printer: str | None = None) -> list[str]:
        with self.lock:
            return [p.text for p in self.jobs if printer is None or p.printer == printer]


def log_of(app: Flask) -> PrinterLog:
    log: PrinterLog = app.extensions[EXTENSION]
    return log


@bp.post("/printer/<name>")
def cloud_print(name: str) -> Any:
    log_of(current_app).record(
        Printed(name, "http", request.get_data(), request.headers.get("X-Print-Job", ""))
    )
    return jsonify({"ok": True})


@control_bp.get("/control/printer/jobs")
def printed_jobs() -> Any:
    return jsonify({"jobs": [p.as_json() for p in log_of(current_app).jobs]})


def install(app: Flask, jobs: list[Printed] | None = None) -> PrinterLog:
    """Mount the cloud printer; `jobs` is where it records (the sandbox state's, so it is saved)."""
    log = PrinterLog() if jobs is None else PrinterLog(jobs=jobs)
    app.extensions[EXTENSION] = log
    app.register_blueprint(bp)
    app.register_blueprint(control_bp)
    return log


class RawPrinterServer(socketserver.ThreadingTCPServer):
    """A network printer's raw port: each connection's bytes are one printed job."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, log: PrinterLog, name: str = "network", host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.log, self.name = log, name
        super().__init__((host, port), _RawHandler)
        self.thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="sandbox-printer", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"tcp://{host!s}:{port}"

    def start(self) -> RawPrinterServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class _RawHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        chunks = []
        while chunk := self.request.recv(65536):
            chunks.append(chunk)
        server: RawPrinterServer = self.server  # type: ignore[assignment]
        server.log.record(Printed(server.name, "tcp", b"".join(chunks)))
