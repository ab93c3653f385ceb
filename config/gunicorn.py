"""gunicorn configuration (docs/DEPLOYMENT.md, "Web server and overload").

Used by the Dockerfile, docker-compose.yml and ``python -m bench.load``:
``gunicorn -c config/gunicorn.py config.wsgi:application``. Every value can be overridden by the
environment variable named beside it, or on the command line.

Why these values:
- ``gthread`` workers: the worker's main thread keeps telling the arbiter it is alive while its
  threads serve requests, so a slow page is not killed at ``timeout`` (sync workers were: a 20-s
  dashboard under load killed every worker and the site stayed down). Threads also let a cheap
  request run beside a slow one in the same process; the database waits release the GIL.
- ``threads`` = heavy requests allowed to run (per part of the site, 5 parts) + to wait
  (core/overload.py) + 2 = 20, so two threads per process are always free for ``/healthz/`` and
  other light paths.
- ``workers`` = 3 (``WEB_CONCURRENCY``): the CPU-bound part of a page holds the GIL, so processes,
  not threads, give parallelism; on 2 cores a third process covers the time the others wait for
  PostgreSQL. More workers only add memory and database connections.
- ``timeout`` 60 s: for gthread this is how long the *worker's main loop* may be silent (a
  deadlocked process), not a request limit; ``graceful_timeout`` 30 s lets requests finish on a
  restart; ``keepalive`` 5 s keeps browsers' connections without holding threads for long.
- ``backlog`` 512: connections beyond it are refused by the kernel at once instead of queueing
  for minutes; the load shedder answers long before the backlog fills.
- ``max_requests`` 10,000 + up to 5,000 of jitter: workers are recycled to bound memory growth,
  one at a time. Quick 503s count as requests too: at 2,000 ± 10 % (measured) all three workers
  reached it together under overload, each waited for its slow requests while it exited (the
  arbiter replaces a worker only when it is gone) and was killed at ``timeout`` — for a minute
  the site had no worker accepting.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 3)
# core/overload.py: five sets of running slots (dashboard, admin, portal, API, the rest), one
# waiting room, and two threads always free for light paths.
threads = _int("GUNICORN_THREADS", 0) or (
    5 * _int("HEAVY_REQUESTS_PER_PROCESS", 2) + _int("HEAVY_REQUEST_QUEUE", 8) + 2
)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
backlog = 512
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = max_requests // 2
# The heartbeat file on tmpfs: on an overlay file system (Docker) a slow disk could otherwise
# stall the worker's notifications to the arbiter.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
