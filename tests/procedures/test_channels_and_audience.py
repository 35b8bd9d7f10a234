"""Procedures that take several channels (each step names where it is done), who a procedure is for, and the WeChat
official-account channel kind: through the public API, the staff API, the admin, import/export and the widget."""

import json

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from procedures.filtersets import ProcedureFilterSet
from procedures.models import Channel, Procedure, Step
from regions.models import Region
from tests.admin_forms import form_data
from tests.factories import make_channel, make_procedure
from tests.http import assert_problem, results
from tests.staff import procedure_body, staff_client, write
from tests.test_import_export import confirm, csv_file, editor, exported_row, upload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_procedure_lists_its_channels_in_the_order_its_steps_take_them(client):
    body = client.get("/api/v1/procedures/unlock-arrears-counter/").json()
    assert body["channel"]["slug"] == "shebao-yibao-counter"
    assert [c["slug"] for c in body["channels"]] == ["local-hrss-app", "shebao-yibao-counter"]
    assert [(s["position"], s["channel"]) for s in body["steps"]] == [
        (1, "local-hrss-app"),
        (2, "shebao-yibao-counter"),
    ]
    assert body["channels"][0] == {
        "slug": "local-hrss-app",
        "kind": "app",
        "kind_label": "手机应用",
        "name": "当地人社部门官方APP",
        "phone": "",
        "url": None,
    }


def test_a_steps_channel_defaults_to_the_procedures_and_is_validated_by_the_model():
    procedure = Procedure.objects.get(slug="unlock-arrears-counter")
    first, second = procedure.steps.order_by("position")
    assert first.effective_channel.slug == "local-hrss-app"
    assert second.channel is None and second.effective_channel == procedure.channel
    with pytest.raises(ValidationError) as refused:
        Step(procedure=procedure, position=3, instruction="x", channel_id=10**9).full_clean()
    assert "channel" in refused.value.message_dict


def test_channel_kind_filter_finds_a_procedure_by_any_of_its_steps_channels(client):
    apps = {p["slug"] for p in results(client.get("/api/v1/procedures/", {"channel_kind": "app", "page_size": 100}))}
    assert "unlock-arrears-counter" in apps and "change-password-nhsa-app" in apps
    counters = results(client.get("/api/v1/procedures/", {"channel_kind": "counter", "page_size": 100}))
    assert [p["slug"] for p in counters].count("unlock-arrears-counter") == 1


def test_procedures_filter_by_insurance_keeping_those_for_everyone(client):
    def slugs(**params) -> set[str]:
        return {p["slug"] for p in results(client.get("/api/v1/procedures/", {"region": "410700", **params}))}

    employee, resident = slugs(insurance="employee"), slugs(insurance="resident")
    assert "xinxiang-activate-pharmacy" in employee and "xinxiang-activate-pharmacy" not in resident
    assert "xinxiang-activate-clinic" in resident and "xinxiang-activate-clinic" not in employee
    assert "xinxiang-reset-labour-station" in employee & resident
    detail = client.get("/api/v1/procedures/xinxiang-activate-pharmacy/").json()
    assert (detail["insurance"], detail["enrolment"]) == ("employee", "any")
    filtered = ProcedureFilterSet({"insurance": "resident"}, Procedure.objects.published()).qs
    assert set(filtered.values_list("insurance", flat=True)) == {"resident", "any"}
    assert_problem(client.get("/api/v1/procedures/", {"insurance": "any"}), 400, "invalid_parameter", "insurance")


def test_the_official_account_has_its_own_kind(client):
    body = client.get("/api/v1/channels/local-yibao-wechat-account/").json()
    assert (body["kind"], body["kind_label"]) == ("wechat_official_account", "微信公众号")
    kinds = {c["slug"] for c in results(client.get("/api/v1/channels/", {"kind": "mini_program", "page_size": 100}))}
    assert "local-yibao-wechat-account" not in kinds and "alipay-yibao-mini" in kinds


def test_staff_write_a_steps_channel_and_the_public_reads_it(client):
    publisher = staff_client("publishers")
    body = procedure_body(
        steps=[
            {"instruction": "在APP里补缴欠费。", "channel": "local-hrss-app"},
            {"instruction": "到窗口解锁。", "channel": None},
        ]
    )
    response = write(publisher, "post", "/api/v1/procedures/", body)
    assert response.status_code == 201, response.content
    assert [s["channel"] for s in response.json()["steps"]] == ["local-hrss-app", None]
    procedure = Procedure.objects.get(slug="api-test-procedure")
    assert procedure.history.first().related_snapshot["steps"][0]["channel"] == "local-hrss-app"

    refused = write(publisher, "post", "/api/v1/procedures/", {**body, "slug": "other", "steps": [
        {"instruction": "x", "channel": "no-such-channel"}
    ]})  # fmt: skip
    assert_problem(refused, 400, "invalid_parameter", "steps[0].channel")


