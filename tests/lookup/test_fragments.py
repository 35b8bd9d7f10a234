"""The lookup's fragments outlive a publish that did not change their region, and never outlive one that did.

Each region's fragment is kept under a fingerprint of what is published on it (lookup/cache.py), not under the content
revision. Each test here asks a lookup first, so that the fragments are cached, commits one kind of change, and asks
again without emptying any cache: the answer must show the change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.choices import Status
from curation.models import ChangeNote
from curation.revisions import RevisionMemo
from lookup.cache import fragment_fingerprints, region_fragments
from passwords.models import DefaultPasswordRule
from procedures.models import Faq, Procedure
from regions.models import Region

pytestmark = pytest.mark.django_db

ZHANGJIAKOU_RULE = "zhangjiakou-123456-from-2022-03-02"


def lookup(client, code: str) -> dict:
    response = client.get("/api/v1/lookup/", {"region": code, "detail": "full", "include": "channels,faqs"})
    assert response.status_code == 200, response.content
    return response.json()


def rules(answer: dict) -> dict[str, dict]:
    return {rule["slug"]: rule for rule in answer["default_passwords"]}


def as_another_worker_would(client, code: str) -> tuple[dict, list[str]]:
    """The answer of a worker that has not seen the publish (its memo empty, the shared cache as it is), and its SQL."""
    RevisionMemo.clear_all()
    with CaptureQueriesContext(connection) as queries:
        answer = lookup(client, code)
    return answer, [query["sql"] for query in queries.captured_queries]


def test_a_publish_elsewhere_leaves_a_regions_fragments_in_the_cache(client, committed, monkeypatch):
    from curation import registry

    # Nothing built by the commit itself (prepare_after_publish): what the lookup finds is what it left.
    monkeypatch.setattr(registry, "AFTER_PUBLIC_COMMIT", [])
    before = lookup(client, "130702")
    lookup(client, "420102")

    committed(edit_another_region)
    answer, queries = as_another_worker_would(client, "130702")
    assert answer == before
    assert not fragment_queries(queries)
    assert "武汉的新说明" in {rule["note"] for rule in lookup(client, "420102")["default_passwords"]}


def edit_rule_note():
    rule = DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE)
    rule.note = "刚刚改过的说明"
    rule.save()


def move_rule_to_wuhan():
    rule = DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE)
    rule.region = Region.objects.get(code="420100")
    rule.save()


def delete_rule():
    DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE).delete()


def rename_cited_source():
    source = DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE).sources.filter(status=Status.PUBLISHED).first()
    source.title = "改了名的来源"
    source.save()


def rename_region():
    region = Region.objects.get(code="130700")
    region.name = "张家口市（新名）"
    region.save()


def note_the_rule():
    rule = DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE)
    ChangeNote.objects.create(content_object=rule, note="起始日期已核对", changed_on="2026-11-20")


def edit_a_step():
    step = Procedure.objects.get(slug="zhangjiakou-reset-bank-outlet").steps.order_by("position").first()
    step.instruction = "先到银行网点取号"
    step.save()


def faq_also_about_zhangjiakou_not_wuhan():
    faq = Faq.objects.get(slug="wuhan-initial-password")
    faq.regions.add(Region.objects.get(code="130700"))
    faq.regions.remove(Region.objects.get(code="420100"))


CHANGES = {
    "a rule's note": (edit_rule_note, "130702", lambda a: rules(a)[ZHANGJIAKOU_RULE]["note"] == "刚刚改过的说明"),
    "a rule moved away": (move_rule_to_wuhan, "130702", lambda a: ZHANGJIAKOU_RULE not in rules(a)),
    "a rule moved here": (move_rule_to_wuhan, "420102", lambda a: ZHANGJIAKOU_RULE in rules(a)),
    "a rule deleted": (delete_rule, "130702", lambda a: ZHANGJIAKOU_RULE not in rules(a)),
    "a cited source renamed": (
        rename_cited_source,
        "130702",
        lambda a: "改了名的来源" in {s["title"] for s in rules(a)[ZHANGJIAKOU_RULE]["sources"]},
    ),
    "a region renamed": (
        rename_region,
        "130702",
        lambda a: rules(a)[ZHANGJIAKOU_RULE]["resolved_from"]["name"] == "张家口市（新名）",
    ),
    "a change note": (
        note_the_rule,
        "130702",
        lambda a: {"date": "2026-11-20", "note": "起始日期已核对"} in rules(a)[ZHANGJIAKOU_RULE]["changes"],
    ),
    "a step": (
        edit_a_step,
        "130702",
        lambda a: (
            "先到银行网点取号"
            in {
                step["instruction"]
                for procedure in a["procedures"]
                if procedure["slug"] == "zhangjiakou-reset-bank-outlet"
                for step in procedure["steps"]
            }
        ),
    ),
    "a FAQ's region added": (
        faq_also_about_zhangjiakou_not_wuhan,
        "130702",
        lambda a: "wuhan-initial-password" in {faq["slug"] for faq in a["faqs"]},
    ),
    "a FAQ's region removed": (
        faq_also_about_zhangjiakou_not_wuhan,
        "420102",
        lambda a: "wuhan-initial-password" not in {faq["slug"] for faq in a["faqs"]},
    ),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_shows_in_the_next_lookup_of_every_region_it_touches(client, committed, name):
    change, code, shows = CHANGES[name]
    assert not shows(lookup(client, code))
    committed(change)
    assert shows(as_another_worker_would(client, code)[0])
    assert shows(lookup(client, code))


def test_a_procedure_a_faq_is_about_leaves_that_faqs_fragment_when_unpublished(client, committed):
    # 全国's FAQ on a lost card is about procedures of 上海 as well: their status shows in 全国's fragment.
    def listed() -> list[str]:
        faqs = region_fragments(["000000"], fragment_fingerprints())["000000"]["faqs"]
        return next(faq["_procedures"] for faq in faqs if faq["slug"] == "lost-card-what-to-do")

    lookup(client, "310101")
    assert "shanghai-report-loss-phone" in listed()

    def unpublish():
        procedure = Procedure.objects.get(slug="shanghai-report-loss-phone")
        procedure.status = Status.DRAFT
        procedure.save()

    committed(unpublish)
    RevisionMemo.clear_all()
    assert "shanghai-report-loss-phone" not in listed()


def edit_another_region():
    rule = DefaultPasswordRule.objects.filter(region__code="420100", status=Status.PUBLISHED).first()
    rule.note = "武汉的新说明"
    rule.save()


def fragment_queries(queries: list[str]) -> list[str]:
    """The queries that build fragments (the fingerprints' one reads the same tables, in a UNION)."""
    return [sql for sql in queries if "passwords_defaultpasswordrule" in sql and "UNION" not in sql]


@pytest.mark.parametrize("code", ["130702", "420102"])
def test_the_commit_prepares_what_the_first_lookups_after_it_need(client, committed, code):
    committed(edit_another_region)  # a server has seen a publish before: the fingerprints it left are in the cache
    lookup(client, "130702")
    lookup(client, "420102")
    committed(edit_rule_note)
    answer, queries = as_another_worker_would(client, code)
    # A worker that has just started builds its regions' index; all else, the changed region's fragment included, is
    # in the shared cache already.
    assert [sql for sql in queries if "regions_region" not in sql] == [], queries
    assert len(queries) == 1
    if code == "130702":
        assert rules(answer)[ZHANGJIAKOU_RULE]["note"] == "刚刚改过的说明"


def test_a_commit_that_changes_every_region_leaves_their_fragments_to_the_lookups(client, committed, monkeypatch):
    from lookup import cache as lookup_cache

    monkeypatch.setattr(lookup_cache, "PREPARED_AT_MOST", 2)
    lookup(client, "130702")
    committed(edit_another_region)
    with CaptureQueriesContext(connection) as queries:
        committed(rename_region)  # in every region's fingerprint
    assert not fragment_queries([query["sql"] for query in queries.captured_queries])
    assert rules(lookup(client, "130702"))[ZHANGJIAKOU_RULE]["resolved_from"]["name"] == "张家口市（新名）"


def test_a_failure_while_preparing_leaves_the_commit_and_the_answers_right(client, committed, monkeypatch, caplog):
    from curation import registry

    def broken() -> None:
        raise RuntimeError("the cache fell over")

    monkeypatch.setattr(registry, "AFTER_PUBLIC_COMMIT", [broken, *registry.AFTER_PUBLIC_COMMIT])
    lookup(client, "130702")
    committed(edit_rule_note)
    assert "preparing for the public after a commit failed" in caplog.text
    assert DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE).note == "刚刚改过的说明"
    assert rules(lookup(client, "130702"))[ZHANGJIAKOU_RULE]["note"] == "刚刚改过的说明"


