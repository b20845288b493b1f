"""The phone console: pages for staff, the owner and distributors, served by the app under /m/.

Each page is a Jinja template holding a small Vue 3 app (Vant 4 components, ECharts for charts) that
talks only to the JSON API under /api through `static/yc.js`. The libraries are vendored under
`static/vendor/` at pinned versions (`vendor.lock.json`): no build step, no Node.js, works offline.
See console/README.md for how to add a page.
"""

from __future__ import annotations

from flask import Flask

from console import views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
