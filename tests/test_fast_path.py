"""The fast path (curation/api/fastpath.py): anonymous public reads skip the middleware that do nothing for them, and
answer with the very headers of the full path; the metrics count them the same; the worker's copy of the public
revision is trusted for PUBLIC_REVISION_MEMO_SECONDS, by anonymous reads only."""

import time
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.test import Client
from prometheus_client import REGISTRY

from curation import revisions
from curation.api.fastpath import is_anonymous_public_read
from curation.revisions import CACHE_KEY, Revision, RevisionMemo, current_revision

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup/?region=420102"
PUBLIC_URLS = [
    LOOKUP,
    "/api/v1/procedures/?region_within=420000",
    "/api/schema/",
    "/embed/v1/420102/",
    "/oembed?format=json&url=http%3A%2F%2Ftestserver%2Fembed%2Fv1%2F420102%2F",
    "/api/v1/regions/999999/",  # a 404, public too
]
# A portal's browser: an origin (CORS), compression and a language.
BROWSER = {"HTTP_ORIGIN": "https://portal.example", "HTTP_ACCEPT_ENCODING": "br, gzip", "HTTP_ACCEPT_LANGUAGE": "en"}


def three_answers(settings, url: str, *, fast: bool) -> list:
    """Rendered, then from the response cache, then a 304 naming it, from a cold start."""
    settings.PUBLIC_FAST_PATH = fast
    cache.clear()
    RevisionMemo.clear_all()
    client = Client()
    rendered = client.get(url, **BROWSER)
    cached = client.get(url, **BROWSER)
    etag = rendered.headers.get("ETag", '"none"')
    return [rendered, cached, client.get(url, HTTP_IF_NONE_MATCH=etag, **BROWSER)]


def comparable(response) -> tuple[int, dict[str, str], bytes]:
    headers = dict(response.headers)
    # One id per request: only its form can be compared.
    request_id = headers.pop("X-Request-ID")
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    return response.status_code, headers, response.content


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_the_fast_path_answers_with_the_full_paths_headers(settings, url):
    full = [comparable(response) for response in three_answers(settings, url, fast=False)]
    # The fast path never reaches the session (nor sign-in, CSRF, messages, history).
    with mock.patch.object(SessionMiddleware, "process_request", side_effect=AssertionError("session read")):
        fast = [comparable(response) for response in three_answers(settings, url, fast=True)]
    for (full_status, full_headers, full_body), (status, headers, body) in zip(full, fast, strict=True):
        assert status == full_status
        for name in full_headers.keys() | headers.keys():
            assert headers.get(name) == full_headers.get(name), f"{url}: {name}"
        assert body == full_body
    statuses = [status for status, _headers, _body in fast]
    assert statuses == ([404, 404, 404] if url.endswith("999999/") else [200, 200, 304])
    if statuses[0] == 200:
        # What the answers say about themselves is there to compare: security, CSP, CORS, validators, caching.
        headers = fast[0][1]
        for name in ("X-Content-Type-Options", "Referrer-Policy", "Cache-Control", "ETag", "Last-Modified", "Vary"):
            assert name in headers, name
        assert "Content-Security-Policy" in headers or url.startswith("/oembed")


def test_signed_in_browsers_and_tokens_take_the_full_path(client):
    original = SessionMiddleware.process_request
    with mock.patch.object(SessionMiddleware, "process_request", autospec=True, side_effect=original) as session:
        assert client.get(LOOKUP).status_code == 200
        assert session.call_count == 0
        client.cookies["sessionid"] = "someone-in-the-admin"
        assert client.get(LOOKUP).status_code == 200
        assert session.call_count == 1
        client.cookies.clear()
        assert client.get(LOOKUP, HTTP_AUTHORIZATION="Token made-up").status_code == 401
        assert session.call_count == 2


def test_once_the_session_is_read_only_someone_signed_in_is_not_anonymous(rf, admin_user):
    """The replicas' router asks after AuthenticationMiddleware (curation/replicas.py); the fast path before it."""
    request = rf.get(LOOKUP, HTTP_COOKIE="sessionid=expired-or-made-up")
    assert not is_anonymous_public_read(request)
    request.user = AnonymousUser()
    assert is_anonymous_public_read(request)
    request.user = admin_user
    assert not is_anonymous_public_read(request)
    assert not is_anonymous_public_read(rf.get(LOOKUP, HTTP_AUTHORIZATION="Token made-up"))
    assert is_anonymous_public_read(rf.get(LOOKUP))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def counts() -> list[float]:
    view = {"view": "api:lookup", "transport": "http", "method": "GET"}
    return [
        sample("django_http_requests_total_by_method_total", method="GET"),
        sample("django_http_requests_total_by_view_transport_method_total", **view),
        sample("django_http_responses_total_by_status_total", status="304"),
        *(sample("kb_public_answers_total", served=served) for served in ("rendered", "cache", "not_modified")),
    ]


def test_the_metrics_count_fast_path_answers(client):
    before = counts()
    etag = client.get(LOOKUP)["ETag"]
    client.get(LOOKUP)
    assert client.get(LOOKUP, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Three requests; one view ran (the rendered one); one 304; rendered, cached and not-modified once each.
    assert [b - a for a, b in zip(before, counts(), strict=True)] == [3, 1, 1, 1, 1, 1]


def test_anonymous_reads_trust_the_workers_revision_for_the_memo_seconds_only(settings, client):
    settings.PUBLIC_REVISION_MEMO_SECONDS = 0.3
    revisions._public_memo = None
    first = client.get(LOOKUP)["ETag"]
    # Another worker publishes: the shared copy moves, this worker's memo does not know yet.
    public, content = current_revision(), revisions.content_revision()
    cache.set(CACHE_KEY, (Revision(public.number + 1, public.changed_at), content))
    try:
        assert client.get(LOOKUP)["ETag"] == first
        # Someone signed in reads the shared copy, and sees the change at once.
        client.cookies["sessionid"] = "someone-in-the-admin"
        assert client.get(LOOKUP)["ETag"] != first
        client.cookies.clear()
        time.sleep(0.35)
        assert client.get(LOOKUP)["ETag"] != first
    finally:
        revisions._public_memo = None
