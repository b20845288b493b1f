"""The console's routes: the page shells under /m/ and its static files. The pages fetch every
figure from /api themselves, so these views only render templates; they read no data."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from console import menu

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/m",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/")
def home() -> str:
    return render_template("menu.html", menu=menu.menu_json(), page_roles=[])


@bp.get("/login")
def login() -> str:
    return render_template("login.html", page_roles=None)


@bp.get("/s/<token>")
def statement_link(token: str) -> str:
    """A statement opened from its signed link, without logging in: the page asks the API, which
    checks the signature (a tampered or expired link shows the API's error)."""
    return render_template("public/statement.html", token=token[:200], page=None, page_roles=None)


@bp.get("/<area>/<name>")
def page(area: str, name: str) -> str:
    found = menu.find(area, name)
    if found is None:
        abort(404)
    return render_template(f"{area}/{name}.html", page=found, page_roles=list(found.allowed_roles))
