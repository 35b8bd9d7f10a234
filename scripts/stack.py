"""`make stack`: the production stack on this machine without Docker, for trying it and for the benchmark: gunicorn
with production settings (gunicorn.conf.py) behind Varnish (deploy/varnish/default.vcl), in the foreground until
interrupted (Ctrl-C stops both).

The database is DATABASE_URL's, else the SQLite file of `make run`; `make stack` migrates and loads it first, as
`make setup` does. Without a DJANGO_SECRET_KEY (in the environment or .env) one is generated for this run.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from kb.probe import served_host
from scripts.servers import ROOT, VARNISHD, free_port, start_gunicorn, start_varnish, stop


def dotenv(name: str) -> str:
    """`name`'s value in .env, which settings.py reads too (the environment wins over it)."""
    path = ROOT / ".env"
    if not path.exists():
        return ""
    for line in path.read_text(encoding="utf-8").splitlines():
        key, equals, value = line.strip().partition("=")
        if equals and key.strip() == name:
            return value.strip().strip("'\"")
    return ""


def stack_env(port: int, host: str) -> dict[str, str]:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "kb.settings", "DJANGO_DEBUG": "0"}
    key = env.get("DJANGO_SECRET_KEY") or dotenv("DJANGO_SECRET_KEY")
    if not key or key.startswith(("replace-with", "insecure-")):
        print("DJANGO_SECRET_KEY is not set: using a key generated for this run only.", file=sys.stderr)
        env["DJANGO_SECRET_KEY"] = get_random_secret_key()
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return env | {
        # Plain http on this machine, unless told otherwise.
        "DJANGO_SECURE_SSL_REDIRECT": env.get("DJANGO_SECURE_SSL_REDIRECT")
        or dotenv("DJANGO_SECURE_SSL_REDIRECT")
        or "0",
        # Behind one proxy, which the app tells of every publish.
        "DJANGO_NUM_PROXIES": "1",
        "CACHE_PURGE_URLS": f"http://{local}:{port}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)), help="the public port")
    parser.add_argument("--host", default="127.0.0.1", help="the public address")
    args = parser.parse_args(argv)
    if VARNISHD is None:
        print("varnishd is not installed: apt-get install varnish", file=sys.stderr)
        return 1
    env = stack_env(args.port, args.host)
    # Production serves the admin's static files from collectstatic's manifest (WhiteNoise).
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)

    # SIGTERM stops the stack as Ctrl-C does; both servers run in sessions of their own, so only this process hears
    # the terminal's Ctrl-C and stops them in order.
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    # A shell starting this in the background (`make stack &`, a CI script under nohup) hands it SIGINT ignored, and
    # Python then installs no KeyboardInterrupt for it: Ctrl-C (or the SIGTERM above) would be lost.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ready_host = served_host(env.get("DJANGO_ALLOWED_HOSTS") or dotenv("DJANGO_ALLOWED_HOSTS") or "127.0.0.1")
    app_port = free_port()
    app = proxy = None
    workdir = Path(tempfile.mkdtemp(prefix="yibao-kb-varnish-"))
    try:
        app = start_gunicorn(
            env, app_port, workers=None, ready_path="/healthz", log_level="info", ready_host=ready_host
        )
        proxy = start_varnish(args.port, app_port, workdir, host=args.host, ready_host=ready_host)
        print(
            f"Serving on http://{args.host}:{args.port}/ (Varnish) in front of gunicorn on "
            f"127.0.0.1:{app_port}; Ctrl-C stops both.",
            file=sys.stderr,
            flush=True,
        )
        os.wait()  # until either stops
        print("A server stopped: stopping the stack.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for server in (proxy, app):
            if server is not None and server.poll() is None:
                stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
