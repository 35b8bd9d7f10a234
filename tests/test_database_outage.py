"""PostgreSQL goes away under load and comes back: the API answers JSON 503s meanwhile, then serves again from the
same processes, with no restart. The test runs its own PostgreSQL cluster on a spare port, never the shared one."""

import datetime
import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scripts.servers import free_port, populate, production_env, start_gunicorn, stop

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), "")

# Builds its own database and servers: DATABASE_URL changes nothing here (.ci/run runs it once).
pytestmark = [
    pytest.mark.own_database,
    pytest.mark.skipif(
        not (PG_BIN and os.geteuid() == 0 and shutil.which("runuser")),
        reason="needs PostgreSQL's server binaries and root (to run them as the postgres user)",
    ),
]


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)


class Cluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kb-outage-"))
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.data = self.dir / "data"
        as_postgres(f"{PG_BIN}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", str(self.data), "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def test_the_api_rides_out_a_database_outage():
    cluster = Cluster()
    server = None
    try:
        cluster.start()
        env = production_env(f"postgres://postgres@127.0.0.1:{cluster.port}/postgres", allowed_hosts="127.0.0.1")
        populate(env)
        port = free_port()
        log = cluster.dir / "gunicorn.log"
        server = start_gunicorn(env, port, workers=2, ready_path="/readyz", log_path=log)
        base = f"http://127.0.0.1:{port}"
        workers_before = set(
            subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True).stdout.split()
        )

        results: list[tuple[float, int, str, str]] = []
        done = threading.Event()

        def load(worker: int) -> None:
            n = 0
            while not done.is_set():
                n += 1
                # A new day each time: the answer must be computed, so the database is needed.
                day = datetime.date(2000, 1, 1) + datetime.timedelta(days=worker * 10_000 + n)
                status, kind, body = get(f"{base}/api/v1/lookup/?region=420102&on={day}")
                results.append((time.monotonic(), status, kind, body))
                time.sleep(0.02)

        threads = [threading.Thread(target=load, args=(w,), daemon=True) for w in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        down_at = time.monotonic()
        cluster.stop()
        time.sleep(4)
        assert get(f"{base}/readyz")[0] == 503
        cluster.start()
        up_at = time.monotonic()
        time.sleep(4)
        done.set()
        for thread in threads:
            thread.join(timeout=15)

        assert not [r for r in results if r[1] == 500], "no 500 at any time"
        during = [r for r in results if down_at + 2 < r[0] < up_at]
        assert during and all(status in (200, 503) for _, status, _, _ in during)
        failures = [r for r in during if r[1] == 503]
        assert failures, "requests during the outage were answered 503"
        for _, _, kind, body in failures:
            assert kind == "application/problem+json" and json.loads(body)["code"] == "service_unavailable"
        after = [r for r in results if r[0] > up_at + 2]
        assert after and all(status == 200 for _, status, _, _ in after), {r[1] for r in after}
        assert get(f"{base}/readyz")[0] == 200
        workers_after = set(
            subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True).stdout.split()
        )
        assert workers_after == workers_before, "the same processes serve again: nothing restarted"
        # Hundreds of 503s, each with the same cause: logged once per worker (and kind of failure), not per request.
        lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
        errors = [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
        assert len(failures) > 50 and 1 <= len(errors) <= 8, (len(failures), [e["message"] for e in errors])
    finally:
        if server is not None:
            stop(server)
        cluster.remove()
