"""Cached answers are never stale: every kind of content change is seen by the very next request."""

import pytest
from django.urls import reverse

from passwords.models import DefaultPasswordRule
from procedures.models import Channel, Faq, Procedure, Step
from regions.models import Region
from sources.models import Source
from tests.admin_forms import form_data
from tests.factories import make_rule

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup/?region=420102&detail=full&include=channels,faqs"


def text(client, path: str = LOOKUP) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_warm_answer_is_served_without_sql(client, django_assert_num_queries):
    first = text(client)
    with django_assert_num_queries(0):
        assert text(client) == first


def test_publishing_a_draft_shows_at_once(client, committed):
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    assert "wuhan-fixed-1234" in text(client)

    def unpublish():
        rule.status = "draft"
        rule.save()

    committed(unpublish)
    assert "wuhan-fixed-1234" not in text(client)

    def publish():
        rule.status = "published"
        rule.save()

    committed(publish)
    assert "wuhan-fixed-1234" in text(client)


def test_a_step_reorder_shows_at_once(client, committed):
    path = "/api/v1/procedures/change-password-nhsa-app/"
    before = text(client, path)
    procedure = Procedure.objects.get(slug="change-password-nhsa-app")

    def swap():
        first, second = procedure.steps.order_by("position")[:2]
        Step.objects.filter(pk=first.pk).update(position=99)
        second.position, first.position = 1, 2
        second.save()
        first.save()

    committed(swap)
    after = client.get(path).json()["steps"]
    assert text(client, path) != before
    assert after[0]["ui_path"] == "【医保码】→【修改密码】"


def test_a_step_reorder_in_the_admin_shows_at_once(admin_client, client, committed):
    procedure = Procedure.objects.get(slug="change-password-nhsa-app")
    before = [s["instruction"] for s in client.get(f"/api/v1/procedures/{procedure.slug}/").json()["steps"]]
    # Published content changes through a pending edit, which the public sees once it is published.
    admin_client.post(reverse("admin:procedures_procedure_workflow", args=[procedure.pk, "start_edit"]))
    pending = Procedure.objects.get(draft_of=procedure)
    url = reverse("admin:procedures_procedure_change", args=[pending.pk])
    data = form_data(admin_client.get(url).content)
    positions = sorted(name for name in data if name.startswith("steps-") and name.endswith("-position"))
    for name, position in zip(positions, ["4", "3", "2", "1"], strict=True):
        data[name] = [position]
    # The test client runs the admin's transaction inside the test's own, so commit hooks run here explicitly.
    responses = []
    committed(lambda: responses.append(admin_client.post(url, data)))
    assert responses[0].status_code == 302
    assert [s["instruction"] for s in client.get(f"/api/v1/procedures/{procedure.slug}/").json()["steps"]] == before
    publish = reverse("admin:procedures_procedure_workflow", args=[pending.pk, "publish"])
    committed(lambda: responses.append(admin_client.post(publish)))
    after = [s["instruction"] for s in client.get(f"/api/v1/procedures/{procedure.slug}/").json()["steps"]]
    assert after == list(reversed(before))


def test_a_source_edit_shows_at_once_wherever_it_is_cited(client, committed):
    source = Source.objects.get(slug="jumin-yibaoka-chushi-mima")
    assert "改过的标题" not in text(client)

    def rename():
        source.title = "改过的标题"
        source.save()

    committed(rename)
    assert "改过的标题" in text(client)


def test_removing_a_citation_shows_at_once(client, committed):
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    rule.sources.add(Source.objects.get(slug="xinxiang-yibaoka-yuanshi-mima"))
    assert "xinxiang-yibaoka-yuanshi-mima" in str(client.get(LOOKUP).json()["default_passwords"])
    committed(lambda: rule.citations.filter(source__slug="xinxiang-yibaoka-yuanshi-mima").delete())
    assert "xinxiang-yibaoka-yuanshi-mima" not in str(client.get(LOOKUP).json()["default_passwords"])


def test_a_new_faq_and_a_renamed_region_show_at_once(client, committed):
    def add_faq():
        faq = Faq.objects.create(slug="new-faq", question="新问题？", answer="新答案。", status="published")
        faq.sources.add(Source.objects.first())
        faq.regions.add(Region.objects.get(code="420100"))

    committed(add_faq)
    assert "新问题？" in text(client)

    def rename():
        region = Region.objects.get(code="420102")
        region.name = "江岸新区"
        region.save()

    committed(rename)
    assert "江岸新区" in text(client)