def test_the_admin_edits_a_steps_channel(admin_client):
    app = make_channel(kind="app", name="某APP")
    procedure = make_procedure(steps=2)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    page = admin_client.get(url)
    assert 'name="steps-0-channel"' in page.content.decode()
    data = form_data(page.content)
    data["steps-0-channel"] = [str(app.pk)]

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(procedure.steps.values_list("position", "channel")) == [(1, app.pk), (2, None)]
    assert [c.pk for c in Procedure.objects.get(pk=procedure.pk).channels] == [app.pk, procedure.channel_id]


def test_export_and_import_carry_each_steps_channel(client, editor):  # noqa: F811 (fixture)
    row = exported_row(client, Procedure, "unlock-arrears-counter")
    assert row["steps"].splitlines()[0].startswith("[local-hrss-app] ")
    assert not row["steps"].splitlines()[1].startswith("[")

    changed = row["steps"].replace("[local-hrss-app]", "[nhsa-app]")
    assert confirm(client, upload(client, Procedure, csv_file([{**row, "steps": changed}]), "p.csv")).status_code == 302
    edit = Procedure.objects.get(draft_of__slug="unlock-arrears-counter")
    assert [s.channel.slug if s.channel else None for s in edit.steps.order_by("position")] == ["nhsa-app", None]

    bad = {**row, "slug": "bad-step-channel", "steps": "[no-such-channel] 第一步"}
    preview = upload(client, Procedure, csv_file([bad]), "p.csv")
    assert "no channel has the slug “no-such-channel”" in preview.content.decode()


def test_the_widget_groups_a_procedures_steps_by_channel_and_json_ld_has_a_section_per_channel(client):
    page = client.get("/embed/v1/000000/", {"lang": "zh"})
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    procedure = next(d for d in soup.select("details.procedure") if "因欠缴医保费被锁" in d.summary.text)
    run_names = [run.text.split("(")[0].strip() for run in procedure.select("p.step-channel")]
    # The runs' lists number the steps on from one run to the next.
    assert [ol.get("start") for ol in procedure.select("ol")] == ["1", "2"]
    assert run_names == ["当地人社部门官方APP", "社保服务网点 / 医保经办机构服务窗口"]

    data = json.loads(soup.select_one("script[type='application/ld+json']").string)
    how_to = next(item for item in data if item.get("name") == "因欠缴医保费被锁，补缴后到医保经办机构解锁")
    assert [(s["@type"], s["name"], [step["position"] for step in s["itemListElement"]]) for s in how_to["step"]] == [
        ("HowToSection", "当地人社部门官方APP", [1]),
        ("HowToSection", "社保服务网点 / 医保经办机构服务窗口", [2]),
    ]
    one_channel = next(item for item in data if item.get("name") == "在国家医保服务平台APP修改医保码密码")
    assert {step["@type"] for step in one_channel["step"]} == {"HowToStep"}
    service = next(item for item in data if item["@type"] == "GovernmentService")
    assert "当地人社部门官方APP" in {channel["name"] for channel in service["availableChannel"]}


def test_a_channel_used_by_a_step_cannot_be_deleted():
    channel = Channel.objects.get(slug="local-hrss-app")
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        channel.delete()


def test_the_data_migration_moves_official_accounts_filed_as_mini_programs():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("procedures.migrations.0007_content_model")
    account = make_channel(kind="mini_program", name="某市医保局微信公众号")
    mini = make_channel(kind="mini_program", name="某小程序")

    migration.official_accounts(apps, None)

    account.refresh_from_db(), mini.refresh_from_db()
    assert (account.kind, mini.kind) == ("wechat_official_account", "mini_program")


def test_a_procedure_with_a_step_at_an_unpublished_channel_is_not_served(client, django_capture_on_commit_callbacks):
    draft = make_channel(kind="app", name="未发布的APP", status="draft")
    procedure = make_procedure(steps=2, status="published", region=Region.objects.get(code="420100"))
    assert client.get(f"/api/v1/procedures/{procedure.slug}/").status_code == 200
    step = procedure.steps.get(position=1)
    step.channel = draft
    with django_capture_on_commit_callbacks(execute=True):
        step.save()

    assert client.get(f"/api/v1/procedures/{procedure.slug}/").status_code == 404
    answer = client.get("/api/v1/lookup/", {"region": "420100", "on": "2024-01-02"}).json()
    assert procedure.slug not in {p["slug"] for p in answer["procedures"]}
