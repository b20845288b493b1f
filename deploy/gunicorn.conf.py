# gunicorn settings for yecai. Stateless app servers: scale out by adding machines behind nginx.
import multiprocessing
import os

bind = os.environ.get("YECAI_BIND", "127.0.0.1:8000")
# One process per CPU with 4 threads each served the most sales per second in bench/place_and_pay.py
# (2 CPUs: 2x4 beat 4x8, 3x4 and 4x4): more threads mostly wait on the GIL, more processes open
# more PostgreSQL connections that contend with each other. Set YECAI_DB_POOL_SIZE >= threads.
workers = int(os.environ.get("YECAI_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("YECAI_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Each worker opens its own pool lazily; never share database connections across a fork.
preload_app = False
accesslog = "-"
errorlog = "-"
