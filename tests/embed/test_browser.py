"""A portal embeds the widget with one script tag, in a real headless Chromium (Debian's, driven by Playwright).

The app runs under gunicorn with production settings on its own SQLite database; the portal's page is served
from a second origin. The test reads 武汉市's rule inside the frame, checks that the frame grew to fit its
content, that the portal's console shows no error and that the loader left no global name, and saves a
screenshot to test-artifacts/.
"""

import functools
import http.server
import shutil
import threading
import time
from pathlib import Path

import pytest

from scripts.servers import free_port, populate, production_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def app_origin(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("widget-app")
    env = production_env(f"sqlite:///{workdir / 'db.sqlite3'}")
    populate(env)
    port = free_port()
    server = start_gunicorn(env, port, workers=1, ready_path="/embed/v1/loader.js")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


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
