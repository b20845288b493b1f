from __future__ import annotations

from backend.errors import Conflict, NotFound


class NoPrinter(Conflict):
    code = "no_printer"
    message_zh = "未配置打印机"
    message_en = "No printer is configured (YECAI_PRINTER_URL)"


class PrintJobNotFound(NotFound):
    code = "print_job_not_found"
    message_zh = "未找到打印任务"
    message_en = "No such print job"
