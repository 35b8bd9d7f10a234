"""The app as a real server, for the tests that need one, the fuzzer, the benchmark and `make stack`: its own
database, production settings, gunicorn, and Varnish in front; or Django's development server, for the browser tests
of the admin."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database_url: str, *, allowed_hosts: str = "127.0.0.1,localhost") -> dict[str, str]:
    """Production settings (DEBUG off) on the given database, less TLS and throttling, with a local-memory cache."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "kb.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test-server-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": allowed_hosts,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "API_ANON_THROTTLE_RATE": "",
    }


def populate(env: dict[str, str]) -> None:
    """Migrates, imports the regions and loads the content, as `make setup` does."""
    for command in (["migrate", "--no-input"], ["import_regions"], ["load_content"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)


def start_gunicorn(
    env: dict[str, str],
    port: int,
    *,
    workers: int | None,
    ready_path: str,
    log_level: str | None = None,
    log_path: Path | None = None,
    ready_host: str = "127.0.0.1",
) -> subprocess.Popen:
    """Starts gunicorn on 127.0.0.1:`port` and waits until `ready_path` answers 200 (30 seconds at most), asked for
    under `ready_host`: `workers` processes of four threads each, or None for what gunicorn.conf.py says. Its output
    is shown only when `log_level` is given, or written to `log_path` (the app's JSON log lines included)."""
    output = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if log_level:
        output = {}
    elif log_path is not None:
        output = {"stdout": subprocess.DEVNULL, "stderr": open(log_path, "ab")}  # noqa: SIM115 (the child owns it)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "kb.wsgi:application", "--bind", f"127.0.0.1:{port}",
            # Threads: a browser keeps idle connections open, which would block a lone synchronous worker.
            *(["--workers", str(workers), "--worker-class", "gthread", "--threads", "4"] if workers else []),
            *(["--log-level", log_level] if log_level else []),
        ],
        cwd=ROOT, env=env, start_new_session=True, **output,
    )  # fmt: skip
    wait_until_ready(server, "gunicorn", f"http://127.0.0.1:{port}{ready_path}", ready_host)
    return server


def wait_until_ready(server: subprocess.Popen, name: str, url: str, host: str = "127.0.0.1") -> None:
    """Waits until `url` answers 200 (30 seconds at most); stops the server if it does not."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host}), timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"{name} did not become ready within 30 seconds")


VARNISHD = shutil.which("varnishd") or next(
    (path for path in ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd") if os.access(path, os.X_OK)), None
)
VCL = ROOT / "deploy" / "varnish" / "default.vcl"


def start_varnish(
    port: int,
    backend_port: int,
    workdir: Path,
    *,
    host: str = "127.0.0.1",
    ready_host: str = "127.0.0.1",
    log_path: Path | None = None,
) -> subprocess.Popen:
    """Starts varnishd in the foreground with the repository's configuration, listening on `host`:`port`, in front
    of the app on 127.0.0.1:`backend_port`, which may purge it (from the loopback address or `host`); waits until the
    app answers through it, asked for under `ready_host`."""
    workdir.mkdir(parents=True, exist_ok=True)
    purgers = " ".join(f'"{address}";' for address in sorted({"127.0.0.1", "::1", host} - {"0.0.0.0", "::", ""}))
    # default.vcl includes backend.vcl: this one, found first on vcl_path, in place of docker-compose's.
    (workdir / "backend.vcl").write_text(
        f'backend app {{ .host = "127.0.0.1"; .port = "{backend_port}"; .first_byte_timeout = 60s; }}\n'
        f"acl purgers {{ {purgers} }}\n"
    )
    output = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if log_path is not None:
        output = {"stdout": open(log_path, "ab"), "stderr": subprocess.STDOUT}  # noqa: SIM115 (the child owns it)
    server = subprocess.Popen(
        [
            VARNISHD or "varnishd", "-F", "-a", f"{host}:{port}", "-f", str(VCL), "-n", str(workdir / "state"),
            "-p", f"vcl_path={workdir}:{VCL.parent}", "-s", "malloc,256m",
            # The app compresses its answers itself; Varnish keeps each coding apart (see default.vcl).
            "-p", "http_gzip_support=off",
            # No management port and no separate unprivileged user: a child of whoever starts it.
            "-T", "none", "-j", "none",
        ],
        cwd=workdir, start_new_session=True, **output,
    )  # fmt: skip
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    wait_until_ready(server, "varnishd", f"http://{local}:{port}/healthz", ready_host)
    return server


def development_env(database_path: Path) -> dict[str, str]:
    """DEBUG on, so that the development server serves the static files without `collectstatic`, on an SQLite file."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "kb.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database_path}",
        "REDIS_URL": "",
    }


@contextmanager
def development_server(env: dict[str, str]) -> Iterator[str]:
    """Django's development server on a spare port, once /healthz answers (30 seconds at most): its origin, until the
    block ends."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    origin = f"http://127.0.0.1:{port}"
    wait_until_ready(server, "the development server", f"{origin}/healthz")
    try:
        yield origin
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def staff_token(env: dict[str, str], *, username: str, role: str) -> str:
    """The API token of a new staff user in `role` (editors or publishers), made in the server's database."""
    script = (
        "from django.contrib.auth.models import Group, User; from rest_framework.authtoken.models import Token; "
        f"user = User.objects.create_user({username!r}, is_staff=True); "
        f"user.groups.add(Group.objects.get(name={role!r})); print(Token.objects.create(user=user).key)"
    )
    return run_script(env, script).split()[-1]


def run_script(env: dict[str, str], script: str) -> str:
    """Runs Python `script` in the app (`manage.py shell`) on the server's database; what it printed."""
    command = [sys.executable, "manage.py", "shell", "--no-startup", "-c", script]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def create_postgres_database(url: str, *, replace: bool = False) -> None:
    """Creates the database that `url` names unless it exists; `replace` drops an existing one first."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if replace:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        elif connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
