"""``/``: where a person who opens the server in a browser finds their way (docs, health, and in
the demo the payer page and the logins file)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from backend import demo

bp = Blueprint("home", __name__, template_folder="templates")

# create_app records where the WeChat sandbox is mounted (demo and tests only).
SANDBOX_MOUNT_KEY = "yecai_sandbox_mount"


@bp.get("/")
def home() -> str:
    sandbox = current_app.extensions.get(SANDBOX_MOUNT_KEY)
    settings = current_app.extensions["yecai"]
    return render_template(
        "home.html",
        payer_url=f"{sandbox}/payer" if sandbox else None,
        sandbox_url=sandbox,
        logins_file=str(demo.logins_file(settings.instance_dir)) if sandbox else None,
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
