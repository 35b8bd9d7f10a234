"""gunicorn's settings wherever it is started from the checkout (the image, `make stack`, the tests, the benchmark);
a command-line option overrides its line here.

gunicorn answers a request line longer than its limit itself, with an HTML page (its default limit is 4094 bytes,
the most it accepts as a limit 8190). 0 lifts the limit, and gunicorn 27 still reads no more than 1 MiB of a request
line: every request line the API could refuse reaches Django, which answers a query string over 4096 bytes with a
JSON 400 (kb/api/guards.py)."""

import os
import shutil
import tempfile

limit_request_line = 0

bind = f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Threads rather than one request per process: a client that keeps its connection open (a browser, a phone on a
# slow network) then holds a thread, not a whole worker. Two workers per core the process may run on, by default
# (each thread holds a database connection: workers × threads per database must stay under its max_connections).
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * len(os.sched_getaffinity(0))))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Requests that take longer are killed and logged: no answer of this API needs more than a few seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# Idle keep-alive connections are closed after this many seconds, so that they do not pin threads.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Connections a worker holds at once (gunicorn's default 1000), of which it keeps at most this less `threads` idle
# between requests (past that it closes a connection after its answer). A worker at its limit accepts no more, so the
# others take them: the benchmark sets its connections ÷ workers, since a burst of new keep-alive connections
# otherwise lands mostly on one worker (14 of 16 was seen) and the run measures one process where it meant two.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
# No access log of gunicorn's own: the app logs every request as a JSON line with its request id (kb/observability.py).
accesslog = None

# Metrics in Prometheus' format (requests, latency, status, database time, cache hits; django-prometheus) on their own
# address, served by the master process from every worker's counters: not on the public port, so that a proxy in
# front never exposes them. Off unless METRICS_ADDRESS (host:port) is set.
METRICS_ADDRESS = os.environ.get("METRICS_ADDRESS", "")
# A directory of this run's own, read by prometheus_client when a worker imports it after the fork: every worker then
# counts in files there, and no earlier run's counters are added in. Made once: a HUP reads this file again in the
# same master, whose collector keeps reading the directory it started with.
METRICS_DIR_MARK = "KB_METRICS_DIR"
if METRICS_ADDRESS and METRICS_DIR_MARK not in os.environ:
    os.environ[METRICS_DIR_MARK] = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kb-metrics-")


def on_exit(server) -> None:
    if METRICS_ADDRESS:
        shutil.rmtree(os.environ[METRICS_DIR_MARK], ignore_errors=True)


def when_ready(server) -> None:
    if METRICS_ADDRESS:
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        host, _, port = METRICS_ADDRESS.rpartition(":")
        start_http_server(int(port), addr=host or "0.0.0.0", registry=registry)
        server.log.info("metrics on http://%s/metrics", METRICS_ADDRESS)


def child_exit(server, worker) -> None:
    if METRICS_ADDRESS:
        from prometheus_client import multiprocess

        # A worker that ends takes its live gauges with it; its counters stay in the sum.
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    import gc

    # What the worker has loaded (Django, the apps, their modules: some 180,000 objects) is never garbage, and every
    # full collection walked it again: a 60–90 ms pause of the whole worker, several times a minute under load, which
    # set the 99th percentile of a region search. Frozen, it is left out of collections: a full one took 6–16 ms (the
    # benchmark's new searches, measured with gc.callbacks). What the worker builds afterwards (caches, the regions'
    # index) is collected as before, in full at most every hundred middle-generation collections rather than every
    # ten: with so little left to walk, a tenth of the old full collections came due four times as often. The new
    # searches' p99 in the benchmark went from 17 and 28 ms (frozen only) to 15 and 14 ms (README, Performance).
    gc.freeze()
    gc.set_threshold(700, 10, 100)
