"""A local simulator of WeChat's HTTP APIs (mini-program server APIs and Pay v3).

It speaks the real protocol, so the unmodified wechatpy and wechatpayv3 clients work
against it when pointed at its base URLs. See ``app.create_sandbox_app`` and
``testing.running_sandbox``.
"""

from __future__ import annotations

from .app import create_sandbox_app
from .clock import SandboxClock
from .credentials import SandboxCredentials, generate_credentials
from .persistence import SandboxStore, SandboxStoreError


def serve(host: str = "127.0.0.1", port: int = 8090, credentials: SandboxCredentials | None = None) -> None:
    """Run the sandbox alone (threaded werkzeug server) with background delivery.

    Prints the environment the app needs to talk to it and the control token; fresh keys each run.
    """
    from werkzeug.serving import run_simple

    from .guard import TOKEN_HEADER, new_token

    creds = credentials or generate_credentials()
    token = new_token()
    app = create_sandbox_app(creds, deliver_in_background=True, control_token=token)
    root = f"http://{host}:{port}"
    print(f"# control endpoints: send the header {TOKEN_HEADER}: {token}")
    print(f"# payer page: open {root}/unlock?token={token}")
    print("# WeChat sandbox credentials for the app side (fresh keys, valid until this process exits)")
    for name, value in creds.to_env().items():
        # dotenv style: PEMs on one line with \n escapes, inside double quotes.
        escaped = value.replace("\n", "\\n")
        print(f'{name}="{escaped}"')
    print(f"YECAI_WECHAT_API_BASE={root}/wx")
    print(f"YECAI_WECHATPAY_BASE={root}/pay", flush=True)
    run_simple(host, port, app, threaded=True, use_reloader=False)


__all__ = [
    "SandboxClock",
    "SandboxCredentials",
    "SandboxStore",
    "SandboxStoreError",
    "create_sandbox_app",
    "generate_credentials",
    "serve",
]
