"""The admin's sign-in page, Swagger UI and ReDoc render in a real headless Chromium under the site's
Content-Security-Policy, with no violation reported and nothing fetched from another origin.

The app runs under Django's development server (DEBUG on, so that it serves the static files without
`collectstatic`) on a migrated, empty SQLite database: none of these pages needs content."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.servers import ROOT, development_env, development_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STAFF, PASSWORD = "browser-staff", "pages-in-chromium-2026"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    env = development_env(tmp_path_factory.mktemp("pages") / "db.sqlite3")
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "createsuperuser", "--no-input", "--username", STAFF,
                    "--email", "staff@example.com"], cwd=ROOT, env=env | {"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
                   check=True, capture_output=True)  # fmt: skip
    with development_server(env) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/admin/login/", "#login-form input[name=username]"),
        ("/api/docs/", ".swagger-ui .opblock-summary-path"),
        ("/api/redoc/", "redoc h1, .api-content h1"),
    ],
)
def test_the_page_renders_under_the_policy(browser, origin, path, rendered):
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    response = page.goto(f"{origin}{path}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(rendered).first.wait_for(timeout=20_000)
    page.close()
    assert failed == []
    # Nothing failed to load, not even the /favicon.ico the browser asks for by itself. ReDoc's "powered by" logo
    # lives on Redocly's CDN: the policy refuses it.
    assert [text for text in problems if "cdn.redoc.ly/redoc/logo-mini.svg" not in text] == []


def test_the_add_form_shows_the_proposed_slug_and_keeps_a_typed_one(browser, origin):
    from playwright.sync_api import expect

    page = browser.new_page(locale="zh-CN")
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{origin}/admin/login/?next=/admin/sources/source/add/")
    page.fill("#id_username", STAFF)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    slug = page.locator("#id_slug")
    slug.wait_for()
    page.fill("#id_title", "人社局公告")
    page.press("#id_title", "Tab")  # the change event
    expect(slug).to_have_value("ren-she-ju-gong-gao", timeout=10_000)
    # A changed title changes the proposal; a slug staff typed stays.
    page.fill("#id_title", "社保卡须知")
    page.press("#id_title", "Tab")
    expect(slug).to_have_value("she-bao-ka-xu-zhi", timeout=10_000)
    slug.fill("my-own-slug")
    page.fill("#id_title", "别的标题")
    page.press("#id_title", "Tab")
    page.wait_for_timeout(1000)
    assert slug.input_value() == "my-own-slug"
    page.close()
    assert problems == []
