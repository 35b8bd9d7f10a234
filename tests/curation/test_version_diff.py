"""What a change does, as a publisher reads it: the pending-edit review, the History page and the write API's history
show the same step-level diff, every text in full with its changed characters marked, links by name, and a card
type's availability region by region."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from curation import workflow
from curation.diff import step_changes, text_change
from passwords.models import CardType, CardTypeAvailability
from procedures.models import Channel, Procedure, Step
from regions.models import Region
from sources.models import Source
from tests.factories import make_procedure
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

SLUG = "beijing-resident-change-password-platform"
STEP_5_OLD_END = "（来源在此处被截断，后续菜单名称待核实）。"
STEP_5_NEW_END = "，输入两次新密码后提交。"
STEP_2_NEW_PATH = "【个人登录】→【立即注册】"


def admin_url(obj, view: str = "change", *args) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk, *args])


def edit_steps_2_and_5(editor) -> tuple[Procedure, Procedure, dict]:
    """A pending edit of a seeded procedure: the end of step 5 reworded, step 2 given a new UI path."""
    original = Procedure.objects.get(slug=SLUG)
    before = {step.position: step for step in original.steps.all()}
    copy = workflow.start_edit(original, editor)
    step5 = copy.steps.get(position=5)
    assert step5.instruction.endswith(STEP_5_OLD_END)
    step5.instruction = step5.instruction.removesuffix(STEP_5_OLD_END) + STEP_5_NEW_END
    step5.save()
    Step.objects.filter(procedure=copy, position=2).update(ui_path=STEP_2_NEW_PATH)
    return original, copy, before


def marked(cell, tag: str) -> list[str]:
    return [element.get_text() for element in cell.select(tag)]


def step_rows(soup) -> dict[str, object]:
    return {row.th.get_text(" ", strip=True): row for row in soup.select("tr.step-change")}


def assert_steps_2_and_5_in_full(soup, before: dict) -> None:
    rows = step_rows(soup)
    assert set(rows) == {"第 2 步（修改）", "第 5 步（修改）"}
    step2, step5 = rows["第 2 步（修改）"], rows["第 5 步（修改）"]
    # Step 5: both instructions whole, the old end struck out and the new one inserted.
    old5 = step5.select_one(".step-old .step-instruction")
    new5 = step5.select_one(".step-new .step-instruction")
    assert old5.get_text() == before[5].instruction
    assert new5.get_text() == before[5].instruction.removesuffix(STEP_5_OLD_END) + STEP_5_NEW_END
    assert "".join(marked(old5, "del")) in STEP_5_OLD_END and "来源在此处被截断" in "".join(marked(old5, "del"))
    assert "输入两次新密码后提交" in "".join(marked(new5, "ins"))
    assert not marked(old5, "ins") and not marked(new5, "del")
    # Step 2: the instruction unchanged and unmarked, the UI path shown on both sides with what it gained.
    assert step2.select_one(".step-new .step-instruction").get_text() == before[2].instruction
    assert not step2.select(".step-instruction ins, .step-instruction del")
    assert step2.select_one(".step-old .step-ui-path").get_text() == "界面路径: 【立即注册】"
    new_path = step2.select_one(".step-new .step-ui-path")
    assert new_path.get_text() == f"界面路径: {STEP_2_NEW_PATH}"
    assert "".join(marked(new_path, "ins")) == "【个人登录】→"


def test_text_changes_mark_chinese_by_character_and_latin_by_word():
    change = text_change("打开App，点我的", "打开APP，点我的页面")
    assert change["segments"] == [
        {"op": "equal", "text": "打开"},
        {"op": "delete", "text": "App"},
        {"op": "insert", "text": "APP"},
        {"op": "equal", "text": "，点我的"},
        {"op": "insert", "text": "页面"},
    ]
    assert text_change("123456", "654321")["segments"] == [
        {"op": "delete", "text": "123456"},
        {"op": "insert", "text": "654321"},
    ]


def test_steps_are_matched_as_added_removed_moved_and_changed():
    def steps(*texts):
        return [{"position": n, "instruction": text, "ui_path": ""} for n, text in enumerate(texts, 1)]

    changes = step_changes(
        steps("打开App", "登录账号", "点我的", "修改密码", "核对信息", "完成"),
        steps("登录账号", "点我的", "打开App", "点击修改密码", "输入验证码", "完成"),
    )
    assert [(c["change"], c["old_position"], c["new_position"]) for c in changes] == [
        ("moved", 1, 3),
        ("changed", 4, 4),
        ("removed", 5, None),
        ("added", None, 5),
    ]
    assert changes[1]["instruction"]["segments"] == [
        {"op": "insert", "text": "点击"},
        {"op": "equal", "text": "修改密码"},
    ]
    # A step added at the top shifts the others without listing them.
    assert [(c["change"], c["new_position"]) for c in step_changes(steps("乙", "丙"), steps("甲", "乙", "丙"))] == [
        ("added", 1)
    ]


def test_the_pending_edit_review_shows_each_changed_step_in_full(editor, publisher_client):
    _original, copy, before = edit_steps_2_and_5(editor)

    soup = BeautifulSoup(publisher_client.get(admin_url(copy)).content, "html.parser")

    assert_steps_2_and_5_in_full(soup.select_one("table.pending-changes"), before)


def test_the_review_names_links_and_keeps_the_published_side(editor, publisher_client):
    original = Procedure.objects.get(slug=SLUG)
    copy = workflow.start_edit(original, editor)
    copy.card_types.add(*copy.card_types.model.objects.filter(slug="ssc-gen2"))

    soup = BeautifulSoup(publisher_client.get(admin_url(copy)).content, "html.parser")

    row = soup.select_one("table.pending-changes tr.link-change")
    published, edited = row.select("td")
    assert [li.get_text() for li in edited.select("ins")] == ["第二代社会保障卡"]
    assert [li.get_text() for li in published.select("li")] == [
        li.get_text() for li in edited.select("li") if not li.ins
    ]


def test_the_history_page_shows_the_same_diff_after_publishing(editor, publisher, publisher_client):
    original, copy, before = edit_steps_2_and_5(editor)
    workflow.publish(copy, publisher)

    soup = BeautifulSoup(publisher_client.get(admin_url(original, "history")).content, "html.parser")

    newest = soup.select("#change-history tbody tr")[0]
    assert_steps_2_and_5_in_full(newest, before)


def assert_henan_moved_and_hubei_added(table) -> None:
    rows = {row["data-key"]: row for row in table.select("tr.row-change[data-field=availability]")}
    assert set(rows) == {"410000", "420000"}
    henan, hubei = rows["410000"], rows["420000"]
    assert "row-changed" in henan["class"] and "row-added" in hubei["class"]
    assert "河南省" in henan.th.get_text() and "湖北省" in hubei.th.get_text()
    # The day replaced whole on each side; the unchanged source shown on both, unmarked.
    old_day = henan.select_one(".row-old .row-value[data-field=withdrawn_from]")
    new_day = henan.select_one(".row-new .row-value[data-field=withdrawn_from]")
    assert (marked(old_day, "del"), marked(new_day, "ins")) == (["2020-01-01"], ["2020-02-01"])
    source = henan.select_one(".row-new .row-value[data-field=source]")
    assert "新乡医保卡原始密码是多少及修改方法" in source.get_text() and not source.select("ins, del")
    # A statement added: nothing on the old side, every value it states on the new one.
    assert hubei.select_one(".row-old").get_text(strip=True) == "—"
    assert marked(hubei.select_one(".row-new .row-value[data-field=issued_from]"), "ins") == ["2024-01-01"]
    assert marked(hubei.select_one(".row-new .row-value[data-field=note]"), "ins") == ["湖北开始发放"]


def test_the_review_and_the_history_page_show_what_changed_in_a_card_types_availability(
    editor, publisher, publisher_client
):
    original = CardType.objects.get(slug="resident-medical-card")
    copy = workflow.start_edit(original, editor)
    copy.availability.filter(region__code="410000").update(withdrawn_from=datetime.date(2020, 2, 1))
    CardTypeAvailability.objects.create(
        card_type=copy,
        region=Region.objects.get(code="420000"),
        issued_from=datetime.date(2024, 1, 1),
        source=Source.objects.get(slug="jumin-yibaoka-chushi-mima"),
        note="湖北开始发放",
    )

    review = BeautifulSoup(publisher_client.get(admin_url(copy)).content, "html.parser")
    assert_henan_moved_and_hubei_added(review.select_one("table.pending-changes"))

    workflow.publish(copy, publisher)
    history = BeautifulSoup(publisher_client.get(admin_url(original, "history")).content, "html.parser")
    assert_henan_moved_and_hubei_added(history.select("#change-history tbody tr")[0])


def test_staff_text_is_escaped_in_the_diff(editor, publisher_client):
    procedure = make_procedure(slug="hostile-steps", status="published")
    copy = workflow.start_edit(procedure, editor)
    Step.objects.filter(procedure=copy, position=1).update(instruction='<script>alert(1)</script><ins>假</ins>"')

    page = publisher_client.get(admin_url(copy)).content.decode()

    assert "<script>alert(1)</script>" not in page and "<ins>假</ins>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_api_history_carries_the_structured_diff(editor, publisher):
    _original, copy, before = edit_steps_2_and_5(editor)
    workflow.publish(copy, publisher)
    client = staff_client("publishers", "api-publisher")

    history = client.get(f"/api/v1/procedures/{SLUG}/history/").json()

    diff = history[0]["diff"]
    assert diff["fields"] == [] and diff["links"] == []
    step2, step5 = diff["steps"]
    assert (step2["change"], step2["old_position"], step2["new_position"]) == ("changed", 2, 2)
    assert step2["ui_path"]["old"] == "【立即注册】" and step2["ui_path"]["new"] == STEP_2_NEW_PATH
    assert {"op": "insert", "text": "【个人登录】→"} in step2["ui_path"]["segments"]
    assert step5["instruction"]["old"] == before[5].instruction
    assert step5["instruction"]["new"].endswith(STEP_5_NEW_END)
    assert history[-1]["diff"] == {"fields": [], "links": [], "steps": [], "rows": []}


def test_a_step_moved_to_another_channel_is_a_change_the_review_names(editor, publisher, publisher_client):
    """Only the channel a step is done at changed: the review and the API's history both list the step, naming the
    channels on each side (the procedure's own on one side: nothing named)."""
    original = Procedure.objects.get(slug=SLUG)
    elsewhere = Channel.objects.published().exclude(pk=original.channel_id).first()
    copy = workflow.start_edit(original, editor)
    Step.objects.filter(procedure=copy, position=3).update(channel=elsewhere)

    soup = BeautifulSoup(publisher_client.get(admin_url(copy)).content, "html.parser")
    row = step_rows(soup.select_one("table.pending-changes"))["第 3 步（修改）"]
    assert row.select_one("td.step-old .step-channel").get_text(strip=True) == "渠道: —"
    assert marked(row.select_one("td.step-new .step-channel"), "ins") == [str(elsewhere)]

    workflow.publish(copy, publisher)
    history = staff_client("publishers", "api-publisher").get(f"/api/v1/procedures/{SLUG}/history/").json()
    [step] = history[0]["diff"]["steps"]
    assert (step["change"], step["old_position"], step["new_position"]) == ("changed", 3, 3)
    named = str(elsewhere)
    assert step["channel"] == {"old": "", "new": named, "segments": [{"op": "insert", "text": named}]}
    assert step["instruction"]["old"] == step["instruction"]["new"]


def test_the_schema_documents_the_history_diff(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    entry = components["HistoryEntry"]["properties"]
    assert "diff" in entry
    diff_name = entry["diff"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert "diff" in components["HistoryEntry"]["required"]
    assert set(components[diff_name]["properties"]) == {"fields", "links", "steps", "rows"}