def test_a_deleted_channel_disappears_at_once(client, committed):
    wuhan = Region.objects.get(code="420100")
    channel = Channel.objects.create(
        slug="wuhan-hotline", kind="hotline", name="武汉测试热线", phone="027-12345", region=wuhan, status="published"
    )
    channel.sources.add(Source.objects.first())
    assert "027-12345" in text(client)
    committed(channel.delete)
    assert "027-12345" not in text(client)


def test_an_answer_for_today_is_not_served_tomorrow(client, monkeypatch):
    import datetime

    from django.utils import timezone

    first = client.get(LOOKUP).json()
    assert first["on"] == timezone.localdate().isoformat()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args: tomorrow)
    assert client.get(LOOKUP).json()["on"] == tomorrow.isoformat()


def test_answers_with_links_are_kept_per_host(client):
    local = client.get("/api/v1/regions/", {"page_size": 5}, HTTP_HOST="localhost").json()["next"]
    loopback = client.get("/api/v1/regions/", {"page_size": 5}, HTTP_HOST="127.0.0.1").json()["next"]
    assert local.startswith("http://localhost/") and loopback.startswith("http://127.0.0.1/")


def test_a_reader_that_raced_a_commit_cannot_bring_back_the_old_revision(committed):
    from django.core.cache import cache

    from curation.revisions import CACHE_KEY, bump_revision, content_revision, current_revision

    before = (current_revision(), content_revision())
    cache.delete(CACHE_KEY)  # a reader misses the cache and reads `before` from the database...
    committed(lambda: bump_revision(public=True))  # ...a change commits and stores its revision...
    cache.add(CACHE_KEY, before)  # ...and the slow reader's copy is refused
    assert current_revision().number == before[0].number + 1


def test_a_reorder_by_the_step_services_shows_at_once(client, committed):
    from procedures.services import park_steps, renumber_steps

    path = "/api/v1/procedures/change-password-nhsa-app/"
    before = [s["instruction"] for s in client.get(path).json()["steps"]]
    procedure = Procedure.objects.get(slug="change-password-nhsa-app")

    def move_first_to_last():
        park_steps(procedure=procedure, step_ids=[procedure.steps.get(position=1).pk])
        renumber_steps(procedure=procedure)

    committed(move_first_to_last)
    assert [s["instruction"] for s in client.get(path).json()["steps"]] == [*before[1:], before[0]]


def test_a_procedure_through_an_unpublished_channel_is_not_served(client, committed):
    channel = Channel.objects.get(slug="hotline-12333")

    def unpublish():
        channel.status = "draft"
        channel.save()

    committed(unpublish)
    assert client.get("/api/v1/procedures/change-password-12333/").status_code == 404
    assert "change-password-12333" not in text(client)


def test_renaming_a_source_moves_what_cites_it_into_updated_since(client, committed):
    import datetime

    from django.utils import timezone

    since = (timezone.now() + datetime.timedelta(seconds=1)).isoformat()
    source = Source.objects.get(slug="xinxiang-yibaoka-yuanshi-mima")
    assert client.get("/api/v1/password-rules/", {"updated_since": since}).json()["count"] == 0

    def rename():
        import time

        time.sleep(1.1)
        source.title = "新的标题"
        source.save()

    committed(rename)
    changed = client.get("/api/v1/password-rules/", {"updated_since": since}).json()["results"]
    assert changed and all("新的标题" in str(rule["sources"]) for rule in changed)


