"""gunicorn's settings for the HTTP tier (pages, the API, exports): `gunicorn -c deploy/gunicorn.conf.py`.

`make serve` (scripts/serve.sh) and deploy/systemd/chat-http.service both start gunicorn with it.
Each worker is a process with HTTP_THREADS threads; every process is stateless (PostgreSQL and
Redis hold everything), so the tier scales by HTTP_WORKERS here and by machines behind nginx.
"""

import multiprocessing
import os

wsgi_app = "chatproject.wsgi:application"
bind = os.environ.get("HTTP_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("HTTP_WORKERS") or multiprocessing.cpu_count())
# Threads share a worker's memory and its database pool; a request waiting on PostgreSQL or Redis
# leaves the others of its worker running.
worker_class = "gthread"
threads = int(os.environ.get("HTTP_THREADS") or 4)
# A request longer than this is a bug (long work streams from Daphne or runs as a background job):
# the worker is restarted rather than left stuck. Exports stream page by page and fit well within it.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Never loaded before the fork: each worker opens its own database pool and Redis connections.
preload_app = False
# nginx writes the access log; gunicorn logs errors only.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
proc_name = "chat-http"
