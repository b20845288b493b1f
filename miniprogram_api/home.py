"""``/``: where a person who opens the server in a browser finds their way (docs, health, and in
the demo the payer page and the logins file)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request

bp = Blueprint("home", __name__, template_folder="templates")

# create_app records where the WeChat sandbox is mounted and where the demo keeps its logins (demo
# and tests only): the composition root knows both, the HTTP layer does not import the demo.
SANDBOX_MOUNT_KEY = "yecai_sandbox_mount"
DEMO_LOGINS_KEY = "yecai_demo_logins"
DEMO_TOKEN_FILE_KEY = "yecai_demo_sandbox_token_file"
SANDBOX_TOKEN_KEY = "yecai_sandbox_token"
LOOPBACK = ("127.0.0.1", "::1")


@bp.get("/")
def home() -> str:
    sandbox = current_app.extensions.get(SANDBOX_MOUNT_KEY)
    token = current_app.extensions.get(SANDBOX_TOKEN_KEY)
    # The link that lets a browser into the payer page carries the sandbox's token: only shown to
    # the machine the demo runs on.
    local = request.remote_addr in LOOPBACK
    return render_template(
        "home.html",
        payer_url=(f"{sandbox}/unlock?token={token}" if token and local else f"{sandbox}/payer")
        if sandbox
        else None,
        sandbox_url=sandbox,
        logins_file=current_app.extensions.get(DEMO_LOGINS_KEY) if sandbox else None,
        token_file=current_app.extensions.get(DEMO_TOKEN_FILE_KEY) if sandbox else None,
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
