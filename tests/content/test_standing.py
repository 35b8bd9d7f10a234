"""The rule for standing (sources/standing.py), checked when content is published and by `manage.py check_content`,
which also reports public content without a source or citing an unpublished one."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from curation import workflow
from passwords.models import DefaultPasswordRule
from procedures.models import Procedure
from sources.models import Source
from tests.factories import make_rule, make_source
from tests.staff import rule_body, staff_client, write

pytestmark = pytest.mark.django_db

RULES = "/api/v1/password-rules/"


def check_content() -> str:
    """What the command writes to standard error; it raises CommandError when it reports anything."""
    err = io.StringIO()
    with translation.override("en"):
        call_command("check_content", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def broken_rows() -> str:
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="break the publishing rules") as raised:
        call_command("check_content", stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(raised.value)


def test_the_loaded_content_follows_the_rules():
    out = io.StringIO()
    call_command("check_content", stdout=out, stderr=io.StringIO())
    assert "all follow the publishing rules" in out.getvalue()


def test_a_rule_claiming_more_than_its_one_article_is_reported():
    DefaultPasswordRule.objects.filter(slug="xinxiang-employee-123456").update(standing="widely_reported")
    report = broken_rows()
    assert "passwords.DefaultPasswordRule xinxiang-employee-123456 (published)" in report
    assert "support at most “Unverified”, not “Widely reported”" in report
    assert "1 of " in report


def test_a_procedure_claiming_official_without_an_official_source_is_reported():
    Procedure.objects.filter(slug="set-voucher-password-counter").update(standing="official")
    assert "procedures.Procedure set-voucher-password-counter" in broken_rows()


def test_a_fact_without_a_source_and_one_citing_an_unpublished_source_are_reported():
    DefaultPasswordRule.sources.through.objects.filter(rule__slug="wuhan-fixed-1234").delete()
    Source.objects.filter(slug="dianzi-yibao-shouci-mima").update(status="draft")
    report = broken_rows()
    assert "wuhan-fixed-1234 (published): Cite at least one source" in report
    assert "national-voucher-id-without-check-digit (published): Publish the sources it cites first" in report


def test_an_official_source_backs_an_official_statement():
    Source.objects.filter(slug="xinxiang-yibaoka-yuanshi-mima").update(official=True)
    DefaultPasswordRule.objects.filter(slug="xinxiang-employee-123456").update(standing="official")
    assert check_content() == ""


@pytest.mark.parametrize(
    ("publishers", "supported"),
    [(["测试局", "另一家"], True), (["测试局", " 测试局 "], False), (["Test Bureau", "test  bureau"], False)],
    ids=["two-publishers", "one-publisher-twice", "case-and-spaces"],
)
def test_a_wide_report_needs_two_different_publishers(publishers, supported, publisher):
    rule = make_rule(slug="two-sources", status="draft", standing="widely_reported")
    rule.sources.set(
        [make_source(slug=f"s{i}", publisher=name, status="published") for i, name in enumerate(publishers)]
    )
    if supported:
        workflow.publish(rule, publisher)
        assert DefaultPasswordRule.objects.get(slug="two-sources").status == "published"
    else:
        with translation.override("en"), pytest.raises(workflow.WorkflowError, match="two different publishers"):
            workflow.publish(rule, publisher)
        assert DefaultPasswordRule.objects.get(slug="two-sources").status == "draft"


def test_the_write_api_refuses_to_submit_a_standing_its_sources_do_not_back():
    editor = staff_client("editors", "editor-li")
    created = write(editor, "post", RULES, rule_body(standing="official"))
    assert created.status_code == 201, created.content
    response = write(editor, "post", f"{RULES}api-test-rule/submit/", etag=f'"v{created.json()["version"]}"')
    assert response.status_code == 400
    body = response.json()
    assert "standing" in str(body) and "官方来源" in str(body), body
    assert DefaultPasswordRule.objects.get(slug="api-test-rule").status == "draft"


def test_sources_say_whether_they_are_official(client):
    Source.objects.filter(slug="xinxiang-yibaoka-yuanshi-mima").update(official=True)
    assert client.get("/api/v1/sources/xinxiang-yibaoka-yuanshi-mima/").json()["official"] is True
    official = client.get("/api/v1/sources/", {"official": "true"}).json()["results"]
    assert [source["slug"] for source in official] == ["xinxiang-yibaoka-yuanshi-mima"]
    rule = client.get("/api/v1/password-rules/xinxiang-employee-123456/").json()
    assert rule["sources"][0]["official"] is True


def test_the_admin_marks_a_source_official(admin_client):
    page = admin_client.get("/admin/sources/source/add/")
    assert page.status_code == 200 and 'name="official"' in page.content.decode()
    listing = admin_client.get("/admin/sources/source/", {"official__exact": "0"}).content.decode()
    assert "新乡医保卡原始密码是多少及修改方法" in listing
