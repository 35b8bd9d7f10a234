"""Review as a process in a real headless Chromium, four eyes on: an editor submits an edit of a seeded procedure, a
second person finds it through the admin index's count and the review queue, reads the step diff and publishes it;
and a publisher reverts an edited seeded procedure to its first version, which the public API then serves again."""

import json
import urllib.request

import pytest

from tests.curation.test_review_browser import ARTIFACTS, PASSWORD, admin_server, pytestmark, sign_in  # noqa: F401 (pytestmark)
from tests.test_browser_pages import browser  # noqa: F401 (the fixture, shared with the page tests)

ADDED = "请以窗口的最新说明为准。"

# Two seeded procedures: the editor changes the first in the browser; the second was edited by an editor and
# published by another publisher before the test, so its History holds the first version and the edit.
SCENARIO = f"""
import json
from django.contrib.auth.models import Group, User
from django.db.models import Count
from curation import workflow
from procedures.models import Procedure, Step
publishers, editors = Group.objects.get(name="publishers"), Group.objects.get(name="editors")
User.objects.create_user("publisher-li", password={PASSWORD!r}, is_staff=True).groups.add(publishers)
User.objects.create_user("editor-zhao", password={PASSWORD!r}, is_staff=True).groups.add(editors)
wang = User.objects.create_user("publisher-wang", is_staff=True)
wang.groups.add(publishers)
chen = User.objects.create_user("editor-chen", is_staff=True)
chen.groups.add(editors)
queued, edited = (
    Procedure.objects.filter(status="published").annotate(n=Count("steps")).filter(n__gte=3).order_by("slug")[:2]
)
first_version = [[step.instruction, step.ui_path] for step in edited.steps.all()]
copy = workflow.start_edit(edited, chen)
Step.objects.filter(procedure=copy, position=1).update(instruction="改过的第一步：先拨打 12333 咨询。")
copy.steps.order_by("position").last().delete()
workflow.submit(copy, chen)
workflow.publish(copy, wang)
print(json.dumps({{
    "queued": queued.pk, "queued_slug": queued.slug, "queued_title": queued.title,
    "queued_step1": queued.steps.get(position=1).instruction,
    "edited": edited.pk, "edited_slug": edited.slug, "first_version": first_version,
}}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with admin_server(tmp_path_factory.mktemp("queue"), SCENARIO) as served:
        yield served


@pytest.fixture
def new_page(browser):  # noqa: F811
    """A page in a browser context of its own (one person's session), closed after the test."""
    contexts = []

    def new():
        contexts.append(browser.new_context(locale="zh-CN"))
        return contexts[-1].new_page()

    yield new
    for context in contexts:
        context.close()


def public_procedure(origin: str, slug: str) -> dict:
    return json.loads(urllib.request.urlopen(f"{origin}/api/v1/procedures/{slug}/").read())


def served_steps(origin: str, slug: str) -> list[list[str]]:
    return [[step["instruction"], step.get("ui_path") or ""] for step in public_procedure(origin, slug)["steps"]]


def test_an_editors_edit_reaches_a_publisher_through_the_index_count_and_the_review_queue(new_page, server):
    origin, scenario = server
    original_url = f"{origin}/admin/procedures/procedure/{scenario['queued']}/change/"

    page = new_page()
    sign_in(page, origin, "editor-zhao")
    page.goto(original_url)
    with page.expect_navigation():
        page.click("form.workflow-action button[value=start_edit]")
    copy_url = page.url
    assert copy_url != original_url and "待发布修改" in page.locator(".workflow-status").inner_text()
    page.fill("textarea[name=steps-0-instruction]", scenario["queued_step1"] + ADDED)
    with page.expect_navigation():
        page.locator("input[name=_continue]").first.click()
    with page.expect_navigation():
        page.click("form.workflow-action button[value=submit]")
    assert "审核中" in page.locator(".workflow-status").inner_text()
    # The original says that an edit is pending, and where.
    page.goto(original_url)
    assert page.locator(".pending-edit-notice a").get_attribute("href") in copy_url

    page = new_page()
    sign_in(page, origin, "publisher-li")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#freshness-link").screenshot(path=str(ARTIFACTS / "admin-index-queue-counts.png"))
    counted = page.locator("#review-queue-link a[data-part=in_review]")
    assert counted.locator("strong").inner_text() == "1"
    with page.expect_navigation():
        counted.click()
    assert page.url == f"{origin}/admin/review-queue/?part=in_review"
    row = page.locator("#review-queue tr.queue-row")
    assert row.count() == 1
    assert scenario["queued_title"] in row.locator("td").first.inner_text()
    assert scenario["queued_slug"] not in row.inner_text()
    assert "editor-zhao" in row.locator("td").nth(4).inner_text()
    assert row.locator(".four-eyes").count() == 0  # the editor saved it last, not this publisher
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

    with page.expect_navigation():
        row.locator("a.review-link").click()
    assert page.url == copy_url
    step1 = page.locator("table.pending-changes tr.step-change").filter(has_text="第 1 步（修改）")
    assert step1.locator(".step-old .step-instruction").inner_text() == scenario["queued_step1"]
    assert step1.locator(".step-new .step-instruction").inner_text() == scenario["queued_step1"] + ADDED
    assert "以窗口的最新说明为准" in step1.locator(".step-new ins").inner_text()
    assert page.locator("form.workflow-action button[value=publish]").is_enabled()

    with page.expect_navigation():
        page.click("form.workflow-action button[value=publish]")
    assert page.url == original_url
    assert public_procedure(origin, scenario["queued_slug"])["steps"][0]["instruction"].endswith(ADDED)

    page.goto(f"{origin}/admin/review-queue/")
    assert page.locator("#queue-empty").is_visible()
    assert page.locator("#review-queue").count() == 0
    page.goto(f"{origin}/admin/")
    assert page.locator("#review-queue-link a[data-part=in_review] strong").inner_text() == "0"


def test_a_publisher_reverts_an_edited_seeded_procedure_to_its_first_version(new_page, server):
    origin, scenario = server
    slug, first_version = scenario["edited_slug"], scenario["first_version"]
    assert served_steps(origin, slug) != first_version
    assert len(served_steps(origin, slug)) == len(first_version) - 1

    page = new_page()
    sign_in(page, origin, "publisher-li")
    page.goto(f"{origin}/admin/procedures/procedure/{scenario['edited']}/history/")
    oldest = page.locator("#change-history > tbody > tr").last
    with page.expect_navigation():
        oldest.get_by_role("button", name="恢复到此版本").click()
    assert page.url == f"{origin}/admin/procedures/procedure/{scenario['edited']}/change/"
    assert "已恢复到" in page.locator(".messagelist").inner_text()

    assert served_steps(origin, slug) == first_version
