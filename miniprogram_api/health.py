"""Liveness (/healthz: the process answers) and readiness (/readyz: database and Redis reachable)."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from backend.db import db
from backend.jobs import dispatch

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = {}
    try:
        db.execute_sql("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if dispatch.uses_rq():
        try:
            dispatch.redis_connection().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
