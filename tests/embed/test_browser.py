"""A portal embeds the widget with one script tag, in a real headless Chromium (Debian's, driven by Playwright).

The app runs under gunicorn with production settings on its own SQLite database; the portal's page is served
from a second origin. The test reads 武汉市's rule inside the frame, checks that the frame grew to fit its
content, that the portal's console shows no error and that the loader left no global name, and saves a
screenshot to test-artifacts/.
"""

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app_origin(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("widget-app")
    port = free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "kb.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": "",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "browser-test-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "API_ANON_THROTTLE_RATE": "",
    }
    for command in (["migrate", "--no-input"], ["import_regions"], ["load_content"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "kb.wsgi:application", "--bind", f"127.0.0.1:{port}",
            # Threads: a browser keeps idle connections open, which would block a lone synchronous worker.
            "--workers", "1", "--worker-class", "gthread", "--threads", "4",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{origin}/embed/v1/loader.js", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        yield origin
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


HOST_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>某市政务服务网</title><link rel="icon" href="data:,"></head>
<body><h1>医保服务</h1><div id="widget" data-yibao-region="420100"></div>{loader}</body></html>
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory, app_origin):
    """A second origin (localhost, another port) serving a portal page with and without the loader."""
    root = tmp_path_factory.mktemp("portal")
    (root / "with.html").write_text(
        HOST_PAGE.format(loader=f'<script src="{app_origin}/embed/v1/loader.js" async></script>'), encoding="utf-8"
    )
    (root / "without.html").write_text(HOST_PAGE.format(loader=""), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield chromium
        chromium.close()


def global_names(page) -> set[str]:
    return set(page.evaluate("Object.keys(window).filter(name => !/^[0-9]+$/.test(name))"))


def test_a_portal_embeds_the_widget_with_one_script_tag(browser, portal):
    page = browser.new_page(viewport={"width": 420, "height": 800})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{portal}/without.html")
    baseline = global_names(page)
    page.goto(f"{portal}/with.html")

    frame = page.frame_locator("#widget iframe")
    frame.locator(".value", has_text="1234").first.wait_for(timeout=15_000)
    assert "武汉市" in frame.locator("h1").inner_text()

    def heights() -> tuple[float, float]:
        outer = page.eval_on_selector("#widget iframe", "f => f.getBoundingClientRect().height")
        inner = page.frames[1].evaluate("document.documentElement.scrollHeight")
        return outer, inner

    deadline = time.monotonic() + 10
    outer, inner = heights()
    while abs(outer - inner) > 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        outer, inner = heights()
    assert outer > 480, "the frame grew past the loader's starting height"
    assert abs(outer - inner) <= 2, (outer, inner)

    assert global_names(page) == baseline
    assert errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed-widget.png"), full_page=True)
    page.close()
