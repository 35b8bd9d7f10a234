"""A publisher reviews a pending edit of a seeded procedure, publishes it, reads it on the History page and reverts
the procedure to its first version, in a real headless Chromium (Debian's, driven by Playwright).

The edit changes the end of step 5 and gives step 2 a new UI path: both must be visible, in full, with the changed
characters marked, on the review and on the History page. The app runs under Django's development server (DEBUG on,
so that it serves the admin's static files) on its own SQLite file, populated as `make setup` does."""

import contextlib
import json
import urllib.request
from pathlib import Path

import pytest

from scripts.servers import ROOT, development_env, development_server, populate, run_script
from tests.test_browser_pages import CHROMIUM, browser  # noqa: F401 (the fixture, shared with the page tests)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

ARTIFACTS = ROOT / "test-artifacts"
SLUG = "beijing-resident-change-password-platform"
STEP_5_OLD_END = "（来源在此处被截断，后续菜单名称待核实）。"
STEP_5_NEW_END = "，输入两次新密码后提交。"
STEP_2_NEW_PATH = "【个人登录】→【立即注册】"
PASSWORD = "review-in-chromium-2026"

# Run in the server's database before it starts: a publisher who can sign in, and an editor's pending edit.
SCENARIO = f"""
import json
from django.contrib.auth.models import Group, User
from curation import workflow
from procedures.models import Procedure, Step
publisher = User.objects.create_user("publisher-li", password={PASSWORD!r}, is_staff=True)
publisher.groups.add(Group.objects.get(name="publishers"))
editor = User.objects.create_user("editor-zhao", is_staff=True)
editor.groups.add(Group.objects.get(name="editors"))
original = Procedure.objects.get(slug={SLUG!r})
steps = {{step.position: step for step in original.steps.all()}}
copy = workflow.start_edit(original, editor)
step5 = copy.steps.get(position=5)
step5.instruction = step5.instruction.removesuffix({STEP_5_OLD_END!r}) + {STEP_5_NEW_END!r}
step5.save()
Step.objects.filter(procedure=copy, position=2).update(ui_path={STEP_2_NEW_PATH!r})
workflow.submit(copy, editor)
print(json.dumps({{
    "original": original.pk, "copy": copy.pk,
    "step5": steps[5].instruction, "step2": steps[2].instruction, "step2_path": steps[2].ui_path,
}}))
"""


@contextlib.contextmanager
def admin_server(directory: Path, scenario: str):
    """The app under the development server on its own SQLite file in `directory`, populated as `make setup` does,
    with four eyes on (as in production), after `scenario` ran in its database; yields the origin and the JSON the
    scenario printed last."""
    env = development_env(directory / "db.sqlite3") | {"CURATION_FOUR_EYES": "1"}
    populate(env)
    printed = json.loads(run_script(env, scenario).strip().splitlines()[-1])
    with development_server(env) as origin:
        yield origin, printed


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with admin_server(tmp_path_factory.mktemp("review"), SCENARIO) as served:
        yield served


def sign_in(page, origin: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{origin}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{origin}/admin/")


def step_row(scope, header: str):
    return scope.locator("tr.step-change").filter(has_text=header)


def assert_both_changes_in_full(scope, scenario: dict) -> None:
    step5 = step_row(scope, "第 5 步（修改）")
    new5 = scenario["step5"].removesuffix(STEP_5_OLD_END) + STEP_5_NEW_END
    assert step5.locator(".step-old .step-instruction").inner_text() == scenario["step5"]
    assert step5.locator(".step-new .step-instruction").inner_text() == new5
    assert "来源在此处被截断" in step5.locator(".step-old del").inner_text()
    assert "输入两次新密码后提交" in step5.locator(".step-new ins").inner_text()
    # Marked so that it shows: the browser strikes deleted text through.
    assert "line-through" in step5.locator(".step-old del").evaluate("e => getComputedStyle(e).textDecorationLine")

    step2 = step_row(scope, "第 2 步（修改）")
    assert step2.locator(".step-new .step-instruction").inner_text() == scenario["step2"]
    assert step2.locator(".step-old .step-ui-path").inner_text() == f"界面路径: {scenario['step2_path']}"
    assert step2.locator(".step-new .step-ui-path").inner_text() == f"界面路径: {STEP_2_NEW_PATH}"
    assert step2.locator(".step-new .step-ui-path ins").inner_text() == "【个人登录】→"
    assert step2.locator(".step-new ins").count() == 1
    for locator in (step5, step2):
        assert locator.is_visible()


def test_a_publisher_reviews_publishes_and_reverts_in_chromium(browser, server):  # noqa: F811
    origin, scenario = server
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, origin, "publisher-li")

        # The review of the pending edit, against what the public sees.
        page.goto(f"{origin}/admin/procedures/procedure/{scenario['copy']}/change/")
        review = page.locator("table.pending-changes")
        assert_both_changes_in_full(review, scenario)
        ARTIFACTS.mkdir(exist_ok=True)
        review.screenshot(path=str(ARTIFACTS / "pending-edit-review.png"))

        page.click("form.workflow-action button[value=publish]")
        page.wait_for_url(f"{origin}/admin/procedures/procedure/{scenario['original']}/change/")
        public = json.loads(urllib.request.urlopen(f"{origin}/api/v1/procedures/{SLUG}/").read())
        assert public["steps"][4]["instruction"].endswith(STEP_5_NEW_END)

        # The History page: the newest version shows the same two changes.
        page.goto(f"{origin}/admin/procedures/procedure/{scenario['original']}/history/")
        rows = page.locator("#change-history > tbody > tr")
        assert_both_changes_in_full(rows.first, scenario)
        page.screenshot(path=str(ARTIFACTS / "history-page.png"), full_page=True)

        # Revert to the first version, the one the content file loaded.
        rows.last.get_by_role("button", name="恢复到此版本").click()
        page.wait_for_url(f"{origin}/admin/procedures/procedure/{scenario['original']}/change/")
        assert "已恢复到" in page.locator(".messagelist").inner_text()
        public = json.loads(urllib.request.urlopen(f"{origin}/api/v1/procedures/{SLUG}/").read())
        assert public["steps"][4]["instruction"] == scenario["step5"]
        assert public["steps"][1]["ui_path"] == scenario["step2_path"]
        # The revert is itself a version: the History page shows it undoing both changes.
        page.goto(f"{origin}/admin/procedures/procedure/{scenario['original']}/history/")
        newest = page.locator("#change-history > tbody > tr").first
        step5 = step_row(newest, "第 5 步（修改）")
        assert step5.locator(".step-new .step-instruction").inner_text() == scenario["step5"]
        assert "来源在此处被截断" in step5.locator(".step-new ins").inner_text()
    finally:
        context.close()
