"""WSGI entry point for gunicorn: `gunicorn -c deploy/gunicorn.conf.py backend.wsgi:app`."""

from backend.app import create_app
from backend.config import load_settings, require_secrets

_settings = load_settings()
require_secrets(_settings)
app = create_app(_settings)
