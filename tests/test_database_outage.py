"""PostgreSQL goes away under load and comes back: the API answers JSON 503s meanwhile, then serves again from the
same processes, with no restart. The test runs its own PostgreSQL cluster on a spare port, never the shared one."""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), "")

pytestmark = pytest.mark.skipif(
    not (PG_BIN and os.geteuid() == 0 and shutil.which("runuser")),
    reason="needs PostgreSQL's server binaries and root (to run them as the postgres user)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        database_url = f"postgres://postgres@127.0.0.1:{cluster.port}/postgres"
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "kb.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": "",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "outage-test-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "API_ANON_THROTTLE_RATE": "",
        }
        for command in (["migrate", "--no-input"], ["import_regions"], ["load_content"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "kb.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--worker-class", "gthread", "--threads", "4",
            ],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        workers_before = set(
            subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True).stdout.split()
        )

        results: list[tuple[float, int, str, str]] = []
        stop = threading.Event()

        def load(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                # A new address each time: the answer must be computed, so the database is needed.
                status, kind, body = get(f"{base}/api/v1/lookup/?region=420102&_={worker}-{n}")
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
        stop.set()
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
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
        cluster.remove()
