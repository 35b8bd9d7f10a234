"""A portal embeds the widget with one script tag, in a real headless Chromium (Debian's, driven by Playwright).

The app runs under gunicorn with production settings on its own SQLite database; the portal's page is served
from a second origin. The test reads 武汉市's rule inside the frame, checks that the frame grew to fit its
content, that the portal's console shows no error and that the loader left no global name, and saves a
screenshot to test-artifacts/. At a phone's and a desktop's width it checks the widget's default height, that the
frame follows sections as they open and close, that axe-core finds no accessibility violation and that the
structured data reads as schema.org expects; Lighthouse scores the widget page. The same server and browser then
read hostile published text, hostile parameters and an oEmbed frame back, with the pages' CSP switched off so that
escaping alone keeps them inert.
"""

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from bs4 import BeautifulSoup

from scripts.servers import free_port, populate, production_env, start_gunicorn, stop
from tests.embed.hostile import HOSTILE, HOSTILE_REGION_NAME, REGION
from tests.embed.test_structured_data import problems

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
LIGHTHOUSE = ROOT / "tools" / "node_modules" / ".bin" / "lighthouse"

# Builds its own database and servers: DATABASE_URL changes nothing here (.ci/run runs it once).
pytestmark = [
    pytest.mark.own_database,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def app_origin(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("widget-app")
    env = production_env(f"sqlite:///{workdir / 'db.sqlite3'}")
    populate(env)
    # The hostile content of tests/embed/hostile.py, published on its region before the server starts.
    subprocess.run([sys.executable, "-m", "tests.embed.hostile"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = start_gunicorn(env, port, workers=1, ready_path="/embed/v1/loader.js")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


HOST_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>某市政务服务网</title><link rel="icon" href="data:,"></head>
<body><main><h1>医保服务</h1><div id="widget" data-yibao-region="420100" style="max-width: 600px"></div></main>{loader}
</body></html>
"""


@pytest.fixture(scope="module")
def portal_root(tmp_path_factory):
    return tmp_path_factory.mktemp("portal")


@pytest.fixture(scope="module")
def portal(portal_root, app_origin):
    """A second origin (localhost, another port) serving a portal page with and without the loader."""
    root = portal_root
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


def frame_heights(page) -> tuple[float, float]:
    """The frame's height on the portal's page, and the height of the widget's document inside it."""
    outer = page.eval_on_selector("#widget iframe", "f => f.getBoundingClientRect().height")
    inner = page.frames[1].evaluate("document.documentElement.getBoundingClientRect().height")
    return outer, inner


def settled_height(page, timeout: float = 10) -> float:
    """The frame's height once the loader has made it the widget's."""
    deadline = time.monotonic() + timeout
    outer, inner = frame_heights(page)
    while abs(outer - inner) > 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        outer, inner = frame_heights(page)
    assert abs(outer - inner) <= 2, (outer, inner)
    return outer


def global_names(page) -> set[str]:
    return set(page.evaluate("Object.keys(window).filter(name => !/^[0-9]+$/.test(name))"))


def test_a_portal_embeds_the_widget_with_one_script_tag(browser, portal, app_origin):
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

    assert settled_height(page) > 480, "the frame grew past the loader's starting height"
    # The frame's id, which the widget hands back with its height, is in the fragment: no server sees it, so every
    # page showing the widget asks for one address.
    src = page.get_attribute("#widget iframe", "src")
    assert re.fullmatch(rf"{re.escape(app_origin)}/embed/v1/420100/#embed_id=yibao-1-[a-z0-9]+", src), src

    assert global_names(page) == baseline
    assert errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed-widget.png"), full_page=True)
    page.close()


def require(tool: Path, name: str) -> None:
    """Skips without the npm tools, as the Spectral test does, unless KB_REQUIRE_TOOLS (CI) asks for them."""
    if not tool.exists():
        if os.environ.get("KB_REQUIRE_TOOLS"):
            pytest.fail(f"{name} is not installed: run `make tools`")
        pytest.skip(f"{name} is not installed: `make tools` installs it (npm ci in tools/)")


# The portal's column is at most 600 px wide; a phone's is narrower, so its widget is taller.
WIDTHS = {375: 1800, 1280: 1500}


@pytest.fixture(params=sorted(WIDTHS), ids=lambda width: f"{width}px")
def embedded(request, browser, portal):
    """The portal's page with the widget, at a phone's and a desktop's width, with axe-core loaded into every frame
    as the page starts (through the DevTools protocol, which the widget's CSP does not govern)."""
    require(AXE, "axe-core")
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{portal}/with.html")
    page.frame_locator("#widget iframe").locator("h1").wait_for(timeout=15_000)
    yield page, request.param, errors
    context.close()


def test_the_default_widget_is_short_and_the_frame_follows_sections_as_they_open_and_close(embedded):
    page, width, errors = embedded
    closed = settled_height(page)
    assert closed < WIDTHS[width], f"{closed} px tall at {width} px"
    frame = page.frame_locator("#widget iframe")
    assert frame.locator("#passwords .value", has_text="1234").is_visible()
    assert not frame.locator("#replace_card ol").first.is_visible()

    frame.locator("#replace_card > summary").click()
    frame.locator("#replace_card details.procedure > summary").first.click()
    assert frame.locator("#replace_card ol").first.is_visible()
    opened = settled_height(page)
    assert opened > closed + 100, (closed, opened)

    frame.locator("#replace_card > summary").click()
    assert settled_height(page) == pytest.approx(closed, abs=2)
    assert errors == []


def test_the_portal_chooses_the_sections_and_the_language_with_data_attributes(
    browser, portal, portal_root, app_origin
):
    chosen = (
        '<div id="widget" data-yibao-region="420100" data-yibao-lang="en" data-yibao-sections="hotlines, passwords">'
    )
    page_html = HOST_PAGE.format(loader=f'<script src="{app_origin}/embed/v1/loader.js" async></script>')
    (portal_root / "sections.html").write_text(
        page_html.replace('<div id="widget" data-yibao-region="420100" style="max-width: 600px">', chosen),
        encoding="utf-8",
    )
    page = browser.new_page()
    page.goto(f"{portal}/sections.html")
    frame = page.frame_locator("#widget iframe")
    frame.locator("h1").wait_for(timeout=15_000)
    assert page.get_attribute("#widget iframe", "title") == "Medical insurance card passwords"
    assert frame.locator("main > details").evaluate_all("all => all.map(d => d.id + ':' + d.open)") == [
        "passwords:true",
        "hotlines:false",
    ]
    assert frame.locator("h2").first.text_content() == "Initial passwords"
    settled_height(page)
    src = page.get_attribute("#widget iframe", "src")
    assert src.startswith(f"{app_origin}/embed/v1/420100/?lang=en&sections=hotlines%2Cpasswords#embed_id=yibao-1-")
    page.close()


def test_a_frame_named_in_the_query_by_an_older_loader_still_reports_its_height(browser, portal, app_origin):
    page = browser.new_page()
    page.goto(f"{portal}/without.html")
    reported = page.evaluate(
        """src => new Promise(resolve => {
            addEventListener("message", event => {
                if (event.data && event.data.type === "yibao-kb:height") resolve([event.data.id, event.data.height]);
            });
            const frame = document.createElement("iframe");
            frame.src = src;
            document.body.appendChild(frame);
        })""",
        f"{app_origin}/embed/v1/420100/?embed_id=yibao-1-older",
    )
    assert reported[0] == "yibao-1-older" and reported[1] > 0
    page.close()


def axe_violations(frame) -> list[dict]:
    found = frame.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]


def test_axe_finds_no_violation_in_the_widget_closed_or_open(embedded):
    page, _, _ = embedded
    frame = page.frames[1]
    assert axe_violations(frame) == []
    frame.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert axe_violations(frame) == []
    # The portal's page around it, too (its own markup is the test's, but the frame's title is the loader's).
    assert axe_violations(page.main_frame) == []


def test_the_structured_data_reads_as_schema_org_expects_in_chromium(embedded):
    page, _, _ = embedded
    texts = page.frames[1].locator('script[type="application/ld+json"]').all_text_contents()
    (graph,) = [json.loads(text) for text in texts]
    assert problems(graph) == []
    service, *how_tos = graph
    assert service["@type"] == "GovernmentService" and how_tos
    # Each HowTo's address is the place on the page that shows it.
    for how_to in how_tos:
        fragment = how_to["url"].partition("#")[2]
        assert page.frames[1].locator(f"#{fragment}").count() == 1, fragment


def lighthouse(url: str, tmp_path: Path) -> dict:
    report = tmp_path / "lighthouse.json"
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
        "--only-categories=performance,accessibility,best-practices,seo",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]  # fmt: skip
    # Lighthouse exits 1 when the Chromium it launches is not ready in time on a loaded machine (CI saw it once):
    # a run that fails or times out is tried once more, and a second failure shows Lighthouse's own words.
    for _ in range(2):
        try:
            run = subprocess.run(
                command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=120
            )
        except subprocess.TimeoutExpired as timeout:
            failure = f"Lighthouse took over 120 s: {(timeout.stderr or b'')[-2000:]!r}"
            continue
        if run.returncode == 0:
            break
        failure = f"Lighthouse exited {run.returncode}: {run.stderr[-2000:]}"
    else:
        pytest.fail(failure)
    return {name: category["score"] for name, category in json.loads(report.read_text())["categories"].items()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lighthouse_scores_the_widget_at_least_0_95_in_every_category(app_origin, tmp_path, lang):
    require(LIGHTHOUSE, "Lighthouse")
    url = f"{app_origin}/embed/v1/420100/?lang={lang}"
    scores = lighthouse(url, tmp_path)
    # Performance is timed on a machine that other work shares: one slow run is measured again.
    if scores["performance"] < 0.95:
        scores["performance"] = max(scores["performance"], lighthouse(url, tmp_path)["performance"])
    assert {name: score for name, score in scores.items() if score < 0.95} == {}, scores


# What no published text or parameter may add to a page; the widget's own style and two scripts are counted apart.
INJECTED = (
    "img, form, input, iframe, object, embed, base, meta[http-equiv], plaintext, textarea, a[href^='javascript:']"
)


@pytest.fixture
def unguarded(browser):
    """A page that ignores every Content-Security-Policy, so that only escaping keeps hostile text inert; it records
    (and dismisses) every dialog."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page, dialogs
    context.close()


def elements(page) -> list[tuple[str, tuple[str, ...]]]:
    found = page.evaluate("[...document.querySelectorAll('*')].map(e => [e.localName, e.getAttributeNames().sort()])")
    return [(name, tuple(attributes)) for name, attributes in found]


def served_elements(body: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """The elements of the markup as the server wrote it, which test_escaping.py compares with the template's."""
    return [(tag.name, tuple(sorted(tag.attrs))) for tag in BeautifulSoup(body, "html.parser").find_all(True)]


def visit(page, url: str):
    response = page.goto(url)
    # Chromium's document has exactly the elements the markup has: no text was read as markup.
    assert elements(page) == served_elements(response.body()), url
    assert page.locator(INJECTED).count() == 0, url
    return response


def test_hostile_published_text_stays_text_in_chromium(unguarded, app_origin):
    page, dialogs = unguarded
    response = visit(page, f"{app_origin}/embed/v1/{REGION}/")
    assert response.status == 200
    assert page.locator("script").count() == 2 and page.locator("style").count() == 1
    text = page.evaluate("document.body.textContent")
    assert HOSTILE_REGION_NAME in page.locator("h1").text_content()
    missing = [hostile for hostile in HOSTILE if hostile not in text]
    assert missing == []
    graph = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert {hostile for hostile in HOSTILE} <= {how_to["name"] for how_to in graph[1:]}
    assert dialogs == []


def test_hostile_parameters_bring_no_markup_into_the_error_pages_in_chromium(unguarded, app_origin):
    page, dialogs = unguarded
    for hostile in ('"><script>alert("double")</script>', "'><img src=x onerror=alert('single')>", "<!--<script>"):
        for url in (
            f"{app_origin}/embed/v1/{quote(hostile, safe='')}/",
            f"{app_origin}/embed/v1/420100/?" + urlencode({"card_type": hostile}),
            f"{app_origin}/embed/v1/420100/?" + urlencode({"lang": hostile, "embed_id": hostile}),
        ):
            assert visit(page, url).status in (400, 404), url
    assert dialogs == []


def test_the_oembed_frame_is_one_iframe_at_the_canonical_address_in_chromium(
    unguarded, app_origin, portal, portal_root
):
    page, dialogs = unguarded
    widget = f"{app_origin}/embed/v1/420100/"
    hostile = '"><script>alert("double")</script><img src=x onerror=alert(2)>'
    query = urlencode({"url": f"{widget}?lang=en&x={hostile}", "format": "json"})
    with urllib.request.urlopen(f"{app_origin}/oembed?{query}", timeout=10) as answer:
        html = json.load(answer)["html"]
    # A CMS page served from the portal's origin: frame-ancestors * admits no about:blank parent, and Chromium lets
    # no page it cannot place on the local network frame a loopback address.
    (portal_root / "cms.html").write_text(f"<!doctype html><title>CMS</title><main>{html}</main>", encoding="utf-8")
    page.goto(f"{portal}/cms.html")
    frames = page.locator("iframe")
    assert frames.count() == 1 and frames.get_attribute("src") == f"{widget}?lang=en"
    assert page.locator("main > *").count() == 1 and page.locator(INJECTED.replace("iframe, ", "")).count() == 0
    heading = page.frame_locator("iframe").locator("h1")
    heading.wait_for(state="attached", timeout=15_000)
    assert "武汉市" in heading.text_content()
    assert dialogs == []
