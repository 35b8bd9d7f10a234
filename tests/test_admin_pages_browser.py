"""The admin's import preview, export page, steps and workflow buttons as staff see them in a real headless Chromium
(Debian's, driven by Playwright), under the site's Content-Security-Policy: refused rows with their reasons in plain
sight and a page that fits a laptop's window, a "Select all" that works, no drag handles on steps nobody may move,
and touch-sized buttons and tables that fit on a 390 px phone.

The app runs under Django's development server (DEBUG on, so that it serves the static files) on its own SQLite
file, populated as `make setup` does."""

import json
from pathlib import Path

import pytest

from scripts.servers import development_env, development_server, populate, run_script
from tests.test_browser_pages import CHROMIUM, browser  # noqa: F401 (the fixture, shared with the page tests)
from tests.test_import_export import HUBEI_RULES, csv_file

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

PASSWORD = "admin-pages-in-chromium-2026"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Run in the server's database before it starts: an editor and a publisher who can sign in, and pending edits (drafts)
# of a published rule and a published procedure.
SCENARIO = f"""
import json
from django.contrib.auth.models import Group, User
from curation import workflow
from passwords.models import DefaultPasswordRule
from procedures.models import Procedure
for name, group in (("editor-wang", "editors"), ("publisher-li", "publishers")):
    User.objects.create_user(name, password={PASSWORD!r}, is_staff=True).groups.add(Group.objects.get(name=group))
editor = User.objects.get(username="editor-wang")
rule = DefaultPasswordRule.objects.filter(status="published").order_by("pk").first()
procedure = Procedure.objects.filter(status="published", steps__isnull=False).order_by("pk").first()
print(json.dumps({{
    "rule_draft": workflow.start_edit(rule, editor).pk,
    "procedure": procedure.pk,
    "procedure_draft": workflow.start_edit(procedure, editor).pk,
}}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = development_env(tmp_path_factory.mktemp("admin-pages") / "db.sqlite3")
    populate(env)
    scenario = json.loads(run_script(env, SCENARIO).strip().splitlines()[-1])
    with development_server(env) as origin:
        yield origin, scenario


@pytest.fixture
def signed_in(browser, server):  # noqa: F811
    """Opens a page signed in as `user` in a window of `viewport`; what the console reported as an error (a refused
    script, a failed load) is collected in `page.problems` and must stay empty."""
    origin, _ = server
    contexts = []

    def open_page(user: str, viewport: dict):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.goto(f"{origin}/admin/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{origin}/admin/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def rules_file(tmp_path) -> Path:
    """A rule that imports, with a note long enough to make the preview wider than the window, and one refused."""
    good = {
        **HUBEI_RULES[0],
        "note": "浏览器里的导入预览：一段较长的备注，让表格比窗口更宽，看拒绝原因是否仍然一眼可见。",
    }
    path = tmp_path / "rules.csv"
    path.write_bytes(csv_file([good, {**good, "slug": "hubei-bad-region", "region": "999999"}]))
    return path


def test_the_import_preview_shows_why_a_row_is_refused_and_fits_the_window(signed_in, server, tmp_path):
    origin, _ = server
    page = signed_in("editor-wang", LAPTOP)
    page.goto(f"{origin}/admin/passwords/defaultpasswordrule/import/")
    page.set_input_files("#id_import_file", str(rules_file(tmp_path)))
    page.click("input[type=submit]")

    reasons = page.locator("table.import-preview td.errors .validation-error-container")
    reasons.first.wait_for(timeout=20_000)
    assert reasons.count() == 1
    assert "没有代码为“999999”的地区" in reasons.inner_text()
    # Readable without hovering: laid out in the table, opaque, and the topmost element where it stands.
    assert reasons.evaluate("e => getComputedStyle(e).position") == "static"
    opaque = "e => { for (; e; e = e.parentElement) if (getComputedStyle(e).opacity < 1) return false; return true; }"
    assert reasons.evaluate(opaque)
    reason = reasons.locator("ul ul li").first
    reason.scroll_into_view_if_needed()
    box = reason.bounding_box()  # in the viewport's coordinates, as elementFromPoint takes them
    assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"]
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    assert reason.evaluate("(e, [x, y]) => e.contains(document.elementFromPoint(x, y))", centre)
    # The good row is previewed too; the wide tables scroll inside themselves, not the page.
    assert HUBEI_RULES[0]["slug"] in page.locator("table.import-preview tr.new").inner_text()
    assert page_width(page) <= LAPTOP["width"]
    for table in page.locator("table.import-preview").all():
        assert table.evaluate("t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX === 'auto'")
    assert page.problems == []


@pytest.mark.parametrize("model", ["passwords/defaultpasswordrule", "procedures/procedure"])
def test_select_all_on_the_export_page_works_under_the_policy(signed_in, server, model):
    origin, _ = server
    page = signed_in("editor-wang", LAPTOP)
    page.goto(f"{origin}/admin/{model}/export/")
    boxes = page.locator(".selectable-field-export-row input[type=checkbox]")
    ticked = "boxes => boxes.map(box => box.checked)"
    assert boxes.count() > 5 and set(boxes.evaluate_all(ticked)) == {True}
    # A real format, not an empty choice that would only refuse the form.
    assert page.locator("#id_format").evaluate("s => s.options[s.selectedIndex].text") == "csv"

    page.click("#select-all-toggle")
    assert set(boxes.evaluate_all(ticked)) == {False}
    page.click("label[for=select-all-toggle]")
    assert set(boxes.evaluate_all(ticked)) == {True}
    boxes.first.click()
    assert not page.locator("#select-all-toggle").is_checked()
    assert page.problems == []


def test_steps_are_sortable_only_where_they_can_be_saved(signed_in, server):
    origin, scenario = server
    page = signed_in("publisher-li", LAPTOP)
    page.goto(f"{origin}/admin/procedures/procedure/{scenario['procedure']}/change/")
    steps = page.locator("#steps-group")
    assert steps.locator("tr.has_original").count() > 1
    assert steps.locator(".sort i, fieldset.sortable").count() == 0
    assert page.evaluate("[...document.scripts].some(s => s.src.includes('adminsortable2'))") is False

    page.goto(f"{origin}/admin/procedures/procedure/{scenario['procedure_draft']}/change/")
    rows = steps.locator("fieldset.sortable tr.has_original")
    assert rows.count() > 1 and rows.first.locator(".sort i.move-end").is_visible()
    assert page.evaluate("[...document.scripts].some(s => s.src.includes('adminsortable2'))") is True
    assert page.problems == []


def test_on_a_phone_workflow_buttons_are_touch_sized_and_the_sources_fit(signed_in, server):
    origin, scenario = server
    page = signed_in("publisher-li", PHONE)
    for path in (
        f"/admin/passwords/defaultpasswordrule/{scenario['rule_draft']}/change/",
        f"/admin/procedures/procedure/{scenario['procedure']}/change/",
    ):
        page.goto(f"{origin}{path}")
        buttons = page.locator(".object-tools form.workflow-action button")
        assert buttons.count() >= 2
        heights = buttons.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")
        assert min(heights) >= 44, (path, heights)
        assert page_width(page) <= PHONE["width"], path

    # The sources a draft cites, each with its picker and its remove box, within the screen and their box.
    page.goto(f"{origin}/admin/passwords/defaultpasswordrule/{scenario['rule_draft']}/change/")
    table = page.locator("#citations-group table")
    assert table.locator("tr.has_original").count() >= 1
    width, right, room = table.evaluate(
        "t => [t.getBoundingClientRect().width, t.getBoundingClientRect().right, t.parentElement.clientWidth]"
    )
    assert width <= room and right <= PHONE["width"]
    assert table.locator("td.delete input[type=checkbox]").first.is_visible()

    # The list of sources: the page fits; its table scrolls inside its own box.
    page.goto(f"{origin}/admin/sources/source/")
    assert page_width(page) <= PHONE["width"]
    results = page.locator("#changelist .results")
    assert results.evaluate("r => r.getBoundingClientRect().right") <= PHONE["width"]
    assert results.evaluate("r => getComputedStyle(r).overflowX") == "auto"
    assert page.problems == []
