"""The container's health probe: `python -m kb.probe [path]` exits 0 when the local server answers the path 200.

It connects to 127.0.0.1 but names a host the app serves: Django answers 400 to a Host outside
DJANGO_ALLOWED_HOSTS, and production lists its public names there, not the loopback address."""

import os
import sys
import urllib.error
import urllib.request


def served_host(allowed_hosts: str) -> str:
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main(path: str = "/readyz") -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": served_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))}
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"probe {path}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