def test_linking_from_the_source_side_moves_the_owner(client, committed):
    import datetime

    from django.utils import timezone

    before = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234").updated_at
    source = Source.objects.get(slug="xinxiang-yibaoka-yuanshi-mima")
    committed(lambda: source.password_rules.add(DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")))
    after = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234").updated_at
    assert after > before and after <= timezone.now() + datetime.timedelta(seconds=1)


def revision_updates(queries) -> int:
    return sum(1 for query in queries if query["sql"].startswith("UPDATE") and "contentrevision" in query["sql"])


def test_a_transaction_bumps_the_revision_once_whatever_it_changes(committed):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from curation.models import ContentRevision

    before = ContentRevision.objects.get().number

    def change():
        with transaction.atomic():
            for number in range(5):
                make_rule(slug=f"bulk-{number}")

    with CaptureQueriesContext(connection) as queries:
        committed(change)
    assert revision_updates(queries) == 1
    assert ContentRevision.objects.get().number == before + 1


def test_a_bump_rolled_back_with_its_savepoint_is_made_again(committed):
    from django.db import transaction

    from curation.models import ContentRevision

    before = ContentRevision.objects.get().number

    def change():
        with transaction.atomic():
            try:
                with transaction.atomic():
                    make_rule(slug="rolled-back")
                    raise RuntimeError
            except RuntimeError:
                pass
            make_rule(slug="kept")

    committed(change)
    assert ContentRevision.objects.get().number == before + 1
    assert not DefaultPasswordRule.objects.filter(slug="rolled-back").exists()


def test_each_coding_is_compressed_when_first_asked_for_and_then_served_stored(client, monkeypatch):
    import brotli

    from kb.api import encoding

    compressed: list[str] = []
    encode = encoding.encode
    monkeypatch.setattr(encoding, "encode", lambda body, coding: compressed.append(coding) or encode(body, coding))
    raw = client.get(LOOKUP)
    assert "Content-Encoding" not in raw and compressed == []  # nobody asked it compressed
    for _ in range(2):
        answer = client.get(LOOKUP, HTTP_ACCEPT_ENCODING="br")
        assert answer["Content-Encoding"] == "br" and brotli.decompress(answer.content) == raw.content
    gzipped = client.get(LOOKUP, HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip" and gzipped["ETag"] != answer["ETag"]
    assert client.get(LOOKUP, HTTP_ACCEPT_ENCODING="br").content == answer.content
    assert compressed == ["br", "gzip"]


def answers(served: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("kb_public_answers_total", {"served": served}) or 0.0


@pytest.mark.parametrize(
    ("path", "shared"),
    [
        # Built in the worker without the database: the lookup from its fragments, a search from the regions' index.
        ("/api/v1/lookup/?region=420102", False),
        ("/api/v1/regions/?search=hu&page_size=20", False),
        # Read from the database: kept in the shared cache too, for every other worker.
        ("/api/v1/regions/?search=hu&level=county", True),
        ("/api/v1/regions/?level=province", True),
        ("/api/v1/procedures/", True),
    ],
)
def test_an_answer_a_worker_builds_without_the_database_is_kept_in_that_worker_alone(
    client, django_assert_num_queries, path, shared
):
    """Such an answer costs another worker no query: looking for it in Redis first would be a round trip spent on
    every new answer, and storing it there one more."""
    from unittest import mock

    from django.core.cache import cache

    from curation.api.caching import RESPONSE_KEY_PREFIX
    from curation.revisions import RevisionMemo

    def answers_in_the_shared_cache(calls) -> int:
        return sum(key.startswith(RESPONSE_KEY_PREFIX) for call in calls for key in call.args[0])

    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as looked_for,
        mock.patch.object(cache, "set_many", wraps=cache.set_many) as stored,
    ):
        first = text(client, path)
        assert answers_in_the_shared_cache(looked_for.call_args_list) == shared
        assert answers_in_the_shared_cache(stored.call_args_list) == shared
        # A phone's coding, compressed when first asked for, goes where the answer is kept.
        stored.reset_mock()
        assert client.get(path, HTTP_ACCEPT_ENCODING="br")["Content-Encoding"] == "br"
        assert answers_in_the_shared_cache(stored.call_args_list) == shared
    before = answers("cache"), answers("rendered")
    # The same worker gives it again from its memory.
    with django_assert_num_queries(0):
        assert text(client, path) == first
    assert (answers("cache"), answers("rendered")) == (before[0] + 1, before[1])
    # Another worker: nothing in its own memory, the shared cache as the first one left it. Fragments, rows and the
    # regions' index come from there, so the answer that is not shared is built again without a query too.
    RevisionMemo.clear_all()
    with django_assert_num_queries(0 if shared else 1):  # the index of regions is built from the database once
        assert text(client, path) == first
    assert (answers("cache"), answers("rendered")) == (before[0] + 1 + shared, before[1] + (not shared))
