"""Bulk import and export in the admin, driven the way a browser drives it: upload a file, read the preview, confirm.

Imports land as drafts (published content gets a pending edit instead), every row passes model validation, a file
with one bad row stores nothing, and exporting then importing the same file changes nothing.
"""

import csv
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from curation import workflow
from curation.models import AuditEntry
from passwords.models import CardType, CardTypeAvailability, DefaultPasswordRule
from procedures.models import Channel, Procedure
from regions.models import Region
from sources.models import Source
from tests.factories import make_card_type, make_rule

pytestmark = pytest.mark.django_db

CONTENT_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def staff(group: str, name: str | None = None) -> User:
    user = User.objects.create_user(name or group, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(client):
    user = staff("editors")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def format_choice(html: bytes, label: str) -> str:
    select = BeautifulSoup(html, "html.parser").select_one("select[name=format]")
    return next(option["value"] for option in select.select("option") if option.text.strip().lower() == label)


def upload(client, model, content: bytes, name: str, fmt: str = "csv", language: str = "en"):
    """The import page's first step: the dry run that answers with the preview."""
    page = client.get(url(model, "import"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    data = {
        "resource": "0",
        "format": format_choice(page.content, fmt),
        "import_file": SimpleUploadedFile(name, content, content_type=CONTENT_TYPES[fmt]),
    }
    return client.post(url(model, "import"), data, HTTP_ACCEPT_LANGUAGE=language)


def confirm(client, preview):
    """The second step: posts the confirm form of the preview back, with its hidden fields."""
    form = BeautifulSoup(preview.content, "html.parser").select_one("form[action$='process_import/']")
    assert form is not None, "no confirm form: the preview refused the file"
    data = {control["name"]: control.get("value", "") for control in form.select("input[name]")}
    return client.post(form["action"], data)


def export(client, model, fmt: str) -> bytes:
    page = client.get(url(model, "export"))
    assert page.status_code == 200
    form = BeautifulSoup(page.content, "html.parser").select_one("select[name=format]").find_parent("form")
    data = {"resource": "0", "format": format_choice(page.content, fmt)}
    # Every column, as the form offers them (all ticked).
    for box in form.select("input[type=checkbox][name]"):
        data[box["name"]] = "on"
    response = client.post(url(model, "export"), data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def rows_of(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(key for row in rows for key in row)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def exported_row(client, model, slug: str) -> dict[str, str]:
    return next(row for row in rows_of(export(client, model, "csv")) if row["slug"] == slug)


def preview_rows(response) -> dict[str, str]:
    """The import type the preview shows for each slug (new, update, skip)."""
    soup = BeautifulSoup(response.content, "html.parser")
    found = {}
    for table in soup.select("table.import-preview"):
        headers = [th.text.strip() for th in table.select("thead th")]
        for tr in table.select("tr[class]"):
            found[tr.select("td")[headers.index("slug")].text.strip()] = tr["class"][0]
    return found


def refusals(response) -> dict[str, str]:
    """The refused rows of a preview: row number → the reasons shown for it, as text."""
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        tr.select_one("td").text.strip(): tr.select_one("td.errors").get_text(" ", strip=True)
        for tr in soup.select("table.import-preview tbody tr")
        if tr.select_one("td.errors")
    }


HUBEI_RULES = [
    {
        "slug": "hubei-import-ssc-123456",
        "region": "420000",
        "card_type": "ssc-gen2",
        "password": "medical_account",
        "kind": "fixed",
        "value": "123456",
        "standing": "official",
        "note": "导入测试",
        "sources": "jumin-yibaoka-chushi-mima",
    },
    {
        "slug": "hubei-import-id-last6",
        "region": "420000",
        "card_type": "",
        "password": "financial_account",
        "kind": "id_last6",
        "value": "",
        "standing": "unverified",
        "note": "",
        "sources": "jumin-yibaoka-chushi-mima; zenyang-biangeng-yibaoka-mima",
        "status": "published",  # ignored: imports always land as drafts
    },
]


def test_the_dry_run_previews_new_and_changed_rows_and_stores_nothing(client, editor):
    draft = make_rule(slug="draft-to-change", value="111111")
    rows = [
        HUBEI_RULES[0],
        {**HUBEI_RULES[0], "slug": "draft-to-change", "region": "420100", "value": "222222"},
    ]
    before = DefaultPasswordRule.objects.count()

    response = upload(client, DefaultPasswordRule, csv_file(rows), "hubei.csv")

    assert response.status_code == 200
    assert preview_rows(response) == {"hubei-import-ssc-123456": "new", "draft-to-change": "update"}
    assert "Confirm import" in response.content.decode()
    assert DefaultPasswordRule.objects.count() == before
    draft.refresh_from_db()
    assert draft.value == "111111"
    assert not AuditEntry.objects.filter(action="import").exists()


def test_importing_a_provinces_rules_stores_drafts_with_sources_history_and_one_audit_entry(client, editor):
    response = confirm(client, upload(client, DefaultPasswordRule, csv_file(HUBEI_RULES), "hubei.csv"))

    assert response.status_code == 302 and response["Location"] == url(DefaultPasswordRule, "changelist")
    rules = {rule.slug: rule for rule in DefaultPasswordRule.objects.filter(region__code="420000")}
    assert set(rules) == {"hubei-import-ssc-123456", "hubei-import-id-last6"}
    fixed, id_last6 = rules["hubei-import-ssc-123456"], rules["hubei-import-id-last6"]
    assert {rule.status for rule in rules.values()} == {"draft"}
    assert (fixed.value, fixed.card_type.slug, fixed.standing) == ("123456", "ssc-gen2", "official")
    assert id_last6.card_type is None and id_last6.value == ""
    assert sorted(id_last6.sources.values_list("slug", flat=True)) == [
        "jumin-yibaoka-chushi-mima",
        "zenyang-biangeng-yibaoka-mima",
    ]
    record = fixed.history.first()
    assert record.history_user == editor
    assert record.related_snapshot["sources"] == ["jumin-yibaoka-chushi-mima"]
    (entry,) = AuditEntry.objects.filter(action="import")
    assert entry.user == editor
    assert "hubei.csv" in entry.detail and "2 created, 0 updated" in entry.detail and "0 unchanged" in entry.detail
    # Nothing public changed: drafts are not served.
    assert client.get("/api/v1/password-rules/hubei-import-ssc-123456/").status_code == 404


def test_a_file_with_bad_rows_is_refused_row_by_row_and_stores_nothing(client, editor):
    good = HUBEI_RULES[0]
    rows = [
        good,
        {**good, "slug": "bad-region", "region": "999999"},
        {**good, "slug": "fixed-without-value", "value": ""},
        {**good, "slug": "unknown-source", "sources": "jumin-yibaoka-chushi-mima;no-such-source"},
        {**good, "slug": "twice"},
        {**good, "slug": "twice", "value": "654321"},
        {**good, "slug": "no-sources", "sources": ""},
        {**good, "slug": "value-for-id-rule", "kind": "id_last6", "value": "123456"},
    ]
    before = DefaultPasswordRule.objects.count()

    response = upload(client, DefaultPasswordRule, csv_file(rows), "bad.csv")

    assert response.status_code == 200
    assert "Confirm import" not in response.content.decode()
    reasons = refusals(response)
    assert set(reasons) == {"2", "3", "4", "5", "6", "7", "8"}
    assert "No region has the code “999999”" in reasons["2"]
    assert "A fixed rule needs its value" in reasons["3"]
    assert "No source has the slug “no-such-source”" in reasons["4"]
    assert "appears in rows 5, 6 of the file" in reasons["5"] and "appears in rows 5, 6" in reasons["6"]
    assert "Cite at least one source" in reasons["7"]
    assert "Only a fixed rule has a value" in reasons["8"]
    # The row that passes is shown too, with what it would do.
    assert preview_rows(response) == {"hubei-import-ssc-123456": "new"}
    assert DefaultPasswordRule.objects.count() == before
    assert not AuditEntry.objects.filter(action="import").exists()


def test_reasons_are_given_in_chinese_by_default(client, editor):
    rows = [{**HUBEI_RULES[0], "region": "999999", "sources": "no-such-source"}]
    response = upload(client, DefaultPasswordRule, csv_file(rows), "bad.csv", language="zh-hans")
    reasons = refusals(response)["1"]
    assert "没有代码为“999999”的地区" in reasons
    assert "没有 slug 为 “no-such-source” 的来源" in reasons


def test_a_row_refused_at_confirmation_rolls_back_the_whole_file(client, editor):
    draft = make_rule(slug="draft-soon-in-review")
    rows = [HUBEI_RULES[0], {**HUBEI_RULES[0], "slug": "draft-soon-in-review", "value": "999999"}]
    preview = upload(client, DefaultPasswordRule, csv_file(rows), "race.csv")
    # Between the preview and the confirmation, someone submits the draft for review.
    workflow.submit(draft, None)

    response = confirm(client, preview)

    assert response.status_code == 302
    assert not DefaultPasswordRule.objects.filter(slug="hubei-import-ssc-123456").exists()
    draft.refresh_from_db()
    assert draft.value == "123456"
    assert not AuditEntry.objects.filter(action="import").exists()
    messages = [str(message) for message in client.get(response["Location"]).context["messages"]]
    assert any("Nothing was imported" in message for message in messages)


MODELS = [CardType, DefaultPasswordRule, Channel, Procedure]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_export_then_import_of_the_same_file_changes_nothing(client, editor, model, fmt):
    before = sorted(model.objects.values_list("slug", "version", "updated_at"))
    content = export(client, model, fmt)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        assert sheet.max_row == len(before) + 1

    preview = upload(client, model, content, f"export.{fmt}", fmt)

    assert set(preview_rows(preview).values()) == {"skip"}, refusals(preview)
    assert len(preview_rows(preview)) == len(before)
    assert confirm(client, preview).status_code == 302
    assert sorted(model.objects.values_list("slug", "version", "updated_at")) == before
    (entry,) = AuditEntry.objects.filter(action="import")
    assert f"0 created, 0 updated (0 of them pending edits of published content), {len(before)} unchanged" in (
        entry.detail
    )


def test_exported_columns_use_public_identifiers(client, editor):
    row = exported_row(client, Procedure, "change-password-nhsa-app")
    assert row["region"] == "000000"
    assert row["channel"] == "nhsa-app"
    assert "【" in row["steps"] and " | " in row["steps"]
    assert ";" in row["sources"] or row["sources"]
    assert row["status"] == "published"


def test_importing_onto_published_content_creates_a_pending_edit_and_leaves_the_public_version(client, editor):
    published = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    row = exported_row(client, DefaultPasswordRule, "wuhan-fixed-1234")
    version = published.version
    api_before = client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()

    preview = upload(client, DefaultPasswordRule, csv_file([{**row, "value": "4321"}]), "wuhan.csv")
    assert preview_rows(preview) == {"wuhan-fixed-1234-edit": "update"}
    assert confirm(client, preview).status_code == 302

    published.refresh_from_db()
    assert (published.value, published.status, published.version) == ("1234", "published", version)
    edit = DefaultPasswordRule.objects.get(draft_of=published)
    assert (edit.slug, edit.status, edit.value) == ("wuhan-fixed-1234-edit", "draft", "4321")
    assert edit.history.first().history_user == editor
    assert client.get("/api/v1/password-rules/wuhan-fixed-1234/").json() == api_before
    assert "1 updated (1 of them pending edits" in AuditEntry.objects.get(action="import").detail

    # The same file again: the pending edit already says so.
    again = upload(client, DefaultPasswordRule, csv_file([{**row, "value": "4321"}]), "wuhan.csv")
    assert set(preview_rows(again).values()) == {"skip"}


def test_a_row_for_published_content_and_one_for_its_pending_edit_are_not_both_accepted(client, editor):
    published = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    workflow.start_edit(published, editor)
    rows = [row for row in rows_of(export(client, DefaultPasswordRule, "csv")) if row["slug"].startswith("wuhan-fixed")]
    rows = [{**row, "value": "4321"} if row["slug"] == "wuhan-fixed-1234" else row for row in rows]

    reasons = refusals(upload(client, DefaultPasswordRule, csv_file(rows), "both.csv"))

    assert ["keep only one of them" in reason for reason in reasons.values()] == [True]
    assert DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234-edit").value == "1234"


def test_changing_a_published_procedures_steps_goes_to_its_pending_edit(client, editor):
    slug = "change-password-nhsa-app"
    published = Procedure.objects.get(slug=slug)
    steps_before = list(published.steps.values_list("position", "instruction", "ui_path"))
    row = exported_row(client, Procedure, slug)
    new_steps = "打开国家医保服务平台App | 【首页】→【医保码】\n按提示输入新密码"

    assert (
        confirm(client, upload(client, Procedure, csv_file([{**row, "steps": new_steps}]), "p.csv")).status_code == 302
    )

    assert list(published.steps.values_list("position", "instruction", "ui_path")) == steps_before
    edit = Procedure.objects.get(draft_of=published)
    assert list(edit.steps.values_list("position", "instruction", "ui_path")) == [
        (1, "打开国家医保服务平台App", "【首页】→【医保码】"),
        (2, "按提示输入新密码", ""),
    ]
    assert edit.history.first().related_snapshot["steps"][0]["ui_path"] == "【首页】→【医保码】"
    assert [step["instruction"] for step in client.get(f"/api/v1/procedures/{slug}/").json()["steps"]] == [
        instruction for _, instruction, _ in steps_before
    ]


def test_a_new_procedure_is_imported_with_its_steps_and_bad_steps_are_refused(client, editor):
    row = exported_row(client, Procedure, "change-password-nhsa-app")
    new = {**row, "slug": "imported-procedure", "card_types": "ssc-gen2, medical-insurance-voucher"}
    bad = {**row, "slug": "bad-steps", "steps": "第一步\n第二步 | 没有括号的路径", "channel": "no-such-channel"}

    refused = upload(client, Procedure, csv_file([new, bad]), "procedures.csv")
    reasons = refusals(refused)
    assert list(reasons) == ["2"]
    assert "Step 2:" in reasons["2"] and "【】" in reasons["2"]
    assert "No channel has the slug “no-such-channel”" in reasons["2"]
    assert not Procedure.objects.filter(slug="imported-procedure").exists()

    assert confirm(client, upload(client, Procedure, csv_file([new]), "procedures.csv")).status_code == 302
    procedure = Procedure.objects.get(slug="imported-procedure")
    assert procedure.status == "draft"
    assert sorted(procedure.card_types.values_list("slug", flat=True)) == ["medical-insurance-voucher", "ssc-gen2"]
    assert procedure.steps.count() == len(row["steps"].splitlines())
    # One whole first version: a revert to it brings back the links and steps the file gave.
    (first,) = procedure.history.all()
    assert first.history_type == "+" and first.related_snapshot == procedure.history_related_snapshot()


def xlsx_file(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def availability_of(slug: str) -> list[dict]:
    rows = CardTypeAvailability.objects.filter(card_type__slug=slug).select_related("region", "source")
    return [row.snapshot() for row in rows.order_by("region__code")]


HENAN_LINE = (
    "410000 issued - withdrawn 2020-01-01 | xinxiang-yibaoka-yuanshi-mima | "
    "河南自2020-01-01起换用新业务系统，居民就医报销改凭社会保障卡，旧的居民医保卡和农合本停用。"
)


def test_a_card_types_availability_travels_as_lines_in_xlsx_and_comes_back_the_same(client, editor):
    CardTypeAvailability.objects.create(
        card_type=CardType.objects.get(slug="resident-medical-card"),
        region=Region.objects.get(code="110000"),
        issued_from="2015-01-01",
        withdrawn_from="2021-06-30",
        source=Source.objects.get(slug="jumin-yibaoka-chushi-mima"),
        note="北京的说法 | 含分隔符",
    )
    original = availability_of("resident-medical-card")

    sheet = openpyxl.load_workbook(io.BytesIO(export(client, CardType, "xlsx"))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    headers = rows[0]
    resident = next(row for row in rows if row[headers.index("slug")] == "resident-medical-card")
    # One line per statement, by region; a note may hold the separator (everything after the second one is the note).
    assert resident[headers.index("availability")].splitlines() == [
        "110000 issued 2015-01-01 withdrawn 2021-06-30 | jumin-yibaoka-chushi-mima | 北京的说法 | 含分隔符",
        HENAN_LINE,
    ]
    copied = [*resident]
    copied[headers.index("slug")], copied[headers.index("name")] = "imported-resident-card", "导入的居民卡"

    preview = upload(client, CardType, xlsx_file([headers, resident, copied]), "cards.xlsx", "xlsx")
    assert preview_rows(preview) == {"resident-medical-card": "skip", "imported-resident-card": "new"}, refusals(
        preview
    )
    assert confirm(client, preview).status_code == 302

    imported = CardType.objects.get(slug="imported-resident-card")
    assert imported.status == "draft"
    assert availability_of("imported-resident-card") == original
    (first,) = imported.history.all()
    assert first.related_snapshot["availability"] == availability_of("imported-resident-card")
    assert first.related_snapshot == imported.history_related_snapshot()


def test_changing_a_published_card_types_availability_by_import_goes_to_its_pending_edit(client, editor):
    row = exported_row(client, CardType, "resident-medical-card")
    assert row["availability"] == HENAN_LINE
    moved = HENAN_LINE.replace("withdrawn 2020-01-01", "withdrawn 2020-02-01")

    preview = upload(client, CardType, csv_file([{**row, "availability": moved}]), "cards.csv")
    assert preview_rows(preview) == {"resident-medical-card-edit": "update"}
    assert confirm(client, preview).status_code == 302

    assert availability_of("resident-medical-card")[0]["withdrawn_from"] == "2020-01-01"
    (statement,) = availability_of("resident-medical-card-edit")
    assert (statement["region"], statement["withdrawn_from"]) == ("410000", "2020-02-01")
    edit = CardType.objects.get(slug="resident-medical-card-edit")
    assert edit.history.first().related_snapshot["availability"] == [statement]


def test_bad_availability_lines_are_refused_in_the_preview_and_nothing_is_written(client, editor):
    draft = make_card_type(slug="draft-card", name="草稿卡", status="draft")
    draft.sources.add(Source.objects.get(slug="jumin-yibaoka-chushi-mima"))
    CardTypeAvailability.objects.create(
        card_type=draft,
        region=Region.objects.get(code="420000"),
        withdrawn_from="2021-05-01",
        source=Source.objects.get(slug="jumin-yibaoka-chushi-mima"),
    )
    before = availability_of("draft-card")
    row = exported_row(client, CardType, "draft-card")
    lines = {
        "2": "41000 issued - withdrawn 2020-01-01 | jumin-yibaoka-chushi-mima",
        "3": "410000 withdrawn 2020-01-01 | jumin-yibaoka-chushi-mima",
        "4": "410000 issued 2020-02-30 withdrawn - | jumin-yibaoka-chushi-mima",
        "5": "999999 issued - withdrawn 2020-01-01 | jumin-yibaoka-chushi-mima",
        "6": "410000 issued - withdrawn 2020-01-01 | no-such-source",
        "7": "410000 issued 2021-01-01 withdrawn 2020-01-01 | jumin-yibaoka-chushi-mima",
        "8": "410000 issued - withdrawn - | jumin-yibaoka-chushi-mima",
        "9": "410000 issued - withdrawn 2020-01-01 | jumin-yibaoka-chushi-mima\n"
        "410000 issued 2019-01-01 withdrawn - | jumin-yibaoka-chushi-mima",
        "10": "410000 issued - withdrawn 2020-01-01",
    }
    # The first row would change the draft: it is refused with the rest, since one refused row refuses the file.
    rows = [{**row, "availability": "110000 issued 2019-01-01 withdrawn - | jumin-yibaoka-chushi-mima"}]
    rows += [
        {**row, "slug": f"bad-card-{number}", "name": f"坏卡{number}", "availability": line}
        for number, line in lines.items()
    ]

    response = upload(client, CardType, csv_file(rows), "cards.csv")

    reasons = refusals(response)
    assert set(reasons) == set(lines), reasons
    assert "Confirm import" not in response.content.decode()
    for number in ("2", "3", "10"):
        assert "Availability line 1: write it as “410000 issued - withdrawn 2020-01-01" in reasons[number]
    assert "Availability line 1: there is no day 2020-02-30." in reasons["4"]
    assert "No region has the code “999999”" in reasons["5"]
    assert "No source has the slug “no-such-source”" in reasons["6"]
    assert "Availability in 410000:" in reasons["7"] and "withdrawn after it was first issued" in reasons["7"]
    assert "Availability in 410000:" in reasons["8"] and "the day it was withdrawn, or both" in reasons["8"]
    assert "each region is stated once; 410000" in reasons["9"]
    assert availability_of("draft-card") == before
    assert not CardType.objects.filter(slug__startswith="bad-card").exists()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_content_in_review_is_refused_for_editors_and_accepted_for_publishers(client, editor):
    rule = make_rule(slug="in-review-rule")
    workflow.submit(rule, None)
    row = exported_row(client, DefaultPasswordRule, "in-review-rule")
    file = csv_file([{**row, "value": "765432"}])

    reasons = refusals(upload(client, DefaultPasswordRule, file, "review.csv"))
    assert "in review; return it to draft" in reasons["1"]
    # Unchanged, it is simply skipped.
    assert set(preview_rows(upload(client, DefaultPasswordRule, csv_file([row]), "same.csv")).values()) == {"skip"}

    client.force_login(staff("publishers"))
    assert confirm(client, upload(client, DefaultPasswordRule, file, "review.csv")).status_code == 302
    rule.refresh_from_db()
    assert (rule.value, rule.status) == ("765432", "in_review")


def test_editors_may_import_and_export_and_anonymous_visitors_are_sent_to_log_in(client):
    for model in MODELS:
        anonymous = client.get(url(model, "import"))
        assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
        assert "/admin/login/" in client.get(url(model, "export"))["Location"]

    client.force_login(User.objects.create_user("nobody", is_staff=True))
    assert client.get(url(DefaultPasswordRule, "import")).status_code == 403
    assert client.get(url(DefaultPasswordRule, "export")).status_code == 403

    client.force_login(staff("editors"))
    for model in MODELS:
        assert client.get(url(model, "import")).status_code == 200
        assert client.get(url(model, "export")).status_code == 200
        assert url(model, "import") in client.get(url(model, "changelist")).content.decode()