def test_a_request_that_commits_many_times_prepares_once_at_its_end(committed, monkeypatch):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from curation import registry
    from curation.revisions import prepared_once

    calls = []
    monkeypatch.setattr(registry, "AFTER_PUBLIC_COMMIT", [lambda: calls.append("prepared")])
    # As Django's test client sends them: without closing the test's own database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        committed(edit_rule_note)
        committed(edit_another_region)
        assert calls == []  # the answer is sent first
        request_finished.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert calls == ["prepared"]

    with prepared_once():  # a command's many commits (the scheduler's publishes, a restore)
        committed(rename_cited_source)
        committed(delete_rule)
    assert calls == ["prepared"] * 2
    committed(rename_region)  # outside both: at once
    assert calls == ["prepared"] * 3


def test_links_cleared_from_the_other_side_leave_no_fragment_showing_them(client, committed):
    # clear() deletes the citation rows one by one (their table has receivers), and each one moves its rule.
    source = DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE).sources.filter(status=Status.PUBLISHED).first()
    assert source.slug in {s["slug"] for s in rules(lookup(client, "130702"))[ZHANGJIAKOU_RULE]["sources"]}
    committed(lambda: source.password_rules.clear())
    assert source.slug not in {s["slug"] for s in rules(lookup(client, "130702"))[ZHANGJIAKOU_RULE]["sources"]}


def test_a_save_of_named_fields_still_moves_updated_at(client, committed):
    lookup(client, "130702")

    def save_only_the_note():
        rule = DefaultPasswordRule.objects.get(slug=ZHANGJIAKOU_RULE)
        rule.note = "只存这一栏"
        rule.save(update_fields=["note"])
        region = Region.objects.get(code="130700")
        region.name = "张家口市（只存名称）"
        region.save(update_fields=["name"])

    committed(save_only_the_note)
    rule = rules(lookup(client, "130702"))[ZHANGJIAKOU_RULE]
    assert (rule["note"], rule["resolved_from"]["name"]) == ("只存这一栏", "张家口市（只存名称）")
