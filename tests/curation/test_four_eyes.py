"""Four eyes and published evidence: content goes public only after a second person reviewed it, and only with its
sources public too. Through the write API, as staff tools and the admin's buttons meet the workflow."""

import pytest
from django.test import override_settings

from curation.choices import AuditAction, Status
from curation.models import AuditEntry
from passwords.models import DefaultPasswordRule
from sources.models import Source
from tests.http import assert_problem
from tests.staff import rule_body, staff_client, write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("four_eyes")]

RULES = "/api/v1/password-rules/"
SOURCES = "/api/v1/sources/"


def tag(body: dict) -> str:
    return f'"v{body["version"]}"'


def drafted_and_submitted(client, **fields) -> dict:
    body = write(client, "post", RULES, rule_body(**fields)).json()
    response = write(client, "post", f"{RULES}{body['slug']}/submit/", etag=tag(body))
    assert response.status_code == 200, response.content
    return response.json()


def test_a_publisher_cannot_publish_what_they_saved_last_but_another_can():
    alice, bob = staff_client("publishers", "alice"), staff_client("publishers", "bob")
    body = drafted_and_submitted(alice)
    refused = write(alice, "post", f"{RULES}api-test-rule/publish/", etag=tag(body))
    assert "另一位发布者" in assert_problem(refused, 400, "invalid_parameter")["detail"]
    assert DefaultPasswordRule.objects.get(slug="api-test-rule").status == Status.IN_REVIEW
    published = write(bob, "post", f"{RULES}api-test-rule/publish/", etag=tag(body))
    assert published.status_code == 200 and published.json()["status"] == "published"


def test_a_draft_is_not_published_without_review_and_scheduling_needs_four_eyes_too():
    editor, publisher = staff_client("editors", "editor-li"), staff_client("publishers", "publisher-wang")
    draft = write(editor, "post", RULES, rule_body()).json()
    assert write(publisher, "post", f"{RULES}api-test-rule/publish/", etag=tag(draft)).status_code == 400
    body = drafted_and_submitted(publisher, slug="own-rule")
    when = {"publish_at": "2099-01-01T00:00:00+08:00"}
    assert write(publisher, "post", f"{RULES}own-rule/schedule/", when, tag(body)).status_code == 400


@override_settings(FOUR_EYES=False)
def test_a_small_team_publishes_alone_and_the_audit_says_so():
    alone = staff_client("publishers", "alone")
    body = write(alone, "post", RULES, rule_body()).json()
    assert write(alone, "post", f"{RULES}api-test-rule/publish/", etag=tag(body)).status_code == 200
    entry = AuditEntry.objects.filter(action=AuditAction.PUBLISH).latest("pk")
    assert "without a second person" in entry.detail


def test_content_citing_a_draft_source_is_not_published_and_a_cited_source_stays_public():
    alice, bob = staff_client("publishers", "alice"), staff_client("publishers", "bob")
    source = write(alice, "post", SOURCES, {"slug": "draft-source", "title": "草稿来源", "publisher": "某站"}).json()
    body = drafted_and_submitted(alice, sources=["draft-source"])
    refused = write(bob, "post", f"{RULES}api-test-rule/publish/", etag=tag(body))
    assert "草稿来源" in assert_problem(refused, 400, "invalid_parameter")["detail"]
    assert DefaultPasswordRule.objects.get(slug="api-test-rule").status == Status.IN_REVIEW
    # Once the source is public (reviewed by another publisher too), the rule goes public with it.
    source = write(alice, "post", f"{SOURCES}draft-source/submit/", etag=tag(source)).json()
    assert write(bob, "post", f"{SOURCES}draft-source/publish/", etag=tag(source)).status_code == 200
    published = write(bob, "post", f"{RULES}api-test-rule/publish/", etag=tag(body))
    assert published.status_code == 200
    public = DefaultPasswordRule.objects.get(slug="api-test-rule")
    assert [s.slug for s in public.sources.all()] == ["draft-source"]
    # Archiving the source now would leave the rule without evidence.
    current = Source.objects.get(slug="draft-source")
    archive = write(bob, "post", f"{SOURCES}draft-source/archive/", etag=f'"v{current.version}"')
    assert "仍引用此来源" in assert_problem(archive, 400, "invalid_parameter")["detail"]
    assert Source.objects.get(slug="draft-source").status == Status.PUBLISHED
