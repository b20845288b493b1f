# gunicorn settings for yecai. Stateless app servers: scale out by adding machines behind nginx.
import multiprocessing
import os

bind = os.environ.get("YECAI_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("YECAI_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("YECAI_THREADS", 8))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Each worker opens its own pool lazily; never share database connections across a fork.
preload_app = False
accesslog = "-"
errorlog = "-"
